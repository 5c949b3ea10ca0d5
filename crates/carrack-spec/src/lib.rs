//! Typed, lossless and validated models of the Open Container Initiative specifications:
//! [runtime-spec 1.3](runtime) and [image-spec 1.1](image).
//!
//! * **Lossless**: parse then write any document and you get the same JSON value back. Members
//!   carrack does not know are kept in each type's `extra` map; nothing is defaulted in; empty
//!   collections that were absent stay absent.
//! * **Deterministic**: every map is a `BTreeMap`, so one value always writes the same bytes.
//! * **Forward compatible**: enumerations such as [`runtime::Capability`] or [`image::MediaType`]
//!   are open; an unknown value parses as `Other`, and [`Document::validate`] reports it where
//!   the spec lists the valid values (an unknown capability only as the warning the spec asks
//!   for).
//! * **Validated**: [`Document::validate`] returns every broken MUST and SHOULD rule, each with a
//!   JSON pointer and the [`Rule`] it breaks: chapter, section and the sentence of the spec,
//!   quoted. Nothing the spec does not say is checked; what only the official JSON schemas say
//!   is left to them (feature `schema`, which embeds them).
//! * **Small**: serde, serde_json, thiserror, sha2 and base64 by default (and `pastey` at compile
//!   time); JSON Schema checking is behind the `schema` feature.
//! * **Pleasant to build**: every member has a chainable `with_*` setter, models whose members
//!   are all optional have `Default`, and the usual pieces take one call
//!   ([`runtime::Mount::bind`], [`runtime::Spec::with_memory_limit`], …).
//!
//! ```
//! use carrack_spec::Document;
//! use carrack_spec::image::ImageManifest;
//!
//! let json = br#"{
//!   "schemaVersion": 2,
//!   "mediaType": "application/vnd.oci.image.manifest.v1+json",
//!   "config": {
//!     "mediaType": "application/vnd.oci.image.config.v1+json",
//!     "digest": "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7",
//!     "size": 7023
//!   },
//!   "layers": []
//! }"#;
//! let manifest = ImageManifest::from_slice(json)?;
//! let report = manifest.validate();
//! assert!(report.is_valid());
//! // An image manifest SHOULD have at least one layer.
//! assert_eq!(report.shoulds().count(), 1);
//! # Ok::<(), carrack_spec::ParseError>(())
//! ```

mod document;
mod extra;
pub mod image;
mod model;
mod rules;
pub mod runtime;
#[cfg(feature = "schema")]
pub mod schema;
pub mod time;
mod validation;

pub use document::{Document, DocumentKind, ParseError, strict};
pub use extra::Extra;
pub use validation::{Finding, Level, QuoteError, Report, Rule, SpecName, normalize_prose};

/// The examples of the crate's README (what crates.io shows), run as doctests so that they keep
/// compiling and passing.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
