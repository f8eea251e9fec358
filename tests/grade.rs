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
    let out = sb.grade().assert().code(1).get_output().stdout.clone();
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
    sb.grade()
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
    assert_eq!(
        failed["test_code"],
        "test('greets another name', { timeout: 1000 }, () => {\n  assert.equal(greet('Linus'), 'Hello, Linus!');\n});"
    );

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
    sb.grade().args(["--fail-under", "10"]).assert().success();
    sb.grade().args(["--fail-under", "10.5"]).assert().code(1);
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
    let out = sb.grade().args(["--format", "json"]).assert().code(1).get_output().stdout.clone();
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
    sb.grade().assert().code(2).stderr(contains("run `npm ci`"));
    fs::create_dir(sb.ws().join("node_modules")).unwrap();
    sb.grade().env("ROADMAP_NODE", "/nonexistent/node").assert().code(2).stderr(contains("Node.js was not found"));
    sb.grade().args(["--format", "yaml"]).assert().code(2).stderr(contains("unknown format `yaml`"));
}

fn json_of(out: &[u8]) -> serde_json::Value {
    let text = String::from_utf8(out.to_vec()).unwrap();
    let json_end = text.rfind("Points").unwrap();
    serde_json::from_str(&text[..json_end]).unwrap()
}

#[test]
fn the_course_comes_from_the_teacher_never_from_the_submission() {
    let sb = graded_sandbox();
    // The submission carries a course of its own whose suites pass anything, and
    // points its workspace.toml at it.
    let evil = sb.ws().join("evil-course");
    common::copy_tree(&sb.course(), &evil);
    for id in ["sum", "greet"] {
        fs::write(
            evil.join("checks/basics").join(id).join("suite.test.js"),
            "import { test } from 'node:test';\ntest('anything', () => {});\n",
        )
        .unwrap();
    }
    let _ = fs::remove_file(evil.join("checks/basics/sum/tests.manifest"));
    let _ = fs::remove_file(evil.join("checks/basics/greet/tests.manifest"));
    fs::write(sb.ws().join(".roadmap/workspace.toml"), format!("format = 1\ncurriculum = {:?}\n", evil.display()))
        .unwrap();
    fs::write(sb.ws().join("curriculum.toml"), fs::read_to_string(evil.join("curriculum.toml")).unwrap()).unwrap();

    let out = sb.grade().args(["--format", "json"]).assert().code(1).get_output().stdout.clone();
    let v = json_of(&out);
    assert_eq!(v["exercises"][1]["id"], "greet");
    assert_eq!(v["exercises"][1]["status"], "fail", "the teacher's suite graded greet: {}", v["exercises"][1]);

    // Without --curriculum it is the course built into roadmap, whatever the submission says.
    let out = sb.cmd().args(["grade", "--format", "json"]).assert().code(1).get_output().stdout.clone();
    let v = json_of(&out);
    assert_eq!(v["exercises"][0]["id"], "closures-counter", "the built-in course");
}

#[test]
fn a_deleted_exercise_folder_costs_its_points_and_every_report_is_written() {
    let sb = graded_sandbox();
    fs::remove_dir_all(sb.ws().join("exercises/basics/greet")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (json, md) = (dir.path().join("r.json"), dir.path().join("r.md"));
    sb.grade()
        .arg(format!("--format=json={}", json.display()))
        .arg(format!("--format=markdown={}", md.display()))
        .assert()
        .code(1)
        .stdout(contains("Points 10/30"));
    let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["exercises"][0]["status"], "pass");
    let greet = &v["exercises"][1];
    assert_eq!(greet["status"], "error");
    assert!(greet["message"].as_str().unwrap().contains("exercises/basics/greet is missing"), "{greet}");
    assert!(fs::read_to_string(&md).unwrap().contains("greet"));
}

