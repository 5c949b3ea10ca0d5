//! What `create` checks in a config before anything is cloned, beyond carrack-spec's rules:
//! personality, which sysctls a container may set, and whether it asks for limits. (What the
//! host can honour of the process's confinement is [`crate::confine::check`]'s.)

use std::fs;

use carrack_spec::runtime::NamespaceType;

use crate::error::{Error, Result, token};

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

/// `linux.personality` as personality(2) takes it: LINUX or LINUX32, and no flags (none are
/// defined), as runc accepts.
pub(super) fn persona(linux: &carrack_spec::runtime::Linux) -> Result<Option<libc::c_ulong>> {
    use carrack_spec::runtime::PersonalityDomain;
    let Some(p) = &linux.personality else {
        return Ok(None);
    };
    if let Some(f) = p.flags.as_ref().and_then(|f| f.first()) {
        return Err(Error::config(
            "/linux/personality/flags/0",
            format!(
                "{f:?} is not a flag carrack knows (config-linux.md § Personality defines none)"
            ),
        ));
    }
    match &p.domain {
        None => Ok(None),
        Some(PersonalityDomain::Linux) => Ok(Some(0x0000)),
        Some(PersonalityDomain::Linux32) => Ok(Some(0x0008)),
        Some(other) => Err(Error::config(
            "/linux/personality/domain",
            format!("{other} is not LINUX or LINUX32 (config-linux.md § Personality)"),
        )),
    }
}

/// `linux.sysctl` may only reach namespaced keys in namespaces the container does not share
/// with the host, as runc checks: `net.*` needs a network namespace other than the host's, the
/// SysV IPC and `fs.mqueue.*` keys an ipc namespace, `kernel.hostname` and `kernel.domainname`
/// a uts namespace. Anything else would change the host.
pub(super) fn check_sysctls(linux: &carrack_spec::runtime::Linux) -> Result<()> {
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
        let at = format!("/linux/sysctl/{}", token(key));
        // Dots separate the components, as sysctl(8) writes them: a slash, an empty or a `..`
        // component would name some other file under /proc/sys.
        if key.contains(['/', '\0']) || key.split('.').any(str::is_empty) {
            return Err(Error::config(
                at,
                format!("{key:?} is not a sysctl name (dot-separated, non-empty components)"),
            ));
        }
        let (kind, name, host) = if key.starts_with("net.") {
            (NamespaceType::Network, "network", "/proc/self/ns/net")
        } else if IPC.contains(&key.as_str()) || key.starts_with("fs.mqueue.") {
            (NamespaceType::Ipc, "ipc", "/proc/self/ns/ipc")
        } else if key == "kernel.hostname" || key == "kernel.domainname" {
            (NamespaceType::Uts, "uts", "/proc/self/ns/uts")
        } else {
            return Err(Error::config(
                at,
                format!(
                    "{key:?} is not namespaced: setting it would change the host \
                     (config-linux.md § Sysctl)"
                ),
            ));
        };
        if !own(kind, host) {
            return Err(Error::config(
                at,
                format!(
                    "{key:?} needs a {name} namespace of the container's own, and the config \
                     shares the host's (config-linux.md § Sysctl)"
                ),
            ));
        }
    }
    Ok(())
}
