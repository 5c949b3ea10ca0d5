//! cgroup mounts: cgroup2 on a v2 host; on v1 and hybrid hosts a tmpfs with the container's
//! own cgroup of each hierarchy bound into it, as runc makes them.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::path::Path;

use nix::fcntl::OFlag;
use nix::mount::{MsFlags, mount};
use nix::sys::stat::Mode;

use super::fd_path;
use super::options::{Options, attrs};

/// What a cgroup mount shows on v1 and hybrid hosts: the host's hierarchies and init's own
/// cgroups in them.
pub(crate) struct CgroupView<'a> {
    /// Init's /proc/self/cgroup as the host sees it (read before any cgroup namespace).
    pub(crate) own: &'a str,
    /// The hierarchies mounted under /sys/fs/cgroup.
    pub(crate) hierarchies: &'a [carrack_cgroups::Hierarchy],
}

/// The container's view of cgroups: cgroup2 on a v2 host (the cgroup namespace roots it); on
/// v1 and hybrid hosts, as runc does, a tmpfs holding one directory per hierarchy with the
/// container's own cgroup of that hierarchy bound onto it, so the container sees its cgroups
/// and nothing above them. `own` is init's /proc/self/cgroup, read before it unshared the
/// cgroup namespace.
pub(crate) fn mount_cgroup(
    target: &Path,
    opts: &Options,
    reopen: impl Fn() -> io::Result<File>,
    view: &CgroupView<'_>,
) -> io::Result<()> {
    let flags = opts.flags & !(MsFlags::MS_BIND | MsFlags::MS_REC);
    if carrack_cgroups::is_v2_host() {
        let data = opts.data.join(",");
        mount(
            Some("cgroup"),
            target,
            Some("cgroup2"),
            flags,
            (!data.is_empty()).then_some(data.as_str()),
        )?;
        return Ok(());
    }
    if !opts.data.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "unknown option(s) {}: on a cgroup v1 host the cgroup mount is a tmpfs of binds, \
                 which takes no filesystem data",
                super::options::quoted(&opts.data)
            ),
        ));
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
