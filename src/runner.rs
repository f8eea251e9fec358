//! Runs one hidden suite against learner code and returns a `Report`.
//!
//! The runner never prints. It hands events to whoever listens (the CLI, the watch
//! view, CI formats) and enforces the limits: containment (see `process`), a wall-clock
//! deadline after which everything the run started is killed, a memory limit, and a cap
//! on the output it keeps. The reporter's channel is verified line by line (`events`).
#[cfg(target_os = "linux")]
mod contain;
mod events;
pub mod node;
mod process;
mod results;
mod tail;
mod verdict;

use std::io::Read;
use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::manifest::Manifest;
use crate::report::{Output, Report, TestResult};
use events::ReporterEvent;
pub use process::{DEFAULT_MEMORY, Limits, grade_untrusted, kill_group, release};
use process::{Ending as ProcessEnding, Process};
pub use results::Results;
use tail::Tail;
use verdict::{Collector, Ending, Exit};

/// Bytes of the learner's output kept for the report (the tail).
pub const OUTPUT_CAP: usize = 64 * 1024;
/// A reporter line longer than this is dropped: ours are far shorter.
const MAX_EVENT_LINE: usize = 1024 * 1024;
/// How long to wait for the pipes to drain once the process has exited.
const DRAIN_GRACE: Duration = Duration::from_millis(300);
/// How long to wait for output still in the pipes once the reporter said the run ended.
const END_GRACE: Duration = Duration::from_millis(20);
/// How long to wait for the process to be reaped after it was killed.
const KILL_GRACE: Duration = Duration::from_secs(2);
/// How often a run's memory is sampled where the kernel does not enforce the limit.
const MEMORY_SAMPLE: Duration = Duration::from_millis(50);

/// Everything needed to start one run.
pub struct RunSpec {
    pub exercise: String,
    /// The learner's folder: `EXERCISE_DIR`.
    pub exercise_dir: PathBuf,
    pub command: Command,
    pub deadline: Duration,
    /// What the run may use (memory, processes).
    pub limits: Limits,
    /// The suite's recorded tests, when the course has a manifest for it.
    pub manifest: Option<Manifest>,
    /// For a `command` runner: how its results are read, and the folder it ran in.
    pub results: Option<(Results, PathBuf)>,
    /// The run's own folder, removed once the run is over.
    pub scratch: Option<PathBuf>,
}

