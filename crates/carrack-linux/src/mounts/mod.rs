//! Mounts (config.md § Mounts, config-linux.md): options to flags, and every destination
//! resolved inside the rootfs and mounted through its descriptor (CVE-2021-30465).
//!
//! Each mount is made as runc 1.2 makes it: a new filesystem takes its flags and data with
//! mount(2); a bind mount is made, then given its own flags with `MS_BIND | MS_REMOUNT`; then
//! come the propagation changes, in order, and the recursive attributes (`rro`, `rnosuid`, …)
//! with mount_setattr(AT_RECURSIVE). `tmpcopyup` fills a new tmpfs with what it covers
//! ([`copyup`]); idmapped binds are prepared by `carrack create` ([`idmap`]) and moved into
//! place here. Options carrack does not know are filesystem data, as runc passes them; a bind
//! mount has no filesystem to take them, so there they are refused, and when a filesystem
//! refuses its data the error names the options it refused ([`data`]).

mod cgroup;
mod checks;
mod copyup;
mod data;
mod idmap;
mod options;
pub(crate) mod paths;
mod resolve;
pub(crate) mod root;

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use carrack_spec::runtime::Mount;

use crate::error::{Error, Result};
use nix::fcntl::OFlag;
use nix::mount::{MsFlags, mount};
use nix::sys::stat::Mode;

pub(crate) use cgroup::CgroupView;
pub(crate) use checks::preflight;
pub(crate) use idmap::prepare as prepare_idmapped;
pub(crate) use options::known as known_options;
pub(crate) use resolve::{open_existing, open_inside};

use checks::{Refusal, check_options, check_proc_mount, on_procfs};
use options::Options;
use resolve::clean;

/// The magic-link path naming an open descriptor, to mount onto exactly that inode.
pub(crate) fn fd_path(f: &File) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", f.as_raw_fd()))
}

