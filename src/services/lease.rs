//! How roadmap processes share one state folder's private servers (two terminals in one
//! workspace: watch mode in one, `roadmap run` in the other).
//!
//! - Every process that uses the servers holds a shared `flock` on `lease.lock`.
//! - Starting, adopting or stopping a server happens under an exclusive lock on
//!   `start.lock`, so a second process waits for the first's server instead of starting
//!   its own, and then uses it.
//! - A started server is recorded in `<service>.state` (pid, port, how to stop it, and a
//!   marker its command line contains). A later process adopts a recorded server that is
//!   still running and answers; if it does not answer and nobody else holds the lease,
//!   it is a leftover of a killed process and is replaced.
//! - A process that leaves checks whether it is the last: it must get both the start
//!   lock and the lease exclusively. If so it stops every recorded server; if not, the
//!   servers stay for the others. Servers are stopped, not kept, when the last user
//!   leaves: a private server starts in well under a second, and nothing of roadmap's
//!   should keep running once no roadmap does.
//!
//! The kernel releases the locks of a process that dies, however it dies, so a server
//! whose every user was killed is found unused by the next process and cleaned up.
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use anyhow::{Context, Result};

use super::daemon;
use super::lock::{LockFile, Mode};

/// How long a process waits for another to finish starting a server: long enough for
/// `initdb` and a first start on a slow machine.
const START_WAIT: Duration = Duration::from_secs(90);
/// How long a process waits for a leaving one to finish stopping the servers.
const STOP_WAIT: Duration = Duration::from_secs(30);

/// Every lease this process holds, so a stop signal can leave them all before exiting.
static LEASES: Mutex<Vec<Weak<Lease>>> = Mutex::new(Vec::new());

/// This process's use of the servers of one state folder.
pub struct Lease {
    dir: PathBuf,
    file: LockFile,
    /// Held while leaving, so a second caller (a stop signal's thread racing the main
    /// thread's cleanup) returns only once the servers are stopped and forgotten.
    left: Mutex<bool>,
    /// The servers this process started: reaped if it is the one to stop them.
    children: Mutex<Vec<Child>>,
}

/// A server recorded in a state folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub pid: u32,
    pub port: u16,
    /// The signal that stops it quickly and cleanly.
    pub signal: libc::c_int,
    /// Text its command line contains, to tell it from a process that recycled its pid.
    pub marker: String,
}

impl Recorded {
    pub fn running(&self) -> bool {
        daemon::runs(self.pid, &self.marker)
    }

    fn parse(text: &str) -> Option<Recorded> {
        let field = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix('='));
        Some(Recorded {
            pid: field("pid")?.parse().ok()?,
            port: field("port")?.parse().ok()?,
            signal: field("signal")?.parse().ok()?,
            marker: field("marker")?.to_string(),
        })
    }

    fn render(&self) -> String {
        format!("pid={}\nport={}\nsignal={}\nmarker={}\n", self.pid, self.port, self.signal, self.marker)
    }
}

impl Lease {
    /// Joins the users of the servers in `dir`.
    pub fn take(dir: &Path) -> Result<Arc<Lease>> {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let file = LockFile::open(&dir.join("lease.lock"))?;
        file.lock_within(Mode::Shared, STOP_WAIT, "a roadmap process stopping the services")?;
        let lease =
            Arc::new(Lease { dir: dir.to_path_buf(), file, left: Mutex::new(false), children: Mutex::default() });
        if let Ok(mut all) = LEASES.lock() {
            all.retain(|l| l.strong_count() > 0);
            all.push(Arc::downgrade(&lease));
        }
        Ok(lease)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Waits for the right to start, adopt or replace a server in this folder.
    pub fn starting(&self) -> Result<Starting<'_>> {
        let lock = LockFile::open(&self.dir.join("start.lock"))?;
        lock.lock_within(Mode::Exclusive, START_WAIT, "another roadmap process starting a service")?;
        Ok(Starting { lease: self, _lock: lock })
    }

    /// Stops using the servers; the last user stops them. Safe to call more than once.
    pub fn leave(&self) {
        let mut left = self.left.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if *left {
            return;
        }
        *left = true;
        let mut children = self.children.lock().map(|mut c| std::mem::take(&mut *c)).unwrap_or_default();
        // Whoever holds the start lock is about to use the servers, so without it this
        // process is not the last, whatever the lease says.
        let start = LockFile::open(&self.dir.join("start.lock"));
        let last = start.is_ok_and(|s| s.try_lock(Mode::Exclusive).unwrap_or(false))
            && self.file.try_lock(Mode::Exclusive).unwrap_or(false);
        if last {
            stop_recorded(&self.dir, &mut children);
        }
        self.file.unlock();
        // Servers this process started but others still use keep running after it
        // exits (they are in process groups of their own).
        drop(children);
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.leave();
    }
}

/// Leaves every lease of this process: for a stop signal, after which it exits
/// without running destructors.
pub fn leave_all() {
    let leases: Vec<Arc<Lease>> =
        LEASES.lock().map(|all| all.iter().filter_map(Weak::upgrade).collect()).unwrap_or_default();
    for lease in leases {
        lease.leave();
    }
}

/// The right to start, adopt or replace a server, held until dropped.
pub struct Starting<'a> {
    lease: &'a Lease,
    _lock: LockFile,
}

