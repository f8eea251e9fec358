//! Points: what a graded exercise earns. Each exercise (and each project stage) is worth
//! the points `curriculum.toml` gives it, with partial credit per passing test.
use crate::curriculum::Exercise;
use crate::manifest::Manifest;
use crate::report::{Report, Status, TestResult, TestStatus};

/// One graded exercise with its points.
#[derive(Debug, Clone)]
pub struct Scored {
    pub exercise: Exercise,
    /// 1-based position in the course: the task id of JSON results.
    pub task_id: usize,
    pub report: Report,
    pub earned: f64,
    pub possible: u32,
    pub passed: usize,
    pub total: usize,
    /// Tests the untouched starter passes already: they earn no points.
    pub free_tests: Vec<String>,
    /// What a teacher may want to review: learner code that reaches for the grader.
    pub flags: Vec<String>,
    /// The source of each test, by name, where it could be found (`test_code`).
    pub code: std::collections::BTreeMap<String, String>,
}

impl Scored {
    /// Scores `report`. With the suite's manifest, tests the untouched starter already
    /// passes earn nothing: points come from the work the learner did.
    pub fn new(exercise: Exercise, task_id: usize, report: Report, manifest: Option<&Manifest>) -> Scored {
        let prefix = stage_prefix(&exercise);
        let free = |t: &&TestResult| {
            manifest.is_some_and(|m| {
                let name = prefix.as_deref().and_then(|p| t.name.strip_prefix(p)).unwrap_or(&t.name);
                m.starter_passes.contains(name)
            })
        };
        let free_tests: Vec<String> = own_tests(&exercise, &report).filter(free).map(|t| t.name.clone()).collect();
        let own: Vec<&TestResult> = own_tests(&exercise, &report).filter(|t| !free(t)).collect();
        let passed = own.iter().filter(|t| t.status == TestStatus::Pass).count();
        let total = own.len();
        let possible = exercise.points;
        let earned = match report.status {
            Status::Pass => f64::from(possible),
            Status::NeedsService => 0.0,
            _ if total == 0 => 0.0,
            _ => round2(f64::from(possible) * passed as f64 / total as f64),
        };
        Scored {
            exercise,
            task_id,
            report,
            earned,
            possible,
            passed,
            total,
            free_tests,
            flags: Vec::new(),
            code: Default::default(),
        }
    }

    /// The points one passing test of this exercise is worth.
    pub fn per_test(&self) -> f64 {
        if self.total == 0 { 0.0 } else { round2(f64::from(self.possible) / self.total as f64) }
    }

    pub fn is_own(&self, test: &TestResult) -> bool {
        is_own(&self.exercise, test)
    }

    /// Whether `test` passing earns points.
    pub fn earns(&self, test: &TestResult) -> bool {
        self.is_own(test) && test.status == TestStatus::Pass && !self.free_tests.contains(&test.name)
    }
}

/// The tests that belong to the exercise itself: for a project stage, its own suite's
/// (the earlier stages' tests ran as regression checks and earn their own stages' points).
fn own_tests<'a>(exercise: &'a Exercise, report: &'a Report) -> impl Iterator<Item = &'a TestResult> {
    report.tests.iter().filter(move |t| is_own(exercise, t))
}

fn is_own(exercise: &Exercise, test: &TestResult) -> bool {
    match &exercise.stage {
        Some(stage) => test.name.starts_with(&format!("stage {} · ", stage.number)),
        None => true,
    }
}

