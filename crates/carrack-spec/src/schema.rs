//! JSON Schema checking of raw documents (feature `schema`).
//!
//! The official OCI schemas are draft-04 documents that refer to one another by file name
//! (`defs.json#/definitions/…`). A [`SchemaSet`] holds one specification's schema files and
//! resolves those references among themselves only: nothing is ever fetched from the network or
//! read from anywhere but the files you give it. [`SchemaSet::official`] gives the schemas of
//! runtime-spec 1.3.0 and image-spec 1.1.1, embedded in this crate (Apache-2.0, from
//! opencontainers; see `schemas/README.md`).
//!
//! Where a schema refuses what the prose of its spec allows, [`Disagreement`] says so, quoting
//! the prose.
//!
//! ```
//! use carrack_spec::schema::{Disagreement, SchemaSet};
//! use carrack_spec::{DocumentKind, SpecName};
//!
//! let set = SchemaSet::official(SpecName::Image)?;
//! let validator = set.validator_for(DocumentKind::Manifest)?;
//! let doc = serde_json::json!({"schemaVersion": 2, "config": {
//!     "mediaType": "application/vnd.oci.image.config.v1+json", "size": 2,
//!     "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
//!   "layers": []});
//! let violations = validator.check(&doc);
//! assert_eq!(violations[0].pointer, "/layers");
//! // The schema wants a layer; the prose only says SHOULD.
//! let d = violations[0].disagreement(DocumentKind::Manifest).expect("a known disagreement");
//! assert!(d.prose.quote.contains("SHOULD have at least one entry"));
//! # Ok::<(), carrack_spec::schema::SchemaError>(())
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::{DocumentKind, Level, Rule, SpecName};

/// A schema set could not be loaded or compiled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// A schema file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A schema file is not JSON.
    #[error("{path}: not JSON: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// The set has no file of that name.
    #[error("schema {0:?} is not in the set")]
    Missing(String),
    /// An embedded schema file is not JSON (a build of this crate gone wrong).
    #[error("embedded schema {file}: not JSON: {source}")]
    Embedded {
        /// The file.
        file: &'static str,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// The schema does not compile (a bad keyword or an unresolvable `$ref`).
    #[error("schema {file:?} does not compile: {message}")]
    Compile {
        /// The root schema file.
        file: String,
        /// What the compiler reports.
        message: String,
    },
}

/// One violation of a schema.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SchemaViolation {
    /// JSON pointer of the offending value in the document.
    pub pointer: String,
    /// JSON pointer of the schema keyword that failed.
    pub schema_pointer: String,
    /// What is wrong.
    pub message: String,
}

/// The schema files of one specification, by file name.
#[derive(Debug, Clone, Default)]
pub struct SchemaSet {
    files: BTreeMap<String, Value>,
}

impl SchemaSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the schema called `file_name`, e.g. `defs.json`.
    pub fn insert(&mut self, file_name: impl Into<String>, schema: Value) {
        self.files.insert(file_name.into(), schema);
    }

    /// The official schema files of `spec`, embedded in this crate: runtime-spec 1.3.0 or
    /// image-spec 1.1.1.
    ///
    /// ```
    /// use carrack_spec::schema::SchemaSet;
    /// use carrack_spec::{DocumentKind, SpecName};
    ///
    /// let set = SchemaSet::official(SpecName::Runtime)?;
    /// let state = serde_json::json!({"ociVersion": "1.3.0", "id": "c1", "status": "running",
    ///                                "pid": 42, "bundle": "/b"});
    /// assert!(set.validator_for(DocumentKind::State)?.is_valid(&state));
    /// # Ok::<(), carrack_spec::schema::SchemaError>(())
    /// ```
    pub fn official(spec: SpecName) -> Result<Self, SchemaError> {
        let files = match spec {
            SpecName::Runtime => RUNTIME_SCHEMAS,
            SpecName::Image => IMAGE_SCHEMAS,
        };
        let mut set = Self::new();
        for (file, text) in files {
            let value = serde_json::from_str(text)
                .map_err(|source| SchemaError::Embedded { file, source })?;
            set.insert(*file, value);
        }
        Ok(set)
    }

    /// The names of the files in the set.
    ///
    /// ```
    /// use carrack_spec::schema::SchemaSet;
    /// use carrack_spec::SpecName;
    /// let set = SchemaSet::official(SpecName::Image)?;
    /// assert!(set.file_names().any(|f| f == "image-manifest-schema.json"));
    /// # Ok::<(), carrack_spec::schema::SchemaError>(())
    /// ```
    pub fn file_names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Loads every `*.json` file of `dir` (not recursively).
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, SchemaError> {
        let dir = dir.as_ref();
        let read_err = |source| SchemaError::Read {
            path: dir.to_path_buf(),
            source,
        };
        let mut set = Self::new();
        for entry in std::fs::read_dir(dir).map_err(read_err)? {
            let path = entry.map_err(read_err)?.path();
            if path.extension().is_none_or(|e| e != "json") || !path.is_file() {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|source| SchemaError::Read {
                path: path.clone(),
                source,
            })?;
            let value = serde_json::from_slice(&bytes).map_err(|source| SchemaError::Parse {
                path: path.clone(),
                source,
            })?;
            if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                set.insert(name, value);
            }
        }
        Ok(set)
    }

    /// The root schema file of a document kind in the official schema directories.
    pub fn root_file(kind: DocumentKind) -> &'static str {
        match kind {
            DocumentKind::Config => "config-schema.json",
            DocumentKind::State => "state-schema.json",
            DocumentKind::Features => "features-schema.json",
            DocumentKind::Manifest => "image-manifest-schema.json",
            DocumentKind::Index => "image-index-schema.json",
            DocumentKind::ImageConfig => "config-schema.json",
            DocumentKind::Descriptor => "content-descriptor.json",
            DocumentKind::ImageLayout => "image-layout-schema.json",
        }
    }

    /// Compiles the validator of `kind`'s root schema.
    pub fn validator_for(&self, kind: DocumentKind) -> Result<SchemaValidator, SchemaError> {
        self.validator(Self::root_file(kind))
    }

    /// Compiles a validator whose root is the file `root`.
    pub fn validator(&self, root: &str) -> Result<SchemaValidator, SchemaError> {
        let schema = self
            .files
            .get(root)
            .ok_or_else(|| SchemaError::Missing(root.to_owned()))?;
        let files = Arc::new(self.files.clone());
        let inner = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .with_base_uri(format!("file:///oci-schema/{root}"))
            .with_retriever(ByFileName(files))
            .build(schema)
            .map_err(|e| SchemaError::Compile {
                file: root.to_owned(),
                message: e.to_string(),
            })?;
        Ok(SchemaValidator { inner })
    }
}

