//! `roadmap grade [DIR]…`: grades every exercise and project stage of a workspace, or of
//! a class of them, without a terminal, for CI. It never touches a submission: it grades
//! private copies, with services of its own, and writes the results in the formats CI
//! systems read, and for a class a summary per student and phase.
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::Code;
use crate::cli::{GradeArgs, GradeCommand};
use crate::context::{course_files, open_course};
use crate::curriculum::{Course, CourseFiles, Exercise};
use crate::flags;
use crate::grade;
use crate::render::ci;
use crate::report::Report;
use crate::runner::StartError;
use crate::score::{self, Scored, fmt_points};
use crate::services::Services;
use crate::workspace::Workspace;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Human,
    Json,
    Junit,
    Markdown,
}

impl Format {
    fn parse(name: &str) -> Result<Format> {
        Ok(match name {
            "human" => Format::Human,
            "json" => Format::Json,
            "junit" => Format::Junit,
            "markdown" | "md" => Format::Markdown,
            other => bail!("unknown format `{other}` (human, json, junit, markdown)"),
        })
    }
}

/// `--format json=results.json` writes to a file; a bare `--format json` goes to
/// stdout, or to `--output` when only one format is asked for.
fn outputs(args: &GradeArgs) -> Result<Vec<(Format, Option<PathBuf>)>> {
    let mut out = Vec::new();
    for spec in if args.format.is_empty() { vec!["human".to_string()] } else { args.format.clone() } {
        let (name, file) = match spec.split_once('=') {
            Some((name, file)) => (name.to_string(), Some(PathBuf::from(file))),
            None => (spec.clone(), None),
        };
        out.push((Format::parse(&name)?, file));
    }
    if let Some(output) = &args.output {
        let bare: Vec<usize> = out.iter().enumerate().filter(|(_, (_, f))| f.is_none()).map(|(i, _)| i).collect();
        match bare.as_slice() {
            [i] => out[*i].1 = Some(output.clone()),
            _ => bail!("--output needs exactly one format without a file; write `--format FORMAT=FILE` for several"),
        }
    }
    if out.iter().filter(|(_, f)| f.is_none()).count() > 1 {
        bail!("only one format can go to stdout; write the others to files with `--format FORMAT=FILE`");
    }
    Ok(out)
}

pub fn run(flag: Option<&Path>, args: &GradeArgs) -> Result<Code> {
    if let Some(GradeCommand::Merge { files, out_dir }) = &args.command {
        return merge(files, out_dir);
    }
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    // The course comes from the teacher: `--curriculum`, or the one built into roadmap.
    // Never from the submission (its workspace.toml or a curriculum.toml inside it),
    // which could name a course of its own and score full marks.
    let files = match flag {
        Some(dir) => course_files(Some(dir), None, &cwd)?,
        None => CourseFiles::Embedded,
    };
    let course = open_course(files)?;
    crate::runner::grade_untrusted();
    remove_leftovers(&std::env::temp_dir());
    let selected = select(&course, &args.only)?;
    let jobs = args.jobs.unwrap_or_else(grade::default_jobs).max(1);
    let modules = args.node_modules.as_deref().map(packages).transpose()?;
    let class_mode = args.dirs.len() > 1 || args.out_dir.is_some() || args.shard.is_some();
    if class_mode {
        return grade_class(&course, &selected, args, jobs, modules.as_deref());
    }

    let outputs = outputs(args)?;
    let start = args.dirs.first().cloned().unwrap_or_else(|| cwd.clone());
    let submission = Submission::check(&start, modules.as_deref())?;
    // One workspace: a copy that cannot be made is the command's error.
    submission.make_copy()?;
    eprintln!("Grading {} exercises and stages ({jobs} at a time)…", selected.len());
    let started = std::time::Instant::now();
    let services = GradeServices::start();
    let mut graded = grade_all(&course, &selected, std::slice::from_ref(&submission), &services.services, jobs)?;
    drop(services);
    let scored = graded.pop().unwrap_or(Ok(Vec::new())).map_err(anyhow::Error::msg)?;
    let totals = score::totals(&scored);
    eprintln!("Graded in {:.1} s.", started.elapsed().as_secs_f64());

    for (format, file) in &outputs {
        let text = render(*format, &scored, &totals);
        match file {
            Some(path) => fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?,
            None => print!("{text}"),
        }
    }
    // The closing line CI logs and people look for.
    println!("Points {}/{}", fmt_points(totals.earned), totals.possible);
    Ok(if meets(args, &totals) { Code::Success } else { Code::Failure })
}

