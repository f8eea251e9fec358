//! Keeps `progress.toml` safe on disk.
//!
//! Written atomically (temp file, fsync, rename, fsync of the folder) under an advisory
//! lock, and re-read before every change so two roadmap processes never undo each
//! other. The store also remembers the last progress it read or wrote intact: code under
//! test runs inside the workspace and can overwrite or delete the file while roadmap
//! grades it, and that memory is what puts every pass back. A damaged file is copied
//! aside under a name no other copy has, never overwritten, and never written to when
//! the workspace is read-only.
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use anyhow::{Context, Result, bail};

use super::Progress;
use super::format::{self, Decoded};

/// What loading found besides the progress itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// There was no progress file: a new workspace, or one that lost it.
    Missing,
    /// The file was damaged; the progress returned is what could still be read from it.
    /// `reason` completes "progress.toml …". The file itself is left in place until
    /// the caller writes the rebuilt progress, so an interrupted rebuild loses nothing.
    Damaged { reason: String, aside: Aside },
}

/// Where the damaged file's bytes were kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Aside {
    Copied(PathBuf),
    /// No copy could be made; the text says why (a read-only workspace, say).
    NotCopied(String),
}

/// A change made through `update`.
pub struct Updated<T> {
    pub progress: Progress,
    pub value: T,
    /// Set when the file had been damaged, emptied or deleted since roadmap read it.
    pub repair: Option<Repair>,
}

/// What `update` found wrong with the file and put right; its text is the message for
/// the learner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    pub path: PathBuf,
    /// Completes "progress.toml …": "was deleted", "had lost 3 pass(es)", …
    pub what: String,
    /// The passes that came back from what roadmap remembered.
    pub restored: usize,
    pub aside: Option<Aside>,
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} while roadmap was running; something other than roadmap changed it (code under test writing into .roadmap/?). roadmap restored the {} pass(es) it knew of",
            self.path.display(),
            self.what,
            self.restored
        )?;
        match &self.aside {
            Some(Aside::Copied(path)) => write!(f, "; the file as it was is kept as {}", path.display()),
            Some(Aside::NotCopied(why)) => write!(f, "; the file as it was could not be kept ({why})"),
            None => Ok(()),
        }
    }
}

/// What was on disk.
enum Found {
    Missing,
    Sound { progress: Progress, bytes: Vec<u8> },
    Damaged { bytes: Vec<u8>, salvaged: Progress, reason: String },
}

pub struct ProgressStore {
    path: PathBuf,
    /// The progress this process last loaded or wrote: every pass in it is kept.
    last_good: Mutex<Progress>,
}

