//! Progress that cannot be lost: learner code that tampers with the progress file, files
//! damaged or cut short, corrupt copies kept side by side, and read-only workspaces.
mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Sandbox, copy_tree, fixture, roadmap};
use predicates::prelude::*;
use predicates::str::contains;

/// Two more copies of `sum` (same file, same suite) so that three exercises can be done
/// before `greet` is graded.
const COPIES: [&str; 2] = ["sum-a", "sum-b"];

/// A sandbox whose course holds `greet`, `sum`, `sum-a` and `sum-b`.
fn sandbox() -> Sandbox {
    let dir = tempfile::tempdir().unwrap();
    let course = dir.path().join("course");
    copy_tree(&fixture(), &course);
    let mut curriculum = fs::read_to_string(course.join("curriculum.toml")).unwrap();
    for (n, id) in COPIES.iter().enumerate() {
        for part in ["exercises", "checks", "solutions"] {
            copy_tree(&course.join(part).join("basics/sum"), &course.join(part).join("basics").join(id));
        }
        curriculum.push_str(&format!(
            "\n[[exercise]]\nid = \"{id}\"\nphase = \"basics\"\ntitle = \"Add two numbers, take {}\"\nfiles = [\"sum.js\"]\ntimeout = \"3s\"\npoints = 10\nhints = [\"Use the + operator.\"]\n",
            n + 2
        ));
    }
    fs::write(course.join("curriculum.toml"), curriculum).unwrap();
    roadmap()
        .current_dir(dir.path())
        .args(["init", "ws", "--no-install", "--curriculum"])
        .arg(&course)
        .assert()
        .success();
    Sandbox { dir }
}

/// Solves `sum`, `sum-a` and `sum-b` and records the three passes with `roadmap run`.
fn three_done(sb: &Sandbox) {
    for id in ["sum", "sum-a", "sum-b"] {
        sb.write(id, "sum.js", "export function sum(a, b) {\n  return a + b;\n}\n");
        sb.cmd().args(["run", id]).assert().success();
    }
    assert_eq!(done(sb), ["sum", "sum-a", "sum-b"]);
}

fn progress_path(sb: &Sandbox) -> PathBuf {
    sb.ws().join(".roadmap/progress.toml")
}

/// The exercises `roadmap progress --json` reports done (stderr is ignored here).
fn done(sb: &Sandbox) -> Vec<String> {
    let out = sb.cmd().args(["progress", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut done: Vec<String> = value["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["state"] == "done")
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    done.sort();
    done
}

/// Learner code for `greet` that passes and, while the suite imports it, does `tamper`
/// to the workspace's progress file (`file` is its path).
fn greet_that(tamper: &str) -> String {
    format!(
        "import fs from 'node:fs';\nimport path from 'node:path';\nconst file = path.join(process.env.EXERCISE_DIR, '../../../.roadmap/progress.toml');\n{tamper}\nexport function greet(name) {{\n  return `Hello, ${{name}}!`;\n}}\n"
    )
}

fn corrupt_copies(sb: &Sandbox) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(sb.ws().join(".roadmap"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("progress.toml.corrupt-"))
        .collect();
    found.sort();
    found
}

fn tampering_run_loses_nothing(tamper: &str, says: &str) {
    let sb = sandbox();
    three_done(&sb);
    sb.write("greet", "greet.js", &greet_that(tamper));
    sb.cmd()
        .args(["run", "greet"])
        .assert()
        .success()
        .stderr(contains(says).and(contains("restored")))
        .stdout(contains("Recorded: greet is done"));
    assert_eq!(done(&sb), ["greet", "sum", "sum-a", "sum-b"]);
    // The restored file is whole again: the next command finds nothing to repair.
    sb.cmd().arg("progress").assert().success().stderr("");
}

#[test]
fn learner_code_that_writes_garbage_over_progress_loses_no_pass() {
    tampering_run_loses_nothing("fs.writeFileSync(file, 'garbage {{{ \\u0000');", "could not be read");
}

#[test]
fn learner_code_that_empties_progress_loses_no_pass() {
    // A valid file in the old format, without any exercise.
    tampering_run_loses_nothing("fs.writeFileSync(file, 'version = 1\\n');", "had lost 3 pass(es)");
}

#[test]
fn learner_code_that_deletes_progress_loses_no_pass() {
    tampering_run_loses_nothing("fs.unlinkSync(file);", "was deleted");
}

#[test]
fn tampering_during_a_run_keeps_the_bad_copy() {
    let sb = sandbox();
    three_done(&sb);
    sb.write("greet", "greet.js", &greet_that("fs.writeFileSync(file, 'not toml at all');"));
    sb.cmd().args(["run", "greet"]).assert().success();
    let copies = corrupt_copies(&sb);
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert_eq!(fs::read_to_string(&copies[0]).unwrap(), "not toml at all");
}

#[test]
fn in_watch_mode_tampering_loses_no_pass_and_is_reported() {
    let sb = sandbox();
    three_done(&sb);
    let (mut child, rx) = common::plain_watch(&sb.ws());
    let mut seen = Vec::new();
    let mut wait_for = |needle: &str| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
                let found = line.contains(needle);
                seen.push(line);
                if found {
                    return;
                }
            }
        }
        panic!("`{needle}` never printed; got:\n{}", seen.join("\n"));
    };
    wait_for("2 of 2 tests failed");
    sb.write("greet", "greet.js", &greet_that("fs.writeFileSync(file, 'version = 1\\n');"));
    wait_for("greet is done");
    wait_for("had lost 3 pass(es)");
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(child.wait().unwrap().success(), "watch mode survives the tampering");
    assert_eq!(done(&sb), ["greet", "sum", "sum-a", "sum-b"]);
}

