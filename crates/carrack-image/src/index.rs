//! What every OS needs of `index.json` and the layout's documents, store or not.

use carrack_spec::image::{Descriptor, annotations};

/// The largest manifest, index or configuration read as JSON, as registries cap them.
pub const MAX_DOCUMENT_SIZE: u64 = 4 << 20;

/// The tag of an `index.json` entry.
pub fn tag_of(d: &Descriptor) -> Option<&str> {
    d.annotations
        .as_ref()?
        .get(annotations::REF_NAME)
        .map(String::as_str)
}
