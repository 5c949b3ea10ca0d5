//! Errors of container operations. Messages carry the phrases containerd, CRI-O and podman
//! match on: "does not exist", "container not running", "no such process", "already exists".

use std::path::PathBuf;

/// Why a container operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The id is not a valid container id.
    #[error("invalid container id {0:?}: ids are [A-Za-z0-9_+.-], at most 1024 bytes, not . or ..")]
    InvalidId(String),
    /// No container with this id.
    #[error("container {0} does not exist")]
    NotFound(String),
    /// A container with this id exists already.
    #[error("container with id {0} already exists")]
    Exists(String),
    /// The operation needs a running (or created) container.
    #[error("container {id} is {status}: container not running")]
    NotRunning {
        /// The container.
        id: String,
        /// Its status.
        status: String,
    },
    /// The operation is not allowed in the container's current status.
    #[error("container {id} is {status}: cannot {op}")]
    BadStatus {
        /// The container.
        id: String,
        /// Its status.
        status: String,
        /// What was asked.
        op: &'static str,
    },
    /// The process to signal is gone.
    #[error("container {0}: no such process")]
    NoSuchProcess(String),
    /// A signal name or number is not known.
    #[error("unknown signal {0:?}")]
    UnknownSignal(String),
    /// The bundle or its config.json is unusable.
    #[error("{path}: {reason}")]
    Config {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A hook failed (runtime.md § Lifecycle: the operation fails).
    #[error("{kind} hook {path}: {reason}")]
    Hook {
        /// prestart, createRuntime, …
        kind: &'static str,
        /// The hook's path.
        path: String,
        /// Why.
        reason: String,
    },
    /// The backend does not support this on this host.
    #[error("{0}: not supported by this platform")]
    Unsupported(&'static str),
    /// A system call or file operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A container could overwrite the calling program's binary (CVE-2019-5736), and the
    /// backend was not allowed to re-execute the program from a sealed view of it.
    #[error(
        "{binary}: this program's binary could be overwritten from inside the container \
         (CVE-2019-5736); run it from a read-only location or let it re-execute sealed"
    )]
    UnsealedBinary {
        /// The binary of the calling program.
        binary: PathBuf,
    },
    /// The backend clones the calling process, which is only sound while it has one thread
    /// (a clone of a multi-threaded process may inherit locks other threads held); nothing
    /// was done.
    #[error(
        "{op}: refused in a process with {threads} threads (the backend clones its caller, \
         which is only sound single-threaded): call it from a single-threaded process, or run \
         the `carrack` binary"
    )]
    MultiThreaded {
        /// The operation refused (`create`, `run`, `exec`).
        op: &'static str,
        /// How many threads the process had.
        threads: usize,
    },
    /// The container's init process reported an error while setting up.
    #[error("container init: {0}")]
    Init(String),
    /// The state file is corrupt.
    #[error("{path}: corrupt state: {reason}")]
    State {
        /// The state file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

impl Error {
    /// An I/O error with a description of what was being done.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }
}

/// Results of container operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
