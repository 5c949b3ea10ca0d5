//! Committing a changed rootfs as a new image in a layout: the changeset layer (compressed as
//! asked, its diff_id and blob digest computed in one pass), a configuration with the diff_id
//! and a history entry appended, a manifest with the layer appended, and a tag.

use std::io;

use carrack_spec::image::{Compression, Descriptor, Digest};

use crate::diff::{DiffError, LayerOptions};

#[cfg(target_os = "linux")]
mod layer;
#[cfg(target_os = "linux")]
mod write;
#[cfg(target_os = "linux")]
pub use layer::{LayerWriter, StoredLayer, store_layer};
#[cfg(target_os = "linux")]
pub use write::commit;

/// Options of [`commit`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CommitOptions {
    /// How to compress the layer. Default gzip.
    pub compression: Compression,
    /// How the layer is written (time clamping, id map).
    pub layer: LayerOptions,
    /// The new image's creation time (seconds since the epoch): the configuration's `created`
    /// and the history entry's. Default: now.
    pub created: Option<i64>,
    /// `history[].created_by`.
    pub created_by: Option<String>,
    /// `history[].comment`.
    pub comment: Option<String>,
    /// `author` and `history[].author`.
    pub author: Option<String>,
    /// The tag to give the new manifest in `index.json`; untagged it is still added.
    pub tag: Option<String>,
}

impl Default for CommitOptions {
    fn default() -> Self {
        Self {
            compression: Compression::Gzip,
            layer: LayerOptions::default(),
            created: None,
            created_by: Some("carrack image commit".into()),
            comment: None,
            author: None,
            tag: None,
        }
    }
}

/// What [`commit`] wrote.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Committed {
    /// The new manifest (as added to `index.json`).
    pub manifest: Descriptor,
    /// The new configuration.
    pub config: Descriptor,
    /// The new layer.
    pub layer: Descriptor,
    /// The layer's uncompressed digest.
    pub diff_id: Digest,
}

/// Why a commit failed. Nothing is tagged unless everything was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommitError {
    /// Writing the changeset failed.
    #[error(transparent)]
    Diff(#[from] DiffError),
    /// Reading or writing the layout failed.
    #[error(transparent)]
    Layout(#[from] carrack_image::Error),
    /// Compressing failed.
    #[error("compressing the layer: {0}")]
    Compress(#[source] io::Error),
    /// Reading the layer's tar stream failed (or writing it out did).
    #[error("storing the layer's tar stream: {0}")]
    Read(#[source] io::Error),
}