#[test]
fn corrupt_copies_moved_aside_in_the_same_second_are_all_kept() {
    let sb = Sandbox::new();
    // Five in well under two seconds: at least two of them share a second.
    let started = Instant::now();
    for n in 0..5 {
        fs::write(progress_path(&sb), format!("garbage number {n} [[[")).unwrap();
        sb.cmd().arg("progress").assert().success().stderr(contains("could not be read"));
    }
    assert!(started.elapsed() < Duration::from_secs(2), "too slow to prove anything: {:?}", started.elapsed());
    let mut kept: Vec<String> = corrupt_copies(&sb).iter().map(|p| fs::read_to_string(p).unwrap()).collect();
    kept.sort();
    let expected: Vec<String> = (0..5).map(|n| format!("garbage number {n} [[[")).collect();
    assert_eq!(kept, expected);
}

/// Cuts the file after the line that ends the table of `keep_through`: still valid TOML.
fn cut_after_table(path: &Path, keep_through: &str) {
    let text = fs::read_to_string(path).unwrap();
    let start = text.find(&format!("[exercises.{keep_through}]")).unwrap();
    let end = text[start..].find("\n\n").map_or(text.len(), |i| start + i + 1);
    let cut = &text[..end];
    assert!(toml::from_str::<toml::Table>(cut).is_ok(), "the cut file must still parse:\n{cut}");
    fs::write(path, cut).unwrap();
}

#[test]
fn a_file_cut_at_a_line_boundary_is_detected_and_its_passes_rebuilt() {
    let sb = sandbox();
    three_done(&sb);
    // `sum` is broken again since it passed: its pass must survive because the cut file
    // still shows it. `sum-b` is still solved: the re-check must win it back.
    sb.write("sum", "sum.js", "export function sum() {\n  return 0;\n}\n");
    cut_after_table(&progress_path(&sb), "sum-a");
    sb.cmd()
        .arg("progress")
        .assert()
        .success()
        .stderr(contains("does not match its integrity line").and(contains("re-checking the 1 other exercise(s)")))
        .stdout(contains("3/4 exercises done"));
    assert_eq!(done(&sb), ["sum", "sum-a", "sum-b"]);
    assert_eq!(corrupt_copies(&sb).len(), 1, "the damaged file is kept");
}

#[test]
fn a_hand_edited_file_gets_a_clear_message_and_keeps_what_it_says() {
    let sb = sandbox();
    three_done(&sb);
    let text = fs::read_to_string(progress_path(&sb)).unwrap();
    fs::write(progress_path(&sb), text.replace("current = \"greet\"", "current = \"sum-a\"")).unwrap();
    sb.cmd()
        .arg("progress")
        .assert()
        .success()
        .stderr(contains("edited by hand").and(contains("kept everything it could read from it")));
    assert_eq!(done(&sb), ["sum", "sum-a", "sum-b"]);
    assert!(fs::read_to_string(progress_path(&sb)).unwrap().contains("current = \"sum-a\""), "the edit is kept");
}

