//! Ctrl-C, SIGTERM and SIGHUP: learner code runs in process groups of its own, so it
//! does not hear the terminal's signals. When roadmap is told to stop, it kills every
//! group it started before it exits, leaving nothing behind.
use std::sync::{Mutex, OnceLock};

static ACTIVE: Mutex<Vec<(u32, Stop)>> = Mutex::new(Vec::new());

/// How to stop something roadmap started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGKILL to its whole process group (runs where nothing better exists: macOS).
    #[cfg_attr(target_os = "linux", allow(dead_code))]
    Group,
    /// This signal to the process itself: a run's supervisor, which takes the run down.
    Signal(i32),
}
type Handler = Box<dyn Fn(i32) + Send + Sync>;
static HANDLER: OnceLock<Handler> = OnceLock::new();
const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// Blocks the stop signals in every thread and handles them on a dedicated one. Call
/// it first thing in `main`, before any other thread exists.
pub fn install() {
    let set = stop_set();
    // SAFETY: plain libc calls on a signal set we own; no other thread exists yet.
    unsafe {
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
    std::thread::spawn(move || {
        loop {
            let mut signal: libc::c_int = 0;
            // SAFETY: sigwait writes the received signal into `signal`.
            if unsafe { libc::sigwait(&set, &mut signal) } != 0 {
                continue;
            }
            if let Some(handler) = HANDLER.get() {
                handler(signal);
                continue;
            }
            kill_all();
            std::process::exit(128 + signal);
        }
    });
}

/// Lets the caller decide what a stop signal means (watch mode restores the terminal
/// first) instead of exiting at once.
pub fn on_signal(handler: impl Fn(i32) + Send + Sync + 'static) {
    let _ = HANDLER.set(Box::new(handler));
}

/// Stops everything roadmap started and has not finished with, and leaves the private
/// servers (they are shared between roadmap processes, so only the last user stops them).
pub fn kill_all() {
    for (pid, stop) in ACTIVE.lock().map(|a| a.clone()).unwrap_or_default() {
        match stop {
            Stop::Group => crate::runner::kill_group(pid),
            // SAFETY: signalling a process we started and still track.
            Stop::Signal(signal) => unsafe {
                libc::kill(pid as libc::pid_t, signal);
            },
        }
    }
    crate::services::leave_all();
}

fn stop_set() -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the set before sigaddset uses it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in SIGNALS {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

/// Undoes `install`'s blocking in a child between fork and exec: children must hear
/// signals normally (the process-signals exercise depends on it).
///
/// # Safety
/// Only async-signal-safe calls; meant for `pre_exec`.
pub unsafe fn unblock_in_child() {
    // SAFETY: sigprocmask is async-signal-safe.
    unsafe {
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
    }
}

/// Registers something to be stopped if roadmap is stopped.
pub fn track(pid: u32, stop: Stop) {
    if let Ok(mut active) = ACTIVE.lock() {
        active.push((pid, stop));
    }
}

pub fn untrack(pid: u32) {
    if let Ok(mut active) = ACTIVE.lock() {
        active.retain(|(p, _)| *p != pid);
    }
}

/// Makes `command`'s process hear stop signals normally despite `install`.
pub fn restore_in_child(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the hook only calls sigprocmask, which is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            unblock_in_child();
            Ok(())
        });
    }
}
