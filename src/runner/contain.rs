//! Containment on Linux: every process a run starts, including ones that leave the
//! process group or the session (`setsid()`, double forks), is gone before the run's
//! verdict is reported.
//!
//! The engine does not start Node directly. It clones a tiny supervisor ("init") that
//! starts Node and outlives it only to clean up:
//! - as root, init is PID 1 of a new PID namespace: when it exits the kernel kills every
//!   process in the namespace, and the learner's code cannot signal it;
//! - otherwise init is a child subreaper (`PR_SET_CHILD_SUBREAPER`): orphans are
//!   re-parented to it instead of the system's init, and it kills them all before it
//!   exits.
//!
//! Where the machine allows (root, cgroup v1 or v2 with the memory controller), the run
//! also gets a cgroup of its own: a hard memory limit, a cap on processes, and a final
//! sweep that kills whatever is still in it. Without one, the engine samples the run's
//! memory instead (see `memory_of`).
//!
//! A pipe ("lifeline") ties init to the engine: if the engine dies, even by SIGKILL,
//! init sees the pipe close and takes everything down with it.
//!
//! Between the clone and `execve` only async-signal-safe system calls run: the engine is
//! multithreaded, and a lock another thread held at clone time stays locked forever in
//! the child. Everything init needs (argument vectors, paths) is prepared before.
use std::ffi::{CString, OsStr, OsString};
use std::fs;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use libc::c_char;

/// How strongly a run is contained, for reports and `SECURITY.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// A PID namespace of its own: nothing started inside can outlive the run.
    PidNamespace,
    /// A child subreaper that kills every descendant (no privileges needed).
    Subreaper,
}

use super::process::{Ending, KEY_FD, Limits, REPORT_FD};

/// init's own descriptors, closed on exec so the main process never sees them.
const LIFELINE_FD: RawFd = 5;
const EXEC_ERROR_FD: RawFd = 6;

/// A contained process tree, seen from the engine: `pid` is init's.
pub struct Contained {
    pid: libc::pid_t,
    isolation: Isolation,
    reaped: AtomicBool,
    cgroup: Option<Cgroup>,
    /// Held open for as long as the run may live; init stops everything once it closes.
    _lifeline: OwnedFd,
}

impl Contained {
    pub fn pid(&self) -> u32 {
        self.pid as u32
    }

    pub fn isolation(&self) -> Isolation {
        self.isolation
    }

    /// Waits for init to exit, which means every process of the run is gone (or, with a
    /// cgroup, about to be swept). Returns the main process's exit code, or the signal
    /// that ended it.
    pub fn wait(&self) -> io::Result<Ending> {
        let mut status = 0;
        loop {
            // SAFETY: waiting for our own child.
            let r = unsafe { libc::waitpid(self.pid, &mut status, 0) };
            if r == self.pid {
                break;
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
        self.reaped.store(true, Ordering::SeqCst);
        if let Some(cgroup) = &self.cgroup {
            cgroup.sweep();
        }
        Ok(if libc::WIFEXITED(status) {
            // init reports a main process killed by a signal as 128 + the signal.
            match libc::WEXITSTATUS(status) {
                code @ 129..=159 => Ending::Signal(code - 128),
                code => Ending::Code(code),
            }
        } else {
            Ending::Signal(libc::WTERMSIG(status))
        })
    }

    /// Whether init is still running (a warm process waiting for its suite).
    pub fn is_running(&self) -> bool {
        if self.reaped.load(Ordering::SeqCst) {
            return false;
        }
        // SAFETY: a null signal only checks that the process exists; a zombie still
        // exists, so look at its state too.
        let exists = unsafe { libc::kill(self.pid, 0) == 0 };
        exists && !is_zombie(self.pid)
    }

    /// Stops the whole run. Safe to call more than once and after it ended.
    pub fn stop(&self) {
        if self.reaped.load(Ordering::SeqCst) {
            return;
        }
        stop_pid(self.pid, self.isolation);
    }

    /// Whether the kernel's OOM killer acted inside the run's cgroup.
    pub fn hit_memory_limit(&self) -> bool {
        self.cgroup.as_ref().is_some_and(Cgroup::oom_killed)
    }

    /// Bytes the run uses now: from the cgroup when there is one, else the resident
    /// memory of init's descendants.
    pub fn memory(&self) -> u64 {
        match &self.cgroup {
            Some(cgroup) => cgroup.usage(),
            None => memory_of(self.pid),
        }
    }

    pub fn has_cgroup(&self) -> bool {
        self.cgroup.is_some()
    }
}

impl Drop for Contained {
    fn drop(&mut self) {
        if let Some(cgroup) = self.cgroup.take() {
            cgroup.recycle();
        }
    }
}

/// Stops a run through its init, given only the pid (the stop-signal handler uses this).
pub fn stop_pid(pid: libc::pid_t, isolation: Isolation) {
    let signal = match isolation {
        // Killing a namespace's init kills everything in the namespace.
        Isolation::PidNamespace => libc::SIGKILL,
        // A subreaper must live long enough to kill its descendants: it is asked.
        Isolation::Subreaper => libc::SIGUSR1,
    };
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(pid, signal);
    }
}

fn is_zombie(pid: libc::pid_t) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(')').map(|(_, rest)| rest.trim_start().starts_with('Z')))
        .unwrap_or(true)
}

