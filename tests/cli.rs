//! The learner's and mentor's commands, through the real binary.
mod common;

use std::fs;

use common::{Sandbox, copy_tree, fixture, roadmap};
use predicates::prelude::*;
use predicates::str::contains;

#[test]
fn init_creates_a_workspace_and_refuses_to_overwrite_it() {
    let sb = Sandbox::new();
    let ws = sb.ws();
    for file in [
        "package.json",
        "package-lock.json",
        "exercises/basics/sum/sum.js",
        "exercises/basics/sum/README.md",
        ".roadmap/progress.toml",
    ] {
        assert!(ws.join(file).is_file(), "{file} is missing");
    }
    assert!(!ws.join("solutions").exists(), "solutions must not be handed out");
    assert!(sb.read(".roadmap/progress.toml").contains("current = \"sum\""));

    roadmap()
        .current_dir(sb.dir.path())
        .args(["init", "ws", "--no-install", "--curriculum"])
        .arg(sb.course())
        .assert()
        .code(2)
        .stderr(contains("already a roadmap workspace"));

    fs::create_dir(sb.dir.path().join("busy")).unwrap();
    fs::write(sb.dir.path().join("busy/notes.txt"), "mine").unwrap();
    roadmap()
        .current_dir(sb.dir.path())
        .args(["init", "busy", "--no-install", "--curriculum"])
        .arg(sb.course())
        .assert()
        .code(2)
        .stderr(contains("not empty"));
    assert_eq!(fs::read_to_string(sb.dir.path().join("busy/notes.txt")).unwrap(), "mine");
}

#[test]
fn init_without_npm_says_what_to_run_later() {
    let dir = tempfile::tempdir().unwrap();
    roadmap()
        .current_dir(dir.path())
        .env("ROADMAP_NPM", "/nonexistent/npm")
        .args(["init", "course-ws", "--curriculum"])
        .arg(fixture())
        .assert()
        .success()
        .stderr(contains("npm was not found").and(contains("cd course-ws && npm ci")));
    assert!(dir.path().join("course-ws/.roadmap/progress.toml").is_file(), "the workspace stays usable");
}

#[test]
fn init_runs_npm_ci_and_reports_its_failure() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("npm");
    fs::write(&fake, "#!/bin/sh\necho \"npm $*\" > npm-args.txt\nexit 7\n").unwrap();
    fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    roadmap()
        .current_dir(dir.path())
        .env("ROADMAP_NPM", &fake)
        .args(["init", "w", "--curriculum"])
        .arg(fixture())
        .assert()
        .success()
        .stderr(contains("`npm ci` failed").and(contains("cd w && npm ci")));
    assert!(fs::read_to_string(dir.path().join("w/npm-args.txt")).unwrap().starts_with("npm ci"));
}

#[test]
fn run_reports_a_failing_starter_with_expected_and_actual() {
    let sb = Sandbox::new();
    sb.cmd().arg("run").assert().code(1).stdout(
        contains("✗ adds two positive numbers")
            .and(contains("First failure: adds two positive numbers"))
            .and(contains("sum(2, 3) should be 5"))
            .and(contains("expected: 5"))
            .and(contains("actual:   0"))
            .and(contains("3 of 3 tests failed"))
            .and(contains("roadmap hint sum")),
    );
    let progress = sb.read(".roadmap/progress.toml");
    assert!(progress.contains("state = \"failing\""), "{progress}");
}

#[test]
fn run_records_a_pass_and_moves_on() {
    let sb = Sandbox::new();
    sb.solve("sum");
    sb.cmd()
        .arg("run")
        .assert()
        .success()
        .stdout(contains("✓ All 3 tests pass").and(contains("Next: greet")).and(contains("roadmap solution sum")));
    let progress = sb.read(".roadmap/progress.toml");
    assert!(progress.contains("current = \"greet\""), "{progress}");
    assert!(progress.contains("first_pass = "), "{progress}");
    // With no argument, run now grades the next exercise.
    sb.cmd().arg("run").assert().code(1).stdout(contains("greet"));
}

