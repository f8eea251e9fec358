//! Plain-text renderings for the terminal: a graded report, the roadmap list and the
//! progress summary. Pure functions of data to `String`, so they are snapshot-tested.
use std::fmt::Write as _;

use crate::curriculum::{Curriculum, Exercise, Kind};
use crate::progress::{Progress, State};
use crate::report::{Report, Status, TestStatus};

/// How much of the learner's output a report shows.
const OUTPUT_LINES: usize = 20;

#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub const PLAIN: Style = Style { color: false };

    /// Colour only for a terminal, and never when `NO_COLOR` is set (https://no-color.org).
    pub fn for_stdout() -> Style {
        use std::io::IsTerminal;
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style { color: !no_color && std::io::stdout().is_terminal() }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }
    fn green(self, t: &str) -> String {
        self.paint("32", t)
    }
    fn red(self, t: &str) -> String {
        self.paint("31", t)
    }
    fn yellow(self, t: &str) -> String {
        self.paint("33", t)
    }
    fn bold(self, t: &str) -> String {
        self.paint("1", t)
    }
    fn dim(self, t: &str) -> String {
        self.paint("2", t)
    }
}

pub fn phase_label(curriculum: &Curriculum, phase: &str) -> String {
    let title = curriculum.phase(phase).map_or(phase, |p| p.title.as_str());
    format!("Phase {} · {title}", curriculum.phase_number(phase))
}

/// How an exercise is named in headings: a project stage says where it is in its project.
pub fn display_title(exercise: &Exercise) -> String {
    match &exercise.stage {
        Some(s) => format!("{} · stage {}/{}: {}", s.project_title, s.number, s.count, exercise.title),
        None if exercise.kind == Kind::Project => format!("{} (project)", exercise.title),
        None => exercise.title.clone(),
    }
}

fn exercise_heading(curriculum: &Curriculum, exercise: &Exercise, style: Style) -> String {
    format!(
        "{} · {}\n  {}\n",
        style.bold(&exercise.id),
        display_title(exercise),
        style.dim(&phase_label(curriculum, &exercise.phase))
    )
}

/// The full report of one graded run.
pub fn report(curriculum: &Curriculum, exercise: &Exercise, report: &Report, style: Style) -> String {
    let mut out = exercise_heading(curriculum, exercise, style);
    out.push('\n');
    for test in &report.tests {
        let mark = match test.status {
            TestStatus::Pass => style.green("✓"),
            TestStatus::Fail => style.red("✗"),
        };
        let ms = test.duration.as_millis();
        let _ = writeln!(out, "  {mark} {} {}", test.name, style.dim(&format!("({ms} ms)")));
    }
    if let Some(test) = &report.unfinished_test {
        let _ = writeln!(out, "  {} {} {}", style.yellow("…"), test, style.dim("(did not finish)"));
    }

    for stage in &report.regressions {
        let _ = writeln!(
            out,
            "\n  {} {stage} passed before and fails now: a later change broke it",
            style.red("Regression:")
        );
    }
    if let Some(test) = report.first_failure().filter(|_| report.status == Status::Fail) {
        let failure = test.failure.clone().unwrap_or_default();
        let _ = writeln!(out, "\n  {} {}", style.bold("First failure:"), test.name);
        for line in failure.message.lines() {
            let _ = writeln!(out, "    {line}");
        }
        if let (Some(expected), Some(actual)) = (&failure.expected, &failure.actual) {
            write_value(&mut out, "expected:", expected, |t| style.green(t));
            write_value(&mut out, "actual:  ", actual, |t| style.red(t));
        }
        if let Some(location) = &failure.location {
            let _ = writeln!(out, "    at {location}");
        }
        if let Some(stack) = failure.stack.as_deref().filter(|_| failure.location.is_none()) {
            for line in stack.lines().skip(1).take(4) {
                let _ = writeln!(out, "    {}", style.dim(line.trim()));
            }
        }
    }
    if let Some(problem) = &report.problem {
        let _ = writeln!(out, "\n  {} {}", style.bold(&format!("{}:", report.status.label())), problem.message);
        if let Some(location) = &problem.location {
            let _ = writeln!(out, "    at {location}");
        }
        if let Some(fix) = &problem.fix {
            let _ = writeln!(out, "    fix: {fix}");
        }
    }

    let output = report.output.text.trim_end();
    if !output.is_empty() {
        let lines: Vec<&str> = output.lines().collect();
        let shown = &lines[lines.len().saturating_sub(OUTPUT_LINES)..];
        let what = if shown.len() < lines.len() || report.output.truncated_bytes > 0 {
            format!("Your output (last {} lines):", shown.len())
        } else {
            "Your output:".to_string()
        };
        let _ = writeln!(out, "\n  {}", style.bold(&what));
        for line in shown {
            let _ = writeln!(out, "  {} {}", style.dim("│"), truncate(line, 200));
        }
    }

    out.push('\n');
    let total = report.tests.len();
    let summary = match report.status {
        Status::Pass => style.green(&format!("✓ All {total} tests pass.")),
        Status::Fail => {
            style.red(&format!("✗ {} of {total} tests failed ({} passed).", report.failed(), report.passed()))
        }
        Status::Error => style.red("✗ Your code did not run to the end."),
        Status::Timeout => style.red("✗ Timed out."),
        Status::Memory => style.red("✗ Used too much memory."),
        Status::NeedsService => style.yellow("● Needs a service that is not available."),
    };
    let _ = writeln!(out, "  {summary}");
    out
}

