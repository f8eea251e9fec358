//! `roadmap dev check`: proves a curriculum sound. It validates `curriculum.toml` and
//! the trees, lints the tasks, then runs every suite twice: against the starter (which
//! must fail) and against the reference solution (which must pass).
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::Code;
use crate::context::{course_files, open_course};
use crate::curriculum::{Course, CourseFiles, CurriculumErrors, Exercise};
use crate::grade;
use crate::report::{Report, Status};
use crate::services::Services;

/// The sections every task README must have, in this order.
const TASK_SECTIONS: &[&str] = &["## Why it matters", "## Your task", "## Done when", "## Further reading"];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Variant {
    Starter,
    Solution,
}

pub fn run(flag: Option<&Path>, jobs: Option<usize>, only: &[String]) -> Result<Code> {
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let files = course_files(flag, None, &cwd)?;
    let CourseFiles::Disk(root) = files.clone() else {
        bail!(
            "dev check works on a curriculum folder: run it inside one (a folder with curriculum.toml) or pass --curriculum DIR"
        );
    };
    let started = Instant::now();
    let course = match open_course(files) {
        Ok(course) => course,
        Err(error) => match error.downcast::<CurriculumErrors>() {
            Ok(errors) => {
                eprint!("{errors}");
                return Ok(Code::Failure);
            }
            Err(other) => return Err(other),
        },
    };
    let node_modules = root.join("workspace/node_modules");
    if !node_modules.is_dir() {
        bail!(
            "{} is missing; install the course's packages first: npm ci --prefix {}",
            node_modules.display(),
            root.join("workspace").display()
        );
    }

    let selected: Vec<&Exercise> = if only.is_empty() {
        course.curriculum.exercises.iter().collect()
    } else {
        only.iter().map(|name| crate::context::find_exercise(&course, name)).collect::<Result<_>>()?
    };
    let mut problems: Vec<String> = selected.iter().flat_map(|e| lint_task(&course, e)).collect();

    let scratch = Scratch::new(&root)?;
    let work: Vec<(&Exercise, Variant)> =
        selected.iter().flat_map(|e| [(*e, Variant::Starter), (*e, Variant::Solution)]).collect();
    let jobs = jobs.unwrap_or_else(grade::default_jobs).max(1);
    println!("Checking {} exercises ({} suite runs, {jobs} at a time)…", selected.len(), work.len());
    let results = grade::parallel(&work, jobs, |(exercise, variant)| scratch.check(&course, exercise, *variant));

    let mut slowest: Vec<(Duration, &str)> = Vec::new();
    for (exercise, pair) in selected.iter().zip(results.chunks(2)) {
        let (starter, solution) = (&pair[0], &pair[1]);
        let mut line = String::new();
        let mut ok = true;
        match starter {
            Ok(r) if r.status == Status::Fail => {
                let _ = write!(line, "starter fails {} of {} tests", r.failed(), r.tests.len());
            }
            Ok(r) => {
                ok = false;
                problems.push(format!(
                    "{}: the starter must fail its suite cleanly, but it was `{}`{}",
                    exercise.id,
                    r.status.label(),
                    detail(r)
                ));
                let _ = write!(line, "starter {}", r.status.label());
            }
            Err(e) => {
                ok = false;
                problems.push(format!("{}: the starter could not be checked: {e:#}", exercise.id));
            }
        }
        match solution {
            Ok(r) if r.status == Status::Pass => {
                slowest.push((r.duration, &exercise.id));
                let _ = write!(line, ", solution passes {} tests in {} ms", r.tests.len(), r.duration.as_millis());
            }
            Ok(r) => {
                ok = false;
                problems.push(format!(
                    "{}: the solution must pass, but it was `{}`{}",
                    exercise.id,
                    r.status.label(),
                    detail(r)
                ));
                let _ = write!(line, ", solution {}", r.status.label());
            }
            Err(e) => {
                ok = false;
                problems.push(format!("{}: the solution could not be checked: {e:#}", exercise.id));
            }
        }
        println!("  {} {:28} {line}", if ok { "✓" } else { "✗" }, exercise.id);
    }
    let service_times: Vec<String> =
        scratch.services.start_times().iter().map(|(name, d)| format!("{name} in {} ms", d.as_millis())).collect();
    if !service_times.is_empty() {
        println!("Services started: {}.", service_times.join(", "));
    }
    drop(scratch);

    slowest.sort_by_key(|(d, _)| std::cmp::Reverse(*d));
    if !slowest.is_empty() {
        let top: Vec<String> = slowest.iter().take(3).map(|(d, id)| format!("{id} {} ms", d.as_millis())).collect();
        println!("Slowest solution runs: {}", top.join(", "));
    }
    println!("Checked in {:.1} s.", started.elapsed().as_secs_f64());
    let as_expected = results
        .iter()
        .zip(&work)
        .filter(|(r, (_, variant))| match (r, variant) {
            (Ok(r), Variant::Starter) => r.status == Status::Fail,
            (Ok(r), Variant::Solution) => r.status == Status::Pass,
            (Err(_), _) => false,
        })
        .count();
    if problems.is_empty() {
        println!("No problems: every starter fails and every solution passes.");
    } else {
        eprintln!("\n{} problem(s):", problems.len());
        for p in &problems {
            eprintln!("  - {p}");
        }
    }
    // A closing line CI systems read: suite runs that behaved as they must.
    println!("check: {as_expected} passed, {} failed", work.len() - as_expected);
    Ok(if problems.is_empty() { Code::Success } else { Code::Failure })
}

