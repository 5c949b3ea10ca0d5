//! What the runtime hands its callers besides stdio: a pidfd of the container's process on
//! `--pidfd-socket` (runc's protocol: one message, payload `pidfd`, the fd in `SCM_RIGHTS`), and
//! the container's own session keyring (runc's `_ses.<id>`, unless `--no-new-keyring`).

use std::io::IoSlice;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::Path;

use crate::error::{Error, Result};

/// Sends a pidfd of `pid` to the AF_UNIX socket at `socket`.
pub(crate) fn send_pidfd(socket: &Path, pid: i32) -> Result<()> {
    let pidfd =
        crate::sys::pidfd_open(pid).map_err(|e| Error::sys(format!("pidfd_open({pid})"), e))?;
    let conn = UnixStream::connect(socket)
        .map_err(|e| Error::sys(format!("pidfd socket {}", socket.display()), e))?;
    let fds = [pidfd.as_raw_fd()];
    nix::sys::socket::sendmsg::<()>(
        conn.as_raw_fd(),
        &[IoSlice::new(b"pidfd")],
        &[nix::sys::socket::ControlMessage::ScmRights(&fds)],
        nix::sys::socket::MsgFlags::empty(),
        None,
    )
    .map_err(|e| Error::sys(format!("sending the pidfd to {}", socket.display()), e))?;
    Ok(())
}

const KEYCTL_JOIN_SESSION_KEYRING: libc::c_int = 1;

/// Joins a new session keyring named `_ses.<id>`, so the container does not share the
/// caller's keys. The kernel gives it possessor-all and user view/read/search/link
/// (`0x3f1b0000`), the permissions runc ends with. Kernels without keys (ENOSYS) are
/// tolerated, as runc tolerates them.
pub(crate) fn join_session_keyring(id: &str) -> Result<()> {
    let name = std::ffi::CString::new(format!("_ses.{id}")).map_err(|_| {
        Error::refused(
            None,
            "joining a session keyring",
            "container id with a NUL byte",
        )
    })?;
    match crate::sys::keyctl(KEYCTL_JOIN_SESSION_KEYRING, Some(&name), 0, 0) {
        Ok(_) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => Ok(()),
        Err(e) => Err(Error::sys("joining a session keyring", e)),
    }
}