fn write_value(out: &mut String, label: &str, value: &str, paint: impl Fn(&str) -> String) {
    let mut lines = value.lines();
    let _ = writeln!(out, "    {label} {}", paint(lines.next().unwrap_or("")));
    for line in lines {
        let _ = writeln!(out, "    {:width$} {}", "", paint(line), width = label.len());
    }
}

fn truncate(line: &str, max: usize) -> String {
    if line.chars().count() <= max {
        line.to_string()
    } else {
        format!("{}…", line.chars().take(max).collect::<String>())
    }
}

fn state_mark(state: State, style: Style) -> String {
    match state {
        State::Done => style.green("✓"),
        State::Failing => style.red("✗"),
        State::Pending => style.dim("·"),
    }
}

/// The roadmap: phases with their exercises and status.
pub fn list(curriculum: &Curriculum, progress: &Progress, current: &str, style: Style) -> String {
    let mut out = String::new();
    let width = curriculum.exercises.iter().map(|e| e.id.len()).max().unwrap_or(0);
    for phase in &curriculum.phases {
        let exercises: Vec<&Exercise> = curriculum.exercises_in(&phase.id).collect();
        let done = exercises.iter().filter(|e| progress.is_done(&e.id)).count();
        let _ = writeln!(
            out,
            "{}  {}",
            style.bold(&phase_label(curriculum, &phase.id)),
            style.dim(&format!("{done}/{}", exercises.len()))
        );
        if !phase.goal.is_empty() {
            let _ = writeln!(out, "  {}", style.dim(&phase.goal));
        }
        // The phase being worked on also shows its production code worth reading.
        if exercises.iter().any(|e| e.id == current) {
            for r in &phase.reading {
                let _ = writeln!(out, "  {} {} — {} ({})", style.dim("read:"), r.title, r.why, r.url);
            }
        }
        for e in exercises {
            let pointer = if e.id == current { "▸" } else { " " };
            let project = if e.kind == Kind::Project { "  [project]" } else { "" };
            let _ = writeln!(
                out,
                " {pointer}{} {:width$}  {}{project}",
                state_mark(progress.state(&e.id), style),
                e.id,
                e.title
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{}", style.dim("✓ done  ✗ failing  · not started  ▸ current"));
    out
}

/// Totals used by `progress` in both its text and JSON forms.
#[derive(Debug, serde::Serialize)]
pub struct Summary {
    pub done: usize,
    pub total: usize,
    pub points: u32,
    pub points_total: u32,
    pub current: String,
    pub phases: Vec<PhaseSummary>,
}

#[derive(Debug, serde::Serialize)]
pub struct PhaseSummary {
    pub id: String,
    pub title: String,
    pub done: usize,
    pub total: usize,
}

pub fn summarise(curriculum: &Curriculum, progress: &Progress, current: &str) -> Summary {
    let done_points = curriculum.exercises.iter().filter(|e| progress.is_done(&e.id)).map(|e| e.points).sum();
    Summary {
        done: curriculum.exercises.iter().filter(|e| progress.is_done(&e.id)).count(),
        total: curriculum.exercises.len(),
        points: done_points,
        points_total: curriculum.exercises.iter().map(|e| e.points).sum(),
        current: current.to_string(),
        phases: curriculum
            .phases
            .iter()
            .map(|p| {
                let ex: Vec<&Exercise> = curriculum.exercises_in(&p.id).collect();
                PhaseSummary {
                    id: p.id.clone(),
                    title: p.title.clone(),
                    done: ex.iter().filter(|e| progress.is_done(&e.id)).count(),
                    total: ex.len(),
                }
            })
            .collect(),
    }
}

pub fn progress(curriculum: &Curriculum, summary: &Summary, style: Style) -> String {
    let mut out = String::new();
    let pct = (summary.done * 100).checked_div(summary.total).unwrap_or(0);
    let _ = writeln!(
        out,
        "{} {}/{} exercises done ({pct}%) · points {}/{}",
        bar(summary.done, summary.total, 20),
        summary.done,
        summary.total,
        summary.points,
        summary.points_total
    );
    out.push('\n');
    for p in &summary.phases {
        let n = curriculum.phase_number(&p.id);
        let _ = writeln!(out, "  {} Phase {n:<2} {:<32} {}/{}", bar(p.done, p.total, 10), p.title, p.done, p.total);
    }
    if let Some(e) = curriculum.exercise(&summary.current) {
        let _ =
            writeln!(out, "\nCurrent: {} · {}  ({})", style.bold(&e.id), e.title, phase_label(curriculum, &e.phase));
    }
    out
}

fn bar(done: usize, total: usize, width: usize) -> String {
    let filled = (done * width).checked_div(total).unwrap_or(0);
    format!("[{}{}]", "#".repeat(filled), "-".repeat(width - filled))
}
