//! Why a cgroup operation failed: each variant keeps the file or controller involved, the value
//! written, and the system's error (errno) as its source.

use std::io;
use std::path::PathBuf;

/// Why a device rule is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// The type is not `a`, `b` or `c`.
    #[error("type {0:?} is not a, b or c")]
    Type(String),
    /// A character of the access is not `r`, `w` or `m`.
    #[error("access {0:?} is not one of r, w, m")]
    Access(char),
    /// A major or minor number does not fit in 32 bits.
    #[error("{what} {number} is out of range")]
    Range {
        /// `major` or `minor`.
        what: &'static str,
        /// The number given.
        number: i64,
    },
    /// A v1 line is not `TYPE MAJOR:MINOR ACCESS`.
    #[error("{0:?} is not TYPE MAJOR:MINOR ACCESS")]
    Syntax(String),
}

/// Why a cgroup operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Writing a value to a cgroup file failed (the kernel refused it, or the file is gone).
    #[error("linux.resources.{field}: writing {value:?} to {}: {source}", file.display())]
    Write {
        /// The config field the value comes from (`memory.limit`, `devices`, ...).
        field: String,
        /// The file written.
        file: PathBuf,
        /// The value written.
        value: String,
        /// The errno.
        #[source]
        source: io::Error,
    },
    /// The host has no such file for the container's cgroup (the controller is not mounted,
    /// not enabled for it, or the kernel lacks the feature).
    #[error("linux.resources.{field}: this host has no {file} for the container's cgroup")]
    NoFile {
        /// The config field.
        field: String,
        /// The cgroup file looked for.
        file: String,
    },
    /// The field cannot be honoured on this kind of host.
    #[error("linux.resources.{field}: {reason}")]
    Unsupported {
        /// The config field.
        field: String,
        /// Why.
        reason: &'static str,
    },
    /// The field's value is not usable.
    #[error("linux.resources.{field}: {reason}")]
    Invalid {
        /// The config field.
        field: String,
        /// Why.
        reason: String,
    },
    /// `checkBeforeUpdate`: the new memory limit is below what the container uses.
    #[error(
        "linux.resources.memory.limit: {limit} is below the current usage {usage} \
         (checkBeforeUpdate)"
    )]
    BelowUsage {
        /// The limit asked for.
        limit: i64,
        /// The current usage, in bytes.
        usage: u64,
    },
    /// A device rule is malformed.
    #[error("{field}: {source}")]
    Rule {
        /// Where it comes from: `linux.resources.devices[3]`, `linux.devices[0]`.
        field: String,
        /// What is wrong.
        #[source]
        source: RuleError,
    },
    /// Neither a v1 devices controller nor cgroup v2 holds the container.
    #[error(
        "linux.resources.devices: this host has neither a v1 devices controller nor cgroup v2 \
         for the container"
    )]
    NoDeviceController,
    /// Loading or attaching the cgroup v2 eBPF device program failed (the verifier's log, if
    /// any, is in the source's message).
    #[error(
        "linux.resources.devices: attaching the eBPF device program to {}: {source}",
        dir.display()
    )]
    DeviceProgram {
        /// The cgroup directory.
        dir: PathBuf,
        /// The errno of bpf(2) or of opening the directory.
        #[source]
        source: io::Error,
    },
    /// A file operation on a cgroup directory failed (create, join, remove, freeze).
    #[error("{}: {source}", path.display())]
    Io {
        /// The cgroup directory or file.
        path: PathBuf,
        /// The errno.
        #[source]
        source: io::Error,
    },
    /// The container's cgroup exists and holds processes that are not the container's.
    #[error("container's cgroup {} is not empty: {count} process(es) found", dir.display())]
    NotEmpty {
        /// The cgroup directory.
        dir: PathBuf,
        /// How many processes are in it.
        count: usize,
    },
    /// None of the container's cgroups has a freezer.
    #[error("no freezer controller for this container")]
    NoFreezer,
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }

    /// The system's error underneath, if there is one.
    ///
    /// ```
    /// use carrack_cgroups::Error;
    /// let e = Error::NoFreezer;
    /// assert!(e.os_error().is_none());
    /// ```
    pub fn os_error(&self) -> Option<&io::Error> {
        match self {
            Self::Write { source, .. }
            | Self::DeviceProgram { source, .. }
            | Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// For callers whose errors wrap an [`io::Error`]: the kind is the underlying errno's (or
/// `AlreadyExists`, `Unsupported`, `InvalidInput` for the errors without one) and the message
/// is this error's.
impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        let kind = match &e {
            Error::NotEmpty { .. } => io::ErrorKind::AlreadyExists,
            Error::NoFreezer | Error::NoDeviceController | Error::Unsupported { .. } => {
                io::ErrorKind::Unsupported
            }
            Error::NoFile { .. } => io::ErrorKind::NotFound,
            other => other
                .os_error()
                .map_or(io::ErrorKind::InvalidInput, io::Error::kind),
        };
        io::Error::new(kind, e)
    }
}

/// Results of cgroup operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
