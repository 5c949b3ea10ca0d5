//! Pre-defined annotation keys (image-spec `annotations.md`).
//!
//! ```
//! use carrack_spec::image::annotations;
//! assert_eq!(annotations::REF_NAME, "org.opencontainers.image.ref.name");
//! assert!(annotations::is_predefined(annotations::CREATED));
//! ```

/// Date and time the image was built (RFC 3339).
pub const CREATED: &str = "org.opencontainers.image.created";
/// Contact details of the people or organisation responsible for the image.
pub const AUTHORS: &str = "org.opencontainers.image.authors";
/// URL to find more information on the image.
pub const URL: &str = "org.opencontainers.image.url";
/// URL to get documentation on the image.
pub const DOCUMENTATION: &str = "org.opencontainers.image.documentation";
/// URL to get the source code for building the image.
pub const SOURCE: &str = "org.opencontainers.image.source";
/// Version of the packaged software.
pub const VERSION: &str = "org.opencontainers.image.version";
/// Source control revision of the packaged software.
pub const REVISION: &str = "org.opencontainers.image.revision";
/// Name of the distributing entity.
pub const VENDOR: &str = "org.opencontainers.image.vendor";
/// Licenses, as an SPDX expression.
pub const LICENSES: &str = "org.opencontainers.image.licenses";
/// Name of the reference for a target; a tag in an image layout's `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// Human-readable title of the image.
pub const TITLE: &str = "org.opencontainers.image.title";
/// Human-readable description of the software packaged in the image.
pub const DESCRIPTION: &str = "org.opencontainers.image.description";
/// Digest of the image this image is based on.
pub const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";
/// Reference of the image this image is based on.
pub const BASE_NAME: &str = "org.opencontainers.image.base.name";

/// Every key pre-defined by image-spec.
pub const PREDEFINED: &[&str] = &[
    CREATED,
    AUTHORS,
    URL,
    DOCUMENTATION,
    SOURCE,
    VERSION,
    REVISION,
    VENDOR,
    LICENSES,
    REF_NAME,
    TITLE,
    DESCRIPTION,
    BASE_DIGEST,
    BASE_NAME,
];

/// The reserved prefix.
pub const RESERVED_PREFIX: &str = "org.opencontainers";

/// Whether `key` is one of the pre-defined keys.
pub fn is_predefined(key: &str) -> bool {
    PREDEFINED.contains(&key)
}
