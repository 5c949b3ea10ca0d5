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
    /// A hardlink's target is not a non-directory inside the root.
    #[error("tar entry {entry:?}: hardlink target {target:?} {reason}")]
    LinkTarget {
        /// The entry name.
        entry: String,
        /// The link target.
        target: String,
        /// Why it cannot be linked.
        reason: &'static str,
    },
    /// An entry type carrack does not apply.
    #[error("tar entry {entry:?}: unsupported entry type {kind:?}")]
    Unsupported {
        /// The entry name.
        entry: String,
        /// The tar type flag.
        kind: u8,
    },
    /// A limit was exceeded.
    #[error("tar entry {entry:?}: {limit}")]
    Limit {
        /// The entry name.
        entry: String,
        /// Which limit.
        limit: crate::LimitExceeded,
    },
    /// An owner has no mapping (as root with an id map, every owner must be mapped).
    #[error("tar entry {entry:?}: owner {uid}:{gid} is outside the uid/gid map")]
    Unmapped {
        /// The entry name.
        entry: String,
        /// The header's uid.
        uid: u32,
        /// The header's gid.
        gid: u32,
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

/// Errors of unpacking an image (layers from a layout into a staging directory).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UnpackError {
    /// A layer could not be applied.
    #[error("layer {index} ({digest}): {source}")]
    Layer {
        /// Index in the manifest.
        index: usize,
        /// The layer's digest.
        digest: carrack_spec::image::Digest,
        /// Why.
        #[source]
        source: Error,
    },
    /// Reading from the layout failed (missing blob, wrong size or digest, …).
    #[error(transparent)]
    Layout(#[from] carrack_image::Error),
    /// The compressed stream of a layer broke a limit (a decompression bomb, or too large).
    #[error("layer {index}: {limit}")]
    Limit {
        /// Index in the manifest.
        index: usize,
        /// Which limit.
        limit: crate::LimitExceeded,
    },
    /// The layer's media type is not a layer type carrack unpacks.
    #[error("layer {index}: media type {media_type} is not an OCI or Docker layer type (layer.md)")]
    MediaType {
        /// Index in the manifest.
        index: usize,
        /// The media type.
        media_type: String,
    },
    /// The content is not compressed as its media type says.
    #[error("layer {index}: media type says {declared}, content is {found} (no guessing)")]
    Compression {
        /// Index in the manifest.
        index: usize,
        /// What the media type declares.
        declared: &'static str,
        /// What the content starts with.
        found: &'static str,
    },
    /// The uncompressed stream does not hash to the config's diff_id.
    #[error(
        "layer {index}: uncompressed digest {actual} is not rootfs.diff_ids[{index}] {expected} (config.md § rootfs)"
    )]
    DiffId {
        /// Index in the manifest.
        index: usize,
        /// The diff_id.
        expected: carrack_spec::image::Digest,
        /// What the stream hashes to.
        actual: carrack_spec::image::Digest,
    },
    /// The manifest and the configuration disagree on the number of layers.
    #[error("the manifest has {layers} layers but the configuration has {diff_ids} diff_ids")]
    LayerCount {
        /// Layers in the manifest.
        layers: usize,
        /// diff_ids in the configuration.
        diff_ids: usize,
    },
    /// The destination exists and is not an empty directory.
    #[error("{0}: destination exists and is not empty")]
    Destination(std::path::PathBuf),
    /// Creating, renaming or removing the staging directory failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The result of applying layers.
pub type Result<T, E = Error> = std::result::Result<T, E>;
