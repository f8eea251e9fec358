//! The outputs of `roadmap grade` for machines and CI systems: JSON in the shape of
//! Exercism's test-runner results (version 3) extended with points, JUnit XML, and a
//! Markdown summary for `$GITHUB_STEP_SUMMARY`. Each renders the same scored reports.
use std::fmt::Write as _;

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};
use serde_json::{Value, json};

use crate::report::{Status, TestStatus};
use crate::score::{Scored, Totals, fmt_points};

fn message_of(s: &Scored) -> Option<String> {
    s.report.problem.as_ref().map(|p| match (&p.location, &p.fix) {
        (Some(at), _) => format!("{} (at {at})", p.message),
        (None, Some(fix)) => format!("{} — fix: {fix}", p.message),
        (None, None) => p.message.clone(),
    })
}

fn failure_text(test: &crate::report::TestResult) -> Option<String> {
    let f = test.failure.as_ref()?;
    let mut text = f.message.clone();
    if let (Some(e), Some(a)) = (&f.expected, &f.actual) {
        let _ = write!(text, "\nexpected: {e}\nactual:   {a}");
    }
    if let Some(at) = &f.location {
        let _ = write!(text, "\nat {at}");
    }
    Some(text)
}

/// Exercism test-runner results, version 3, with points per test, per exercise and in
/// total, and the exercises alongside the flat list of tests.
pub fn json(scored: &[Scored], totals: &Totals) -> String {
    let mut all_tests = Vec::new();
    let mut exercises = Vec::new();
    for s in scored {
        let mut tests: Vec<Value> = s
            .report
            .tests
            .iter()
            .map(|t| {
                json!({
                    "name": format!("{} › {}", s.exercise.id, t.name),
                    "status": match t.status { TestStatus::Pass => "pass", TestStatus::Fail => "fail" },
                    "message": failure_text(t),
                    "test_code": s.code.get(&t.name),
                    // Suites run in one process, so output cannot be told apart per test.
                    "output": Value::Null,
                    "task_id": s.task_id,
                    "points": if s.earns(t) { s.per_test() } else { 0.0 },
                    "duration_ms": t.duration.as_secs_f64() * 1000.0,
                })
            })
            .collect();
        if !matches!(s.report.status, Status::Pass | Status::Fail) {
            // The suite did not run to the end: say so as a test, so it is never silent.
            tests.push(json!({
                "name": format!("{} › (the suite)", s.exercise.id),
                "status": "error",
                "message": message_of(s),
                "output": Value::Null,
                "task_id": s.task_id,
                "points": 0.0,
            }));
        }
        all_tests.extend(tests.iter().cloned());
        exercises.push(json!({
            "id": s.exercise.id,
            "title": s.exercise.title,
            "phase": s.exercise.phase,
            "task_id": s.task_id,
            "status": s.report.status.label(),
            "message": message_of(s),
            "output": if s.report.output.text.is_empty() { Value::Null } else { Value::String(s.report.output.text.clone()) },
            "points": { "earned": s.earned, "possible": s.possible },
            "tests_passed": s.passed,
            "tests_total": s.total,
            "regressions": s.report.regressions,
            "flags": s.flags,
            "containment": s.report.containment,
            "duration_ms": s.report.duration.as_secs_f64() * 1000.0,
            "tests": tests,
        }));
    }
    let status = if totals.passing == totals.count { "pass" } else { "fail" };
    let value = json!({
        "version": 3,
        "status": status,
        "message": Value::Null,
        "points": { "earned": totals.earned, "possible": totals.possible },
        "exercises_passing": totals.passing,
        "exercises_total": totals.count,
        "tests": all_tests,
        "exercises": exercises,
    });
    serde_json::to_string_pretty(&value).expect("JSON values serialise")
}

