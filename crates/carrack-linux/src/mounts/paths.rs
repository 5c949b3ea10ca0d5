//! What init does to paths of the container before pivot_root, on the container's behalf and
//! by descriptor, never through a symlink: masked paths (a checked /dev/null, a read-only
//! tmpfs), read-only paths, and, for `--no-pivot`, hiding the host's procfs and sysfs.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags, mount, umount2};

use crate::error::{Error, Result as Res};

pub(crate) const MOUNT_ATTR_RDONLY: u64 = 0x1;

/// Without pivot_root the host's mounts stay in the container's mount namespace under its
/// chroot, and a whole procfs or sysfs among them lets a process that makes a user and pid
/// namespace of its own mount a new procfs without the container's masks and read-only
/// /proc/sys (the kernel allows that when a full one is already mounted), then write the host's
/// sysctls through it (runc #2647). So every full procfs and sysfs outside the rootfs is
/// detached first (made a slave so the unmount does not propagate), or covered by a tmpfs
/// where it cannot be.
pub(crate) fn hide_host_proc_and_sys(rootfs: &Path) -> Res<()> {
    let info = crate::procfs::read("/proc/self/mountinfo")
        .map_err(|e| Error::sys("--no-pivot: reading mountinfo", e))?;
    let mut targets: Vec<PathBuf> = Vec::new();
    for line in info.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let Some(sep) = f.iter().position(|x| *x == "-") else {
            continue;
        };
        let (root, point, fstype) = (f.get(3), f.get(4), f.get(sep + 1));
        if root != Some(&"/") || !matches!(fstype, Some(&"proc") | Some(&"sysfs")) {
            continue;
        }
        let Some(point) = point.map(|p| PathBuf::from(p.replace("\\040", " "))) else {
            continue;
        };
        if !point.starts_with(rootfs) {
            targets.push(point);
        }
    }
    for p in targets {
        match mount(
            None::<&str>,
            &p,
            None::<&str>,
            MsFlags::MS_SLAVE | MsFlags::MS_REC,
            None::<&str>,
        ) {
            Ok(()) => {}
            // Gone with a parent detached before it.
            Err(nix::Error::ENOENT) | Err(nix::Error::EINVAL) => continue,
            Err(e) => return Err(Error::sys(format!("--no-pivot: hiding {}", p.display()), e)),
        }
        match umount2(&p, MntFlags::MNT_DETACH) {
            Ok(()) => {}
            Err(nix::Error::EINVAL) | Err(nix::Error::EPERM) => {
                mount(
                    Some("tmpfs"),
                    &p,
                    Some("tmpfs"),
                    MsFlags::empty(),
                    None::<&str>,
                )
                .map_err(|e| Error::sys(format!("--no-pivot: covering {}", p.display()), e))?;
            }
            Err(e) => {
                return Err(Error::sys(
                    format!("--no-pivot: detaching {}", p.display()),
                    e,
                ));
            }
        }
    }
    Ok(())
}

/// Hides `path` (inside the rootfs `root`): the container's /dev/null bound over a file
/// (checked to be the real 1:3 device, never followed: CVE-2025-31133), a read-only tmpfs over a
/// directory. A path that does not exist needs no mask; one with a symlink on the way is
/// refused, as the mask would land wherever the link points. `null` keeps the checked
/// /dev/null for the next file; `at` is the JSON pointer of the entry.
pub(crate) fn mask(root: &File, path: &str, at: &str, null: &mut Option<File>) -> Res<()> {
    let what = || format!("masking {path}");
    let Some(target) = existing(root, path, at, &what())? else {
        return Ok(());
    };
    let is_dir = target.metadata().map(|m| m.is_dir()).unwrap_or(false);
    let tp = crate::mounts::fd_path(&target);
    if is_dir {
        mount(
            Some("tmpfs"),
            &tp,
            Some("tmpfs"),
            MsFlags::MS_RDONLY,
            None::<&str>,
        )
        .map_err(|e| Error::sys_at(at, what(), e))
    } else {
        let null = match null {
            Some(n) => n,
            None => null.insert(checked_null(root).map_err(|e| e.at(at))?),
        };
        mount(
            Some(&crate::mounts::fd_path(null)),
            &tp,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|e| Error::sys_at(at, what(), e))
    }
}

/// `path` inside `root` if it exists, reached through no symlink, and not a symlink itself;
/// errors concern the config field `at`, doing `what`.
fn existing(root: &File, path: &str, at: &str, what: &str) -> Res<Option<File>> {
    let at = || (!at.is_empty()).then(|| at.to_owned());
    let found = match crate::mounts::open_existing(root, path) {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(Error::refused(
                at(),
                what,
                "a symlink on the way; refusing to follow it",
            ));
        }
        Err(source) => {
            return Err(Error::Sys {
                at: at(),
                what: what.to_owned(),
                source,
            });
        }
    };
    if let Some(f) = &found
        && f.metadata().is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err(Error::refused(
            at(),
            what,
            "it is a symlink; refusing to follow it",
        ));
    }
    Ok(found)
}

/// The container's /dev/null, checked to be the null device (1:3) before anything is masked
/// with it.
fn checked_null(root: &File) -> Res<File> {
    let n = existing(root, "/dev/null", "", "/dev/null")?
        .ok_or_else(|| Error::refused(None, "/dev/null", "missing"))?;
    let md = n.metadata().map_err(|e| Error::sys("/dev/null", e))?;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    if !md.file_type().is_char_device() || md.rdev() != nix::sys::stat::makedev(1, 3) {
        return Err(Error::refused(
            None,
            "/dev/null",
            "not the null device (1:3); refusing to mask with it",
        ));
    }
    Ok(n)
}

/// Makes `path` (inside the rootfs `root`) read-only, by a recursive bind of itself; `at` is
/// the JSON pointer of the entry.
pub(crate) fn readonly(root: &File, path: &str, at: &str) -> Res<()> {
    let what = || format!("read-only {path}");
    let Some(target) = existing(root, path, at, &what())? else {
        return Ok(());
    };
    let tp = crate::mounts::fd_path(&target);
    mount(
        Some(&tp),
        &tp,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| Error::sys_at(at, what(), e))?;
    let top = existing(root, path, at, &what())?
        .ok_or_else(|| Error::refused(Some(at.to_owned()), what(), "gone after binding it"))?;
    crate::sys::mount_setattr(top.as_raw_fd(), MOUNT_ATTR_RDONLY, 0, true)
        .map_err(|e| Error::sys_at(at, what(), e))
}
