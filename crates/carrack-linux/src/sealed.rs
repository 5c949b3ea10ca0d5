//! CVE-2019-5736: until it execs the user's program, every process carrack puts into a
//! container (init before `start`, the process of `exec`) runs the carrack binary, and a
//! container process that may ptrace it could open that binary through /proc/PID/exe and,
//! once it is no longer busy, overwrite it on the host.
//!
//! Those processes are never dumpable, so only a container holding CAP_SYS_PTRACE in the
//! runtime's user namespace can get there: one without a user namespace of its own whose
//! capabilities include CAP_SYS_PTRACE (privileged containers). Only for those does carrack pay
//! for the full fix, and only when its binary is writable at all: before anything else it moves
//! into a mount namespace of its own (a slave of the host's, so nothing it mounts reaches the
//! host), binds its binary read-only onto itself there and re-executes through that mount.
//! /proc/PID/exe of everything it clones then names a file on a read-only mount that exists
//! only in that namespace — opening it for writing fails with EROFS, and no container process
//! can remount it, since mount(2) acts only on mounts of the caller's own namespace. This costs
//! an unshare, two mounts and an execve (~1 ms), where a sealed memfd copy (runc 1.1) costs a
//! copy of the whole binary on every start (~140 ms for this 93 MB debug-info build).

use std::ffi::CString;
use std::io;

use carrack_spec::runtime::{Capability, NamespaceType, Process, Spec};

/// Whether a container built from `spec`, running `process`, could reach carrack's binary.
pub(crate) fn needed(spec: &Spec, process: Option<&Process>) -> bool {
    let own_userns = spec
        .linux
        .as_ref()
        .and_then(|l| l.namespaces.as_ref())
        .is_some_and(|n| n.iter().any(|n| n.kind == NamespaceType::User));
    if own_userns {
        return false;
    }
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
    spec.process.as_ref().is_some_and(ptrace) || process.is_some_and(ptrace)
}

/// Whether this process's binary is already out of a container's reach: on a read-only mount
/// (an immutable /usr, or the bind this module makes).
pub(crate) fn running_sealed() -> bool {
    nix::sys::statvfs::statvfs("/proc/self/exe")
        .is_ok_and(|s| s.flags().contains(nix::sys::statvfs::FsFlags::ST_RDONLY))
}

/// Re-executes this process, same arguments and environment, through a read-only bind of its
/// binary in a mount namespace of its own. Returns only on failure.
pub(crate) fn reexec() -> io::Error {
    match try_reexec() {
        Ok(never) => match never {},
        Err(e) => e,
    }
}

fn try_reexec() -> io::Result<std::convert::Infallible> {
    use nix::mount::{MsFlags, mount};
    let exe = std::fs::read_link("/proc/self/exe")?;
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)?;
    // Slave: host mounts still arrive, ours (the bind below) never leave.
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_SLAVE | MsFlags::MS_REC,
        None::<&str>,
    )?;
    mount(
        Some(&exe),
        &exe,
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )?;
    mount(
        None::<&str>,
        &exe,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
        None::<&str>,
    )?;
    let args: Vec<CString> = std::env::args_os()
        .map(|a| CString::new(a.into_encoded_bytes()))
        .collect::<Result<_, _>>()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let env: Vec<CString> = std::env::vars_os()
        .map(|(k, v)| {
            let mut kv = k.into_encoded_bytes();
            kv.push(b'=');
            kv.extend(v.into_encoded_bytes());
            CString::new(kv)
        })
        .collect::<Result<_, _>>()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let path = CString::new(exe.into_os_string().into_encoded_bytes())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    Ok(nix::unistd::execve(&path, &args, &env)?)
}
