//! Waiting for a child process the way a shell reports it: its exit code, or 128 + the signal
//! that ended it.

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::Pid;

/// Waits for the child `pid` to end (retrying on EINTR, skipping stops and continues) and
/// returns its exit code, or 128 + the number of the signal that killed it.
pub(crate) fn exit_code(pid: i32) -> std::io::Result<i32> {
    loop {
        match waitpid(Pid::from_raw(pid), None) {
            Ok(WaitStatus::Exited(_, c)) => return Ok(c),
            Ok(WaitStatus::Signaled(_, s, _)) => return Ok(128 + s as i32),
            Ok(_) | Err(nix::Error::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[allow(clippy::zombie_processes, reason = "exit_code is the wait under test")]
    fn exit_codes_and_signals_as_a_shell_reports_them() {
        for (script, want) in [("exit 7", 7), ("kill -USR1 $$", 128 + 10)] {
            let child = std::process::Command::new("/bin/sh")
                .args(["-c", script])
                .spawn()
                .expect("sh");
            let pid = i32::try_from(child.id()).expect("pid");
            assert_eq!(super::exit_code(pid).expect("wait"), want, "{script}");
        }
    }
}
