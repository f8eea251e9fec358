//! Turns the reporter's events and the way the process ended into a `Report`. Pure
//! data in, data out: every rule about what counts as pass, fail, error or timeout
//! lives here and is tested without starting a process.
use std::time::Duration;

use std::path::Path;

use super::events::{ErrorInfo, ReporterEvent};
use super::results::{self, Results};
use crate::manifest::Manifest;
use crate::report::{Failure, Output, Problem, Report, Status, TestResult, TestStatus};

/// Failure kinds that mean an exception escaped the learner's code rather than an
/// assertion failing: a real server would have crashed.
const ESCAPED: &[&str] = &["uncaughtException", "unhandledRejection"];

#[derive(Debug, Default)]
pub struct Collector {
    tests: Vec<TestResult>,
    escaped: Option<ErrorInfo>,
    running: Vec<String>,
    ended: bool,
    /// Every test the run reported (passed, failed or skipped), in order, for the
    /// comparison with the suite's manifest.
    reported: Vec<String>,
    /// The counts Node reported at the end (`pass`, `fail`, …).
    summary: Vec<(String, f64)>,
    /// Why the reporter's channel cannot be trusted, if it cannot.
    broken: Option<String>,
}

impl Collector {
    /// Records one event; returns the test result it completed, if any.
    pub fn push(&mut self, event: ReporterEvent) -> Option<&TestResult> {
        match event {
            ReporterEvent::Start { name } => {
                self.running.push(name);
                None
            }
            ReporterEvent::Pass { name, duration_ms } => {
                self.finish(&name);
                self.reported.push(name.clone());
                self.tests.push(TestResult {
                    name,
                    status: TestStatus::Pass,
                    duration: millis(duration_ms),
                    failure: None,
                });
                self.tests.last()
            }
            ReporterEvent::Fail { name, duration_ms, suite, error } => {
                self.finish(&name);
                // A describe block "fails" whenever a test inside it does; only a failing
                // hook of the block itself is news.
                if suite && error.kind == "subtestsFailed" {
                    return None;
                }
                if !suite {
                    self.reported.push(name.clone());
                }
                if ESCAPED.contains(&error.kind.as_str()) && self.escaped.is_none() {
                    self.escaped = Some(error.clone());
                }
                let failure = failure_from(error);
                self.tests.push(TestResult {
                    name,
                    status: TestStatus::Fail,
                    duration: millis(duration_ms),
                    failure: Some(failure),
                });
                self.tests.last()
            }
            ReporterEvent::Skip { name } => {
                self.finish(&name);
                self.reported.push(name);
                None
            }
            ReporterEvent::End => {
                self.ended = true;
                None
            }
            ReporterEvent::Summary { key, value } => {
                self.summary.push((key, value));
                None
            }
            ReporterEvent::Tampered { reason } => {
                self.broken(reason);
                None
            }
            ReporterEvent::Diagnostic { .. } => None,
        }
    }

    /// Marks the channel as untrustworthy; the first reason is kept.
    pub fn broken(&mut self, why: String) {
        self.broken.get_or_insert(why);
    }

    /// Whether Node's final counts agree with the events: a pass count the events do not
    /// add up to means events were lost or invented.
    fn summary_disagrees(&self) -> Option<String> {
        let passed = self.tests.iter().filter(|t| t.status == TestStatus::Pass).count() as f64;
        // Node reports its counts before the end; a run that ended without them lost
        // events, or had them invented.
        let Some(reported) = self.summary.iter().find(|(k, _)| k == "pass").map(|(_, v)| *v) else {
            return Some("the run ended without Node's final counts".to_string());
        };
        (reported != passed).then(|| format!("Node counted {reported} passing tests but {passed} were reported"))
    }

    pub fn has_failures(&self) -> bool {
        self.tests.iter().any(|t| t.status == TestStatus::Fail)
    }

    fn finish(&mut self, name: &str) {
        if let Some(i) = self.running.iter().rposition(|n| n == name) {
            self.running.remove(i);
        }
    }
}

