//! Grades exercises of a workspace: materialise the suite, run it, return the report.
use std::path::Path;

use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::curriculum::{Course, Exercise};
use crate::report::{Output, Report, Status};
use crate::runner::{self, CancelSlot, Outcome, Run, RunEvent};
use crate::services::Services;
use crate::workspace::Workspace;

/// Grades the learner's copy of `exercise`, passing run events to `listen`.
pub fn grade(
    course: &Course,
    workspace: &Workspace,
    services: &Services,
    exercise: &Exercise,
    listen: impl FnMut(RunEvent),
) -> Result<Report> {
    grade_dir(course, services, exercise, &workspace.exercise_dir(exercise), &workspace.run_root(), None, listen)
}

/// Grades the code in `exercise_dir`, laying suites out below `run_root`. A project
/// stage runs its own suite, then every earlier stage's (newest first), so a change
/// that breaks an earlier feature is caught. `slot`, when given, can cancel the run.
pub fn grade_dir(
    course: &Course,
    services: &Services,
    exercise: &Exercise,
    exercise_dir: &Path,
    run_root: &Path,
    slot: Option<&CancelSlot>,
    mut listen: impl FnMut(RunEvent),
) -> Result<Report> {
    if !exercise_dir.is_dir() {
        let message = format!(
            "the folder {} is missing, so there is nothing to grade (`roadmap reset {}` brings the starter back)",
            exercise.starter_rel(),
            exercise.id
        );
        return Ok(Report::error(&exercise.id, message));
    }
    let Some(stage) = &exercise.stage else {
        return grade_one(course, services, exercise, exercise_dir, run_root, slot, listen);
    };
    let mut reports = Vec::new();
    for id in std::iter::once(&exercise.id).chain(stage.earlier.iter().rev()) {
        let stage_exercise = course.curriculum.exercise(id).context("a stage of the project is missing")?;
        let report = grade_one(course, services, stage_exercise, exercise_dir, run_root, slot, &mut listen)?;
        reports.push((stage_exercise, report));
    }
    Ok(merge_stages(exercise, reports))
}

fn grade_one(
    course: &Course,
    services: &Services,
    exercise: &Exercise,
    exercise_dir: &Path,
    run_root: &Path,
    slot: Option<&CancelSlot>,
    listen: impl FnMut(RunEvent),
) -> Result<Report> {
    let prepared = match services.prepare(&exercise.services) {
        Ok(prepared) => prepared,
        Err(missing) => return Ok(Report::needs_service(&exercise.id, missing.message, missing.fix)),
    };
    let run_dir = runner::scratch_dir(run_root, &exercise.id);
    let mut spec = runner::prepare(&course.files, exercise, exercise_dir, &run_dir, &prepared.env)?;
    spec.manifest = course.manifest(exercise)?;
    spec.scratch = Some(run_dir);
    let run = Run::start(spec)?;
    if let Some(slot) = slot {
        if !slot.attach(run.canceller()) {
            bail!(Cancelled);
        }
    }
    // `prepared` lives until the run is over: its databases are dropped with it.
    match run.wait(listen) {
        Outcome::Finished(report) => Ok(*report),
        Outcome::Cancelled => bail!(Cancelled),
    }
}

/// A run was cancelled (a newer save superseded it); callers that cancel expect it.
#[derive(Debug, thiserror::Error)]
#[error("the run was cancelled")]
pub struct Cancelled;

/// One report for a project stage out of its own and the earlier stages' reports
/// (its own first). Earlier stages that fail are regressions.
pub fn merge_stages(exercise: &Exercise, reports: Vec<(&Exercise, Report)>) -> Report {
    let label = |e: &Exercise| match &e.stage {
        Some(s) => format!("stage {} · {}", s.number, e.title),
        None => e.title.clone(),
    };
    let worst = [Status::NeedsService, Status::Error, Status::Timeout, Status::Fail]
        .into_iter()
        .find(|status| reports.iter().any(|(_, r)| r.status == *status))
        .unwrap_or(Status::Pass);
    let mut merged = Report {
        exercise: exercise.id.clone(),
        status: worst,
        tests: Vec::new(),
        problem: None,
        unfinished_test: None,
        output: Output::default(),
        duration: Duration::ZERO,
        regressions: Vec::new(),
        containment: None,
    };
    let mut output = String::new();
    for (i, (stage, report)) in reports.into_iter().enumerate() {
        let name = label(stage);
        if i > 0 && report.status != Status::Pass {
            merged.regressions.push(name.clone());
        }
        merged.tests.extend(report.tests.into_iter().map(|mut t| {
            t.name = format!("{name} › {}", t.name);
            t
        }));
        if merged.problem.is_none() {
            merged.problem = report.problem.map(|mut p| {
                p.message = format!("{name}: {}", p.message);
                p
            });
        }
        merged.unfinished_test = merged.unfinished_test.or(report.unfinished_test.map(|t| format!("{name} › {t}")));
        if !report.output.text.trim().is_empty() {
            output.push_str(&format!("── {name} ──\n{}", report.output.text));
            if !output.ends_with('\n') {
                output.push('\n');
            }
        }
        merged.output.truncated_bytes += report.output.truncated_bytes;
        merged.duration += report.duration;
    }
    merged.output.text = output;
    merged
}

/// Runs `work` over `items` on up to `jobs` threads, returning results in input order.
pub fn parallel<T: Sync, R: Send>(items: &[T], jobs: usize, work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let result = work(item);
                    results.lock().expect("results lock")[i] = Some(result);
                }
            });
        }
    });
    results.into_inner().expect("results lock").into_iter().map(|r| r.expect("every item ran")).collect()
}

pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map(usize::from).unwrap_or(2)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parallel_keeps_input_order() {
        let items: Vec<u64> = (0..50).collect();
        let out = super::parallel(&items, 4, |n| n * 2);
        assert_eq!(out, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        assert!(super::parallel(&Vec::<u8>::new(), 3, |n| *n).is_empty());
    }
}
