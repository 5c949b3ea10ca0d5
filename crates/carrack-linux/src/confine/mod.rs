//! Confinement of the container's process beyond its credentials: its LSM labels ([`lsm`]) and
//! its seccomp filter ([`seccomp`]), checked against the host before anything is cloned, so a
//! config the host cannot honour fails `create` (or `exec`) cleanly.

pub(crate) mod lsm;
#[cfg_attr(not(feature = "seccomp"), path = "seccomp_off.rs")]
pub(crate) mod seccomp;

use carrack_spec::runtime::{Process, Spec};

use crate::error::{Error, Result};

/// The process's LSM labels and the compiled seccomp filter of `spec`, for `process` (the
/// config's, or `exec`'s).
pub(crate) fn check(
    spec: &Spec,
    process: &Process,
) -> Result<(lsm::Labels, Option<seccomp::Filter>)> {
    let linux = spec.linux.as_ref();
    if let Some(u) = &process.user {
        // (uid_t)-1 is no id: setresuid(2) takes it as "leave unchanged" and the process would
        // stay root (the CVE-2024-40635 class).
        let ids = u
            .uid
            .iter()
            .chain(&u.gid)
            .chain(u.additional_gids.iter().flatten());
        if let Some(id) = ids.into_iter().find(|id| **id == u32::MAX) {
            return Err(Error::config(
                "/process/user",
                format!("{id} is (uid_t)-1, which set*id(2) read as \"unchanged\", not an id"),
            ));
        }
    }
    let labels = lsm::Labels::check(process, linux.and_then(|l| l.mount_label.as_deref()))?;
    let seccomp = match linux.and_then(|l| l.seccomp.as_ref()) {
        Some(s) => Some(seccomp::compile(s)?),
        None => None,
    };
    Ok((labels, seccomp))
}
