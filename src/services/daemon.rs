//! What the private servers have in common: a free port, a process group of their own,
//! a pid file under `.roadmap/services/` so one left behind by a killed engine is found
//! and stopped at the next start, and a clean stop.
use std::fs;
use std::io;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// A free TCP port on 127.0.0.1 (the kernel picks it; the listener is closed again).
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Finds `name` on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| is_executable(candidate))
}

pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A user to drop to, for servers that refuse to run as root (PostgreSQL).
#[derive(Debug, Clone, Copy)]
pub struct RunAs {
    pub uid: u32,
    pub gid: u32,
}

impl RunAs {
    pub fn lookup(name: &str) -> Option<RunAs> {
        let name = std::ffi::CString::new(name).ok()?;
        // SAFETY: getpwnam returns a pointer into static storage, read at once.
        unsafe {
            let pw = libc::getpwnam(name.as_ptr());
            if pw.is_null() { None } else { Some(RunAs { uid: (*pw).pw_uid, gid: (*pw).pw_gid }) }
        }
    }

    pub fn chown(&self, path: &Path) -> Result<()> {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid))
            .with_context(|| format!("cannot chown {}", path.display()))
    }
}

pub fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Prepares `command` to run in a process group of its own, optionally as another user,
/// with output appended to `log`.
pub fn prepare(command: &mut Command, run_as: Option<RunAs>, log: &Path) -> Result<()> {
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open {}", log.display()))?;
    command.stdin(Stdio::null()).stdout(file.try_clone()?).stderr(file).process_group(0);
    crate::signals::restore_in_child(command);
    if let Some(user) = run_as {
        // SAFETY: setgroups, setgid and setuid are async-signal-safe.
        unsafe {
            command.pre_exec(move || {
                if libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(user.gid) != 0
                    || libc::setuid(user.uid) != 0
                {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    Ok(())
}

/// A running server: stopped gracefully (SIGTERM, then SIGKILL) when dropped.
pub struct Daemon {
    pub name: &'static str,
    child: Child,
    pid_file: PathBuf,
    /// The signal that asks this server for a quick, clean stop.
    stop_signal: libc::c_int,
}

impl Daemon {
    pub fn spawn(
        name: &'static str,
        mut command: Command,
        pid_file: PathBuf,
        stop_signal: libc::c_int,
    ) -> Result<Daemon> {
        let child = command.spawn().with_context(|| format!("cannot start {name}"))?;
        crate::signals::track(child.id(), crate::signals::Stop::Group);
        if let Some(dir) = pid_file.parent() {
            fs::create_dir_all(dir).ok();
        }
        fs::write(&pid_file, format!("{}\n", child.id()))
            .with_context(|| format!("cannot write {}", pid_file.display()))?;
        Ok(Daemon { name, child, pid_file, stop_signal })
    }

    /// Whether the server died (e.g. it could not bind its port).
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            _ => None,
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: signalling our own child's process group.
        unsafe {
            libc::killpg(pid, self.stop_signal);
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        crate::runner::kill_group(self.child.id());
        let _ = self.child.wait();
        crate::signals::untrack(self.child.id());
        let _ = fs::remove_file(&self.pid_file);
    }
}

/// Stops a server a previous engine left behind (it was killed before it could stop
/// it), found through its pid file. Only a process whose command line mentions `marker`
/// is touched, so a recycled pid is never killed by mistake.
pub fn stop_leftover(pid_file: &Path, marker: &str) {
    let Ok(text) = fs::read_to_string(pid_file) else { return };
    let _ = fs::remove_file(pid_file);
    let Ok(pid) = text.trim().parse::<i32>() else { return };
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    if !String::from_utf8_lossy(&cmdline).contains(marker) {
        return;
    }
    // SAFETY: signalling the group of a process we started in an earlier session.
    unsafe {
        libc::killpg(pid, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline && Path::new(&format!("/proc/{pid}")).exists() {
        std::thread::sleep(Duration::from_millis(20));
    }
    crate::runner::kill_group(pid as u32);
}

/// Polls `ready` until it succeeds or `limit` passes; fails with the server's log tail.
pub fn wait_ready(daemon: &mut Daemon, log: &Path, limit: Duration, mut ready: impl FnMut() -> bool) -> Result<()> {
    let start = Instant::now();
    loop {
        if ready() {
            return Ok(());
        }
        if let Some(status) = daemon.exited() {
            anyhow::bail!("{} exited ({status}) while starting: {}", daemon.name, log_tail(log));
        }
        if start.elapsed() > limit {
            anyhow::bail!("{} did not become ready within {:?}: {}", daemon.name, limit, log_tail(log));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

pub fn log_tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}