impl ProgressStore {
    pub fn new(path: PathBuf) -> ProgressStore {
        ProgressStore { path, last_good: Mutex::new(Progress::default()) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether progress can be written here. A read-only workspace still loads.
    pub fn writable(&self) -> bool {
        self.path.parent().is_some_and(writable)
    }

    /// Loads progress. A missing file yields empty progress; a damaged one what could
    /// still be read from it, after a copy of it is kept aside (when the folder can be
    /// written). Either way `Recovery` says what happened.
    pub fn load(&self) -> Result<(Progress, Option<Recovery>)> {
        let _lock = self.lock()?;
        let (progress, recovery) = match self.read()? {
            Found::Missing => (Progress::default(), Some(Recovery::Missing)),
            Found::Sound { progress, .. } => (progress, None),
            Found::Damaged { bytes, salvaged, reason } => {
                let aside = self.keep_aside(&bytes);
                (salvaged, Some(Recovery::Damaged { reason, aside }))
            }
        };
        self.remember(&progress);
        Ok((progress, recovery))
    }

    /// Re-reads the file, applies `change` and writes the result atomically, all under
    /// the lock. Every pass this process knew of is kept: if the file was deleted,
    /// damaged or lost passes meanwhile, what roadmap remembers is merged back (a copy
    /// of the bad file is kept) and `repair` says so.
    pub fn update<T>(&self, change: impl FnOnce(&mut Progress) -> T) -> Result<Updated<T>> {
        let _lock = self.lock()?;
        let good = self.last_good.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let (mut progress, problem, bytes) = match self.read()? {
            Found::Missing => (Progress::default(), Some("was deleted".to_string()), None),
            Found::Sound { progress, bytes } => (progress, None, Some(bytes)),
            Found::Damaged { bytes, salvaged, reason } => (salvaged, Some(reason), Some(bytes)),
        };
        let restored = progress.absorb(&good).len();
        let what = match problem {
            None if restored == 0 => None,
            None => Some(format!("had lost {restored} pass(es)")),
            // A deleted file is only news when roadmap knew of something in it.
            Some(_) if bytes.is_none() && good.exercises.is_empty() => None,
            Some(what) => Some(what),
        };
        // A file that parses but lost passes is kept aside too: it is evidence.
        let repair = what.map(|what| Repair {
            path: self.path.clone(),
            what,
            restored,
            aside: bytes.map(|bytes| self.keep_aside(&bytes)),
        });
        let value = change(&mut progress);
        self.write_locked(&progress)?;
        self.remember(&progress);
        Ok(Updated { progress, value, repair })
    }

    /// Replaces the whole file (used after rebuilding progress from a re-check).
    pub fn replace(&self, progress: &Progress) -> Result<()> {
        let _lock = self.lock()?;
        self.write_locked(progress)?;
        self.remember(progress);
        Ok(())
    }

    fn remember(&self, progress: &Progress) {
        *self.last_good.lock().unwrap_or_else(|e| e.into_inner()) = progress.clone();
    }

    fn read(&self) -> Result<Found> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Found::Missing),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", self.path.display())),
        };
        Ok(match format::decode(&bytes) {
            Decoded::Sound(progress) => Found::Sound { progress, bytes },
            Decoded::Damaged { salvaged, reason } => Found::Damaged { bytes, salvaged, reason },
            Decoded::Newer(version) => bail!(
                "{} was written by a newer roadmap (progress version {version}); upgrade roadmap to read it. The file was left untouched.",
                self.path.display()
            ),
        })
    }

    /// Keeps `bytes` (the damaged file as roadmap read it) beside the progress file,
    /// unless the folder cannot be written.
    fn keep_aside(&self, bytes: &[u8]) -> Aside {
        if !self.writable() {
            return Aside::NotCopied("the workspace is read-only".to_string());
        }
        let stamp = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        match keep_copy(&self.path, stamp, bytes) {
            Ok(path) => Aside::Copied(path),
            Err(e) => Aside::NotCopied(format!("{e:#}")),
        }
    }

    fn write_locked(&self, progress: &Progress) -> Result<()> {
        let text = format::encode(progress)?;
        let dir = self.path.parent().context("progress path has no folder")?;
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        remove_stale_temp_files(dir);
        let tmp = dir.join(format!("{TEMP_PREFIX}{}{TEMP_SUFFIX}", std::process::id()));
        let result = (|| -> Result<()> {
            let mut file = File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
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
        if let Some(dir) = path.parent().filter(|d| !d.is_dir()) {
            fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let Some(file) = open_lock(&path, |path, write| {
            OpenOptions::new().read(true).write(write).create(write).truncate(false).open(path)
        })?
        else {
            return Ok(Lock(None));
        };
        // SAFETY: flock on a descriptor we own; the lock is released when it closes.
        // flock does not care how the file was opened, so a read-only one locks too.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(std::io::Error::last_os_error()).context("cannot lock progress");
        }
        Ok(Lock(Some(file)))
    }
}

struct Lock(#[allow(dead_code)] Option<File>);

const TEMP_PREFIX: &str = ".progress.toml.";
const TEMP_SUFFIX: &str = ".tmp";

/// Opens the lock file with `open(path, write)`: for writing (creating it) where
/// possible, else read-only, which still locks. When the workspace is read-only and
/// has no lock file there is nothing to lock, and nobody can write progress either.
fn open_lock(path: &Path, open: impl Fn(&Path, bool) -> std::io::Result<File>) -> Result<Option<File>> {
    let context = || format!("cannot open {}", path.display());
    match open(path, true) {
        Ok(file) => Ok(Some(file)),
        Err(e) if is_read_only(&e) => match open(path, false) {
            Ok(file) => Ok(Some(file)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(context),
        },
        Err(e) => Err(e).with_context(context),
    }
}

fn is_read_only(error: &std::io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::EROFS | libc::EACCES | libc::EPERM))
}

/// Whether this process may create files in `dir` (false on a read-only mount too).
fn writable(dir: &Path) -> bool {
    let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else { return false };
    // SAFETY: access only reads the NUL-terminated path it is given.
    unsafe { libc::access(path.as_ptr(), libc::W_OK) == 0 }
}

/// Writes `bytes` to `progress.toml.corrupt-<stamp>` beside `path`, or with `-1`, `-2`,
/// … appended when that name is taken: an existing copy is never overwritten.
fn keep_copy(path: &Path, stamp: u64, bytes: &[u8]) -> Result<PathBuf> {
    for n in 0u32.. {
        let name = match n {
            0 => format!("progress.toml.corrupt-{stamp}"),
            n => format!("progress.toml.corrupt-{stamp}-{n}"),
        };
        let candidate = path.with_file_name(name);
        let mut file = match OpenOptions::new().write(true).create_new(true).open(&candidate) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", candidate.display())),
        };
        if let Err(e) = file.write_all(bytes).and_then(|()| file.sync_all()) {
            let _ = fs::remove_file(&candidate);
            return Err(e).with_context(|| format!("cannot write {}", candidate.display()));
        }
        return Ok(candidate);
    }
    unreachable!("u32 names run out only after four billion copies")
}

