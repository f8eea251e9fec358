//! `roadmap init [DIR]`: a new learner workspace from the course's files.
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

use super::Code;
use crate::cli::InitArgs;
use crate::context::{absolute, course_files, open_course};
use crate::curriculum::CourseFiles;
use crate::progress::{Progress, ProgressStore};
use crate::workspace::{self, Workspace};

pub fn run(flag: Option<&Path>, args: &InitArgs) -> Result<Code> {
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let files = course_files(flag, None, &cwd)?;
    let course = open_course(files.clone())?;
    let dir = absolute(&args.dir)?;
    workspace::check_target(&dir)?;

    let written = course.files.extract("workspace", &dir)?;
    if written.is_empty() {
        anyhow::bail!("{} has no workspace/ folder to create a workspace from", course.files.describe());
    }
    course.files.extract("exercises", &dir.join("exercises"))?;
    course.files.extract("projects", &dir.join("projects"))?;
    let curriculum = match &files {
        CourseFiles::Disk(root) => Some(root.clone()),
        CourseFiles::Embedded => None,
    };
    let ws = Workspace::create(&dir, curriculum)?;
    let first = course.curriculum.exercises.first().map(|e| e.id.clone());
    ProgressStore::new(ws.progress_path()).replace(&Progress { current: first.clone(), ..Progress::default() })?;

    println!(
        "Created {} with {} exercises in {} phases.",
        dir.display(),
        course.curriculum.exercises.len(),
        course.curriculum.phases.len()
    );
    let shown = pathdiff(&cwd, &dir);
    if args.no_install {
        println!("\nSkipped `npm ci`. Before grading, install the course's packages:\n  cd {shown} && npm ci");
    } else {
        install(&dir, &shown);
    }
    println!("\nNext:\n  cd {shown}\n  roadmap            # opens {}", first.unwrap_or_default());
    Ok(Code::Success)
}

/// Runs `npm ci` with npm's own progress display. A failure leaves the workspace
/// usable and says exactly what to run later.
fn install(dir: &Path, shown: &str) {
    println!("\nInstalling the course's packages (npm ci)…");
    let npm = std::env::var_os("ROADMAP_NPM").unwrap_or_else(|| "npm".into());
    let mut command = Command::new(&npm);
    command.args(["ci", "--no-audit", "--no-fund"]).current_dir(dir).stdin(Stdio::null());
    crate::signals::restore_in_child(&mut command);
    let status = command.status();
    match status {
        Ok(s) if s.success() => println!("Packages installed."),
        Ok(s) => eprintln!(
            "roadmap: `npm ci` failed ({s}). The workspace is ready otherwise; when you are online again run:\n  cd {shown} && npm ci"
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => eprintln!(
            "roadmap: npm was not found on PATH. Install Node.js 20 or newer (it includes npm), then run:\n  cd {shown} && npm ci"
        ),
        Err(e) => {
            eprintln!("roadmap: could not run npm ({e}). Later, run:\n  cd {shown} && npm ci")
        }
    }
}

/// `dir` as the user would type it from `cwd`.
fn pathdiff(cwd: &Path, dir: &Path) -> String {
    dir.strip_prefix(cwd).map_or_else(|_| dir.display().to_string(), |p| p.display().to_string())
}
