//! The exercise view: where the learner spends their time.
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph, Wrap};

use super::Theme;
use super::diff::{DiffLine, diff};
use crate::render::human::{display_title, phase_label};
use crate::report::{Report, Status, TestResult, TestStatus};
use crate::watch::state::{AppState, RunState, elapsed_label};

/// Output lines shown under a verdict.
const OUTPUT_LINES: usize = 6;
/// Tests listed one by one while some fail; more collapse into a count.
const PASSING_SHOWN: usize = 3;
const FAILING_SHOWN: usize = 4;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let [header, body] = Layout::vertical([Constraint::Length(3), Constraint::Min(1)]).areas(area);
    draw_header(frame, header, state, theme);
    let lines = body_lines(state, theme, body.width.saturating_sub(2) as usize);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(Block::new().borders(Borders::NONE)),
        body.inner(ratatui::layout::Margin::new(1, 0)),
    );
}

fn draw_header(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let e = state.exercise();
    let curriculum = &state.course.curriculum;
    let title = Line::from(vec![
        Span::styled(format!(" {} · ", phase_label(curriculum, &e.phase)), theme.dim()),
        Span::styled(format!("{} ", display_title(e)), theme.accent()),
    ]);
    let block = Block::new().borders(Borders::ALL).title(title).border_style(theme.dim());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (done, total) = state.overall();
    let ratio = if total == 0 { 0.0 } else { done as f64 / total as f64 };
    let label = format!("{} · {done}/{total} exercises done", e.id);
    frame.render_widget(Gauge::default().ratio(ratio).label(label).gauge_style(theme.gauge()).use_unicode(true), inner);
}

fn body_lines(state: &AppState, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    lines.extend(status_lines(state, theme));
    match &state.run {
        RunState::Running { finished, started_tests, previous, .. } => {
            if finished.is_empty() {
                if let Some(report) = previous {
                    lines.push(Line::styled("  (the last verdict, until this run reports)", theme.dim()));
                    report_lines(&mut lines, report, theme, width);
                }
            } else {
                tests_lines(&mut lines, finished, theme, false, width);
                if let Some(name) = started_tests.last().filter(|n| !finished.iter().any(|t| &&t.name == n)) {
                    lines.push(Line::from(vec![Span::styled("  … ", theme.warn()), Span::raw(name.clone())]));
                }
            }
        }
        RunState::Done(report) => report_lines(&mut lines, report, theme, width),
        RunState::Failed(_) | RunState::Idle => {}
    }
    hint_lines(&mut lines, state, theme);
    done_when_lines(&mut lines, state, theme);
    lines
}

fn status_lines(state: &AppState, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(notice) = &state.notice {
        let style =
            if state.celebrate { theme.ok().add_modifier(ratatui::style::Modifier::BOLD) } else { theme.warn() };
        lines.push(Line::styled(format!("★ {notice}"), style));
    }
    let e = state.exercise();
    let status = match &state.run {
        RunState::Idle => Line::styled("○ waiting for the first run…", theme.dim()),
        RunState::Failed(message) => Line::styled(format!("⚠ could not grade: {message}"), theme.bad()),
        RunState::Running { finished, .. } => {
            let passed = finished.iter().filter(|t| t.status == TestStatus::Pass).count();
            let failed = finished.len() - passed;
            Line::from(vec![
                Span::styled("● grading… ", theme.warn()),
                Span::styled(format!("{passed} ✓ "), theme.ok()),
                Span::styled(format!("{failed} ✗"), theme.bad()),
            ])
        }
        RunState::Done(report) => verdict_line(report, theme),
    };
    lines.push(status);
    if !matches!(state.run, RunState::Done(_)) || state.report().is_none() {
        lines.push(Line::styled(
            format!("  edit {}/ and save; it is graded on every save", e.starter_rel()),
            theme.dim(),
        ));
    }
    lines.push(Line::raw(""));
    lines
}

fn verdict_line(report: &Report, theme: &Theme) -> Line<'static> {
    let total = report.tests.len();
    let took = elapsed_label(report.duration);
    match report.status {
        Status::Pass => Line::styled(
            format!("✓ PASS · all {total} tests pass ({took})"),
            theme.ok().add_modifier(ratatui::style::Modifier::BOLD),
        ),
        Status::Fail => Line::styled(
            format!("✗ FAIL · {} of {total} tests failed ({took})", report.failed()),
            theme.bad().add_modifier(ratatui::style::Modifier::BOLD),
        ),
        Status::Error => Line::styled(
            "⚠ ERROR · your code did not run to the end",
            theme.bad().add_modifier(ratatui::style::Modifier::BOLD),
        ),
        Status::Timeout => Line::styled(
            format!("⏱ TIMEOUT · stopped after {took}"),
            theme.bad().add_modifier(ratatui::style::Modifier::BOLD),
        ),
        Status::Memory => Line::styled(
            "⚠ MEMORY · stopped for using too much memory",
            theme.bad().add_modifier(ratatui::style::Modifier::BOLD),
        ),
        Status::NeedsService => {
            Line::styled("● NEEDS A SERVICE · not graded", theme.warn().add_modifier(ratatui::style::Modifier::BOLD))
        }
    }
}

