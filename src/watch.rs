//! Watch mode (`roadmap`, `roadmap watch`): the current exercise is graded on every
//! save and the verdict appears without a keypress.
//!
//! The main thread only waits on one channel that the watcher, the key reader, the
//! signal thread and the run threads all feed; `state::update` decides, `Session`
//! carries out what it decided, and the views draw the state.
mod files;
mod grader;
pub mod state;
mod timing;

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::SystemTime;

use anyhow::{Context, Result};
use ratatui::crossterm::event::{self as term, KeyCode, KeyEventKind, KeyModifiers};

use crate::commands::Code;
use crate::context::Learner;
use crate::curriculum::{Course, CourseFiles, Exercise};
use crate::progress::ProgressStore;
use crate::render::human::{self, Style};
use crate::services::Services;
use crate::tui::{self, Theme};
use crate::workspace::Workspace;
use grader::Grader;
use state::{AppState, Effect, Event, Key};

/// What the main loop waits for.
pub enum Msg {
    App(Event),
    /// A run thread finished (whatever its outcome): time to warm the next process.
    RunEnded(u64),
    Signal,
}

pub fn run(flag: Option<&Path>, poll: bool) -> Result<Code> {
    let learner = Learner::open(flag)?;
    let current = learner.course.curriculum.index_of(&learner.current().id).unwrap_or(0);
    let Learner { course, workspace, store, progress } = learner;
    let course = Arc::new(course);
    let mut state = AppState::new(Arc::clone(&course), progress, current);
    state.done_when = course.curriculum.exercises.iter().map(|e| (e.id.clone(), done_when(&course.files, e))).collect();

    let (tx, rx) = mpsc::channel();
    let signal_tx = tx.clone();
    crate::signals::on_signal(move |_| {
        let _ = signal_tx.send(Msg::Signal);
    });
    let change_tx = tx.clone();
    let error_tx = tx.clone();
    let watcher = files::watch(
        &workspace.root,
        poll,
        move |changed| {
            let _ = change_tx.send(Msg::App(Event::Changed(changed)));
        },
        move |error| {
            let _ = error_tx
                .send(Msg::App(Event::Notice(format!("the file watcher reported: {error}; press r to grade by hand"))));
        },
    );
    match &watcher {
        Err(e) => {
            state.notice = Some(format!(
                "file watching is unavailable here ({e:#}). Try `roadmap watch --poll`, or press r to grade."
            ))
        }
        Ok(_) if !poll => {
            if let Some(why) = files::unreliable_here(&workspace.root) {
                state.notice = Some(format!(
                    "{why}; if saves are not picked up, quit and run `roadmap watch --poll` (r grades by hand)."
                ));
            }
        }
        Ok(_) => {}
    }

    let mut session = Session {
        grader: Grader::new(
            Arc::clone(&course),
            workspace.clone(),
            Arc::new(Services::for_workspace(&workspace.root)),
            tx.clone(),
        ),
        course,
        workspace,
        store,
        tx,
        timing: timing::TimingLog::from_env(),
    };
    let result = if std::io::stdout().is_terminal() {
        tui_loop(&mut state, &mut session, &rx)
    } else {
        plain_loop(&mut state, &mut session, &rx)
    };
    session.grader.shutdown();
    drop(watcher);
    result
}

/// Carries out the effects `update` asks for.
struct Session {
    course: Arc<Course>,
    workspace: Workspace,
    store: ProgressStore,
    grader: Grader,
    tx: Sender<Msg>,
    timing: Option<timing::TimingLog>,
}

impl Session {
    /// The next event for `update`; `None` once roadmap is asked to stop. A finished
    /// run thread is handled here: it is the moment to warm the next process.
    fn next_event(&mut self, rx: &Receiver<Msg>, state: &AppState) -> Option<Event> {
        loop {
            match rx.recv().ok()? {
                Msg::Signal => return None,
                Msg::RunEnded(run) => self.grader.run_ended(run, state.exercise()),
                Msg::App(event) => return Some(event),
            }
        }
    }

    fn perform(&mut self, effects: Vec<Effect>, saved_at: Option<SystemTime>) {
        for effect in effects {
            if let Err(error) = self.perform_one(effect, saved_at) {
                let _ = self.tx.send(Msg::App(Event::Notice(format!("{error:#}"))));
            }
        }
    }

