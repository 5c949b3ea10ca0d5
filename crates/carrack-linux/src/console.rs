//! The container's terminal: a pty from the container's own devpts, its slave bound on
//! /dev/console by descriptor (CVE-2025-52565) and made the controlling terminal and stdio, its
//! master sent to `--console-socket` in one message with one SCM_RIGHTS fd, as go-runc and
//! conmon expect.

use std::fs::File;
use std::io::IoSlice;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use nix::fcntl::OFlag;
use nix::mount::{MsFlags, mount};
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt};
use nix::sys::socket::{ControlMessage, MsgFlags, sendmsg};

use crate::mounts::{fd_path, open_inside};

/// Opens a pty in the (already pivoted) container, binds the slave on /dev/console (for the
/// container's init, not for exec), sends the master over `socket`, and makes the slave the
/// session's terminal and stdio.
pub(crate) fn setup(socket: &OwnedFd, bind_console: bool) -> Result<(), String> {
    let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)
        .map_err(|e| format!("opening /dev/ptmx: {e}"))?;
    grantpt(&master).map_err(|e| format!("grantpt: {e}"))?;
    unlockpt(&master).map_err(|e| format!("unlockpt: {e}"))?;
    let name = ptsname_r(&master).map_err(|e| format!("ptsname: {e}"))?;
    let slave = File::from(
        nix::fcntl::open(
            name.as_str(),
            OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        )
        .map_err(|e| format!("opening {name}: {e}"))?,
    );
    if bind_console {
        bind_on_console(&slave)?;
    }
    send_and_attach(socket, master, &name, &slave)
}

fn bind_on_console(slave: &File) -> Result<(), String> {
    let root = File::from(
        nix::fcntl::open(
            "/",
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        )
        .map_err(|e| format!("/: {e}"))?,
    );
    let console = open_inside(&root, "/dev/console", true, false)
        .map_err(|e| format!("/dev/console: {e}"))?;
    mount(
        Some(&fd_path(slave)),
        &fd_path(&console),
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(|e| format!("binding the pty on /dev/console: {e}"))?;
    Ok(())
}

fn send_and_attach(
    socket: &OwnedFd,
    master: nix::pty::PtyMaster,
    name: &str,
    slave: &File,
) -> Result<(), String> {
    let fds = [master.as_raw_fd()];
    let payload = [IoSlice::new(name.as_bytes())];
    sendmsg::<()>(
        socket.as_raw_fd(),
        &payload,
        &[ControlMessage::ScmRights(&fds)],
        MsgFlags::empty(),
        None,
    )
    .map_err(|e| format!("sending the pty master to the console socket: {e}"))?;
    drop(master);
    nix::unistd::setsid().map_err(|e| format!("setsid: {e}"))?;
    crate::sys::set_controlling_tty(slave.as_raw_fd()).map_err(|e| format!("TIOCSCTTY: {e}"))?;
    nix::unistd::dup2_stdin(slave.as_fd()).map_err(|e| format!("dup2: {e}"))?;
    nix::unistd::dup2_stdout(slave.as_fd()).map_err(|e| format!("dup2: {e}"))?;
    nix::unistd::dup2_stderr(slave.as_fd()).map_err(|e| format!("dup2: {e}"))?;
    Ok(())
}