/// The tests, failures first, one line each; with `collapse`, only a few of each are
/// listed so the first failure's detail stays on screen.
fn tests_lines(lines: &mut Vec<Line<'static>>, tests: &[TestResult], theme: &Theme, collapse: bool, width: usize) {
    let failing: Vec<&TestResult> = tests.iter().filter(|t| t.status == TestStatus::Fail).collect();
    let passing: Vec<&TestResult> = tests.iter().filter(|t| t.status == TestStatus::Pass).collect();
    let (fail_shown, pass_shown) = if collapse {
        (failing.len().min(FAILING_SHOWN), passing.len().min(PASSING_SHOWN))
    } else {
        (failing.len(), passing.len())
    };
    for t in failing.iter().take(fail_shown).chain(passing.iter().take(pass_shown)) {
        let (mark, style) = match t.status {
            TestStatus::Pass => ("✓", theme.ok()),
            TestStatus::Fail => ("✗", theme.bad()),
        };
        let took = elapsed_label(t.duration);
        let room = width.saturating_sub(took.chars().count() + 7).max(10);
        lines.push(Line::from(vec![
            Span::styled(format!("  {mark} "), style),
            Span::raw(truncate(&t.name, room)),
            Span::styled(format!("  {took}"), theme.dim()),
        ]));
    }
    if failing.len() > fail_shown {
        lines.push(Line::styled(format!("  ✗ … and {} more failing", failing.len() - fail_shown), theme.bad()));
    }
    if passing.len() > pass_shown {
        lines.push(Line::styled(format!("  ✓ … and {} more passing", passing.len() - pass_shown), theme.ok()));
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

fn report_lines(lines: &mut Vec<Line<'static>>, report: &Report, theme: &Theme, width: usize) {
    tests_lines(lines, &report.tests, theme, report.status != Status::Pass, width);
    if let Some(test) = &report.unfinished_test {
        lines.push(Line::from(vec![Span::styled("  … ", theme.warn()), Span::raw(format!("{test} (did not finish)"))]));
    }
    for stage in &report.regressions {
        lines.push(Line::styled(format!("Regression: {stage} fails again; a later change broke it"), theme.bad()));
    }
    if let Some(problem) = &report.problem {
        lines.push(Line::raw(""));
        lines.push(Line::styled(problem.message.clone(), theme.bad()));
        if let Some(location) = &problem.location {
            lines.push(Line::styled(format!("  at {location}"), theme.accent()));
        }
        if let Some(fix) = &problem.fix {
            lines.push(Line::from(vec![Span::styled("  fix: ", theme.bold()), Span::raw(fix.clone())]));
        }
    }
    if let Some(test) = report.first_failure().filter(|_| report.status != Status::Pass) {
        let failure = test.failure.clone().unwrap_or_default();
        lines.push(Line::raw(""));
        lines.push(Line::styled(format!("First failure: {}", test.name), theme.heading()));
        for l in failure.message.lines() {
            lines.push(Line::raw(format!("  {l}")));
        }
        if let (Some(expected), Some(actual)) = (&failure.expected, &failure.actual) {
            for d in diff(expected, actual) {
                lines.push(match d {
                    DiffLine::Same(t) => Line::styled(format!("    {t}"), theme.dim()),
                    DiffLine::Expected(t) => Line::styled(format!("  - {t}"), theme.ok()),
                    DiffLine::Actual(t) => Line::styled(format!("  + {t}"), theme.bad()),
                    DiffLine::Caret(at) if at + 4 < width => {
                        Line::styled(format!("    {}^ differs here", " ".repeat(at)), theme.warn())
                    }
                    DiffLine::Caret(at) => {
                        Line::styled(format!("    (they differ at character {})", at + 1), theme.warn())
                    }
                });
            }
            lines.push(Line::styled("  - expected  + actual", theme.dim()));
        }
        if let Some(location) = &failure.location {
            lines.push(Line::styled(format!("  at {location}"), theme.accent()));
        } else if let Some(stack) = &failure.stack {
            for l in stack.lines().skip(1).take(3) {
                lines.push(Line::styled(format!("  {}", l.trim()), theme.dim()));
            }
        }
    }
    let output = report.output.text.trim_end();
    if !output.is_empty() {
        let all: Vec<&str> = output.lines().collect();
        let shown = &all[all.len().saturating_sub(OUTPUT_LINES)..];
        lines.push(Line::raw(""));
        let title = if shown.len() < all.len() || report.output.truncated_bytes > 0 {
            format!("Your output (last {} lines)", shown.len())
        } else {
            "Your output".to_string()
        };
        lines.push(Line::styled(title, theme.heading()));
        for l in shown {
            lines.push(Line::from(vec![Span::styled("  │ ", theme.dim()), Span::raw(truncate(l, width.max(14) - 4))]));
        }
    }
}

fn hint_lines(lines: &mut Vec<Line<'static>>, state: &AppState, theme: &Theme) {
    let e = state.exercise();
    let shown = state.hints_shown().min(e.hints.len());
    if shown == 0 {
        return;
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(format!("Hints ({shown} of {})", e.hints.len()), theme.heading()));
    for (i, hint) in e.hints.iter().take(shown).enumerate() {
        lines.push(Line::raw(format!("  {}. {hint}", i + 1)));
    }
}

fn done_when_lines(lines: &mut Vec<Line<'static>>, state: &AppState, theme: &Theme) {
    let Some(items) = state.done_when.get(&state.exercise().id).filter(|i| !i.is_empty()) else { return };
    lines.push(Line::raw(""));
    lines.push(Line::styled("Done when", theme.heading()));
    for item in items {
        lines.push(Line::raw(format!("  • {item}")));
    }
}