fn render(format: Format, scored: &[Scored], totals: &score::Totals) -> String {
    match format {
        Format::Human => ci::human(scored, totals),
        Format::Json => ci::json(scored, totals),
        Format::Junit => ci::junit(scored),
        Format::Markdown => ci::markdown(scored, totals),
    }
}

/// Whether a graded submission passes: every exercise, or the `--fail-under` points.
fn meets(args: &GradeArgs, totals: &score::Totals) -> bool {
    match args.fail_under {
        Some(threshold) => totals.earned >= threshold,
        None => totals.passing == totals.count,
    }
}

/// The exercises to grade with their task ids (their place in the course): all, or
/// those of the phases, exercises and projects `--only` names.
fn select<'a>(course: &'a Course, only: &[String]) -> Result<Vec<(usize, &'a Exercise)>> {
    let all = course.curriculum.exercises.iter().enumerate().map(|(i, e)| (i + 1, e));
    if only.is_empty() {
        return Ok(all.collect());
    }
    for name in only {
        let known = course.curriculum.phases.iter().any(|p| &p.id == name)
            || course
                .curriculum
                .exercises
                .iter()
                .any(|e| &e.id == name || e.stage.as_ref().is_some_and(|s| &s.project == name));
        if !known {
            crate::context::find_exercise(course, name)?;
        }
    }
    let wanted = |e: &Exercise| {
        only.iter().any(|n| n == &e.phase || n == &e.id || e.stage.as_ref().is_some_and(|s| &s.project == n))
    };
    Ok(all.filter(|(_, e)| wanted(e)).collect())
}

/// `K/N` with 1 ≤ K ≤ N.
fn parse_shard(text: &str) -> Result<(usize, usize)> {
    let parsed = text.split_once('/').and_then(|(k, n)| Some((k.trim().parse().ok()?, n.trim().parse().ok()?)));
    match parsed {
        Some((k, n)) if k >= 1 && k <= n => Ok((k, n)),
        _ => bail!("--shard takes K/N with 1 ≤ K ≤ N, like 2/4 (got `{text}`)"),
    }
}

/// The `node_modules` folder given with --node-modules (itself, or inside it).
fn packages(dir: &Path) -> Result<PathBuf> {
    let dir = crate::context::absolute(dir)?;
    let inner = dir.join("node_modules");
    let found = if inner.is_dir() { inner } else { dir.clone() };
    if !found.is_dir() || found.file_name().is_none_or(|n| n != "node_modules") {
        bail!("{} holds no node_modules", dir.display());
    }
    Ok(found)
}

/// Grades every selected exercise of every submission, all in one pool of `jobs`, so a
/// class keeps every core busy. A submission's private copy is made by the first of its
/// runs and removed after the last, so copying overlaps grading and a class never holds
/// more copies than it grades at once. Returns one list of scores per submission, or why
/// it could not be copied.
fn grade_all(
    course: &Course,
    selected: &[(usize, &Exercise)],
    submissions: &[Submission],
    services: &Services,
    jobs: usize,
) -> Result<Vec<std::result::Result<Vec<Scored>, String>>> {
    // Submissions are taken `jobs` at a time, and each exercise of those is run for all
    // of them before the next: the runs side by side belong to different submissions,
    // as with one process per submission, which measured faster than a submission's
    // exercises side by side; and no more than `jobs` copies exist at once.
    let indices: Vec<usize> = (0..submissions.len()).collect();
    let work: Vec<(usize, usize, &Exercise)> = indices
        .chunks(jobs)
        .flat_map(|chunk| selected.iter().flat_map(move |(task, e)| chunk.iter().map(move |c| (*c, *task, *e))))
        .collect();
    for submission in submissions {
        submission.left.store(selected.len(), std::sync::atomic::Ordering::SeqCst);
    }
    let results = grade::parallel(&work, jobs, |(c, _, exercise)| {
        let submission = &submissions[*c];
        let graded = submission.copy().map(|copy| {
            let report = copy.grade(course, services, exercise);
            let flags = flags::scan(&copy.workspace.exercise_dir(exercise), &exercise.files);
            (report, flags)
        });
        submission.done_with_one();
        graded
    });
    let mut graded: Vec<std::result::Result<Vec<Scored>, String>> =
        submissions.iter().map(|_| Ok(Vec::new())).collect();
    for ((c, task, exercise), result) in work.iter().zip(results) {
        let (report, flags) = match result {
            Ok(pair) => pair,
            Err(why) => {
                graded[*c] = Err(why);
                continue;
            }
        };
        let report = match report {
            Ok(report) => report,
            Err(e) if e.downcast_ref::<StartError>().is_some_and(|s| matches!(s, StartError::NodeMissing)) => {
                return Err(e);
            }
            // One exercise that cannot be graded costs its points, not the others'.
            Err(e) => Report::error(&exercise.id, format!("could not be graded: {e:#}")),
        };
        let manifest = course.manifest(exercise).unwrap_or(None);
        let code = crate::suite_source::test_codes(course, exercise, &report);
        let mut one = Scored::new((*exercise).clone(), *task, report, manifest.as_ref());
        one.code = code;
        one.flags = flags;
        if let Ok(list) = &mut graded[*c] {
            list.push(one);
        }
    }
    Ok(graded)
}

