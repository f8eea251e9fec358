//! Grades exercises of a workspace: materialise the suite, run it, return the report.
use std::path::Path;

use anyhow::Result;

use crate::curriculum::{Course, CourseFiles, Exercise};
use crate::report::Report;
use crate::runner::{Outcome, Run, RunEvent, node};
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
    grade_dir(
        &course.files,
        services,
        exercise,
        &workspace.exercise_dir(exercise),
        &workspace.run_dir(&exercise.id),
        listen,
    )
}

/// Grades the code in `exercise_dir` with the suite laid out in `run_dir`.
pub fn grade_dir(
    files: &CourseFiles,
    services: &Services,
    exercise: &Exercise,
    exercise_dir: &Path,
    run_dir: &Path,
    listen: impl FnMut(RunEvent),
) -> Result<Report> {
    let prepared = match services.prepare(&exercise.services) {
        Ok(prepared) => prepared,
        Err(missing) => return Ok(Report::needs_service(&exercise.id, missing.message, missing.fix)),
    };
    let suite = node::materialise(files, exercise, run_dir)?;
    // `prepared` lives until the run is over: its databases are dropped with it.
    match Run::start(node::spec(exercise, exercise_dir, &suite, &prepared.env))?.wait(listen) {
        Outcome::Finished(report) => Ok(report),
        Outcome::Cancelled => anyhow::bail!("the run of {} was cancelled", exercise.id),
    }
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
