//! The learner's commands: run, hint, reset, solution, progress and list.
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::{Result, bail};

use super::Code;
use crate::context::Learner;
use crate::grade;
use crate::render::human::{self, Style};
use crate::report::TestStatus;
use crate::runner::RunEvent;
use crate::services::Services;

pub fn run(flag: Option<&Path>, name: Option<&str>) -> Result<Code> {
    let learner = Learner::open(flag)?;
    let exercise = learner.exercise(name)?.clone();
    let style = Style::for_stdout();
    let mut live = Live::new(&exercise.id);
    let services = Services::for_workspace(&learner.workspace.root);
    let report = grade::grade(&learner.course, &learner.workspace, &services, &exercise, |event| live.update(event))?;
    drop(services);
    live.clear();
    let passed = report.status.is_pass();
    let updated = learner.store.update(|p| {
        let was_done = p.is_done(&exercise.id);
        p.record_exercise(&exercise, report.status.label(), passed);
        if passed && p.current.as_deref().is_none_or(|c| c == exercise.id) {
            p.current = learner.next_pending(p, Some(&exercise.id));
        }
        passed && !was_done
    })?;
    if let Some(repair) = &updated.repair {
        eprintln!("roadmap: {repair}");
    }
    let (progress, newly_done) = (updated.progress, updated.value);

    print!("{}", human::report(&learner.course.curriculum, &exercise, &report, style));
    if passed {
        if newly_done {
            println!(
                "  Recorded: {} is done. The reference solution is unlocked: roadmap solution {}",
                exercise.id, exercise.id
            );
        }
        match progress.current.as_deref().and_then(|id| learner.course.curriculum.exercise(id)) {
            Some(next) if next.id != exercise.id => {
                println!("  Next: {} · {}  ({}/README.md)", next.id, next.title, next.starter_rel());
            }
            _ => println!("  Every exercise is done. Congratulations!"),
        }
        Ok(Code::Success)
    } else {
        println!("  Stuck? roadmap hint {}", exercise.id);
        Ok(Code::Failure)
    }
}

pub fn hint(flag: Option<&Path>, name: Option<&str>, all: bool) -> Result<Code> {
    let learner = Learner::open(flag)?;
    let exercise = learner.exercise(name)?.clone();
    let total = exercise.hints.len();
    let updated = learner.store.update(|p| {
        let entry = p.exercises.entry(exercise.id.clone()).or_default();
        entry.hints_shown = if all { total as u32 } else { (entry.hints_shown + 1).min(total as u32) };
        entry.hints_shown as usize
    })?;
    if let Some(repair) = &updated.repair {
        eprintln!("roadmap: {repair}");
    }
    let shown = updated.value;
    println!("Hints for {} · {}\n", exercise.id, exercise.title);
    for (i, hint) in exercise.hints.iter().take(shown).enumerate() {
        println!("{}. {hint}\n", i + 1);
    }
    if shown < total {
        println!("({shown} of {total}; run `roadmap hint {}` again for the next one)", exercise.id);
    }
    Ok(Code::Success)
}

pub fn reset(flag: Option<&Path>, name: &str, yes: bool) -> Result<Code> {
    let learner = Learner::open(flag)?;
    let exercise = learner.exercise(Some(name))?.clone();
    let dir = learner.workspace.exercise_dir(&exercise);
    if !yes {
        if !std::io::stdin().is_terminal() {
            bail!("reset replaces your files in {}; pass --yes to confirm when not in a terminal", dir.display());
        }
        print!("Reset {} to its starter? Your current files are backed up under .roadmap/backup/. [y/N] ", exercise.id);
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("Nothing changed.");
            return Ok(Code::Success);
        }
    }
    let (restored, backup) = learner.workspace.reset(&learner.course.files, &exercise)?;
    println!("Restored {} file(s) of {}: {}", restored.len(), exercise.id, restored.join(", "));
    if let Some(backup) = backup {
        println!("Your previous files are in {}", backup.display());
    }
    Ok(Code::Success)
}

pub fn solution(flag: Option<&Path>, name: &str) -> Result<Code> {
    let learner = Learner::open(flag)?;
    let exercise = learner.exercise(Some(name))?.clone();
    if !learner.progress.is_done(&exercise.id) {
        eprintln!(
            "roadmap: the solution of {} unlocks once you pass it. Keep going: `roadmap run {}`, and `roadmap hint {}` when stuck.",
            exercise.id, exercise.id, exercise.id
        );
        return Ok(Code::Usage);
    }
    let (dest, files) = learner.workspace.write_solution(&learner.course.files, &exercise)?;
    println!("The reference solution of {} is in {}:", exercise.id, dest.display());
    for f in files {
        println!("  {f}");
    }
    Ok(Code::Success)
}

pub fn progress(flag: Option<&Path>, json: bool) -> Result<Code> {
    let learner = Learner::open(flag)?;
    let current = learner.current().id.clone();
    let summary = human::summarise(&learner.course.curriculum, &learner.progress, &current);
    if json {
        let exercises: Vec<serde_json::Value> = learner
            .course
            .curriculum
            .exercises
            .iter()
            .map(|e| {
                let p = learner.progress.exercises.get(&e.id).cloned().unwrap_or_default();
                serde_json::json!({
                    "id": e.id, "phase": e.phase, "title": e.title, "state": p.state,
                    "attempts": p.attempts, "first_pass": p.first_pass, "points": e.points,
                })
            })
            .collect();
        let mut value = serde_json::to_value(&summary)?;
        value["exercises"] = serde_json::Value::Array(exercises);
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", human::progress(&learner.course.curriculum, &summary, Style::for_stdout()));
    }
    Ok(Code::Success)
}

pub fn list(flag: Option<&Path>, plain: bool) -> Result<Code> {
    let learner = Learner::open(flag)?;
    let style = if plain { Style::PLAIN } else { Style::for_stdout() };
    print!("{}", human::list(&learner.course.curriculum, &learner.progress, &learner.current().id, style));
    Ok(Code::Success)
}

/// A one-line status on stderr while a suite runs, for terminals only.
struct Live {
    enabled: bool,
    exercise: String,
    passed: usize,
    failed: usize,
}

impl Live {
    fn new(exercise: &str) -> Live {
        Live { enabled: std::io::stderr().is_terminal(), exercise: exercise.to_string(), passed: 0, failed: 0 }
    }

    fn update(&mut self, event: RunEvent) {
        if !self.enabled {
            return;
        }
        let running = match event {
            RunEvent::TestStarted(name) => name,
            RunEvent::TestFinished(result) => {
                match result.status {
                    TestStatus::Pass => self.passed += 1,
                    TestStatus::Fail => self.failed += 1,
                }
                result.name
            }
        };
        let line: String = format!("grading {}: ✓ {} ✗ {}  {running}", self.exercise, self.passed, self.failed)
            .chars()
            .take(100)
            .collect();
        eprint!("\r\x1b[2K{line}");
    }

    fn clear(&self) {
        if self.enabled {
            eprint!("\r\x1b[2K");
        }
    }
}