#[test]
fn run_shows_the_learners_output() {
    let sb = Sandbox::new();
    sb.write("sum", "sum.js", "export function sum(a, b) { console.log('debug', a, b); return a + b; }\n");
    sb.cmd().args(["run", "sum"]).assert().success().stdout(contains("Your output:").and(contains("│ debug 2 3")));
}

#[test]
fn unknown_exercise_is_a_usage_error_with_a_suggestion() {
    let sb = Sandbox::new();
    sb.cmd().args(["run", "summ"]).assert().code(2).stderr(contains("no exercise `summ`").and(contains("sum")));
}

#[test]
fn commands_outside_a_workspace_explain_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    roadmap().current_dir(dir.path()).arg("run").assert().code(2).stderr(contains("roadmap init"));
}

#[test]
fn hint_reveals_one_more_each_time() {
    let sb = Sandbox::new();
    sb.cmd().arg("hint").assert().success().stdout(contains("1. Use the + operator.").and(contains("1 of 2")));
    sb.cmd().args(["hint", "sum"]).assert().success().stdout(contains("2. return a + b;").and(contains("of 2").not()));
}

#[test]
fn reset_restores_the_starter_and_keeps_a_backup() {
    let sb = Sandbox::new();
    sb.write("sum", "sum.js", "my work\n");
    sb.cmd().args(["reset", "sum"]).write_stdin("").assert().code(2).stderr(contains("--yes"));
    assert_eq!(sb.read("exercises/basics/sum/sum.js"), "my work\n", "nothing changes without confirmation");

    sb.cmd().args(["reset", "sum", "--yes"]).assert().success().stdout(contains("Restored"));
    assert!(sb.read("exercises/basics/sum/sum.js").contains("TODO"));
    let backups: Vec<_> = fs::read_dir(sb.ws().join(".roadmap/backup")).unwrap().collect();
    assert_eq!(backups.len(), 1);
    let backup = backups[0].as_ref().unwrap().path();
    assert_eq!(fs::read_to_string(backup.join("sum.js")).unwrap(), "my work\n");
}

#[test]
fn the_solution_unlocks_only_after_a_pass() {
    let sb = Sandbox::new();
    sb.cmd().args(["solution", "sum"]).assert().code(2).stderr(contains("unlocks once you pass"));
    assert!(!sb.ws().join("solutions").exists());
    sb.solve("sum");
    sb.cmd().args(["run", "sum"]).assert().success();
    sb.cmd().args(["solution", "sum"]).assert().success().stdout(contains("sum.js"));
    assert!(sb.read("solutions/basics/sum/sum.js").contains("a + b"));
}

#[test]
fn progress_in_text_and_json() {
    let sb = Sandbox::new();
    sb.solve("sum");
    sb.cmd().args(["run", "sum"]).assert().success();
    sb.cmd()
        .arg("progress")
        .assert()
        .success()
        .stdout(contains("1/2 exercises done (50%)").and(contains("points 10/30")));
    let out = sb.cmd().args(["progress", "--json"]).assert().success().get_output().stdout.clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["done"], 1);
    assert_eq!(json["total"], 2);
    assert_eq!(json["points"], 10);
    assert_eq!(json["current"], "greet");
    assert_eq!(json["exercises"][0]["state"], "done");
    assert_eq!(json["exercises"][1]["state"], "pending");
}

#[test]
fn list_plain_shows_phases_status_and_the_current_exercise() {
    let sb = Sandbox::new();
    sb.cmd().args(["run", "sum"]).assert().code(1);
    sb.cmd().args(["list", "--plain"]).assert().success().stdout(
        contains("Phase 0 · Basics  0/2")
            .and(contains(" ▸✗ sum "))
            .and(contains("  · greet "))
            .and(contains("\x1b[").not()),
    );
}

