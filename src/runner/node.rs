//! The Node runner: lays a hidden suite out next to the reporter and the support
//! module, and builds the `node` command that runs it.
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use super::RunSpec;
use crate::curriculum::{CourseFiles, Exercise, SUITE_FILE};
use crate::safe_fs;

pub const GUARD_JS: &str = include_str!("js/guard.mjs");
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
    lay_out(files, exercise, run_dir)?;
    for (name, text, what) in [
        ("guard.mjs", GUARD_JS, "the guard"),
        ("reporter.mjs", REPORTER_JS, "the reporter"),
        ("support.mjs", SUPPORT_JS, "the support module"),
        ("warm.mjs", WARM_JS, "the warm-start module"),
    ] {
        safe_fs::write(run_dir, &run_dir.join(name), text.as_bytes())
            .with_context(|| format!("cannot write {what}"))?;
    }
    Ok(run_dir.join(SUITE_FILE))
}

/// Writes the hidden checks of `exercise` into a fresh `run_dir`, which every caller
/// builds as `<run root>/<exercise id>` (`.roadmap/run/<id>` in a workspace).
///
/// Everything from the run root down is roadmap's scratch, laid out afresh on every
/// run, so a symbolic link there (say `.roadmap/run` made to point at another folder)
/// is unlinked and replaced by a real folder rather than refused: nothing the learner
/// put there was meant to survive, and unlinking never touches what the link points
/// at, whereas clearing the folder through it would delete someone else's files.
pub fn lay_out(files: &CourseFiles, exercise: &Exercise, run_dir: &Path) -> Result<()> {
    // A run's folder is `<run root>/<id>` or `<run root>/<id>.<pid>.<n>` (see
    // `runner::scratch_dir`); stage ids hold a slash.
    let depth = Path::new(&exercise.id).components().count();
    let run_root = run_dir
        .ancestors()
        .nth(depth)
        .filter(|root| run_dir.strip_prefix(root).is_ok_and(|rel| rel.to_string_lossy().starts_with(&exercise.id)))
        .with_context(|| format!("{} is not the run folder of {}", run_dir.display(), exercise.id))?;
    let mut scratch = run_root.to_path_buf();
    safe_fs::remove_unless_dir(&scratch)?;
    for part in run_dir.strip_prefix(run_root).unwrap_or(run_dir).components() {
        scratch.push(part);
        safe_fs::remove_unless_dir(&scratch)?;
    }
    // A real folder inside real folders now; `remove_dir_all` does not follow the
    // links it finds inside.
    if run_dir.exists() {
        fs::remove_dir_all(run_dir).with_context(|| format!("cannot clear {}", run_dir.display()))?;
    }
    safe_fs::create_dir_all(run_root, run_dir)?;
    files.extract_within(&exercise.checks_rel(), run_dir, run_dir)?;
    Ok(())
}

/// The run of `suite` against the learner's `exercise_dir`.
pub fn spec(exercise: &Exercise, exercise_dir: &Path, suite: &Path, extra_env: &[(String, String)]) -> RunSpec {
    let reporter = suite.with_file_name("reporter.mjs");
    let guard = suite.with_file_name("guard.mjs");
    let mut command = Command::new(node_program());
    command
        // The guard runs before anything else: it takes the reporter's channel away from
        // the learner's code and freezes what suites rely on (see js/guard.mjs).
        .arg(format!("--import={}", file_url(&guard)))
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
        limits: exercise.limits(),
        manifest: None,
        results: None,
        scratch: None,
    }
}

/// `file:///…` for a path, with the characters URLs cannot hold escaped.
fn file_url(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut url = String::from("file://");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

pub const WARM_JS: &str = include_str!("js/warm.mjs");

/// A process for `exercise` started ahead of time: it loads Node's test runner and
/// the packages the exercise imports, then waits for the suite (see `js/warm.mjs`).
pub fn warm_spec(exercise: &Exercise, exercise_dir: &Path, suite: &Path, extra_env: &[(String, String)]) -> RunSpec {
    let warm = suite.with_file_name("warm.mjs");
    let mut spec = spec(exercise, exercise_dir, suite, extra_env);
    let args: Vec<OsString> = spec
        .command
        .get_args()
        .map(|a| if a == suite.as_os_str() { warm.clone().into_os_string() } else { a.to_owned() })
        .collect();
    let mut command = Command::new(spec.command.get_program());
    command.args(args).current_dir(exercise_dir);
    for (key, value) in spec.command.get_envs() {
        match value {
            Some(v) => command.env(key, v),
            None => command.env_remove(key),
        };
    }
    command.env("ROADMAP_PRELOAD", bare_imports(exercise_dir, suite).join(","));
    let speaks_http = fs::read_to_string(suite).is_ok_and(|s| s.contains("request(") || s.contains("fetch("));
    command.env("ROADMAP_WARM_HTTP", if speaks_http { "1" } else { "0" });
    spec.command = command;
    spec
}

/// The npm packages the suite and the learner's files import (`express`, `pg`, …):
/// the heavy part of starting a run, worth loading before the learner saves.
fn bare_imports(exercise_dir: &Path, suite: &Path) -> Vec<String> {
    let mut sources = vec![suite.to_path_buf()];
    if let Ok(entries) = fs::read_dir(exercise_dir) {
        sources.extend(
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "js" || x == "mjs")),
        );
    }
    let mut found = Vec::new();
    for source in sources {
        let Ok(text) = fs::read_to_string(&source) else { continue };
        for specifier in import_specifiers(&text) {
            let bare = !specifier.starts_with('.') && !specifier.starts_with('/') && !specifier.starts_with("node:");
            let package = match specifier.strip_prefix('@') {
                Some(_) => specifier.splitn(3, '/').take(2).collect::<Vec<_>>().join("/"),
                None => specifier.split('/').next().unwrap_or_default().to_string(),
            };
            if bare && !package.is_empty() && !found.contains(&package) && !BUILTINS.contains(&package.as_str()) {
                found.push(package);
            }
        }
    }
    found
}

