//! Starting learner code so that everything it starts can be stopped, and handing it a
//! signed channel for the reporter.
//!
//! On Linux the run is contained (see `contain`): a PID namespace or a subreaper, and a
//! cgroup where the machine allows. Elsewhere (macOS) it is the leader of a process
//! group of its own, which catches everything but processes that call `setsid()`:
//! `SECURITY.md` states that limit.
use std::io::{self, PipeReader, PipeWriter, Write};
use std::os::fd::AsRawFd;
use std::process::Command;

/// What a run may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of memory for every process of the run together.
    pub memory: u64,
    /// How many processes (and threads) the run may have at once.
    pub pids: u32,
}

/// A run's memory unless the course says otherwise: generous for Node and the servers
/// a suite starts, far below what hurts a laptop.
pub const DEFAULT_MEMORY: u64 = 1024 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits { memory: DEFAULT_MEMORY, pids: 512 }
    }
}

/// How the main process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Code(i32),
    Signal(i32),
}

/// The descriptor the reporter's events arrive on, in the child (until the guard moves
/// it to a close-on-exec descriptor of an unknown number).
pub const REPORT_FD: i32 = 3;
/// The descriptor the run's key is read from, once, by the guard.
pub const KEY_FD: i32 = 4;

pub struct Spawned {
    pub process: Process,
    /// Present when spawned with `stdin_piped` (warm processes wait for a line).
    pub stdin: Option<PipeWriter>,
    /// The child's stdout and stderr, merged so their interleaving is kept.
    pub output: PipeReader,
    /// The reporter's event stream.
    pub report: PipeReader,
    /// The key the reporter signs its events with.
    pub key: String,
}

/// A started run, stoppable from any thread.
pub struct Process {
    #[cfg(target_os = "linux")]
    inner: super::contain::Contained,
    #[cfg(not(target_os = "linux"))]
    inner: group::Group,
}

impl Process {
    pub fn id(&self) -> u32 {
        self.inner.pid()
    }

    /// Waits until the run's processes are gone.
    pub fn wait(&self) -> io::Result<Ending> {
        self.inner.wait()
    }

    pub fn is_running(&self) -> bool {
        self.inner.is_running()
    }

    pub fn stop(&self) {
        self.inner.stop();
    }

    /// Whether the run was stopped for using more memory than its limit (by the kernel).
    pub fn hit_memory_limit(&self) -> bool {
        self.inner.hit_memory_limit()
    }

    /// Bytes of memory the run uses now, when it can be measured.
    pub fn memory(&self) -> u64 {
        self.inner.memory()
    }

    /// Whether the memory limit is enforced by the kernel (a cgroup) rather than sampled.
    pub fn limit_enforced(&self) -> bool {
        self.inner.has_cgroup()
    }

