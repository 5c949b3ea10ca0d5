//! The narrow interface to the host: run a [`Command`] to completion, or spawn one that runs
//! on (zlogin with the container's process). `System` does it with `std::process` on
//! Solaris and illumos; [`Recording`] simulates the zone tools anywhere, for tests.

use std::io;

use crate::command::Command;

mod recording;
#[cfg(any(target_os = "solaris", target_os = "illumos"))]
mod system;

pub use recording::Recording;
#[cfg(any(target_os = "solaris", target_os = "illumos"))]
pub use system::System;

/// How a command ended and what it printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// The exit status (128 + the signal when one ended it).
    pub status: i32,
    /// Its standard output (lossily decoded).
    pub stdout: String,
    /// Its standard error (lossily decoded).
    pub stderr: String,
}

impl Output {
    /// It exited 0.
    pub fn success(&self) -> bool {
        self.status == 0
    }
}

/// A spawned process.
pub trait Child: Send + std::fmt::Debug {
    /// Its process id on the host.
    fn pid(&self) -> u32;
    /// Waits for it to end; its status (128 + the signal when one ended it).
    fn wait(&mut self) -> io::Result<i32>;
    /// Sends it signal number `signo` (host numbering).
    fn signal(&self, signo: i32) -> io::Result<()>;
}

/// Runs commands on the host.
pub trait Executor: Send + Sync + std::fmt::Debug {
    /// Runs `cmd` to completion, capturing its output.
    fn run(&self, cmd: &Command) -> io::Result<Output>;
    /// Starts `cmd` with the caller's stdio and returns without waiting.
    fn spawn(&self, cmd: &Command) -> io::Result<Box<dyn Child>>;
    /// Whether process `pid` still exists (a later command asks about an earlier one's child).
    fn alive(&self, pid: u32) -> bool;
    /// Waits `d` between two polls (the fake does not wait).
    fn pause(&self, d: std::time::Duration) {
        std::thread::sleep(d);
    }
}
