//! The OCI image-spec 1.1: manifests, indexes, configurations, descriptors and layouts.
//!
//! ```
//! use carrack_spec::Document;
//! use carrack_spec::image::{ImageIndex, Platform};
//!
//! let index = ImageIndex::from_slice(br#"{"schemaVersion":2,"manifests":[{
//!   "mediaType":"application/vnd.oci.image.manifest.v1+json","size":7143,
//!   "digest":"sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f",
//!   "platform":{"architecture":"ppc64le","os":"linux","os.version":"6.1"}}]}"#)?;
//! let p: &Platform = index.manifests[0].platform.as_ref().expect("platform");
//! assert_eq!(p.os_version.as_deref(), Some("6.1"));
//! # Ok::<(), carrack_spec::ParseError>(())
//! ```

pub mod annotations;
mod config;
mod descriptor;
mod digest;
mod layout;
mod manifest;
mod media_type;
mod select;
mod validate;

pub use config::*;
pub use descriptor::*;
pub use digest::*;
pub use layout::*;
pub use manifest::*;
pub use media_type::*;
pub use select::{PlatformMatcher, PlatformParseError};
pub(crate) use validate::RULES;

/// The image-spec version these models implement.
pub const VERSION: &str = "1.1.1";
