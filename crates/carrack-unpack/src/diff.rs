//! The other direction: what changed in a root filesystem since it was unpacked, written as a
//! layer.md changeset (additions and modifications as entries, deletions as `.wh.` whiteouts,
//! hard links as links, xattrs as PAX `SCHILY.xattr.*`), reproducibly.

use std::io;
use std::path::{Path, PathBuf};

use crate::idmap::IdMap;
use crate::tree::{Tree, TreeError};

#[cfg(target_os = "linux")]
mod changeset;
#[cfg(target_os = "linux")]
pub use changeset::{diff, write_layer};

/// What the rootfs is compared with.
#[derive(Debug, Clone, Copy)]
pub enum Base<'a> {
    /// A directory holding the base tree (e.g. a second unpack of the base image). Entries are
    /// the same when their type, mode, owner, size, modification time, link target, device
    /// number and xattrs are.
    Dir(&'a Path),
    /// A record taken when the rootfs was unpacked ([`Tree::record`]). Entries are the same
    /// when, besides the above, their inode and change time are: any write since unpacking,
    /// even one that restores the old modification time, shows.
    Tree(&'a Tree),
}

/// How a path changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangeKind {
    /// New.
    Added,
    /// Content or metadata changed (or its type).
    Modified,
    /// Gone (only the topmost gone path is listed).
    Deleted,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Path relative to the root, `/`-separated.
    pub path: String,
    /// How it changed.
    pub kind: ChangeKind,
}

/// The changes between a base and a rootfs, with the rootfs as recorded while diffing.
#[derive(Debug, Clone)]
pub struct Diff {
    /// Sorted by path.
    pub changes: Vec<Change>,
    /// The rootfs's entries.
    pub upper: Tree,
}

/// Why diffing or writing a layer failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiffError {
    /// Walking a tree failed.
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// A file changed while it was being written into the layer.
    #[error("{0}: changed while the layer was written")]
    Changed(PathBuf),
    /// Writing the layer failed.
    #[error("writing the layer at {path:?}: {source}")]
    Write {
        /// The entry being written.
        path: String,
        /// Why.
        #[source]
        source: io::Error,
    },
}

/// Options of [`write_layer`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct LayerOptions {
    /// Clamp every time to at most this (seconds since the epoch), as `SOURCE_DATE_EPOCH`
    /// does for reproducible builds. Whiteouts carry this time, or 0.
    pub clamp_mtime: Option<i64>,
    /// Host ids back to container ids (a rootless unpack's map); ids outside it are kept.
    pub id_map: Option<IdMap>,
}
