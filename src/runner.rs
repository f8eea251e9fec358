//! Runs one hidden suite against learner code and returns a `Report`.
//!
//! The runner never prints. It hands events to whoever listens (the CLI, the watch
//! view, CI formats) and enforces the limits: a wall-clock deadline after which the
//! whole process group is killed, and a cap on the output it keeps.
mod events;
pub mod node;
mod process;
mod results;
mod tail;
mod verdict;

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::report::{Output, Report, TestResult};
use events::ReporterEvent;
pub use process::kill_group;
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
const KILL_GRACE: Duration = Duration::from_secs(1);

/// Everything needed to start one run.
pub struct RunSpec {
    pub exercise: String,
    /// The learner's folder: `EXERCISE_DIR`.
    pub exercise_dir: PathBuf,
    pub command: Command,
    pub deadline: Duration,
    /// For a `command` runner: how its results are read, and the folder it ran in.
    pub results: Option<(Results, PathBuf)>,
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
                results: Some((results.clone(), run_dir.to_path_buf())),
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
    ReportClosed,
    OutputClosed,
    Exited(ExitStatus),
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

/// A run in progress.
pub struct Run {
    exercise: String,
    exercise_dir: String,
    deadline: Duration,
    pid: u32,
    started: Instant,
    tx: Sender<Msg>,
    rx: mpsc::Receiver<Msg>,
    tail: Arc<Mutex<Tail>>,
    results: Option<(Results, PathBuf)>,
}

impl Run {
    /// Starts a run in a new process (a cold start).
    pub fn start(spec: RunSpec) -> Result<Run, StartError> {
        let RunSpec { exercise, exercise_dir, command, deadline, results } = spec;
        let spawned = spawn(command, false)?;
        let mut run = Run::attach(spawned, exercise, exercise_dir, deadline);
        run.results = results;
        Ok(run)
    }

