//! What the store's operations report, as plain data that builds on every OS.

use std::time::Duration;

use carrack_spec::image::{Descriptor, Digest, ImageManifest};

/// What an import stored.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// Blobs stored (including ones already present).
    pub blobs: usize,
    /// Their bytes.
    pub bytes: u64,
    /// The `index.json` entries added, with their tags.
    pub entries: Vec<Descriptor>,
}

/// One problem fsck found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, relative to the layout (`index.json`, `blobs/sha256/…`).
    pub path: String,
    /// Where it was reached from, as a chain of JSON pointers and digests.
    pub via: String,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// A problem of `path`; a message that already starts with the path (an error's own text)
    /// does not repeat it.
    #[cfg(unix)]
    pub(crate) fn new(path: String, via: String, message: String) -> Self {
        let message = message
            .strip_prefix(path.as_str())
            .and_then(|m| m.strip_prefix(": "))
            .map_or(message.clone(), str::to_owned);
        Self { path, via, message }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} (via {})", self.path, self.message, self.via)
    }
}

/// Options for [`Layout::gc`](crate::Layout::gc).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GcOptions {
    /// Report what would be removed, remove nothing.
    pub dry_run: bool,
    /// Keep unreachable blobs younger than this: a writer may have just stored them and not yet
    /// tagged them.
    pub grace: Duration,
}

impl Default for GcOptions {
    fn default() -> Self {
        Self {
            dry_run: false,
            grace: Duration::from_secs(600),
        }
    }
}

/// What [`Layout::gc`](crate::Layout::gc) did.
#[derive(Debug, Clone, Default)]
pub struct GcReport {
    /// Blobs removed (or, in a dry run, that would be).
    pub removed: Vec<Digest>,
    /// Their total size.
    pub bytes: u64,
    /// Unreachable blobs kept because they are younger than the grace period.
    pub kept_young: Vec<Digest>,
}

/// What a reference resolved to.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The descriptor of the image manifest.
    pub descriptor: Descriptor,
    /// The manifest.
    pub manifest: ImageManifest,
}