/// Embeds the files of `schemas/<dir>/`, by name.
macro_rules! embed {
    ($dir:literal: $($file:literal),* $(,)?) => {
        &[$(($file, include_str!(concat!("../schemas/", $dir, "/", $file)))),*]
    };
}

/// The schema files of runtime-spec 1.3.0 (opencontainers/runtime-spec `schema/`).
const RUNTIME_SCHEMAS: &[(&str, &str)] = embed!("runtime-spec":
    "config-freebsd.json",
    "config-linux.json",
    "config-schema.json",
    "config-solaris.json",
    "config-vm.json",
    "config-windows.json",
    "config-zos.json",
    "defs-freebsd.json",
    "defs-linux.json",
    "defs-vm.json",
    "defs-windows.json",
    "defs-zos.json",
    "defs.json",
    "features-linux.json",
    "features-schema.json",
    "state-schema.json",
);

/// The schema files of image-spec 1.1.1 (opencontainers/image-spec `schema/`).
const IMAGE_SCHEMAS: &[(&str, &str)] = embed!("image-spec":
    "config-schema.json",
    "content-descriptor.json",
    "defs-descriptor.json",
    "defs.json",
    "image-index-schema.json",
    "image-layout-schema.json",
    "image-manifest-schema.json",
);

/// A place where an official schema refuses what the prose of its specification allows (or
/// only advises against). The prose is the specification; the schema is a tool that was not
/// kept in step.
///
/// ```
/// use carrack_spec::schema::Disagreement;
/// use carrack_spec::DocumentKind;
/// let d = Disagreement::all().iter().find(|d| d.kind == DocumentKind::Config).expect("one");
/// assert!(!d.prose.quote.is_empty());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Disagreement {
    /// The kind of document.
    #[serde(skip)]
    pub kind: DocumentKind,
    /// The JSON pointer of the member concerned; `*` stands for any one segment.
    pub pointer: &'static str,
    /// The schema keyword that refuses it (`minItems`, `maximum`, `type`…).
    pub keyword: &'static str,
    /// What the prose says about the member, quoted.
    pub prose: Rule,
    /// The level of the prose rule a violating value breaks, or `None` when the prose allows
    /// it outright.
    pub prose_level: Option<Level>,
    /// How the two disagree, in a sentence.
    pub note: &'static str,
}

