//! The error of every operation here: what was done, to which path, and the OS error.

use std::io;
use std::path::{Path, PathBuf};

/// What failed, on which path.
///
/// ```
/// let e = carrack_fs::Error::io("open", "etc/passwd", std::io::Error::from_raw_os_error(40));
/// assert_eq!(e.raw_os_error(), Some(40));
/// assert!(e.to_string().starts_with("open etc/passwd: "));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A system call failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// The operation (`"openat2"`, `"mkdirat"`, `"unlinkat"`, ...).
        op: &'static str,
        /// The path it was given, relative to the directory it was given with.
        path: PathBuf,
        /// The OS error, with its errno.
        #[source]
        source: io::Error,
    },
    /// A path component `..` where only plain names may stand.
    #[error("{}: '..' is not allowed here", path.display())]
    ParentDir {
        /// The path.
        path: PathBuf,
    },
    /// Something other than a regular file where one was asked for.
    #[error("{}: not a regular file", path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
    },
}

/// What the functions of this crate return.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A failed operation `op` on `path`.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// The errno, when a system call failed.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            Self::Io { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }

    /// The kind of I/O error this is.
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            Self::Io { source, .. } => source.kind(),
            Self::ParentDir { .. } | Self::NotRegular { .. } => io::ErrorKind::InvalidInput,
        }
    }

    /// The path the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Io { path, .. } | Self::ParentDir { path } | Self::NotRegular { path } => path,
        }
    }

    /// Whether the error is "no such file or directory".
    pub fn is_not_found(&self) -> bool {
        self.kind() == io::ErrorKind::NotFound
    }
}

impl From<Error> for io::Error {
    /// The OS error itself for a failed system call (errno kept, as callers that name their own
    /// paths want it); otherwise an `InvalidInput` error carrying the message.
    fn from(e: Error) -> Self {
        match e {
            Error::Io { source, .. } => source,
            other => io::Error::new(io::ErrorKind::InvalidInput, other.to_string()),
        }
    }
}

#[cfg(unix)]
pub(crate) fn os(
    op: &'static str,
    path: impl AsRef<Path>,
) -> impl FnOnce(rustix::io::Errno) -> Error {
    move |e| Error::io(op, path.as_ref().to_path_buf(), io::Error::from(e))
}
