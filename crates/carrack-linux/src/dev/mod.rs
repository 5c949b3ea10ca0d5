//! /dev inside the container (config-linux.md § Default Devices, § Devices): the six default
//! devices, the configured ones, and the usual symlinks, each created through a descriptor of
//! the container's /dev, never by a host path and never through a symlink: /dev and every
//! directory on the way to a configured device are resolved inside the rootfs with no symlink
//! followed, and an entry that is in the way (a symlink an image planted at /dev/null, say) is
//! removed and made anew, never followed (CVE-2025-31133, CVE-2026-41579, CVE-2026-47766).

pub(crate) mod console;

use std::fs::File;
use std::os::fd::AsFd;

use carrack_spec::runtime::{Device, DeviceType};
use nix::fcntl::{AtFlags, OFlag};
use nix::mount::{MsFlags, mount};
use nix::sys::stat::{FileStat, Mode, SFlag, makedev, mknodat};
use nix::unistd::{Gid, Uid, UnlinkatFlags, fchownat};

use crate::error::{Error, Result};
use crate::mounts::{fd_path, open_inside};

/// config-linux.md § Default Devices: "the runtime MUST supply these devices".
const DEFAULTS: [(&str, u64, u64); 6] = [
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
    ("tty", 5, 0),
];

const LINKS: [(&str, &str); 4] = [
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
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

/// A directory, opened for the *at calls, resolved inside `root` with no symlink followed (and
/// made, with its parents, if missing).
fn open_dir(root: &File, path: &str) -> Result<File> {
    let at = open_inside(root, path, false, true).map_err(|e| Error::sys(path, e))?;
    nix::fcntl::openat(
        at.as_fd(),
        ".",
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map(File::from)
    .map_err(|e| Error::sys(path, e))
}

fn stat_at(dir: &File, name: &str) -> Option<FileStat> {
    nix::sys::stat::fstatat(dir.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW).ok()
}

/// Removes whatever is at `name` in `dir` unless it is a directory (which is an error: a
/// device cannot replace it).
fn clear(dir: &File, name: &str) -> Result<()> {
    match stat_at(dir, name) {
        None => Ok(()),
        Some(st) if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR => Err(
            Error::refused(None, format!("replacing {name}"), "it is a directory"),
        ),
        Some(_) => nix::unistd::unlinkat(dir.as_fd(), name, UnlinkatFlags::NoRemoveDir)
            .map_err(|e| Error::sys(format!("removing {name}"), e)),
    }
}

/// Whether `name` in `dir` is the symlink to `pts/ptmx`.
fn ptmx_is_link(dir: &File, name: &str) -> bool {
    nix::fcntl::readlinkat(dir.as_fd(), name).is_ok_and(|t| t == "pts/ptmx")
}

/// Whether `name` in `dir` is already the device `n` (kept as it is: an image's own /dev).
fn is_node(dir: &File, name: &str, n: &Node) -> bool {
    stat_at(dir, name).is_some_and(|st| {
        SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == n.kind
            && st.st_rdev == makedev(n.major, n.minor)
    })
}

/// Creates one device node `name` in the directory `dir` (which is `dest`'s parent): mknod, or
/// in a user namespace a bind mount of the host's node onto an empty file. `at` is the JSON
/// pointer of a configured device (`None` for a default one).
fn node(dir: &File, dest: &str, n: &Node, userns: bool, at: Option<&str>) -> Result<()> {
    let what = format!("device {dest}");
    let fail = |e: nix::Error| Error::Sys {
        at: at.map(str::to_owned),
        what: what.clone(),
        source: e.into(),
    };
    let name = dest.rsplit('/').next().unwrap_or(dest);
    clear(dir, name).map_err(|e| {
        let e = e.context(&what);
        match at {
            Some(at) => e.at(at),
            None => e,
        }
    })?;
    if userns {
        // mknod is refused in a user namespace: bind the host's node (at the same path on the
        // host) onto a new empty file.
        let host = dest;
        let target = File::from(
            nix::fcntl::openat(
                dir.as_fd(),
                name,
                OFlag::O_CREAT
                    | OFlag::O_EXCL
                    | OFlag::O_WRONLY
                    | OFlag::O_NOFOLLOW
                    | OFlag::O_CLOEXEC,
                Mode::from_bits_truncate(0o644),
            )
            .map_err(fail)?,
        );
        return mount(
            Some(host),
            &fd_path(&target),
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(fail);
    }
    mknodat(
        dir.as_fd(),
        name,
        n.kind,
        Mode::from_bits_truncate(n.mode),
        makedev(n.major, n.minor),
    )
    .map_err(fail)?;
    // mknod applied the umask: set the exact mode, then the owner; the name is the node just
    // made, and neither call follows a symlink.
    nix::sys::stat::fchmodat(
        dir.as_fd(),
        name,
        Mode::from_bits_truncate(n.mode),
        nix::sys::stat::FchmodatFlags::NoFollowSymlink,
    )
    .or_else(|e| match e {
        // Some kernels refuse AT_SYMLINK_NOFOLLOW for fchmodat; the node is no symlink.
        nix::Error::EOPNOTSUPP => nix::sys::stat::fchmodat(
            dir.as_fd(),
            name,
            Mode::from_bits_truncate(n.mode),
            nix::sys::stat::FchmodatFlags::FollowSymlink,
        ),
        e => Err(e),
    })
    .map_err(fail)?;
    fchownat(
        dir.as_fd(),
        name,
        Some(Uid::from_raw(n.owner.0)),
        Some(Gid::from_raw(n.owner.1)),
        AtFlags::AT_SYMLINK_NOFOLLOW,
    )
    .map_err(fail)
}

/// Sets up /dev in `root`: the default devices (config-linux.md: "the runtime MUST supply
/// these devices", on a fresh /dev tmpfs or in the image's own /dev), the configured devices,
/// and the usual symlinks. `fresh` says /dev is a tmpfs mounted a moment ago.
pub(crate) fn setup(root: &File, devices: &[Device], fresh: bool, userns: bool) -> Result<()> {
    let dev = open_dir(root, "/dev")?;
    let wanted = DEFAULTS
        .iter()
        .filter(|(name, _, _)| !devices.iter().any(|d| d.path == format!("/dev/{name}")));
    if fresh && !userns && nix::unistd::geteuid().is_root() && nix::unistd::getegid().as_raw() == 0
    {
        // Nothing to replace on a new tmpfs; as root outside a user namespace the nodes are
        // created 0:0 already, and with the umask cleared for the moment, with their exact
        // mode: one mknodat each.
        let old = nix::sys::stat::umask(Mode::empty());
        let made = wanted.into_iter().try_for_each(|(name, major, minor)| {
            mknodat(
                dev.as_fd(),
                *name,
                SFlag::S_IFCHR,
                Mode::from_bits_truncate(0o666),
                makedev(*major, *minor),
            )
            .map_err(|e| Error::sys(format!("device /dev/{name}"), e))
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
            // An image's own node of the right kind and number stays.
            if !fresh && is_node(&dev, name, &n) {
                continue;
            }
            node(&dev, &format!("/dev/{name}"), &n, userns, None)?;
        }
    }
    for (name, target) in LINKS {
        match nix::unistd::symlinkat(target, dev.as_fd(), name) {
            Ok(()) | Err(nix::Error::EEXIST) => {}
            Err(e) => return Err(Error::sys(format!("/dev/{name}"), e)),
        }
    }
    // /dev/ptmx is the container's own devpts's, whatever the image put there.
    let ptmx_ok = nix::fcntl::readlinkat(dev.as_fd(), "ptmx").is_ok_and(|t| t == "pts/ptmx");
    if !ptmx_ok {
        clear(&dev, "ptmx").map_err(|e| e.context("/dev/ptmx"))?;
        nix::unistd::symlinkat("pts/ptmx", dev.as_fd(), "ptmx")
            .map_err(|e| Error::sys("/dev/ptmx", e))?;
    }
    if fresh && std::path::Path::new("/proc/kcore").exists() {
        let _ = nix::unistd::symlinkat("/proc/kcore", dev.as_fd(), "core");
    }
    for (i, d) in devices.iter().enumerate() {
        let at = format!("/linux/devices/{i}");
        let kind = match &d.kind {
            DeviceType::Char | DeviceType::Unbuffered => SFlag::S_IFCHR,
            DeviceType::Block => SFlag::S_IFBLK,
            DeviceType::Fifo => SFlag::S_IFIFO,
            other => {
                return Err(Error::config(
                    format!("{at}/type"),
                    format!("device {}: unknown type {other}", d.path),
                ));
            }
        };
        let num = |n: Option<i64>| u64::try_from(n.unwrap_or(0)).unwrap_or(0);
        let n = Node {
            kind,
            major: num(d.major),
            minor: num(d.minor),
            // Callers such as podman pass the host node's whole st_mode: the permission bits
            // are what mknod and chmod take.
            mode: d.file_mode.unwrap_or(0o666) & 0o7777,
            owner: (d.uid.unwrap_or(0), d.gid.unwrap_or(0)),
        };
        let rel = d.path.trim_start_matches('/');
        let parent = rel.rsplit_once('/').map_or("", |(p, _)| p);
        let dir =
            open_dir(root, parent).map_err(|e| e.context(&format!("device {}", d.path)).at(&at))?;
        let name = rel.rsplit('/').next().unwrap_or(rel);
        // /dev/ptmx stays the link to the container's own devpts made above, as runc leaves it
        // (privileged callers list the host's 5:2 among their devices).
        if d.path == "/dev/ptmx" && ptmx_is_link(&dir, name) {
            continue;
        }
        if stat_at(&dir, name).is_some() && !is_node(&dir, name, &n) {
            return Err(Error::refused(
                Some(at),
                format!("device {}", d.path),
                "a file that is not this device is there (config-linux.md § Devices: \
                 \"If a file already exists at path that does not match the requested device, \
                 the runtime MUST generate an error.\")",
            ));
        }
        node(&dir, &d.path, &n, userns, Some(&at))?;
    }
    Ok(())
}