    /// Changes the progress file; if something else had damaged or emptied it, the
    /// learner is told what was put back.
    fn update_progress(&self, change: impl FnOnce(&mut crate::progress::Progress)) -> Result<()> {
        let updated = self.store.update(change)?;
        if let Some(repair) = updated.repair {
            let _ = self.tx.send(Msg::App(Event::Notice(repair.to_string())));
        }
        Ok(())
    }

    fn perform_one(&mut self, effect: Effect, saved_at: Option<SystemTime>) -> Result<()> {
        match effect {
            Effect::Start { run, exercise } => {
                if let (Some(timing), Some(saved)) = (&mut self.timing, saved_at) {
                    timing.started(run, saved);
                }
                self.grader.start(run, &exercise);
            }
            Effect::Record { exercise, status, passed } => {
                let exercise = self.course.curriculum.exercise(&exercise).context("unknown exercise")?;
                self.update_progress(|p| p.record_exercise(exercise, &status, passed))?;
            }
            Effect::SetCurrent(id) => {
                self.update_progress(|p| p.current = Some(id))?;
            }
            Effect::HintShown { exercise, shown } => {
                self.update_progress(|p| {
                    let entry = p.exercises.entry(exercise).or_default();
                    entry.hints_shown = entry.hints_shown.max(shown);
                })?;
            }
            Effect::Reset(id) => {
                let exercise = self.course.curriculum.exercise(&id).context("unknown exercise")?;
                self.workspace.reset(&self.course.files, exercise)?;
                // Grade the starter at once rather than waiting for the watcher.
                let _ = self.tx.send(Msg::App(Event::Changed([id].into())));
            }
            Effect::ShowSolution(id) => {
                let exercise = self.course.curriculum.exercise(&id).context("unknown exercise")?;
                let (dest, written) = self.workspace.write_solution(&self.course.files, exercise)?;
                let mut text = String::new();
                for file in exercise.files.iter().filter(|f| written.contains(f)) {
                    let body = std::fs::read_to_string(dest.join(file)).unwrap_or_default();
                    text.push_str(&format!("── {file} ──\n{body}\n"));
                }
                let path = dest.strip_prefix(&self.workspace.root).unwrap_or(&dest).display().to_string();
                let _ = self.tx.send(Msg::App(Event::SolutionShown { exercise: id, path, text }));
            }
            Effect::Quit => {}
        }
        Ok(())
    }
}

/// The newest modification time among the files of the exercises that changed: when
/// the learner saved, for the opt-in timing log.
fn newest_mtime(
    workspace: &Workspace,
    course: &Course,
    ids: &std::collections::BTreeSet<String>,
) -> Option<SystemTime> {
    ids.iter()
        .filter_map(|id| course.curriculum.exercise(id))
        .filter_map(|e| std::fs::read_dir(workspace.exercise_dir(e)).ok())
        .flat_map(|entries| entries.flatten())
        .filter_map(|entry| entry.metadata().and_then(|m| m.modified()).ok())
        .max()
}

fn tui_loop(state: &mut AppState, session: &mut Session, rx: &Receiver<Msg>) -> Result<Code> {
    let theme = Theme::from_env();
    // ratatui::init also installs a panic hook that restores the terminal first.
    let mut terminal = ratatui::init();
    let key_tx = session.tx.clone();
    std::thread::spawn(move || {
        while let Ok(event) = term::read() {
            let event = match event {
                term::Event::Key(k) if k.kind != KeyEventKind::Release => match to_key(k.code, k.modifiers) {
                    Some(key) => Event::Key(key),
                    None => continue,
                },
                term::Event::Resize(..) => Event::Resize,
                _ => continue,
            };
            if key_tx.send(Msg::App(event)).is_err() {
                break;
            }
        }
    });

    let effects = state::start(state);
    session.perform(effects, None);
    let result = (|| -> Result<()> {
        terminal.draw(|f| tui::draw(f, state, &theme))?;
        while let Some(event) = session.next_event(rx, state) {
            let saved_at = match &event {
                Event::Changed(ids) if session.timing.is_some() => {
                    newest_mtime(&session.workspace, &session.course, ids)
                }
                _ => None,
            };
            let finished = match &event {
                Event::Finished { run, report } => Some((*run, report.status.label())),
                _ => None,
            };
            let effects = state::update(state, event);
            session.perform(effects, saved_at);
            if state.quit {
                break;
            }
            terminal.draw(|f| tui::draw(f, state, &theme))?;
            if let (Some(timing), Some((run, status))) = (&mut session.timing, finished) {
                timing.rendered(run, &state.exercise().id, status);
            }
        }
        Ok(())
    })();
    ratatui::restore();
    result.map(|_| Code::Success)
}