/// What to start and with which descriptors.
pub struct Start<'a> {
    pub command: &'a Command,
    /// Descriptor for the main process's stdin.
    pub stdin: RawFd,
    /// Descriptor for its stdout and stderr.
    pub output: RawFd,
    /// Descriptors for `REPORT_FD` and `KEY_FD`.
    pub report: RawFd,
    pub key: RawFd,
    pub limits: Limits,
}

/// Which isolation this machine allows, decided once.
fn isolation() -> Isolation {
    static CHOSEN: OnceLock<Isolation> = OnceLock::new();
    *CHOSEN.get_or_init(|| {
        let forced = std::env::var("ROADMAP_ISOLATION").ok();
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        match forced.as_deref() {
            Some("subreaper") => Isolation::Subreaper,
            _ if root => Isolation::PidNamespace,
            _ => Isolation::Subreaper,
        }
    })
}

/// Starts `start.command` contained. The descriptors in `start` are duplicated into the
/// child; the caller keeps (and closes) its own.
pub fn spawn(start: Start<'_>) -> io::Result<Contained> {
    let plan = Plan::of(start.command)?;
    let cgroup = Cgroup::create(start.limits);
    let (lifeline_read, lifeline_write) = io::pipe()?;
    let (error_read, error_write) = io::pipe()?;
    let fds = ChildFds {
        stdin: start.stdin,
        output: start.output,
        report: start.report,
        key: start.key,
        lifeline: lifeline_read.as_raw_fd(),
        exec_error: error_write.as_raw_fd(),
    };
    let procs: Vec<CString> = cgroup.as_ref().map(Cgroup::procs_files).unwrap_or_default();
    let mut isolation = isolation();
    let mut pid = clone_init(&fds, &plan, &procs, isolation);
    if pid < 0 && isolation == Isolation::PidNamespace {
        // A container may forbid new namespaces even to root: fall back.
        isolation = Isolation::Subreaper;
        pid = clone_init(&fds, &plan, &procs, isolation);
    }
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    drop(lifeline_read);
    drop(error_write);
    let contained =
        Contained { pid, isolation, reaped: AtomicBool::new(false), cgroup, _lifeline: OwnedFd::from(lifeline_write) };
    // The pipe closes on a successful exec; four bytes on it are the errno of a failed one.
    let mut errno = [0u8; 4];
    let mut reader = error_read;
    if let Ok(4) = read_full(&mut reader, &mut errno) {
        contained.stop();
        let _ = contained.wait();
        return Err(io::Error::from_raw_os_error(i32::from_ne_bytes(errno)));
    }
    Ok(contained)
}

fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

