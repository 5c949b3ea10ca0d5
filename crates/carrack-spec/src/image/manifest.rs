//! Image manifests and indexes (image-spec `manifest.md`, `image-index.md`).

use std::collections::BTreeMap;

use crate::image::{Descriptor, MediaType};
use crate::model::model;

model! {
    /// An image manifest: one image's configuration and layers, for one platform.
    ///
    /// ```
    /// use carrack_spec::image::{Descriptor, ImageManifest, MediaType, Digest};
    /// let config = Descriptor::new(MediaType::ImageConfig, Digest::sha256_of(b"..."), 3);
    /// let layer = Descriptor::new(MediaType::ImageLayerGzip, Digest::sha256_of(b"tar"), 3);
    /// let m = ImageManifest::new(config, vec![layer]);
    /// assert_eq!(m.schema_version, 2);
    /// assert_eq!(m.media_type, Some(MediaType::ImageManifest));
    /// ```
    pub struct ImageManifest {
        /// Always 2.
        schema_version: req(i64) = "schemaVersion",
        /// `application/vnd.oci.image.manifest.v1+json`.
        media_type: opt(MediaType) = "mediaType",
        /// The artifact type, for artifacts.
        artifact_type: opt(MediaType) = "artifactType",
        /// The configuration blob.
        config: req(Descriptor) = "config",
        /// The layers, base first.
        layers: req(Vec<Descriptor>) = "layers",
        /// The manifest this one refers to (referrers API).
        subject: opt(Descriptor) = "subject",
        /// Arbitrary metadata.
        annotations: opt(BTreeMap<String, String>) = "annotations",
    }
}

impl ImageManifest {
    /// A manifest (schema version 2, OCI media type) of `config` and `layers`.
    pub fn new(config: Descriptor, layers: Vec<Descriptor>) -> Self {
        Self {
            schema_version: 2,
            media_type: Some(MediaType::ImageManifest),
            artifact_type: None,
            config,
            layers,
            subject: None,
            annotations: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// An image index: manifests for several platforms, or other indexes.
    ///
    /// ```
    /// use carrack_spec::image::ImageIndex;
    /// let index = ImageIndex::new(Vec::new());
    /// assert_eq!(serde_json::to_string(&index).unwrap(),
    ///     r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#);
    /// ```
    pub struct ImageIndex {
        /// Always 2.
        schema_version: req(i64) = "schemaVersion",
        /// `application/vnd.oci.image.index.v1+json`.
        media_type: opt(MediaType) = "mediaType",
        /// The artifact type, for artifacts.
        artifact_type: opt(MediaType) = "artifactType",
        /// The manifests and indexes; may be empty.
        manifests: req(Vec<Descriptor>) = "manifests",
        /// The manifest this index refers to (referrers API).
        subject: opt(Descriptor) = "subject",
        /// Arbitrary metadata.
        annotations: opt(BTreeMap<String, String>) = "annotations",
    }
}

impl ImageIndex {
    /// An index (schema version 2, OCI media type) of `manifests`.
    pub fn new(manifests: Vec<Descriptor>) -> Self {
        Self {
            schema_version: 2,
            media_type: Some(MediaType::ImageIndex),
            artifact_type: None,
            manifests,
            subject: None,
            annotations: None,
            extra: crate::Extra::new(),
        }
    }
}