fn to_key(code: KeyCode, modifiers: KeyModifiers) -> Option<Key> {
    Some(match code {
        KeyCode::Char('c') if modifiers.contains(KeyModifiers::CONTROL) => Key::CtrlC,
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        _ => return None,
    })
}

/// Without a terminal (piped, CI) watch mode prints each verdict as plain text and
/// grades whichever exercise was saved.
fn plain_loop(state: &mut AppState, session: &mut Session, rx: &Receiver<Msg>) -> Result<Code> {
    println!("roadmap watch: grading on every save under exercises/ (Ctrl-C stops). Current: {}", state.exercise().id);
    if let Some(notice) = &state.notice {
        println!("note: {notice}");
    }
    let effects = state::start(state);
    session.perform(effects, None);
    while let Some(event) = session.next_event(rx, state) {
        let saved_at = match &event {
            Event::Changed(ids) => {
                // Follow the learner to whichever exercise they saved.
                if !ids.contains(&state.exercise().id) {
                    if let Some(index) = ids.iter().find_map(|id| state.course.curriculum.index_of(id)) {
                        state.current = index;
                    }
                }
                session.timing.as_ref().and_then(|_| newest_mtime(&session.workspace, &session.course, ids))
            }
            _ => None,
        };
        let verdict = match &event {
            Event::Finished { run, report } if state.current_run() == Some(*run) => Some((*run, report.clone())),
            Event::Notice(n) => {
                println!("note: {n}");
                None
            }
            Event::RunFailed { message, .. } => {
                println!("could not grade: {message}");
                None
            }
            _ => None,
        };
        let effects = state::update(state, event);
        session.perform(effects, saved_at);
        if let Some((run, report)) = verdict {
            let exercise = state.exercise();
            println!("{}", human::report(&state.course.curriculum, exercise, &report, Style::PLAIN));
            if report.status.is_pass() {
                println!("  {} is done; edit the next exercise and save to grade it.\n", exercise.id);
            }
            if let Some(timing) = &mut session.timing {
                timing.rendered(run, &exercise.id, report.status.label());
            }
        }
    }
    Ok(Code::Success)
}

/// The bullet points of a task's "Done when" section, continuation lines joined.
fn done_when(files: &CourseFiles, exercise: &Exercise) -> Vec<String> {
    let Ok(text) = files.read_string(&format!("{}/README.md", exercise.starter_rel())) else { return Vec::new() };
    match &exercise.stage {
        // A project's task has a section per stage, each with its own "Done when".
        Some(stage) => stage_section(&text, stage.number).map(|section| done_when_items(&section)).unwrap_or_default(),
        None => done_when_items(&text),
    }
}

/// The text of the `## Stage N …` section of a project's task, with its `###`
/// headings raised to `##` so the same reader handles it.
fn stage_section(text: &str, number: usize) -> Option<String> {
    let heading = format!("## Stage {number} ");
    let start = text.find(&heading)?;
    let body = &text[start + heading.len()..];
    let end = body.find("\n## ").unwrap_or(body.len());
    Some(body[..end].replace("\n### ", "\n## "))
}

fn done_when_items(text: &str) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("## ") {
            inside = line.trim_start_matches('#').trim().eq_ignore_ascii_case("done when");
            continue;
        }
        if !inside {
            continue;
        }
        let trimmed = line.trim();
        if let Some(item) = trimmed.strip_prefix("- ").or_else(|| trimmed.strip_prefix("* ")) {
            items.push(item.to_string());
        } else if !trimmed.is_empty() && line.starts_with(' ') {
            if let Some(last) = items.last_mut() {
                last.push(' ');
                last.push_str(trimmed);
            }
        }
    }
    items
}

#[cfg(test)]
mod tests {
    #[test]
    fn done_when_items_are_read_from_the_task() {
        let text = "# T\n## Your task\n- not this\n## Done when\n- first\n- second, which\n  wraps\n\n## Further reading\n- no";
        assert_eq!(super::done_when_items(text), ["first", "second, which wraps"]);
    }
}
