//! Every screen as an `insta` snapshot of ratatui's `TestBackend`. Each snapshot ends
//! with a fingerprint of the cells' styles, so a colour regression fails too.
use std::sync::Arc;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::{Theme, draw};
use crate::curriculum::{Course, CourseFiles, parse};
use crate::progress::{Progress, State};
use crate::report::{Failure, Output, Problem, Report, Status, TestResult, TestStatus};
use crate::watch::state::{self, AppState, Event, Key, Overlay, RunState};

const COURSE: &str = r#"
format = 1
[[phase]]
id = "00-prerequisites"
title = "Prerequisites"
goal = "JavaScript, HTTP and JSON, solid enough to build on"
reading = [{ title = "p-retry", url = "https://github.com/sindresorhus/p-retry", why = "a small retry with backoff" }]
[[phase]]
id = "01-node-core"
title = "Node.js core"
goal = "Understand the runtime deeply"

[[exercise]]
id = "closures-counter"
phase = "00-prerequisites"
title = "Counters, once and memoize"
files = ["counter.js"]
hints = ["Each call of createCounter makes a fresh closure.", "Keep a separate `done` flag in once."]

[[exercise]]
id = "json-revive"
phase = "00-prerequisites"
title = "Safe JSON with a reviver"
files = ["json.js"]
hints = ["Check the size in bytes first."]

[[exercise]]
id = "rest-no-db"
phase = "00-prerequisites"
title = "A REST API on node:http"
kind = "project"
files = ["server.js"]
hints = ["Route on method and path."]

[[exercise]]
id = "streams-transform"
phase = "01-node-core"
title = "Line splitter to NDJSON"
files = ["ndjson.js"]
hints = ["Keep the unfinished line between chunks."]

[[exercise]]
id = "cache-aside"
phase = "01-node-core"
title = "Cache-aside with Redis"
services = ["redis"]
files = ["cache.js"]
hints = ["Read the cache first."]
"#;

fn state() -> AppState {
    let curriculum = parse("curriculum.toml", COURSE).expect("the test course parses");
    let course = Arc::new(Course { files: CourseFiles::Embedded, curriculum, check_manifests: true });
    let mut s = AppState::new(course, Progress::default(), 0);
    s.done_when.insert(
        "closures-counter".into(),
        vec![
            "createCounter counts from its start by its step".into(),
            "once calls fn at most once and remembers the result".into(),
        ],
    );
    s
}

fn test(name: &str, ms: u64, failure: Option<Failure>) -> TestResult {
    let status = if failure.is_some() { TestStatus::Fail } else { TestStatus::Pass };
    TestResult { name: name.into(), status, duration: Duration::from_millis(ms), failure }
}

fn report(status: Status, tests: Vec<TestResult>) -> Report {
    Report {
        exercise: "closures-counter".into(),
        status,
        tests,
        problem: None,
        unfinished_test: None,
        output: Output::default(),
        duration: Duration::from_millis(184),
        regressions: Vec::new(),
        containment: None,
    }
}

fn failing_report() -> Report {
    let failure = Failure {
        message: "memoize must key on the first argument the way a Map does".into(),
        expected: Some("{\n  calls: 1,\n  hits: 2,\n  size: 1\n}".into()),
        actual: Some("{\n  calls: 3,\n  hits: 0,\n  size: 1\n}".into()),
        location: Some("counter.js:41:12".into()),
        stack: None,
    };
    let mut r = report(
        Status::Fail,
        vec![
            test("createCounter starts at its start value", 1, None),
            test("increment and decrement move by step", 0, None),
            test("reset returns to the start value", 0, None),
            test("once returns the first result on every call", 1, None),
            test("memoize caches by the first argument", 2, Some(failure)),
            test(
                "memoize evicts the least recently used entry",
                1,
                Some(Failure { message: "expected the cache to hold 2 entries".into(), ..Default::default() }),
            ),
        ],
    );
    r.output = Output { text: "computing 1\ncomputing 1\ncomputing 1\n".into(), truncated_bytes: 0 };
    r
}

