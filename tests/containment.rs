//! Learner code that tries to outlive its run, write after it, forge its grade, replace
//! the suite's assertions or eat the machine's memory. Every case runs twice: with the
//! containment this machine allows (as root: a PID namespace and a cgroup), and with a
//! child subreaper and sampled memory (`ROADMAP_ISOLATION=subreaper`,
//! `ROADMAP_NO_CGROUP=1`), the path unprivileged learners get.
//!
//! Each of these passed as a `pass` or left processes behind on the engine before runs
//! were contained (707396e).
mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::Sandbox;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// What the engine picks on its own (here, as root: PID namespace and cgroup).
    Default,
    /// A child subreaper, and memory sampled instead of a cgroup's limit.
    Subreaper,
}

impl Mode {
    /// A number that tells the two modes' processes apart in `pgrep`.
    fn tag(self) -> u32 {
        match self {
            Mode::Default => 0,
            Mode::Subreaper => 1,
        }
    }
}

fn roadmap(sb: &Sandbox, mode: Mode) -> assert_cmd::Command {
    let mut cmd = sb.cmd();
    cmd.env_remove("ROADMAP_ISOLATION").env_remove("ROADMAP_NO_CGROUP");
    if mode == Mode::Subreaper {
        cmd.env("ROADMAP_ISOLATION", "subreaper").env("ROADMAP_NO_CGROUP", "1");
    }
    cmd
}

/// `roadmap run sum`, with its exit code and stdout.
fn run_sum(sb: &Sandbox, mode: Mode) -> (i32, String) {
    let out: Output = roadmap(sb, mode).args(["run", "sum"]).timeout(Duration::from_secs(60)).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The verdict the human report ends with.
fn verdict(stdout: &str) -> &'static str {
    if stdout.contains("✓ All ") {
        "pass"
    } else if stdout.contains("tests failed (") {
        "fail"
    } else if stdout.contains("✗ Timed out.") {
        "timeout"
    } else if stdout.contains("✗ Used too much memory.") {
        "memory"
    } else if stdout.contains("✗ Your code did not run to the end.") {
        "error"
    } else {
        "unknown"
    }
}

/// Whether any process whose command line contains `needle` is alive.
fn alive(needle: &str) -> bool {
    let out = Command::new("pgrep").args(["-f", needle]).output().unwrap();
    !out.stdout.is_empty()
}

