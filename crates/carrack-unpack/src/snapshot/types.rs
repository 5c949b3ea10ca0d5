//! What the snapshot store hands out and its errors.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use carrack_spec::image::Digest;

use crate::error::UnpackError;
use crate::options::LayerStats;

/// Why a snapshot operation failed. A failed layer leaves no snapshot behind.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// A file of the store could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A layer could not be read, verified or applied.
    #[error(transparent)]
    Unpack(#[from] UnpackError),
    /// The overlay mount failed (no overlayfs, no privilege, a file system overlayfs cannot
    /// use as a layer).
    #[error("{}: mounting overlayfs: {source}", path.display())]
    Mount {
        /// The mount point.
        path: PathBuf,
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
    /// The layers' paths do not fit in the one page of mount options overlayfs reads.
    #[error(
        "{layers} layers under {}: their overlay mount options do not fit in one page (a shorter snapshot directory helps)",
        dir.display()
    )]
    TooManyLayers {
        /// The number of layers.
        layers: usize,
        /// The snapshot directory.
        dir: PathBuf,
    },
    /// A snapshot directory holds another ChainID than its name says.
    #[error("{}: holds ChainID {found}, not {expected} (a damaged store)", path.display())]
    Corrupt {
        /// The snapshot directory.
        path: PathBuf,
        /// The ChainID wanted.
        expected: String,
        /// The ChainID found.
        found: String,
    },
    /// The snapshot is used by a container or lies under another snapshot.
    #[error("snapshot {name} is in use by {by}")]
    InUse {
        /// The snapshot's name.
        name: String,
        /// What uses it.
        by: String,
    },
    /// No snapshot has this ChainID or name.
    #[error("no snapshot {0}")]
    Unknown(String),
    /// A container name that cannot be a directory name.
    #[error("{0:?}: a name is 1 to 64 of A-Z a-z 0-9 _ . - and does not start with '.'")]
    BadName(String),
}

/// Why [`Snapshots::supported`](super::Snapshots::supported) says this process cannot use
/// snapshots; callers then fall back to unpacking into a plain directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unsupported {
    /// Overlay mounts need root in the host's user namespace.
    #[error("overlay mounts need root in the host's user namespace")]
    NotRoot,
    /// The kernel lists no `overlay` filesystem and has no module directory to load one from.
    #[error("the kernel has no overlayfs (/proc/filesystems)")]
    NoOverlay,
}

pub(super) type Result<T> = std::result::Result<T, SnapshotError>;

pub(super) fn io_at(path: &Path) -> impl FnOnce(io::Error) -> SnapshotError + '_ {
    move |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One layer's snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SnapshotInfo {
    /// The ChainID of the layers up to and including this one.
    pub chain_id: Digest,
    /// The directory name (the ChainID's first 16 hex digits).
    pub name: String,
    /// The name of the snapshot below, if any.
    pub parent: Option<String>,
    /// The layer's changes, in overlayfs form.
    pub path: PathBuf,
}

impl SnapshotInfo {
    /// Bytes of the files the snapshot holds (as `du --apparent-size` counts them).
    pub fn size(&self) -> u64 {
        fn walk(p: &Path) -> u64 {
            let Ok(meta) = fs::symlink_metadata(p) else {
                return 0;
            };
            let mut total = meta.size();
            if meta.is_dir()
                && let Ok(entries) = fs::read_dir(p)
            {
                total += entries.flatten().map(|e| walk(&e.path())).sum::<u64>();
            }
            total
        }
        walk(&self.path)
    }
}

/// An image's layers as snapshots.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Prepared {
    /// The snapshots, base first.
    pub snapshots: Vec<SnapshotInfo>,
    /// How many layers were applied now.
    pub applied: usize,
    /// How many were there already.
    pub reused: usize,
    /// What applying did.
    pub stats: LayerStats,
}

/// A container's root filesystem on snapshots (see [`Snapshots::activate`](super::Snapshots::activate)).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Active {
    /// The container's name.
    pub name: String,
    /// Its directory: `rootfs`, `upper`, `work`, and room for a bundle's `config.json`.
    pub dir: PathBuf,
    /// The overlay mount point.
    pub rootfs: PathBuf,
    /// Whether the overlay was mounted `volatile` (see [`Durability::Volatile`]).
    pub volatile: bool,
}

/// What a container's writes to its root filesystem are worth, for
/// [`Snapshots::activate_with`](super::Snapshots::activate_with).
///
/// ```
/// use carrack_unpack::snapshot::Durability;
/// let keep = true; // a container kept after it exits
/// let d = if keep { Durability::Synced } else { Durability::Volatile };
/// assert_eq!(d, Durability::Synced);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Durability {
    /// Flushed like any file's writes: `sync`, and unmounting the overlay, write them back.
    #[default]
    Synced,
    /// Never flushed on the container's account (overlayfs's `volatile` option): for a
    /// container whose upper directory is removed when it exits, as `podman run --rm` does.
    /// After a host crash the kernel refuses to mount that upper directory again; nothing
    /// else is at risk, as the snapshots below are only read.
    Volatile,
}

/// What [`Snapshots::prune`](super::Snapshots::prune) removed.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PruneReport {
    /// The snapshots removed.
    pub removed: Vec<SnapshotInfo>,
    /// The snapshots kept.
    pub kept: usize,
    /// Leftovers of interrupted layers removed.
    pub stale: usize,
}