impl Starting<'_> {
    /// Whether no other process uses this folder's servers: then whatever runs there
    /// was left by a killed process and may be replaced.
    pub fn alone(&self) -> Result<bool> {
        let file = &self.lease.file;
        // The kernel converts the shared lock by dropping it first; taking it back cannot
        // wait, as every exclusive holder must hold the start lock, which this holds.
        let alone = file.try_lock(Mode::Exclusive)?;
        file.lock_within(Mode::Shared, STOP_WAIT, "a roadmap process stopping the services")?;
        Ok(alone)
    }

    pub fn recorded(&self, service: &str) -> Option<Recorded> {
        Recorded::parse(&fs::read_to_string(state_file(&self.lease.dir, service)).ok()?)
    }

    pub fn record(&self, service: &str, server: &Recorded) -> Result<()> {
        let path = state_file(&self.lease.dir, service);
        let partial = path.with_extension("state.new");
        fs::write(&partial, server.render()).with_context(|| format!("cannot write {}", partial.display()))?;
        fs::rename(&partial, &path).with_context(|| format!("cannot write {}", path.display()))
    }

    pub fn forget(&self, service: &str) {
        let _ = fs::remove_file(state_file(&self.lease.dir, service));
    }

    /// Hands over a server this process started, to be reaped if this process stops it.
    pub fn keep(&self, child: Child) {
        if let Ok(mut children) = self.lease.children.lock() {
            children.push(child);
        }
    }
}

/// Stops the servers in `dir` if no process uses them (none holds the lease or is
/// starting one), then runs `clean` with the locks still held. Returns whether it did.
pub fn clean_unused(dir: &Path, clean: impl FnOnce()) -> bool {
    let (Ok(start), Ok(lease)) = (LockFile::open(&dir.join("start.lock")), LockFile::open(&dir.join("lease.lock")))
    else {
        return false;
    };
    let unused = start.try_lock(Mode::Exclusive).unwrap_or(false) && lease.try_lock(Mode::Exclusive).unwrap_or(false);
    if unused {
        stop_recorded(dir, &mut Vec::new());
        clean();
    }
    unused
}

fn state_file(dir: &Path, service: &str) -> PathBuf {
    dir.join(format!("{service}.state"))
}

/// Stops every server recorded in `dir` and forgets them.
fn stop_recorded(dir: &Path, children: &mut [Child]) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for path in entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "state")) {
        if let Some(server) = fs::read_to_string(&path).ok().and_then(|t| Recorded::parse(&t))
            && server.running()
        {
            let child = children.iter_mut().find(|c| c.id() == server.pid);
            daemon::stop(server.pid, server.signal, child);
        }
        let _ = fs::remove_file(&path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn sleeper(marker: &str) -> Child {
        use std::os::unix::process::CommandExt;
        // `sh` stays (it does not exec its last command here), so its command line
        // keeps the marker.
        Command::new("sh").args(["-c", "sleep 30; :", marker]).process_group(0).spawn().unwrap()
    }

    #[test]
    fn a_recorded_server_is_read_back() {
        let server = Recorded { pid: 42, port: 5433, signal: libc::SIGINT, marker: "/tmp/a b/postgres".into() };
        assert_eq!(Recorded::parse(&server.render()), Some(server));
        assert_eq!(Recorded::parse("pid=1\nport=2\n"), None);
    }

    #[test]
    fn only_the_last_user_to_leave_stops_the_servers() {
        let dir = tempfile::tempdir().unwrap();
        let first = Lease::take(dir.path()).unwrap();
        let second = Lease::take(dir.path()).unwrap();
        let mut server = sleeper("lease-test-server");
        let recorded =
            Recorded { pid: server.id(), port: 1, signal: libc::SIGTERM, marker: "lease-test-server".into() };
        {
            let starting = first.starting().unwrap();
            assert!(!starting.alone().unwrap(), "the second user holds the lease too");
            starting.record("sleeper", &recorded).unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
        assert!(recorded.running());
        first.leave();
        assert!(server.try_wait().unwrap().is_none(), "the second user still needs the server");
        assert!(second.starting().unwrap().alone().unwrap(), "the first has left");
        drop(second);
        assert!(server.try_wait().unwrap().is_some(), "the last user stops the server");
        assert!(!dir.path().join("sleeper.state").exists());
    }

    #[test]
    fn a_recycled_pid_is_not_taken_for_the_server() {
        let mut other = sleeper("something-else");
        let recorded = Recorded { pid: other.id(), port: 1, signal: libc::SIGTERM, marker: "postgres -D /x".into() };
        assert!(!recorded.running());
        let dir = tempfile::tempdir().unwrap();
        let lease = Lease::take(dir.path()).unwrap();
        lease.starting().unwrap().record("x", &recorded).unwrap();
        drop(lease);
        assert!(other.try_wait().unwrap().is_none(), "a process that is not the server is never stopped");
        other.kill().unwrap();
        other.wait().unwrap();
    }

    #[test]
    fn servers_in_use_are_not_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let lease = Lease::take(dir.path()).unwrap();
        let mut cleaned = false;
        assert!(!clean_unused(dir.path(), || cleaned = true));
        assert!(!cleaned);
        drop(lease);
        assert!(clean_unused(dir.path(), || cleaned = true));
        assert!(cleaned);
    }
}
