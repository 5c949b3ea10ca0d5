//! Whether the process's ids exist in the container's user namespace.
//!
//! This is no rule of the spec: the kernel's. In a new user namespace only mapped ids exist, and
//! `setgroups(2)`, `setgid(2)` and `setuid(2)` fail with `EINVAL` for any other, so such a
//! container cannot start. A tool that writes a configuration (an image's `USER app` turned into
//! a rootless bundle whose mapping holds only the caller) can find it before a runtime does.

use std::fmt;

use crate::runtime::{IdMapping, NamespaceType, Spec};

/// An id of `process.user` that the container's user namespace does not map.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnmappedId {
    /// The member, as a JSON pointer (`/process/user/uid`, `/process/user/additionalGids/1`).
    pub pointer: String,
    /// The id.
    pub id: u32,
    /// `uid` or `gid`.
    pub kind: &'static str,
}

impl fmt::Display for UnmappedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} {} is not mapped by linux.{}Mappings, so the kernel refuses to switch to it (set{}(2): EINVAL)",
            self.pointer,
            self.kind,
            self.id,
            self.kind,
            if self.kind == "uid" { "uid" } else { "gid" }
        )
    }
}

/// Whether `id` lies in one of `mappings`' container ranges.
///
/// ```
/// use carrack_spec::runtime::{IdMapping, maps};
/// let m = [IdMapping::new(0, 1000, 1), IdMapping::new(1, 100000, 65536)];
/// assert!(maps(&m, 0) && maps(&m, 65536) && !maps(&m, 65537));
/// ```
pub fn maps(mappings: &[IdMapping], id: u32) -> bool {
    mappings.iter().any(|m| {
        id >= m.container_id && u64::from(id) < u64::from(m.container_id) + u64::from(m.size)
    })
}

impl Spec {
    /// The ids of `process.user` (uid, gid, additionalGids) that a new user namespace of this
    /// configuration does not map; empty when the container makes no user namespace of its own
    /// (none, or one joined by `path`, whose mapping only the host knows).
    ///
    /// ```
    /// use carrack_spec::runtime::{Process, Spec, User};
    ///
    /// let mut spec = Spec::default_linux_rootless(1000, 1000);
    /// assert!(spec.unmapped_ids().is_empty());
    /// spec.process.get_or_insert_with(|| Process::new("/")).user = Some(User::posix(1000, 1000));
    /// let unmapped = spec.unmapped_ids();
    /// assert_eq!(unmapped.len(), 2);
    /// assert_eq!(unmapped[0].pointer, "/process/user/uid");
    /// ```
    pub fn unmapped_ids(&self) -> Vec<UnmappedId> {
        let Some(linux) = &self.linux else {
            return Vec::new();
        };
        let new_userns =
            linux.namespaces.iter().flatten().any(|n| {
                n.kind == NamespaceType::User && n.path.as_deref().is_none_or(str::is_empty)
            });
        let Some(user) = self.process.as_ref().and_then(|p| p.user.as_ref()) else {
            return Vec::new();
        };
        if !new_userns {
            return Vec::new();
        }
        let uids = linux.uid_mappings.as_deref().unwrap_or_default();
        let gids = linux.gid_mappings.as_deref().unwrap_or_default();
        let mut out = Vec::new();
        let mut check = |pointer: String, id: u32, kind: &'static str, map: &[IdMapping]| {
            if !maps(map, id) {
                out.push(UnmappedId { pointer, id, kind });
            }
        };
        check(
            "/process/user/uid".into(),
            user.uid.unwrap_or(0),
            "uid",
            uids,
        );
        check(
            "/process/user/gid".into(),
            user.gid.unwrap_or(0),
            "gid",
            gids,
        );
        for (i, gid) in user.additional_gids.iter().flatten().enumerate() {
            check(
                format!("/process/user/additionalGids/{i}"),
                *gid,
                "gid",
                gids,
            );
        }
        out
    }
}
