//! CVE-2019-5736: until it execs the user's program, every process carrack puts into a
//! container (init before `start`, the process of `exec`) runs the carrack binary, and a
//! container process that may ptrace it could open that binary through /proc/PID/exe and,
//! once it is no longer busy, overwrite it on the host.
//!
//! Those processes are never dumpable, so only a container holding CAP_SYS_PTRACE in the
//! runtime's user namespace can get there: one without a user namespace of its own whose
//! capabilities include CAP_SYS_PTRACE (privileged containers). Only for those does carrack pay
//! for the full fix: before anything else it re-executes itself from a sealed memfd copy of its
//! binary, so /proc/PID/exe of everything it clones is a read-only, unlinked copy. Every other
//! start costs nothing.

use std::ffi::CString;
use std::io;
use std::os::fd::AsFd;

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

/// Whether this process already runs from a sealed copy.
pub(crate) fn running_sealed() -> bool {
    let Ok(exe) = std::fs::File::open("/proc/self/exe") else {
        return false;
    };
    nix::fcntl::fcntl(exe.as_fd(), nix::fcntl::FcntlArg::F_GET_SEALS)
        .is_ok_and(|s| s & libc::F_SEAL_WRITE != 0)
}

/// Re-executes this process, same arguments and environment, from a sealed memfd copy of its
/// binary. Returns only on failure.
pub(crate) fn reexec() -> io::Error {
    match try_reexec() {
        Ok(never) => match never {},
        Err(e) => e,
    }
}

fn try_reexec() -> io::Result<std::convert::Infallible> {
    use nix::sys::memfd::{MFdFlags, memfd_create};
    let memfd = memfd_create(
        "carrack",
        MFdFlags::MFD_CLOEXEC | MFdFlags::MFD_ALLOW_SEALING,
    )?;
    let mut copy = std::fs::File::from(memfd);
    let mut exe = std::fs::File::open("/proc/self/exe")?;
    io::copy(&mut exe, &mut copy)?;
    let seals = nix::fcntl::SealFlag::F_SEAL_SEAL
        | nix::fcntl::SealFlag::F_SEAL_SHRINK
        | nix::fcntl::SealFlag::F_SEAL_GROW
        | nix::fcntl::SealFlag::F_SEAL_WRITE;
    nix::fcntl::fcntl(copy.as_fd(), nix::fcntl::FcntlArg::F_ADD_SEALS(seals))?;
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
    Ok(nix::unistd::fexecve(copy.as_fd(), &args, &env)?)
}