/// JUnit XML: a test suite per exercise, a test case per test; a suite that could not
/// run to the end gets an `error` case carrying the reason.
pub fn junit(scored: &[Scored]) -> String {
    let mut report = quick_junit::Report::new("roadmap");
    for s in scored {
        let mut suite = TestSuite::new(s.exercise.id.as_str());
        suite.add_property(Property::new("title", s.exercise.title.as_str()));
        suite.add_property(Property::new("status", s.report.status.label()));
        suite.add_property(Property::new("points-earned", fmt_points(s.earned)));
        suite.add_property(Property::new("points-possible", s.possible.to_string()));
        suite.set_time(s.report.duration);
        for t in &s.report.tests {
            let status = match t.status {
                TestStatus::Pass => TestCaseStatus::success(),
                TestStatus::Fail => {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    let f = t.failure.clone().unwrap_or_default();
                    status.set_message(f.message.lines().next().unwrap_or("failed"));
                    if let Some(text) = failure_text(t) {
                        status.set_description(text);
                    }
                    status
                }
            };
            let mut case = TestCase::new(t.name.as_str(), status);
            case.set_classname(s.exercise.id.as_str());
            case.set_time(t.duration);
            suite.add_test_case(case);
        }
        if !matches!(s.report.status, Status::Pass | Status::Fail) {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(message_of(s).unwrap_or_else(|| s.report.status.label().to_string()));
            status.set_type(s.report.status.label());
            let mut case = TestCase::new("(the suite)", status);
            case.set_classname(s.exercise.id.as_str());
            suite.add_test_case(case);
        }
        if !s.report.output.text.is_empty() {
            suite.set_system_out(s.report.output.text.as_str());
        }
        report.add_test_suite(suite);
    }
    report.to_string().expect("JUnit XML serialises")
}

/// A Markdown summary fit for `$GITHUB_STEP_SUMMARY`.
pub fn markdown(scored: &[Scored], totals: &Totals) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Roadmap: {} / {} points\n", fmt_points(totals.earned), totals.possible);
    let _ = writeln!(out, "{} of {} exercises pass.\n", totals.passing, totals.count);
    out.push_str("| | Exercise | Phase | Tests | Points |\n|---|---|---|---|---|\n");
    for s in scored {
        let mark = match s.report.status {
            Status::Pass => "✅",
            Status::Fail => "❌",
            Status::Error => "⚠️",
            Status::Timeout => "⏱️",
            Status::Memory => "🧠",
            Status::NeedsService => "🔌",
        };
        let _ = writeln!(
            out,
            "| {mark} | `{}` {} | {} | {}/{} | {}/{} |",
            s.exercise.id,
            escape(&s.exercise.title),
            s.exercise.phase,
            s.passed,
            s.total,
            fmt_points(s.earned),
            s.possible
        );
    }
    let failing: Vec<&Scored> = scored.iter().filter(|s| !s.report.status.is_pass()).collect();
    if !failing.is_empty() {
        out.push_str("\n<details><summary>What to fix</summary>\n\n");
        for s in failing {
            let reason = message_of(s)
                .or_else(|| {
                    s.report.first_failure().map(|t| format!("{}: {}", t.name, failure_text(t).unwrap_or_default()))
                })
                .unwrap_or_default();
            let first = reason.lines().next().unwrap_or("");
            let _ = writeln!(out, "- `{}` ({}): {}", s.exercise.id, s.report.status.label(), escape(first));
        }
        out.push_str("\n</details>\n");
    }
    let flagged: Vec<&Scored> = scored.iter().filter(|s| !s.flags.is_empty()).collect();
    if !flagged.is_empty() {
        out.push_str("\n<details><summary>Flagged for review: code that reaches for the grader</summary>\n\n");
        for s in flagged {
            for flag in &s.flags {
                let _ = writeln!(out, "- `{}`: {}", s.exercise.id, escape(flag));
            }
        }
        out.push_str("\n</details>\n");
    }
    let _ = writeln!(out, "\n**Points {}/{}**", fmt_points(totals.earned), totals.possible);
    out
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('<', "&lt;")
}

/// The human summary: one line per exercise, the points last.
pub fn human(scored: &[Scored], totals: &Totals) -> String {
    let width = scored.iter().map(|s| s.exercise.id.len()).max().unwrap_or(10);
    let mut out = String::new();
    for s in scored {
        let mark = match s.report.status {
            Status::Pass => "✓",
            Status::NeedsService => "◆",
            _ => "✗",
        };
        let _ = write!(
            out,
            "{mark} {:width$}  {:>3}/{:<3} tests  {:>6}/{:<3} points  {}",
            s.exercise.id,
            s.passed,
            s.total,
            fmt_points(s.earned),
            s.possible,
            s.report.status.label()
        );
        if let Some(message) = message_of(s) {
            let _ = write!(out, ": {}", message.lines().next().unwrap_or(""));
        } else if let Some(t) = s.report.first_failure() {
            let _ = write!(out, ": {}", t.name);
        }
        out.push('\n');
        for flag in &s.flags {
            let _ = writeln!(out, "  ⚑ flagged for review: {flag}");
        }
    }
    let _ = writeln!(out, "\n{} of {} exercises pass.", totals.passing, totals.count);
    out
}
