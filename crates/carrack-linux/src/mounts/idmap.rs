//! Idmapped bind mounts (config.md § POSIX-platform Mounts `uidMappings`/`gidMappings`, the
//! `idmap` and `ridmap` options), made as runc makes them: a detached copy of the source tree
//! (open_tree with OPEN_TREE_CLONE), given the id mappings of a user namespace made for them
//! (mount_setattr with MOUNT_ATTR_IDMAP), then moved onto the destination by init
//! (move_mount).
//!
//! `carrack create` prepares the trees before it clones init: setting an idmapping needs
//! privilege over the source's filesystem, which init no longer has once it is in the
//! container's user namespace. The descriptors are inherited by init with the clone.

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use carrack_spec::runtime::{IdMapping, Mount, NamespaceType, Spec};
use rustix::mount::{OpenTreeFlags, open_tree};

use super::options::{self, Options};
use crate::error::{Error, Result};

/// Whether `m` (with options `opts`) asks for an idmapped mount.
pub(crate) fn wanted(m: &Mount, opts: &Options) -> bool {
    opts.idmap.is_some() || m.uid_mappings.is_some() || m.gid_mappings.is_some()
}

/// One detached, idmapped tree for each mount that asks for one (`None` for the others), in the
/// order of `spec.mounts`; an empty list when none does. Bind sources are relative to `bundle`.
pub(crate) fn prepare(spec: &Spec, bundle: &Path) -> Result<Vec<Option<OwnedFd>>> {
    let mounts = spec.mounts.as_deref().unwrap_or(&[]);
    let parsed: Vec<Options> = mounts
        .iter()
        .map(|m| options::parse(m.options.as_deref().unwrap_or(&[])))
        .collect();
    if !mounts.iter().zip(&parsed).any(|(m, o)| wanted(m, o)) {
        return Ok(Vec::new());
    }
    mounts
        .iter()
        .zip(&parsed)
        .enumerate()
        .map(|(i, (m, opts))| {
            if !wanted(m, opts) {
                return Ok(None);
            }
            tree(spec, bundle, m, opts)
                .map(Some)
                .map_err(|e| e.context(&m.destination).at(format!("/mounts/{i}")))
        })
        .collect()
}

/// Where a mount's id mappings come from.
enum Mapping<'a> {
    /// Its own `uidMappings` and `gidMappings`, or the container's.
    Ids(&'a [IdMapping], &'a [IdMapping]),
    /// The container's user namespace, joined by path.
    Path(&'a str),
}

fn mapping<'a>(spec: &'a Spec, m: &'a Mount) -> std::result::Result<Mapping<'a>, &'static str> {
    match (&m.uid_mappings, &m.gid_mappings) {
        (Some(u), Some(g)) => {
            return if u.is_empty() {
                Err("uidMappings is empty")
            } else if g.is_empty() {
                Err("gidMappings is empty")
            } else {
                Ok(Mapping::Ids(u, g))
            };
        }
        (Some(_), None) => return Err("uidMappings is given without gidMappings"),
        (None, Some(_)) => return Err("gidMappings is given without uidMappings"),
        (None, None) => {}
    }
    // No mappings of its own: the container's user namespace's, as runc does (config.md: the
    // runtime MAY use them, or MUST fail).
    let linux = spec.linux.as_ref();
    let userns = linux
        .and_then(|l| l.namespaces.as_ref())
        .and_then(|ns| ns.iter().find(|n| n.kind == NamespaceType::User));
    match (userns, linux) {
        (Some(n), _) if n.path.is_some() => Ok(Mapping::Path(n.path.as_deref().unwrap_or(""))),
        (Some(_), Some(l)) if l.uid_mappings.is_some() && l.gid_mappings.is_some() => {
            Ok(Mapping::Ids(
                l.uid_mappings.as_deref().unwrap_or(&[]),
                l.gid_mappings.as_deref().unwrap_or(&[]),
            ))
        }
        _ => Err(
            "the idmap/ridmap option needs uidMappings and gidMappings on the mount, or a user \
             namespace for the container whose mappings it can take",
        ),
    }
}

