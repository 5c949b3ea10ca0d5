//! Image references: where an image is (`LAYOUT:REF`, `LAYOUT@DIGEST`, `LAYOUT`) and which
//! `index.json` entry a reference names, with Docker's name normalisation.
//!
//! # Locations
//!
//! [`ImageLocation::parse`] reads the spelling every `carrack image` command uses for an image,
//! the one skopeo's `oci:` transport uses after its `oci:` prefix:
//!
//! * `LAYOUT@DIGEST` — when the text ends in `@algorithm:hex` (32 or more hex digits) and no
//!   colon comes before the `@`;
//! * `LAYOUT:REF` — split at the **first** colon, so `lay:localhost/app:latest` is the layout
//!   `lay` and the reference `localhost/app:latest` (skopeo does the same);
//! * `LAYOUT` — no colon and no `@DIGEST`: the layout's default image (see
//!   [`Layout::find_default`](crate::Layout::find_default)). `LAYOUT:` is the same.
//!
//! skopeo always splits at the first colon, so it cannot name a layout whose path holds one.
//! carrack keeps that split whenever its layout part is an existing directory; when it is not,
//! the first other split whose layout part is an existing directory is taken instead, trying
//! the later colons in order, then the `@DIGEST` split, then the whole text. When none is a
//! directory the first split stands (and opening the layout reports that path). So
//! `/tmp/a:b/lay:v1` names the layout `/tmp/a:b/lay` when `/tmp/a` does not exist.
//!
//! # Names
//!
//! A reference is first a tag, exactly as `org.opencontainers.image.ref.name` holds it. When no
//! entry has it, it is read as a Docker image name and normalised the way Docker's
//! `ParseNormalizedNamed` does ([`Reference::parse`]):
//!
//! * the first `/`-separated component is a registry only if it contains `.` or `:`, is
//!   `localhost`, or has an upper-case letter; otherwise the registry is `docker.io`
//!   (`index.docker.io` is also read as `docker.io`);
//! * on `docker.io`, a one-component path gets `library/` in front;
//! * a name with neither tag nor digest gets the tag `latest`
//!   ([`Reference::with_default_tag`]).
//!
//! `example/app` is thus `docker.io/example/app:latest` and `busybox` is
//! `docker.io/library/busybox:latest`.
//!
//! # Lookup
//!
//! [`Layout::find`](crate::Layout::find) tries, in order, and stops at the first rule that matches anything:
//!
//! 1. an entry whose `org.opencontainers.image.ref.name` is the reference as given;
//! 2. if the reference is a digest, the entries with that digest (or, for sha256 and sha512, a
//!    manifest or index stored as a blob);
//! 3. if the reference is a Docker name, the entries whose name — holding a `/`, `:` or `@`,
//!    so a plain tag such as `v1` never counts — normalises to the same repository and tag
//!    (and, for `NAME@DIGEST`, has that digest). `example/app:latest`,
//!    `docker.io/example/app:latest` and `example/app` all find an entry stored under any one
//!    of them, and `busybox`, `library/busybox` and `docker.io/library/busybox:latest` are one
//!    image.
//!
//! When nothing matches, [`Error::NoMatch`](crate::Error::NoMatch) lists the names the layout holds.
//!
//! ```
//! use carrack_image::{ImageLocation, Layout, Reference};
//! use carrack_spec::image::MediaType;
//!
//! let loc = ImageLocation::parse_with("lay:localhost/app:latest", |p| p.as_os_str() == "lay")?;
//! assert_eq!(loc.layout, std::path::Path::new("lay"));
//! assert_eq!(loc.reference.as_deref(), Some("localhost/app:latest"));
//!
//! let name = Reference::parse("example/app")?.with_default_tag();
//! assert_eq!(name.to_string(), "docker.io/example/app:latest");
//! assert_eq!(name.familiar(), "example/app:latest");
//!
//! let dir = tempfile::tempdir()?;
//! let layout = Layout::create(dir.path())?;
//! let manifest = layout.write_blob_bytes(MediaType::ImageManifest, b"{}")?;
//! layout.tag("docker.io/example/app:latest", manifest.clone())?;
//! for spelling in ["example/app:latest", "example/app", "docker.io/example/app:latest"] {
//!     assert_eq!(layout.lookup(spelling)?.digest, manifest.digest);
//! }
//! assert!(layout.lookup("example/app:v2").is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use carrack_spec::image::Descriptor;

mod location;
#[cfg(unix)]
mod lookup;
mod name;

pub use location::ImageLocation;
pub use name::Reference;

/// The registry of names that do not name one (Docker Hub).
pub const DEFAULT_DOMAIN: &str = "docker.io";
/// The tag of a name that has neither tag nor digest, and of a bare `LAYOUT`.
pub const DEFAULT_TAG: &str = "latest";
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
const OFFICIAL_PREFIX: &str = "library/";
const MAX_NAME_LENGTH: usize = 255;
const MAX_TAG_LENGTH: usize = 128;

/// Why a location or a name could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// The location is empty.
    #[error("an empty image location: expected LAYOUT, LAYOUT:REF or LAYOUT@DIGEST")]
    EmptyLocation,
    /// Nothing comes before the `:` or `@`.
    #[error(
        "{0:?}: no layout path before the ':' or '@' (expected LAYOUT, LAYOUT:REF or LAYOUT@DIGEST)"
    )]
    NoLayout(String),
    /// The text is not a Docker image name.
    #[error("{reference:?}: not an image name: {reason}")]
    InvalidName {
        /// The text.
        reference: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
}

/// Which rule of [`Layout::find`](crate::Layout::find) matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MatchRule {
    /// A tag exactly as given.
    Exact,
    /// A digest: an `index.json` entry with it, or a manifest or index stored as a blob.
    Digest,
    /// A stored name equal to the reference under Docker's normalisation.
    Normalized,
    /// No reference was given and the layout holds one image
    /// ([`Layout::find_default`](crate::Layout::find_default)).
    Only,
}

/// What [`Layout::find`](crate::Layout::find) found.
#[derive(Debug, Clone)]
pub struct Match {
    /// The `index.json` entry (or the stored blob's descriptor).
    pub descriptor: Descriptor,
    /// The stored names (`org.opencontainers.image.ref.name`) that matched; empty for a digest
    /// or an untagged entry.
    pub names: Vec<String>,
    /// The rule that matched.
    pub rule: MatchRule,
}