struct ChildFds {
    stdin: RawFd,
    output: RawFd,
    report: RawFd,
    key: RawFd,
    lifeline: RawFd,
    exec_error: RawFd,
}

/// A command turned into what `execve` takes, built before the clone.
struct Plan {
    program: CString,
    _argv: Vec<CString>,
    argv: Vec<*const c_char>,
    _envp: Vec<CString>,
    envp: Vec<*const c_char>,
    cwd: Option<CString>,
}

impl Plan {
    fn of(command: &Command) -> io::Result<Plan> {
        let mut env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
        for (key, value) in command.get_envs() {
            env.retain(|(k, _)| k != key);
            if let Some(value) = value {
                env.push((key.to_owned(), value.to_owned()));
            }
        }
        let path = env.iter().find(|(k, _)| k == "PATH").map(|(_, v)| v.clone());
        let program = resolve(command.get_program(), path.as_deref())?;
        let cstring = |s: &OsStr| {
            CString::new(s.as_bytes())
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in a command"))
        };
        let mut argv_owned = vec![cstring(command.get_program())?];
        for arg in command.get_args() {
            argv_owned.push(cstring(arg)?);
        }
        let mut envp_owned = Vec::new();
        for (key, value) in &env {
            let mut pair = key.clone();
            pair.push("=");
            pair.push(value);
            envp_owned.push(cstring(&pair)?);
        }
        let argv = argv_owned.iter().map(|s| s.as_ptr()).chain(std::iter::once(std::ptr::null())).collect();
        let envp = envp_owned.iter().map(|s| s.as_ptr()).chain(std::iter::once(std::ptr::null())).collect();
        let cwd = command.get_current_dir().map(|d| cstring(d.as_os_str())).transpose()?;
        Ok(Plan { program: cstring(program.as_os_str())?, _argv: argv_owned, argv, _envp: envp_owned, envp, cwd })
    }
}

/// The program's path: as given when it names a path, else found on `path`.
fn resolve(program: &OsStr, path: Option<&OsStr>) -> io::Result<PathBuf> {
    if program.as_bytes().contains(&b'/') {
        return Ok(PathBuf::from(program));
    }
    let not_found = || io::Error::new(io::ErrorKind::NotFound, format!("{} was not found on PATH", program.display()));
    let path = path.ok_or_else(not_found)?;
    std::env::split_paths(path)
        .map(|dir| dir.join(program))
        .find(|candidate| {
            use std::os::unix::fs::PermissionsExt;
            fs::metadata(candidate).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .ok_or_else(not_found)
}

/// Clones init; returns its pid, or -1 (errno set).
fn clone_init(fds: &ChildFds, plan: &Plan, procs: &[CString], isolation: Isolation) -> libc::pid_t {
    let mut flags = libc::SIGCHLD as libc::c_long;
    if isolation == Isolation::PidNamespace {
        flags |= libc::CLONE_NEWPID as libc::c_long;
    }
    // SAFETY: a raw clone without CLONE_VM behaves like fork: the child gets a copy of
    // the address space and continues on its copy of this stack. It only makes
    // async-signal-safe system calls and never returns from `init_main`.
    unsafe {
        let pid = libc::syscall(libc::SYS_clone, flags, 0usize, 0usize, 0usize, 0usize) as libc::pid_t;
        if pid == 0 {
            init_main(fds, plan, procs, isolation);
        }
        pid
    }
}

/// Moves `fd` to a number of at least 100 (close-on-exec), out of the way of the
/// descriptors the main process gets.
unsafe fn lift(fd: RawFd) -> RawFd {
    // SAFETY: duplicating a descriptor the caller owns.
    unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 100) }
}

unsafe fn die(code: i32) -> ! {
    // SAFETY: _exit is async-signal-safe and skips the parent's atexit handlers.
    unsafe { libc::_exit(code) }
}

