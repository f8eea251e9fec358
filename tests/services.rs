//! The engine's own services: private PostgreSQL and Redis servers, fresh state for
//! every run, the URL overrides, clear messages when a service is missing, and no
//! server left behind.
mod common;

use std::fs;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{copy_tree, roadmap};
use predicates::prelude::*;
use predicates::str::contains;
use tempfile::TempDir;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A workspace of the services fixture course, with the repository's installed
/// packages (`pg`) linked in.
fn workspace() -> (TempDir, PathBuf) {
    let node_modules = repo().join("workspace/node_modules");
    assert!(node_modules.join("pg").is_dir(), "run `npm ci --prefix workspace` first (scripts/test does)");
    let dir = tempfile::tempdir().unwrap();
    let course = dir.path().join("course");
    copy_tree(&repo().join("tests/fixtures/services-course"), &course);
    roadmap()
        .current_dir(dir.path())
        .args(["init", "ws", "--no-install", "--curriculum"])
        .arg(&course)
        .assert()
        .success();
    let ws = dir.path().join("ws");
    std::os::unix::fs::symlink(&node_modules, ws.join("node_modules")).unwrap();
    for (ex, file) in [("pg-notes", "notes.js"), ("redis-counter", "counter.js")] {
        let solution = course.join("solutions/infra").join(ex).join(file);
        fs::copy(solution, ws.join("exercises/infra").join(ex).join(file)).unwrap();
    }
    (dir, ws)
}

fn alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| !s.rsplit_once(')').is_some_and(|(_, r)| r.trim_start().starts_with('Z')))
}

fn reachable(address: &str) -> bool {
    TcpStream::connect_timeout(&address.parse().unwrap(), Duration::from_millis(300)).is_ok()
}

/// Tests against this machine's own servers run where they exist, and must in CI.
fn machine_server(address: &str) -> bool {
    let up = reachable(address);
    if !up && std::env::var_os("CI").is_some() {
        panic!("CI must provide a server at {address}");
    }
    if !up {
        eprintln!("skipped: nothing listens at {address}");
    }
    up
}

fn no_postgres_of(cluster_hint: &Path) -> bool {
    let out = Command::new("pgrep").args(["-f", &format!("postgres -D {}", cluster_hint.display())]).output().unwrap();
    out.stdout.is_empty()
}

#[test]
fn every_run_gets_a_fresh_database_and_the_server_stops_afterwards() {
    let (_dir, ws) = workspace();
    for _ in 0..2 {
        // The suite creates its table unconditionally: a reused database would fail.
        roadmap().current_dir(&ws).args(["run", "pg-notes"]).assert().success().stdout(contains("│ database: run_"));
    }
    assert!(!ws.join(".roadmap/services/postgres.pid").exists(), "the pid file is removed on a clean stop");
    let log = fs::read_to_string(ws.join(".roadmap/services/postgres.log")).unwrap();
    assert!(log.contains("database system is shut down"), "postgres was stopped cleanly:\n{log}");
}

#[test]
fn redis_is_flushed_between_runs() {
    let (_dir, ws) = workspace();
    for _ in 0..2 {
        roadmap().current_dir(&ws).args(["run", "redis-counter"]).assert().success();
    }
    assert!(!ws.join(".roadmap/services/redis.pid").exists());
}

#[test]
fn missing_binaries_make_the_exercise_need_the_service() {
    let (_dir, ws) = workspace();
    roadmap()
        .current_dir(&ws)
        .env("ROADMAP_PG_BIN", "/nonexistent")
        .args(["run", "pg-notes"])
        .assert()
        .code(1)
        .stdout(contains("needs postgres: no PostgreSQL server binaries").and(contains("fix: install PostgreSQL")));
    roadmap()
        .current_dir(&ws)
        .env("ROADMAP_REDIS_SERVER", "/nonexistent/redis-server")
        .args(["run", "redis-counter"])
        .assert()
        .code(1)
        .stdout(contains("needs redis").and(contains("apt install redis-server")));
    let progress = fs::read_to_string(ws.join(".roadmap/progress.toml")).unwrap();
    assert!(!progress.contains("failing"), "a service that is missing is no failed attempt:\n{progress}");
}

