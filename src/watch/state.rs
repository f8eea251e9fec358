//! Watch mode as data: the state, the events that change it, and the effects the loop
//! must carry out. `update` is pure, so every decision (cancel a superseded run, move
//! on after a pass, ask before a reset) is tested without processes or a terminal.
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use crate::curriculum::{Course, Exercise};
use crate::progress::{Progress, State};
use crate::report::{Report, Status, TestResult};

/// A key press, reduced to what watch mode distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Enter,
    Esc,
    Backspace,
    Up,
    Down,
    PageUp,
    PageDown,
    CtrlC,
}

#[derive(Debug, Clone)]
pub enum Event {
    Key(Key),
    /// Files of these exercises changed on disk (already debounced and filtered).
    Changed(BTreeSet<String>),
    TestStarted {
        run: u64,
        name: String,
    },
    TestFinished {
        run: u64,
        result: TestResult,
    },
    Finished {
        run: u64,
        report: Box<Report>,
    },
    /// A run could not be started or carried out (Node missing, disk full, …).
    RunFailed {
        run: u64,
        message: String,
    },
    /// The reference solution that an `s` asked for.
    SolutionShown {
        exercise: String,
        path: String,
        text: String,
    },
    /// Something the learner should know (a reset done, the watcher failing).
    Notice(String),
    Resize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Start grading `exercise` as run number `run`, cancelling any run in progress.
    Start {
        run: u64,
        exercise: String,
    },
    /// Record a graded run in the progress file.
    Record {
        exercise: String,
        status: String,
        passed: bool,
    },
    /// Make `exercise` the current one in the progress file.
    SetCurrent(String),
    /// Remember how many hints of `exercise` the learner has seen.
    HintShown {
        exercise: String,
        shown: u32,
    },
    /// Restore the starter files of `exercise`.
    Reset(String),
    /// Write the reference solution into the workspace and show it.
    ShowSolution(String),
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Exercise,
    Map,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Help,
    ConfirmReset(String),
    Solution { exercise: String, path: String, text: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    #[default]
    All,
    Done,
    Pending,
}

impl Filter {
    pub fn next(self) -> Filter {
        match self {
            Filter::All => Filter::Pending,
            Filter::Pending => Filter::Done,
            Filter::Done => Filter::All,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Filter::All => "all",
            Filter::Done => "done",
            Filter::Pending => "pending",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct MapState {
    /// Index into the visible exercise rows.
    pub selected: usize,
    pub search: String,
    pub searching: bool,
    pub filter: Filter,
}

/// What is known about the current exercise's grading.
#[derive(Debug, Clone)]
pub enum RunState {
    Idle,
    Running { run: u64, started_tests: Vec<String>, finished: Vec<TestResult>, previous: Option<Box<Report>> },
    Done(Box<Report>),
    Failed(String),
}

/// Everything the views draw and `update` decides on.
#[derive(Debug, Clone)]
pub struct AppState {
    pub course: Arc<Course>,
    pub progress: Progress,
    pub current: usize,
    pub screen: Screen,
    pub overlay: Option<Overlay>,
    pub run: RunState,
    pub next_run: u64,
    pub map: MapState,
    pub notice: Option<String>,
    /// The "Done when" lines of each exercise's task, read once at start.
    pub done_when: BTreeMap<String, Vec<String>>,
    /// Exercises whose services are missing, with the fix.
    pub needs_service: BTreeMap<String, String>,
    /// Set when the current exercise has just passed for the first time.
    pub celebrate: bool,
    pub quit: bool,
}

impl AppState {
    pub fn new(course: Arc<Course>, progress: Progress, current: usize) -> AppState {
        AppState {
            course,
            progress,
            current,
            screen: Screen::Exercise,
            overlay: None,
            run: RunState::Idle,
            next_run: 1,
            map: MapState::default(),
            notice: None,
            done_when: BTreeMap::new(),
            needs_service: BTreeMap::new(),
            celebrate: false,
            quit: false,
        }
    }

    pub fn exercise(&self) -> &Exercise {
        &self.course.curriculum.exercises[self.current]
    }

    pub fn hints_shown(&self) -> usize {
        self.progress.exercises.get(&self.exercise().id).map_or(0, |e| e.hints_shown as usize)
    }

    /// The report of the latest finished run of the current exercise, if any.
    pub fn report(&self) -> Option<&Report> {
        match &self.run {
            RunState::Done(r) => Some(r),
            RunState::Running { previous, .. } => previous.as_deref(),
            _ => None,
        }
    }

    /// The exercises the map shows, after search and filter.
    pub fn visible_exercises(&self) -> Vec<usize> {
        let needle = self.map.search.to_lowercase();
        self.course
            .curriculum
            .exercises
            .iter()
            .enumerate()
            .filter(|(_, e)| match self.map.filter {
                Filter::All => true,
                Filter::Done => self.progress.is_done(&e.id),
                Filter::Pending => !self.progress.is_done(&e.id),
            })
            .filter(|(_, e)| needle.is_empty() || e.id.contains(&needle) || e.title.to_lowercase().contains(&needle))
            .map(|(i, _)| i)
            .collect()
    }

    pub fn phase_done(&self, phase: &str) -> (usize, usize) {
        let all: Vec<&Exercise> = self.course.curriculum.exercises_in(phase).collect();
        (all.iter().filter(|e| self.progress.is_done(&e.id)).count(), all.len())
    }

    pub fn overall(&self) -> (usize, usize) {
        let all = &self.course.curriculum.exercises;
        (all.iter().filter(|e| self.progress.is_done(&e.id)).count(), all.len())
    }

    fn start(&mut self) -> Effect {
        let run = self.next_run;
        self.next_run += 1;
        let previous = match std::mem::replace(&mut self.run, RunState::Idle) {
            RunState::Done(r) => Some(r),
            RunState::Running { previous, .. } => previous,
            _ => None,
        };
        self.run = RunState::Running { run, started_tests: Vec::new(), finished: Vec::new(), previous };
        Effect::Start { run, exercise: self.exercise().id.clone() }
    }

    /// Switches to exercise `index` and grades it.
    fn go_to(&mut self, index: usize) -> Vec<Effect> {
        self.current = index;
        self.run = RunState::Idle;
        self.celebrate = false;
        self.screen = Screen::Exercise;
        let id = self.exercise().id.clone();
        self.progress.current = Some(id.clone());
        vec![Effect::SetCurrent(id), self.start()]
    }

    pub fn current_run(&self) -> Option<u64> {
        match self.run {
            RunState::Running { run, .. } => Some(run),
            _ => None,
        }
    }
}

/// The start of a watch session: grade the current exercise at once.
pub fn start(state: &mut AppState) -> Vec<Effect> {
    vec![state.start()]
}

pub fn update(state: &mut AppState, event: Event) -> Vec<Effect> {
    match event {
        Event::Key(key) => on_key(state, key),
        Event::Changed(exercises) => {
            // A project's stages share one folder: a change there is the current stage's.
            let project = state.exercise().stage.as_ref().map(|s| s.project.clone());
            if exercises.contains(&state.exercise().id) || project.is_some_and(|p| exercises.contains(&p)) {
                // A newer save supersedes the run in progress: `Start` cancels it.
                vec![state.start()]
            } else {
                Vec::new()
            }
        }
        Event::TestStarted { run, name } => {
            if let RunState::Running { run: current, started_tests, .. } = &mut state.run {
                if *current == run {
                    started_tests.push(name);
                }
            }
            Vec::new()
        }
        Event::TestFinished { run, result } => {
            if let RunState::Running { run: current, finished, .. } = &mut state.run {
                if *current == run {
                    finished.push(result);
                }
            }
            Vec::new()
        }
        Event::Finished { run, report } => {
            if state.current_run() != Some(run) || report.exercise != state.exercise().id {
                // A cancelled or superseded run: its verdict no longer describes the files.
                return Vec::new();
            }
            let passed = report.status.is_pass();
            let id = report.exercise.clone();
            if report.status == Status::NeedsService {
                // Not an attempt: nothing was graded. The map shows what is missing.
                let fix = report.problem.as_ref().and_then(|p| p.fix.clone()).unwrap_or_default();
                state.needs_service.insert(id, fix);
                state.run = RunState::Done(report);
                return Vec::new();
            }
            state.needs_service.remove(&id);
            let first_pass = passed && !state.progress.is_done(&id);
            let exercise = state.exercise().clone();
            state.progress.record_exercise(&exercise, report.status.label(), passed);
            state.celebrate = first_pass;
            if first_pass {
                let (done, total) = state.phase_done(&state.exercise().phase);
                state.notice = Some(if done == total {
                    format!("Phase complete! Every exercise of {} is done. Press n to move on.", state.exercise().phase)
                } else {
                    "Passed! Press n for the next exercise, s to compare with the reference solution.".to_string()
                });
            }
            let effect = Effect::Record { exercise: id, status: report.status.label().to_string(), passed };
            state.run = RunState::Done(report);
            vec![effect]
        }
        Event::RunFailed { run, message } => {
            if state.current_run() == Some(run) {
                state.run = RunState::Failed(message);
            }
            Vec::new()
        }
        Event::SolutionShown { exercise, path, text } => {
            state.overlay = Some(Overlay::Solution { exercise, path, text });
            Vec::new()
        }
        Event::Notice(message) => {
            state.notice = Some(message);
            Vec::new()
        }
        Event::Resize => Vec::new(),
    }
}

fn on_key(state: &mut AppState, key: Key) -> Vec<Effect> {
    if key == Key::CtrlC {
        state.quit = true;
        return vec![Effect::Quit];
    }
    if let Some(overlay) = state.overlay.clone() {
        return on_overlay_key(state, overlay, key);
    }
    match state.screen {
        Screen::Exercise => on_exercise_key(state, key),
        Screen::Map => on_map_key(state, key),
    }
}

fn on_overlay_key(state: &mut AppState, overlay: Overlay, key: Key) -> Vec<Effect> {
    match overlay {
        Overlay::ConfirmReset(id) => {
            state.overlay = None;
            if matches!(key, Key::Char('y') | Key::Char('Y')) {
                state.notice = Some(format!("{id} was reset to its starter; your files are in .roadmap/backup/."));
                return vec![Effect::Reset(id)];
            }
            state.notice = Some("Reset cancelled; nothing changed.".to_string());
            Vec::new()
        }
        Overlay::Help | Overlay::Solution { .. } => {
            if key == Key::Char('q') {
                state.quit = true;
                return vec![Effect::Quit];
            }
            state.overlay = None;
            Vec::new()
        }
    }
}

fn on_exercise_key(state: &mut AppState, key: Key) -> Vec<Effect> {
    state.notice = None;
    let last = state.course.curriculum.exercises.len() - 1;
    match key {
        Key::Char('q') => {
            state.quit = true;
            vec![Effect::Quit]
        }
        Key::Char('?') => {
            state.overlay = Some(Overlay::Help);
            Vec::new()
        }
        Key::Char('n') => {
            if !state.progress.is_done(&state.exercise().id) {
                state.notice =
                    Some("Pass this exercise first to move on (or press l to pick any exercise).".to_string());
                Vec::new()
            } else if state.current == last {
                state.notice = Some("This is the last exercise of the course.".to_string());
                Vec::new()
            } else {
                state.go_to(state.current + 1)
            }
        }
        Key::Char('p') => {
            if state.current == 0 {
                state.notice = Some("This is the first exercise.".to_string());
                Vec::new()
            } else {
                state.go_to(state.current - 1)
            }
        }
        Key::Char('h') => {
            let total = state.exercise().hints.len() as u32;
            let id = state.exercise().id.clone();
            let entry = state.progress.exercises.entry(id.clone()).or_default();
            if entry.hints_shown < total {
                entry.hints_shown += 1;
                vec![Effect::HintShown { exercise: id, shown: entry.hints_shown }]
            } else {
                state.notice = Some(format!("That was the last hint ({total} of {total})."));
                Vec::new()
            }
        }
        Key::Char('l') => {
            state.screen = Screen::Map;
            state.map.selected = state.visible_exercises().iter().position(|&i| i == state.current).unwrap_or(0);
            Vec::new()
        }
        Key::Char('r') => vec![state.start()],
        Key::Char('x') => {
            state.overlay = Some(Overlay::ConfirmReset(state.exercise().id.clone()));
            Vec::new()
        }
        Key::Char('s') => {
            if state.progress.is_done(&state.exercise().id) {
                vec![Effect::ShowSolution(state.exercise().id.clone())]
            } else {
                state.notice = Some("The solution unlocks once you pass this exercise.".to_string());
                Vec::new()
            }
        }
        _ => Vec::new(),
    }
}

fn on_map_key(state: &mut AppState, key: Key) -> Vec<Effect> {
    if state.map.searching {
        match key {
            Key::Char(c) => state.map.search.push(c),
            Key::Backspace => {
                state.map.search.pop();
            }
            Key::Esc => {
                state.map.search.clear();
                state.map.searching = false;
            }
            Key::Enter => state.map.searching = false,
            _ => {}
        }
        state.map.selected = 0;
        return Vec::new();
    }
    let visible = state.visible_exercises();
    let page = 10;
    match key {
        Key::Char('q') => {
            state.quit = true;
            vec![Effect::Quit]
        }
        Key::Char('l') | Key::Esc => {
            state.screen = Screen::Exercise;
            Vec::new()
        }
        Key::Char('?') => {
            state.overlay = Some(Overlay::Help);
            Vec::new()
        }
        Key::Char('/') => {
            state.map.searching = true;
            Vec::new()
        }
        Key::Char('f') => {
            state.map.filter = state.map.filter.next();
            state.map.selected = 0;
            Vec::new()
        }
        Key::Down | Key::Char('j') => {
            state.map.selected = (state.map.selected + 1).min(visible.len().saturating_sub(1));
            Vec::new()
        }
        Key::Up | Key::Char('k') => {
            state.map.selected = state.map.selected.saturating_sub(1);
            Vec::new()
        }
        Key::PageDown => {
            state.map.selected = (state.map.selected + page).min(visible.len().saturating_sub(1));
            Vec::new()
        }
        Key::PageUp => {
            state.map.selected = state.map.selected.saturating_sub(page);
            Vec::new()
        }
        Key::Enter => match visible.get(state.map.selected) {
            Some(&index) => state.go_to(index),
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The status the map shows for an exercise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Done,
    Failing,
    NotStarted,
    NeedsService,
}

pub fn mark(state: &AppState, exercise: &Exercise) -> Mark {
    if state.needs_service.contains_key(&exercise.id) && !state.progress.is_done(&exercise.id) {
        return Mark::NeedsService;
    }
    match state.progress.state(&exercise.id) {
        State::Done => Mark::Done,
        State::Failing => Mark::Failing,
        State::Pending => Mark::NotStarted,
    }
}

/// How long a run has taken so far, for views that show it.
pub fn elapsed_label(d: Duration) -> String {
    if d < Duration::from_secs(1) { format!("{} ms", d.as_millis()) } else { format!("{:.1} s", d.as_secs_f64()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curriculum::{CourseFiles, parse};
    use crate::report::Output;

    fn state() -> AppState {
        let toml = r#"
format = 1
[[phase]]
id = "p"
title = "P"
[[exercise]]
id = "a"
phase = "p"
title = "A"
files = ["a.js"]
hints = ["one", "two"]
[[exercise]]
id = "b"
phase = "p"
title = "B"
files = ["b.js"]
hints = ["one"]
"#;
        let curriculum = parse("curriculum.toml", toml).unwrap();
        AppState::new(
            Arc::new(Course { files: CourseFiles::Embedded, curriculum, check_manifests: true }),
            Progress::default(),
            0,
        )
    }

    fn report(exercise: &str, status: Status) -> Box<Report> {
        Box::new(Report {
            exercise: exercise.into(),
            status,
            tests: Vec::new(),
            problem: None,
            unfinished_test: None,
            output: Output::default(),
            duration: Duration::ZERO,
            regressions: Vec::new(),
            containment: None,
        })
    }

    fn changed(id: &str) -> Event {
        Event::Changed([id.to_string()].into())
    }

    #[test]
    fn a_save_during_a_run_starts_a_fresh_run_and_the_stale_verdict_is_ignored() {
        let mut s = state();
        assert_eq!(start(&mut s), [Effect::Start { run: 1, exercise: "a".into() }]);
        assert_eq!(update(&mut s, changed("a")), [Effect::Start { run: 2, exercise: "a".into() }]);
        // The superseded run reports anyway (it was cancelled too late): ignored.
        assert!(update(&mut s, Event::Finished { run: 1, report: report("a", Status::Pass) }).is_empty());
        assert!(!s.progress.is_done("a"));
        let effects = update(&mut s, Event::Finished { run: 2, report: report("a", Status::Fail) });
        assert_eq!(effects, [Effect::Record { exercise: "a".into(), status: "fail".into(), passed: false }]);
    }

    #[test]
    fn a_storm_of_saves_ends_in_one_verdict_for_the_last_run() {
        let mut s = state();
        start(&mut s);
        for _ in 0..500 {
            update(&mut s, changed("a"));
        }
        assert_eq!(s.current_run(), Some(501));
        for run in 1..=500 {
            assert!(update(&mut s, Event::Finished { run, report: report("a", Status::Fail) }).is_empty());
        }
        assert_eq!(update(&mut s, Event::Finished { run: 501, report: report("a", Status::Pass) }).len(), 1);
        assert!(s.progress.is_done("a"));
    }

    #[test]
    fn saves_of_other_exercises_do_not_grade_the_current_one() {
        let mut s = state();
        start(&mut s);
        assert!(update(&mut s, changed("b")).is_empty());
    }

    #[test]
    fn next_needs_a_pass_and_stops_at_the_end_prev_stops_at_the_start() {
        let mut s = state();
        start(&mut s);
        assert!(update(&mut s, Event::Key(Key::Char('n'))).is_empty());
        assert!(s.notice.as_deref().unwrap().contains("Pass this exercise first"));
        assert!(update(&mut s, Event::Key(Key::Char('p'))).is_empty());
        update(&mut s, Event::Finished { run: 1, report: report("a", Status::Pass) });
        assert!(s.celebrate);
        let effects = update(&mut s, Event::Key(Key::Char('n')));
        assert_eq!(effects, [Effect::SetCurrent("b".into()), Effect::Start { run: 2, exercise: "b".into() }]);
        update(&mut s, Event::Finished { run: 2, report: report("b", Status::Pass) });
        assert!(update(&mut s, Event::Key(Key::Char('n'))).is_empty());
        assert!(s.notice.as_deref().unwrap().contains("last exercise"));
        assert_eq!(update(&mut s, Event::Key(Key::Char('p')))[0], Effect::SetCurrent("a".into()));
    }

    #[test]
    fn a_phase_completion_is_announced() {
        let mut s = state();
        s.progress.record("b", "pass", true);
        start(&mut s);
        update(&mut s, Event::Finished { run: 1, report: report("a", Status::Pass) });
        assert!(s.notice.as_deref().unwrap().starts_with("Phase complete!"));
    }

    #[test]
    fn reset_asks_first() {
        let mut s = state();
        assert!(update(&mut s, Event::Key(Key::Char('x'))).is_empty());
        assert_eq!(s.overlay, Some(Overlay::ConfirmReset("a".into())));
        assert!(update(&mut s, Event::Key(Key::Char('n'))).is_empty());
        assert_eq!(s.overlay, None);
        update(&mut s, Event::Key(Key::Char('x')));
        assert_eq!(update(&mut s, Event::Key(Key::Char('y'))), [Effect::Reset("a".into())]);
    }

    #[test]
    fn hints_are_revealed_one_per_press_and_remembered() {
        let mut s = state();
        assert_eq!(update(&mut s, Event::Key(Key::Char('h'))), [Effect::HintShown { exercise: "a".into(), shown: 1 }]);
        update(&mut s, Event::Key(Key::Char('h')));
        assert!(update(&mut s, Event::Key(Key::Char('h'))).is_empty());
        assert_eq!(s.hints_shown(), 2);
    }

    #[test]
    fn the_solution_is_gated_on_a_pass() {
        let mut s = state();
        assert!(update(&mut s, Event::Key(Key::Char('s'))).is_empty());
        s.progress.record("a", "pass", true);
        assert_eq!(update(&mut s, Event::Key(Key::Char('s'))), [Effect::ShowSolution("a".into())]);
    }

    #[test]
    fn the_map_searches_filters_and_jumps() {
        let mut s = state();
        s.progress.record("a", "pass", true);
        update(&mut s, Event::Key(Key::Char('l')));
        assert_eq!(s.screen, Screen::Map);
        for key in [Key::Char('/'), Key::Char('b'), Key::Enter] {
            update(&mut s, Event::Key(key));
        }
        assert_eq!(s.visible_exercises(), [1]);
        let effects = update(&mut s, Event::Key(Key::Enter));
        assert_eq!(effects[0], Effect::SetCurrent("b".into()));
        assert_eq!((s.screen, s.current), (Screen::Exercise, 1));
        update(&mut s, Event::Key(Key::Char('l')));
        update(&mut s, Event::Key(Key::Char('/')));
        update(&mut s, Event::Key(Key::Esc));
        update(&mut s, Event::Key(Key::Char('f')));
        assert_eq!((s.map.filter, s.visible_exercises()), (Filter::Pending, vec![1]));
        update(&mut s, Event::Key(Key::Char('f')));
        assert_eq!(s.visible_exercises(), [0]);
    }

    #[test]
    fn quitting_works_from_every_screen() {
        for keys in [
            vec![Key::Char('q')],
            vec![Key::Char('l'), Key::Char('q')],
            vec![Key::Char('?'), Key::Char('q')],
            vec![Key::CtrlC],
        ] {
            let mut s = state();
            for key in keys {
                update(&mut s, Event::Key(key));
            }
            assert!(s.quit);
        }
    }
}
