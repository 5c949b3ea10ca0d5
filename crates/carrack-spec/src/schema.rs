//! JSON Schema checking of raw documents (feature `schema`).
//!
//! The official OCI schemas are draft-04 documents that refer to one another by file name
//! (`defs.json#/definitions/…`). A [`SchemaSet`] holds one specification's schema files and
//! resolves those references among themselves only: nothing is ever fetched from the network or
//! read from anywhere but the files you give it.
//!
//! ```no_run
//! use carrack_spec::schema::SchemaSet;
//! use carrack_spec::DocumentKind;
//!
//! let set = SchemaSet::from_dir("specs/image-spec/schema")?;
//! let validator = set.validator_for(DocumentKind::Manifest)?;
//! let doc = serde_json::json!({"schemaVersion": 2, "config": {}, "layers": []});
//! for v in validator.check(&doc) {
//!     println!("{}: {}", v.pointer, v.message);
//! }
//! # Ok::<(), carrack_spec::schema::SchemaError>(())
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::DocumentKind;

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
