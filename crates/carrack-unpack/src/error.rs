//! Errors of applying a layer; each names the tar entry and the rule.

/// Why a layer could not be applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the tar stream failed.
    #[error("layer: reading the tar stream failed: {0}")]
    Read(#[source] std::io::Error),
    /// An entry's name climbs out with `..` or is otherwise unusable.
    #[error("tar entry {entry:?}: {reason}")]
    BadName {
        /// The entry name.
        entry: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// An entry would turn the root into something that is not a directory (CVE-2021-29136).
    #[error("tar entry {0:?}: refusing to replace the root directory with a non-directory")]
    RootType(String),
    /// A whiteout name is malformed (`.wh.`, `.wh..`, `.wh...`).
    #[error("tar entry {0:?}: malformed whiteout (layer.md § Whiteouts)")]
    BadWhiteout(String),
    /// A hardlink's target does not exist inside the root.
    #[error("tar entry {entry:?}: hardlink target {target:?} does not exist inside the root")]
    LinkTarget {
        /// The entry name.
        entry: String,
        /// The link target.
        target: String,
    },
    /// An entry type carrack does not apply.
    #[error("tar entry {entry:?}: unsupported entry type {kind:?}")]
    Unsupported {
        /// The entry name.
        entry: String,
        /// The tar type flag.
        kind: u8,
    },
    /// A filesystem operation failed.
    #[error("tar entry {entry:?}: {op}: {source}")]
    Fs {
        /// The entry name.
        entry: String,
        /// The operation.
        op: &'static str,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// The result of applying layers.
pub type Result<T, E = Error> = std::result::Result<T, E>;