/// The known disagreements, by document kind.
const DISAGREEMENTS: &[Disagreement] = &[
    Disagreement {
        kind: DocumentKind::Manifest,
        pointer: "/layers",
        keyword: "minItems",
        prose: Rule::image(
            "manifest.md",
            "Image Manifest Property Descriptions",
            "For portability, layers SHOULD have at least one entry.",
        ),
        prose_level: Some(Level::Should),
        note: "the schema requires at least one layer; the prose only says SHOULD",
    },
    Disagreement {
        kind: DocumentKind::Config,
        pointer: "/linux/devices/*/fileMode",
        keyword: "maximum",
        prose: Rule::runtime(
            "config-linux.md",
            "Devices",
            "fileMode (uint32, OPTIONAL) - file mode for the device. Note it is a decimal (not an octal) number.",
        ),
        prose_level: None,
        note: "the schema caps fileMode at 511 (0777); the prose makes it any uint32, so the \
               setuid, setgid and sticky bits and the file type bits of st_mode are allowed",
    },
    Disagreement {
        kind: DocumentKind::Config,
        pointer: "/freebsd/devices/*/mode",
        keyword: "maximum",
        prose: Rule::runtime(
            "config-freebsd.md",
            "Devices",
            "mode (uint32, OPTIONAL) - file mode for the device.",
        ),
        prose_level: None,
        note: "the schema caps mode at 511 (0777); the prose makes it any uint32",
    },
    Disagreement {
        kind: DocumentKind::Config,
        pointer: "/windows/resources/cpu/affinity",
        keyword: "type",
        prose: Rule::runtime(
            "config-windows.md",
            "CPU",
            "affinity (array of objects, OPTIONAL) - specifies the set of CPU to affinitize for this container.",
        ),
        prose_level: None,
        note: "the schema wants one object; the prose an array of objects",
    },
];

impl Disagreement {
    /// Every known disagreement between the official schemas and the prose.
    pub fn all() -> &'static [Disagreement] {
        DISAGREEMENTS
    }

    /// The disagreement `violation` (of a document of `kind`) falls under, if any.
    ///
    /// ```
    /// use carrack_spec::schema::{Disagreement, SchemaViolation};
    /// use carrack_spec::DocumentKind;
    /// let v = SchemaViolation {
    ///     pointer: "/linux/devices/3/fileMode".into(),
    ///     schema_pointer: "/properties/linux/properties/devices/items/$ref/properties/fileMode/$ref/maximum".into(),
    ///     message: "8630 is greater than the maximum of 511".into(),
    /// };
    /// let d = Disagreement::find(DocumentKind::Config, &v).expect("known");
    /// assert_eq!(d.prose_level, None);
    /// ```
    pub fn find(kind: DocumentKind, violation: &SchemaViolation) -> Option<&'static Disagreement> {
        let keyword = violation.schema_pointer.rsplit('/').next().unwrap_or("");
        DISAGREEMENTS.iter().find(|d| {
            d.kind == kind && d.keyword == keyword && pointer_matches(d.pointer, &violation.pointer)
        })
    }

    /// Whether the prose lets a document that breaks only this schema constraint be valid.
    pub fn prose_allows(&self) -> bool {
        self.prose_level != Some(Level::Must)
    }
}

/// Whether `pointer` matches `pattern`, where a `*` segment matches any one segment.
fn pointer_matches(pattern: &str, pointer: &str) -> bool {
    let mut p = pattern.split('/');
    let mut q = pointer.split('/');
    loop {
        match (p.next(), q.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == "*" || a == b => {}
            _ => return false,
        }
    }
}

/// Serves `$ref`s from the set by the last segment of their URI.
struct ByFileName(Arc<BTreeMap<String, Value>>);

#[derive(Debug, thiserror::Error)]
#[error("{0}: not in the schema set (nothing is fetched from elsewhere)")]
struct NotInSet(String);

impl jsonschema::Retrieve for ByFileName {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let path = uri.path().as_str();
        let name = path.rsplit('/').next().unwrap_or(path);
        self.0
            .get(name)
            .cloned()
            .ok_or_else(|| Box::new(NotInSet(uri.as_str().to_owned())) as _)
    }
}

/// A compiled schema.
pub struct SchemaValidator {
    inner: jsonschema::Validator,
}

impl std::fmt::Debug for SchemaValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SchemaValidator")
    }
}

impl SchemaViolation {
    /// The known disagreement between schema and prose this violation (of a document of `kind`)
    /// falls under, if any; see [`Disagreement::find`].
    pub fn disagreement(&self, kind: DocumentKind) -> Option<&'static Disagreement> {
        Disagreement::find(kind, self)
    }
}

impl SchemaValidator {
    /// Every violation of the schema by `doc`; empty when it conforms.
    pub fn check(&self, doc: &Value) -> Vec<SchemaViolation> {
        self.inner
            .iter_errors(doc)
            .map(|e| SchemaViolation {
                pointer: e.instance_path().to_string(),
                schema_pointer: e.schema_path().to_string(),
                message: e.to_string(),
            })
            .collect()
    }

    /// Whether `doc` conforms.
    pub fn is_valid(&self, doc: &Value) -> bool {
        self.inner.is_valid(doc)
    }
}