/// The screen as text, then a fingerprint of every cell's style.
fn render(state: &AppState, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(f, state, &Theme { color: true })).unwrap();
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    // FNV-1a: stable across Rust releases, unlike the standard hasher.
    let mut hash: u64 = 0xcbf29ce484222325;
    for y in 0..height {
        for x in 0..width {
            let cell = &buffer[(x, y)];
            text.push_str(cell.symbol());
            for byte in format!("{:?}{:?}{:?}", cell.fg, cell.bg, cell.modifier).bytes() {
                hash = (hash ^ u64::from(byte)).wrapping_mul(0x100000001b3);
            }
        }
        text.push('\n');
    }
    format!("{text}styles: {hash:016x}")
}

#[test]
fn exercise_view_after_a_pass() {
    let mut s = state();
    let _ = state::start(&mut s);
    let report = report(
        Status::Pass,
        vec![
            test("createCounter starts at its start value", 1, None),
            test("once returns the first result on every call", 0, None),
        ],
    );
    let _ = state::update(&mut s, Event::Finished { run: 1, report: Box::new(report) });
    insta::assert_snapshot!(render(&s, 80, 24));
}

#[test]
fn exercise_view_with_a_failure_diff_output_and_a_hint() {
    let mut s = state();
    let _ = state::start(&mut s);
    let _ = state::update(&mut s, Event::Finished { run: 1, report: Box::new(failing_report()) });
    let _ = state::update(&mut s, Event::Key(Key::Char('h')));
    insta::assert_snapshot!(render(&s, 80, 40));
}

#[test]
fn exercise_view_on_a_timeout() {
    let mut s = state();
    let _ = state::start(&mut s);
    let mut r = report(Status::Timeout, vec![test("createCounter starts at its start value", 1, None)]);
    r.problem = Some(Problem {
        message: "stopped after 10s: look for an infinite loop, or a promise or callback that never completes".into(),
        location: None,
        fix: None,
    });
    r.duration = Duration::from_secs(10);
    let _ = state::update(&mut s, Event::Finished { run: 1, report: Box::new(r) });
    insta::assert_snapshot!(render(&s, 80, 24));
}

#[test]
fn exercise_view_on_an_error_with_a_stack() {
    let mut s = state();
    let _ = state::start(&mut s);
    let mut r = report(
        Status::Error,
        vec![test(
            "createCounter starts at its start value",
            3,
            Some(Failure {
                message: "TypeError: Cannot read properties of undefined (reading 'count')".into(),
                stack: Some("TypeError: Cannot read properties of undefined (reading 'count')\n    at value (file:///ws/exercises/00-prerequisites/closures-counter/counter.js:12:20)\n    at TestContext.<anonymous> (suite.test.js:20:5)".into()),
                ..Default::default()
            }),
        )],
    );
    r.problem = Some(Problem {
        message: "an exception escaped your code (it would crash a real server): Cannot read properties of undefined"
            .into(),
        location: Some("counter.js:12:20".into()),
        fix: None,
    });
    let _ = state::update(&mut s, Event::Finished { run: 1, report: Box::new(r) });
    insta::assert_snapshot!(render(&s, 80, 24));
}

#[test]
fn exercise_view_when_a_service_is_missing() {
    let mut s = state();
    s.current = 4;
    s.needs_service.insert("cache-aside".into(), "export REDIS_URL=redis://127.0.0.1:6379".into());
    let _ = state::start(&mut s);
    let mut r = Report::needs_service(
        "cache-aside",
        "needs redis: REDIS_URL is not set".into(),
        "export REDIS_URL=redis://127.0.0.1:6379".into(),
    );
    r.exercise = "cache-aside".into();
    let _ = state::update(&mut s, Event::Finished { run: 1, report: Box::new(r) });
    insta::assert_snapshot!(render(&s, 80, 24));
}

#[test]
fn exercise_view_while_grading() {
    let mut s = state();
    let _ = state::start(&mut s);
    let _ = state::update(
        &mut s,
        Event::TestFinished { run: 1, result: test("createCounter starts at its start value", 1, None) },
    );
    let _ = state::update(
        &mut s,
        Event::TestStarted { run: 1, name: "once returns the first result on every call".into() },
    );
    insta::assert_snapshot!(render(&s, 80, 24));
}

fn mixed_progress() -> AppState {
    let mut s = state();
    s.progress.record("closures-counter", "pass", true);
    s.progress.record("json-revive", "fail", false);
    s.progress.record("streams-transform", "pass", true);
    s.needs_service.insert("cache-aside".into(), "export REDIS_URL=redis://127.0.0.1:6379".into());
    s.current = 1;
    let _ = state::update(&mut s, Event::Key(Key::Char('l')));
    s
}

