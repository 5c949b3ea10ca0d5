//! CVE-2019-5736: until it execs the user's program, every process carrack puts into a
//! container (init before `start`, the process of `exec`) runs the binary of the program that
//! created it. The container can reach that binary through `/proc/self/exe` two ways:
//!
//! 1. the program the process execs may be a script whose interpreter is `/proc/self/exe` (or a
//!    symlink to it): the kernel resolves that while the process is still carrack, so carrack's
//!    own binary runs inside the container, dumpable, with the container's libraries and
//!    environment, and a handle on `/proc/self/exe` kept from there writes the binary on the
//!    host once carrack has exited;
//! 2. another process of the container opens `/proc/PID/exe` of the carrack process: refused
//!    while that process is not dumpable, unless the container holds CAP_SYS_PTRACE in the
//!    user namespace that owns it (no user namespace of its own).
//!
//! The first is closed cheaply for every container: the process execs its program through the
//! sealed trampoline ([`crate::spawn::trampoline`], ~0.1 ms), so whatever `/proc/self/exe` resolves to
//! during that exec is a sealed memfd that can only exec what it is told. The second, and the
//! cases the trampoline cannot cover (LSM exec labels, which would go to the trampoline;
//! startContainer hooks, exec'd from init), need the process itself to run from a binary no one
//! can write ([`Plan::ReExec`]): carrack re-executes itself through an overlayfs made for the
//! purpose — `fsopen` of an overlay whose only layers are the binary's directory and another
//! directory, mounted read-only and detached (it exists in no mount namespace, so no process can
//! remount it, an overlay without an upper layer cannot be written at all, and even
//! `/proc/PID/map_files` opens it read-only). The binary is opened through it and run with
//! `execveat`: `/proc/self/exe` of everything carrack then clones names a file on that mount,
//! and opening it for writing fails with EROFS. Nothing is copied. Where overlayfs cannot be
//! mounted (a kernel without it, a caller without CAP_SYS_ADMIN) the binary is copied into a
//! sealed memfd instead (`F_SEAL_WRITE`, `F_SEAL_SHRINK`, `F_SEAL_GROW`, `F_SEAL_SEAL`), as
//! runc 1.1 and crun do. That costs ~0.9 ms here (the start of a 12 MB program), hence only
//! where it is needed.
//!
//! A binary on a read-only mount (an immutable /usr, or a process already re-executed) and one
//! in a sealed memfd need nothing. Neither does a container with a user namespace of its own in
//! which no id can write the binary: its root is an unprivileged id on the host, and
//! CAP_DAC_OVERRIDE in a user namespace covers only files whose owner and group are mapped
//! there.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use carrack_spec::runtime::{Capability, IdMapping, NamespaceType, Process, Spec};
use rustix::fs::{Mode, OFlags, SealFlags};
use rustix::mount::{FsMountFlags, FsOpenFlags, MountAttrFlags};

/// How this process protects its binary from the containers it creates (CVE-2019-5736).
///
/// ```
/// use carrack_linux::Sealing;
/// // A program that can start over from its arguments, like the `carrack` binary:
/// let sealing = Sealing::ReExec;
/// # let _ = sealing;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Sealing {
    /// Exec each container's program through the sealed trampoline, and where that is not
    /// enough (a container holding CAP_SYS_PTRACE without a user namespace of its own, LSM exec
    /// labels, startContainer hooks) re-execute the calling program through a read-only view of its
    /// binary (or a sealed copy) before the first container process is cloned. For programs
    /// whose work starts over cleanly from their arguments and environment, like the `carrack`
    /// binary: the calling process is replaced then.
    ReExec,
    /// Exec each container's program through the sealed trampoline, and refuse a container
    /// that needs more (see [`Sealing::ReExec`]) while the calling program's binary could be written
    /// from inside it (the default: a library must not replace its caller's process). Run the
    /// program from a read-only location, or use [`Sealing::ReExec`].
    #[default]
    Require,
    /// Do nothing: only for images and configs you trust completely. A container that runs
    /// `/proc/self/exe` can then overwrite the calling program's binary on the host.
    Off,
}

