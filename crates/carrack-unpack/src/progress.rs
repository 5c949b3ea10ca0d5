//! Progress reports while unpacking.

use std::sync::Arc;

/// Where an unpack stands. Reported after every entry and whenever a layer starts or ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Index of the layer being applied.
    pub layer: usize,
    /// Number of layers.
    pub layers: usize,
    /// Compressed bytes read, all layers so far.
    pub compressed_bytes: u64,
    /// Compressed bytes of all layers (the descriptors' sizes).
    pub compressed_total: u64,
    /// Entries applied, all layers so far.
    pub entries: u64,
    /// Content bytes written, all layers so far.
    pub bytes: u64,
}

/// A progress callback, shared so options stay cheap to clone.
///
/// ```
/// use std::sync::Arc;
/// use carrack_unpack::{ApplyOptions, ProgressFn};
/// let report: ProgressFn = Arc::new(|p| eprintln!("{} entries", p.entries));
/// let mut opts = ApplyOptions::default();
/// opts.progress = Some(report);
/// ```
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;