/// init: joins the cgroup, starts the main process and waits. Never returns.
unsafe fn init_main(fds: &ChildFds, plan: &Plan, procs: &[CString], isolation: Isolation) -> ! {
    // SAFETY: only async-signal-safe system calls on descriptors and memory prepared
    // before the clone.
    unsafe {
        for file in procs {
            let fd = libc::open(file.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if fd >= 0 {
                // "0" moves the writing process itself, whatever namespace it is in.
                libc::write(fd, b"0".as_ptr().cast(), 1);
                libc::close(fd);
            }
        }
        libc::setpgid(0, 0);
        if isolation == Isolation::Subreaper {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        }
        let lifted = [
            lift(fds.stdin),
            lift(fds.output),
            lift(fds.report),
            lift(fds.key),
            lift(fds.lifeline),
            lift(fds.exec_error),
        ];
        if lifted.iter().any(|fd| *fd < 0) {
            die(126);
        }
        let targets = [0, 1, REPORT_FD, KEY_FD, LIFELINE_FD, EXEC_ERROR_FD];
        for (fd, target) in lifted.iter().zip(targets) {
            if libc::dup2(*fd, target) < 0 {
                die(126);
            }
        }
        libc::dup2(1, 2);
        // Only the main process gets 0–4; init's own two stay closed on exec.
        libc::fcntl(LIFELINE_FD, libc::F_SETFD, libc::FD_CLOEXEC);
        libc::fcntl(EXEC_ERROR_FD, libc::F_SETFD, libc::FD_CLOEXEC);
        close_from(EXEC_ERROR_FD + 1);

        let mut stop_set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut stop_set);
        libc::sigaddset(&mut stop_set, libc::SIGCHLD);
        libc::sigaddset(&mut stop_set, libc::SIGUSR1);
        libc::sigprocmask(libc::SIG_SETMASK, &stop_set, std::ptr::null_mut());
        let signals = libc::signalfd(-1, &stop_set, libc::SFD_CLOEXEC);

        let main = libc::syscall(libc::SYS_clone, libc::SIGCHLD as libc::c_long, 0usize, 0usize, 0usize, 0usize)
            as libc::pid_t;
        if main == 0 {
            let mut empty: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut empty);
            libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
            if let Some(cwd) = &plan.cwd {
                if libc::chdir(cwd.as_ptr()) != 0 {
                    report_exec_error();
                }
            }
            libc::execve(plan.program.as_ptr(), plan.argv.as_ptr(), plan.envp.as_ptr());
            report_exec_error();
        }
        if main < 0 || signals < 0 {
            die(126);
        }
        // init holds none of the run's pipes: the engine must see them close when the
        // main process and its children are gone.
        for fd in [0, 1, 2, REPORT_FD, KEY_FD, EXEC_ERROR_FD] {
            libc::close(fd);
        }
        supervise(main, signals, isolation)
    }
}

unsafe fn report_exec_error() -> ! {
    // SAFETY: errno read and written with async-signal-safe calls.
    unsafe {
        let errno = *libc::__errno_location();
        libc::write(EXEC_ERROR_FD, errno.to_ne_bytes().as_ptr().cast(), 4);
        libc::_exit(127)
    }
}

/// Closes every descriptor from `first` up.
unsafe fn close_from(first: RawFd) {
    // SAFETY: close_range and close are async-signal-safe.
    unsafe {
        if libc::syscall(libc::SYS_close_range, first as libc::c_uint, libc::c_uint::MAX, 0) != 0 {
            for fd in first..4096 {
                libc::close(fd);
            }
        }
    }
}