/// Whether a container built from `spec` could write this process's binary from inside: true
/// unless the container has a user namespace of its own that maps neither the binary's owner
/// nor (when the group may write it) its group, and the binary is not writable by everyone.
pub(crate) fn needed(spec: &Spec) -> bool {
    let linux = spec.linux.as_ref();
    let own_userns = linux.and_then(|l| l.namespaces.as_ref()).is_some_and(|n| {
        n.iter()
            .any(|n| n.kind == NamespaceType::User && n.path.is_none())
    });
    if !own_userns {
        return true;
    }
    let Ok(st) = rustix::fs::stat("/proc/self/exe") else {
        return true;
    };
    let mapped = |maps: Option<&Vec<IdMapping>>, id: u32| {
        maps.into_iter()
            .flatten()
            .any(|m| id >= m.host_id && u64::from(id) < u64::from(m.host_id) + u64::from(m.size))
    };
    let uid_maps = linux.and_then(|l| l.uid_mappings.as_ref());
    let gid_maps = linux.and_then(|l| l.gid_mappings.as_ref());
    st.st_mode & 0o002 != 0
        || mapped(uid_maps, st.st_uid)
        || (st.st_mode & 0o020 != 0 && mapped(gid_maps, st.st_gid))
}

/// How a container's processes are kept from this program's binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Nothing to do: the binary is out of their reach already.
    Nothing,
    /// The process execs its program through the sealed trampoline ([`crate::spawn::trampoline`]):
    /// enough when nothing in the container can open the process's `/proc/PID/exe` before
    /// that exec (it is not dumpable, and the container has no CAP_SYS_PTRACE over it) and
    /// nothing but the program is exec'd from it.
    Trampoline,
    /// This program re-executes from a sealed view of its binary first ([`reexec`]): for a
    /// container without a user namespace of its own whose processes hold CAP_SYS_PTRACE (they
    /// can open `/proc/PID/exe` of a process that is not dumpable), for LSM exec labels (the
    /// label would go to the trampoline), and for startContainer hooks (exec'd from init).
    ReExec,
}

/// What protects the binary for a container built from `spec` that runs `process` (`exec`'s,
/// or the config's when `None`).
pub(crate) fn plan(spec: &Spec, process: Option<&Process>) -> Plan {
    if !needed(spec) || running_sealed() {
        return Plan::Nothing;
    }
    let own_userns = spec
        .linux
        .as_ref()
        .and_then(|l| l.namespaces.as_ref())
        .is_some_and(|n| n.iter().any(|n| n.kind == NamespaceType::User));
    let ptrace = |p: &Process| {
        p.capabilities.as_ref().is_some_and(|c| {
            [
                &c.bounding,
                &c.effective,
                &c.permitted,
                &c.ambient,
                &c.inheritable,
            ]
            .into_iter()
            .flatten()
            .flatten()
            .any(|c| *c == Capability::SysPtrace)
        })
    };
    let labels = |p: &Process| {
        p.apparmor_profile.as_ref().is_some_and(|l| !l.is_empty())
            || p.selinux_label.as_ref().is_some_and(|l| !l.is_empty())
    };
    let processes = spec.process.iter().chain(process);
    let start_hooks = spec
        .hooks
        .as_ref()
        .and_then(|h| h.start_container.as_ref())
        .is_some_and(|h| !h.is_empty());
    let full = !crate::spawn::trampoline::AVAILABLE
        || start_hooks
        || processes.clone().any(labels)
        || (!own_userns && processes.clone().any(ptrace));
    if full { Plan::ReExec } else { Plan::Trampoline }
}

/// Whether this process's binary is already out of a container's reach: on a read-only mount
/// (an immutable /usr, or the overlay this module makes) or in a sealed memfd.
pub(crate) fn running_sealed() -> bool {
    let Ok(exe) = rustix::fs::open(
        "/proc/self/exe",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    ) else {
        return false;
    };
    if rustix::fs::fstatvfs(&exe)
        .is_ok_and(|s| s.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY))
    {
        return true;
    }
    rustix::fs::fcntl_get_seals(&exe).is_ok_and(|s| s.contains(MEMFD_SEALS))
}

const MEMFD_SEALS: SealFlags = SealFlags::SEAL
    .union(SealFlags::SHRINK)
    .union(SealFlags::GROW)
    .union(SealFlags::WRITE);