#[test]
fn graded_code_cannot_reach_the_submissions_packages_and_is_flagged() {
    let sb = graded_sandbox();
    fs::write(sb.ws().join("node_modules/marker.txt"), "original").unwrap();
    sb.write(
        "greet",
        "greet.js",
        "import { writeFileSync } from 'node:fs';\nimport { join } from 'node:path';\nconst fd = process.env.ROADMAP_REPORT_FD;\nwriteFileSync(join(process.cwd(), '../../../node_modules/marker.txt'), 'changed');\nexport const greet = (name) => `Hello, ${name}!`;\n",
    );
    let out = sb.grade().args(["--format", "json"]).assert().get_output().stdout.clone();
    let v = json_of(&out);
    assert_eq!(fs::read_to_string(sb.ws().join("node_modules/marker.txt")).unwrap(), "original");
    let flags = v["exercises"][1]["flags"].as_array().unwrap();
    assert!(flags.iter().any(|f| f.as_str().unwrap().contains("greet.js:3")), "{flags:?}");
    assert!(v["exercises"][1]["containment"].as_str().is_some());
}

#[test]
fn a_linked_node_modules_is_copied_never_written_through() {
    // Workspaces often link node_modules to a shared install; grading must copy what
    // the link points at and leave those files as they were.
    let sb = Sandbox::new();
    sb.solve("sum");
    let shared = sb.dir.path().join("shared-modules");
    fs::create_dir_all(shared.join("pkg")).unwrap();
    fs::write(shared.join("pkg/package.json"), "{\"name\":\"pkg\"}").unwrap();
    std::os::unix::fs::symlink(&shared, sb.ws().join("node_modules")).unwrap();
    sb.grade().assert().code(1).stdout(contains("Points 10/30"));
    assert_eq!(fs::read_to_string(shared.join("pkg/package.json")).unwrap(), "{\"name\":\"pkg\"}");
}

#[test]
fn tests_the_untouched_starter_already_passes_earn_no_points() {
    let sb = graded_sandbox();
    // Mark greet's first test as one the starter passes: an untouched greet then earns
    // nothing for it, and a solution that passes only it earns nothing either.
    let manifest = sb.course().join("checks/basics/greet/tests.manifest");
    let text = fs::read_to_string(&manifest).unwrap();
    let first = text.lines().find(|l| l.starts_with("+ ")).unwrap().to_string();
    fs::write(&manifest, text.replacen(&first, &first.replacen("+ ", "= ", 1), 1)).unwrap();
    let passes_first_only = "export const greet = (name) => name === 'Ada' ? 'Hello, Ada!' : '';\n";
    sb.write("greet", "greet.js", passes_first_only);
    let out = sb.grade().args(["--format", "json"]).assert().code(1).get_output().stdout.clone();
    let v = json_of(&out);
    let greet = &v["exercises"][1];
    // The starter's test is left out of the count that earns points.
    assert_eq!((greet["tests_passed"].as_u64(), greet["tests_total"].as_u64()), (Some(0), Some(1)), "{greet}");
    assert_eq!(greet["points"]["earned"], 0.0, "{greet}");
    assert_eq!(greet["tests"][0]["status"], "pass");
    assert_eq!(greet["tests"][0]["points"], 0.0);
    assert!(first.contains("greets by name"), "{first}");
}

/// A class of three: alice solved `sum`, bob both exercises, and `carol` is no workspace.
fn class() -> (Sandbox, Vec<std::path::PathBuf>) {
    let sb = Sandbox::new();
    let class = sb.dir.path().join("class");
    for student in ["alice", "bob"] {
        roadmap()
            .current_dir(sb.dir.path())
            .args(["init", &format!("class/{student}"), "--no-install", "--curriculum"])
            .arg(sb.course())
            .assert()
            .success();
    }
    let solution = |id: &str, student: &str| {
        let file = format!("{id}.js");
        fs::copy(
            sb.course().join("solutions/basics").join(id).join(&file),
            class.join(student).join("exercises/basics").join(id).join(&file),
        )
        .unwrap();
    };
    solution("sum", "alice");
    solution("sum", "bob");
    solution("greet", "bob");
    fs::create_dir_all(class.join("carol")).unwrap();
    fs::create_dir_all(sb.dir.path().join("packages/node_modules")).unwrap();
    let dirs = ["alice", "bob", "carol"].iter().map(|s| class.join(s)).collect();
    (sb, dirs)
}

/// `roadmap grade` of `dirs` with the fixture course and the class's shared packages.
fn class_grade(sb: &Sandbox, dirs: &[std::path::PathBuf]) -> assert_cmd::Command {
    let mut cmd = roadmap();
    cmd.arg("--curriculum").arg(sb.course()).arg("grade").args(dirs);
    cmd.arg("--node-modules").arg(sb.dir.path().join("packages"));
    cmd
}

