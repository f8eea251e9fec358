//! `roadmap grade`: CI grading of a whole workspace in every output format.
mod common;

use std::fs;

use common::{Sandbox, roadmap};
use predicates::str::contains;

fn graded_sandbox() -> Sandbox {
    let sb = Sandbox::new();
    fs::create_dir(sb.ws().join("node_modules")).unwrap();
    sb.solve("sum");
    sb
}

#[test]
fn grades_every_exercise_and_prints_points_last() {
    let sb = graded_sandbox();
    let out = sb.cmd().arg("grade").assert().code(1).get_output().stdout.clone();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("✓ sum"), "{out}");
    assert!(out.contains("✗ greet"), "{out}");
    assert!(out.trim_end().ends_with("Points 10/30"), "the totals come last:\n{out}");
}

#[test]
fn writes_json_junit_and_markdown_in_one_run() {
    let sb = graded_sandbox();
    sb.write("greet", "greet.js", "export const greet = (name) => name === 'Ada' ? 'Hello, Ada!' : '';\n");
    let dir = tempfile::tempdir().unwrap();
    let (json, junit, md) = (dir.path().join("r.json"), dir.path().join("r.xml"), dir.path().join("r.md"));
    sb.cmd()
        .arg("grade")
        .arg(format!("--format=json={}", json.display()))
        .arg(format!("--format=junit={}", junit.display()))
        .arg(format!("--format=markdown={}", md.display()))
        .assert()
        .code(1)
        .stdout(contains("Points 20/30"));

    let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["version"], 3);
    assert_eq!(v["status"], "fail");
    assert_eq!(v["points"]["earned"], 20.0);
    assert_eq!(v["points"]["possible"], 30);
    let greet = &v["exercises"][1];
    assert_eq!(greet["id"], "greet");
    assert_eq!(greet["points"]["earned"], 10.0, "partial credit: 1 of 2 tests of a 20-point exercise");
    assert_eq!(greet["tests_passed"], 1);
    let tests = v["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 5);
    let failed = tests.iter().find(|t| t["status"] == "fail").unwrap();
    assert_eq!(failed["task_id"], 2);
    assert!(failed["message"].as_str().unwrap().contains("expected: 'Hello, Linus!'"), "{failed}");
    assert!(!failed["message"].as_str().unwrap().contains("+ actual - expected"), "{failed}");

    let xml = fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("valid XML");
    let suites: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testsuite")).collect();
    assert_eq!(suites.len(), 2);
    assert_eq!(suites[1].attribute("name"), Some("greet"));
    assert_eq!(suites[1].attribute("failures"), Some("1"));
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 5);
    let failure = doc.descendants().find(|n| n.has_tag_name("failure")).unwrap();
    assert!(failure.attribute("message").is_some());
    let points =
        doc.descendants().find(|n| n.has_tag_name("property") && n.attribute("name") == Some("points-earned")).unwrap();
    assert_eq!(points.attribute("value"), Some("10"));

    let md = fs::read_to_string(&md).unwrap();
    assert!(md.contains("| ✅ | `sum` Add two numbers | basics | 3/3 | 10/10 |"), "{md}");
    assert!(md.contains("| ❌ | `greet`"), "{md}");
    assert!(md.contains("**Points 20/30**"), "{md}");
}

#[test]
fn fail_under_passes_a_course_on_points() {
    let sb = graded_sandbox();
    sb.cmd().args(["grade", "--fail-under", "10"]).assert().success();
    sb.cmd().args(["grade", "--fail-under", "10.5"]).assert().code(1);
}

#[test]
fn the_submission_is_never_modified_even_by_hostile_code() {
    let sb = graded_sandbox();
    // Writes outside its folder, loops forever in the second test.
    sb.write(
        "greet",
        "greet.js",
        "import { writeFileSync } from 'node:fs';\nwriteFileSync(new URL('../../../pwned.txt', import.meta.url), 'x');\nwriteFileSync(new URL('./greet.js', import.meta.url), 'overwritten');\nlet calls = 0;\nexport function greet(name) { if (++calls > 1) for (;;) {} return `Hello, ${name}!`; }\n",
    );
    let before = sb.read("exercises/basics/greet/greet.js");
    let out = sb.cmd().args(["grade", "--format", "json"]).assert().code(1).get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    let json_end = text.rfind("Points").unwrap();
    let v: serde_json::Value = serde_json::from_str(&text[..json_end]).unwrap();
    assert_eq!(v["exercises"][1]["status"], "timeout");
    assert_eq!(sb.read("exercises/basics/greet/greet.js"), before, "the learner's file is untouched");
    assert!(!sb.ws().join("pwned.txt").exists() && !sb.dir.path().join("pwned.txt").exists());
    assert!(!sb.ws().join(".roadmap/run").exists(), "no scratch in the submission");
}

#[test]
fn cannot_grade_without_a_workspace_packages_or_node() {
    let dir = tempfile::tempdir().unwrap();
    roadmap().current_dir(dir.path()).arg("grade").assert().code(2).stderr(contains("not a roadmap workspace"));
    let sb = Sandbox::new();
    sb.cmd().arg("grade").assert().code(2).stderr(contains("run `npm ci`"));
    fs::create_dir(sb.ws().join("node_modules")).unwrap();
    sb.cmd()
        .env("ROADMAP_NODE", "/nonexistent/node")
        .arg("grade")
        .assert()
        .code(2)
        .stderr(contains("Node.js was not found"));
    sb.cmd().args(["grade", "--format", "yaml"]).assert().code(2).stderr(contains("unknown format `yaml`"));
}

#[test]
fn the_ci_template_is_valid_yaml_that_names_real_commands() {
    let out = roadmap().arg("ci-template").assert().success().get_output().stdout.clone();
    let yaml: serde_yaml::Value = serde_yaml::from_slice(&out).expect("the template parses as YAML");
    let steps = yaml["jobs"]["grade"]["steps"].as_sequence().expect("a grade job with steps");
    let runs: Vec<String> = steps.iter().filter_map(|s| s["run"].as_str().map(str::to_string)).collect();
    let grade = runs.iter().find(|r| r.contains("roadmap grade")).expect("a step runs roadmap grade");
    for flag in ["--format", "--fail-under"] {
        assert!(grade.contains(flag), "{grade}");
        roadmap().args(["grade", "--help"]).assert().success().stdout(contains(flag));
    }
    assert!(grade.contains("junit=") && grade.contains("markdown="), "{grade}");
    assert!(runs.iter().any(|r| r.contains("GITHUB_STEP_SUMMARY")), "the summary is published");
    assert!(runs.iter().any(|r| r.contains("npm ci")));
    let template = String::from_utf8(out).unwrap();
    assert!(
        fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap().contains("roadmap ci-template")
    );
    assert!(template.contains("roadmap-junit.xml"));
}
