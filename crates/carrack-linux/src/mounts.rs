//! Mounts (config.md § Mounts, config-linux.md): options to flags, and every destination
//! resolved inside the rootfs and mounted through its descriptor (CVE-2021-30465).

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};

use carrack_spec::runtime::Mount;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag, openat2};
use nix::mount::{MsFlags, mount};
use nix::sys::stat::Mode;

/// What a mount's options say.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) flags: MsFlags,
    pub(crate) propagation: MsFlags,
    pub(crate) data: Vec<String>,
    pub(crate) recursive_ro: bool,
}

/// Parses mount options as runc does; what is not a flag goes to the filesystem as data.
pub(crate) fn parse(options: &[String]) -> Options {
    let mut o = Options {
        flags: MsFlags::empty(),
        propagation: MsFlags::empty(),
        data: Vec::new(),
        recursive_ro: false,
    };
    for opt in options {
        let (set, clear): (MsFlags, MsFlags) = match opt.as_str() {
            "defaults" => (MsFlags::empty(), MsFlags::empty()),
            "ro" => (MsFlags::MS_RDONLY, MsFlags::empty()),
            "rw" => (MsFlags::empty(), MsFlags::MS_RDONLY),
            "nosuid" => (MsFlags::MS_NOSUID, MsFlags::empty()),
            "suid" => (MsFlags::empty(), MsFlags::MS_NOSUID),
            "nodev" => (MsFlags::MS_NODEV, MsFlags::empty()),
            "dev" => (MsFlags::empty(), MsFlags::MS_NODEV),
            "noexec" => (MsFlags::MS_NOEXEC, MsFlags::empty()),
            "exec" => (MsFlags::empty(), MsFlags::MS_NOEXEC),
            "sync" => (MsFlags::MS_SYNCHRONOUS, MsFlags::empty()),
            "async" => (MsFlags::empty(), MsFlags::MS_SYNCHRONOUS),
            "dirsync" => (MsFlags::MS_DIRSYNC, MsFlags::empty()),
            "remount" => (MsFlags::MS_REMOUNT, MsFlags::empty()),
            "mand" => (MsFlags::MS_MANDLOCK, MsFlags::empty()),
            "nomand" => (MsFlags::empty(), MsFlags::MS_MANDLOCK),
            "atime" => (MsFlags::empty(), MsFlags::MS_NOATIME),
            "noatime" => (MsFlags::MS_NOATIME, MsFlags::empty()),
            "diratime" => (MsFlags::empty(), MsFlags::MS_NODIRATIME),
            "nodiratime" => (MsFlags::MS_NODIRATIME, MsFlags::empty()),
            "relatime" => (MsFlags::MS_RELATIME, MsFlags::empty()),
            "norelatime" => (MsFlags::empty(), MsFlags::MS_RELATIME),
            "strictatime" => (MsFlags::MS_STRICTATIME, MsFlags::empty()),
            "nostrictatime" => (MsFlags::empty(), MsFlags::MS_STRICTATIME),
            "lazytime" => (MsFlags::MS_LAZYTIME, MsFlags::empty()),
            "nolazytime" => (MsFlags::empty(), MsFlags::MS_LAZYTIME),
            "silent" => (MsFlags::MS_SILENT, MsFlags::empty()),
            "loud" => (MsFlags::empty(), MsFlags::MS_SILENT),
            "bind" => (MsFlags::MS_BIND, MsFlags::empty()),
            "rbind" => (MsFlags::MS_BIND | MsFlags::MS_REC, MsFlags::empty()),
            "rro" => {
                o.recursive_ro = true;
                continue;
            }
            "private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave" | "unbindable"
            | "runbindable" => {
                o.propagation |= match opt.trim_start_matches('r') {
                    "private" => MsFlags::MS_PRIVATE,
                    "shared" => MsFlags::MS_SHARED,
                    "slave" => MsFlags::MS_SLAVE,
                    _ => MsFlags::MS_UNBINDABLE,
                };
                if opt.starts_with('r') {
                    o.propagation |= MsFlags::MS_REC;
                }
                continue;
            }
            other => {
                o.data.push(other.to_owned());
                continue;
            }
        };
        o.flags.insert(set);
        o.flags.remove(clear);
    }
    o
}

