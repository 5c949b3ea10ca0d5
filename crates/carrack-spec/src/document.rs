//! Parsing and writing whole documents, with errors that say where the input is wrong.

use std::fmt;
use std::io::Read;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::validation::{Report, SpecName};

/// The kinds of JSON document the two specs define.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DocumentKind {
    /// runtime-spec `config.json`.
    Config,
    /// runtime-spec state.
    State,
    /// runtime-spec features.
    Features,
    /// image-spec image manifest.
    Manifest,
    /// image-spec image index.
    Index,
    /// image-spec image configuration.
    ImageConfig,
    /// image-spec content descriptor.
    Descriptor,
    /// image-spec `oci-layout` file.
    ImageLayout,
}

impl DocumentKind {
    /// Every kind, in the order above.
    pub const ALL: [DocumentKind; 8] = [
        Self::Config,
        Self::State,
        Self::Features,
        Self::Manifest,
        Self::Index,
        Self::ImageConfig,
        Self::Descriptor,
        Self::ImageLayout,
    ];

    /// The short name used on command lines (`config`, `image-config`, `oci-layout`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Config => "config",
            Self::State => "state",
            Self::Features => "features",
            Self::Manifest => "manifest",
            Self::Index => "index",
            Self::ImageConfig => "image-config",
            Self::Descriptor => "descriptor",
            Self::ImageLayout => "oci-layout",
        }
    }

    /// The kind with short name `name`.
    ///
    /// ```
    /// use carrack_spec::DocumentKind;
    /// assert_eq!(DocumentKind::from_name("image-config"), Some(DocumentKind::ImageConfig));
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The specification that defines this kind of document.
    ///
    /// ```
    /// use carrack_spec::{DocumentKind, SpecName};
    /// assert_eq!(DocumentKind::State.spec(), SpecName::Runtime);
    /// assert_eq!(DocumentKind::ImageConfig.spec(), SpecName::Image);
    /// ```
    pub fn spec(self) -> SpecName {
        match self {
            Self::Config | Self::State | Self::Features => SpecName::Runtime,
            Self::Manifest
            | Self::Index
            | Self::ImageConfig
            | Self::Descriptor
            | Self::ImageLayout => SpecName::Image,
        }
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A document that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The bytes are not JSON, or not a document of this kind.
    #[error("{kind}: {pointer_text}: {source}", pointer_text = display_pointer(pointer))]
    Json {
        /// The document kind that was expected.
        kind: DocumentKind,
        /// JSON pointer (RFC 6901) of the member where parsing failed.
        pointer: String,
        /// What serde_json reports, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// Reading the input failed.
    #[error("{kind}: read failed: {source}")]
    Io {
        /// The document kind that was expected.
        kind: DocumentKind,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The input is larger than the caller allows.
    #[error("{kind}: document is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The document kind that was expected.
        kind: DocumentKind,
        /// The limit, in bytes.
        limit: u64,
    },
}

fn display_pointer(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

impl ParseError {
    /// The JSON pointer of the offending member, when the error is about the content.
    pub fn pointer(&self) -> Option<&str> {
        match self {
            Self::Json { pointer, .. } => Some(pointer),
            _ => None,
        }
    }
}

/// A top-level document of either spec: parse, write and validate it.
///
/// ```
/// use carrack_spec::Document;
/// use carrack_spec::image::ImageManifest;
///
/// let err = ImageManifest::from_slice(br#"{"schemaVersion": 2, "config": {"mediaType": 1}}"#)
///     .unwrap_err();
/// assert_eq!(err.pointer(), Some("/config/mediaType"));
/// ```
pub trait Document: Serialize + DeserializeOwned {
    /// Which kind of document this is.
    const KIND: DocumentKind;

    /// Parses a document from JSON bytes. Trailing non-whitespace is an error.
    fn from_slice(bytes: &[u8]) -> Result<Self, ParseError> {
        parse(bytes, Self::KIND)
    }

    /// Parses a document from a JSON string.
    fn from_json_str(text: &str) -> Result<Self, ParseError> {
        parse(text.as_bytes(), Self::KIND)
    }

    /// Reads at most `limit` bytes from `reader` and parses them.
    fn from_reader_limited(reader: impl Read, limit: u64) -> Result<Self, ParseError> {
        let mut bytes = Vec::new();
        reader
            .take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|source| ParseError::Io {
                kind: Self::KIND,
                source,
            })?;
        if bytes.len() as u64 > limit {
            return Err(ParseError::TooLarge {
                kind: Self::KIND,
                limit,
            });
        }
        Self::from_slice(&bytes)
    }

    /// Converts an already parsed JSON value.
    fn from_value(value: serde_json::Value) -> Result<Self, ParseError> {
        match crate::model::with_names_as_str(|| serde_path_to_error::deserialize(value)) {
            Ok(v) => Ok(v),
            Err(e) => Err(json_error(Self::KIND, e)),
        }
    }

    /// Writes the document as compact JSON. Map keys are ordered, so equal values give equal
    /// bytes.
    fn to_vec(&self) -> Vec<u8> {
        // Serialising these models cannot fail: every map has string keys and every value is
        // plain data. Fall back to an empty document rather than panic if that ever changes.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Writes the document as compact JSON text.
    fn to_string_compact(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Writes the document as indented JSON text.
    fn to_string_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The document as a JSON value.
    fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Checks every MUST and SHOULD rule the spec states for this document.
    fn validate(&self) -> Report;
}

fn parse<T: DeserializeOwned>(bytes: &[u8], kind: DocumentKind) -> Result<T, ParseError> {
    // Fast path without path tracking; on failure, parse again to find where.
    let mut de = serde_json::Deserializer::from_slice(bytes);
    if let Ok(v) = T::deserialize(&mut de).and_then(|v| de.end().map(|()| v)) {
        return Ok(v);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = crate::model::with_names_as_str(|| serde_path_to_error::deserialize(&mut de));
    match result {
        Ok(v) => match de.end() {
            Ok(()) => Ok(v),
            Err(source) => Err(ParseError::Json {
                kind,
                pointer: String::new(),
                source,
            }),
        },
        Err(e) => Err(json_error(kind, e)),
    }
}

fn json_error(kind: DocumentKind, e: serde_path_to_error::Error<serde_json::Error>) -> ParseError {
    let mut pointer = String::new();
    for segment in e.path().iter() {
        use serde_path_to_error::Segment;
        pointer.push('/');
        match segment {
            Segment::Seq { index } => pointer.push_str(&index.to_string()),
            Segment::Map { key } => pointer.push_str(&key.replace('~', "~0").replace('/', "~1")),
            Segment::Enum { variant } => pointer.push_str(variant),
            Segment::Unknown => pointer.push('?'),
        }
    }
    ParseError::Json {
        kind,
        pointer,
        source: e.into_inner(),
    }
}

/// Strict parsing: like [`Document::from_slice`], but a member the model does not know is an
/// error instead of being kept in `extra`.
///
/// Documents from the field should be parsed leniently — both specs say unknown members MUST be
/// ignored — but strict parsing finds typos in hand-written configs and proves that a model
/// covers a schema.
///
/// ```
/// use carrack_spec::{strict, runtime::Spec};
/// let err = strict::from_slice::<Spec>(br#"{"ociVersion":"1.3.0","procss":{}}"#).unwrap_err();
/// assert!(err.to_string().contains("unknown field `procss`"));
/// ```
pub mod strict {
    use super::{Document, ParseError};

    /// Parses `bytes` as `T`, rejecting unknown members.
    pub fn from_slice<T: Document>(bytes: &[u8]) -> Result<T, ParseError> {
        crate::model::with_strict(|| T::from_slice(bytes))
    }
}
