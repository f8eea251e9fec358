//! The engine's own services: private PostgreSQL and Redis servers, fresh state for
//! every run, the URL overrides, clear messages when a service is missing, and no
//! server left behind.
mod common;

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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

/// The server a workspace's state folder records for `service`: (pid, port).
fn recorded(ws: &Path, service: &str) -> Option<(u32, u16)> {
    recorded_in(&ws.join(".roadmap/services").join(format!("{service}.state")))
}

fn recorded_in(state: &Path) -> Option<(u32, u16)> {
    let text = fs::read_to_string(state).ok()?;
    let field = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix('=').map(str::to_string));
    Some((field("pid")?.parse().ok()?, field("port")?.parse().ok()?))
}

/// A pg-notes answer that takes seconds, so its run is still going when the test acts.
fn slow_notes(ws: &Path) {
    let code = "export async function addNote() {\n  await new Promise((r) => setTimeout(r, 4000));\n  return 1;\n}\nexport async function countNotes() {\n  return 2;\n}\n";
    fs::write(ws.join("exercises/infra/pg-notes/notes.js"), code).unwrap();
}

fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn spawn_roadmap(ws: &Path, args: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin!("roadmap"))
        .args(args)
        .current_dir(ws)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn spawn_watch(ws: &Path) -> Killed {
    Killed(
        Command::new(assert_cmd::cargo::cargo_bin!("roadmap"))
            .arg("watch")
            .current_dir(ws)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// Waits for the workspace's private `service` to be recorded and to accept connections.
fn wait_for_server(ws: &Path, service: &str) -> (u32, u16) {
    let mut found = None;
    wait_until(Duration::from_secs(30), &format!("no {service} server was started"), || {
        found = recorded(ws, service).filter(|(_, port)| reachable(&format!("127.0.0.1:{port}")));
        found.is_some()
    });
    found.unwrap()
}

fn terminate(mut process: Killed) {
    // SAFETY: signalling a child this test started.
    unsafe {
        libc::kill(process.0.id() as libc::pid_t, libc::SIGTERM);
    }
    let status = process.0.wait().unwrap();
    assert!(status.success(), "roadmap should stop cleanly on SIGTERM, got {status}");
}

fn succeeded(child: Child) -> String {
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{}\n{stdout}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    stdout
}

fn run_databases(port: u16) -> Vec<String> {
    let config = format!("host=127.0.0.1 port={port} user=roadmap dbname=postgres");
    let mut client = postgres::Client::connect(&config, postgres::NoTls).unwrap();
    let rows = client.query("SELECT datname FROM pg_database WHERE datname LIKE 'run\\_%'", &[]).unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

/// A server that accepts connections and never says a word.
fn silent_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    port
}

/// A process the test started, stopped when the test ends however it ends, so that a
/// failing test leaves no watch session (and its servers) behind: SIGTERM first, which
/// lets it stop its servers, then SIGKILL.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            // SAFETY: signalling a child this test started.
            unsafe {
                libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline && matches!(self.0.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
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
    assert!(!ws.join(".roadmap/services/postgres.state").exists(), "the state file is removed on a clean stop");
    let log = fs::read_to_string(ws.join(".roadmap/services/postgres.log")).unwrap();
    assert!(log.contains("database system is shut down"), "postgres was stopped cleanly:\n{log}");
}

#[test]
fn redis_is_flushed_between_runs() {
    let (_dir, ws) = workspace();
    for _ in 0..2 {
        roadmap().current_dir(&ws).args(["run", "redis-counter"]).assert().success();
    }
    assert!(!ws.join(".roadmap/services/redis.state").exists());
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
    assert!(!ws.join(".roadmap/services/postgres.state").exists(), "no private server was started");
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
    assert!(!ws.join(".roadmap/services/redis.state").exists(), "no private server was started");
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
    let mut watch = spawn_watch(&ws);
    let (old, _) = wait_for_server(&ws, "postgres");
    watch.0.kill().unwrap();
    watch.0.wait().unwrap();
    assert!(alive(old), "SIGKILL leaves the server running: that is what the next start must clean up");

    roadmap().current_dir(&ws).args(["run", "pg-notes"]).assert().success();
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(old) {
        assert!(Instant::now() < deadline, "the leftover server {old} is still running");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(no_postgres_of(&ws.join(".roadmap/services/postgres")));
    assert_eq!(recorded(&ws, "postgres"), None, "the last user forgets the server it stopped");
}

#[test]
fn a_second_process_uses_the_server_watch_mode_holds_and_never_stops_it() {
    let (_dir, ws) = workspace();
    let watch = spawn_watch(&ws);
    let (server, port) = wait_for_server(&ws, "postgres");
    roadmap().current_dir(&ws).args(["run", "pg-notes"]).assert().success().stdout(contains("│ database: run_"));
    assert!(alive(server), "the second process stopped the server watch mode uses");
    assert!(reachable(&format!("127.0.0.1:{port}")));
    assert_eq!(recorded(&ws, "postgres"), Some((server, port)), "the second process used watch mode's server");

    terminate(watch);
    wait_until(Duration::from_secs(5), "the last user to leave did not stop the server", || !alive(server));
    assert_eq!(recorded(&ws, "postgres"), None);
}

#[test]
fn processes_that_start_together_share_one_server() {
    let (_dir, ws) = workspace();
    let runs: Vec<Child> = (0..2).map(|_| spawn_roadmap(&ws, &["run", "pg-notes"])).collect();
    for run in runs {
        succeeded(run);
    }
    let log = fs::read_to_string(ws.join(".roadmap/services/postgres.log")).unwrap();
    assert_eq!(log.matches("database system is ready to accept connections").count(), 1, "{log}");
    assert_eq!(log.matches("database system is shut down").count(), 1, "{log}");
    assert_eq!(recorded(&ws, "postgres"), None);
}

#[test]
fn overlapping_runs_in_two_processes_get_redis_databases_of_their_own() {
    let (_dir, ws) = workspace();
    // Slow enough that the two runs' increments interleave: in one shared database the
    // second run would count 2 where it expects 1.
    fs::write(
        ws.join("exercises/infra/redis-counter/counter.js"),
        "export async function increment(send, key) {\n  await new Promise((r) => setTimeout(r, 1500));\n  return send('INCR', key);\n}\n",
    )
    .unwrap();
    let runs: Vec<Child> = (0..2).map(|_| spawn_roadmap(&ws, &["run", "redis-counter"])).collect();
    for run in runs {
        succeeded(run);
    }
    assert_eq!(recorded(&ws, "redis"), None, "the last user stopped Redis");
}

#[test]
fn a_server_that_never_answers_needs_the_service_within_the_deadline() {
    let (_dir, ws) = workspace();
    let port = silent_server();
    let cases = [
        ("DATABASE_URL", format!("postgres://roadmap@127.0.0.1:{port}/app"), "pg-notes"),
        ("REDIS_URL", format!("redis://127.0.0.1:{port}/0"), "redis-counter"),
    ];
    let checks: Vec<_> = cases
        .into_iter()
        .map(|(var, url, exercise)| {
            let ws = ws.clone();
            std::thread::spawn(move || {
                let start = Instant::now();
                roadmap()
                    .current_dir(&ws)
                    .env(var, &url)
                    .args(["run", exercise])
                    .timeout(Duration::from_secs(60))
                    .assert()
                    .code(1)
                    .stdout(contains("did not answer within 10 s").and(contains(format!("127.0.0.1:{port}"))));
                assert!(start.elapsed() < Duration::from_secs(20), "{var}: took {:?}", start.elapsed());
            })
        })
        .collect();
    for check in checks {
        check.join().unwrap();
    }
}

#[test]
fn redis_url_with_an_acl_user_authenticates_as_that_user() {
    let (_dir, ws) = workspace();
    let server_dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _redis = Killed(
        Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--user", "alice", "on", ">pw", "~*", "&*", "+@all", "--user", "default", "off", "--dir"])
            .arg(server_dir.path())
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server must be installed"),
    );
    wait_until(Duration::from_secs(10), "redis-server did not start", || reachable(&format!("127.0.0.1:{port}")));
    roadmap()
        .current_dir(&ws)
        .env("REDIS_URL", format!("redis://alice:pw@127.0.0.1:{port}/3"))
        .args(["run", "redis-counter"])
        .assert()
        .success();
    roadmap()
        .current_dir(&ws)
        .env("REDIS_URL", format!("redis://alice:wrong@127.0.0.1:{port}/3"))
        .args(["run", "redis-counter"])
        .assert()
        .code(1)
        .stdout(contains("needs redis").and(contains("WRONGPASS")).and(contains("alice:***@")));
}

#[test]
fn databases_of_killed_processes_are_dropped_and_those_of_live_ones_kept() {
    let (_dir, ws) = workspace();
    let mut killed = spawn_watch(&ws);
    let (server, port) = wait_for_server(&ws, "postgres");
    let live = spawn_watch(&ws);
    // Watch mode keeps a database ready for its next run.
    let of = |pid: u32| move |name: &String| name.starts_with(&format!("run_{pid}_"));
    wait_until(Duration::from_secs(30), "watch mode should hold a run database", || {
        run_databases(port).iter().any(of(killed.0.id()))
    });
    killed.0.kill().unwrap();
    killed.0.wait().unwrap();
    // What the watch session that lives on may hold at any moment depends on what it is
    // doing; a database named after it stands for its run in progress.
    let config = format!("host=127.0.0.1 port={port} user=roadmap dbname=postgres");
    let mut admin = postgres::Client::connect(&config, postgres::NoTls).unwrap();
    for pid in [killed.0.id(), live.0.id()] {
        admin.batch_execute(&format!("CREATE DATABASE run_{pid}_999")).unwrap();
    }
    drop(admin);

    roadmap().current_dir(&ws).args(["run", "pg-notes"]).assert().success();
    assert!(alive(server), "the live watch session still uses the server");
    let names = run_databases(port);
    assert!(!names.iter().any(of(killed.0.id())), "the killed process's databases are dropped: {names:?}");
    assert!(names.contains(&format!("run_{}_999", live.0.id())), "the live process's database is kept: {names:?}");
    terminate(live);
    wait_until(Duration::from_secs(5), "the last user did not stop the server", || !alive(server));
}

#[test]
fn a_killed_grade_leaves_no_server_or_cluster_behind() {
    let (_dir, ws) = workspace();
    // A temp folder of the test's own, so only this test's leftovers are looked at. As
    // root, PostgreSQL runs as `postgres`, which must be able to reach its cluster there.
    let tmp = tempfile::tempdir().unwrap();
    // Slow, so the grade is still running, its servers up, when it is killed.
    slow_notes(&ws);
    fs::set_permissions(tmp.path(), std::os::unix::fs::PermissionsExt::from_mode(0o1777)).unwrap();
    let mut grade = Killed(
        Command::new(assert_cmd::cargo::cargo_bin!("roadmap"))
            // grade takes the course from the teacher, never from the workspace.
            .arg("--curriculum")
            .arg(ws.parent().unwrap().join("course"))
            .arg("grade")
            .current_dir(&ws)
            .env("TMPDIR", tmp.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut state_dir = None;
    wait_until(Duration::from_secs(30), "roadmap grade never started its postgres", || {
        state_dir = fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .map(|e| e.path().join(".roadmap/services"))
            .find(|dir| recorded_in(&dir.join("postgres.state")).is_some_and(|(pid, _)| alive(pid)));
        state_dir.is_some()
    });
    let state_dir = state_dir.unwrap();
    std::thread::sleep(Duration::from_millis(300));
    grade.0.kill().unwrap();
    grade.0.wait().unwrap();
    let servers: Vec<u32> = ["postgres", "redis"]
        .iter()
        .filter_map(|s| recorded_in(&state_dir.join(format!("{s}.state"))))
        .map(|(pid, _)| pid)
        .collect();
    let cluster = if euid() == 0 {
        fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| fs::read_to_string(p).is_ok_and(|owner| owner == state_dir.to_string_lossy()))
            .expect("the cluster records its owner")
            .with_extension("")
    } else {
        state_dir.join("postgres")
    };
    assert!(cluster.join("PG_VERSION").is_file());
    assert!(servers.iter().all(|&pid| alive(pid)), "SIGKILL leaves the throwaway servers running");

    roadmap().current_dir(&ws).env("TMPDIR", tmp.path()).args(["run", "redis-counter"]).assert().success();
    wait_until(Duration::from_secs(5), "the killed grade's servers are still running", || {
        servers.iter().all(|&pid| !alive(pid))
    });
    assert!(!cluster.exists(), "the throwaway cluster is removed");
    assert!(!state_dir.exists(), "the throwaway services' folder is removed");
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

#[test]
fn a_run_stopped_by_a_signal_stops_the_server_it_alone_used() {
    let (_dir, ws) = workspace();
    slow_notes(&ws);
    let mut run = Killed(spawn_roadmap(&ws, &["run", "pg-notes"]));
    let (server, _) = wait_for_server(&ws, "postgres");
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: signalling a child this test started.
    unsafe {
        libc::kill(run.0.id() as libc::pid_t, libc::SIGINT);
    }
    assert!(!run.0.wait().unwrap().success());
    wait_until(Duration::from_secs(5), "the server outlived the run that alone used it", || !alive(server));
    assert_eq!(recorded(&ws, "postgres"), None);
}