/// How the process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    /// We stopped waiting before the process was reaped (it is being killed).
    Unknown,
}

#[derive(Clone)]
pub struct Ending {
    pub exit: Exit,
    pub timed_out: bool,
    /// Set to the limit when the run was stopped for using more memory than it.
    pub memory_limit_hit: Option<u64>,
    pub deadline: Duration,
    pub output: Output,
    pub duration: Duration,
}

pub fn verdict(
    exercise: &str,
    exercise_dir: &str,
    collected: Collector,
    ending: Ending,
    manifest: Option<&Manifest>,
) -> Report {
    let summary_disagrees = collected.summary_disagrees();
    let Collector { mut tests, escaped, running, ended, reported, summary: _, broken } = collected;
    let unfinished_test = running.last().cloned();
    let failed = tests.iter().any(|t| t.status == TestStatus::Fail);
    let output_location = || find_location(&ending.output.text, exercise_dir);
    let problem = |message: String| Some(Problem { message, location: None, fix: None });

    let (mut status, mut problem) = if let Some(why) = broken {
        let message = format!(
            "the grade cannot be trusted: {why}. Something in the run interfered with roadmap's reporter; grading does not count this run"
        );
        (Status::Error, problem(message))
    } else if let Some(limit) = ending.memory_limit_hit {
        let message = format!(
            "stopped for using more than {} MiB of memory (all processes of the run together): look for data that grows without bound, such as an array or a cache that is never trimmed, or reading a whole stream into memory",
            limit / (1024 * 1024)
        );
        (Status::Memory, problem(message))
    } else if ending.timed_out {
        let what = unfinished_test.as_deref().map(|t| format!(" while running `{t}`")).unwrap_or_default();
        let message = format!(
            "stopped after {}{what}: look for an infinite loop, or a promise or callback that never completes",
            humantime::format_duration(ending.deadline)
        );
        (Status::Timeout, Some(Problem { message, location: None, fix: None }))
    } else if ending.output.text.contains("bad option: --test-force-exit") {
        let message =
            "this Node.js is too old: roadmap needs Node.js 20.14 or newer (`node --version` shows yours)".to_string();
        (Status::Error, Some(Problem { message, location: None, fix: None }))
    } else if let Some(error) = escaped {
        let message =
            format!("an exception escaped your code (it would crash a real server): {}", first_line(&error.message));
        (Status::Error, Some(Problem { message, location: error.location.clone(), fix: None }))
    } else if !ended {
        let message = match (ending.exit, tests.is_empty(), &unfinished_test) {
            (Exit::Code(code), true, None) if code != 1 => {
                format!(
                    "the process exited with code {code} before the suite finished (does your code call process.exit()?)"
                )
            }
            (Exit::Code(_), true, None) => match error_line(&ending.output.text) {
                Some(line) if line.starts_with("SyntaxError") => {
                    format!("your code failed to load: {line}")
                }
                Some(line) => {
                    format!("an exception escaped your code and crashed the process: {line}")
                }
                None => "the suite stopped before any test ran".to_string(),
            },
            (Exit::Code(code), _, Some(test)) => {
                format!(
                    "the process exited with code {code} while `{test}` was running (does your code call process.exit()?)"
                )
            }
            (Exit::Code(code), _, None) => {
                format!("the process exited with code {code} before the suite finished")
            }
            (Exit::Signal(signal), _, _) => format!("the process was killed by signal {signal}"),
            (Exit::Unknown, _, _) => "the process ended without finishing the suite".to_string(),
        };
        (Status::Error, Some(Problem { message, location: output_location(), fix: None }))
    } else if tests.is_empty() {
        (Status::Error, Some(Problem { message: "the suite reported no tests".to_string(), location: None, fix: None }))
    } else if failed {
        (Status::Fail, None)
    } else if matches!(ending.exit, Exit::Code(0)) {
        (Status::Pass, None)
    } else {
        let message = format!("every test passed but the process ended with {:?}", ending.exit);
        (Status::Error, Some(Problem { message, location: output_location(), fix: None }))
    };

    // A run that finished is held to the suite's own list of tests and to Node's counts.
    if ended && matches!(status, Status::Pass | Status::Fail) {
        let mismatch = manifest.map(|m| m.compare(&reported)).filter(|m| !m.is_empty());
        if let Some(why) = summary_disagrees {
            status = Status::Error;
            problem =
                Some(Problem { message: format!("the grade cannot be trusted: {why}"), location: None, fix: None });
        } else if let Some(mismatch) = mismatch {
            if mismatch.is_forgery() || status == Status::Pass {
                status = Status::Error;
                problem = Some(Problem {
                    message: format!("the run does not match its suite: {}", mismatch.describe()),
                    location: None,
                    fix: None,
                });
            }
            // Tests that never reported did not pass: they count as failed.
            for name in mismatch.missing {
                tests.push(TestResult {
                    name,
                    status: TestStatus::Fail,
                    duration: Duration::ZERO,
                    failure: Some(Failure {
                        message: "not run: the suite stopped before this test reported".to_string(),
                        ..Failure::default()
                    }),
                });
            }
        }
    }

    Report {
        exercise: exercise.to_string(),
        status,
        tests,
        problem,
        unfinished_test: if status == Status::Pass { None } else { unfinished_test },
        output: ending.output,
        duration: ending.duration,
        regressions: Vec::new(),
        containment: None,
    }
}

