//! The learner's progress in `.roadmap/progress.toml`: what it records, and how two
//! records of it are merged without ever taking a pass away.
//!
//! `format` reads and writes the file (with its integrity line), `store` keeps it safe
//! on disk.
mod format;
mod store;

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

pub use store::{Aside, ProgressStore, Recovery};

/// Version 2 added the integrity line; files of version 1, written without it, still load.
pub const VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    #[serde(default)]
    pub exercises: BTreeMap<String, ExerciseProgress>,
}

/// Ordered by how far the learner got, so merging two records keeps the furthest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    #[default]
    Pending,
    Failing,
    Done,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExerciseProgress {
    pub state: State,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_pass: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run: Option<String>,
    /// The status of the latest run (`pass`, `fail`, `timeout`, …), which may differ
    /// from `state` once an exercise is done and is later broken again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<String>,
    /// How many hints the learner has revealed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub hints_shown: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Default for Progress {
    fn default() -> Self {
        Progress { version: VERSION, current: None, exercises: BTreeMap::new() }
    }
}

impl Progress {
    pub fn state(&self, id: &str) -> State {
        self.exercises.get(id).map(|e| e.state).unwrap_or_default()
    }

    pub fn is_done(&self, id: &str) -> bool {
        self.state(id) == State::Done
    }

    /// Records a graded run; a pass makes the exercise done for good.
    pub fn record(&mut self, id: &str, status: &str, passed: bool) {
        let now = timestamp();
        let entry = self.exercises.entry(id.to_string()).or_default();
        if status == "needs-service" {
            // Nothing was graded, so it is no attempt and changes no state.
            entry.last_status = Some(status.to_string());
            return;
        }
        entry.attempts += 1;
        entry.last_run = Some(now.clone());
        entry.last_status = Some(status.to_string());
        if passed {
            entry.state = State::Done;
            entry.first_pass.get_or_insert(now);
        } else if entry.state != State::Done {
            entry.state = State::Failing;
        }
    }
}

impl Progress {
    /// Records a graded run of `exercise`. A pass of a project stage also passed every
    /// earlier stage's suite (they ran with it), so those are done too.
    pub fn record_exercise(&mut self, exercise: &crate::curriculum::Exercise, status: &str, passed: bool) {
        self.record(&exercise.id, status, passed);
        if let (true, Some(stage)) = (passed, &exercise.stage) {
            for earlier in &stage.earlier {
                if !self.is_done(earlier) {
                    self.record(earlier, status, true);
                }
            }
        }
    }
}

impl Progress {
    /// How many exercises are done.
    pub fn done_count(&self) -> usize {
        self.exercises.values().filter(|e| e.state == State::Done).count()
    }

    /// Adds what `other` records and `self` does not: a pass, attempts, hints, a newer
    /// last run. Nothing `self` records is taken away, and its `current` wins when set.
    /// Returns the exercises whose pass came from `other`.
    pub fn absorb(&mut self, other: &Progress) -> Vec<String> {
        let mut restored = Vec::new();
        for (id, theirs) in &other.exercises {
            let mine = self.exercises.entry(id.clone()).or_default();
            if theirs.state == State::Done && mine.state != State::Done {
                restored.push(id.clone());
            }
            mine.state = mine.state.max(theirs.state);
            mine.attempts = mine.attempts.max(theirs.attempts);
            mine.hints_shown = mine.hints_shown.max(theirs.hints_shown);
            // Timestamps are RFC 3339 in UTC with seconds, so text order is time order.
            mine.first_pass = match (mine.first_pass.take(), &theirs.first_pass) {
                (Some(a), Some(b)) => Some(a.min(b.clone())),
                (a, b) => a.or_else(|| b.clone()),
            };
            if theirs.last_run > mine.last_run {
                mine.last_run.clone_from(&theirs.last_run);
                mine.last_status.clone_from(&theirs.last_status);
            }
        }
        if self.current.is_none() {
            self.current.clone_from(&other.current);
        }
        restored
    }
}

pub fn timestamp() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(state: State, attempts: u32, last_run: &str) -> ExerciseProgress {
        ExerciseProgress {
            state,
            attempts,
            first_pass: (state == State::Done).then(|| last_run.to_string()),
            last_run: Some(last_run.to_string()),
            last_status: Some(if state == State::Done { "pass" } else { "fail" }.to_string()),
            hints_shown: 0,
        }
    }

    #[test]
    fn absorbing_never_takes_a_pass_away_and_says_which_it_restored() {
        let mut file = Progress { current: Some("c".into()), ..Progress::default() };
        file.exercises.insert("a".into(), entry(State::Failing, 5, "2024-05-02T00:00:00Z"));
        let mut memory = Progress { current: Some("b".into()), ..Progress::default() };
        memory.exercises.insert("a".into(), entry(State::Done, 3, "2024-05-01T00:00:00Z"));
        memory.exercises.insert("b".into(), entry(State::Done, 1, "2024-05-01T00:00:00Z"));

        let restored = file.absorb(&memory);
        assert_eq!(restored, ["a", "b"]);
        let a = &file.exercises["a"];
        assert_eq!((a.state, a.attempts), (State::Done, 5));
        assert_eq!(a.first_pass.as_deref(), Some("2024-05-01T00:00:00Z"));
        assert_eq!(a.last_status.as_deref(), Some("fail"), "the newer run's status stays");
        assert_eq!(file.current.as_deref(), Some("c"), "the file's current exercise wins");
        assert_eq!(file.done_count(), 2);
        assert!(file.clone().absorb(&file).is_empty());
    }
}