/// What a stage's own tests are prefixed with in its merged report (see
/// `grade::merge_stages`): `stage N · Title › `.
pub fn stage_prefix(exercise: &Exercise) -> Option<String> {
    exercise.stage.as_ref().map(|s| format!("stage {} · {} › ", s.number, exercise.title))
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Totals {
    pub earned: f64,
    pub possible: u32,
    pub passing: usize,
    pub count: usize,
}

pub fn totals(scored: &[Scored]) -> Totals {
    Totals {
        earned: round2(scored.iter().map(|s| s.earned).sum()),
        possible: scored.iter().map(|s| s.possible).sum(),
        passing: scored.iter().filter(|s| s.report.status.is_pass()).count(),
        count: scored.len(),
    }
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `12.5` or `10`: points as people write them.
pub fn fmt_points(x: f64) -> String {
    let s = format!("{:.2}", round2(x));
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curriculum::{Kind, Stage};
    use crate::report::Output;
    use std::time::Duration;

    fn exercise(points: u32, stage: Option<Stage>) -> Exercise {
        Exercise {
            id: "x".into(),
            phase: "p".into(),
            title: "X".into(),
            kind: Kind::Exercise,
            files: vec![],
            services: vec![],
            timeout: Duration::from_secs(1),
            memory: crate::runner::DEFAULT_MEMORY,
            points,
            hints: vec!["h".into()],
            stage,
            runner: crate::curriculum::Runner::Node,
        }
    }

    fn report(status: Status, results: &[(&str, bool)]) -> Report {
        Report {
            exercise: "x".into(),
            status,
            tests: results
                .iter()
                .map(|(name, pass)| TestResult {
                    name: (*name).into(),
                    status: if *pass { TestStatus::Pass } else { TestStatus::Fail },
                    duration: Duration::ZERO,
                    failure: None,
                })
                .collect(),
            problem: None,
            unfinished_test: None,
            output: Output::default(),
            duration: Duration::ZERO,
            regressions: vec![],
            containment: None,
        }
    }

    #[test]
    fn partial_credit_per_passing_test() {
        let s =
            Scored::new(exercise(10, None), 1, report(Status::Fail, &[("a", true), ("b", false), ("c", true)]), None);
        assert_eq!((s.earned, s.passed, s.total), (6.67, 2, 3));
        assert_eq!(s.per_test(), 3.33);
        assert_eq!(Scored::new(exercise(10, None), 1, report(Status::Pass, &[("a", true)]), None).earned, 10.0);
        assert_eq!(Scored::new(exercise(10, None), 1, report(Status::NeedsService, &[]), None).earned, 0.0);
    }

    #[test]
    fn a_stage_earns_from_its_own_tests_only() {
        let stage = Stage {
            project: "p".into(),
            project_title: "P".into(),
            number: 2,
            count: 2,
            id: "b".into(),
            earlier: vec![],
        };
        let r = report(
            Status::Fail,
            &[("stage 2 · B › one", true), ("stage 2 · B › two", true), ("stage 1 · A › old", false)],
        );
        let s = Scored::new(exercise(50, Some(stage)), 2, r, None);
        assert_eq!((s.earned, s.passed, s.total), (50.0, 2, 2));
    }

    #[test]
    fn tests_the_starter_already_passes_earn_nothing() {
        let mut manifest =
            Manifest { tests: vec!["exports".into(), "adds".into(), "rounds".into()], ..Default::default() };
        manifest.starter_passes.insert("exports".into());
        let untouched = report(Status::Fail, &[("exports", true), ("adds", false), ("rounds", false)]);
        let s = Scored::new(exercise(10, None), 1, untouched, Some(&manifest));
        assert_eq!((s.earned, s.passed, s.total), (0.0, 0, 2));
        let half = report(Status::Fail, &[("exports", true), ("adds", true), ("rounds", false)]);
        assert_eq!(Scored::new(exercise(10, None), 1, half, Some(&manifest)).earned, 5.0);
    }

    #[test]
    fn totals_and_formatting() {
        let a = Scored::new(exercise(10, None), 1, report(Status::Pass, &[("a", true)]), None);
        let b = Scored::new(exercise(30, None), 2, report(Status::Fail, &[("a", true), ("b", false)]), None);
        let t = totals(&[a, b]);
        assert_eq!((t.earned, t.possible, t.passing, t.count), (25.0, 40, 1, 2));
        assert_eq!(fmt_points(25.0), "25");
        assert_eq!(fmt_points(6.666), "6.67");
        assert_eq!(fmt_points(12.5), "12.5");
    }
}