/// The verdict of a `command` runner: its tests come from the declared results (the exit
/// code, TAP or JUnit), not from roadmap's reporter.
pub fn from_command(exercise: &str, results: &Results, run_dir: &Path, ending: Ending) -> Report {
    let mut report = Report {
        exercise: exercise.to_string(),
        status: Status::Pass,
        tests: Vec::new(),
        problem: None,
        unfinished_test: None,
        output: ending.output.clone(),
        duration: ending.duration,
        regressions: Vec::new(),
        containment: None,
    };
    let problem = |message: String| Some(Problem { message, location: None, fix: None });
    if let Some(limit) = ending.memory_limit_hit {
        report.status = Status::Memory;
        report.problem = problem(format!("stopped for using more than {} MiB of memory", limit / (1024 * 1024)));
        return report;
    }
    if ending.timed_out {
        report.status = Status::Timeout;
        report.problem = problem(format!("stopped after {}", humantime::format_duration(ending.deadline)));
        return report;
    }
    let code = match ending.exit {
        Exit::Code(code) => code,
        Exit::Signal(signal) => {
            report.status = Status::Error;
            report.problem = problem(format!("the command was killed by signal {signal}"));
            return report;
        }
        Exit::Unknown => -1,
    };
    let read = |file: &str| {
        std::fs::read_to_string(run_dir.join(file)).map_err(|e| format!("the command wrote no {file} ({e})"))
    };
    let tests = match results {
        Results::ExitCode => Ok(vec![TestResult {
            name: "the checks pass".to_string(),
            status: if code == 0 { TestStatus::Pass } else { TestStatus::Fail },
            duration: ending.duration,
            failure: (code != 0).then(|| Failure {
                message: format!("the command exited with code {code}; its output says why"),
                ..Failure::default()
            }),
        }]),
        Results::Tap(None) => Ok(results::from_tap(&ending.output.text)),
        Results::Tap(Some(file)) => read(file).map(|text| results::from_tap(&text)),
        Results::Junit(file) => read(file).and_then(|xml| results::from_junit(&xml)),
    };
    match tests {
        Err(message) => {
            report.status = Status::Error;
            report.problem = problem(message);
        }
        Ok(tests) if tests.is_empty() => {
            report.status = Status::Error;
            report.problem = problem(format!("the command reported no tests (it exited with code {code})"));
        }
        Ok(tests) => {
            let failed = tests.iter().any(|t| t.status == TestStatus::Fail);
            report.tests = tests;
            if failed {
                report.status = Status::Fail;
            } else if code != 0 {
                report.status = Status::Error;
                report.problem = problem(format!("every test passed but the command exited with code {code}"));
            }
        }
    }
    report
}

