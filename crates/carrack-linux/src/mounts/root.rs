//! The rootfs itself: kept apart from the host's mounts (config-linux.md § Rootfs Mount
//! Propagation), bound on itself so it is a mount of its own, then entered with pivot_root (or
//! chroot, without a mount namespace of its own or with `--no-pivot`).

use std::fs::File;
use std::path::Path;

use carrack_spec::runtime::RootfsPropagation;
use nix::fcntl::OFlag;
use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sys::stat::Mode;

use crate::error::{Error, Result};

const PROPAGATION: &str = "/linux/rootfsPropagation";

/// Makes every mount a slave (or private, as `propagation` asks) so nothing made from here on
/// reaches the host, and pivot_root does not meet a shared parent; then binds the rootfs on
/// itself. `shared` and `unbindable` are applied by [`enter`], once the rootfs is `/`.
pub(crate) fn isolate(rootfs: &Path, propagation: Option<&RootfsPropagation>) -> Result<()> {
    let flag = match propagation {
        Some(RootfsPropagation::Private) => MsFlags::MS_PRIVATE,
        _ => MsFlags::MS_SLAVE,
    };
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        flag | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| Error::sys_at(PROPAGATION, "making / a slave mount", e))?;
    mount(
        Some(rootfs),
        rootfs,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| Error::sys_at("/root/path", "binding the rootfs on itself", e))
}

/// A handle of the rootfs, every mount is made inside.
pub(crate) fn open(rootfs: &Path) -> Result<File> {
    nix::fcntl::open(
        rootfs,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map(File::from)
    .map_err(|e| Error::sys_at("/root/path", rootfs.display().to_string(), e))
}

/// Makes `rootfs` this process's root: pivot_root with a mount namespace of its own
/// (`own_mounts`), else chroot; with `no_pivot`, the host's procfs and sysfs are hidden and the
/// rootfs moved onto `/` first. Then `shared` or `unbindable` propagation, if asked.
pub(crate) fn enter(
    rootfs: &Path,
    own_mounts: bool,
    no_pivot: bool,
    propagation: Option<&RootfsPropagation>,
) -> Result<()> {
    let err = |what: &'static str| move |e: nix::Error| Error::sys(what, e);
    nix::unistd::chdir(rootfs).map_err(err("chdir rootfs"))?;
    if !own_mounts {
        // The host's mount namespace, as the config asks (config-linux.md: the container
        // "MUST inherit the runtime namespace"): the mounts made are the host's now (delete
        // removes them), and the root is entered with chroot, as runc does.
        nix::unistd::chroot(".").map_err(err("chroot"))?;
    } else if no_pivot {
        super::paths::hide_host_proc_and_sys(rootfs)?;
        mount(Some("."), "/", None::<&str>, MsFlags::MS_MOVE, None::<&str>)
            .map_err(err("moving the rootfs to /"))?;
        nix::unistd::chroot(".").map_err(err("chroot"))?;
    } else {
        nix::unistd::pivot_root(".", ".").map_err(err("pivot_root"))?;
        umount2(".", MntFlags::MNT_DETACH).map_err(err("detaching the old root"))?;
    }
    nix::unistd::chdir("/").map_err(err("chdir /"))?;
    let late = match propagation {
        Some(RootfsPropagation::Shared) => Some(MsFlags::MS_SHARED),
        Some(RootfsPropagation::Unbindable) => Some(MsFlags::MS_UNBINDABLE),
        _ => None,
    };
    if let Some(flag) = late
        && own_mounts
    {
        mount(
            None::<&str>,
            "/",
            None::<&str>,
            flag | MsFlags::MS_REC,
            None::<&str>,
        )
        .map_err(|e| Error::sys_at(PROPAGATION, "making / shared or unbindable", e))?;
    }
    Ok(())
}
