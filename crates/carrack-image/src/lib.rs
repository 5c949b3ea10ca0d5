//! OCI image layouts (image-spec `image-layout.md`): a content store that never serves
//! unverified bytes, never loses an update, and reads what skopeo and umoci write.
//!
//! * Blobs are written through [`BlobWriter`] — hashed and counted while streaming into a
//!   temporary file inside the layout, synced, renamed to their digest, directory synced — and
//!   read through [`VerifiedReader`], which fails on a wrong size or digest before the stream can
//!   end successfully.
//! * `index.json` changes ([`Layout::tag`], [`Layout::untag`], [`Layout::update_index`]) happen
//!   under an exclusive lock and replace the file atomically.
//! * [`Layout::resolve`] finds one manifest by tag, Docker name or digest through nested indexes
//!   for a [`PlatformMatcher`]; [`ImageLocation`] reads the `LAYOUT:REF` / `LAYOUT@DIGEST`
//!   spelling of the command line and [`Reference`] normalises Docker names (the rules are in
//!   [`reference`](mod@reference)); [`Layout::fsck`] reports every problem; [`Layout::gc`] removes what is
//!   unreachable; [`Layout::referrers`] lists the artifacts that refer to a manifest.
//! * Every path is derived from a validated digest or a fixed name and opened relative to the
//!   layout directory without following symlinks.
//!
//! ```
//! use carrack_image::{Layout, PlatformMatcher};
//! use carrack_spec::image::{Arch, Descriptor, ImageConfiguration, ImageManifest, MediaType, Os, RootFs};
//!
//! let dir = tempfile::tempdir()?;
//! let layout = Layout::create(dir.path())?;
//! let layer = layout.write_blob_bytes(MediaType::ImageLayer, b"not really a tar")?;
//! let config = ImageConfiguration::new(Arch::Amd64, Os::Linux, RootFs::layers(vec![layer.digest.clone()]));
//! let config = layout.write_document(MediaType::ImageConfig, &config)?;
//! let manifest = layout.write_document(MediaType::ImageManifest, &ImageManifest::new(config, vec![layer]))?;
//! layout.tag("latest", manifest.clone())?;
//!
//! let found = layout.resolve("latest", &PlatformMatcher::parse("linux/amd64")?)?;
//! assert_eq!(found.descriptor.digest, manifest.digest);
//! assert!(layout.fsck()?.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Platforms
//!
//! The data and the pure logic build on every OS: [`to_runtime`] and its resolvers,
//! [`Reference`] and [`ImageLocation`] parsing, [`PlatformMatcher`], [`VerifiedReader`],
//! [`tag_of`], the errors and the report types. The store itself — [`Layout`] and
//! [`BlobWriter`] — is Unix only: its containment rests on descriptor-relative opens that never
//! follow a symlink (`openat` with `O_NOFOLLOW`) and its locks on `flock`, and no portable
//! equivalent gives the same guarantee on Windows (see the crate README).

#[cfg(unix)]
mod archive;
mod blob;
mod convert;
mod error;
mod index;
#[cfg(unix)]
mod layout;
pub mod reference;
mod report;
#[cfg(unix)]
mod resolve;
#[cfg(unix)]
mod walk;
#[cfg(unix)]
mod writer;

pub use blob::VerifiedReader;
pub use carrack_spec::image::{PlatformMatcher, PlatformParseError};
pub use convert::{ConvertError, ConvertOptions, EtcFiles, UserResolver, Volumes, to_runtime};
pub use error::{Error, Result};
pub use index::{MAX_DOCUMENT_SIZE, tag_of};
#[cfg(unix)]
pub use layout::Layout;
pub use reference::{ImageLocation, Match, MatchRule, Reference, ReferenceError};
pub use report::{GcOptions, GcReport, ImportReport, Problem, Resolved};
#[cfg(unix)]
pub use writer::BlobWriter;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
