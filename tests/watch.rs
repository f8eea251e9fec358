//! Watch mode end to end: in a real terminal (tmux) and without one (a pipe).
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::Sandbox;

/// tmux on a private socket, so tests never touch the user's sessions.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn available() -> bool {
        let found = Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success());
        if !found && std::env::var_os("CI").is_some() {
            panic!("tmux is required for the end-to-end test in CI (.ci/run installs it)");
        }
        found
    }

    fn start(dir: &std::path::Path, command: &str) -> Tmux {
        let socket = format!("roadmap-test-{}-{}", std::process::id(), rand_suffix());
        let tmux = Tmux { socket };
        tmux.run(&["new-session", "-d", "-s", "t", "-x", "80", "-y", "24", "-c", &dir.display().to_string(), command]);
        tmux
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }

    fn keys(&self, keys: &str) {
        self.run(&["send-keys", "-t", "t", keys]);
    }

    /// Waits until `word` is on screen; matching words, not layouts, because ratatui
    /// only redraws the cells that changed.
    fn wait_for(&self, word: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.contains(word) {
                return screen;
            }
            assert!(Instant::now() < deadline, "`{word}` never appeared; the screen was:\n{screen}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() % 1_000_000
}

#[test]
fn in_a_real_terminal_a_save_passes_n_moves_on_and_q_restores_the_terminal() {
    if !Tmux::available() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let sb = Sandbox::new();
    let bin = assert_cmd::cargo::cargo_bin!("roadmap");
    let tmux = Tmux::start(&sb.ws(), &format!("{}; echo roadmap-exited-$?; sleep 60", bin.display()));

    let screen = tmux.wait_for("FAIL");
    assert!(screen.contains("Add two numbers"), "{screen}");
    assert!(screen.contains("sum(2, 3) should be 5"), "the first failure is shown:\n{screen}");

    sb.solve("sum");
    tmux.wait_for("PASS");
    tmux.wait_for("Passed!");
    assert!(sb.read(".roadmap/progress.toml").contains("state = \"done\""), "the pass is recorded at once");

    tmux.keys("n");
    tmux.wait_for("Greet someone");
    tmux.keys("?");
    tmux.wait_for("Keys");
    tmux.keys("Escape");
    tmux.keys("q");
    let screen = tmux.wait_for("roadmap-exited-0");
    assert!(!screen.contains("Greet someone"), "the alternate screen is gone after q:\n{screen}");
    assert!(sb.read(".roadmap/progress.toml").contains("current = \"greet\""));
}

#[test]
fn sigterm_restores_the_terminal_and_stops_the_run() {
    if !Tmux::available() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let sb = Sandbox::new();
    // A run that never ends, so SIGTERM arrives mid-run.
    sb.write("sum", "sum.js", "export function sum() { for (;;) {} }\n");
    let bin = assert_cmd::cargo::cargo_bin!("roadmap");
    let tmux = Tmux::start(&sb.ws(), &format!("{}; echo roadmap-exited-$?; sleep 60", bin.display()));
    tmux.wait_for("grading");
    let pid = tmux.run(&["list-panes", "-t", "t", "-F", "#{pane_pid}"]);
    // The pane runs a shell whose child is roadmap.
    let roadmap = Command::new("pgrep").args(["-P", pid.trim(), "roadmap"]).output().unwrap();
    let roadmap = String::from_utf8_lossy(&roadmap.stdout).trim().to_string();
    assert!(!roadmap.is_empty(), "roadmap is not running");
    Command::new("kill").args(["-TERM", &roadmap]).status().unwrap();
    let screen = tmux.wait_for("roadmap-exited-");
    assert!(!screen.contains("grading"), "the terminal was not restored:\n{screen}");
    std::thread::sleep(Duration::from_millis(200));
    let left =
        Command::new("pgrep").args(["-f", &sb.ws().join(".roadmap/run/sum").display().to_string()]).output().unwrap();
    assert!(left.stdout.is_empty(), "a node process of the run survived: {}", String::from_utf8_lossy(&left.stdout));
}

#[test]
fn without_a_terminal_it_prints_plain_verdicts() {
    let sb = Sandbox::new();
    let (mut child, rx) = common::plain_watch(&sb.ws());
    let wait_for = |needle: &str| {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
                let found = line.contains(needle);
                seen.push(line);
                if found {
                    return seen;
                }
            }
        }
        panic!("`{needle}` never printed; got:\n{}", seen.join("\n"));
    };
    let first = wait_for("3 of 3 tests failed");
    sb.solve("sum");
    let second = wait_for("All 3 tests pass");
    assert!(first.iter().chain(&second).all(|l| !l.contains('\x1b')), "plain output has no escape codes");
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "watch mode should stop cleanly on SIGTERM, got {status}");
}