/// Node built-ins imported without the `node:` prefix; they need no preloading.
const BUILTINS: &[&str] = &[
    "assert",
    "buffer",
    "child_process",
    "crypto",
    "events",
    "fs",
    "http",
    "https",
    "net",
    "os",
    "path",
    "process",
    "readline",
    "stream",
    "string_decoder",
    "timers",
    "url",
    "util",
    "worker_threads",
    "zlib",
    "dns",
    "perf_hooks",
    "v8",
    "vm",
];

/// The specifiers of `import … from '…'` and `import('…')` in JavaScript source.
fn import_specifiers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        let candidate = if line.starts_with("import ") || line.starts_with("export ") {
            line.rsplit_once(" from ").map(|(_, rest)| rest).or_else(|| line.strip_prefix("import "))
        } else {
            line.find("import(").map(|i| &line[i + "import(".len()..])
        };
        let Some(rest) = candidate.map(str::trim_start) else { continue };
        let Some(quote) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') else { continue };
        if let Some(end) = rest[1..].find(quote) {
            out.push(rest[1..=end].to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A project stage's run folder is two levels deep (`run/shop/cart`): a link at
    /// either level is unlinked, never followed, and the suite is laid out in a real
    /// folder.
    #[test]
    fn lay_out_unlinks_links_in_a_stage_run_folder() {
        use std::os::unix::fs::symlink;

        let course = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/project-course");
        let files = CourseFiles::Disk(course.clone());
        let curriculum = crate::curriculum::load(&files).unwrap();
        let cart = curriculum.exercise("shop/cart").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir_all(elsewhere.join("cart")).unwrap();
        fs::write(elsewhere.join("cart/keep.txt"), "keep").unwrap();
        let run_root = dir.path().join("ws/.roadmap/run");
        fs::create_dir_all(&run_root).unwrap();
        let run_dir = run_root.join("shop/cart");

        for link in [run_root.join("shop"), run_root.join("shop/cart")] {
            let _ = fs::remove_dir_all(run_root.join("shop"));
            fs::create_dir_all(link.parent().unwrap()).unwrap();
            let target = if link.ends_with("cart") { elsewhere.join("cart") } else { elsewhere.clone() };
            symlink(&target, &link).unwrap();
            materialise(&files, cart, &run_dir).unwrap();
            let kept: Vec<_> = fs::read_dir(elsewhere.join("cart")).unwrap().map(|e| e.unwrap().file_name()).collect();
            assert_eq!(kept, ["keep.txt"], "nothing behind {} changed", link.display());
            assert!(!fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
            assert!(run_dir.join(SUITE_FILE).is_file());
        }

        let err = lay_out(&files, cart, &run_root.join("cart")).unwrap_err();
        assert!(format!("{err:#}").contains("is not the run folder of shop/cart"), "{err:#}");
    }

    #[test]
    fn finds_bare_imports_only() {
        let src = "import express from 'express';\nimport { z } from \"zod\";\nimport fs from 'node:fs';\nimport './local.js';\nconst pg = await import('pg');\nimport { Router } from 'express/lib/router.js';\nimport x from '@scope/pkg/deep';\nexport { a } from './a.js';";
        assert_eq!(
            import_specifiers(src),
            ["express", "zod", "node:fs", "./local.js", "pg", "express/lib/router.js", "@scope/pkg/deep", "./a.js"]
        );
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("app.js"), src).unwrap();
        fs::write(dir.path().join("suite.test.js"), "import http from 'http';\nimport request from 'supertest';")
            .unwrap();
        let found = bare_imports(dir.path(), &dir.path().join("suite.test.js"));
        assert_eq!(found, ["supertest", "express", "zod", "pg", "@scope/pkg"]);
    }
}