/// Re-executes this process, same arguments and environment, from a sealed view of its binary:
/// a detached read-only overlayfs whose layers are the binary's directory and a second directory
/// (`scratch`, else /run, /var/tmp or /tmp: overlayfs wants two layers when it has no upper one,
/// and refuses layers nested in each other; the binary's directory lies above, so nothing in the
/// second can hide the binary), else a sealed memfd copy. Returns only on failure.
pub(crate) fn reexec(scratch: &Path) -> io::Error {
    let exe = match overlay_view(scratch) {
        Ok(f) => f,
        Err(overlay) => match memfd_copy() {
            Ok(f) => f,
            Err(e) => {
                return io::Error::new(e.kind(), format!("overlayfs: {overlay}; sealed copy: {e}"));
            }
        },
    };
    let args: Result<Vec<CString>, _> = std::env::args_os()
        .map(|a| CString::new(a.into_encoded_bytes()))
        .collect();
    let env: Result<Vec<CString>, _> = std::env::vars_os()
        .map(|(k, v)| {
            let mut kv = k.into_encoded_bytes();
            kv.push(b'=');
            kv.extend(v.into_encoded_bytes());
            CString::new(kv)
        })
        .collect();
    let (Ok(args), Ok(env)) = (args, env) else {
        return io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in argv or environ");
    };
    match nix::unistd::execveat(
        exe.as_fd(),
        c"",
        &args,
        &env,
        nix::fcntl::AtFlags::AT_EMPTY_PATH,
    ) {
        Ok(never) => match never {},
        Err(e) => io::Error::from(e),
    }
}

/// The binary opened through a new detached, read-only overlayfs of its directory.
fn overlay_view(scratch: &Path) -> io::Result<OwnedFd> {
    let exe = std::fs::read_link("/proc/self/exe")?;
    let (Some(dir), Some(name)) = (exe.parent(), exe.file_name()) else {
        return Err(io::Error::other("the binary has no directory"));
    };
    if name.as_encoded_bytes().ends_with(b" (deleted)") {
        return Err(io::Error::other("the binary was deleted"));
    }
    let scratch = std::fs::canonicalize(scratch).unwrap_or_else(|_| scratch.to_path_buf());
    let empty = [
        scratch.as_path(),
        Path::new("/run"),
        Path::new("/var/tmp"),
        Path::new("/tmp"),
    ]
    .into_iter()
    .find(|d| d.is_dir() && !d.starts_with(dir) && !dir.starts_with(d))
    .ok_or_else(|| io::Error::other("no second layer beside the binary's directory"))?;
    let escape = |p: &Path| {
        p.to_string_lossy()
            .replace('\\', "\\\\")
            .replace(':', "\\:")
    };
    let ctx = rustix::mount::fsopen("overlay", FsOpenFlags::FSOPEN_CLOEXEC)?;
    // The binary's directory on top, so nothing in `empty` can hide the binary.
    let lower = format!("{}:{}", escape(dir), escape(empty));
    rustix::mount::fsconfig_set_string(&ctx, "lowerdir", lower.as_str())?;
    // Opportunistic: the inode number scheme is of no interest here, and xino=auto would only
    // log to dmesg when the layers are on different filesystems.
    let _ = rustix::mount::fsconfig_set_string(&ctx, "xino", "off");
    rustix::mount::fsconfig_create(&ctx)?;
    let mnt = rustix::mount::fsmount(
        &ctx,
        FsMountFlags::FSMOUNT_CLOEXEC,
        MountAttrFlags::MOUNT_ATTR_RDONLY
            | MountAttrFlags::MOUNT_ATTR_NODEV
            | MountAttrFlags::MOUNT_ATTR_NOSUID,
    )?;
    Ok(rustix::fs::openat(
        &mnt,
        name,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// A copy of the binary in a memfd, sealed against any change.
fn memfd_copy() -> io::Result<OwnedFd> {
    let mut src = File::open("/proc/self/exe")?;
    let fd = rustix::fs::memfd_create(
        "carrack-sealed",
        rustix::fs::MemfdFlags::CLOEXEC | rustix::fs::MemfdFlags::ALLOW_SEALING,
    )?;
    let mut dst = File::from(fd);
    io::copy(&mut src, &mut dst)?;
    rustix::fs::fchmod(&dst, Mode::from_raw_mode(0o555))?;
    // F_SEAL_EXEC (Linux 6.3) keeps the mode as it is; older kernels lack it.
    let _ = rustix::fs::fcntl_add_seals(&dst, SealFlags::EXEC);
    rustix::fs::fcntl_add_seals(&dst, MEMFD_SEALS)?;
    // execve refuses a file open for writing (ETXTBSY): keep only a path handle on it.
    let path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&dst));
    Ok(rustix::fs::open(
        path.as_str(),
        OFlags::PATH | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}
