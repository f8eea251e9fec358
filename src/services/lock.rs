//! Advisory file locks (`flock`) between roadmap processes. The kernel drops a lock when
//! its holder dies, even by SIGKILL, so a lock that can be taken proves that nobody who
//! held it is still around: that is what makes leftovers safe to clean.
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Shared,
    Exclusive,
}

/// An open lock file. Every `LockFile` is an open file description of its own, so two of
/// them conflict even within one process.
pub struct LockFile {
    file: File,
    path: PathBuf,
}

impl LockFile {
    /// Opens (creating it if needed) the lock file at `path`, unlocked.
    pub fn open(path: &Path) -> Result<LockFile> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        Ok(LockFile { file, path: path.to_path_buf() })
    }

    /// Takes the lock in `mode` if nobody holds a conflicting one; never waits. A lock
    /// this file already holds is converted, which the kernel does by releasing it first.
    pub fn try_lock(&self, mode: Mode) -> Result<bool> {
        let operation = match mode {
            Mode::Shared => libc::LOCK_SH,
            Mode::Exclusive => libc::LOCK_EX,
        } | libc::LOCK_NB;
        loop {
            // SAFETY: flock on a descriptor this struct owns.
            if unsafe { libc::flock(self.file.as_raw_fd(), operation) } == 0 {
                return Ok(true);
            }
            let error = io::Error::last_os_error();
            match error.raw_os_error() {
                Some(libc::EWOULDBLOCK) => return Ok(false),
                Some(libc::EINTR) => continue,
                _ => return Err(error).with_context(|| format!("cannot lock {}", self.path.display())),
            }
        }
    }

    /// Takes the lock in `mode`, waiting at most `limit` for its holders to let go. It
    /// polls rather than blocks, so that a stuck holder costs a clear error, not a hang.
    pub fn lock_within(&self, mode: Mode, limit: Duration, holders: &str) -> Result<()> {
        let start = Instant::now();
        while !self.try_lock(mode)? {
            if start.elapsed() > limit {
                bail!("{holders} did not let go of {} within {} s", self.path.display(), limit.as_secs());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    pub fn unlock(&self) {
        // SAFETY: flock on a descriptor this struct owns.
        unsafe {
            libc::flock(self.file.as_raw_fd(), libc::LOCK_UN);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_locks_coexist_and_exclude_an_exclusive_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lease.lock");
        let (a, b, c) =
            (LockFile::open(&path).unwrap(), LockFile::open(&path).unwrap(), LockFile::open(&path).unwrap());
        assert!(a.try_lock(Mode::Shared).unwrap());
        assert!(b.try_lock(Mode::Shared).unwrap());
        assert!(!c.try_lock(Mode::Exclusive).unwrap(), "two holders: nobody is alone");
        a.unlock();
        assert!(!c.try_lock(Mode::Exclusive).unwrap(), "one holder is still there");
        drop(b);
        assert!(c.try_lock(Mode::Exclusive).unwrap(), "closing the file releases its lock");
        assert!(!a.try_lock(Mode::Shared).unwrap());
    }

    #[test]
    fn waiting_for_a_lock_gives_up_at_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("start.lock");
        let held = LockFile::open(&path).unwrap();
        assert!(held.try_lock(Mode::Exclusive).unwrap());
        let waiter = LockFile::open(&path).unwrap();
        let start = Instant::now();
        let error = waiter.lock_within(Mode::Exclusive, Duration::from_millis(100), "another roadmap").unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(2));
        assert!(error.to_string().contains("another roadmap did not let go of"), "{error}");
        held.unlock();
        waiter.lock_within(Mode::Exclusive, Duration::from_millis(100), "nobody").unwrap();
    }
}