/// init's loop: reap children, and end the run when the main process exits, the engine
/// asks (SIGUSR1) or the engine is gone (the lifeline closed).
unsafe fn supervise(main: libc::pid_t, signals: RawFd, isolation: Isolation) -> ! {
    // SAFETY: async-signal-safe system calls on our own descriptors and children.
    unsafe {
        let mut polls = [
            libc::pollfd { fd: signals, events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: LIFELINE_FD, events: libc::POLLIN, revents: 0 },
        ];
        let mut code = 126;
        loop {
            if libc::poll(polls.as_mut_ptr(), 2, -1) < 0 {
                continue;
            }
            if polls[1].revents != 0 {
                code = 128 + libc::SIGKILL;
                break;
            }
            if polls[0].revents != 0 {
                let mut info: libc::signalfd_siginfo = std::mem::zeroed();
                let size = std::mem::size_of::<libc::signalfd_siginfo>();
                if libc::read(signals, (&mut info as *mut libc::signalfd_siginfo).cast(), size) != size as isize {
                    continue;
                }
                if info.ssi_signo == libc::SIGUSR1 as u32 {
                    code = 128 + libc::SIGKILL;
                    break;
                }
                let mut done = false;
                loop {
                    let mut status = 0;
                    let pid = libc::waitpid(-1, &mut status, libc::WNOHANG);
                    if pid <= 0 {
                        break;
                    }
                    if pid == main {
                        done = true;
                        code = if libc::WIFEXITED(status) {
                            libc::WEXITSTATUS(status)
                        } else {
                            128 + libc::WTERMSIG(status)
                        };
                    }
                }
                if done {
                    break;
                }
            }
        }
        if isolation == Isolation::Subreaper {
            kill_descendants();
        }
        // In a PID namespace, init's exit makes the kernel kill everything else in it.
        libc::_exit(code)
    }
}

/// Kills every descendant of a subreaper: its children first; their orphans become its
/// children in turn, until none is left.
unsafe fn kill_descendants() {
    // SAFETY: async-signal-safe calls with a stack buffer.
    unsafe {
        let path = c"/proc/thread-self/children";
        let mut buf = [0u8; 4096];
        for _ in 0..10_000 {
            let fd = libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
            let mut any = false;
            if fd >= 0 {
                let n = libc::read(fd, buf.as_mut_ptr().cast(), buf.len());
                libc::close(fd);
                let mut pid: libc::pid_t = 0;
                for &b in buf.iter().take(n.max(0) as usize) {
                    if b.is_ascii_digit() {
                        pid = pid * 10 + libc::pid_t::from(b - b'0');
                    } else if pid > 0 {
                        libc::kill(pid, libc::SIGKILL);
                        any = true;
                        pid = 0;
                    }
                }
                if pid > 0 {
                    libc::kill(pid, libc::SIGKILL);
                    any = true;
                }
            } else {
                // Without the children file (a kernel without CONFIG_PROC_CHILDREN) the
                // cgroup sweep, where there is one, is what is left.
                return;
            }
            let mut reaped = false;
            loop {
                let mut status = 0;
                if libc::waitpid(-1, &mut status, libc::WNOHANG) <= 0 {
                    break;
                }
                reaped = true;
            }
            if !any && !reaped {
                let mut status = 0;
                // No child left at all: done. Otherwise a child is still dying.
                if libc::waitpid(-1, &mut status, libc::WNOHANG) < 0 {
                    return;
                }
            }
            let pause = libc::timespec { tv_sec: 0, tv_nsec: 1_000_000 };
            libc::nanosleep(&pause, std::ptr::null_mut());
        }
    }
}

/// Resident memory of `pid` and all its descendants, in bytes.
pub fn memory_of(pid: libc::pid_t) -> u64 {
    let Ok(entries) = fs::read_dir("/proc") else { return 0 };
    let mut parents: Vec<(libc::pid_t, libc::pid_t, u64)> = Vec::new();
    for entry in entries.flatten() {
        let Some(p) = entry.file_name().to_str().and_then(|n| n.parse::<libc::pid_t>().ok()) else { continue };
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else { continue };
        let Some((_, rest)) = stat.rsplit_once(')') else { continue };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // After the command: state, ppid, …, rss (pages) is field 24 of stat, 22 here.
        let ppid = fields.get(1).and_then(|f| f.parse().ok()).unwrap_or(0);
        let rss = fields.get(21).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
        parents.push((p, ppid, rss));
    }
    let page = page_size();
    let mut tree = vec![pid];
    let mut total = 0;
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        for &(p, ppid, rss) in &parents {
            if ppid == parent && !tree.contains(&p) {
                tree.push(p);
                total += rss * page;
            }
        }
        i += 1;
    }
    total
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 { size as u64 } else { 4096 }
}