#[test]
fn map_with_mixed_progress() {
    let s = mixed_progress();
    assert_eq!(s.progress.state("json-revive"), State::Failing);
    insta::assert_snapshot!(render(&s, 80, 24));
}

#[test]
fn map_with_a_search() {
    let mut s = mixed_progress();
    for key in [Key::Char('/'), Key::Char('s'), Key::Char('t'), Key::Char('r')] {
        let _ = state::update(&mut s, Event::Key(key));
    }
    insta::assert_snapshot!(render(&s, 80, 24));
}

#[test]
fn map_filtered_to_done() {
    let mut s = mixed_progress();
    let _ = state::update(&mut s, Event::Key(Key::Char('f')));
    let _ = state::update(&mut s, Event::Key(Key::Char('f')));
    insta::assert_snapshot!(render(&s, 80, 24));
}

#[test]
fn help_overlay() {
    let mut s = state();
    let _ = state::update(&mut s, Event::Key(Key::Char('?')));
    assert_eq!(s.overlay, Some(Overlay::Help));
    insta::assert_snapshot!(render(&s, 80, 24));
}

#[test]
fn reset_confirmation() {
    let mut s = state();
    let _ = state::update(&mut s, Event::Key(Key::Char('x')));
    insta::assert_snapshot!(render(&s, 80, 24));
}

#[test]
fn a_small_terminal_still_shows_the_verdict() {
    let mut s = state();
    let _ = state::start(&mut s);
    let _ = state::update(&mut s, Event::Finished { run: 1, report: Box::new(failing_report()) });
    insta::assert_snapshot!(render(&s, 60, 20));
}

#[test]
fn no_color_keeps_emphasis_but_drops_colour() {
    let mut s = state();
    let _ = state::start(&mut s);
    let _ = state::update(&mut s, Event::Finished { run: 1, report: Box::new(failing_report()) });
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| draw(f, &s, &Theme { color: false })).unwrap();
    let buffer = terminal.backend().buffer();
    let coloured = buffer
        .content()
        .iter()
        .filter(|c| c.fg != ratatui::style::Color::Reset || c.bg != ratatui::style::Color::Reset)
        .count();
    assert_eq!(coloured, 0, "NO_COLOR must not paint any cell");
    assert!(matches!(s.run, RunState::Done(_)));
}

const PROJECT_COURSE: &str = r#"
format = 1
[[phase]]
id = "12-must-build"
title = "Must-build projects"
goal = "Production systems, stage by stage"

[[project]]
id = "saas-backend"
phase = "12-must-build"
title = "Production SaaS backend"
files = ["src/app.js"]

[[project.stage]]
id = "auth"
title = "Authentication"
hints = ["Hash passwords."]

[[project.stage]]
id = "subscriptions"
title = "Subscriptions"
hints = ["Verify the webhook signature."]

[[project.stage]]
id = "rbac"
title = "Roles"
hints = ["401 vs 403."]
"#;

#[test]
fn project_stages_on_the_map_and_a_regression_in_the_exercise_view() {
    let curriculum = parse("curriculum.toml", PROJECT_COURSE).unwrap();
    let course = Arc::new(Course { files: CourseFiles::Embedded, curriculum, check_manifests: true });
    let mut s = AppState::new(course, Progress::default(), 1);
    s.progress.record("saas-backend/auth", "pass", true);
    let _ = state::start(&mut s);
    let mut r = report(
        Status::Fail,
        vec![
            test("stage 2 · Subscriptions › starts a 14-day trial", 3, None),
            test(
                "stage 1 · Authentication › rejects a wrong password with 401",
                2,
                Some(Failure { message: "expected 401\nPOST /auth/login → 500".into(), ..Default::default() }),
            ),
        ],
    );
    r.exercise = "saas-backend/subscriptions".into();
    r.regressions = vec!["stage 1 · Authentication".into()];
    let _ = state::update(&mut s, Event::Finished { run: 1, report: Box::new(r) });
    let exercise_view = render(&s, 80, 24);
    let _ = state::update(&mut s, Event::Key(Key::Char('l')));
    insta::assert_snapshot!(format!("{exercise_view}\n\n{}", render(&s, 80, 12)));
}
