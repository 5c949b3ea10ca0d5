//! Resource limits of unpacking, so a hostile layer (a gzip bomb, millions of empty entries,
//! endless path names) stops early with an error that names the limit.

/// Limits applied while unpacking. Each is checked as the stream is read, never after the fact.
///
/// ```
/// use carrack_unpack::Limits;
/// let mut strict = Limits::default();
/// strict.max_total_bytes = 1 << 30;
/// assert!(strict.max_total_bytes < Limits::default().max_total_bytes);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Uncompressed bytes of one image (all layers, tar headers included). Default 64 GiB.
    pub max_total_bytes: u64,
    /// Content bytes of one entry. Default 32 GiB.
    pub max_entry_bytes: u64,
    /// Entries of one image (all layers). Default 4 Mi.
    pub max_entries: u64,
    /// Bytes of one entry name or link target. Default 4096 (PATH_MAX).
    pub max_path_len: usize,
    /// Uncompressed bytes per compressed byte of a layer, checked once a layer has produced
    /// [`Limits::ratio_grace_bytes`]. Default 200 (gzip cannot exceed ~1032).
    pub max_ratio: u64,
    /// Uncompressed bytes a layer may produce before the ratio is checked. Default 64 MiB.
    pub ratio_grace_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_total_bytes: 64 << 30,
            max_entry_bytes: 32 << 30,
            max_entries: 4 << 20,
            max_path_len: 4096,
            max_ratio: 200,
            ratio_grace_bytes: 64 << 20,
        }
    }
}

impl Limits {
    /// No limits at all (for trusted content only).
    pub fn unlimited() -> Self {
        Self {
            max_total_bytes: u64::MAX,
            max_entry_bytes: u64::MAX,
            max_entries: u64::MAX,
            max_path_len: usize::MAX,
            max_ratio: u64::MAX,
            ratio_grace_bytes: u64::MAX,
        }
    }
}

/// Which limit was exceeded, with the figures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitExceeded {
    /// Too many uncompressed bytes in all.
    #[error("more than {limit} uncompressed bytes in all (Limits::max_total_bytes)")]
    TotalBytes {
        /// The limit.
        limit: u64,
    },
    /// One entry is too large.
    #[error("entry of {size} bytes exceeds Limits::max_entry_bytes ({limit})")]
    EntryBytes {
        /// The entry's size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Too many entries.
    #[error("more than {limit} entries (Limits::max_entries)")]
    Entries {
        /// The limit.
        limit: u64,
    },
    /// A name or link target is too long.
    #[error("name of {len} bytes exceeds Limits::max_path_len ({limit})")]
    PathLen {
        /// The length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The compression ratio is implausible (a decompression bomb).
    #[error(
        "{uncompressed} bytes from {compressed} compressed bytes exceeds Limits::max_ratio ({limit}:1): a decompression bomb?"
    )]
    Ratio {
        /// Compressed bytes read.
        compressed: u64,
        /// Uncompressed bytes produced.
        uncompressed: u64,
        /// The limit.
        limit: u64,
    },
}
