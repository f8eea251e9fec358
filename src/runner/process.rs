//! Starting learner code in a process group of its own, so that everything it spawns
//! can be killed with one signal.
use std::io::{self, PipeReader};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};

/// The descriptor the reporter writes its events to in the child.
pub const REPORT_FD: i32 = 3;

pub struct Spawned {
    pub child: Child,
    /// Present when spawned with `stdin_piped` (warm processes wait for a line).
    pub stdin: Option<ChildStdin>,
    /// The child's stdout and stderr, merged so their interleaving is kept.
    pub output: PipeReader,
    /// The reporter's event stream (descriptor 3 in the child).
    pub report: PipeReader,
}

/// Spawns `command` as the leader of a new process group with stdout and stderr on one
/// pipe and a second pipe on descriptor 3; stdin is closed unless `stdin_piped`.
pub fn spawn_in_group(mut command: Command, stdin_piped: bool) -> io::Result<Spawned> {
    let (output, output_writer) = io::pipe()?;
    let (report, report_writer) = io::pipe()?;
    let report_raw = report_writer.as_raw_fd();
    command
        .stdin(if stdin_piped { Stdio::piped() } else { Stdio::null() })
        .stdout(output_writer.try_clone()?)
        .stderr(output_writer)
        .process_group(0);
    // SAFETY: only async-signal-safe calls (dup2, fcntl) run between fork and exec.
    unsafe {
        command.pre_exec(move || {
            crate::signals::unblock_in_child();
            if report_raw == REPORT_FD {
                // dup2 onto itself would keep close-on-exec set; clear it instead.
                let flags = libc::fcntl(REPORT_FD, libc::F_GETFD);
                if flags == -1 || libc::fcntl(REPORT_FD, libc::F_SETFD, flags & !libc::FD_CLOEXEC) == -1 {
                    return Err(io::Error::last_os_error());
                }
            } else if libc::dup2(report_raw, REPORT_FD) == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn()?;
    let stdin = child.stdin.take();
    // The parent's copies of the write ends must close, or the readers never see EOF.
    drop(command);
    drop(report_writer);
    Ok(Spawned { child, stdin, output, report })
}

/// Sends SIGKILL to every process in the group led by `pid`. A group that is already
/// gone is not an error.
pub fn kill_group(pid: u32) {
    // SAFETY: killpg has no memory-safety preconditions.
    unsafe {
        libc::killpg(pid as libc::pid_t, libc::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Whether any live (non-zombie) process belongs to the group `pgid`. Zombies are
    /// dead already; who reaps orphans depends on the machine's init.
    fn group_alive(pgid: u32) -> bool {
        std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                return false;
            };
            // Fields after the parenthesised command: state, ppid, pgrp, …
            let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
            let fields: Vec<&str> = rest.split_whitespace().collect();
            fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid.to_string()
        })
    }

    #[test]
    fn descriptor_three_reaches_the_child_and_output_is_merged() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2; echo report >&3"]);
        let mut s = spawn_in_group(cmd, false).unwrap();
        let mut report = String::new();
        s.report.read_to_string(&mut report).unwrap();
        let mut output = String::new();
        s.output.read_to_string(&mut output).unwrap();
        assert!(s.child.wait().unwrap().success());
        assert_eq!(report, "report\n");
        assert_eq!(output, "out\nerr\n");
    }

    #[test]
    fn killing_the_group_kills_grandchildren() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 30 & sleep 30"]);
        let mut s = spawn_in_group(cmd, false).unwrap();
        let pid = s.child.id();
        assert!(group_alive(pid));
        kill_group(pid);
        s.child.wait().unwrap();
        // The background sleep is reparented; give the kernel a moment to reap it.
        for _ in 0..100 {
            if !group_alive(pid) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("the group outlived SIGKILL");
    }
}
