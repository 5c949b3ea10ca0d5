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
mod copyup;
mod data;
mod idmap;
mod options;
mod resolve;

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use carrack_spec::runtime::Mount;
use nix::fcntl::OFlag;
use nix::mount::{MsFlags, mount};
use nix::sys::stat::Mode;

pub(crate) use cgroup::CgroupView;
pub(crate) use idmap::prepare as prepare_idmapped;
pub(crate) use options::known as known_options;
pub(crate) use resolve::{open_existing, open_inside};

use options::{Options, quoted};
use resolve::clean;

/// The magic-link path naming an open descriptor, to mount onto exactly that inode.
pub(crate) fn fd_path(f: &File) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", f.as_raw_fd()))
}

/// Mounts `m` inside the rootfs `root` (a handle of it), with bind sources relative to `bundle`;
/// new filesystems other than proc, sysfs and cgroups take the SELinux `label`, if any; cgroup
/// mounts show `cgroups`. `idmapped` is the tree [`prepare_idmapped`] made for `m`, if it asks
/// for one.
pub(crate) fn mount_one(
    root: &File,
    bundle: &Path,
    m: &Mount,
    label: Option<&str>,
    cgroups: &CgroupView<'_>,
    idmapped: Option<&OwnedFd>,
) -> Result<(), String> {
    let kind = m.kind.as_deref().unwrap_or("");
    let opts = options::parse(m.options.as_deref().unwrap_or(&[]));
    let bind = opts.flags.contains(MsFlags::MS_BIND) || kind == "bind";
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        format!(
            "mount {} on {}: {what}: {e}",
            m.source.as_deref().unwrap_or(kind),
            m.destination
        )
    };
    check_options(m, kind, bind, &opts, Some(idmapped.is_some()), false)
        .map_err(|e| fail("options", &e))?;
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
        check_proc_mount(&dest, kind, bind, source.as_deref()).map_err(|e| fail("refused", &e))?;
    }
    let strict = matches!(kind, "proc" | "sysfs") || under_proc;
    let remount = opts.flags.contains(MsFlags::MS_REMOUNT);
    // A new tmpfs over an existing directory takes its mode, unless its options give one (runc).
    let covered_mode = (kind == "tmpfs" && !bind && !remount)
        .then(|| resolve::existing_dir_mode(root, &m.destination, strict))
        .flatten();
    let target =
        open_inside(root, &m.destination, is_file, strict).map_err(|e| fail("destination", &e))?;
    // Through a symlink planted in the rootfs a destination outside /proc could still land on a
    // procfs file (once /proc is mounted): refused as well.
    if !under_proc && on_procfs(&target) {
        return Err(fail(
            "refused",
            &"the destination resolves into /proc, where carrack allows no mounts but a procfs \
              at /proc and binds over the files lxcfs emulates",
        ));
    }
    let target_path = fd_path(&target);
    let reopen = || {
        // The descriptor still names the directory under the new mount: reopen to reach its
        // root.
        open_inside(root, &m.destination, is_file, strict)
            .map_err(|e| fail("reopening the destination", &e))
    };
    if kind == "cgroup" || kind == "cgroup2" {
        let reopen = || open_inside(root, &m.destination, false, true);
        cgroup::mount_cgroup(&target_path, &opts, reopen, cgroups)
            .map_err(|e| fail("cgroup", &e))?;
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
            .map_err(|e| fail("moving the idmapped mount into place", &e))?;
        } else if !remount {
            mount(
                source.as_deref(),
                &target_path,
                None::<&str>,
                opts.flags & (MsFlags::MS_BIND | MsFlags::MS_REC) | MsFlags::MS_BIND,
                None::<&str>,
            )
            .map_err(|e| fail("mount", &e))?;
        }
        set_bind_flags(&reopen()?, &opts).map_err(|e| fail("setting the mount's flags", &e))?;
    } else {
        // The covered directory, read after the tmpfs is over it.
        let covered = if opts.copy_up {
            let dir = nix::fcntl::openat(
                target.as_fd(),
                ".",
                OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| fail("tmpcopyup: opening the covered directory", &e))?;
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
                return Err(fail("mount", &data::explain_einval(kind, &opts.data)));
            }
            Err(e) => return Err(fail("mount", &e)),
        }
        if let Some(covered) = covered {
            let new = reopen()?;
            let root_dir = nix::fcntl::openat(
                new.as_fd(),
                ".",
                OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| fail("tmpcopyup: opening the tmpfs", &e))?;
            copyup::copy_dir_contents(&covered, &File::from(root_dir))
                .map_err(|e| fail("tmpcopyup", &e))?;
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
            .map_err(|e| fail("propagation", &e))?;
    }
    if opts.recursive() {
        crate::sys::mount_setattr(target.as_raw_fd(), opts.rec_set, opts.rec_clear, true)
            .map_err(|e| fail("setting recursive mount attributes", &e))?;
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
pub(crate) fn finish(root: &File, mounts: &[Mount]) -> Result<(), String> {
    for m in mounts {
        let opts = options::parse(m.options.as_deref().unwrap_or(&[]));
        if !read_only_later(m.kind.as_deref().unwrap_or(""), &opts) {
            continue;
        }
        let target = open_inside(root, &m.destination, false, false)
            .and_then(|t| crate::sys::mount_setattr(t.as_raw_fd(), options::attr::RDONLY, 0, false))
            .map_err(|e| format!("making the tmpfs on {} read-only: {e}", m.destination));
        target?;
    }
    Ok(())
}

/// Refuses what carrack cannot do as asked, before anything is mounted, naming the option.
/// The checks of every mount that need no rootfs, made by the runtime before init is cloned:
/// errors come back from `create` at once, and warnings go to the runtime's log (never to the
/// container's stderr, where init's would).
pub(crate) fn preflight(mounts: &[Mount]) -> Result<(), String> {
    for m in mounts {
        let kind = m.kind.as_deref().unwrap_or("");
        let opts = options::parse(m.options.as_deref().unwrap_or(&[]));
        let bind = opts.flags.contains(MsFlags::MS_BIND) || kind == "bind";
        check_options(m, kind, bind, &opts, None, true).map_err(|e| {
            format!(
                "mount {} on {}: options: {e}",
                m.source.as_deref().unwrap_or(kind),
                m.destination
            )
        })?;
    }
    Ok(())
}

/// `idmapped` is whether an idmapped tree was prepared (`None`: not known yet, before the
/// clone); `warn` logs what is ignored.
fn check_options(
    m: &Mount,
    kind: &str,
    bind: bool,
    opts: &Options,
    idmapped: Option<bool>,
    warn: bool,
) -> Result<(), String> {
    if bind && !opts.data.is_empty() {
        // A bind mount makes no filesystem, so filesystem data (`key=value`, such as the
        // `mode=755` runtime-tools and some callers put on binds) has nothing to configure: the
        // kernel ignores it, as runc does, and carrack says so. A bare word it does not know is
        // a mistyped option: an error naming it.
        let (settings, words): (Vec<&String>, Vec<&String>) =
            opts.data.iter().partition(|o| o.contains('='));
        if !words.is_empty() {
            let words: Vec<String> = words.into_iter().cloned().collect();
            return Err(format!(
                "unknown option{} {}: not a mount option carrack knows, and a bind mount has \
                 no filesystem to take it as data",
                if words.len() == 1 { "" } else { "s" },
                quoted(&words)
            ));
        }
        if warn {
            let settings: Vec<String> = settings.into_iter().cloned().collect();
            log::warn!(
                "mount on {}: ignoring {}: a bind mount has no filesystem to take them",
                m.destination,
                quoted(&settings)
            );
        }
    }
    if opts.copy_up && kind != "tmpfs" {
        return Err(format!(
            "tmpcopyup copies into a new tmpfs: this mount's type is {kind:?}, not \"tmpfs\""
        ));
    }
    if idmap::wanted(m, opts) && idmapped == Some(false) {
        return Err(
            "idmapped mount (idmap, ridmap, uidMappings, gidMappings): no idmapped \
                    tree was prepared for it"
                .into(),
        );
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
fn set_bind_flags(target: &File, opts: &Options) -> Result<(), String> {
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
    let current = mount_flags(target).map_err(|e| format!("{first}; statfs: {e}"))?;
    let cannot_clear = current & opts.cleared & LOCKABLE;
    if !cannot_clear.is_empty() {
        return Err(format!(
            "{first}: the options clear {}, which the source's mount has locked",
            options::flag_names(cannot_clear)
        ));
    }
    if own.intersects(ATIMES) && own & ATIMES != current & ATIMES {
        return Err(format!(
            "{first}: the source's mount has its access-time flags ({}) locked",
            options::flag_names(current & ATIMES)
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
        format!(
            "{e} (with the source's locked flags kept: {})",
            options::flag_names(locked)
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

/// The files under /proc a bind mount may cover: those lxcfs and similar tools emulate so that
/// `top`, `free` and `uptime` show the container's own figures (the list runc allows). Nothing
/// carrack writes is among them, and procfs writes never cross a mount anyway
/// ([`crate::procfs::Proc`]).
const PROC_BINDS: [&str; 11] = [
    "cpuinfo",
    "diskstats",
    "meminfo",
    "stat",
    "swaps",
    "uptime",
    "loadavg",
    "slabinfo",
    "net/dev",
    "sys/kernel/ns_last_pid",
    "sys/crypto/fips_enabled",
];

/// Mounts at or under /proc (`dest` cleaned, without its leading `/`): only a procfs (or a bind
/// of a procfs's root) on /proc itself, and binds over [`PROC_BINDS`]. Anything else could hide
/// the kernel's files behind ones the runtime would then write or trust (CVE-2019-16884,
/// CVE-2025-52881).
fn check_proc_mount(
    dest: &str,
    kind: &str,
    bind: bool,
    source: Option<&Path>,
) -> Result<(), String> {
    if dest == "proc" {
        let procfs_root = || {
            source
                .and_then(|s| {
                    nix::sys::statfs::statfs(s)
                        .ok()
                        .zip(std::fs::metadata(s).ok())
                })
                .is_some_and(|(fs, md)| {
                    use std::os::unix::fs::MetadataExt;
                    fs.filesystem_type() == nix::sys::statfs::PROC_SUPER_MAGIC && md.ino() == 1
                })
        };
        if kind == "proc" || (bind && procfs_root()) {
            return Ok(());
        }
        return Err("only a procfs may be mounted on /proc".into());
    }
    let rest = dest.strip_prefix("proc/").unwrap_or(dest);
    if bind && PROC_BINDS.contains(&rest) {
        return Ok(());
    }
    Err(format!(
        "carrack allows no mount under /proc but binds over /proc/{{{}}}: another mount there \
         could redirect what the runtime writes to procfs",
        PROC_BINDS.join(",")
    ))
}

/// Whether `f` lies on a procfs.
fn on_procfs(f: &File) -> bool {
    nix::sys::statfs::fstatfs(f)
        .is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::PROC_SUPER_MAGIC)
}
