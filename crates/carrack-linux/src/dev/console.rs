//! The container's terminal: a pty from the container's own devpts, its slave bound on
//! /dev/console by descriptor, its master sent to `--console-socket` in one message with one
//! SCM_RIGHTS fd, as go-runc and conmon expect.
//!
//! No path is trusted on the way (CVE-2025-52565): the master is opened as `dev/pts/ptmx`
//! inside the container's root with no symlink followed and checked to be the ptmx node of a
//! devpts; the slave comes from the master itself (`TIOCGPTPEER`), never from `/dev/pts/N`;
//! `/dev/console` is reached with no symlink followed and, if anything but a plain file or the
//! console node is there, replaced by an empty file made with `O_EXCL|O_NOFOLLOW`.

use std::fs::File;
use std::io::IoSlice;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use nix::fcntl::OFlag;
use nix::mount::{MsFlags, mount};
use nix::sys::socket::{ControlMessage, MsgFlags, sendmsg};
use nix::sys::stat::{Mode, SFlag};

use crate::error::{Error, Result};
use crate::mounts::{fd_path, open_inside};

/// Opens a pty of the devpts at `dev/pts` inside `root` (the container's root: the rootfs
/// before pivot_root, `/` of an exec), binds the slave on /dev/console when `bind_console`
/// (init, not exec), sends the master over `socket`, and makes the slave the session's
/// terminal and stdio.
pub(crate) fn setup(socket: &OwnedFd, root: &File, bind_console: bool) -> Result<()> {
    // Opened at once (non-blocking, so a FIFO planted there cannot hang us), then checked.
    let master = File::from(
        nix::fcntl::openat2(
            root.as_fd(),
            "dev/pts/ptmx",
            nix::fcntl::OpenHow::new()
                .flags(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC)
                .resolve(
                    nix::fcntl::ResolveFlag::RESOLVE_IN_ROOT
                        | nix::fcntl::ResolveFlag::RESOLVE_NO_SYMLINKS,
                ),
        )
        .map_err(|e| Error::sys("/dev/pts/ptmx", e))?,
    );
    let st = nix::sys::stat::fstat(master.as_fd()).map_err(|e| Error::sys("/dev/pts/ptmx", e))?;
    let fs = nix::sys::statfs::fstatfs(&master).map_err(|e| Error::sys("/dev/pts/ptmx", e))?;
    if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT != SFlag::S_IFCHR
        || st.st_rdev != nix::sys::stat::makedev(5, 2)
        || fs.filesystem_type() != nix::sys::statfs::DEVPTS_SUPER_MAGIC
    {
        return Err(Error::refused(
            Some("/process/terminal".into()),
            "/dev/pts/ptmx",
            "not the ptmx node of a devpts: mount a devpts on /dev/pts for a terminal",
        ));
    }
    nix::fcntl::fcntl(master.as_fd(), nix::fcntl::FcntlArg::F_SETFL(OFlag::O_RDWR))
        .map_err(|e| Error::sys("/dev/pts/ptmx", e))?;
    rustix::pty::unlockpt(&master).map_err(|e| Error::sys("unlockpt", e))?;
    let slave = File::from(
        rustix::pty::ioctl_tiocgptpeer(
            &master,
            rustix::pty::OpenptFlags::RDWR
                | rustix::pty::OpenptFlags::NOCTTY
                | rustix::pty::OpenptFlags::CLOEXEC,
        )
        .map_err(|e| Error::sys("TIOCGPTPEER", e))?,
    );
    let name = rustix::pty::ptsname(&master, Vec::new())
        .map_err(|e| Error::sys("ptsname", e))?
        .to_string_lossy()
        .into_owned();
    if bind_console {
        bind_on_console(root, &slave)?;
    }
    send_and_attach(socket, master, &name, &slave)
}

fn bind_on_console(root: &File, slave: &File) -> Result<()> {
    let dev = open_inside(root, "/dev", false, true).map_err(|e| Error::sys("/dev", e))?;
    let dev = File::from(
        nix::fcntl::openat(
            dev.as_fd(),
            ".",
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::sys("/dev", e))?,
    );
    let usable = nix::sys::stat::fstatat(
        dev.as_fd(),
        "console",
        nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
    )
    .is_ok_and(|st| {
        let kind = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT;
        kind == SFlag::S_IFREG || kind == SFlag::S_IFCHR
    });
    if !usable {
        match nix::unistd::unlinkat(
            dev.as_fd(),
            "console",
            nix::unistd::UnlinkatFlags::NoRemoveDir,
        ) {
            Ok(()) | Err(nix::Error::ENOENT) => {}
            Err(e) => return Err(Error::sys("/dev/console", e)),
        }
        nix::fcntl::openat(
            dev.as_fd(),
            "console",
            OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_WRONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::from_bits_truncate(0o600),
        )
        .map(drop)
        .map_err(|e| Error::sys("/dev/console", e))?;
    }
    let console = File::from(
        nix::fcntl::openat(
            dev.as_fd(),
            "console",
            OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::sys("/dev/console", e))?,
    );
    mount(
        Some(&fd_path(slave)),
        &fd_path(&console),
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(|e| Error::sys("binding the pty on /dev/console", e))?;
    Ok(())
}

fn send_and_attach(socket: &OwnedFd, master: File, name: &str, slave: &File) -> Result<()> {
    let fds = [master.as_raw_fd()];
    let payload = [IoSlice::new(name.as_bytes())];
    sendmsg::<()>(
        socket.as_raw_fd(),
        &payload,
        &[ControlMessage::ScmRights(&fds)],
        MsgFlags::empty(),
        None,
    )
    .map_err(|e| Error::sys("sending the pty master to the console socket", e))?;
    drop(master);
    nix::unistd::setsid().map_err(|e| Error::sys("setsid", e))?;
    crate::sys::set_controlling_tty(slave.as_raw_fd()).map_err(|e| Error::sys("TIOCSCTTY", e))?;
    nix::unistd::dup2_stdin(slave.as_fd()).map_err(|e| Error::sys("dup2", e))?;
    nix::unistd::dup2_stdout(slave.as_fd()).map_err(|e| Error::sys("dup2", e))?;
    nix::unistd::dup2_stderr(slave.as_fd()).map_err(|e| Error::sys("dup2", e))?;
    Ok(())
}