#[test]
fn a_class_gets_a_report_per_submission_and_a_summary_per_student_and_phase() {
    let (sb, dirs) = class();
    let out = sb.dir.path().join("grades");
    class_grade(&sb, &dirs).arg("--out-dir").arg(&out).assert().success().stdout(contains("Graded 3 submissions"));
    let csv = fs::read_to_string(out.join("class.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "student,path,status,points,possible,passing,exercises,basics,flags");
    assert!(rows[1].starts_with("alice,") && rows[1].ends_with(",graded,10,30,1,2,10,0"), "{csv}");
    assert!(rows[2].starts_with("bob,") && rows[2].ends_with(",graded,30,30,2,2,30,0"), "{csv}");
    assert!(rows[3].starts_with("carol,") && rows[3].contains(",error,0,30,"), "{csv}");
    let alice: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("alice/results.json")).unwrap()).unwrap();
    assert_eq!(alice["points"]["earned"], 10.0);
    assert!(out.join("bob/junit.xml").is_file() && out.join("bob/summary.md").is_file());
    assert!(fs::read_to_string(out.join("class.md")).unwrap().contains("| bob | 30/30 | 30 |"));
    // A threshold makes the job fail when a submission falls short of it.
    class_grade(&sb, &dirs[..2]).arg("--out-dir").arg(&out).args(["--fail-under", "20"]).assert().code(1);
}

#[test]
fn shards_grade_each_submission_once_and_merge_into_one_class() {
    let (sb, dirs) = class();
    let mut shards = Vec::new();
    for k in 1..=2 {
        let out = sb.dir.path().join(format!("shard-{k}"));
        class_grade(&sb, &dirs).args(["--shard", &format!("{k}/2"), "--out-dir"]).arg(&out).assert().success();
        shards.push(out.join("class.json"));
    }
    let students = |file: &std::path::Path| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(file).unwrap()).unwrap();
        v["students"].as_array().unwrap().iter().map(|s| s["student"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(students(&shards[0]), ["alice", "carol"]);
    assert_eq!(students(&shards[1]), ["bob"]);
    let merged = sb.dir.path().join("merged");
    roadmap().args(["grade", "merge"]).args(&shards).arg("--out-dir").arg(&merged).assert().success();
    assert_eq!(students(&merged.join("class.json")), ["alice", "bob", "carol"]);
    assert_eq!(fs::read_to_string(merged.join("class.csv")).unwrap().lines().count(), 4);
    // Merging a shard twice is refused: it would count a student twice.
    roadmap().args(["grade", "merge"]).arg(&shards[0]).arg(&shards[0]).assert().code(2).stderr(contains("two shards"));
    roadmap().args(["grade", "--shard", "3/2"]).assert().code(2).stderr(contains("--shard takes K/N"));
}

#[test]
fn only_grades_one_weeks_assignment() {
    let sb = graded_sandbox();
    let out = sb.grade().args(["--only", "sum", "--format", "json"]).assert().success().get_output().stdout.clone();
    let v = json_of(&out);
    assert_eq!(v["exercises"].as_array().unwrap().len(), 1);
    assert_eq!(v["points"]["possible"], 10);
    sb.grade().args(["--only", "basics"]).assert().code(1).stdout(contains("Points 10/30"));
    sb.grade().args(["--only", "sume"]).assert().code(2).stderr(contains("did you mean sum"));
}

#[test]
fn what_a_killed_grading_left_in_the_temp_folder_is_removed_by_the_next() {
    let sb = graded_sandbox();
    let tmp = tempfile::tempdir().unwrap();
    // A pid above the kernel's maximum belongs to no process; this test's own is alive.
    let dead = 4_194_305;
    for name in [format!("roadmap-grade-{dead}-1"), format!("roadmap-services-{dead}")] {
        fs::create_dir_all(tmp.path().join(&name).join("node_modules")).unwrap();
    }
    let live = tmp.path().join(format!("roadmap-grade-{}-1", std::process::id()));
    fs::create_dir_all(&live).unwrap();
    sb.grade().env("TMPDIR", tmp.path()).assert().code(1);
    assert!(!tmp.path().join(format!("roadmap-grade-{dead}-1")).exists());
    assert!(!tmp.path().join(format!("roadmap-services-{dead}")).exists());
    assert!(live.exists(), "a live grading's copy is left alone");
}