/// A cgroup for one run: a memory limit, a process cap, and a sweep at the end.
struct Cgroup {
    /// One folder per hierarchy (cgroup v1 has separate memory and pids hierarchies).
    dirs: Vec<PathBuf>,
    memory: PathBuf,
    v2: bool,
    /// The OOM kills counted before this run: a reused cgroup keeps its count.
    oom_before: u64,
}

static NEXT_CGROUP: AtomicU64 = AtomicU64::new(1);

/// Whether runs get cgroups. Joining a memory cgroup costs a kernel grace period (10–20 ms
/// measured here) on the path from a save to its verdict, so a learner's own runs sample
/// their memory instead (a PID namespace still contains every process); `grade` and
/// `dev check`, which run code nobody here wrote, turn kernel limits on.
static KERNEL_LIMITS: AtomicBool = AtomicBool::new(false);

pub fn use_kernel_limits() {
    KERNEL_LIMITS.store(true, Ordering::Relaxed);
}

/// Cgroups whose run is over, kept for the next runs of this process. A memory cgroup
/// that is removed lingers in the kernel while pages it was charged for stay cached, and
/// thousands of those (a day in watch mode, a class's grading) slow every later one down;
/// reusing a few keeps their number at the number of runs at once.
static IDLE: Mutex<Vec<Cgroup>> = Mutex::new(Vec::new());
const IDLE_KEPT: usize = 8;

/// Removes the cgroups kept for reuse; called when roadmap exits normally (a killed
/// roadmap's are removed by the next one, see `remove_stale`).
pub fn release_cgroups() {
    let idle = std::mem::take(&mut *IDLE.lock().unwrap_or_else(|e| e.into_inner()));
    drop(idle);
}

impl Cgroup {
    /// The run's cgroup, reused or created, or `None` where this machine does not let us.
    fn create(limits: Limits) -> Option<Cgroup> {
        if !KERNEL_LIMITS.load(Ordering::Relaxed) || std::env::var_os("ROADMAP_NO_CGROUP").is_some() {
            return None;
        }
        let reused = IDLE.lock().ok().and_then(|mut idle| idle.pop());
        if let Some(mut cgroup) = reused {
            if cgroup.limit(limits) {
                cgroup.oom_before = cgroup.oom_kills();
                return Some(cgroup);
            }
        }
        let parents = parents()?;
        let name = format!("roadmap-{}-{}", std::process::id(), NEXT_CGROUP.fetch_add(1, Ordering::Relaxed));
        let mut dirs = Vec::new();
        let memory = parents.memory.join(&name);
        fs::create_dir(&memory).ok()?;
        dirs.push(memory.clone());
        if !parents.v2 {
            if let Some(dir) = parents.pids.as_ref().map(|p| p.join(&name)) {
                if fs::create_dir(&dir).is_ok() {
                    dirs.push(dir);
                }
            }
        }
        let cgroup = Cgroup { dirs, memory, v2: parents.v2, oom_before: 0 };
        if parents.v2 {
            let _ = fs::write(cgroup.memory.join("memory.swap.max"), "0");
        }
        cgroup.limit(limits).then_some(cgroup)
    }

    /// Sets the run's limits; false if the memory limit cannot be set.
    fn limit(&self, limits: Limits) -> bool {
        let file = if self.v2 { "memory.max" } else { "memory.limit_in_bytes" };
        if fs::write(self.memory.join(file), limits.memory.to_string()).is_err() {
            return false;
        }
        if let Some(pids) = self.dirs.iter().find(|d| d.join("pids.max").exists()) {
            let _ = fs::write(pids.join("pids.max"), limits.pids.to_string());
        }
        true
    }

