//! The command runner: exercises in other stacks, graded by a command whose results
//! are read from JUnit or TAP (a shell script, and a Rust exercise crate under `cargo test`).
mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{copy_tree, roadmap};
use predicates::prelude::*;
use predicates::str::contains;
use tempfile::TempDir;

fn course() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/command-course")
}

fn workspace() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    roadmap()
        .current_dir(dir.path())
        .args(["init", "ws", "--no-install", "--curriculum"])
        .arg(course())
        .assert()
        .success();
    let ws = dir.path().join("ws");
    (dir, ws)
}

#[test]
fn a_shell_exercise_is_graded_through_its_junit_report() {
    let (_dir, ws) = workspace();
    roadmap()
        .current_dir(&ws)
        .args(["run", "shell-greeting"])
        .assert()
        .code(1)
        .stdout(contains("✗ greet.sh › greets Ada").and(contains("expected 'Hello, Ada!', got 'hi'")));
    fs::copy(
        course().join("solutions/other/shell-greeting/greet.sh"),
        ws.join("exercises/other/shell-greeting/greet.sh"),
    )
    .unwrap();
    roadmap().current_dir(&ws).args(["run", "shell-greeting"]).assert().success().stdout(contains("All 2 tests pass"));
}

#[test]
fn a_rust_exercise_crate_is_graded_by_cargo_test() {
    let (_dir, ws) = workspace();
    let lib = ws.join("exercises/other/rust-add/src/lib.rs");
    roadmap().current_dir(&ws).args(["run", "rust-add"]).assert().code(1).stdout(contains("✗ adds_positive_numbers"));
    fs::write(&lib, "pub fn add(a: i64, b: i64) -> i64 { a + b }\n").unwrap();
    roadmap().current_dir(&ws).args(["run", "rust-add"]).assert().success().stdout(contains("✓ adds_negative_numbers"));
    // A crate that does not compile reports the compiler's error, not a silent pass.
    fs::write(&lib, "pub fn add(a: i64, b: i64) -> i64 { a + }\n").unwrap();
    roadmap()
        .current_dir(&ws)
        .args(["run", "rust-add"])
        .assert()
        .code(1)
        .stdout(contains("the command reported no tests").and(contains("error")));
}

#[test]
fn dev_check_proves_command_exercises_too() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&course(), dir.path());
    fs::create_dir(dir.path().join("workspace/node_modules")).unwrap();
    roadmap().args(["dev", "check", "--curriculum"]).arg(dir.path()).assert().success().stdout(contains("✓ rust-add"));
}

#[test]
fn a_bad_results_spec_is_a_curriculum_error() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&course(), dir.path());
    let toml = fs::read_to_string(dir.path().join("curriculum.toml")).unwrap().replace("tap:results.tap", "xunit");
    fs::write(dir.path().join("curriculum.toml"), toml).unwrap();
    roadmap()
        .args(["dev", "check", "--curriculum"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(contains("exercise `rust-add` results: `xunit` is not one of"));
}