#[test]
fn a_file_from_an_older_roadmap_loads_quietly_and_is_upgraded() {
    let sb = sandbox();
    fs::write(
        progress_path(&sb),
        "# Your roadmap progress.\n\nversion = 1\ncurrent = \"greet\"\n\n[exercises.sum]\nstate = \"done\"\nattempts = 2\n\n[exercises.sum-a]\nstate = \"done\"\nattempts = 1\n",
    )
    .unwrap();
    sb.cmd().arg("progress").assert().success().stderr("").stdout(contains("2/4 exercises done"));
    sb.cmd().args(["hint", "greet"]).assert().success().stderr("");
    let upgraded = fs::read_to_string(progress_path(&sb)).unwrap();
    assert!(upgraded.contains("# integrity:") && upgraded.contains("version = 2"), "{upgraded}");
    assert_eq!(done(&sb), ["sum", "sum-a"]);
}

/// Makes `dir` and everything in it read-only, and writable again when dropped.
struct ReadOnly(PathBuf);

impl ReadOnly {
    fn new(dir: &Path) -> ReadOnly {
        assert!(Command::new("chmod").args(["-R", "a-w"]).arg(dir).status().unwrap().success());
        ReadOnly(dir.to_path_buf())
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = Command::new("chmod").args(["-R", "u+w"]).arg(&self.0).status();
    }
}

/// `roadmap` in the workspace as a user the file permissions apply to: root ignores
/// them, so as root it runs as `nobody` through setpriv. `None` when that is impossible.
fn unprivileged(sb: &Sandbox) -> Option<Command> {
    let bin = assert_cmd::cargo::cargo_bin!("roadmap");
    let mut cmd = if unsafe { libc::geteuid() } == 0 {
        let usable =
            Command::new("setpriv").args(["--reuid=65534", "--regid=65534", "--clear-groups", "true"]).status();
        if !usable.is_ok_and(|s| s.success()) {
            return None;
        }
        // The temp folder is private to its owner; `nobody` must be able to enter it.
        Command::new("chmod").arg("755").arg(sb.dir.path()).status().unwrap();
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(bin);
        cmd
    } else {
        Command::new(bin)
    };
    cmd.current_dir(sb.ws()).env_remove("NO_COLOR");
    Some(cmd)
}

#[test]
fn read_only_commands_work_in_a_read_only_workspace() {
    let sb = sandbox();
    three_done(&sb);
    let Some(_) = unprivileged(&sb) else {
        eprintln!("skipped: running as root without setpriv, so file permissions cannot be enforced");
        return;
    };
    let _guard = ReadOnly::new(&sb.ws());
    let out = unprivileged(&sb).unwrap().args(["progress", "--json"]).output().unwrap();
    assert!(out.status.success(), "progress failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"done\""));
    let out = unprivileged(&sb).unwrap().args(["list", "--plain"]).output().unwrap();
    assert!(out.status.success(), "list failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("sum-b"));
}

#[test]
fn a_damaged_file_in_a_read_only_workspace_is_read_not_moved() {
    let sb = sandbox();
    three_done(&sb);
    let Some(_) = unprivileged(&sb) else {
        eprintln!("skipped: running as root without setpriv, so file permissions cannot be enforced");
        return;
    };
    // Cut in the middle of a line: `sum-b` is lost, the rest can be salvaged.
    let text = fs::read_to_string(progress_path(&sb)).unwrap();
    let cut = &text[..text.find("[exercises.sum-b]").unwrap() + 12];
    fs::write(progress_path(&sb), cut).unwrap();
    let _guard = ReadOnly::new(&sb.ws());
    let out = unprivileged(&sb).unwrap().args(["progress"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "progress failed: {stderr}");
    assert!(stderr.contains("read-only"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("2/4 exercises done"), "what could be read is shown");
    assert_eq!(fs::read_to_string(progress_path(&sb)).unwrap(), cut, "nothing was written");
    assert!(corrupt_copies(&sb).is_empty());
}
