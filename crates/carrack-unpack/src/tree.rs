//! A record of a root filesystem's entries (type, mode, owner, size, times, inode, link target,
//! device, xattrs), taken right after unpacking so a later diff can tell what changed without
//! keeping a copy of the base: an entry whose inode and ctime are unchanged was not touched.

use std::collections::BTreeMap;
use std::fs;
use std::io;
#[cfg(target_os = "linux")]
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[cfg(target_os = "linux")]
use crate::xattrs;

/// The kind of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// A character device.
    Char,
    /// A block device.
    Block,
    /// A FIFO.
    Fifo,
    /// A socket (never put in a layer).
    Socket,
}

/// One entry of a [`Tree`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TreeEntry {
    /// What it is.
    pub kind: Kind,
    /// Permission bits incl. setuid, setgid and sticky.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Size in bytes (regular files).
    pub size: u64,
    /// Modification time, seconds.
    pub mtime: i64,
    /// Modification time, nanoseconds.
    pub mtime_nsec: i64,
    /// Change time, seconds.
    pub ctime: i64,
    /// Change time, nanoseconds.
    pub ctime_nsec: i64,
    /// Inode number.
    pub ino: u64,
    /// Device of the filesystem holding it.
    pub dev: u64,
    /// Hard link count.
    pub nlink: u64,
    /// Device number (character and block devices).
    pub rdev: u64,
    /// Symlink target, verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Extended attributes, hex-encoded values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub xattrs: BTreeMap<String, String>,
}

impl TreeEntry {
    /// Whether the two describe the same content and metadata, ignoring inode and ctime.
    pub fn same_metadata(&self, other: &Self) -> bool {
        self.kind == other.kind
            && self.mode == other.mode
            && self.uid == other.uid
            && self.gid == other.gid
            && self.size == other.size
            && self.mtime == other.mtime
            && self.mtime_nsec == other.mtime_nsec
            && self.rdev == other.rdev
            && self.link == other.link
            && self.xattrs == other.xattrs
    }

    /// Whether `other` is this very inode, untouched since this record was taken.
    pub fn untouched(&self, other: &Self) -> bool {
        self.same_metadata(other)
            && self.ino == other.ino
            && self.dev == other.dev
            && self.ctime == other.ctime
            && self.ctime_nsec == other.ctime_nsec
    }
}

/// Why a tree could not be recorded, saved or loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TreeError {
    /// Walking the tree failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A record file is not valid.
    #[error("{path}: not a carrack tree record: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A name is not UTF-8 (layers carry UTF-8 names).
    #[error("{0}: name is not UTF-8")]
    Name(PathBuf),
}

/// Every entry of a root filesystem, by path relative to the root (`""` is the root).
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("hello"), b"hi")?;
/// let tree = carrack_unpack::Tree::record(dir.path())?;
/// assert_eq!(tree.entries["hello"].size, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Tree {
    /// Record format version (1).
    pub version: u32,
    /// The image manifest the tree was unpacked from, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// The entries.
    pub entries: BTreeMap<String, TreeEntry>,
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> TreeError + '_ {
    move |source| TreeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Records one path (never following a final symlink).
#[cfg(target_os = "linux")]
pub(crate) fn entry_of(path: &Path) -> Result<TreeEntry, TreeError> {
    let md = fs::symlink_metadata(path).map_err(io_at(path))?;
    let ft = md.file_type();
    let kind = if ft.is_dir() {
        Kind::Dir
    } else if ft.is_symlink() {
        Kind::Symlink
    } else if ft.is_char_device() {
        Kind::Char
    } else if ft.is_block_device() {
        Kind::Block
    } else if ft.is_fifo() {
        Kind::Fifo
    } else if ft.is_socket() {
        Kind::Socket
    } else {
        Kind::File
    };
    let link = if kind == Kind::Symlink {
        let t = fs::read_link(path).map_err(io_at(path))?;
        Some(
            t.to_str()
                .ok_or_else(|| TreeError::Name(path.to_path_buf()))?
                .to_owned(),
        )
    } else {
        None
    };
    let xattrs = xattrs::list(path)
        .map_err(io_at(path))?
        .into_iter()
        .map(|(k, v)| (k, hex::encode(v)))
        .collect();
    Ok(TreeEntry {
        kind,
        mode: md.mode() & 0o7777,
        uid: md.uid(),
        gid: md.gid(),
        size: if kind == Kind::File { md.size() } else { 0 },
        mtime: md.mtime(),
        mtime_nsec: md.mtime_nsec(),
        ctime: md.ctime(),
        ctime_nsec: md.ctime_nsec(),
        ino: md.ino(),
        dev: md.dev(),
        nlink: md.nlink(),
        rdev: if matches!(kind, Kind::Char | Kind::Block) {
            md.rdev()
        } else {
            0
        },
        link,
        xattrs,
    })
}

#[cfg(target_os = "linux")]
impl Tree {
    /// Walks `root` (never following symlinks, never leaving its filesystem's tree).
    pub fn record(root: &Path) -> Result<Self, TreeError> {
        let mut entries = BTreeMap::new();
        let mut stack = vec![(root.to_path_buf(), String::new())];
        while let Some((path, rel)) = stack.pop() {
            let e = entry_of(&path)?;
            let is_dir = e.kind == Kind::Dir;
            entries.insert(rel.clone(), e);
            if !is_dir {
                continue;
            }
            for child in fs::read_dir(&path).map_err(io_at(&path))? {
                let child = child.map_err(io_at(&path))?;
                let name = child.file_name();
                let name = name.to_str().ok_or_else(|| TreeError::Name(child.path()))?;
                let crel = if rel.is_empty() {
                    name.to_owned()
                } else {
                    format!("{rel}/{name}")
                };
                stack.push((child.path(), crel));
            }
        }
        Ok(Self {
            version: 1,
            manifest: None,
            entries,
        })
    }
}

impl Tree {
    /// Writes the record as JSON to `path` (atomically: a temporary file renamed into place).
    pub fn save(&self, path: &Path) -> Result<(), TreeError> {
        let tmp = path.with_extension("carrack-tmp");
        let bytes = serde_json::to_vec(self).map_err(|source| TreeError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        fs::write(&tmp, bytes).map_err(io_at(&tmp))?;
        fs::rename(&tmp, path).map_err(io_at(path))
    }

    /// Reads a record written by [`Tree::save`].
    pub fn load(path: &Path) -> Result<Self, TreeError> {
        let bytes = fs::read(path).map_err(io_at(path))?;
        serde_json::from_slice(&bytes).map_err(|source| TreeError::Parse {
            path: path.to_path_buf(),
            source,
        })
    }
}
