//! Namespaces (config-linux.md § Namespaces): their clone flags and `/proc/PID/ns` names,
//! joining them by path, and what the runtime writes for a new one (id maps, time offsets).

use std::fs::File;
use std::os::fd::AsFd;
use std::path::PathBuf;

use carrack_spec::runtime::NamespaceType;
use nix::sched::CloneFlags;

use crate::error::{Error, Result};

/// The clone flag of a namespace type (`None` for a type carrack does not know).
pub(crate) fn flag(t: &NamespaceType) -> Option<CloneFlags> {
    proc_name(t).map(|(_, f)| f)
}

/// The name of a namespace type under `/proc/PID/ns`, with its clone flag.
pub(crate) fn proc_name(t: &NamespaceType) -> Option<(&'static str, CloneFlags)> {
    Some(match t {
        NamespaceType::User => ("user", CloneFlags::CLONE_NEWUSER),
        NamespaceType::Ipc => ("ipc", CloneFlags::CLONE_NEWIPC),
        NamespaceType::Uts => ("uts", CloneFlags::CLONE_NEWUTS),
        NamespaceType::Network => ("net", CloneFlags::CLONE_NEWNET),
        NamespaceType::Cgroup => ("cgroup", CloneFlags::CLONE_NEWCGROUP),
        NamespaceType::Time => ("time", CloneFlags::from_bits_retain(libc::CLONE_NEWTIME)),
        NamespaceType::Mount => ("mnt", CloneFlags::CLONE_NEWNS),
        NamespaceType::Pid => ("pid", CloneFlags::CLONE_NEWPID),
        _ => return None,
    })
}

/// A namespace to join by path: its flag, its path, its index in `linux.namespaces`.
pub(crate) type Join = (CloneFlags, PathBuf, usize);

/// Opens every namespace in `join` first, as runc does (once in another user namespace init
/// may no longer open the /proc/PID/ns files of a process that is not dumpable), then joins
/// them in order, the user namespace first.
pub(crate) fn join(join: &[Join]) -> Result<()> {
    let at = |i: &usize| format!("/linux/namespaces/{i}/path");
    let files = join
        .iter()
        .map(|(kind, path, i)| {
            File::open(path)
                .map(|f| (*kind, path, i, f))
                .map_err(|e| Error::sys_at(at(i), format!("namespace {}", path.display()), e))
        })
        .collect::<Result<Vec<_>>>()?;
    for (kind, path, i, f) in &files {
        nix::sched::setns(f.as_fd(), *kind)
            .map_err(|e| Error::sys_at(at(i), format!("setns {}", path.display()), e))?;
    }
    Ok(())
}

/// Writes the id maps of `linux` for the process `pid`, just cloned into a new user namespace.
pub(crate) fn write_id_maps(pid: i32, linux: &carrack_spec::runtime::Linux) -> Result<()> {
    let fmt = |m: Option<&Vec<carrack_spec::runtime::IdMapping>>| {
        m.into_iter()
            .flatten()
            .map(|m| format!("{} {} {}\n", m.container_id, m.host_id, m.size))
            .collect::<String>()
    };
    let uid = fmt(linux.uid_mappings.as_ref());
    let gid = fmt(linux.gid_mappings.as_ref());
    let proc =
        crate::procfs::Proc::host().map_err(|e| Error::sys("opening the host's /proc", e))?;
    if !nix::unistd::geteuid().is_root() {
        // Without privilege, setgroups must be denied before gid_map can be written.
        let _ = proc.write(&format!("{pid}/setgroups"), b"deny");
    }
    if !uid.is_empty() {
        proc.write(&format!("{pid}/uid_map"), uid.as_bytes())
            .map_err(|e| Error::sys_at("/linux/uidMappings", "writing uid_map", e))?;
    }
    if !gid.is_empty() {
        proc.write(&format!("{pid}/gid_map"), gid.as_bytes())
            .map_err(|e| Error::sys_at("/linux/gidMappings", "writing gid_map", e))?;
    }
    Ok(())
}

/// Writes `linux.timeOffsets` for the children of this process, which has just unshared a
/// time namespace.
pub(crate) fn write_time_offsets(linux: &carrack_spec::runtime::Linux) -> Result<()> {
    let Some(t) = &linux.time_offsets else {
        return Ok(());
    };
    let mut out = String::new();
    for (name, o) in [("monotonic", &t.monotonic), ("boottime", &t.boottime)] {
        if let Some(o) = o {
            out.push_str(&format!(
                "{name} {} {}\n",
                o.secs.unwrap_or(0),
                o.nanosecs.unwrap_or(0)
            ));
        }
    }
    if out.is_empty() {
        return Ok(());
    }
    let proc =
        crate::procfs::Proc::host().map_err(|e| Error::sys("opening the host's /proc", e))?;
    proc.self_path("timens_offsets")
        .and_then(|p| proc.write(&p, out.as_bytes()))
        .map_err(|e| Error::sys_at("/linux/timeOffsets", "writing timens_offsets", e))
}
