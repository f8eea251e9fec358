//! Carries out runs for watch mode: one at a time, the newest cancelling the older,
//! each on its own thread so a learner's infinite loop never freezes the screen, and
//! with the next Node process kept warm.
use std::sync::Arc;
use std::sync::mpsc::Sender;

use super::Msg;
use super::state::Event;
use crate::curriculum::Runner;
use crate::curriculum::{Course, Exercise};
use crate::grade;
use crate::report::Report;
use crate::runner::{self, CancelSlot, Outcome, Run, RunEvent, WarmProcess, node};
use crate::services::{Prepared, Services};
use crate::workspace::Workspace;

pub struct Grader {
    course: Arc<Course>,
    workspace: Workspace,
    tx: Sender<Msg>,
    services: Arc<Services>,
    active: Option<(u64, CancelSlot)>,
    /// The next process, with the services it was given (a fresh database, …).
    warm: Option<(WarmProcess, Prepared)>,
    /// Start every run cold (for measuring what warming saves).
    cold_only: bool,
}

impl Grader {
    pub fn new(course: Arc<Course>, workspace: Workspace, services: Arc<Services>, tx: Sender<Msg>) -> Grader {
        let cold_only = std::env::var_os("ROADMAP_NO_WARM").is_some();
        Grader { course, workspace, tx, services, active: None, warm: None, cold_only }
    }

    /// Starts run `run` of `exercise`, cancelling the one in progress.
    pub fn start(&mut self, run: u64, id: &str) {
        if let Some((_, slot)) = self.active.take() {
            slot.cancel();
        }
        let Some(exercise) = self.course.curriculum.exercise(id).cloned() else { return };
        if exercise.stage.is_some() {
            self.start_stages(run, exercise);
            return;
        }
        let warm = self
            .warm
            .take()
            .filter(|(w, _)| w.exercise == exercise.id)
            .and_then(|(mut w, p)| w.is_waiting().then_some((w, p)));
        let (started, prepared) = match warm {
            Some((warm, prepared)) => (warm.go().map_err(|e| e.to_string()), prepared),
            None => {
                // The services get a clean slate for this run (a fresh database, …).
                let prepared = match self.services.prepare(&exercise.services) {
                    Ok(prepared) => prepared,
                    Err(missing) => {
                        let report = Report::needs_service(&exercise.id, missing.message, missing.fix);
                        let _ = self.tx.send(Msg::App(Event::Finished { run, report: Box::new(report) }));
                        return;
                    }
                };
                (self.cold(&exercise, &prepared.env), prepared)
            }
        };
        let run_handle = match started {
            Ok(r) => r,
            Err(message) => {
                let _ = self.tx.send(Msg::App(Event::RunFailed { run, message }));
                return;
            }
        };
        let slot = CancelSlot::default();
        slot.attach(run_handle.canceller());
        self.active = Some((run, slot));
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            // Held until the run is over; dropping it drops the run's database.
            let _prepared = prepared;
            let outcome = run_handle.wait(|event| {
                let event = match event {
                    RunEvent::TestStarted(name) => Event::TestStarted { run, name },
                    RunEvent::TestFinished(result) => Event::TestFinished { run, result },
                };
                let _ = tx.send(Msg::App(event));
            });
            if let Outcome::Finished(report) = outcome {
                let _ = tx.send(Msg::App(Event::Finished { run, report }));
            }
            let _ = tx.send(Msg::RunEnded(run));
        });
    }

    /// A project stage runs its suite and every earlier stage's, one process after the
    /// other, on a thread; the slot lets a newer save stop the whole sequence.
    fn start_stages(&mut self, run: u64, exercise: Exercise) {
        let slot = CancelSlot::default();
        self.active = Some((run, slot.clone()));
        let (course, services, tx) = (Arc::clone(&self.course), Arc::clone(&self.services), self.tx.clone());
        let dir = self.workspace.exercise_dir(&exercise);
        let run_root = self.workspace.run_root();
        std::thread::spawn(move || {
            let listen = |event| {
                let event = match event {
                    RunEvent::TestStarted(name) => Event::TestStarted { run, name },
                    RunEvent::TestFinished(result) => Event::TestFinished { run, result },
                };
                let _ = tx.send(Msg::App(event));
            };
            match grade::grade_dir(&course, &services, &exercise, &dir, &run_root, Some(&slot), listen) {
                Ok(report) => {
                    let _ = tx.send(Msg::App(Event::Finished { run, report: Box::new(report) }));
                }
                Err(e) if e.is::<grade::Cancelled>() => {}
                Err(e) => {
                    let _ = tx.send(Msg::App(Event::RunFailed { run, message: format!("{e:#}") }));
                }
            }
            let _ = tx.send(Msg::RunEnded(run));
        });
    }

    fn cold(&mut self, exercise: &Exercise, env: &[(String, String)]) -> Result<Run, String> {
        let run_dir = runner::scratch_dir(&self.workspace.run_root(), &exercise.id);
        let mut spec =
            runner::prepare(&self.course.files, exercise, &self.workspace.exercise_dir(exercise), &run_dir, env)
                .map_err(|e| format!("{e:#}"))?;
        spec.manifest = self.course.manifest(exercise).map_err(|e| format!("{e:#}"))?;
        spec.scratch = Some(run_dir);
        Run::start(spec).map_err(|e| e.to_string())
    }

    /// Called when a run ended: start the next process for `exercise` ahead of time.
    pub fn run_ended(&mut self, run: u64, exercise: &Exercise) {
        if self.active.as_ref().is_some_and(|(r, _)| *r == run) {
            self.active = None;
        }
        if self.active.is_none() {
            self.prewarm(exercise);
        }
    }

    fn prewarm(&mut self, exercise: &Exercise) {
        // Stages run several suites in turn, and commands are not Node: only single
        // Node suites are started warm.
        let warmable = exercise.stage.is_none() && matches!(exercise.runner, Runner::Node) && !self.cold_only;
        if !warmable || self.warm.as_ref().is_some_and(|(w, _)| w.exercise == exercise.id) {
            return;
        }
        self.warm = None;
        // A warm process is an optimisation: if anything is missing, the next run is cold
        // and reports it.
        let Ok(prepared) = self.services.prepare(&exercise.services) else { return };
        // Laid out afresh, as for a cold run: no process is reading it now.
        let run_dir = runner::scratch_dir(&self.workspace.run_root(), &exercise.id);
        let Ok(suite) = node::materialise(&self.course.files, exercise, &run_dir) else {
            let _ = std::fs::remove_dir_all(&run_dir);
            return;
        };
        let mut spec = node::warm_spec(exercise, &self.workspace.exercise_dir(exercise), &suite, &prepared.env);
        let Ok(manifest) = self.course.manifest(exercise) else { return };
        spec.manifest = manifest;
        spec.scratch = Some(run_dir);
        self.warm = WarmProcess::spawn(spec, suite).ok().map(|w| (w, prepared));
    }

    /// Stops everything: the active run and the warm process, before returning (the
    /// run threads may not get another chance to before the process exits).
    pub fn shutdown(&mut self) {
        if let Some((_, slot)) = self.active.take() {
            slot.cancel();
        }
        self.warm = None;
        crate::signals::kill_all();
    }
}