    /// Takes over a spawned process: threads read its output, its report and its exit.
    fn attach(spawned: process::Spawned, exercise: String, exercise_dir: PathBuf, deadline: Duration) -> Run {
        let started = Instant::now();
        let (tx, rx) = mpsc::channel();
        let tail = Arc::new(Mutex::new(Tail::new(OUTPUT_CAP)));
        let pid = spawned.child.id();

        let mut child = spawned.child;
        let waiter = tx.clone();
        thread::spawn(move || {
            if let Ok(status) = child.wait() {
                let _ = waiter.send(Msg::Exited(status));
            }
        });
        let reader = tx.clone();
        let mut report = spawned.report;
        thread::spawn(move || {
            read_lines(&mut report, |line| {
                if let Some(event) = events::parse_line(line) {
                    let _ = reader.send(Msg::Event(Box::new(event)));
                }
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
            pid,
            started,
            tx,
            rx,
            tail,
            results: None,
        }
    }

    pub fn canceller(&self) -> Canceller {
        Canceller(self.tx.clone())
    }

    /// Waits for the run to end, passing events to `listen` as they come.
    pub fn wait(self, mut listen: impl FnMut(RunEvent)) -> Outcome {
        let mut collector = Collector::default();
        let mut exit = None;
        let (mut report_closed, mut output_closed, mut timed_out) = (false, false, false);
        let mut stop_by: Option<Instant> = None;
        let deadline_at = self.started + self.deadline;

        loop {
            if exit.is_some() && report_closed && output_closed {
                break;
            }
            let now = Instant::now();
            let wake = match stop_by {
                Some(at) => at,
                None if timed_out => now + KILL_GRACE,
                None => deadline_at,
            };
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
                        exit = Some(ExitStatus::from_raw(code << 8));
                        kill_group(self.pid);
                        stop_by = Some(Instant::now() + END_GRACE);
                    }
                }
                Ok(Msg::ReportClosed) => report_closed = true,
                Ok(Msg::OutputClosed) => output_closed = true,
                Ok(Msg::Exited(status)) => {
                    if exit.is_none() {
                        exit = Some(status);
                        // Whatever the suite or the learner left running in the group goes too.
                        kill_group(self.pid);
                        stop_by = Some(Instant::now() + DRAIN_GRACE);
                    }
                }
                Ok(Msg::Cancel) => {
                    kill_group(self.pid);
                    crate::signals::untrack(self.pid);
                    return Outcome::Cancelled;
                }
                Err(RecvTimeoutError::Timeout) => {
                    if stop_by.is_some_and(|at| Instant::now() >= at) {
                        break;
                    }
                    if !timed_out && exit.is_none() {
                        timed_out = true;
                        kill_group(self.pid);
                        stop_by = Some(Instant::now() + KILL_GRACE);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        if exit.is_none() {
            kill_group(self.pid);
        }
        crate::signals::untrack(self.pid);

        let output = {
            let tail = self.tail.lock().expect("tail lock");
            Output { text: tail.text(), truncated_bytes: tail.dropped() }
        };
        let exit = match exit {
            Some(status) => match (status.code(), status.signal()) {
                (Some(code), _) => Exit::Code(code),
                (None, Some(signal)) => Exit::Signal(signal),
                _ => Exit::Unknown,
            },
            None => Exit::Unknown,
        };
        let ending = Ending { exit, timed_out, deadline: self.deadline, output, duration: self.started.elapsed() };
        let report = match &self.results {
            Some((results, dir)) => verdict::from_command(&self.exercise, results, dir, ending),
            None => verdict::verdict(&self.exercise, &self.exercise_dir, collector, ending),
        };
        Outcome::Finished(Box::new(report))
    }
}

fn spawn(command: Command, stdin_piped: bool) -> Result<process::Spawned, StartError> {
    let program = command.get_program().to_string_lossy().into_owned();
    let spawned = process::spawn_in_group(command, stdin_piped).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound && program.ends_with("node") {
            StartError::NodeMissing
        } else {
            StartError::Spawn { program, source }
        }
    })?;
    crate::signals::track(spawned.child.id());
    Ok(spawned)
}

/// A process started ahead of time, waiting for the path of the suite to run (see
/// `js/warm.mjs`). Dropping it unused kills it.
pub struct WarmProcess {
    spawned: Option<process::Spawned>,
    pub exercise: String,
    exercise_dir: PathBuf,
    deadline: Duration,
    suite: PathBuf,
}

impl WarmProcess {
    pub fn spawn(spec: RunSpec, suite: PathBuf) -> Result<WarmProcess, StartError> {
        let RunSpec { exercise, exercise_dir, command, deadline, results: _ } = spec;
        let spawned = spawn(command, true)?;
        Ok(WarmProcess { spawned: Some(spawned), exercise, exercise_dir, deadline, suite })
    }

    /// Whether the process is still waiting (it may have died, e.g. out of memory).
    pub fn is_waiting(&mut self) -> bool {
        self.spawned.as_mut().is_some_and(|s| matches!(s.child.try_wait(), Ok(None)))
    }

    /// Hands the suite to the waiting process; the deadline starts now.
    pub fn go(mut self) -> Result<Run, StartError> {
        use std::io::Write;
        let mut spawned = self.spawned.take().expect("a warm process is used once");
        let line = format!("{}\n", self.suite.display());
        let sent = spawned.stdin.take().map(|mut stdin| stdin.write_all(line.as_bytes()).and_then(|_| stdin.flush()));
        if let Some(Err(source)) = sent {
            kill_group(spawned.child.id());
            return Err(StartError::Spawn { program: "the warm node process".into(), source });
        }
        Ok(Run::attach(spawned, self.exercise.clone(), self.exercise_dir.clone(), self.deadline))
    }
}

impl Drop for WarmProcess {
    fn drop(&mut self) {
        if let Some(mut spawned) = self.spawned.take() {
            let pid = spawned.child.id();
            kill_group(pid);
            let _ = spawned.child.wait();
            crate::signals::untrack(pid);
        }
    }
}

/// Splits a stream into lines without ever holding more than `MAX_EVENT_LINE` bytes of
/// one: a learner writing a huge line to our descriptor cannot exhaust memory.
fn read_lines(input: &mut impl Read, mut on_line: impl FnMut(&[u8])) {
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
                on_line(&pending);
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
        read_lines(&mut data.as_slice(), |l| lines.push(String::from_utf8_lossy(l).into_owned()));
        assert_eq!(lines, ["one", "two", "three"]);
    }
}
