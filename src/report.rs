//! The result of grading one exercise. The runner builds a `Report`; every view and
//! output format renders one, and nothing else does any grading.
use std::time::Duration;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    /// The suite ran and at least one test failed.
    Fail,
    /// The learner's code could not be run to the end: it failed to load, crashed,
    /// exited early or let an exception escape.
    Error,
    /// The run outlived its deadline and was killed.
    Timeout,
    /// The run used more memory than its limit and was killed.
    Memory,
    /// A service the exercise needs could not be had.
    NeedsService,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Timeout => "timeout",
            Status::Memory => "memory",
            Status::NeedsService => "needs-service",
        }
    }

    pub fn is_pass(self) -> bool {
        self == Status::Pass
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestStatus {
    Pass,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestResult {
    pub name: String,
    pub status: TestStatus,
    #[serde(serialize_with = "millis")]
    pub duration: Duration,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
}

/// Why a test failed, as the assertion described it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Failure {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// `file:line:column` inside the learner's folder, when the error came from there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The stack of an error that was not an assertion (a TypeError in learner code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
}

/// What went wrong for a run that did not get to a normal verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// For `needs-service`: the command that fixes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// The tail of what the learner's code printed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Output {
    pub text: String,
    /// Bytes dropped from the front because the output was longer than the cap.
    pub truncated_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub exercise: String,
    pub status: Status,
    pub tests: Vec<TestResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
    /// The test that was running when the run was stopped (timeouts and early exits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unfinished_test: Option<String>,
    pub output: Output,
    #[serde(serialize_with = "millis")]
    pub duration: Duration,
    /// For a project stage: the earlier stages whose suites fail now.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regressions: Vec<String>,
    /// How the run was contained ("PID namespace, cgroup (memory 1024 MiB, …)").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub containment: Option<String>,
}

impl Report {
    pub fn passed(&self) -> usize {
        self.tests.iter().filter(|t| t.status == TestStatus::Pass).count()
    }

    pub fn failed(&self) -> usize {
        self.tests.iter().filter(|t| t.status == TestStatus::Fail).count()
    }

    pub fn first_failure(&self) -> Option<&TestResult> {
        self.tests.iter().find(|t| t.status == TestStatus::Fail)
    }

    /// A report for an exercise that could not be run at all (its folder is missing, say).
    pub fn error(exercise: &str, message: String) -> Report {
        let mut report = Report::needs_service(exercise, message, String::new());
        report.status = Status::Error;
        if let Some(problem) = report.problem.as_mut() {
            problem.fix = None;
        }
        report
    }

    /// A report for a run that never started because a service is missing.
    pub fn needs_service(exercise: &str, message: String, fix: String) -> Report {
        Report {
            exercise: exercise.to_string(),
            status: Status::NeedsService,
            tests: Vec::new(),
            problem: Some(Problem { message, location: None, fix: Some(fix) }),
            unfinished_test: None,
            output: Output::default(),
            duration: Duration::ZERO,
            regressions: Vec::new(),
            containment: None,
        }
    }
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0 * 10.0).round() / 10.0)
}