#[test]
fn dev_check_reports_a_missing_service_as_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("tests/fixtures/services-course"), dir.path());
    std::os::unix::fs::symlink(repo().join("workspace/node_modules"), dir.path().join("workspace/node_modules"))
        .unwrap();
    roadmap()
        .env("ROADMAP_PG_BIN", "/nonexistent")
        .args(["dev", "check", "--curriculum"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(contains("pg-notes: the solution must pass, but it was `needs-service`: needs postgres"));
}

#[test]
fn database_url_uses_that_server_and_leaves_no_database_behind() {
    if !machine_server("127.0.0.1:5432") {
        return;
    }
    let (_dir, ws) = workspace();
    let url = "postgres://postgres@127.0.0.1:5432/postgres";
    roadmap()
        .current_dir(&ws)
        .env("DATABASE_URL", url)
        .args(["run", "pg-notes"])
        .assert()
        .success()
        .stdout(contains("│ database: roadmap_run_"));
    assert!(!ws.join(".roadmap/services/postgres.pid").exists(), "no private server was started");
    let left = Command::new("psql")
        .args([url, "-Atc", "SELECT count(*) FROM pg_database WHERE datname LIKE 'roadmap_run_%'"])
        .output();
    if let Ok(out) = left {
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0", "run databases are dropped");
    }
}

#[test]
fn redis_url_uses_that_server() {
    if !machine_server("127.0.0.1:6379") {
        return;
    }
    let (_dir, ws) = workspace();
    roadmap()
        .current_dir(&ws)
        .env("REDIS_URL", "redis://127.0.0.1:6379/11")
        .args(["run", "redis-counter"])
        .assert()
        .success();
    roadmap()
        .current_dir(&ws)
        .env("REDIS_URL", "redis://127.0.0.1:6379/11")
        .args(["run", "redis-counter"])
        .assert()
        .success();
    assert!(!ws.join(".roadmap/services/redis.pid").exists(), "no private server was started");
    roadmap()
        .current_dir(&ws)
        .env("REDIS_URL", "redis://127.0.0.1:1/0")
        .args(["run", "redis-counter"])
        .assert()
        .code(1)
        .stdout(contains("cannot reach Redis at redis://127.0.0.1:1/0"));
}

#[test]
fn a_server_left_by_a_killed_engine_is_stopped_at_the_next_start() {
    let (_dir, ws) = workspace();
    let bin = assert_cmd::cargo::cargo_bin!("roadmap");
    let mut watch =
        Command::new(bin).arg("watch").current_dir(&ws).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let pid_file = ws.join(".roadmap/services/postgres.pid");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !pid_file.exists() {
        assert!(Instant::now() < deadline, "watch mode never started postgres");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let old: u32 = fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
    watch.kill().unwrap();
    watch.wait().unwrap();
    assert!(alive(old), "SIGKILL leaves the server running: that is what the next start must clean up");

    roadmap().current_dir(&ws).args(["run", "pg-notes"]).assert().success();
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(old) {
        assert!(Instant::now() < deadline, "the leftover server {old} is still running");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(no_postgres_of(&ws.join(".roadmap/services/postgres")));
}

#[test]
fn a_deleted_workspace_does_not_leave_its_database_cluster_behind() {
    // Only as root do clusters live outside the workspace (in the temp folder).
    if euid() != 0 {
        eprintln!("skipped: clusters live inside workspaces when not running as root");
        return;
    }
    let (dir_a, ws_a) = workspace();
    roadmap().current_dir(&ws_a).args(["run", "pg-notes"]).assert().success();
    let state = ws_a.join(".roadmap/services");
    let owner = fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.extension().is_some_and(|e| e == "owner")
                && fs::read_to_string(p).unwrap_or_default() == state.to_string_lossy()
        })
        .expect("the cluster records its workspace");
    let cluster = owner.with_extension("");
    assert!(cluster.join("PG_VERSION").is_file());
    drop(dir_a);

    let (_dir_b, ws_b) = workspace();
    roadmap().current_dir(&ws_b).args(["run", "pg-notes"]).assert().success();
    assert!(!cluster.exists() && !owner.exists(), "the cluster of a deleted workspace is removed");
}

fn euid() -> u32 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).and_then(|l| l.split_whitespace().nth(2)?.parse().ok()))
        .unwrap_or(u32::MAX)
}
