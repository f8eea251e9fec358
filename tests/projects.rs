//! Staged projects: one codebase graded stage by stage, earlier stages re-run as
//! regression checks, progress and hints per stage.
mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{copy_tree, roadmap};
use predicates::prelude::*;
use predicates::str::contains;
use tempfile::TempDir;

fn course() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/project-course")
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

fn use_solution(ws: &Path, stage: &str) {
    fs::copy(course().join("solutions/projects/shop").join(stage).join("shop.js"), ws.join("projects/shop/shop.js"))
        .unwrap();
}

#[test]
fn a_project_is_graded_stage_by_stage_with_earlier_stages_rerun() {
    let (_dir, ws) = workspace();
    assert!(ws.join("projects/shop/shop.js").is_file(), "init hands out the project's starter");

    roadmap()
        .current_dir(&ws)
        .args(["run", "shop"])
        .assert()
        .code(1)
        .stdout(contains("shop/cart · A tiny shop · stage 1/2: Cart"));
    use_solution(&ws, "cart");
    roadmap().current_dir(&ws).args(["run", "shop"]).assert().success().stdout(
        contains("✓ stage 1 · Cart › the total is the sum of the prices").and(contains("Next: shop/discounts")),
    );

    // Stage 2 runs its own suite first, then stage 1's.
    let out = roadmap().current_dir(&ws).args(["run", "shop"]).assert().code(1).get_output().stdout.clone();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("shop/discounts · A tiny shop · stage 2/2: Discount codes"), "{out}");
    assert!(out.contains("✗ stage 2 · Discount codes › SAVE10 takes 10% off"), "{out}");
    assert!(out.contains("✓ stage 1 · Cart › an empty cart totals 0"), "{out}");
    assert!(out.find("stage 2 ·").unwrap() < out.find("stage 1 ·").unwrap(), "the current stage comes first:\n{out}");
    assert!(!out.contains("Regression"), "{out}");

    use_solution(&ws, "discounts");
    roadmap().current_dir(&ws).args(["run", "shop"]).assert().success().stdout(contains("All 4 tests pass"));
    let progress = fs::read_to_string(ws.join(".roadmap/progress.toml")).unwrap();
    assert_eq!(progress.matches("state = \"done\"").count(), 2, "{progress}");
}

#[test]
fn breaking_an_earlier_stage_is_reported_as_a_regression() {
    let (_dir, ws) = workspace();
    let broken = fs::read_to_string(course().join("solutions/projects/shop/discounts/shop.js"))
        .unwrap()
        .replace("prices.reduce((sum, p) => sum + p, 0)", "prices.reduce((sum, p) => sum + p, 1)");
    fs::write(ws.join("projects/shop/shop.js"), broken).unwrap();
    roadmap()
        .current_dir(&ws)
        .args(["run", "shop/discounts"])
        .assert()
        .code(1)
        .stdout(contains("Regression: stage 1 · Cart passed before and fails now"));
}

#[test]
fn stages_have_their_own_hints_and_appear_in_the_list() {
    let (_dir, ws) = workspace();
    roadmap()
        .current_dir(&ws)
        .args(["hint", "shop/discounts"])
        .assert()
        .success()
        .stdout(contains("Apply the percentage"));
    roadmap()
        .current_dir(&ws)
        .args(["list", "--plain"])
        .assert()
        .success()
        .stdout(contains("shop/cart").and(contains("shop/discounts")).and(contains("Must-build projects")));
}

#[test]
fn dev_check_proves_each_stage_and_that_stages_build_on_each_other() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&course(), dir.path());
    fs::create_dir(dir.path().join("workspace/node_modules")).unwrap();
    roadmap()
        .args(["dev", "check", "--curriculum"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(contains("previous stage's solution fails 2 of 4 tests"));
    // A stage that asks for nothing new is caught.
    fs::copy(
        dir.path().join("solutions/projects/shop/discounts/shop.js"),
        dir.path().join("solutions/projects/shop/cart/shop.js"),
    )
    .unwrap();
    roadmap().args(["dev", "check", "--curriculum"]).arg(dir.path()).assert().code(1).stderr(contains(
        "shop/discounts: the previous stage's solution must fail its suite cleanly, but it was `pass`",
    ));
}
