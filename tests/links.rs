//! Symbolic links in a workspace: roadmap never writes or deletes through them.
mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use common::Sandbox;
use predicates::str::contains;

fn is_link(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Every file below `dir` with its content, to show nothing there changed.
fn snapshot(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(snapshot(&path));
        } else {
            out.push((path.display().to_string(), fs::read_to_string(&path).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn reset_replaces_a_linked_starter_file_without_touching_its_target() {
    let sb = Sandbox::new();
    let outside = sb.dir.path().join("passwd");
    fs::write(&outside, "root:x:0:0:root:/root:/bin/bash\n").unwrap();
    let starter = sb.ws().join("exercises/basics/sum/sum.js");
    fs::remove_file(&starter).unwrap();
    symlink(&outside, &starter).unwrap();

    sb.cmd().args(["reset", "sum", "--yes"]).assert().success();

    assert_eq!(fs::read_to_string(&outside).unwrap(), "root:x:0:0:root:/root:/bin/bash\n");
    assert!(!is_link(&starter), "the starter is back as a regular file");
    assert_eq!(
        fs::read_to_string(&starter).unwrap(),
        fs::read_to_string(sb.course().join("exercises/basics/sum/sum.js")).unwrap()
    );
    // The backup keeps the link as a link rather than a copy of what it pointed at.
    let backups: Vec<_> = fs::read_dir(sb.ws().join(".roadmap/backup")).unwrap().collect();
    assert_eq!(backups.len(), 1);
    let backed_up = backups[0].as_ref().unwrap().path().join("sum.js");
    assert!(is_link(&backed_up));
    assert_eq!(fs::read_link(&backed_up).unwrap(), outside);
}

#[test]
fn solution_replaces_a_linked_solution_file_without_touching_its_target() {
    let sb = Sandbox::new();
    sb.solve("sum");
    sb.cmd().args(["run", "sum"]).assert().success();
    let outside = sb.dir.path().join("notes.txt");
    fs::write(&outside, "my notes\n").unwrap();
    let dest = sb.ws().join("solutions/basics/sum");
    fs::create_dir_all(&dest).unwrap();
    symlink(&outside, dest.join("sum.js")).unwrap();

    sb.cmd().args(["solution", "sum"]).assert().success();

    assert_eq!(fs::read_to_string(&outside).unwrap(), "my notes\n");
    assert!(!is_link(&dest.join("sum.js")));
    assert!(sb.read("solutions/basics/sum/sum.js").contains("a + b"));
}

#[test]
fn solution_refuses_a_linked_solutions_folder() {
    let sb = Sandbox::new();
    sb.solve("sum");
    sb.cmd().args(["run", "sum"]).assert().success();
    let elsewhere = sb.dir.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    fs::write(elsewhere.join("sum.js"), "not a solution\n").unwrap();
    fs::create_dir_all(sb.ws().join("solutions/basics")).unwrap();
    symlink(&elsewhere, sb.ws().join("solutions/basics/sum")).unwrap();
    let before = snapshot(&elsewhere);

    sb.cmd().args(["solution", "sum"]).assert().failure().stderr(contains(
        "solutions/basics/sum is a symbolic link; roadmap does not write through links (remove it and try again)",
    ));

    assert_eq!(snapshot(&elsewhere), before);
}

#[test]
fn reset_refuses_a_linked_exercise_folder() {
    let sb = Sandbox::new();
    let elsewhere = sb.dir.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    fs::write(elsewhere.join("sum.js"), "someone else's code\n").unwrap();
    fs::write(elsewhere.join("README.md"), "someone else's readme\n").unwrap();
    let exercise = sb.ws().join("exercises/basics/sum");
    fs::remove_dir_all(&exercise).unwrap();
    symlink(&elsewhere, &exercise).unwrap();
    let before = snapshot(&elsewhere);

    sb.cmd().args(["reset", "sum", "--yes"]).assert().failure().stderr(contains(
        "exercises/basics/sum is a symbolic link; roadmap does not write through links (remove it and try again)",
    ));

    assert_eq!(snapshot(&elsewhere), before);
    assert!(is_link(&exercise), "the learner's link is left for them to remove");
    assert!(!sb.ws().join(".roadmap/backup").exists(), "nothing is backed up through the link either");
}

#[test]
fn run_never_clears_or_writes_through_a_linked_run_folder() {
    let sb = Sandbox::new();
    sb.solve("sum");
    let elsewhere = sb.dir.path().join("elsewhere");
    fs::create_dir_all(elsewhere.join("sum")).unwrap();
    fs::write(elsewhere.join("sum/keep.txt"), "keep me\n").unwrap();
    let run = sb.ws().join(".roadmap/run");
    let _ = fs::remove_dir_all(&run);
    symlink(&elsewhere, &run).unwrap();
    let before = snapshot(&elsewhere);

    sb.cmd().args(["run", "sum"]).assert().success();

    assert_eq!(snapshot(&elsewhere), before);
    assert!(run.is_dir() && !is_link(&run), "the run folder is roadmap's own again");
}

#[test]
fn run_never_clears_or_writes_through_a_linked_exercise_run_folder() {
    let sb = Sandbox::new();
    sb.solve("sum");
    let elsewhere = sb.dir.path().join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    fs::write(elsewhere.join("keep.txt"), "keep me\n").unwrap();
    let run = sb.ws().join(".roadmap/run");
    fs::create_dir_all(&run).unwrap();
    let _ = fs::remove_dir_all(run.join("sum"));
    symlink(&elsewhere, run.join("sum")).unwrap();
    let before = snapshot(&elsewhere);

    sb.cmd().args(["run", "sum"]).assert().success();

    // Runs use folders of their own (`sum.<pid>.<n>`): a link by another name is neither
    // followed nor touched.
    assert_eq!(snapshot(&elsewhere), before);
}