    /// Keeps the cgroup for the next run if its run left nothing in it, else removes it.
    fn recycle(self) {
        self.sweep();
        let empty =
            self.dirs.iter().all(|d| fs::read_to_string(d.join("cgroup.procs")).is_ok_and(|p| p.trim().is_empty()));
        if let (true, Ok(mut idle)) = (empty, IDLE.lock()) {
            if idle.len() < IDLE_KEPT {
                idle.push(self);
            }
        }
    }

    fn procs_files(&self) -> Vec<CString> {
        self.dirs.iter().filter_map(|d| CString::new(d.join("cgroup.procs").as_os_str().as_bytes()).ok()).collect()
    }

    fn usage(&self) -> u64 {
        let file = if self.v2 { "memory.current" } else { "memory.usage_in_bytes" };
        read_number(&self.memory.join(file)).unwrap_or(0)
    }

    fn oom_killed(&self) -> bool {
        self.oom_kills() > self.oom_before
    }

    fn oom_kills(&self) -> u64 {
        let file = if self.v2 { "memory.events" } else { "memory.oom_control" };
        fs::read_to_string(self.memory.join(file))
            .ok()
            .and_then(|text| text.lines().find_map(|l| l.strip_prefix("oom_kill ")?.trim().parse().ok()))
            .unwrap_or(0)
    }

