//! Shared helpers for the CLI tests: a copy of the fixture curriculum and a workspace
//! created from it with the real binary.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/course")
}

pub fn roadmap() -> Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("roadmap");
    cmd.env_remove("NO_COLOR").env_remove("DATABASE_URL").env_remove("REDIS_URL").env_remove("AMQP_URL");
    cmd
}

/// A copy of a folder, so tests can change a curriculum without touching the repo.
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

pub struct Sandbox {
    pub dir: TempDir,
}

impl Sandbox {
    /// A temp folder holding a copy of the fixture course (`course/`) and a workspace
    /// created from it (`ws/`) without installing packages.
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(&fixture(), &dir.path().join("course"));
        roadmap()
            .current_dir(dir.path())
            .args(["init", "ws", "--no-install", "--curriculum"])
            .arg(dir.path().join("course"))
            .assert()
            .success();
        Sandbox { dir }
    }

    pub fn course(&self) -> PathBuf {
        self.dir.path().join("course")
    }

    pub fn ws(&self) -> PathBuf {
        self.dir.path().join("ws")
    }

    /// `roadmap` run inside the workspace.
    pub fn cmd(&self) -> Command {
        let mut cmd = roadmap();
        cmd.current_dir(self.ws());
        cmd
    }

    /// `roadmap grade` of this workspace, with the fixture course as the teacher's course
    /// (grade never takes the course from the submission).
    pub fn grade(&self) -> Command {
        let mut cmd = self.cmd();
        cmd.arg("--curriculum").arg(self.course()).arg("grade");
        cmd
    }

    /// Replaces the learner's file of an exercise in the fixture's `basics` phase.
    pub fn write(&self, exercise: &str, file: &str, text: &str) {
        fs::write(self.ws().join("exercises/basics").join(exercise).join(file), text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.ws().join(rel)).unwrap()
    }

    pub fn solve(&self, exercise: &str) {
        let file = format!("{exercise}.js");
        let solution = fs::read_to_string(self.course().join("solutions/basics").join(exercise).join(&file)).unwrap();
        self.write(exercise, &file, &solution);
    }
}

/// `roadmap watch` without a terminal (it prints plain verdicts) in `ws`, with the lines
/// of its output as they come.
pub fn plain_watch(ws: &Path) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("roadmap"))
        .arg("watch")
        .current_dir(ws)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}
