//! What the private servers have in common: a free port, a process group of their own,
//! checks that a recorded pid is still the server it was, and a clean stop.
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

/// Starts a server. It is not registered to be killed with roadmap's own process
/// groups: other roadmap processes may be using it, and only the last one to leave
/// stops it (see `lease`).
pub fn spawn(name: &str, mut command: Command) -> Result<Child> {
    command.spawn().with_context(|| format!("cannot start {name}"))
}

/// Whether `pid` is a running process. A zombie has exited already: it only waits for
/// a parent (perhaps an init that never reaps) to collect its status.
pub fn alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start()).unwrap_or("");
        !(state.starts_with('Z') || state.starts_with('X'))
    })
}

/// Whether `pid` is running and its command line contains `marker`, so a pid that a
/// recycled process now carries is never mistaken for a server of ours.
pub fn runs(pid: u32, marker: &str) -> bool {
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    !marker.is_empty() && alive(pid) && String::from_utf8_lossy(&cmdline).replace('\0', " ").contains(marker)
}

/// Stops the server `pid` and its process group: `signal` first (its quick, clean
/// stop), SIGKILL if it is still there after a few seconds. A server this process
/// started is also reaped through `child`.
pub fn stop(pid: u32, signal: libc::c_int, mut child: Option<&mut Child>) {
    let gone = |child: &mut Option<&mut Child>| match child {
        Some(child) => matches!(child.try_wait(), Ok(Some(_))),
        None => !alive(pid),
    };
    // SAFETY: signalling a process group this or an earlier roadmap started.
    unsafe {
        libc::killpg(pid as libc::pid_t, signal);
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline && !gone(&mut child) {
        std::thread::sleep(Duration::from_millis(10));
    }
    crate::runner::kill_group(pid);
    match child {
        Some(child) => {
            let _ = child.wait();
        }
        None => {
            let deadline = Instant::now() + Duration::from_secs(1);
            while Instant::now() < deadline && alive(pid) {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Polls `ready` until it succeeds or `limit` passes; fails with the server's log tail.
pub fn wait_ready(
    child: &mut Child,
    name: &str,
    log: &Path,
    limit: Duration,
    mut ready: impl FnMut() -> bool,
) -> Result<()> {
    let start = Instant::now();
    loop {
        if ready() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            anyhow::bail!("{name} exited ({status}) while starting: {}", log_tail(log));
        }
        if start.elapsed() > limit {
            anyhow::bail!("{name} did not become ready within {:?}: {}", limit, log_tail(log));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

pub fn log_tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}