fn failure_from(error: ErrorInfo) -> Failure {
    let mut message = error.message;
    if error.kind == "testTimeoutFailure" {
        message = format!("{message} (a promise that never settles, or a callback that is never called?)");
    } else if error.kind == "cancelledByParent" {
        message = "not run: the test around it failed or timed out first".to_string();
    }
    if let Some(name) = error.error_name.filter(|n| !message.starts_with(n.as_str())) {
        message = format!("{name}: {message}");
    }
    Failure { message, expected: error.expected, actual: error.actual, location: error.location, stack: error.stack }
}

fn millis(ms: f64) -> Duration {
    Duration::from_secs_f64((ms.max(0.0)) / 1000.0)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

/// The line of Node's crash output that names the error, like `SyntaxError: Unexpected token`.
fn error_line(output: &str) -> Option<String> {
    output
        .lines()
        .map(str::trim)
        .find(|line| {
            let head = line.split(':').next().unwrap_or("");
            !head.is_empty()
                && !head.contains(' ')
                && (head.ends_with("Error") || head == "Error" || head.ends_with("Exception"))
        })
        .map(str::to_string)
}

/// The first `file:line[:column]` inside the exercise folder mentioned in `text`.
pub fn find_location(text: &str, exercise_dir: &str) -> Option<String> {
    let prefix = format!("{}/", exercise_dir.trim_end_matches('/'));
    let mut rest = text;
    while let Some(at) = rest.find(&prefix) {
        let after = &rest[at + prefix.len()..];
        let end = after.find(|c: char| c.is_whitespace() || c == ')').unwrap_or(after.len());
        let candidate = &after[..end];
        if !candidate.starts_with("node_modules/")
            && candidate.split(':').nth(1).is_some_and(|l| l.parse::<u32>().is_ok())
        {
            return Some(candidate.to_string());
        }
        rest = after;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ending(exit: Exit, output: &str) -> Ending {
        Ending {
            exit,
            timed_out: false,
            memory_limit_hit: None,
            deadline: Duration::from_secs(10),
            output: Output { text: output.to_string(), truncated_bytes: 0 },
            duration: Duration::from_millis(120),
        }
    }

    fn fail(name: &str, kind: &str) -> ReporterEvent {
        ReporterEvent::Fail {
            name: name.into(),
            duration_ms: 2.0,
            suite: false,
            error: ErrorInfo {
                kind: kind.into(),
                message: "boom".into(),
                location: Some("a.js:3:9".into()),
                ..Default::default()
            },
        }
    }

    /// Collects `events` as the reporter sends them: Node's pass count comes before the
    /// end, unless the events give one of their own.
    fn collect(events: Vec<ReporterEvent>) -> Collector {
        let mut c = Collector::default();
        let counted = events.iter().any(|e| matches!(e, ReporterEvent::Summary { .. }));
        for e in events {
            if matches!(e, ReporterEvent::End) && !counted {
                let passed = c.tests.iter().filter(|t| t.status == TestStatus::Pass).count();
                c.push(ReporterEvent::Summary { key: "pass".into(), value: passed as f64 });
            }
            c.push(e);
        }
        c
    }

    #[test]
    fn all_passing_and_a_clean_exit_is_a_pass() {
        let c = collect(vec![ReporterEvent::Pass { name: "a".into(), duration_ms: 1.0 }, ReporterEvent::End]);
        let r = verdict("x", "/ex", c, ending(Exit::Code(0), ""), None);
        assert_eq!(r.status, Status::Pass);
        assert_eq!(r.passed(), 1);
    }

    #[test]
    fn a_failing_test_is_a_fail() {
        let c = collect(vec![
            ReporterEvent::Pass { name: "a".into(), duration_ms: 1.0 },
            fail("b", "testCodeFailure"),
            ReporterEvent::End,
        ]);
        let r = verdict("x", "/ex", c, ending(Exit::Code(1), ""), None);
        assert_eq!(r.status, Status::Fail);
        assert_eq!(r.first_failure().unwrap().name, "b");
    }

    #[test]
    fn an_escaped_exception_is_an_error_with_its_location() {
        let c = collect(vec![fail("b", "uncaughtException"), ReporterEvent::End]);
        let r = verdict("x", "/ex", c, ending(Exit::Code(1), ""), None);
        assert_eq!(r.status, Status::Error);
        assert_eq!(r.problem.unwrap().location.as_deref(), Some("a.js:3:9"));
    }

    #[test]
    fn a_load_failure_quotes_the_error_and_where_it_is() {
        let out = "file:///ex/m.js:2\n  retrun 1\n  ^^^^^^\n\nSyntaxError: Unexpected number\n    at ModuleLoader (node:internal)\n";
        let crash = "file:///ex/m.js:5\nTypeError: x is not a function\n";
        let r = verdict("x", "/ex", Collector::default(), ending(Exit::Code(1), crash), None);
        assert!(
            r.problem.unwrap().message.starts_with("an exception escaped your code and crashed the process: TypeError")
        );
        let r = verdict("x", "/ex", Collector::default(), ending(Exit::Code(1), out), None);
        assert_eq!(r.status, Status::Error);
        let p = r.problem.unwrap();
        assert_eq!(p.message, "your code failed to load: SyntaxError: Unexpected number");
        assert_eq!(p.location.as_deref(), Some("m.js:2"));
    }

    #[test]
    fn exiting_mid_test_names_the_test_and_the_code() {
        let c = collect(vec![ReporterEvent::Start { name: "counts".into() }]);
        let r = verdict("x", "/ex", c, ending(Exit::Code(3), ""), None);
        assert_eq!(r.status, Status::Error);
        assert!(r.problem.unwrap().message.contains("exited with code 3 while `counts` was running"));
        assert_eq!(r.unfinished_test.as_deref(), Some("counts"));
    }

    #[test]
    fn a_timeout_names_the_running_test() {
        let c = collect(vec![
            ReporterEvent::Pass { name: "a".into(), duration_ms: 1.0 },
            ReporterEvent::Start { name: "loops".into() },
        ]);
        let mut e = ending(Exit::Signal(9), "");
        e.timed_out = true;
        let r = verdict("x", "/ex", c, e, None);
        assert_eq!(r.status, Status::Timeout);
        assert!(r.problem.as_ref().unwrap().message.contains("stopped after 10s while running `loops`"));
        assert_eq!(r.passed(), 1);
    }

    #[test]
    fn no_tests_is_an_error_not_a_pass() {
        let r = verdict("x", "/ex", collect(vec![ReporterEvent::End]), ending(Exit::Code(0), ""), None);
        assert_eq!(r.status, Status::Error);
    }

    #[test]
    fn suite_blocks_failing_because_of_children_are_not_counted() {
        let mut c = Collector::default();
        c.push(fail("a", "testCodeFailure"));
        let suite = ReporterEvent::Fail {
            name: "group".into(),
            duration_ms: 1.0,
            suite: true,
            error: ErrorInfo { kind: "subtestsFailed".into(), ..Default::default() },
        };
        assert!(c.push(suite).is_none());
        assert_eq!(c.tests.len(), 1);
    }

    fn pass(name: &str) -> ReporterEvent {
        ReporterEvent::Pass { name: name.into(), duration_ms: 1.0 }
    }

    fn manifest(names: &[&str]) -> Manifest {
        Manifest { tests: names.iter().map(|n| n.to_string()).collect(), ..Manifest::default() }
    }

    #[test]
    fn a_broken_channel_is_an_error_even_when_every_test_passed() {
        let mut c = collect(vec![pass("a"), pass("b"), ReporterEvent::End]);
        c.broken("a forged line".into());
        let r = verdict("x", "/ex", c, ending(Exit::Code(0), ""), Some(&manifest(&["a", "b"])));
        assert_eq!(r.status, Status::Error);
        assert!(r.problem.unwrap().message.contains("cannot be trusted: a forged line"));
    }

    #[test]
    fn extra_or_duplicated_tests_are_an_error_whether_the_run_passed_or_failed() {
        let m = manifest(&["a", "b"]);
        let extra = collect(vec![pass("a"), pass("b"), pass("c"), ReporterEvent::End]);
        let r = verdict("x", "/ex", extra, ending(Exit::Code(0), ""), Some(&m));
        assert_eq!(r.status, Status::Error);
        assert!(r.problem.unwrap().message.contains("not in the suite were reported: `c`"));

        let extra_failing = collect(vec![fail("a", "testCodeFailure"), pass("b"), pass("c"), ReporterEvent::End]);
        let r = verdict("x", "/ex", extra_failing, ending(Exit::Code(1), ""), Some(&m));
        assert_eq!(r.status, Status::Error);

        let duplicated = collect(vec![pass("a"), pass("a"), pass("b"), ReporterEvent::End]);
        let r = verdict("x", "/ex", duplicated, ending(Exit::Code(0), ""), Some(&m));
        assert_eq!(r.status, Status::Error);
        assert!(r.problem.unwrap().message.contains("reported twice: `a`"));
    }

    #[test]
    fn missing_tests_make_a_passing_run_an_error_and_are_listed_as_failed() {
        let c = collect(vec![pass("a"), ReporterEvent::End]);
        let r = verdict("x", "/ex", c, ending(Exit::Code(0), ""), Some(&manifest(&["a", "b", "c"])));
        assert_eq!(r.status, Status::Error);
        assert!(r.problem.as_ref().unwrap().message.contains("never reported: `b`, `c`"));
        let failed: Vec<&str> =
            r.tests.iter().filter(|t| t.status == TestStatus::Fail).map(|t| t.name.as_str()).collect();
        assert_eq!(failed, ["b", "c"]);
        assert_eq!(r.passed(), 1);
    }

    #[test]
    fn an_end_without_nodes_counts_is_an_error() {
        let mut c = Collector::default();
        c.push(pass("a"));
        c.push(ReporterEvent::End);
        let r = verdict("x", "/ex", c, ending(Exit::Code(0), ""), None);
        assert_eq!(r.status, Status::Error);
        assert!(r.problem.unwrap().message.contains("without Node's final counts"));
    }

    #[test]
    fn a_pass_count_that_disagrees_with_the_events_is_an_error() {
        let c = collect(vec![
            pass("a"),
            fail("b", "testCodeFailure"),
            ReporterEvent::Summary { key: "pass".into(), value: 2.0 },
            ReporterEvent::End,
        ]);
        let r = verdict("x", "/ex", c, ending(Exit::Code(1), ""), None);
        assert_eq!(r.status, Status::Error);
        assert!(r.problem.unwrap().message.contains("Node counted 2 passing tests but 1 were reported"));

        let agrees = collect(vec![
            pass("a"),
            pass("b"),
            ReporterEvent::Summary { key: "pass".into(), value: 2.0 },
            ReporterEvent::End,
        ]);
        let r = verdict("x", "/ex", agrees, ending(Exit::Code(0), ""), None);
        assert_eq!(r.status, Status::Pass);
    }

    #[test]
    fn locations_skip_node_modules_and_need_a_line() {
        let text = "at x (/ex/node_modules/y/i.js:1:1)\n at /ex/README.md and (/ex/lib/a.js:10:4)";
        assert_eq!(find_location(text, "/ex").as_deref(), Some("lib/a.js:10:4"));
        assert_eq!(find_location("nothing here", "/ex"), None);
    }
}