fn detail(report: &Report) -> String {
    if let Some(problem) = &report.problem {
        let at = problem.location.as_deref().map(|l| format!(" at {l}")).unwrap_or_default();
        return format!(": {}{at}", problem.message);
    }
    match report.first_failure() {
        Some(t) => {
            format!(": `{}`: {}", t.name, t.failure.as_ref().map_or("", |f| f.message.lines().next().unwrap_or("")))
        }
        None => String::new(),
    }
}

/// Checks the task text an exercise ships: its sections and its length.
fn lint_task(course: &Course, exercise: &Exercise) -> Vec<String> {
    let path = format!("exercises/{}/README.md", exercise.rel_dir());
    let Ok(text) = course.files.read_string(&path) else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    let mut from = 0;
    for section in TASK_SECTIONS {
        match text[from..].find(section) {
            Some(at) => from += at + section.len(),
            None => problems
                .push(format!("{path}: the task needs a `{section}` section (in order: {})", TASK_SECTIONS.join(", "))),
        }
    }
    let words = text.split_whitespace().count();
    if !(120..=700).contains(&words) {
        problems.push(format!("{path}: the task has {words} words; aim for 150–500"));
    }
    problems
}

/// A throwaway workspace that borrows the curriculum's installed `node_modules`, with
/// services of its own.
struct Scratch {
    root: PathBuf,
    services: Services,
}

impl Scratch {
    fn new(curriculum: &Path) -> Result<Scratch> {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let root = std::env::temp_dir().join(format!("roadmap-check-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&root).with_context(|| format!("cannot create {}", root.display()))?;
        let scratch = Scratch { services: Services::ephemeral(&root), root };
        fs::copy(curriculum.join("workspace/package.json"), scratch.root.join("package.json"))
            .context("cannot copy workspace/package.json")?;
        std::os::unix::fs::symlink(curriculum.join("workspace/node_modules"), scratch.root.join("node_modules"))
            .context("cannot link node_modules")?;
        Ok(scratch)
    }

    fn check(&self, course: &Course, exercise: &Exercise, variant: Variant) -> Result<Report> {
        let name = match variant {
            Variant::Starter => "starter",
            Variant::Solution => "solution",
        };
        let dir = self.root.join(name).join(exercise.rel_dir());
        course.files.extract(&format!("exercises/{}", exercise.rel_dir()), &dir)?;
        if variant == Variant::Solution {
            course.files.extract(&format!("solutions/{}", exercise.rel_dir()), &dir)?;
        }
        let run_dir = self.root.join(".roadmap/run").join(format!("{}-{name}", exercise.id));
        grade::grade_dir(&course.files, &self.services, exercise, &dir, &run_dir, |_| {})
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Stop the servers before their folders go.
        self.services = Services::ephemeral(&self.root);
        let _ = fs::remove_dir_all(&self.root);
    }
}