/// Temp files exist only while a writer holds the lock, so under the lock any that is
/// left belongs to a roadmap that was killed mid-write.
fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::State;

    fn store() -> (tempfile::TempDir, ProgressStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = ProgressStore::new(dir.path().join(".roadmap/progress.toml"));
        (dir, store)
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    /// A store with three passes on disk, loaded as a command would.
    fn three_done() -> (tempfile::TempDir, ProgressStore) {
        let (dir, store) = store();
        for id in ["a", "b", "c"] {
            store.update(|p| p.record(id, "pass", true)).unwrap();
        }
        let fresh = ProgressStore::new(store.path().to_path_buf());
        assert_eq!(fresh.load().unwrap().0.done_count(), 3);
        (dir, fresh)
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
        // One left by a roadmap killed mid-write.
        fs::create_dir_all(dir.path().join(".roadmap")).unwrap();
        fs::write(dir.path().join(".roadmap/.progress.toml.99999.tmp"), "half").unwrap();
        store.update(|p| p.record("a", "fail", false)).unwrap();
        store.update(|p| p.record("a", "pass", true)).unwrap();
        store.update(|p| p.record("a", "fail", false)).unwrap();
        let (p, recovery) = store.load().unwrap();
        assert_eq!(recovery, None);
        let a = &p.exercises["a"];
        assert_eq!((a.state, a.attempts), (State::Done, 3));
        assert_eq!(a.last_status.as_deref(), Some("fail"));
        assert!(a.first_pass.is_some());
        assert_eq!(names(&dir.path().join(".roadmap")), ["progress.lock", "progress.toml"]);
    }

    #[test]
    fn a_damaged_file_is_copied_aside_as_it_was_and_left_for_the_rebuild() {
        let (_dir, store) = store();
        fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        let text = "version = 1\n[exercises.a\nstate = \"done\"\n";
        fs::write(store.path(), text).unwrap();
        let (p, recovery) = store.load().unwrap();
        assert_eq!(p, Progress::default());
        let Some(Recovery::Damaged { reason, aside: Aside::Copied(copy) }) = recovery else { panic!("{recovery:?}") };
        assert!(reason.starts_with("could not be read (line 2:"), "{reason}");
        assert_eq!(fs::read_to_string(copy).unwrap(), text);
        assert_eq!(fs::read_to_string(store.path()).unwrap(), text, "replaced only once rebuilt");
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
    fn copies_never_overwrite_each_other_within_a_second() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.toml");
        let copies: Vec<PathBuf> =
            (0..3).map(|n| keep_copy(&path, 1700000000, format!("v{n}").as_bytes()).unwrap()).collect();
        let names: Vec<_> = copies.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(
            names,
            [
                "progress.toml.corrupt-1700000000",
                "progress.toml.corrupt-1700000000-1",
                "progress.toml.corrupt-1700000000-2"
            ]
        );
        for (n, copy) in copies.iter().enumerate() {
            assert_eq!(fs::read_to_string(copy).unwrap(), format!("v{n}"));
        }
    }

    #[test]
    fn an_update_after_the_file_was_deleted_restores_every_pass() {
        let (_dir, store) = three_done();
        fs::remove_file(store.path()).unwrap();
        let updated = store.update(|p| p.record("d", "pass", true)).unwrap();
        assert_eq!(updated.progress.done_count(), 4);
        let repair = updated.repair.unwrap();
        assert_eq!((repair.what.as_str(), repair.restored, repair.aside), ("was deleted", 3, None));
    }

    #[test]
    fn an_update_after_garbage_restores_every_pass_and_keeps_the_garbage() {
        let (_dir, store) = three_done();
        fs::write(store.path(), "garbage").unwrap();
        let updated = store.update(|p| p.record("d", "fail", false)).unwrap();
        assert_eq!(updated.progress.done_count(), 3);
        let repair = updated.repair.unwrap();
        assert!(repair.what.starts_with("could not be read"), "{}", repair.what);
        assert!(repair.to_string().contains("restored the 3 pass(es)"), "{repair}");
        let Some(Aside::Copied(copy)) = repair.aside else { panic!("{:?}", repair.aside) };
        assert_eq!(fs::read_to_string(copy).unwrap(), "garbage");
        let (p, recovery) = ProgressStore::new(store.path().to_path_buf()).load().unwrap();
        assert_eq!((p.done_count(), recovery), (3, None), "the file on disk is whole again");
    }

    #[test]
    fn an_update_after_the_file_was_emptied_restores_every_pass() {
        let (_dir, store) = three_done();
        // Valid, in the old format that has no integrity line, and empty.
        fs::write(store.path(), "version = 1\n").unwrap();
        let updated = store.update(|_| ()).unwrap();
        assert_eq!(updated.progress.done_count(), 3);
        let repair = updated.repair.unwrap();
        assert_eq!((repair.what.as_str(), repair.restored), ("had lost 3 pass(es)", 3));
        assert!(matches!(repair.aside, Some(Aside::Copied(_))));
    }

    #[test]
    fn an_ordinary_update_reports_nothing() {
        let (_dir, store) = three_done();
        // Another roadmap process records a pass meanwhile: it is kept, quietly.
        ProgressStore::new(store.path().to_path_buf()).update(|p| p.record("e", "pass", true)).unwrap();
        let updated = store.update(|p| p.record("d", "fail", false)).unwrap();
        assert!(updated.repair.is_none());
        assert_eq!(updated.progress.done_count(), 4);
    }

    #[test]
    fn the_lock_opens_read_only_when_the_workspace_cannot_be_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.lock");
        for errno in [libc::EROFS, libc::EACCES, libc::EPERM] {
            // No lock file and no way to create one: load without a lock.
            let none = open_lock(&path, |_, write| {
                Err(std::io::Error::from_raw_os_error(if write { errno } else { libc::ENOENT }))
            });
            assert!(none.unwrap().is_none());
            // A lock file that exists is opened read-only, which flock accepts.
            fs::write(&path, "").unwrap();
            let file =
                open_lock(
                    &path,
                    |p, write| {
                        if write { Err(std::io::Error::from_raw_os_error(errno)) } else { File::open(p) }
                    },
                )
                .unwrap()
                .unwrap();
            assert_eq!(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) }, 0);
            fs::remove_file(&path).unwrap();
        }
        let other = open_lock(&path, |_, _| Err(std::io::Error::from_raw_os_error(libc::EIO)));
        assert!(other.unwrap_err().to_string().contains("cannot open"));
    }
}