#[test]
fn a_corrupt_progress_file_is_moved_aside_and_rebuilt() {
    let sb = Sandbox::new();
    sb.solve("sum");
    sb.write("greet", "greet.js", "export function greet() { return 'nope'; }\n");
    fs::write(sb.ws().join(".roadmap/progress.toml"), "version = 1\n[exercises.sum\nstate = ").unwrap();
    sb.cmd()
        .arg("progress")
        .assert()
        .success()
        .stderr(
            contains("could not be read (line 2")
                .and(contains("progress.toml.corrupt-"))
                .and(contains("1 exercise(s) done")),
        )
        .stdout(contains("1/2 exercises done"));
    let kept: Vec<_> = fs::read_dir(sb.ws().join(".roadmap"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("progress.toml.corrupt-"))
        .collect();
    assert_eq!(kept.len(), 1);
    assert!(
        fs::read_to_string(kept[0].path()).unwrap().contains("[exercises.sum"),
        "the damaged file is kept as it was"
    );
}

#[test]
fn a_missing_progress_file_is_rebuilt_from_a_recheck() {
    let sb = Sandbox::new();
    sb.solve("sum");
    fs::remove_file(sb.ws().join(".roadmap/progress.toml")).unwrap();
    sb.cmd().args(["progress", "--json"]).assert().success().stderr(contains("is missing; rebuilding"));
    assert!(sb.read(".roadmap/progress.toml").contains("state = \"done\""));
}

#[test]
fn a_malformed_curriculum_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(), dir.path());
    let toml = fs::read_to_string(dir.path().join("curriculum.toml")).unwrap();
    fs::write(
        dir.path().join("curriculum.toml"),
        toml.replace("timeout = \"3s\"\npoints = 10", "timeout = \"3s\"\npoint = 10"),
    )
    .unwrap();
    roadmap()
        .current_dir(dir.path())
        .args(["dev", "check"])
        .assert()
        .code(1)
        .stderr(contains("curriculum.toml:15:1: point: unknown field `point`"));
    roadmap()
        .current_dir(dir.path())
        .args(["init", "x", "--no-install"])
        .assert()
        .code(2)
        .stderr(contains("curriculum.toml:15:1: point:"));
}

#[test]
fn dev_check_proves_the_fixture_course() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(), dir.path());
    fs::create_dir(dir.path().join("workspace/node_modules")).unwrap();
    roadmap()
        .args(["dev", "check", "--jobs", "2", "--curriculum"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(contains("✓ sum").and(contains("starter fails 3 of 3 tests")).and(contains("No problems")));
}

#[test]
fn dev_check_lists_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(), dir.path());
    fs::create_dir(dir.path().join("workspace/node_modules")).unwrap();
    // A solution that is wrong, and a starter that already passes.
    fs::write(dir.path().join("solutions/basics/sum/sum.js"), "export const sum = (a, b) => a - b;\n").unwrap();
    fs::copy(dir.path().join("solutions/basics/greet/greet.js"), dir.path().join("exercises/basics/greet/greet.js"))
        .unwrap();
    roadmap().args(["dev", "check", "--curriculum"]).arg(dir.path()).assert().code(1).stderr(
        contains("2 problem(s)")
            .and(contains("sum: the solution must pass, but it was `fail`: `adds two positive numbers`"))
            .and(contains("greet: the starter must fail its suite cleanly, but it was `pass`")),
    );
}

#[test]
fn dev_check_requires_installed_packages() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(), dir.path());
    roadmap()
        .args(["dev", "check", "--curriculum"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("npm ci --prefix"));
}