fn how(flags: OFlag, resolve: ResolveFlag) -> OpenHow {
    OpenHow::new()
        .flags(flags | OFlag::O_CLOEXEC)
        .resolve(resolve | ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS)
}

/// Opens `dest` inside `root` as an `O_PATH` handle, creating it (a directory, or an empty file
/// when `file`) and its missing parents, never leaving the root. With `no_symlinks`, no
/// component may be a symlink (for /proc and /sys: CVE-2019-19921).
pub(crate) fn open_inside(
    root: &File,
    dest: &str,
    file: bool,
    no_symlinks: bool,
) -> io::Result<File> {
    open_inside_at_depth(root, dest, file, no_symlinks, 0)
}

/// Symlinks followed while creating one destination, as the kernel's SYMLOOP_MAX.
const MAX_LINKS: u32 = 40;

/// `path` with `.` and `..` applied lexically, never above the root.
fn clean(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            p => out.push(p),
        }
    }
    out.join("/")
}

fn open_inside_at_depth(
    root: &File,
    dest: &str,
    file: bool,
    no_symlinks: bool,
    links: u32,
) -> io::Result<File> {
    let resolve = if no_symlinks {
        ResolveFlag::RESOLVE_NO_SYMLINKS
    } else {
        ResolveFlag::empty()
    };
    let rel = dest.trim_start_matches('/');
    if rel.is_empty() {
        return Ok(File::from(openat2(
            root.as_fd(),
            ".",
            how(OFlag::O_PATH, resolve),
        )?));
    }
    match openat2(root.as_fd(), rel, how(OFlag::O_PATH, resolve)) {
        Ok(fd) => return Ok(File::from(fd)),
        Err(nix::Error::ENOENT) => {}
        Err(e) => return Err(e.into()),
    }
    let parts: Vec<&str> = rel
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    // Usually only the last component is missing (dev/pts on a fresh /dev): make it from its
    // parent, then resolve the whole path again from the root, as below.
    if let [parents @ .., last] = &parts[..]
        && !parents.is_empty()
        && !parts.contains(&"..")
        && let Ok(parent) = openat2(
            root.as_fd(),
            parents.join("/").as_str(),
            how(OFlag::O_PATH, resolve),
        )
    {
        let at = File::from(parent);
        make(&at, last, file)?;
        if let Ok(fd) = openat2(root.as_fd(), rel, how(OFlag::O_PATH, resolve)) {
            return Ok(File::from(fd));
        }
    }
    let mut at = File::from(openat2(root.as_fd(), ".", how(OFlag::O_PATH, resolve))?);
    for (i, part) in parts.iter().enumerate() {
        if *part == ".." {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "'..' in a mount destination",
            ));
        }
        make(&at, part, file && i + 1 == parts.len())?;
        // Resolve again from the root: a symlink met on the way stays inside it.
        let prefix = parts[..=i].join("/");
        match openat2(root.as_fd(), prefix.as_str(), how(OFlag::O_PATH, resolve)) {
            Ok(fd) => at = File::from(fd),
            // A symlink dangling inside the root (say /var/run -> /run, with no /run yet):
            // create its target inside the root, as runc does, and go on from there.
            Err(nix::Error::ENOENT) if !no_symlinks && links < MAX_LINKS => {
                let target = nix::fcntl::readlinkat(at.as_fd(), *part)?;
                let target = target.to_string_lossy();
                let base = if target.starts_with('/') {
                    String::new()
                } else {
                    parts[..i].join("/")
                };
                let rest = parts[i + 1..].join("/");
                let next = clean(&format!("{base}/{target}/{rest}"));
                return open_inside_at_depth(root, &next, file, no_symlinks, links + 1);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(at)
}

/// Creates `name` in the directory `at`: an empty file when `file`, else a directory; one that
/// exists already is fine.
fn make(at: &File, name: &str, file: bool) -> io::Result<()> {
    let made = if file {
        nix::fcntl::openat(
            at.as_fd(),
            name,
            OFlag::O_CREAT | OFlag::O_WRONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::from_bits_truncate(0o644),
        )
        .map(drop)
    } else {
        nix::sys::stat::mkdirat(at.as_fd(), name, Mode::from_bits_truncate(0o755))
    };
    match made {
        Ok(()) | Err(nix::Error::EEXIST) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The magic-link path naming an open descriptor, to mount onto exactly that inode.
pub(crate) fn fd_path(f: &File) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", f.as_raw_fd()))
}

/// What a cgroup mount shows on v1 and hybrid hosts: the host's hierarchies and init's own
/// cgroups in them.
pub(crate) struct CgroupView<'a> {
    /// Init's /proc/self/cgroup as the host sees it (read before any cgroup namespace).
    pub(crate) own: &'a str,
    /// The hierarchies mounted under /sys/fs/cgroup.
    pub(crate) hierarchies: &'a [crate::cgroups::Hierarchy],
}

/// Mounts `m` inside the rootfs `root` (a handle of it), with bind sources relative to `bundle`;
/// new filesystems other than proc, sysfs and cgroups take the SELinux `label`, if any; cgroup
/// mounts show `cgroups`.
pub(crate) fn mount_one(
    root: &File,
    bundle: &Path,
    m: &Mount,
    label: Option<&str>,
    cgroups: &CgroupView<'_>,
) -> Result<(), String> {
    let kind = m.kind.as_deref().unwrap_or("");
    let opts = parse(m.options.as_deref().unwrap_or(&[]));
    let bind = opts.flags.contains(MsFlags::MS_BIND) || kind == "bind";
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        format!(
            "mount {} on {}: {what}: {e}",
            m.source.as_deref().unwrap_or(kind),
            m.destination
        )
    };
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
    if kind == "cgroup" || kind == "cgroup2" {
        let reopen = || open_inside(root, &m.destination, false, true);
        return mount_cgroup(&target_path, &opts, reopen, cgroups).map_err(|e| fail("cgroup", &e));
    }
    let mut flags = opts.flags;
    if bind {
        flags |= MsFlags::MS_BIND;
    }
    let mut data = opts.data.join(",");
    if let Some(l) = label.filter(|l| !l.is_empty())
        && !bind
        && !strict
    {
        if !data.is_empty() {
            data.push(',');
        }
        data.push_str(&format!("context=\"{l}\""));
    }
    let fstype = if bind { None } else { Some(kind) };
    mount(
        source.as_deref(),
        &target_path,
        fstype,
        if bind {
            flags & (MsFlags::MS_BIND | MsFlags::MS_REC)
        } else {
            flags
        },
        (!data.is_empty()).then_some(data.as_str()),
    )
    .map_err(|e| fail("mount", &e))?;
    // A new filesystem took every flag with it; what is left acts on the mount itself.
    if !bind && opts.propagation.is_empty() && !opts.recursive_ro {
        return Ok(());
    }
    // The descriptor still names the directory under the new mount: reopen to reach its root.
    let target = open_inside(root, &m.destination, is_file, strict)
        .map_err(|e| fail("reopening the destination", &e))?;
    let target_path = fd_path(&target);
    // A bind mount takes its other flags only afterwards, set on the new mount itself.
    if bind {
        let (set, clear) = attrs(flags);
        if set != 0 || clear != 0 {
            crate::sys::mount_setattr(target.as_raw_fd(), set, clear, opts.recursive_ro)
                .map_err(|e| fail("setting mount flags", &e))?;
        }
    }
    if !opts.propagation.is_empty() {
        mount(
            None::<&str>,
            &target_path,
            None::<&str>,
            opts.propagation,
            None::<&str>,
        )
        .map_err(|e| fail("propagation", &e))?;
    }
    if opts.recursive_ro {
        crate::sys::mount_setattr(target.as_raw_fd(), MOUNT_ATTR_RDONLY, 0, true)
            .map_err(|e| fail("rro", &e))?;
    }
    Ok(())
}