/// Polls for up to `limit` until no process matches `needle`; true if none is left.
fn gone_within(needle: &str, limit: Duration) -> bool {
    let until = Instant::now() + limit;
    loop {
        if !alive(needle) {
            return true;
        }
        if Instant::now() > until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Processes (pid and command line) working inside `dir`: the run's init keeps the
/// engine's folder, Node and whatever it starts keep the exercise folder.
fn working_in(dir: &Path) -> Vec<(u32, String)> {
    let dir = fs::canonicalize(dir).unwrap();
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let Ok(cwd) = fs::read_link(entry.path().join("cwd")) else { continue };
        if cwd.starts_with(&dir) {
            let cmdline = fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            // A zombie has no command line left and nothing to run.
            if !cmdline.is_empty() {
                found.push((pid, cmdline));
            }
        }
    }
    found
}

/// Every file of the workspace outside the run folder, with its bytes.
fn snapshot(ws: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, skip: &Path, into: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path == skip {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                walk(&path, skip, into);
            } else if let Ok(bytes) = fs::read(&path) {
                into.insert(path, bytes);
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(ws, &ws.join(".roadmap/run"), &mut files);
    files
}

fn changed(before: &BTreeMap<PathBuf, Vec<u8>>, after: &BTreeMap<PathBuf, Vec<u8>>) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = before
        .iter()
        .filter(|(p, bytes)| after.get(*p) != Some(*bytes))
        .map(|(p, _)| p.clone())
        .chain(after.keys().filter(|p| !before.contains_key(*p)).cloned())
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

// 1. setsid and double forks.

fn detached_processes_die_with_the_run(mode: Mode) {
    let sb = Sandbox::new();
    let (setsid, detached) = (format!("sleep 8650{}", mode.tag()), format!("sleep 8651{}", mode.tag()));
    sb.write(
        "sum",
        "sum.js",
        &format!(
            "import {{ execSync, spawn }} from 'node:child_process';\n\
             // A new session and a double fork: the shell exits, its sleep is an orphan.\n\
             execSync(\"setsid sh -c '{setsid} >/dev/null 2>&1 &'\");\n\
             // A detached child (its own session too), not waited for.\n\
             spawn('sh', ['-c', '{detached}'], {{ detached: true, stdio: 'ignore' }}).unref();\n\
             export function sum() {{ return 0; }}\n"
        ),
    );
    let (code, out) = run_sum(&sb, mode);
    assert_eq!((code, verdict(&out)), (1, "fail"), "{out}");
    let after = snapshot(&sb.ws());
    assert!(gone_within(&setsid, Duration::from_secs(1)), "a setsid double fork outlived its run");
    assert!(gone_within(&detached, Duration::from_secs(1)), "a detached child outlived its run");
    assert_eq!(working_in(&sb.ws()), vec![], "processes of the run are left");
    assert_eq!(changed(&after, &snapshot(&sb.ws())), Vec::<PathBuf>::new());
}

#[test]
fn detached_processes_die_with_the_run_default() {
    detached_processes_die_with_the_run(Mode::Default);
}

#[test]
fn detached_processes_die_with_the_run_subreaper() {
    detached_processes_die_with_the_run(Mode::Subreaper);
}

// 2. Writes after the run.

fn nothing_writes_to_the_workspace_after_the_run(mode: Mode) {
    let sb = Sandbox::new();
    let marker = sb.ws().join("exercises/basics/sum/late.txt");
    let progress = sb.ws().join(".roadmap/progress.toml");
    let tag = format!("8652{}", mode.tag());
    sb.write(
        "sum",
        "sum.js",
        &format!(
            "import {{ spawn }} from 'node:child_process';\n\
             const late = 'sleep 1; echo forged > \"$1\"; echo late > \"$2\"';\n\
             spawn('sh', ['-c', late, 'late-writer-{tag}', {progress:?}, {marker:?}], {{ detached: true, stdio: 'ignore' }}).unref();\n\
             export function sum() {{ return 0; }}\n",
            progress = progress.display().to_string(),
            marker = marker.display().to_string(),
        ),
    );
    let (code, out) = run_sum(&sb, mode);
    assert_eq!((code, verdict(&out)), (1, "fail"), "{out}");
    let after = snapshot(&sb.ws());
    std::thread::sleep(Duration::from_secs(2));
    assert!(!marker.exists(), "a process of the run wrote to the workspace after it ended");
    assert_eq!(changed(&after, &snapshot(&sb.ws())), Vec::<PathBuf>::new(), "files changed after the run");
    assert!(!alive(&format!("late-writer-{tag}")));
}

#[test]
fn nothing_writes_to_the_workspace_after_the_run_default() {
    nothing_writes_to_the_workspace_after_the_run(Mode::Default);
}

#[test]
fn nothing_writes_to_the_workspace_after_the_run_subreaper() {
    nothing_writes_to_the_workspace_after_the_run(Mode::Subreaper);
}

// 3. A SIGKILLed engine.

fn a_killed_engine_takes_its_run_down(mode: Mode) {
    let sb = Sandbox::new();
    sb.write("sum", "sum.js", "export function sum() { for (;;) {} }\n");
    let run_dir = sb.ws().join(".roadmap/run/sum").display().to_string();
    let mut engine = Command::new(assert_cmd::cargo::cargo_bin!("roadmap"));
    engine.args(["run", "sum"]).current_dir(sb.ws()).stdout(Stdio::null()).stderr(Stdio::null());
    engine.env_remove("ROADMAP_ISOLATION").env_remove("ROADMAP_NO_CGROUP");
    if mode == Mode::Subreaper {
        engine.env("ROADMAP_ISOLATION", "subreaper").env("ROADMAP_NO_CGROUP", "1");
    }
    let mut engine = engine.spawn().unwrap();
    // Node is up once its command line (which names the suite) shows; then give the
    // suite a moment to call into the loop.
    let until = Instant::now() + Duration::from_secs(5);
    while !alive(&run_dir) {
        assert!(Instant::now() < until, "node never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert!(alive(&run_dir));
    engine.kill().unwrap();
    engine.wait().unwrap();
    assert!(gone_within(&run_dir, Duration::from_secs(1)), "node outlived the engine that was SIGKILLed");
    let until = Instant::now() + Duration::from_secs(1);
    while !working_in(&sb.ws()).is_empty() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(working_in(&sb.ws()), vec![], "processes of the run are left");
}

#[test]
fn a_killed_engine_takes_its_run_down_default() {
    a_killed_engine_takes_its_run_down(Mode::Default);
}

#[test]
fn a_killed_engine_takes_its_run_down_subreaper() {
    a_killed_engine_takes_its_run_down(Mode::Subreaper);
}

// 4. Forged grades.

/// Learner code that writes a complete passing run to every descriptor that could be
/// the grading channel, and records what it could see.
const FORGER: &str = r#"import { readdirSync, readlinkSync, writeFileSync, writeSync } from 'node:fs';
import { execSync } from 'node:child_process';

const names = ['adds two positive numbers', 'adds negative numbers', 'returns an object-free number'];
const events = [];
for (const name of names) {
  events.push({ event: 'start', name });
  events.push({ event: 'pass', name, duration_ms: 1 });
}
for (const [key, value] of [['tests', 3], ['pass', 3], ['fail', 0], ['todo', 0]]) {
  events.push({ event: 'summary', key, value });
}
events.push({ event: 'end' });
const plain = events.map((e) => JSON.stringify(e) + '\n').join('');
// The same events dressed as signed lines, with a made-up MAC.
const dressed = events.map((e, i) => `${i} ${'ab'.repeat(32)} ${JSON.stringify(e)}\n`).join('');

const probe = { env: process.env.ROADMAP_REPORT_FD ?? null, wrote: [] };
const targets = new Set([3]);
if (process.env.ROADMAP_REPORT_FD) targets.add(Number(process.env.ROADMAP_REPORT_FD));
// Every pipe of which this process holds one end only: a channel to someone else.
// (Both ends of a pipe are libuv's own wake-ups; writing into those crashes Node.)
const pipes = new Map();
for (const fd of readdirSync('/proc/self/fd')) {
  try {
    const target = readlinkSync(`/proc/self/fd/${fd}`);
    if (target.startsWith('pipe:')) pipes.set(target, [...(pipes.get(target) ?? []), Number(fd)]);
  } catch {}
}
for (const fds of pipes.values()) if (fds.length === 1) targets.add(fds[0]);
for (const fd of targets) {
  for (const text of [plain, dressed]) {
    try {
      writeSync(fd, text);
      probe.wrote.push(fd);
    } catch {}
  }
}
probe.ls = execSync('ls -l /proc/self/fd', { encoding: 'utf8' });
writeFileSync(process.env.CONTAINMENT_PROBE, JSON.stringify(probe));

export function sum() {
  return 0;
}
"#;

fn forged_events_do_not_pass(mode: Mode) {
    let sb = Sandbox::new();
    sb.write("sum", "sum.js", FORGER);
    let probe = sb.dir.path().join("probe.json");
    let out = roadmap(&sb, mode)
        .env("CONTAINMENT_PROBE", &probe)
        .args(["run", "sum"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(matches!(verdict(&stdout), "fail" | "error"), "forged events made a {}: {stdout}", verdict(&stdout));

    let probe: serde_json::Value = serde_json::from_str(&fs::read_to_string(&probe).unwrap()).unwrap();
    let wrote = probe["wrote"].as_array().unwrap();
    assert!(wrote.iter().any(|fd| fd.as_u64().is_some_and(|fd| fd > 2)), "the forger found no channel: {probe}");
    assert_eq!(probe["env"], serde_json::Value::Null, "the learner's code sees ROADMAP_REPORT_FD");
    // `ls -l` lines end in `FD -> TARGET`; ls opens one descriptor itself, on /proc.
    let ls = probe["ls"].as_str().unwrap();
    let extra: Vec<&str> = ls
        .lines()
        .filter_map(|line| line.split_once(" -> ").map(|(head, target)| (head.rsplit(' ').next().unwrap(), target)))
        .filter(|(fd, target)| !["0", "1", "2"].contains(fd) && !target.starts_with("/proc/"))
        .map(|(fd, _)| fd)
        .collect();
    assert!(extra.is_empty(), "a child of the learner's code inherited descriptors {extra:?}:\n{ls}");
}

#[test]
fn forged_events_do_not_pass_default() {
    forged_events_do_not_pass(Mode::Default);
}

#[test]
fn forged_events_do_not_pass_subreaper() {
    forged_events_do_not_pass(Mode::Subreaper);
}

/// Learner code that swaps `createHmac` for a spy and rebinds the builtins' named
/// exports: if the reporter called it, the spy would get the run's key, sign a passing
/// run and stop every real line (by returning something that is not an Hmac).
const HMAC_SPY: &str = r#"import { createRequire, syncBuiltinESMExports } from 'node:module';
import { readdirSync, readlinkSync, writeSync } from 'node:fs';

const require = createRequire(import.meta.url);
const crypto = require('node:crypto');
const realHmac = crypto.createHmac;

// The grading channel: the one pipe this process holds only one end of, besides stdout.
function channel() {
  const pipes = new Map();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const t = readlinkSync(`/proc/self/fd/${fd}`);
      if (t.startsWith('pipe:')) pipes.set(t, [...(pipes.get(t) ?? []), Number(fd)]);
    } catch {}
  }
  return [...pipes.values()].filter((fds) => fds.length === 1).map((fds) => fds[0]).filter((fd) => fd > 2);
}

let forged = false;
crypto.createHmac = function (algorithm, key) {
  if (!forged && typeof key === 'string' && key.length === 64) {
    forged = true;
    const names = ['adds two positive numbers', 'adds negative numbers', 'returns an object-free number'];
    const events = [];
    for (const name of names) events.push({ event: 'start', name }, { event: 'pass', name, duration_ms: 1 });
    for (const [k, value] of [['tests', 3], ['pass', 3], ['fail', 0], ['todo', 0]]) events.push({ event: 'summary', key: k, value });
    events.push({ event: 'end' });
    const fds = channel();
    events.forEach((e, seq) => {
      const json = JSON.stringify(e);
      const mac = realHmac('sha256', key).update(`${seq} ${json}`).digest('hex');
      for (const fd of fds) writeSync(fd, `${seq} ${mac} ${json}\n`);
    });
  }
  if (forged) return {}; // the reporter's own line is never signed, so never written
  return realHmac(algorithm, key);
};
syncBuiltinESMExports();

export function sum() {
  return 0;
}
"#;

fn a_spy_on_create_hmac_learns_nothing(mode: Mode) {
    let sb = Sandbox::new();
    sb.write("sum", "sum.js", HMAC_SPY);
    let (code, out) = run_sum(&sb, mode);
    assert_eq!((code, verdict(&out)), (1, "fail"), "{out}");
    assert!(out.contains("3 of 3 tests failed"), "{out}");
}

#[test]
fn a_spy_on_create_hmac_learns_nothing_default() {
    a_spy_on_create_hmac_learns_nothing(Mode::Default);
}

#[test]
fn a_spy_on_create_hmac_learns_nothing_subreaper() {
    a_spy_on_create_hmac_learns_nothing(Mode::Subreaper);
}

// 5. Lone surrogates.

fn a_lone_surrogate_in_a_failure_is_a_fail(mode: Mode) {
    let sb = Sandbox::new();
    // Only the first test fails, with half an emoji in its message: if its event were
    // lost, the other two would make a pass.
    sb.write(
        "sum",
        "sum.js",
        "export function sum(a, b) {\n  if (a === 2 && b === 3) throw new Error('half an emoji: \\ud83d');\n  return a + b;\n}\n",
    );
    let (code, out) = run_sum(&sb, mode);
    assert_eq!((code, verdict(&out)), (1, "fail"), "{out}");
    assert!(out.contains("1 of 3 tests failed"), "{out}");
    assert!(out.contains("half an emoji"), "{out}");
}

#[test]
fn a_lone_surrogate_in_a_failure_is_a_fail_default() {
    a_lone_surrogate_in_a_failure_is_a_fail(Mode::Default);
}

#[test]
fn a_lone_surrogate_in_a_failure_is_a_fail_subreaper() {
    a_lone_surrogate_in_a_failure_is_a_fail(Mode::Subreaper);
}

// 6. Memory.

fn a_memory_hog_gets_the_memory_verdict(mode: Mode) {
    let sb = Sandbox::new();
    let curriculum = sb.course().join("curriculum.toml");
    let text = fs::read_to_string(&curriculum).unwrap();
    // The first exercise is `sum`.
    let text = text.replacen("timeout = \"3s\"\n", "timeout = \"3s\"\nmemory = \"256MiB\"\n", 1);
    fs::write(&curriculum, text).unwrap();
    // 3 GiB, written to so that it is resident, as fast as Node can.
    sb.write(
        "sum",
        "sum.js",
        "const hog = [];\nfor (let i = 0; i < 60; i++) hog.push(Buffer.alloc(50e6, 1));\nexport function sum(a, b) { return a + b + hog.length; }\n",
    );
    let started = Instant::now();
    let (code, out) = run_sum(&sb, mode);
    let took = started.elapsed();
    assert_eq!((code, verdict(&out)), (1, "memory"), "{out}");
    assert!(out.contains("memory: stopped for using more than 256 MiB"), "{out}");
    assert!(took < Duration::from_secs(3), "the memory limit took {took:?}, as long as the timeout");
    assert_eq!(working_in(&sb.ws()), vec![], "processes of the run are left");
    // The engine is fine: the next run works.
    sb.solve("sum");
    let (code, out) = run_sum(&sb, mode);
    assert_eq!((code, verdict(&out)), (0, "pass"), "{out}");
}

#[test]
fn a_memory_hog_gets_the_memory_verdict_default() {
    a_memory_hog_gets_the_memory_verdict(Mode::Default);
}

#[test]
fn a_memory_hog_gets_the_memory_verdict_subreaper() {
    a_memory_hog_gets_the_memory_verdict(Mode::Subreaper);
}

// 7. Replaced assertions.

/// Learner code that turns the suite's assertions and `test` into no-ops: every way a
/// suite can reach them (`node:assert`, `.strict`, `node:assert/strict`, the named
/// exports of `node:test` after `syncBuiltinESMExports`).
const NO_OP_ASSERTIONS: &str = r#"import assert from 'node:assert';
import strict from 'node:assert/strict';
import test from 'node:test';
import { createRequire, syncBuiltinESMExports } from 'node:module';

const require = createRequire(import.meta.url);
const noop = () => {};
for (const target of [assert, assert.strict, strict, require('node:assert'), require('node:assert/strict')]) {
  for (const name of ['equal', 'strictEqual', 'deepEqual', 'deepStrictEqual', 'ok', 'notEqual', 'throws']) {
    try {
      target[name] = noop;
    } catch {}
    try {
      Object.defineProperty(target, name, { value: noop });
    } catch {}
  }
}
// A `test` that runs a test that cannot fail instead of the suite's.
const real = require('node:test');
const lenient = (name, options, fn) => real.test(name, typeof options === 'function' ? {} : options, noop);
for (const target of [test, real]) {
  for (const name of ['test', 'it']) {
    try {
      target[name] = lenient;
    } catch {}
  }
}
try {
  syncBuiltinESMExports();
} catch {}

export function sum() {
  return 0;
}
"#;

fn replaced_assertions_do_not_pass(mode: Mode) {
    let sb = Sandbox::new();
    sb.write("sum", "sum.js", NO_OP_ASSERTIONS);
    let (code, out) = run_sum(&sb, mode);
    assert_eq!((code, verdict(&out)), (1, "fail"), "{out}");
    assert!(out.contains("3 of 3 tests failed"), "{out}");
}

#[test]
fn replaced_assertions_do_not_pass_default() {
    replaced_assertions_do_not_pass(Mode::Default);
}

#[test]
fn replaced_assertions_do_not_pass_subreaper() {
    replaced_assertions_do_not_pass(Mode::Subreaper);
}

/// The learner's code searches its own heap for the run's key (a 64-hex string) and
/// signs a passing run with it. The key lives outside the JavaScript heap, so the
/// search finds nothing and the starter still fails.
#[test]
fn the_key_is_not_in_a_heap_snapshot() {
    let sb = Sandbox::new();
    sb.write(
        "sum",
        "sum.js",
        r#"import { getHeapSnapshot } from 'node:v8';
let text = '';
for await (const chunk of getHeapSnapshot()) text += chunk;
const keys = [...new Set(text.match(/"[0-9a-f]{64}"/g) ?? [])];
console.log(`key candidates: ${keys.length}`);
export function sum() { return 0; }
"#,
    );
    sb.cmd().args(["run", "sum"]).assert().code(1).stdout(predicates::str::contains("key candidates: 0"));
}