/// A folder of its own for one run of `name` below `root`: two runs of one exercise at
/// once (a second terminal, or `run` while watch mode is open) never share one.
pub fn scratch_dir(root: &std::path::Path, name: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    remove_stale_scratch(root);
    root.join(format!("{name}.{}.{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)))
}

/// Removes the run folders of roadmap processes that are gone (killed before they
/// could), once per run root and process.
fn remove_stale_scratch(root: &std::path::Path) {
    static CLEANED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    {
        let mut cleaned = CLEANED.lock().expect("cleaned roots");
        if cleaned.iter().any(|r| r == root) {
            return;
        }
        cleaned.push(root.to_path_buf());
    }
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let owner = name.to_str().and_then(|n| n.rsplit('.').nth(1)).and_then(|p| p.parse::<u32>().ok());
        let Some(owner) = owner else { continue };
        if owner != std::process::id() && !std::path::Path::new(&format!("/proc/{owner}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Lays out the suite of `exercise` in `run_dir` and builds its run, for either runner.
pub fn prepare(
    files: &crate::curriculum::CourseFiles,
    exercise: &crate::curriculum::Exercise,
    exercise_dir: &std::path::Path,
    run_dir: &std::path::Path,
    env: &[(String, String)],
) -> anyhow::Result<RunSpec> {
    use crate::curriculum::Runner;
    match &exercise.runner {
        Runner::Node => {
            let suite = node::materialise(files, exercise, run_dir)?;
            Ok(node::spec(exercise, exercise_dir, &suite, env))
        }
        Runner::Command { argv, results } => {
            node::lay_out(files, exercise, run_dir)?;
            let mut command = Command::new(&argv[0]);
            command
                .args(&argv[1..])
                .current_dir(run_dir)
                .env("EXERCISE_DIR", exercise_dir)
                .env("ROADMAP_RUN_DIR", run_dir)
                .env("ROADMAP_SEED", node::SEED)
                .env("TZ", "UTC")
                .env("NO_COLOR", "1");
            for (key, value) in env {
                command.env(key, value);
            }
            Ok(RunSpec {
                exercise: exercise.id.clone(),
                exercise_dir: exercise_dir.to_path_buf(),
                command,
                deadline: exercise.timeout,
                limits: exercise.limits(),
                manifest: None,
                results: Some((results.clone(), run_dir.to_path_buf())),
                scratch: None,
            })
        }
    }
}

/// What a listener hears while a run goes on.
#[derive(Debug, Clone)]
pub enum RunEvent {
    TestStarted(String),
    TestFinished(TestResult),
}

#[derive(Debug)]
pub enum Outcome {
    Finished(Box<Report>),
    Cancelled,
}

/// Why a run could not start at all.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "Node.js was not found on PATH: install Node.js 20 or newer (https://nodejs.org, or your package manager) and try again"
    )]
    NodeMissing,
    #[error("could not start {program}: {source}")]
    Spawn { program: String, source: std::io::Error },
}

enum Msg {
    Event(Box<ReporterEvent>),
    /// A line on the reporter's channel that does not verify.
    Broken(String),
    ReportClosed,
    OutputClosed,
    Exited(ProcessEnding),
    Cancel,
}

/// Cancels a run from another thread (a newer save supersedes it).
#[derive(Clone)]
pub struct Canceller(Sender<Msg>);

impl Canceller {
    pub fn cancel(&self) {
        let _ = self.0.send(Msg::Cancel);
    }
}

/// Where a multi-run grading (a project stage and its earlier stages) keeps the run in
/// progress, so another thread can cancel it and stop the ones after it.
#[derive(Clone, Default)]
pub struct CancelSlot(Arc<Mutex<(bool, Option<Canceller>)>>);

impl CancelSlot {
    pub fn cancel(&self) {
        let mut slot = self.0.lock().expect("cancel slot");
        slot.0 = true;
        if let Some(canceller) = slot.1.take() {
            canceller.cancel();
        }
    }

    /// Registers the run now in progress; false (and the run is cancelled) if the slot
    /// was cancelled already.
    pub fn attach(&self, canceller: Canceller) -> bool {
        let mut slot = self.0.lock().expect("cancel slot");
        if slot.0 {
            canceller.cancel();
            return false;
        }
        slot.1 = Some(canceller);
        true
    }
}

/// How the run's parts are handed from `spawn` to `Run::attach`.
struct Started {
    spawned: process::Spawned,
    exercise: String,
    exercise_dir: PathBuf,
    deadline: Duration,
    limits: Limits,
    manifest: Option<Manifest>,
    scratch: Option<PathBuf>,
}

/// A run in progress.
pub struct Run {
    exercise: String,
    exercise_dir: String,
    deadline: Duration,
    limits: Limits,
    manifest: Option<Manifest>,
    process: Arc<Process>,
    started: Instant,
    tx: Sender<Msg>,
    rx: mpsc::Receiver<Msg>,
    tail: Arc<Mutex<Tail>>,
    results: Option<(Results, PathBuf)>,
    scratch: Option<PathBuf>,
}

impl Run {
    /// Starts a run in a new process (a cold start).
    pub fn start(spec: RunSpec) -> Result<Run, StartError> {
        let RunSpec { exercise, exercise_dir, command, deadline, limits, manifest, results, scratch } = spec;
        let spawned = spawn(&command, false, limits)?;
        let mut run = Run::attach(Started { spawned, exercise, exercise_dir, deadline, limits, manifest, scratch });
        run.results = results;
        Ok(run)
    }

    /// Takes over a spawned process: threads read its output, its report and its exit.
    fn attach(parts: Started) -> Run {
        let Started { spawned, exercise, exercise_dir, deadline, limits, manifest, scratch } = parts;
        let started = Instant::now();
        let (tx, rx) = mpsc::channel();
        let tail = Arc::new(Mutex::new(Tail::new(OUTPUT_CAP)));
        let process = Arc::new(spawned.process);

        let waiter = tx.clone();
        let waited = Arc::clone(&process);
        thread::spawn(move || {
            if let Ok(ending) = waited.wait() {
                let _ = waiter.send(Msg::Exited(ending));
            }
        });
        let reader = tx.clone();
        let mut report = spawned.report;
        let mut channel = events::Channel::new(&spawned.key);
        thread::spawn(move || {
            read_lines(&mut report, |line| {
                let msg = match line.map(|l| channel.read(l)) {
                    Ok(Ok(event)) => Msg::Event(Box::new(event)),
                    Ok(Err(problem)) => Msg::Broken(problem.to_string()),
                    Err(len) => Msg::Broken(format!("a line of {len} bytes or more on the grading channel")),
                };
                let _ = reader.send(msg);
            });
            let _ = reader.send(Msg::ReportClosed);
        });
        let sink = Arc::clone(&tail);
        let closer = tx.clone();
        let mut output = spawned.output;
        thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(n) = output.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("tail lock").push(&buf[..n]);
            }
            let _ = closer.send(Msg::OutputClosed);
        });

        Run {
            exercise,
            exercise_dir: exercise_dir.to_string_lossy().into_owned(),
            deadline,
            limits,
            manifest,
            process,
            started,
            tx,
            rx,
            tail,
            results: None,
            scratch,
        }
    }

    pub fn canceller(&self) -> Canceller {
        Canceller(self.tx.clone())
    }

    /// Waits for the run to end, passing events to `listen` as they come. Every process
    /// of the run is gone when it returns.
    pub fn wait(self, mut listen: impl FnMut(RunEvent)) -> Outcome {
        let mut collector = Collector::default();
        // The exit the verdict uses: the real one, or the one the reporter's end implies.
        let mut exit: Option<Exit> = None;
        let mut reaped = false;
        let (mut report_closed, mut output_closed, mut timed_out) = (false, false, false);
        let mut memory_hit = false;
        let mut stop_by: Option<Instant> = None;
        let deadline_at = self.started + self.deadline;
        // Without a cgroup the kernel does not enforce the limit: sample it.
        let sample_memory = !self.process.limit_enforced();
        let mut next_sample = Instant::now() + MEMORY_SAMPLE;

        loop {
            if reaped && report_closed && output_closed {
                break;
            }
            let now = Instant::now();
            let mut wake = match stop_by {
                Some(at) => at,
                None => deadline_at,
            };
            if sample_memory && !reaped {
                wake = wake.min(next_sample);
            }
            match self.rx.recv_timeout(wake.saturating_duration_since(now)) {
                Ok(Msg::Event(event)) => {
                    let event = *event;
                    if let ReporterEvent::Start { name } = &event {
                        listen(RunEvent::TestStarted(name.clone()));
                    }
                    let ended = matches!(event, ReporterEvent::End);
                    if let Some(result) = collector.push(event) {
                        listen(RunEvent::TestFinished(result.clone()));
                    }
                    if ended && exit.is_none() {
                        // The verdict is known as soon as the last test ends; waiting for
                        // the process to wind down would only add latency.
                        let code = if collector.has_failures() { 1 } else { 0 };
                        exit = Some(Exit::Code(code));
                        self.process.stop();
                        stop_by = Some(Instant::now() + KILL_GRACE);
                    }
                }
                Ok(Msg::Broken(why)) => collector.broken(why),
                Ok(Msg::ReportClosed) => report_closed = true,
                Ok(Msg::OutputClosed) => output_closed = true,
                Ok(Msg::Exited(ending)) => {
                    let ending: ProcessEnding = ending;
                    reaped = true;
                    if exit.is_none() {
                        exit = Some(match ending {
                            ProcessEnding::Code(code) => Exit::Code(code),
                            ProcessEnding::Signal(signal) => Exit::Signal(signal),
                        });
                    }
                    // Output still in the pipes is worth a moment; no process is left.
                    stop_by = Some(Instant::now() + if timed_out || memory_hit { END_GRACE } else { DRAIN_GRACE });
                }
                Ok(Msg::Cancel) => {
                    self.process.stop();
                    remove_scratch(self.scratch.as_deref());
                    return Outcome::Cancelled;
                }
                Err(RecvTimeoutError::Timeout) => {
                    let now = Instant::now();
                    if stop_by.is_some_and(|at| now >= at) {
                        break;
                    }
                    if sample_memory && !reaped && now >= next_sample {
                        next_sample = now + MEMORY_SAMPLE;
                        if !memory_hit && self.process.memory() > self.limits.memory {
                            memory_hit = true;
                            self.process.stop();
                            stop_by = Some(now + KILL_GRACE);
                        }
                    }
                    if !timed_out && exit.is_none() && !memory_hit && now >= deadline_at {
                        timed_out = true;
                        self.process.stop();
                        stop_by = Some(now + KILL_GRACE);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        if !reaped {
            // Stopped but not yet reaped (it was still being killed): make sure of it.
            self.process.stop();
        }
        memory_hit = memory_hit || self.process.hit_memory_limit();

        let output = {
            let tail = self.tail.lock().expect("tail lock");
            Output { text: tail.text(), truncated_bytes: tail.dropped() }
        };
        let ending = Ending {
            exit: exit.unwrap_or(Exit::Unknown),
            timed_out,
            memory_limit_hit: memory_hit.then_some(self.limits.memory),
            deadline: self.deadline,
            output,
            duration: self.started.elapsed(),
        };
        let mut report = match &self.results {
            Some((results, dir)) => verdict::from_command(&self.exercise, results, dir, ending),
            None => verdict::verdict(&self.exercise, &self.exercise_dir, collector, ending, self.manifest.as_ref()),
        };
        report.containment = Some(self.process.containment(self.limits));
        remove_scratch(self.scratch.as_deref());
        Outcome::Finished(Box::new(report))
    }
}

fn remove_scratch(dir: Option<&std::path::Path>) {
    if let Some(dir) = dir {
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn spawn(command: &Command, stdin_piped: bool, limits: Limits) -> Result<process::Spawned, StartError> {
    let program = command.get_program().to_string_lossy().into_owned();
    process::spawn(command, stdin_piped, limits).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound && program.ends_with("node") {
            StartError::NodeMissing
        } else {
            StartError::Spawn { program, source }
        }
    })
}

/// A process started ahead of time, waiting for the path of the suite to run (see
/// `js/warm.mjs`). Dropping it unused stops it.
pub struct WarmProcess {
    parts: Option<Started>,
    pub exercise: String,
    suite: PathBuf,
}

impl WarmProcess {
    pub fn spawn(spec: RunSpec, suite: PathBuf) -> Result<WarmProcess, StartError> {
        let RunSpec { exercise, exercise_dir, command, deadline, limits, manifest, results: _, scratch } = spec;
        let spawned = spawn(&command, true, limits)?;
        let parts = Started { spawned, exercise: exercise.clone(), exercise_dir, deadline, limits, manifest, scratch };
        Ok(WarmProcess { parts: Some(parts), exercise, suite })
    }

    /// Whether the process is still waiting (it may have died, e.g. out of memory).
    pub fn is_waiting(&mut self) -> bool {
        self.parts.as_ref().is_some_and(|p| p.spawned.process.is_running())
    }

    /// Hands the suite to the waiting process; the deadline starts now.
    pub fn go(mut self) -> Result<Run, StartError> {
        use std::io::Write;
        let mut parts = self.parts.take().expect("a warm process is used once");
        let line = format!("{}\n", self.suite.display());
        let sent =
            parts.spawned.stdin.take().map(|mut stdin| stdin.write_all(line.as_bytes()).and_then(|_| stdin.flush()));
        if let Some(Err(source)) = sent {
            parts.spawned.process.stop();
            let _ = parts.spawned.process.wait();
            return Err(StartError::Spawn { program: "the warm node process".into(), source });
        }
        Ok(Run::attach(parts))
    }
}

impl Drop for WarmProcess {
    fn drop(&mut self) {
        if let Some(parts) = self.parts.take() {
            parts.spawned.process.stop();
            let _ = parts.spawned.process.wait();
            remove_scratch(parts.scratch.as_deref());
        }
    }
}

/// Splits a stream into lines without ever holding more than `MAX_EVENT_LINE` bytes of
/// one: a learner writing a huge line to our descriptor cannot exhaust memory. A line
/// too long to keep is passed on as `Err(length so far)`.
fn read_lines(input: &mut impl Read, mut on_line: impl FnMut(Result<&[u8], usize>)) {
    let mut pending: Vec<u8> = Vec::new();
    let mut discarding = false;
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n) = input.read(&mut buf) {
        if n == 0 {
            break;
        }
        let mut chunk = &buf[..n];
        while let Some(nl) = chunk.iter().position(|&b| b == b'\n') {
            if !discarding && pending.len() + nl <= MAX_EVENT_LINE {
                pending.extend_from_slice(&chunk[..nl]);
                on_line(Ok(&pending));
            } else {
                on_line(Err(MAX_EVENT_LINE));
            }
            pending.clear();
            discarding = false;
            chunk = &chunk[nl + 1..];
        }
        if !discarding {
            pending.extend_from_slice(chunk);
            if pending.len() > MAX_EVENT_LINE {
                pending = Vec::new();
                discarding = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_across_reads_and_huge_lines_dropped() {
        let mut data = b"one\ntw".to_vec();
        data.extend(b"o\n");
        data.extend(vec![b'x'; MAX_EVENT_LINE + 10]);
        data.extend(b"\nthree\n");
        let mut lines = Vec::new();
        read_lines(&mut data.as_slice(), |l| match l {
            Ok(l) => lines.push(String::from_utf8_lossy(l).into_owned()),
            Err(_) => lines.push("<too long>".into()),
        });
        assert_eq!(lines, ["one", "two", "<too long>", "three"]);
    }
}