    /// Kills whatever is still in the cgroup (nothing, normally: init saw to it).
    fn sweep(&self) {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let mut left = false;
            for dir in &self.dirs {
                for pid in fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default().lines() {
                    if let Ok(pid) = pid.trim().parse::<libc::pid_t>() {
                        left = true;
                        // SAFETY: the process is in our run's cgroup.
                        unsafe {
                            libc::kill(pid, libc::SIGKILL);
                        }
                    }
                }
            }
            if !left || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        self.sweep();
        for dir in &self.dirs {
            // A cgroup can be removed once its last process is reaped, which the kernel
            // does a moment after SIGKILL.
            for _ in 0..100 {
                if fs::remove_dir(dir).is_ok() || !dir.exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

fn read_number(path: &Path) -> Option<u64> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Where this process's runs' cgroups go.
struct Parents {
    memory: PathBuf,
    pids: Option<PathBuf>,
    v2: bool,
}

fn parents() -> Option<&'static Parents> {
    static PARENTS: OnceLock<Option<Parents>> = OnceLock::new();
    PARENTS
        .get_or_init(|| {
            let own = fs::read_to_string("/proc/self/cgroup").ok()?;
            let path_of = |controller: &str| {
                own.lines().find_map(|line| {
                    let mut parts = line.splitn(3, ':');
                    let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
                    controllers.split(',').any(|c| c == controller).then(|| path.trim_start_matches('/').to_string())
                })
            };
            let found = if let Some(path) = path_of("memory") {
                let memory = Path::new("/sys/fs/cgroup/memory").join(&path);
                let pids = path_of("pids").map(|p| Path::new("/sys/fs/cgroup/pids").join(p));
                Parents { memory, pids: pids.filter(|p| p.is_dir()), v2: false }
            } else {
                // cgroup v2: the memory controller must be enabled for our children.
                let path = own.lines().find_map(|l| l.strip_prefix("0::"))?.trim_start_matches('/').to_string();
                let dir = Path::new("/sys/fs/cgroup").join(path);
                let enabled = fs::read_to_string(dir.join("cgroup.subtree_control")).ok()?;
                if !enabled.split_whitespace().any(|c| c == "memory") {
                    return None;
                }
                Parents { memory: dir, pids: None, v2: true }
            };
            remove_stale(&found);
            Some(found)
        })
        .as_ref()
}

/// Removes the cgroups of engines that were killed before they could, with whatever
/// processes are still in them.
fn remove_stale(parents: &Parents) {
    for parent in std::iter::once(&parents.memory).chain(parents.pids.iter()) {
        let Ok(entries) = fs::read_dir(parent) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(owner) = name
                .to_str()
                .and_then(|n| n.strip_prefix("roadmap-"))
                .and_then(|rest| rest.split('-').next())
                .and_then(|pid| pid.parse::<u32>().ok())
            else {
                continue;
            };
            if Path::new(&format!("/proc/{owner}")).exists() {
                continue;
            }
            let stale = Cgroup { dirs: vec![entry.path()], memory: entry.path(), v2: parents.v2, oom_before: 0 };
            drop(stale);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn dev_null() -> io::Result<fs::File> {
        fs::File::open("/dev/null")
    }

    fn alive(marker: &str) -> bool {
        let out = Command::new("pgrep").args(["-f", marker]).output().unwrap();
        !out.stdout.is_empty()
    }

    fn run(script: &str) -> (Contained, io::PipeReader) {
        run_with(script, Limits::default())
    }

    fn run_with(script: &str, limits: Limits) -> (Contained, io::PipeReader) {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        let (out_read, out_write) = io::pipe().unwrap();
        let null = dev_null().unwrap();
        let contained = spawn(Start {
            command: &command,
            stdin: null.as_raw_fd(),
            output: out_write.as_raw_fd(),
            report: out_write.as_raw_fd(),
            key: null.as_raw_fd(),
            limits,
        })
        .unwrap();
        (contained, out_read)
    }

    #[test]
    fn exit_codes_and_output_come_through() {
        let (c, mut out) = run("echo hello; exit 3");
        assert_eq!(c.wait().unwrap(), Ending::Code(3));
        let mut text = String::new();
        out.read_to_string(&mut text).unwrap();
        assert_eq!(text, "hello\n");
    }

    #[test]
    fn a_missing_program_is_not_found() {
        let command = Command::new("/nonexistent/node");
        let null = dev_null().unwrap();
        let err = spawn(Start {
            command: &command,
            stdin: null.as_raw_fd(),
            output: null.as_raw_fd(),
            report: null.as_raw_fd(),
            key: null.as_raw_fd(),
            limits: Limits::default(),
        })
        .err()
        .unwrap();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn a_detached_grandchild_dies_with_the_run() {
        // setsid and a double fork: the classic daemon escape from a process group.
        let (c, mut out) = run("setsid sh -c 'sleep 86433 & exit' ; sleep 0.2; echo started");
        assert_eq!(c.wait().unwrap(), Ending::Code(0));
        let mut text = String::new();
        out.read_to_string(&mut text).unwrap();
        assert_eq!(text, "started\n");
        assert!(!alive("sleep 86433"), "a detached process outlived its run");
    }

    #[test]
    fn stopping_kills_everything_even_detached() {
        let (c, _out) = run("setsid sh -c 'sleep 86434 & exit'; sleep 86435");
        std::thread::sleep(Duration::from_millis(300));
        assert!(alive("sleep 86434") && alive("sleep 86435"));
        c.stop();
        assert!(matches!(c.wait().unwrap(), Ending::Signal(_)));
        assert!(!alive("sleep 8643[45]"), "the run survived being stopped");
    }

    #[test]
    fn an_oom_kill_is_the_runs_own_even_in_a_reused_cgroup() {
        use_kernel_limits();
        let small = Limits { memory: 64 * 1024 * 1024, pids: 64 };
        let (hog, _out) = run_with("node -e 'const a = []; for (;;) a.push(Buffer.alloc(1e7, 1))'", small);
        hog.wait().unwrap();
        if !hog.has_cgroup() {
            eprintln!("skipped: no cgroup can be made here");
            return;
        }
        assert!(hog.hit_memory_limit());
        drop(hog);
        for _ in 0..3 {
            let (calm, _out) = run_with("true", small);
            assert_eq!(calm.wait().unwrap(), Ending::Code(0));
            assert!(!calm.hit_memory_limit(), "a later run in a reused cgroup is blamed for an earlier OOM");
        }
    }

    #[test]
    fn memory_of_counts_descendants() {
        let (c, _out) = run("sleep 5");
        std::thread::sleep(Duration::from_millis(100));
        assert!(memory_of(c.pid as libc::pid_t) > 0);
        c.stop();
        c.wait().unwrap();
    }
}
