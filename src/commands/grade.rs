//! `roadmap grade [DIR]`: grades every exercise and project stage of a workspace without
//! a terminal, for CI. It never touches the submission: it grades a private copy, with
//! services of its own, and writes the results in the formats CI systems read.
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::Code;
use crate::cli::GradeArgs;
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
    let outputs = outputs(args)?;
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let start = args.dir.clone().unwrap_or_else(|| cwd.clone());
    let Some(workspace) = Workspace::find(&crate::context::absolute(&start)?)? else {
        bail!("{} is not a roadmap workspace (no .roadmap/workspace.toml at or above it)", start.display());
    };
    // The course comes from the teacher: `--curriculum`, or the one built into roadmap.
    // Never from the submission (its workspace.toml or a curriculum.toml inside it),
    // which could name a course of its own and score full marks.
    let files = match flag {
        Some(dir) => course_files(Some(dir), None, &cwd)?,
        None => CourseFiles::Embedded,
    };
    let course = open_course(files)?;
    if !workspace.root.join("node_modules").is_dir() {
        bail!("{} has no node_modules: run `npm ci` in the workspace before grading", workspace.root.display());
    }

    let copy = PrivateCopy::of(&workspace)?;
    let services = Services::ephemeral(&copy.root);
    let exercises: Vec<(usize, &Exercise)> = course.curriculum.exercises.iter().enumerate().collect();
    let jobs = args.jobs.unwrap_or_else(grade::default_jobs).max(1);
    eprintln!("Grading {} exercises and stages ({jobs} at a time)…", exercises.len());
    let results = grade::parallel(&exercises, jobs, |(_, exercise)| copy.grade(&course, &services, exercise));
    drop(services);

    let mut scored = Vec::new();
    for ((index, exercise), result) in exercises.iter().zip(results) {
        let report = match result {
            Ok(report) => report,
            Err(e) if e.downcast_ref::<StartError>().is_some_and(|s| matches!(s, StartError::NodeMissing)) => {
                return Err(e);
            }
            // One exercise that cannot be graded costs its points, not the class's report.
            Err(e) => Report::error(&exercise.id, format!("could not be graded: {e:#}")),
        };
        let manifest = course.manifest(exercise).unwrap_or(None);
        let mut one = Scored::new((*exercise).clone(), index + 1, report, manifest.as_ref());
        one.flags = flags::scan(&copy.workspace.exercise_dir(exercise), &exercise.files);
        scored.push(one);
    }
    let totals = score::totals(&scored);

    for (format, file) in &outputs {
        let text = match format {
            Format::Human => ci::human(&scored, &totals),
            Format::Json => ci::json(&scored, &totals),
            Format::Junit => ci::junit(&scored),
            Format::Markdown => ci::markdown(&scored, &totals),
        };
        match file {
            Some(path) => fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?,
            None => print!("{text}"),
        }
    }
    // The closing line CI logs and people look for.
    println!("Points {}/{}", fmt_points(totals.earned), totals.possible);

    let passed = match args.fail_under {
        Some(threshold) => totals.earned >= threshold,
        None => totals.passing == totals.count,
    };
    Ok(if passed { Code::Success } else { Code::Failure })
}

/// A copy of the submission in a temporary folder: grading runs the learner's code,
/// which must not be able to change what was submitted.
struct PrivateCopy {
    root: PathBuf,
    workspace: Workspace,
}

impl PrivateCopy {
    fn of(workspace: &Workspace) -> Result<PrivateCopy> {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let root = std::env::temp_dir().join(format!("roadmap-grade-{}-{nanos}", std::process::id()));
        copy_tree(&workspace.root, &root, NOT_COPIED)?;
        // A copy, not a link: graded code may write to its packages, and must reach
        // nothing of the submission through them.
        copy_tree(&workspace.root.join("node_modules"), &root.join("node_modules"), &[])
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
