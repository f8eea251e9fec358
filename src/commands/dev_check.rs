//! `roadmap dev check`: proves a curriculum sound. It validates `curriculum.toml` and
//! the trees, lints the tasks, then runs every suite twice: against the starter (which
//! must fail) and against the reference solution (which must pass).
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
    /// The starter must fail its suite cleanly (tests run, some fail).
    Starter,
    /// The reference solution must pass.
    Solution,
    /// For stage N of a project: stage N-1's solution must fail stage N, or the stage
    /// asks for nothing new.
    PreviousStage,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Starter => "starter",
            Variant::Solution => "solution",
            Variant::PreviousStage => "previous stage's solution",
        }
    }

    fn expected(self) -> Status {
        if self == Variant::Solution { Status::Pass } else { Status::Fail }
    }
}

pub fn run(flag: Option<&Path>, jobs: Option<usize>, record: bool, only: &[String]) -> Result<Code> {
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let files = course_files(flag, None, &cwd)?;
    let CourseFiles::Disk(root) = files.clone() else {
        bail!(
            "dev check works on a curriculum folder: run it inside one (a folder with curriculum.toml) or pass --curriculum DIR"
        );
    };
    let started = Instant::now();
    let mut course = match open_course(files) {
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

    // The course's suites are graded as CI grades a class: with the same limits.
    crate::runner::grade_untrusted();
    // Recording must not hold runs to the manifests it is about to replace.
    course.check_manifests = !record;
    let course = course;
    let selected: Vec<&Exercise> = if only.is_empty() {
        course.curriculum.exercises.iter().collect()
    } else {
        only.iter().map(|name| crate::context::find_exercise(&course, name)).collect::<Result<_>>()?
    };
    let mut problems: Vec<String> = selected.iter().flat_map(|e| lint_task(&course, e)).collect();

    let scratch = Scratch::new(&root)?;
    let work: Vec<(&Exercise, Variant)> = selected
        .iter()
        .flat_map(|e| {
            let previous = e.stage.as_ref().is_some_and(|s| s.number > 1).then_some((*e, Variant::PreviousStage));
            [(*e, Variant::Starter), (*e, Variant::Solution)].into_iter().chain(previous)
        })
        .collect();
    let jobs = jobs.unwrap_or_else(grade::default_jobs).max(1);
    println!("Checking {} exercises ({} suite runs, each twice, {jobs} at a time)…", selected.len(), work.len());
    // Every suite runs twice: a verdict that changes between two runs of the same code
    // is a flaky suite, which learners would experience as a grader that lies.
    let results = grade::parallel(&work, jobs, |(exercise, variant)| {
        let first = scratch.check(&course, exercise, *variant, 1)?;
        let second = scratch.check(&course, exercise, *variant, 2)?;
        if let Some(difference) = verdict_difference(&first, &second) {
            bail!("flaky: the same code got two different verdicts ({difference})");
        }
        Ok(first)
    });
    let mut warnings: Vec<String> = Vec::new();

    let mut slowest: Vec<(Duration, &str)> = Vec::new();
    for exercise in &selected {
        let mut line = Vec::new();
        let mut ok = true;
        for ((_, variant), result) in work.iter().zip(&results).filter(|((e, _), _)| e.id == exercise.id) {
            let what = variant.name();
            match result {
                Ok(r) if r.status == variant.expected() => {
                    if *variant == Variant::Solution {
                        slowest.push((r.duration, &exercise.id));
                        // A stage's report holds the earlier stages' tests too; count its own.
                        let own = crate::score::Scored::new((*exercise).clone(), 0, r.clone(), None).total;
                        if own < 5 {
                            warnings
                                .push(format!("{} has only {own} tests; a strong suite usually has 5–15", exercise.id));
                        }
                        line.push(format!("solution passes {} tests in {} ms", r.tests.len(), r.duration.as_millis()));
                    } else {
                        line.push(format!("{what} fails {} of {} tests", r.failed(), r.tests.len()));
                    }
                }
                Ok(r) => {
                    ok = false;
                    let must = if *variant == Variant::Solution { "must pass" } else { "must fail its suite cleanly" };
                    problems.push(format!(
                        "{}: the {what} {must}, but it was `{}`{}",
                        exercise.id,
                        r.status.label(),
                        detail(r)
                    ));
                    line.push(format!("{what} {}", r.status.label()));
                }
                Err(e) => {
                    ok = false;
                    problems.push(format!("{}: the {what} could not be checked: {e:#}", exercise.id));
                }
            }
        }
        println!("  {} {:28} {}", if ok { "✓" } else { "✗" }, exercise.id, line.join(", "));
    }
    let mut recorded = 0;
    for exercise in selected.iter().filter(|e| matches!(e.runner, crate::curriculum::Runner::Node)) {
        let report_of = |wanted: Variant| {
            work.iter()
                .zip(&results)
                .find(|((e, v), _)| e.id == exercise.id && *v == wanted)
                .and_then(|(_, r)| r.as_ref().ok())
        };
        let (Some(solution), Some(starter)) = (report_of(Variant::Solution), report_of(Variant::Starter)) else {
            continue;
        };
        // A starter or solution that misbehaves is reported above; its tests say nothing
        // trustworthy about the manifest.
        if solution.status != Status::Pass || starter.status != Status::Fail {
            continue;
        }
        let observed = observed_manifest(exercise, solution, starter);
        if let Some(duplicate) = duplicate_name(&observed.tests) {
            problems.push(format!("{}: two tests are named `{duplicate}`; test names must be unique", exercise.id));
            continue;
        }
        let path = root.join(exercise.checks_rel()).join(crate::manifest::FILE);
        if record {
            fs::write(&path, observed.render()).with_context(|| format!("cannot write {}", path.display()))?;
            recorded += 1;
            continue;
        }
        match course.manifest(exercise) {
            // A test the suite skips here (one that needs a non-root user, say) is in the
            // manifest but not among the tests this run reported.
            Ok(Some(manifest))
                if observed.tests.iter().all(|t| manifest.tests.contains(t))
                    && manifest.starter_passes == observed.starter_passes => {}
            Ok(Some(_)) => problems.push(format!(
                "{}: {} is stale (the suite's tests, or what the starter passes, changed): run `roadmap dev check --record {}`",
                exercise.id,
                path.display(),
                exercise.id
            )),
            Ok(None) => warnings.push(format!(
                "{} has no {}: runs are not compared with its tests and the starter's passes earn points; run `roadmap dev check --record {}`",
                exercise.id,
                crate::manifest::FILE,
                exercise.id
            )),
            Err(e) => problems.push(format!("{}: {e:#}", exercise.id)),
        }
    }
    if record {
        println!("Recorded {recorded} manifest(s).");
    }
    let service_times: Vec<String> =
        scratch.services.start_times().iter().map(|(name, d)| format!("{name} in {} ms", d.as_millis())).collect();
    if !service_times.is_empty() {
        println!("Services started: {}.", service_times.join(", "));
    }
    drop(scratch);

    slowest.sort_by_key(|(d, _)| std::cmp::Reverse(*d));
    if !slowest.is_empty() {
        let top: Vec<String> = slowest.iter().take(5).map(|(d, id)| format!("{id} {} ms", d.as_millis())).collect();
        println!("Slowest suites (solution runs): {}", top.join(", "));
    }
    for warning in &warnings {
        println!("warning: {warning}");
    }
    println!("Checked in {:.1} s.", started.elapsed().as_secs_f64());
    let as_expected = results
        .iter()
        .zip(&work)
        .filter(|(r, (_, variant))| r.as_ref().is_ok_and(|r| r.status == variant.expected()))
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

/// The manifest this check's runs imply: the solution's tests in order, and the ones the
/// starter passes. A stage's report holds earlier stages' tests too; only its own count.
fn observed_manifest(exercise: &Exercise, solution: &Report, starter: &Report) -> crate::manifest::Manifest {
    let prefix = crate::score::stage_prefix(exercise);
    let own = |report: &Report, passing_only: bool| -> Vec<String> {
        report
            .tests
            .iter()
            .filter(|t| !passing_only || t.status == crate::report::TestStatus::Pass)
            .filter_map(|t| match &prefix {
                Some(p) => t.name.strip_prefix(p.as_str()).map(str::to_string),
                None => Some(t.name.clone()),
            })
            .collect()
    };
    crate::manifest::Manifest { tests: own(solution, false), starter_passes: own(starter, true).into_iter().collect() }
}

fn duplicate_name(names: &[String]) -> Option<&String> {
    names.iter().enumerate().find(|(i, n)| names[..*i].contains(n)).map(|(_, n)| n)
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

/// How two verdicts of the same code differ, if they do.
fn verdict_difference(a: &Report, b: &Report) -> Option<String> {
    if a.status != b.status {
        return Some(format!("{} then {}", a.status.label(), b.status.label()));
    }
    let failing = |r: &Report| -> Vec<String> {
        r.tests.iter().filter(|t| t.failure.is_some()).map(|t| t.name.clone()).collect()
    };
    let (fa, fb) = (failing(a), failing(b));
    (fa != fb).then(|| {
        let changed: Vec<&String> =
            fa.iter().filter(|n| !fb.contains(n)).chain(fb.iter().filter(|n| !fa.contains(n))).collect();
        format!("`{}` failed in only one of the runs", changed.first().map_or("?", |s| s.as_str()))
    })
}

/// Checks the task text an exercise ships: its sections, its length, and that no
/// placeholder of `roadmap dev new` is left.
fn lint_task(course: &Course, exercise: &Exercise) -> Vec<String> {
    let path = format!("{}/README.md", exercise.starter_rel());
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
    for rel in scaffold_leftovers(course, exercise) {
        problems.push(format!("{rel}: still holds a {SCAFFOLD} placeholder from `roadmap dev new`"));
    }
    let words = text.split_whitespace().count();
    match &exercise.stage {
        None if !(120..=700).contains(&words) => {
            problems.push(format!("{path}: the task has {words} words; aim for 150–500"))
        }
        Some(stage) => {
            let heading = format!("## Stage {} — {} ({})", stage.number, exercise.title, stage.id);
            if !text.contains(&heading) {
                problems.push(format!("{path}: the project's task needs a section `{heading}`"));
            }
        }
        None => {}
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

    fn check(&self, course: &Course, exercise: &Exercise, variant: Variant, attempt: u32) -> Result<Report> {
        let name = variant.name().replace(' ', "-").replace('\'', "");
        let job = self.root.join(format!("{name}-{attempt}")).join(&exercise.id);
        let dir = job.join(exercise.starter_rel());
        course.files.extract(&exercise.starter_rel(), &dir)?;
        match variant {
            Variant::Starter => {}
            Variant::Solution => {
                course.files.extract(&exercise.solutions_rel(), &dir)?;
            }
            Variant::PreviousStage => {
                let stage = exercise.stage.as_ref().context("only stages have a previous stage")?;
                let previous =
                    stage.earlier.last().and_then(|id| course.curriculum.exercise(id)).context("no previous stage")?;
                course.files.extract(&previous.solutions_rel(), &dir)?;
            }
        }
        grade::grade_dir(course, &self.services, exercise, &dir, &job.join(".run"), None, |_| {})
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Stop the servers before their folders go.
        self.services = Services::ephemeral(&self.root);
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// The marker `roadmap dev new` puts wherever the author still has to write something.
pub const SCAFFOLD: &str = "TODO(scaffold)";

/// The files of an exercise that still hold the scaffold's placeholder.
fn scaffold_leftovers(course: &Course, exercise: &Exercise) -> Vec<String> {
    let mut out = Vec::new();
    for root in [exercise.starter_rel(), exercise.solutions_rel(), exercise.checks_rel()] {
        for rel in course.files.files_under(&root) {
            let path = format!("{root}/{rel}");
            if course.files.read_string(&path).is_ok_and(|text| text.contains(SCAFFOLD)) {
                out.push(path);
            }
        }
    }
    if exercise.hints.iter().any(|h| h.contains(SCAFFOLD)) || exercise.title.contains(SCAFFOLD) {
        out.push("curriculum.toml".to_string());
    }
    out
}