#[test]
fn completions_and_version() {
    roadmap().args(["completions", "bash"]).assert().success().stdout(contains("_roadmap"));
    roadmap().arg("--version").assert().success().stdout(contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn dev_new_scaffolds_an_exercise_and_dev_check_lists_what_is_left() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(), dir.path());
    fs::create_dir(dir.path().join("workspace/node_modules")).unwrap();
    roadmap().current_dir(dir.path()).args(["dev", "new", "basics/shout", "--title", "Shout"]).assert().success();
    for file in [
        "exercises/basics/shout/README.md",
        "exercises/basics/shout/index.js",
        "solutions/basics/shout/index.js",
        "checks/basics/shout/suite.test.js",
    ] {
        assert!(dir.path().join(file).is_file(), "{file}");
    }
    roadmap().current_dir(dir.path()).args(["dev", "check", "shout"]).assert().code(1).stderr(
        contains("checks/basics/shout/suite.test.js: still holds a TODO(scaffold) placeholder")
            .and(contains("curriculum.toml: still holds a TODO(scaffold)"))
            .and(contains("shout: the solution must pass")),
    );
    roadmap()
        .current_dir(dir.path())
        .args(["dev", "new", "basics/shout"])
        .assert()
        .code(2)
        .stderr(contains("exists already"));
    roadmap()
        .current_dir(dir.path())
        .args(["dev", "new", "nope/x"])
        .assert()
        .code(2)
        .stderr(contains("no phase `nope` (phases: basics)"));
    roadmap()
        .current_dir(dir.path())
        .args(["dev", "new", "basics/Bad_Id"])
        .assert()
        .code(2)
        .stderr(contains("kebab-case"));
}

#[test]
fn dev_check_warns_about_small_suites_and_reports_flaky_ones() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(), dir.path());
    fs::create_dir(dir.path().join("workspace/node_modules")).unwrap();
    // A test whose verdict flips between two runs of the same code.
    let suite = dir.path().join("checks/basics/greet/suite.test.js");
    let flaky = fs::read_to_string(&suite).unwrap()
        + "\nimport { existsSync, writeFileSync } from 'node:fs';\nimport { tmpdir } from 'node:os';\nconst marker = `${tmpdir()}/roadmap-flaky-${process.env.ROADMAP_FLAKY_ID}`;\ntest('flips', () => { if (process.env.EXERCISE_DIR.includes('starter')) return; const seen = existsSync(marker); writeFileSync(marker, ''); assert.ok(!seen); });\n";
    fs::write(&suite, flaky).unwrap();
    let id = format!("{}-{}", std::process::id(), dir.path().display().to_string().len());
    roadmap()
        .current_dir(dir.path())
        .env("ROADMAP_FLAKY_ID", &id)
        .args(["dev", "check"])
        .assert()
        .code(1)
        .stdout(contains("warning: sum has only 3 tests"))
        .stderr(contains("greet: the solution could not be checked: flaky: the same code got two different verdicts"));
    let _ = fs::remove_file(std::env::temp_dir().join(format!("roadmap-flaky-{id}")));
}

#[test]
fn the_built_in_curriculum_is_sound_and_makes_a_workspace() {
    // Outside any curriculum folder, init uses the course embedded in the binary.
    let dir = tempfile::tempdir().unwrap();
    roadmap().current_dir(dir.path()).args(["init", "ws", "--no-install"]).assert().success();
    let ws = dir.path().join("ws");
    assert!(ws.join("exercises/00-prerequisites/closures-counter/README.md").is_file());
    assert!(ws.join("projects/saas-backend/README.md").is_file(), "projects are embedded too");
    roadmap()
        .current_dir(&ws)
        .args(["list", "--plain"])
        .assert()
        .success()
        .stdout(contains("closures-counter").and(contains("saas-backend/subscriptions")));
    roadmap().current_dir(&ws).args(["hint", "saas-backend"]).assert().success();
}

#[test]
fn a_typo_in_an_exercise_name_gets_a_suggestion() {
    let sb = Sandbox::new();
    sb.cmd().args(["run", "gret"]).assert().code(2).stderr(contains("did you mean greet?"));
}