const ROOT_ONLY: &str = "idmapped mounts need carrack to run as root: setting an idmapping \
                         takes privilege over the source's filesystem (runc refuses them for \
                         rootless containers too)";

/// The idmapped tree of `m`; errors are about `m`, whose pointer the caller adds.
fn tree(spec: &Spec, bundle: &Path, m: &Mount, opts: &Options) -> Result<OwnedFd> {
    use nix::mount::MsFlags;
    let refused = |reason: &str| Error::refused(None, "idmapped mount", reason);
    let bind = opts.flags.contains(MsFlags::MS_BIND) || m.kind.as_deref() == Some("bind");
    if !bind {
        return Err(refused(
            "idmapped mounts (idmap, ridmap, uidMappings, gidMappings) are made of bind mounts \
             only (add bind or rbind), as with runc",
        ));
    }
    if !nix::unistd::geteuid().is_root() {
        return Err(refused(ROOT_ONLY));
    }
    let userns = match mapping(spec, m).map_err(refused)? {
        Mapping::Ids(u, g) => user_namespace(u, g)?,
        Mapping::Path(p) => File::open(p)
            .map(OwnedFd::from)
            .map_err(|e| Error::sys(format!("the container's user namespace {p}"), e))?,
    };
    let source = PathBuf::from(m.source.as_deref().unwrap_or(""));
    let source = if source.is_relative() {
        bundle.join(source)
    } else {
        source
    };
    let mut flags = OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC;
    if opts.flags.contains(MsFlags::MS_REC) {
        flags |= OpenTreeFlags::AT_RECURSIVE;
    }
    let tree = open_tree(rustix::fs::CWD, &source, flags)
        .map_err(|e| Error::sys(format!("open_tree {}", source.display()), e))?;
    let recursive = opts.idmap == Some(true);
    crate::sys::mount_setattr_idmap(tree.as_raw_fd(), userns.as_raw_fd(), recursive).map_err(
        |e| {
            let hint = if e.raw_os_error() == Some(libc::EINVAL) {
                " (does its filesystem support idmapped mounts on this kernel?)"
            } else {
                ""
            };
            Error::sys(
                format!("setting the idmapping on {}{hint}", source.display()),
                e,
            )
        },
    )?;
    Ok(tree)
}

/// A user namespace with the `uid` and `gid` mappings (`containerID hostID size`, as a
/// container's): a child is cloned into a new one, its maps written, the namespace opened, and
/// the child let go.
fn user_namespace(uid: &[IdMapping], gid: &[IdMapping]) -> Result<OwnedFd> {
    let what = "making a user namespace for it";
    let (wait, release) = nix::unistd::pipe().map_err(|e| Error::sys(what, e))?;
    let pid = match crate::spawn::clone_checked("create", libc::CLONE_NEWUSER)? {
        crate::sys::Cloned::Child(_) => {
            drop(release);
            // Until the parent closes its end: it has opened the namespace by then.
            let _ = nix::unistd::read(wait.as_fd(), &mut [0u8; 1]);
            std::process::exit(0)
        }
        crate::sys::Cloned::Parent(pid) => pid,
    };
    drop(wait);
    let fmt = |maps: &[IdMapping]| {
        maps.iter()
            .map(|m| format!("{} {} {}\n", m.container_id, m.host_id, m.size))
            .collect::<String>()
    };
    let opened = (|| {
        let proc = crate::procfs::Proc::host()?;
        proc.write(&format!("{pid}/uid_map"), fmt(uid).as_bytes())?;
        proc.write(&format!("{pid}/gid_map"), fmt(gid).as_bytes())?;
        // A namespace link: opened by path on the host's /proc, as namespaces are joined.
        File::open(format!("/proc/{pid}/ns/user")).map(OwnedFd::from)
    })();
    drop(release);
    let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), None);
    opened.map_err(|e| Error::sys(what, e))
}
