//! /dev inside the container (config-linux.md § Default Devices, § Devices): the six default
//! devices, the configured ones, and the usual symlinks, each created through a descriptor of
//! the container's /dev resolved inside the rootfs, never by a host path.

use std::fs::File;
use std::os::fd::AsFd;

use carrack_spec::runtime::{Device, DeviceType};
use nix::mount::{MsFlags, mount};
use nix::sys::stat::{Mode, SFlag, makedev, mknodat};
use nix::unistd::{Gid, Uid, fchownat};

use crate::mounts::{fd_path, open_inside};

const DEFAULTS: [(&str, u64, u64); 6] = [
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
    ("tty", 5, 0),
];

const LINKS: [(&str, &str); 5] = [
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
    ("ptmx", "pts/ptmx"),
];

/// One device node to make.
#[derive(Clone, Copy)]
struct Node {
    kind: SFlag,
    major: u64,
    minor: u64,
    mode: u32,
    owner: (u32, u32),
}

/// Creates one device node at `dest` (inside `root`): mknod, or in a user namespace a bind
/// mount of the host's node.
fn node(root: &File, dest: &str, n: &Node, userns: bool) -> Result<(), String> {
    let Node {
        kind,
        major,
        minor,
        mode,
        owner,
    } = *n;
    let fail = |e: &dyn std::fmt::Display| format!("device {dest}: {e}");
    let rel = dest.trim_start_matches('/');
    let (parent, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    let dir = open_inside(root, parent, false, false).map_err(|e| fail(&e))?;
    let dir = File::from(
        nix::fcntl::openat(
            dir.as_fd(),
            ".",
            nix::fcntl::OFlag::O_RDONLY
                | nix::fcntl::OFlag::O_DIRECTORY
                | nix::fcntl::OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| fail(&e))?,
    );
    let _ = nix::unistd::unlinkat(dir.as_fd(), name, nix::unistd::UnlinkatFlags::NoRemoveDir);
    if userns {
        let host = format!("/dev/{name}");
        let target = open_inside(root, dest, true, false).map_err(|e| fail(&e))?;
        return mount(
            Some(host.as_str()),
            &fd_path(&target),
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|e| fail(&e));
    }
    mknodat(
        dir.as_fd(),
        name,
        kind,
        Mode::from_bits_truncate(mode),
        makedev(major, minor),
    )
    .map_err(|e| fail(&e))?;
    // mknod applied the umask: set the exact mode, then the owner.
    nix::sys::stat::fchmodat(
        dir.as_fd(),
        name,
        Mode::from_bits_truncate(mode),
        nix::sys::stat::FchmodatFlags::FollowSymlink,
    )
    .map_err(|e| fail(&e))?;
    fchownat(
        dir.as_fd(),
        name,
        Some(Uid::from_raw(owner.0)),
        Some(Gid::from_raw(owner.1)),
        nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
    )
    .map_err(|e| fail(&e))
}

/// Sets up /dev in `root`: the defaults (when /dev is a fresh mount), the configured devices,
/// and the symlinks.
pub(crate) fn setup(
    root: &File,
    devices: &[Device],
    defaults: bool,
    userns: bool,
) -> Result<(), String> {
    if defaults {
        let dev = open_inside(root, "/dev", false, false).map_err(|e| format!("/dev: {e}"))?;
        let dev = File::from(
            nix::fcntl::openat(
                dev.as_fd(),
                ".",
                nix::fcntl::OFlag::O_RDONLY
                    | nix::fcntl::OFlag::O_DIRECTORY
                    | nix::fcntl::OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| format!("/dev: {e}"))?,
        );
        let wanted = DEFAULTS
            .iter()
            .filter(|(name, _, _)| !devices.iter().any(|d| d.path == format!("/dev/{name}")));
        // /dev is a tmpfs mounted a moment ago: nothing to replace. As root outside a user
        // namespace the nodes are created 0:0 already, and with the umask cleared for the
        // moment, with their exact mode: one mknodat each.
        if !userns && nix::unistd::geteuid().is_root() && nix::unistd::getegid().as_raw() == 0 {
            let old = nix::sys::stat::umask(Mode::empty());
            let made = wanted.into_iter().try_for_each(|(name, major, minor)| {
                mknodat(
                    dev.as_fd(),
                    *name,
                    SFlag::S_IFCHR,
                    Mode::from_bits_truncate(0o666),
                    makedev(*major, *minor),
                )
                .map_err(|e| format!("device /dev/{name}: {e}"))
            });
            nix::sys::stat::umask(old);
            made?;
        } else {
            for (name, major, minor) in wanted {
                let n = Node {
                    kind: SFlag::S_IFCHR,
                    major: *major,
                    minor: *minor,
                    mode: 0o666,
                    owner: (0, 0),
                };
                node(root, &format!("/dev/{name}"), &n, userns)?;
            }
        }
        for (name, target) in LINKS {
            match nix::unistd::symlinkat(target, dev.as_fd(), name) {
                Ok(()) | Err(nix::Error::EEXIST) => {}
                Err(e) => return Err(format!("/dev/{name}: {e}")),
            }
        }
        if std::path::Path::new("/proc/kcore").exists() {
            let _ = nix::unistd::symlinkat("/proc/kcore", dev.as_fd(), "core");
        }
    }
    for d in devices {
        let kind = match &d.kind {
            DeviceType::Char | DeviceType::Unbuffered => SFlag::S_IFCHR,
            DeviceType::Block => SFlag::S_IFBLK,
            DeviceType::Fifo => SFlag::S_IFIFO,
            other => return Err(format!("device {}: unknown type {other}", d.path)),
        };
        let num = |n: Option<i64>| u64::try_from(n.unwrap_or(0)).unwrap_or(0);
        let n = Node {
            kind,
            major: num(d.major),
            minor: num(d.minor),
            mode: d.file_mode.unwrap_or(0o666),
            owner: (d.uid.unwrap_or(0), d.gid.unwrap_or(0)),
        };
        node(root, &d.path, &n, userns)?;
    }
    Ok(())
}