    /// The containment in force, in words, for reports.
    pub fn containment(&self, limits: Limits) -> String {
        let memory = format!("{} MiB", limits.memory / (1024 * 1024));
        #[cfg(target_os = "linux")]
        {
            use super::contain::Isolation;
            let isolation = match self.inner.isolation() {
                Isolation::PidNamespace => "PID namespace",
                Isolation::Subreaper => "child subreaper",
            };
            if self.inner.has_cgroup() {
                format!("{isolation}, cgroup (memory {memory}, {} processes)", limits.pids)
            } else {
                format!("{isolation}, memory {memory} sampled")
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            format!("process group, memory {memory} sampled")
        }
    }

    /// How to stop this run from the stop-signal handler.
    fn stop_handle(&self) -> crate::signals::Stop {
        #[cfg(target_os = "linux")]
        {
            use super::contain::Isolation;
            match self.inner.isolation() {
                Isolation::PidNamespace => crate::signals::Stop::Signal(libc::SIGKILL),
                Isolation::Subreaper => crate::signals::Stop::Signal(libc::SIGUSR1),
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            crate::signals::Stop::Group
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        crate::signals::untrack(self.id());
    }
}

/// Spawns `command` contained, with stdout and stderr on one pipe, the reporter's pipe
/// on descriptor 3 and the run's key readable once on descriptor 4; stdin is closed
/// unless `stdin_piped`.
pub fn spawn(command: &Command, stdin_piped: bool, limits: Limits) -> io::Result<Spawned> {
    let (output, output_writer) = io::pipe()?;
    let (report, report_writer) = io::pipe()?;
    let (key_reader, mut key_writer) = io::pipe()?;
    let (stdin_reader, stdin_writer) = if stdin_piped {
        let (r, w) = io::pipe()?;
        (Some(r), Some(w))
    } else {
        (None, None)
    };
    let key = new_key()?;
    // The key is far smaller than a pipe's buffer: written before the child exists.
    key_writer.write_all(key.as_bytes())?;
    drop(key_writer);
    let null = std::fs::File::open("/dev/null")?;
    let stdin_fd = stdin_reader.as_ref().map_or(null.as_raw_fd(), |r| r.as_raw_fd());

    #[cfg(target_os = "linux")]
    let inner = super::contain::spawn(super::contain::Start {
        command,
        stdin: stdin_fd,
        output: output_writer.as_raw_fd(),
        report: report_writer.as_raw_fd(),
        key: key_reader.as_raw_fd(),
        limits,
    })?;
    #[cfg(not(target_os = "linux"))]
    let inner = group::spawn(
        command,
        [stdin_fd, output_writer.as_raw_fd(), report_writer.as_raw_fd(), key_reader.as_raw_fd()],
        limits,
    )?;

    // The parent's copies of the child's ends must close, or the readers never see EOF.
    drop((output_writer, report_writer, key_reader, stdin_reader, null));
    let process = Process { inner };
    crate::signals::track(process.id(), process.stop_handle());
    Ok(Spawned { process, stdin: stdin_writer, output, report, key })
}

/// From now on, runs are submissions nobody here wrote: memory and processes are limited
/// by the kernel (a cgroup) where the machine allows, at some cost in start-up time.
pub fn grade_untrusted() {
    #[cfg(target_os = "linux")]
    super::contain::use_kernel_limits();
}

/// Gives back what runs kept for reuse (their cgroups); call before exiting.
pub fn release() {
    #[cfg(target_os = "linux")]
    super::contain::release_cgroups();
}

/// 32 random bytes, hex-encoded.
fn new_key() -> io::Result<String> {
    let mut bytes = [0u8; 32];
    let mut filled = 0;
    while filled < bytes.len() {
        // SAFETY: getrandom writes at most the given length into our buffer.
        let n = unsafe { libc::getrandom(bytes[filled..].as_mut_ptr().cast(), bytes.len() - filled, 0) };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
            continue;
        }
        filled += n as usize;
    }
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Sends SIGKILL to every process in the group led by `pid`. A group that is already
/// gone is not an error.
pub fn kill_group(pid: u32) {
    // SAFETY: killpg has no memory-safety preconditions.
    unsafe {
        libc::killpg(pid as libc::pid_t, libc::SIGKILL);
    }
}

/// The process-group fallback for platforms without `contain`.
#[cfg(not(target_os = "linux"))]
mod group {
    use std::io;
    use std::os::fd::RawFd;
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    use std::process::{Child, Command};
    use std::sync::Mutex;

    use super::{Ending, Limits};

    pub struct Group {
        pid: u32,
        child: Mutex<Option<Child>>,
    }

    pub fn spawn(command: &Command, fds: [RawFd; 4], _limits: Limits) -> io::Result<Group> {
        let mut cmd = Command::new(command.get_program());
        cmd.args(command.get_args());
        if let Some(dir) = command.get_current_dir() {
            cmd.current_dir(dir);
        }
        for (k, v) in command.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd.process_group(0);
        // SAFETY: only dup2, fcntl and sigprocmask run between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                crate::signals::unblock_in_child();
                let high: Vec<RawFd> = fds.iter().map(|fd| libc::fcntl(*fd, libc::F_DUPFD_CLOEXEC, 100)).collect();
                for (fd, target) in high.iter().zip([0, 1, 3, 4]) {
                    if libc::dup2(*fd, target) < 0 {
                        return Err(io::Error::last_os_error());
                    }
                }
                libc::dup2(1, 2);
                Ok(())
            });
        }
        let child = cmd.spawn()?;
        Ok(Group { pid: child.id(), child: Mutex::new(Some(child)) })
    }

    impl Group {
        pub fn pid(&self) -> u32 {
            self.pid
        }

        pub fn wait(&self) -> io::Result<Ending> {
            let mut child = self.child.lock().expect("child lock").take().ok_or(io::ErrorKind::InvalidInput)?;
            let status = child.wait()?;
            super::kill_group(self.pid);
            Ok(match (status.code(), status.signal()) {
                (Some(code), _) => Ending::Code(code),
                (_, Some(signal)) => Ending::Signal(signal),
                _ => Ending::Code(-1),
            })
        }

        pub fn is_running(&self) -> bool {
            self.child.lock().expect("child lock").as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
        }

        pub fn stop(&self) {
            super::kill_group(self.pid);
        }

        pub fn hit_memory_limit(&self) -> bool {
            false
        }

        pub fn memory(&self) -> u64 {
            0
        }

        pub fn has_cgroup(&self) -> bool {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_report_and_key_descriptors_reach_the_child_and_output_is_merged() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2; echo report >&3; cat <&4 >&3"]);
        let mut s = spawn(&cmd, false, Limits::default()).unwrap();
        let mut report = String::new();
        s.report.read_to_string(&mut report).unwrap();
        let mut output = String::new();
        s.output.read_to_string(&mut output).unwrap();
        assert_eq!(s.process.wait().unwrap(), Ending::Code(0));
        assert_eq!(report, format!("report\n{}", s.key));
        assert_eq!(s.key.len(), 64);
        assert_eq!(output, "out\nerr\n");
    }

    #[test]
    fn descriptors_beyond_four_are_not_inherited() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "ls /proc/self/fd | sort -n | tr '\\n' ' '"]);
        let mut s = spawn(&cmd, false, Limits::default()).unwrap();
        let mut output = String::new();
        s.output.read_to_string(&mut output).unwrap();
        s.process.wait().unwrap();
        // ls itself opens one descriptor for the listing.
        let fds: Vec<u32> = output.split_whitespace().filter_map(|f| f.parse().ok()).collect();
        assert!(fds.iter().filter(|fd| **fd > 4).count() <= 1, "{output}");
    }
}
