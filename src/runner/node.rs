//! The Node runner: lays a hidden suite out next to the reporter and the support
//! module, and builds the `node` command that runs it.
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use super::RunSpec;
use super::process::REPORT_FD;
use crate::curriculum::{CourseFiles, Exercise, SUITE_FILE};

pub const REPORTER_JS: &str = include_str!("js/reporter.mjs");
pub const SUPPORT_JS: &str = include_str!("js/support.mjs");
/// The seed suites read from `ROADMAP_SEED`, so generated data is the same every run.
pub const SEED: &str = "42";

/// The `node` program to run: `ROADMAP_NODE` when set (tests use it to simulate a
/// missing Node), else `node` from PATH.
pub fn node_program() -> OsString {
    std::env::var_os("ROADMAP_NODE").unwrap_or_else(|| "node".into())
}

/// Writes the suite of `exercise`, the reporter and the support module into `run_dir`
/// (which must sit inside the workspace, so bare imports resolve to its
/// `node_modules`). Returns the suite's path.
pub fn materialise(files: &CourseFiles, exercise: &Exercise, run_dir: &Path) -> Result<PathBuf> {
    if run_dir.exists() {
        fs::remove_dir_all(run_dir)
            .with_context(|| format!("cannot clear {}", run_dir.display()))?;
    }
    fs::create_dir_all(run_dir).with_context(|| format!("cannot create {}", run_dir.display()))?;
    files.extract(&format!("checks/{}", exercise.rel_dir()), run_dir)?;
    fs::write(run_dir.join("reporter.mjs"), REPORTER_JS).context("cannot write the reporter")?;
    fs::write(run_dir.join("support.mjs"), SUPPORT_JS)
        .context("cannot write the support module")?;
    Ok(run_dir.join(SUITE_FILE))
}

/// The run of `suite` against the learner's `exercise_dir`.
pub fn spec(
    exercise: &Exercise,
    exercise_dir: &Path,
    suite: &Path,
    extra_env: &[(String, String)],
) -> RunSpec {
    let reporter = suite.with_file_name("reporter.mjs");
    let mut command = Command::new(node_program());
    command
        .arg(format!("--test-reporter={}", reporter.display()))
        // The reporter writes to its own descriptor; nothing goes to this destination.
        .arg("--test-reporter-destination=stdout")
        // Without it a test that leaves a server or timer open keeps the process alive.
        .arg("--test-force-exit")
        .arg(suite)
        .current_dir(exercise_dir)
        // A parent `node --test` or the user's NODE_OPTIONS must not change how suites run.
        .env_remove("NODE_OPTIONS")
        .env_remove("NODE_TEST_CONTEXT")
        .env("EXERCISE_DIR", exercise_dir)
        .env("ROADMAP_REPORT_FD", REPORT_FD.to_string())
        .env("ROADMAP_SEED", SEED)
        .env("TZ", "UTC")
        .env("NODE_ENV", "test")
        .env("NO_COLOR", "1")
        .env("NODE_DISABLE_COLORS", "1");
    for (key, value) in extra_env {
        command.env(key, value);
    }
    RunSpec {
        exercise: exercise.id.clone(),
        exercise_dir: exercise_dir.to_path_buf(),
        command,
        deadline: exercise.timeout,
    }
}
