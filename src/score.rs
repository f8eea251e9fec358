//! Points: what a graded exercise earns. Each exercise (and each project stage) is worth
//! the points `curriculum.toml` gives it, with partial credit per passing test.
use crate::curriculum::Exercise;
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
}

impl Scored {
    pub fn new(exercise: Exercise, task_id: usize, report: Report) -> Scored {
        let own: Vec<&TestResult> = own_tests(&exercise, &report).collect();
        let passed = own.iter().filter(|t| t.status == TestStatus::Pass).count();
        let total = own.len();
        let possible = exercise.points;
        let earned = match report.status {
            Status::Pass => f64::from(possible),
            Status::NeedsService => 0.0,
            _ if total == 0 => 0.0,
            _ => round2(f64::from(possible) * passed as f64 / total as f64),
        };
        Scored { exercise, task_id, report, earned, possible, passed, total }
    }

    /// The points one passing test of this exercise is worth.
    pub fn per_test(&self) -> f64 {
        if self.total == 0 { 0.0 } else { round2(f64::from(self.possible) / self.total as f64) }
    }

    pub fn is_own(&self, test: &TestResult) -> bool {
        is_own(&self.exercise, test)
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
        let s = Scored::new(exercise(10, None), 1, report(Status::Fail, &[("a", true), ("b", false), ("c", true)]));
        assert_eq!((s.earned, s.passed, s.total), (6.67, 2, 3));
        assert_eq!(s.per_test(), 3.33);
        assert_eq!(Scored::new(exercise(10, None), 1, report(Status::Pass, &[("a", true)])).earned, 10.0);
        assert_eq!(Scored::new(exercise(10, None), 1, report(Status::NeedsService, &[])).earned, 0.0);
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
        let s = Scored::new(exercise(50, Some(stage)), 2, r);
        assert_eq!((s.earned, s.passed, s.total), (50.0, 2, 2));
    }

    #[test]
    fn totals_and_formatting() {
        let a = Scored::new(exercise(10, None), 1, report(Status::Pass, &[("a", true)]));
        let b = Scored::new(exercise(30, None), 2, report(Status::Fail, &[("a", true), ("b", false)]));
        let t = totals(&[a, b]);
        assert_eq!((t.earned, t.possible, t.passing, t.count), (25.0, 40, 1, 2));
        assert_eq!(fmt_points(25.0), "25");
        assert_eq!(fmt_points(6.666), "6.67");
        assert_eq!(fmt_points(12.5), "12.5");
    }
}