/// Grades many submissions: a folder of reports for each, and the class's summary.
fn grade_class(
    course: &Course,
    selected: &[(usize, &Exercise)],
    args: &GradeArgs,
    jobs: usize,
    modules: Option<&Path>,
) -> Result<Code> {
    if !args.format.is_empty() || args.output.is_some() {
        bail!(
            "a class is written to --out-dir (JSON, JUnit and Markdown per submission, and the class summary); --format and --output are for one workspace"
        );
    }
    let out_dir = args.out_dir.clone().unwrap_or_else(|| PathBuf::from("roadmap-grades"));
    let mut dirs: Vec<PathBuf> = if args.dirs.is_empty() { vec![PathBuf::from(".")] } else { args.dirs.clone() };
    dirs.sort();
    dirs.dedup();
    if let Some(shard) = &args.shard {
        let (k, n) = parse_shard(shard)?;
        dirs = dirs.into_iter().enumerate().filter(|(i, _)| i % n == k - 1).map(|(_, d)| d).collect();
    }
    let names = student_names(&dirs);
    let possible: u32 = selected.iter().map(|(_, e)| e.points).sum();
    let started = std::time::Instant::now();
    eprintln!("Grading {} submissions × {} exercises and stages ({jobs} at a time)…", dirs.len(), selected.len());

    let mut students: Vec<Option<crate::class::Student>> = vec![None; dirs.len()];
    let mut submissions = Vec::new();
    let mut owners = Vec::new();
    let fail = |i: usize, message: String| {
        Some(crate::class::Student::failed(names[i].clone(), dirs[i].display().to_string(), message, possible))
    };
    for (i, dir) in dirs.iter().enumerate() {
        match Submission::check(dir, modules) {
            Ok(submission) => {
                submissions.push(submission);
                owners.push(i);
            }
            Err(e) => students[i] = fail(i, format!("{e:#}")),
        }
    }
    let services = GradeServices::start();
    let graded = grade_all(course, selected, &submissions, &services.services, jobs)?;
    drop(services);
    // Time per submission is the class's time shared out: they ran side by side.
    let each = started.elapsed().as_secs_f64() / submissions.len().max(1) as f64;

    fs::create_dir_all(&out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let mut all_meet = true;
    for (result, owner) in graded.iter().zip(&owners) {
        let scored = match result {
            Ok(scored) => scored,
            Err(why) => {
                students[*owner] = fail(*owner, why.clone());
                continue;
            }
        };
        let totals = score::totals(scored);
        all_meet &= meets(args, &totals);
        let folder = out_dir.join(&names[*owner]);
        fs::create_dir_all(&folder).with_context(|| format!("cannot create {}", folder.display()))?;
        for (format, file) in
            [(Format::Json, "results.json"), (Format::Junit, "junit.xml"), (Format::Markdown, "summary.md")]
        {
            let path = folder.join(file);
            fs::write(&path, render(format, scored, &totals))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        let path = dirs[*owner].display().to_string();
        students[*owner] = Some(crate::class::Student::graded(names[*owner].clone(), path, scored, &totals, each));
    }
    let students: Vec<crate::class::Student> = students.into_iter().flatten().collect();
    all_meet &= args.fail_under.is_none() || students.iter().all(|s| s.status == "graded");
    let class = crate::class::Class { version: crate::class::VERSION, phases: phases_of(course, selected), students };
    write_class(&class, &out_dir)?;
    for s in &class.students {
        match &s.message {
            Some(message) => println!("✗ {:24} not graded: {message}", s.student),
            None => println!(
                "  {:24} {}/{} points, {} of {} pass",
                s.student,
                fmt_points(s.points),
                s.possible,
                s.passing,
                s.exercises
            ),
        }
    }
    println!(
        "Graded {} submissions in {:.1} s; reports in {}",
        class.students.len(),
        started.elapsed().as_secs_f64(),
        out_dir.display()
    );
    // Without a threshold a class grading succeeds once every report is written: the
    // grades are the result, not a pass or fail of the job.
    Ok(if args.fail_under.is_none() || all_meet { Code::Success } else { Code::Failure })
}

/// The phases of the selected exercises, in course order.
fn phases_of(course: &Course, selected: &[(usize, &Exercise)]) -> Vec<String> {
    course
        .curriculum
        .phases
        .iter()
        .filter(|p| selected.iter().any(|(_, e)| e.phase == p.id))
        .map(|p| p.id.clone())
        .collect()
}

fn write_class(class: &crate::class::Class, out_dir: &Path) -> Result<()> {
    fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    for (file, text) in [("class.json", class.json()), ("class.csv", class.csv()), ("class.md", class.markdown())] {
        let path = out_dir.join(file);
        fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Names for the submissions' report folders: the folder's own name, with its parent's
/// in front where two would clash.
fn student_names(dirs: &[PathBuf]) -> Vec<String> {
    let base = |d: &PathBuf| {
        let abs = std::path::absolute(d).unwrap_or_else(|_| d.clone());
        abs.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "workspace".into())
    };
    let plain: Vec<String> = dirs.iter().map(base).collect();
    dirs.iter()
        .zip(&plain)
        .map(|(d, name)| {
            let clash = plain.iter().filter(|n| *n == name).count() > 1;
            let name = if clash {
                let abs = std::path::absolute(d).unwrap_or_else(|_| d.clone());
                let parent = abs.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned());
                format!("{}-{name}", parent.unwrap_or_default())
            } else {
                name.clone()
            };
            name.replace(['/', '\\', ':'], "_")
        })
        .collect()
}

/// `roadmap grade merge`: one class summary out of the shards' class.json.
fn merge(files: &[PathBuf], out_dir: &Path) -> Result<Code> {
    let mut parts = Vec::new();
    for file in files {
        let text = fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
        let class: crate::class::Class =
            serde_json::from_str(&text).with_context(|| format!("{} is not a roadmap class.json", file.display()))?;
        parts.push(class);
    }
    let class = crate::class::Class::merge(parts).map_err(anyhow::Error::msg)?;
    write_class(&class, out_dir)?;
    println!("Merged {} submissions from {} shards into {}", class.students.len(), files.len(), out_dir.display());
    Ok(Code::Success)
}

/// The throwaway services of one grading, in a folder of the temp directory that goes
/// with them.
struct GradeServices {
    services: Services,
    dir: PathBuf,
}

impl GradeServices {
    fn start() -> GradeServices {
        let dir = std::env::temp_dir().join(format!("roadmap-services-{}", std::process::id()));
        GradeServices { services: Services::ephemeral(&dir), dir }
    }
}

impl Drop for GradeServices {
    fn drop(&mut self) {
        // Stop the servers before their folder goes.
        self.services = Services::ephemeral(&self.dir);
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Removes what gradings that were killed (Ctrl-C, SIGKILL, a CI timeout) left in `tmp`:
/// private copies and services folders whose roadmap process is gone.
fn remove_leftovers(tmp: &Path) {
    let Ok(entries) = fs::read_dir(tmp) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let owner = name
            .strip_prefix("roadmap-grade-")
            .or_else(|| name.strip_prefix("roadmap-services-"))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = owner {
            if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// A copy of the submission in a temporary folder: grading runs the learner's code,
/// which must not be able to change what was submitted.
struct PrivateCopy {
    root: PathBuf,
    workspace: Workspace,
}

/// A submission to grade: its workspace, the packages to grade it with, and its private
/// copy while any of its runs needs it.
struct Submission {
    workspace: Workspace,
    packages: PathBuf,
    copy: std::sync::Mutex<Option<std::result::Result<std::sync::Arc<PrivateCopy>, String>>>,
    /// Runs still to come; the copy goes when it reaches 0.
    left: std::sync::atomic::AtomicUsize,
}

impl Submission {
    /// The workspace at or above `start`, graded with `modules` or its own packages.
    fn check(start: &Path, modules: Option<&Path>) -> Result<Submission> {
        let Some(workspace) = Workspace::find(&crate::context::absolute(start)?)? else {
            bail!("{} is not a roadmap workspace (no .roadmap/workspace.toml at or above it)", start.display());
        };
        let own = workspace.root.join("node_modules");
        let packages = match modules {
            Some(dir) => dir.to_path_buf(),
            None if own.is_dir() => own,
            None => bail!(
                "{} has no node_modules: run `npm ci` in the workspace before grading, or pass --node-modules DIR",
                workspace.root.display()
            ),
        };
        Ok(Submission {
            workspace,
            packages,
            copy: std::sync::Mutex::new(None),
            left: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// Makes the private copy now, so that a failure is the caller's to report.
    fn make_copy(&self) -> Result<()> {
        let copy = PrivateCopy::of(&self.workspace, &self.packages)?;
        *self.copy.lock().expect("copy lock") = Some(Ok(std::sync::Arc::new(copy)));
        Ok(())
    }

    /// The private copy, made by the first run that asks.
    fn copy(&self) -> std::result::Result<std::sync::Arc<PrivateCopy>, String> {
        let mut slot = self.copy.lock().expect("copy lock");
        slot.get_or_insert_with(|| {
            PrivateCopy::of(&self.workspace, &self.packages).map(std::sync::Arc::new).map_err(|e| format!("{e:#}"))
        })
        .clone()
    }

    /// One run is over; after the last, the copy is removed.
    fn done_with_one(&self) {
        if self.left.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) == 1 {
            self.copy.lock().expect("copy lock").take();
        }
    }
}

impl PrivateCopy {
    /// Copies `workspace` with `packages` as its node_modules into the temp folder.
    fn of(workspace: &Workspace, packages: &Path) -> Result<PrivateCopy> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!("roadmap-grade-{}-{n}", std::process::id()));
        copy_tree(&workspace.root, &root, NOT_COPIED)?;
        // A copy, not a link: graded code may write to its packages, and must reach
        // nothing of the submission through them.
        copy_tree(packages, &root.join("node_modules"), &[])
            .context("cannot copy node_modules into the private copy")?;
        let copy = Workspace::find(&root)?.context("the private copy lost its workspace marker")?;
        Ok(PrivateCopy { root, workspace: copy })
    }

    fn grade(&self, course: &Course, services: &Services, exercise: &Exercise) -> Result<Report> {
        let run_root = self.root.join(".roadmap").join("run");
        grade::grade_dir(course, services, exercise, &self.workspace.exercise_dir(exercise), &run_root, None, |_| {})
    }
}

impl Drop for PrivateCopy {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// What a private copy leaves out of the submission: version control, roadmap's scratch,
/// backups and servers, and the packages (copied on their own, see `PrivateCopy::of`).
const NOT_COPIED: &[&str] = &["node_modules", ".git", "run", "backup", "services"];

/// Copies `from` into `to`, leaving out entries named in `skip` whatever their kind: a
/// `node_modules` that is a link must not be copied as a link, or the packages copied
/// next would be written through it onto the originals.
fn copy_tree(from: &Path, to: &Path, skip: &[&str]) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let target = to.join(&name);
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &target, skip)?;
        } else if kind.is_file() {
            fs::copy(entry.path(), &target).with_context(|| format!("cannot copy {}", entry.path().display()))?;
        } else if kind.is_symlink() {
            // Links stay links (npm's .bin holds them); a link is never followed to copy
            // what it points at, which could be anything on the machine.
            let link = fs::read_link(entry.path())?;
            std::os::unix::fs::symlink(&link, &target)
                .with_context(|| format!("cannot copy the link {}", entry.path().display()))?;
        }
    }
    Ok(())
}