/// Mounts `m` inside the rootfs `root` (a handle of it), with bind sources relative to `bundle`;
/// new filesystems other than proc, sysfs and cgroups take the SELinux `label`, if any; cgroup
/// mounts show `cgroups`. `idmapped` is the tree [`prepare_idmapped`] made for `m`, if it asks
/// for one. `index` is `m`'s in `mounts`: errors name `/mounts/{index}`.
pub(crate) fn mount_one(
    root: &File,
    bundle: &Path,
    (index, m): (usize, &Mount),
    label: Option<&str>,
    cgroups: &CgroupView<'_>,
    idmapped: Option<&OwnedFd>,
) -> Result<()> {
    let kind = m.kind.as_deref().unwrap_or("");
    let opts = options::parse(m.options.as_deref().unwrap_or(&[]));
    let bind = opts.flags.contains(MsFlags::MS_BIND) || kind == "bind";
    let at = format!("/mounts/{index}");
    let mount_what = || {
        format!(
            "mount {} on {}",
            m.source.as_deref().unwrap_or(kind),
            m.destination
        )
    };
    let sys = |what: &str, e: std::io::Error| {
        Error::sys_at(at.clone(), format!("{}: {what}", mount_what()), e)
    };
    check_options(m, kind, bind, &opts, Some(idmapped.is_some()), false)
        .map_err(|e| e.into_error(&at, &mount_what()))?;
    let source: Option<PathBuf> = m.source.as_ref().map(|s| {
        let p = PathBuf::from(s);
        if bind && p.is_relative() {
            bundle.join(p)
        } else {
            p
        }
    });
    let is_file = bind
        && source
            .as_ref()
            .and_then(|s| std::fs::metadata(s).ok())
            .is_some_and(|md| !md.is_dir());
    let dest = clean(&m.destination);
    let under_proc = dest == "proc" || dest.starts_with("proc/");
    if under_proc {
        check_proc_mount(&dest, kind, bind, source.as_deref())
            .map_err(|e| e.into_error(&at, &mount_what()))?;
    }
    let strict = matches!(kind, "proc" | "sysfs") || under_proc;
    let remount = opts.flags.contains(MsFlags::MS_REMOUNT);
    // A new tmpfs over an existing directory takes its mode, unless its options give one (runc).
    let covered_mode = (kind == "tmpfs" && !bind && !remount)
        .then(|| resolve::existing_dir_mode(root, &m.destination, strict))
        .flatten();
    let target =
        open_inside(root, &m.destination, is_file, strict).map_err(|e| sys("destination", e))?;
    // Through a symlink planted in the rootfs a destination outside /proc could still land on a
    // procfs file (once /proc is mounted): refused as well.
    if !under_proc && on_procfs(&target) {
        return Err(Refusal::Destination(
            "the destination resolves into /proc, where carrack allows no mounts but a procfs \
             at /proc and binds over the files lxcfs emulates"
                .into(),
        )
        .into_error(&at, &mount_what()));
    }
    let target_path = fd_path(&target);
    let reopen = || {
        // The descriptor still names the directory under the new mount: reopen to reach its
        // root.
        open_inside(root, &m.destination, is_file, strict)
            .map_err(|e| sys("reopening the destination", e))
    };
    if kind == "cgroup" || kind == "cgroup2" {
        let reopen = || open_inside(root, &m.destination, false, true);
        cgroup::mount_cgroup(&target_path, &opts, reopen, cgroups).map_err(|e| sys("cgroup", e))?;
    } else if bind {
        if let Some(tree) = idmapped.filter(|_| !remount) {
            use rustix::mount::{MoveMountFlags, move_mount};
            move_mount(
                tree,
                "",
                &target,
                "",
                MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH,
            )
            .map_err(|e| sys("moving the idmapped mount into place", e.into()))?;
        } else if !remount {
            mount(
                source.as_deref(),
                &target_path,
                None::<&str>,
                opts.flags & (MsFlags::MS_BIND | MsFlags::MS_REC) | MsFlags::MS_BIND,
                None::<&str>,
            )
            .map_err(|e| sys("mount", e.into()))?;
        }
        set_bind_flags(&reopen()?, &opts).map_err(|e| {
            e.context(&format!("{}: setting the mount's flags", mount_what()))
                .at(&at)
        })?;
    } else {
        // The covered directory, read after the tmpfs is over it.
        let covered = if opts.copy_up {
            let dir = nix::fcntl::openat(
                target.as_fd(),
                ".",
                OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| sys("tmpcopyup: opening the covered directory", e.into()))?;
            Some(File::from(dir))
        } else {
            None
        };
        let mut flags = opts.flags;
        if read_only_later(kind, &opts) {
            // Files are made in it first (devices in /dev, submounts' mount points, tmpcopyup):
            // made read-only by `finish`, as runc does.
            flags.remove(MsFlags::MS_RDONLY);
        }
        let mut data = covered_mode.map_or(String::new(), |mode| format!("mode={mode:04o}"));
        for d in &opts.data {
            if !data.is_empty() {
                data.push(',');
            }
            data.push_str(d);
        }
        if let Some(l) = label.filter(|l| !l.is_empty())
            && !strict
        {
            if !data.is_empty() {
                data.push(',');
            }
            data.push_str(&format!("context=\"{l}\""));
        }
        let made = mount(
            source.as_deref(),
            &target_path,
            Some(kind),
            flags,
            (!data.is_empty()).then_some(data.as_str()),
        );
        match made {
            Ok(()) => {}
            Err(nix::Error::EINVAL) if !opts.data.is_empty() => {
                return Err(Error::sys_at(
                    format!("{at}/options"),
                    format!(
                        "{}: mount: {}",
                        mount_what(),
                        data::explain_einval(kind, &opts.data)
                    ),
                    nix::Error::EINVAL,
                ));
            }
            Err(e) => return Err(sys("mount", e.into())),
        }
        if let Some(covered) = covered {
            let new = reopen()?;
            let root_dir = nix::fcntl::openat(
                new.as_fd(),
                ".",
                OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| sys("tmpcopyup: opening the tmpfs", e.into()))?;
            copyup::copy_dir_contents(&covered, &File::from(root_dir))
                .map_err(|e| e.context(&format!("{}: tmpcopyup", mount_what())).at(&at))?;
        }
        // A new filesystem took every flag with it; what is left acts on the mount itself.
        if opts.propagation.is_empty() && !opts.recursive() {
            return Ok(());
        }
    }
    let target = reopen()?;
    let target_path = fd_path(&target);
    for p in &opts.propagation {
        mount(None::<&str>, &target_path, None::<&str>, *p, None::<&str>)
            .map_err(|e| sys("propagation", e.into()))?;
    }
    if opts.recursive() {
        crate::sys::mount_setattr(target.as_raw_fd(), opts.rec_set, opts.rec_clear, true)
            .map_err(|e| sys("setting recursive mount attributes", e))?;
    }
    Ok(())
}

/// Whether `ro` on this mount waits for [`finish`]: a new tmpfs is written into after it is
/// mounted (runc mounts every tmpfs read-write, and remounts it read-only at the end).
fn read_only_later(kind: &str, opts: &Options) -> bool {
    kind == "tmpfs"
        && opts.flags.contains(MsFlags::MS_RDONLY)
        && !opts
            .flags
            .intersects(MsFlags::MS_BIND | MsFlags::MS_REMOUNT)
}