const MOUNT_ATTR_RDONLY: u64 = 0x1;

/// MS_* flags as mount_setattr's MOUNT_ATTR_* (to set, to clear).
fn attrs(flags: MsFlags) -> (u64, u64) {
    let mut set = 0;
    let mut clear = 0;
    for (ms, attr) in [
        (MsFlags::MS_RDONLY, MOUNT_ATTR_RDONLY),
        (MsFlags::MS_NOSUID, 0x2),
        (MsFlags::MS_NODEV, 0x4),
        (MsFlags::MS_NOEXEC, 0x8),
        (MsFlags::MS_NODIRATIME, 0x80),
    ] {
        if flags.contains(ms) {
            set |= attr;
        }
    }
    // Access times are one field: relatime is 0, noatime 0x10, strictatime 0x20.
    if flags.intersects(MsFlags::MS_NOATIME | MsFlags::MS_STRICTATIME | MsFlags::MS_RELATIME) {
        clear |= 0x70;
        if flags.contains(MsFlags::MS_NOATIME) {
            set |= 0x10;
        } else if flags.contains(MsFlags::MS_STRICTATIME) {
            set |= 0x20;
        }
    }
    (set, clear)
}

/// The container's view of cgroups: cgroup2 on a v2 host (the cgroup namespace roots it); on
/// v1 and hybrid hosts, as runc does, a tmpfs holding one directory per hierarchy with the
/// container's own cgroup of that hierarchy bound onto it, so the container sees its cgroups
/// and nothing above them. `own` is init's /proc/self/cgroup, read before it unshared the
/// cgroup namespace.
fn mount_cgroup(
    target: &Path,
    opts: &Options,
    reopen: impl Fn() -> io::Result<File>,
    view: &CgroupView<'_>,
) -> io::Result<()> {
    let flags = opts.flags & !(MsFlags::MS_BIND | MsFlags::MS_REC);
    if crate::cgroups::is_v2_host() {
        mount(Some("cgroup"), target, Some("cgroup2"), flags, None::<&str>)?;
        return Ok(());
    }
    mount(
        Some("tmpfs"),
        target,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        Some("mode=755"),
    )?;
    let dir = reopen()?;
    let (set, clear) = attrs(flags);
    for h in view.hierarchies {
        let point = h.mount_point.to_string_lossy();
        let Some(name) = point.strip_prefix("/sys/fs/cgroup/") else {
            continue;
        };
        // This hierarchy's line of /proc/self/cgroup: `ID:CONTROLLERS:PATH`.
        let path = view.own.lines().find_map(|l| {
            let mut parts = l.splitn(3, ':');
            let (_, ctl, path) = (parts.next()?, parts.next()?, parts.next()?);
            let matches = if h.v2 {
                ctl.is_empty()
            } else {
                !ctl.is_empty() && ctl.split(',').all(|c| h.has(c))
            };
            matches.then_some(path)
        });
        let Some(path) = path else {
            continue;
        };
        let rel = path
            .strip_prefix(h.root.trim_end_matches('/'))
            .unwrap_or(path)
            .trim_start_matches('/');
        let host = h.mount_point.join(rel);
        nix::sys::stat::mkdirat(dir.as_fd(), name, Mode::from_bits_truncate(0o755))?;
        if name.contains(',') {
            for part in name.split(',') {
                nix::unistd::symlinkat(name, dir.as_fd(), part)?;
            }
        }
        let sub = File::from(nix::fcntl::openat(
            dir.as_fd(),
            name,
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?);
        mount(
            Some(&host),
            &fd_path(&sub),
            None::<&str>,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None::<&str>,
        )?;
    }
    // The flags (read-only, nosuid, …) go on the tmpfs and every bind under it at once.
    crate::sys::mount_setattr(reopen()?.as_raw_fd(), set, clear, true)
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
                .and_then(|s| nix::sys::statfs::statfs(s).ok().zip(std::fs::metadata(s).ok()))
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

/// Opens an existing `path` inside `root` (`O_PATH`) through no symlink at all; `None` if it
/// does not exist. A symlink on the way fails with ELOOP.
pub(crate) fn open_existing(root: &File, path: &str) -> io::Result<Option<File>> {
    let rel = path.trim_start_matches('/');
    let h = OpenHow::new()
        .flags(OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC)
        .resolve(
            ResolveFlag::RESOLVE_IN_ROOT
                | ResolveFlag::RESOLVE_NO_MAGICLINKS
                | ResolveFlag::RESOLVE_NO_SYMLINKS,
        );
    match openat2(root.as_fd(), if rel.is_empty() { "." } else { rel }, h) {
        Ok(fd) => Ok(Some(File::from(fd))),
        Err(nix::Error::ENOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
