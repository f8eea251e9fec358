//! Learner code that hangs, floods, exits, crashes or leaks: the engine reports it and
//! survives, and nothing of the run is left alive.
mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Sandbox;
use predicates::prelude::*;
use predicates::str::contains;

/// Whether any process whose command line contains `needle` is alive.
fn alive(needle: &str) -> bool {
    let out = Command::new("pgrep").args(["-f", needle]).output().unwrap();
    !out.stdout.is_empty()
}

#[test]
fn an_infinite_loop_times_out_and_its_whole_group_dies() {
    let sb = Sandbox::new();
    // A grandchild (sleep) and a sync loop that per-test timeouts cannot interrupt.
    sb.write(
        "sum",
        "sum.js",
        "import { spawn } from 'node:child_process';\nspawn('sleep', ['86421']);\nexport function sum() { for (;;) {} }\n",
    );
    let started = Instant::now();
    sb.cmd()
        .args(["run", "sum"])
        .assert()
        .code(1)
        .stdout(contains("timeout: stopped after 3s: look for an infinite loop").and(contains("Timed out.")));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4) + Duration::from_millis(500), "took {took:?} for a 3 s deadline");
    std::thread::sleep(Duration::from_millis(100));
    assert!(!alive("sleep 86421"), "the learner's child process survived");
    assert!(!alive(&sb.ws().join(".roadmap/run/sum").display().to_string()), "node survived");
}

#[test]
fn a_gigabyte_of_output_keeps_the_engine_small_and_shows_the_tail() {
    let sb = Sandbox::new();
    sb.write(
        "sum",
        "sum.js",
        "const line = 'x'.repeat(1023) + '\\n';\nconst chunk = line.repeat(1024);\nexport function sum(a, b) {\n  for (let i = 0; i < 1024; i++) process.stdout.write(chunk);\n  console.log('the very end');\n  return a + b;\n}\n",
    );
    let bin = assert_cmd::cargo::cargo_bin!("roadmap");
    let mut child = Command::new(bin)
        .args(["run", "sum"])
        .current_dir(sb.ws())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut peak_kb = 0u64;
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).unwrap();
        s
    });
    while child.try_wait().unwrap().is_none() {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(kb) = status.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
                peak_kb = peak_kb.max(kb.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0));
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = reader.join().unwrap();
    assert!(peak_kb > 0, "could not read the engine's memory");
    assert!(peak_kb < 40 * 1024, "the engine peaked at {peak_kb} kB while the learner printed 1 GiB");
    assert!(out.contains("Your output (last"), "{}", &out[..out.len().min(2000)]);
    assert!(out.len() < 64 * 1024, "the report shows only a tail, got {} bytes", out.len());
}

#[test]
fn process_exit_in_learner_code_is_an_error_naming_the_test() {
    let sb = Sandbox::new();
    sb.write("sum", "sum.js", "export function sum() { process.exit(3); }\n");
    sb.cmd().args(["run", "sum"]).assert().code(1).stdout(contains(
        "error: the process exited with code 3 before the suite finished (does your code call process.exit()?)",
    ));
}

#[test]
fn an_exception_while_loading_is_an_error_with_file_and_line() {
    let sb = Sandbox::new();
    sb.write(
        "sum",
        "sum.js",
        "const config = undefined;\nconst port = config.port;\nexport function sum(a, b) { return a + b; }\n",
    );
    sb.cmd().args(["run", "sum"]).assert().code(1).stdout(
        contains(
            "an exception escaped your code and crashed the process: TypeError: Cannot read properties of undefined",
        )
        .and(contains("at sum.js:2")),
    );
}

#[test]
fn a_syntax_error_is_an_error_with_file_and_line() {
    let sb = Sandbox::new();
    sb.write("sum", "sum.js", "export function sum(a, b) {\n  retrun a + b;\n}\n");
    sb.cmd()
        .args(["run", "sum"])
        .assert()
        .code(1)
        .stdout(contains("your code failed to load: SyntaxError").and(contains("at sum.js:2")));
}

#[test]
fn an_uncaught_exception_from_a_callback_is_an_error() {
    let sb = Sandbox::new();
    sb.write("sum", "sum.js", "export function sum(a, b) {\n  process.nextTick(() => { throw new Error('late boom'); });\n  return a + b;\n}\n");
    sb.cmd()
        .args(["run", "sum"])
        .assert()
        .code(1)
        .stdout(contains("an exception escaped your code").and(contains("late boom")));
}

#[test]
fn a_server_or_timer_left_open_does_not_hang_the_run() {
    let sb = Sandbox::new();
    sb.write(
        "sum",
        "sum.js",
        "import { createServer } from 'node:http';\nexport function sum(a, b) {\n  createServer().listen(0);\n  setInterval(() => {}, 1000);\n  return a + b;\n}\n",
    );
    let started = Instant::now();
    sb.cmd().args(["run", "sum"]).assert().success().stdout(contains("All 3 tests pass"));
    assert!(started.elapsed() < Duration::from_secs(3), "the run waited for the open handles");
}

#[test]
fn missing_node_is_explained_in_one_line() {
    let sb = Sandbox::new();
    sb.cmd()
        .env("ROADMAP_NODE", "/nonexistent/node")
        .args(["run", "sum"])
        .assert()
        .code(2)
        .stderr(contains("Node.js was not found on PATH: install Node.js 20 or newer"));
}
