//! The learner's progress in `.roadmap/progress.toml`.
//!
//! Written atomically (temp file, fsync, rename, fsync of the folder) under an
//! advisory lock, re-read before every change so two roadmap processes never undo each
//! other. An unreadable file is moved aside, never overwritten.
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    #[serde(default)]
    pub exercises: BTreeMap<String, ExerciseProgress>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
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

pub fn timestamp() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// What loading found besides the progress itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// There was no progress file: a new workspace, or one that lost it.
    Missing,
    /// The file could not be read and was moved to `moved_to`.
    Corrupt { reason: String, moved_to: PathBuf },
}

pub struct ProgressStore {
    path: PathBuf,
}

impl ProgressStore {
    pub fn new(path: PathBuf) -> ProgressStore {
        ProgressStore { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads progress. A missing or unreadable file yields empty progress and says
    /// why; an unreadable one is first moved aside so nothing is lost.
    pub fn load(&self) -> Result<(Progress, Option<Recovery>)> {
        let _lock = self.lock()?;
        self.load_locked()
    }

    fn load_locked(&self) -> Result<(Progress, Option<Recovery>)> {
        let text = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Progress::default(), Some(Recovery::Missing)));
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", self.path.display()));
            }
        };
        let parsed = String::from_utf8(text)
            .map_err(|_| "it is not UTF-8 text".to_string())
            .and_then(|text| toml::from_str::<Progress>(&text).map_err(|e| describe_toml_error(&text, &e)));
        match parsed {
            Ok(progress) if progress.version > VERSION => bail!(
                "{} was written by a newer roadmap (progress version {}); upgrade roadmap to read it. The file was left untouched.",
                self.path.display(),
                progress.version
            ),
            Ok(progress) => Ok((progress, None)),
            Err(reason) => {
                let moved_to = self.path.with_file_name(format!(
                    "progress.toml.corrupt-{}",
                    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
                ));
                fs::rename(&self.path, &moved_to)
                    .with_context(|| format!("cannot move the unreadable {} aside", self.path.display()))?;
                Ok((Progress::default(), Some(Recovery::Corrupt { reason, moved_to })))
            }
        }
    }

    /// Re-reads the file, applies `change` and writes the result atomically, all under
    /// the lock. A file that became unreadable meanwhile is moved aside first.
    pub fn update<T>(&self, change: impl FnOnce(&mut Progress) -> T) -> Result<(Progress, T)> {
        let _lock = self.lock()?;
        let (mut progress, _) = self.load_locked()?;
        let out = change(&mut progress);
        self.write_locked(&progress)?;
        Ok((progress, out))
    }

    /// Replaces the whole file (used after rebuilding progress from a re-check).
    pub fn replace(&self, progress: &Progress) -> Result<()> {
        let _lock = self.lock()?;
        self.write_locked(progress)
    }

    fn write_locked(&self, progress: &Progress) -> Result<()> {
        let text = toml::to_string_pretty(progress).context("cannot encode progress")?;
        let dir = self.path.parent().context("progress path has no folder")?;
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let tmp = dir.join(format!(".progress.toml.{}.tmp", std::process::id()));
        let result = (|| -> Result<()> {
            let mut file = File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
            file.write_all(HEADER.as_bytes())?;
            file.write_all(text.as_bytes())?;
            file.sync_all().context("cannot flush progress to disk")?;
            fs::rename(&tmp, &self.path).with_context(|| format!("cannot replace {}", self.path.display()))?;
            // The rename itself is only durable once the folder is synced.
            File::open(dir).and_then(|d| d.sync_all()).ok();
            Ok(())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    fn lock(&self) -> Result<Lock> {
        let path = self.path.with_file_name("progress.lock");
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        // SAFETY: flock on a descriptor we own; the lock is released when it closes.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(std::io::Error::last_os_error()).context("cannot lock progress");
        }
        Ok(Lock(file))
    }
}

struct Lock(#[allow(dead_code)] File);

fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    let line = error.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    match line {
        Some(line) => format!("line {line}: {}", error.message().trim()),
        None => error.message().trim().to_string(),
    }
}

const HEADER: &str = "# Your roadmap progress. roadmap rewrites this file; it is safe to commit.\n\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, ProgressStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = ProgressStore::new(dir.path().join(".roadmap/progress.toml"));
        (dir, store)
    }

    #[test]
    fn a_missing_file_is_reported_not_invented() {
        let (_dir, store) = store();
        let (p, recovery) = store.load().unwrap();
        assert_eq!(p, Progress::default());
        assert_eq!(recovery, Some(Recovery::Missing));
    }

    #[test]
    fn updates_round_trip_and_leave_no_temp_files() {
        let (dir, store) = store();
        store.update(|p| p.record("a", "fail", false)).unwrap();
        store.update(|p| p.record("a", "pass", true)).unwrap();
        store.update(|p| p.record("a", "fail", false)).unwrap();
        let (p, recovery) = store.load().unwrap();
        assert_eq!(recovery, None);
        let a = &p.exercises["a"];
        assert_eq!((a.state, a.attempts), (State::Done, 3));
        assert_eq!(a.last_status.as_deref(), Some("fail"));
        assert!(a.first_pass.is_some());
        let names: Vec<_> =
            fs::read_dir(dir.path().join(".roadmap")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(names.iter().all(|n| !n.to_string_lossy().contains(".tmp")), "{names:?}");
    }

    #[test]
    fn a_corrupt_file_is_moved_aside_with_its_content_intact() {
        let (_dir, store) = store();
        fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        fs::write(store.path(), "version = 1\n[exercises.a\nstate = \"done\"\n").unwrap();
        let (p, recovery) = store.load().unwrap();
        assert_eq!(p, Progress::default());
        let Some(Recovery::Corrupt { reason, moved_to }) = recovery else { panic!("{recovery:?}") };
        assert!(reason.starts_with("line 2:"), "{reason}");
        assert!(fs::read_to_string(moved_to).unwrap().contains("[exercises.a"));
        assert!(!store.path().exists());
    }

    #[test]
    fn a_newer_version_is_refused_and_left_alone() {
        let (_dir, store) = store();
        fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        fs::write(store.path(), "version = 9\n").unwrap();
        let err = store.load().unwrap_err().to_string();
        assert!(err.contains("newer roadmap"), "{err}");
        assert_eq!(fs::read_to_string(store.path()).unwrap(), "version = 9\n");
    }

    #[test]
    fn binary_garbage_is_moved_aside() {
        let (_dir, store) = store();
        fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        fs::write(store.path(), [0xff, 0xfe, 0x00]).unwrap();
        let (_, recovery) = store.load().unwrap();
        assert!(matches!(recovery, Some(Recovery::Corrupt { .. })));
    }
}