/// Once every mount is made and /dev is filled: makes read-only the tmpfs mounts that asked
/// for `ro` (the mount now at each one's destination, as runc finds it).
pub(crate) fn finish(root: &File, mounts: &[Mount]) -> Result<()> {
    for (i, m) in mounts.iter().enumerate() {
        let opts = options::parse(m.options.as_deref().unwrap_or(&[]));
        if !read_only_later(m.kind.as_deref().unwrap_or(""), &opts) {
            continue;
        }
        let target = open_inside(root, &m.destination, false, false)
            .and_then(|t| crate::sys::mount_setattr(t.as_raw_fd(), options::attr::RDONLY, 0, false))
            .map_err(|e| {
                Error::sys_at(
                    format!("/mounts/{i}"),
                    format!("making the tmpfs on {} read-only", m.destination),
                    e,
                )
            });
        target?;
    }
    Ok(())
}

/// Lockable flags: those a mount made in a less privileged user namespace inherits and may not
/// drop (the kernel's MNT_LOCK_*).
const LOCKABLE: MsFlags = MsFlags::MS_RDONLY
    .union(MsFlags::MS_NODEV)
    .union(MsFlags::MS_NOEXEC)
    .union(MsFlags::MS_NOSUID)
    .union(ATIMES);

/// The access-time flags.
const ATIMES: MsFlags = MsFlags::MS_NOATIME
    .union(MsFlags::MS_RELATIME)
    .union(MsFlags::MS_STRICTATIME)
    .union(MsFlags::MS_NODIRATIME);

/// A bind mount's own flags, set as runc sets them ("mount --bind -o …"): when the options name
/// any flag at all, the mount gets exactly the flags they set (`MS_BIND | MS_REMOUNT`; access
/// times kept unless named). When the kernel refuses because some of the source's flags are
/// locked (it belongs to a more privileged user namespace), those are kept and it is tried
/// again, unless the options asked to clear one of them.
fn set_bind_flags(target: &File, opts: &Options) -> Result<()> {
    let own = opts.flags - (MsFlags::MS_BIND | MsFlags::MS_REC | MsFlags::MS_REMOUNT);
    if own.is_empty() && opts.cleared.is_empty() {
        return Ok(());
    }
    let path = fd_path(target);
    let flags = own | MsFlags::MS_BIND | MsFlags::MS_REMOUNT;
    let first = match mount(None::<&str>, &path, None::<&str>, flags, None::<&str>) {
        Ok(()) => return Ok(()),
        Err(e) => e,
    };
    let current =
        mount_flags(target).map_err(|e| Error::sys(format!("remount ({first}); statfs"), e))?;
    let cannot_clear = current & opts.cleared & LOCKABLE;
    if !cannot_clear.is_empty() {
        return Err(Error::sys(
            format!(
                "the options clear {}, which the source's mount has locked",
                options::flag_names(cannot_clear)
            ),
            first,
        ));
    }
    if own.intersects(ATIMES) && own & ATIMES != current & ATIMES {
        return Err(Error::sys(
            format!(
                "the source's mount has its access-time flags ({}) locked",
                options::flag_names(current & ATIMES)
            ),
            first,
        ));
    }
    let locked = current & LOCKABLE;
    mount(
        None::<&str>,
        &path,
        None::<&str>,
        flags | locked,
        None::<&str>,
    )
    .map_err(|e| {
        Error::sys(
            format!(
                "remount with the source's locked flags kept ({})",
                options::flag_names(locked)
            ),
            e,
        )
    })
}

/// The flags of the mount `f` is on, as MS_* (from statfs, as runc reads them).
fn mount_flags(f: &File) -> std::io::Result<MsFlags> {
    use rustix::fs::StatVfsMountFlags as St;
    let st = rustix::fs::fstatvfs(f)?.f_flag;
    let mut flags = MsFlags::empty();
    for (s, ms) in [
        (St::RDONLY, MsFlags::MS_RDONLY),
        (St::NOSUID, MsFlags::MS_NOSUID),
        (St::NODEV, MsFlags::MS_NODEV),
        (St::NOEXEC, MsFlags::MS_NOEXEC),
        (St::MANDLOCK, MsFlags::MS_MANDLOCK),
        (St::SYNCHRONOUS, MsFlags::MS_SYNCHRONOUS),
        (St::NOATIME, MsFlags::MS_NOATIME),
        (St::NODIRATIME, MsFlags::MS_NODIRATIME),
        (St::RELATIME, MsFlags::MS_RELATIME),
    ] {
        if st.contains(s) {
            flags |= ms;
        }
    }
    // ST_NOSYMFOLLOW (Linux 5.10), which rustix does not name.
    if st.bits() & 0x2000 != 0 {
        flags |= options::MS_NOSYMFOLLOW;
    }
    // No flag says strictatime: it is what is left when neither noatime nor relatime is set.
    if !flags.intersects(MsFlags::MS_NOATIME | MsFlags::MS_RELATIME) {
        flags |= MsFlags::MS_STRICTATIME;
    }
    Ok(flags)
}
