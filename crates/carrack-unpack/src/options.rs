//! What applying layers is asked to do ([`ApplyOptions`]) and what it did ([`LayerStats`]).

use crate::idmap::IdMap;
use crate::limits::Limits;
use crate::progress::ProgressFn;

/// What applying layers did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LayerStats {
    /// Entries created or replaced.
    pub entries: u64,
    /// Bytes of regular-file content written.
    pub bytes: u64,
    /// Paths removed by whiteouts (a removed directory counts once).
    pub whiteouts: u64,
    /// Device nodes written as empty placeholder files (rootless).
    pub placeholders: u64,
    /// Owners or xattrs that could not be applied without privilege (rootless).
    pub skipped_metadata: u64,
}

/// Options of [`apply_layer`](crate::apply_layer) and [`crate::unpack`].
///
/// ```
/// use carrack_unpack::{ApplyOptions, IdMap};
/// // What `carrack image unpack --rootless` does for a user whose uid and gid are 1000.
/// let opts = ApplyOptions::rootless(IdMap {
///     uids: vec!["0:1000:1".parse()?],
///     gids: vec!["0:1000:1".parse()?],
/// });
/// assert!(opts.rootless && opts.same_owner);
/// # Ok::<(), carrack_unpack::IdMapError>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct ApplyOptions {
    /// Apply owners from the tar headers (through [`ApplyOptions::id_map`] when set); otherwise
    /// everything belongs to the caller. Default: when running as root (on Linux; elsewhere no).
    pub same_owner: bool,
    /// Unpacking without privilege: device nodes become empty placeholder files, owners and
    /// xattrs the caller may not set are skipped (counted in [`LayerStats::skipped_metadata`]),
    /// and directory modes are applied at the end so read-only directories can still be filled.
    pub rootless: bool,
    /// Container ids to host ids; ids outside the map stay the caller's (rootless) or are an
    /// error (as root).
    pub id_map: Option<IdMap>,
    /// Resource limits.
    pub limits: Limits,
    /// Called after every entry and at layer boundaries.
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for ApplyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplyOptions")
            .field("same_owner", &self.same_owner)
            .field("rootless", &self.rootless)
            .field("id_map", &self.id_map)
            .field("limits", &self.limits)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl Default for ApplyOptions {
    fn default() -> Self {
        // Elsewhere nothing applies layers: the defaults are the unprivileged ones.
        #[cfg(target_os = "linux")]
        let root = nix::unistd::geteuid().is_root();
        #[cfg(not(target_os = "linux"))]
        let root = false;
        Self {
            same_owner: root,
            rootless: !root,
            id_map: None,
            limits: Limits::default(),
            progress: None,
        }
    }
}

impl ApplyOptions {
    /// Rootless unpacking with owners mapped through `map` (as far as the caller may chown).
    pub fn rootless(map: IdMap) -> Self {
        Self {
            same_owner: true,
            rootless: true,
            id_map: Some(map),
            ..Self::default()
        }
    }
}
