//! Errors of layout operations. Each names the file (relative to the layout) and, where one
//! applies, the rule of image-layout.md or descriptor.md it enforces.

use std::path::PathBuf;

use carrack_spec::image::Digest;

/// What went wrong with a layout.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file, relative to the layout (or the layout itself).
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A document of the layout is not valid JSON of its kind.
    #[error("{path}: {source}")]
    Parse {
        /// The file, relative to the layout.
        path: PathBuf,
        /// What the parser reports, with the JSON pointer.
        #[source]
        source: carrack_spec::ParseError,
    },
    /// The directory is not an OCI image layout.
    #[error("{path}: not an OCI image layout: {reason} (image-layout.md)")]
    NotALayout {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// `oci-layout` holds a version this crate does not read.
    #[error(
        "{path}/oci-layout: imageLayoutVersion {found:?} is not 1.0.0 (image-layout.md § oci-layout file)"
    )]
    Version {
        /// The layout.
        path: PathBuf,
        /// The version found.
        found: String,
    },
    /// A blob is missing.
    #[error("blobs/{}/{}: missing (referenced as {digest})", digest.algorithm(), digest.encoded())]
    Missing {
        /// Its digest.
        digest: Digest,
    },
    /// A blob's size is not what its descriptor says.
    #[error("blobs/{}/{}: size is {actual}{}, descriptor says {expected} (descriptor.md § Properties)", digest.algorithm(), digest.encoded(), if *.at_least { " or more" } else { "" })]
    Size {
        /// Its digest.
        digest: Digest,
        /// The size in the descriptor.
        expected: u64,
        /// The size found (a lower bound when reading stopped early).
        actual: u64,
        /// Whether `actual` is only a lower bound.
        at_least: bool,
    },
    /// A blob's content does not hash to its digest.
    #[error("blobs/{}/{}: content has digest {actual} (image-layout.md § Blobs: content MUST match the digest)", expected.algorithm(), expected.encoded())]
    Digest {
        /// The digest it should have.
        expected: Digest,
        /// The digest it has.
        actual: Digest,
    },
    /// The digest's algorithm cannot be computed here.
    #[error("{0}: digest algorithm {alg} is not supported for verification (sha256 and sha512 are)", alg = .0.algorithm())]
    Unsupported(Digest),
    /// Blobs cannot be written with this algorithm (sha256 and sha512 can).
    #[error("cannot write blobs hashed with {0}: sha256 and sha512 are supported")]
    UnsupportedAlgorithm(&'static str),
    /// A descriptor's size is negative or does not fit.
    #[error("{digest}: descriptor size {size} is negative (descriptor.md § Properties)")]
    BadSize {
        /// The digest.
        digest: Digest,
        /// The size.
        size: i64,
    },
    /// A JSON document is larger than the limit.
    #[error("blobs/{}/{}: {size} bytes is over the {limit}-byte limit for JSON documents", digest.algorithm(), digest.encoded())]
    TooLarge {
        /// The digest.
        digest: Digest,
        /// The size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// No manifest matches the reference.
    #[error("{reference}: {reason}")]
    NotFound {
        /// The reference.
        reference: String,
        /// Why nothing matched.
        reason: String,
    },
    /// No entry of `index.json` has this tag, name or digest (the rules are in
    /// [`crate::reference`]).
    #[error("{reference}: {}", no_match_text(normalized.as_deref(), names, *untagged))]
    NoMatch {
        /// The reference as given.
        reference: String,
        /// Its Docker-normalised form, when it is a Docker name spelt differently.
        normalized: Option<String>,
        /// The names (`org.opencontainers.image.ref.name`) the layout holds, in index order.
        names: Vec<String>,
        /// How many entries have no name.
        untagged: usize,
    },
    /// Nothing under the reference is for the platform wanted (its index entries' `platform`,
    /// else its image configurations' `os`/`architecture`/`variant`).
    #[error(
        "{reference}: no manifest for platform {wanted}; the image has {}",
        available_text(available)
    )]
    NoPlatform {
        /// The reference.
        reference: String,
        /// The platform wanted, as `os/architecture[/variant]`.
        wanted: String,
        /// The platforms the image has, each as `platform (digest)`.
        available: Vec<String>,
    },
    /// More than one manifest matches and nothing decides between them.
    #[error("{reference}: ambiguous, candidates: {}", candidates.join(", "))]
    Ambiguous {
        /// The reference.
        reference: String,
        /// The matching descriptors, as `digest (platform)`.
        candidates: Vec<String>,
    },
    /// A document refers to itself through indexes (a cycle).
    #[error("{0}: index nesting is cyclic or deeper than 16 levels")]
    TooDeep(Digest),
    /// A tag name is not acceptable.
    #[error(
        "tag {0:?}: must be non-empty and use only A-Za-z0-9 and -._:@/+ (annotations.md § ref.name)"
    )]
    BadTag(String),
}

#[cfg(unix)] // used by the store
impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: impl Into<std::io::Error>) -> Self {
        Self::Io {
            path: path.into(),
            source: source.into(),
        }
    }
}

fn no_match_text(normalized: Option<&str>, names: &[String], untagged: usize) -> String {
    let mut s = String::from("no entry of index.json has this tag, name or digest");
    if let Some(n) = normalized {
        s.push_str(&format!(" (nor the name {n})"));
    }
    if names.is_empty() {
        s.push_str("; the layout holds no named image");
    } else {
        s.push_str(&format!("; the layout holds {}", names.join(", ")));
    }
    match untagged {
        0 => {}
        1 => s.push_str(" and 1 untagged entry (name it LAYOUT@DIGEST)"),
        n => s.push_str(&format!(
            " and {n} untagged entries (name one LAYOUT@DIGEST)"
        )),
    }
    s
}

/// The result of layout operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn available_text(available: &[String]) -> String {
    if available.is_empty() {
        "no image manifest".to_owned()
    } else {
        available.join(", ")
    }
}
