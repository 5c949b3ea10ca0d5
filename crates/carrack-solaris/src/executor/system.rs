//! [`System`]: the executor of a real Solaris or illumos host.

use std::io;
use std::process::Stdio;

use nix::sys::signal::{Signal as NixSignal, kill};
use nix::unistd::Pid;

use super::{Child, Executor, Output};
use crate::command::Command;

/// Runs commands with [`std::process::Command`].
#[derive(Debug, Default, Clone, Copy)]
pub struct System;

#[derive(Debug)]
struct Spawned(std::process::Child);

fn status_code(s: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    s.code()
        .or_else(|| s.signal().map(|n| 128 + n))
        .unwrap_or(255)
}

fn pid_of(pid: u32) -> io::Result<Pid> {
    i32::try_from(pid)
        .map(Pid::from_raw)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "pid out of range"))
}

impl Child for Spawned {
    fn pid(&self) -> u32 {
        self.0.id()
    }
    fn wait(&mut self) -> io::Result<i32> {
        self.0.wait().map(status_code)
    }
    fn signal(&self, signo: i32) -> io::Result<()> {
        let sig = NixSignal::try_from(signo).map_err(io::Error::from)?;
        kill(pid_of(self.0.id())?, sig).map_err(io::Error::from)
    }
}

impl Executor for System {
    fn run(&self, cmd: &Command) -> io::Result<Output> {
        log::debug!("run: {cmd}");
        let out = std::process::Command::new(&cmd.program)
            .args(&cmd.args)
            .stdin(Stdio::null())
            .output()?;
        Ok(Output {
            status: status_code(out.status),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    fn spawn(&self, cmd: &Command) -> io::Result<Box<dyn Child>> {
        log::debug!("spawn: {cmd}");
        let child = std::process::Command::new(&cmd.program)
            .args(&cmd.args)
            .spawn()?;
        Ok(Box::new(Spawned(child)))
    }

    fn alive(&self, pid: u32) -> bool {
        match pid_of(pid) {
            // Signal 0 checks only; EPERM means it exists but is not ours.
            Ok(p) => matches!(kill(p, None), Ok(()) | Err(nix::Error::EPERM)),
            Err(_) => false,
        }
    }
}
