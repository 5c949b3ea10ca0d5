//! What `create` checks in a config before anything is cloned, beyond carrack-spec's rules:
//! what the host can honour (LSM labels, seccomp), personality, and which sysctls a container
//! may set.

use std::fs;
use std::path::Path;

use carrack_platform::{Error, Result};
use carrack_spec::runtime::{NamespaceType, Spec};

/// Whether `r` asks for anything (runc's rootless spec carries an empty `resources` or only
/// the devices rules, which a user namespace enforces by itself: no mknod).
pub(super) fn has_limits(r: &carrack_spec::runtime::Resources) -> bool {
    r.memory.is_some()
        || r.cpu.is_some()
        || r.pids.is_some()
        || r.block_io.is_some()
        || r.hugepage_limits.as_ref().is_some_and(|h| !h.is_empty())
        || r.network.is_some()
        || r.rdma.as_ref().is_some_and(|m| !m.is_empty())
        || r.unified.as_ref().is_some_and(|m| !m.is_empty())
}

/// The process's LSM labels and the compiled seccomp filter, checked before anything is cloned
/// so a config the host cannot honour fails `create` cleanly.
pub(crate) fn confinement(
    spec: &Spec,
    process: &carrack_spec::runtime::Process,
    config_path: &Path,
) -> Result<(crate::lsm::Labels, Option<crate::seccomp::Filter>)> {
    let linux = spec.linux.as_ref();
    let bad = |reason: String| Error::Config {
        path: config_path.to_path_buf(),
        reason,
    };
    if let Some(u) = &process.user {
        // (uid_t)-1 is no id: setresuid(2) takes it as "leave unchanged" and the process would
        // stay root (the CVE-2024-40635 class).
        let ids = u
            .uid
            .iter()
            .chain(&u.gid)
            .chain(u.additional_gids.iter().flatten());
        if let Some(id) = ids.into_iter().find(|id| **id == u32::MAX) {
            return Err(bad(format!(
                "process.user: {id} is (uid_t)-1, which set*id(2) read as \"unchanged\", not an id"
            )));
        }
    }
    let labels = crate::lsm::Labels::check(process, linux.and_then(|l| l.mount_label.as_deref()))
        .map_err(bad)?;
    let seccomp = match linux.and_then(|l| l.seccomp.as_ref()) {
        Some(s) => Some(crate::seccomp::compile(s).map_err(bad)?),
        None => None,
    };
    Ok((labels, seccomp))
}

/// `linux.personality` as personality(2) takes it: LINUX or LINUX32, and no flags (none are
/// defined), as runc accepts.
pub(super) fn persona(
    linux: &carrack_spec::runtime::Linux,
) -> std::result::Result<Option<libc::c_ulong>, String> {
    use carrack_spec::runtime::PersonalityDomain;
    let Some(p) = &linux.personality else {
        return Ok(None);
    };
    if let Some(f) = p.flags.as_ref().and_then(|f| f.first()) {
        return Err(format!(
            "linux.personality.flags: {f:?} is not a flag carrack knows (config-linux.md § \
             Personality defines none)"
        ));
    }
    match &p.domain {
        None => Ok(None),
        Some(PersonalityDomain::Linux) => Ok(Some(0x0000)),
        Some(PersonalityDomain::Linux32) => Ok(Some(0x0008)),
        Some(other) => Err(format!(
            "linux.personality.domain: {other} is not LINUX or LINUX32 (config-linux.md § \
             Personality)"
        )),
    }
}

/// `linux.sysctl` may only reach namespaced keys in namespaces the container does not share
/// with the host, as runc checks: `net.*` needs a network namespace other than the host's, the
/// SysV IPC and `fs.mqueue.*` keys an ipc namespace, `kernel.hostname` and `kernel.domainname`
/// a uts namespace. Anything else would change the host.
pub(super) fn check_sysctls(
    linux: &carrack_spec::runtime::Linux,
) -> std::result::Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    const IPC: [&str; 8] = [
        "kernel.msgmax",
        "kernel.msgmnb",
        "kernel.msgmni",
        "kernel.sem",
        "kernel.shmall",
        "kernel.shmmax",
        "kernel.shmmni",
        "kernel.shm_rmid_forced",
    ];
    let namespaces = linux.namespaces.as_deref().unwrap_or(&[]);
    let own = |kind: NamespaceType, host: &str| {
        namespaces
            .iter()
            .find(|n| n.kind == kind)
            .is_some_and(|n| match &n.path {
                None => true,
                // Joined by path: not the host's own.
                Some(p) => {
                    fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
                        != fs::metadata(host).ok().map(|m| (m.dev(), m.ino()))
                }
            })
    };
    for key in linux.sysctl.as_ref().into_iter().flatten().map(|(k, _)| k) {
        // Dots separate the components, as sysctl(8) writes them: a slash, an empty or a `..`
        // component would name some other file under /proc/sys.
        if key.contains(['/', '\0']) || key.split('.').any(str::is_empty) {
            return Err(format!(
                "linux.sysctl: {key:?} is not a sysctl name (dot-separated, non-empty components)"
            ));
        }
        let (kind, name, host) = if key.starts_with("net.") {
            (NamespaceType::Network, "network", "/proc/self/ns/net")
        } else if IPC.contains(&key.as_str()) || key.starts_with("fs.mqueue.") {
            (NamespaceType::Ipc, "ipc", "/proc/self/ns/ipc")
        } else if key == "kernel.hostname" || key == "kernel.domainname" {
            (NamespaceType::Uts, "uts", "/proc/self/ns/uts")
        } else {
            return Err(format!(
                "linux.sysctl: {key:?} is not namespaced: setting it would change the host \
                 (config-linux.md § Sysctl)"
            ));
        };
        if !own(kind, host) {
            return Err(format!(
                "linux.sysctl: {key:?} needs a {name} namespace of the container's own, and \
                 the config shares the host's (config-linux.md § Sysctl)"
            ));
        }
    }
    Ok(())
}
