//! Media types (image-spec `media-types.md`) and their Docker counterparts.

use crate::model::open_enum;

open_enum! {
    /// A media type: every OCI type, the Docker image manifest v2 schema 2 types, or any other.
    ///
    /// ```
    /// use carrack_spec::image::MediaType;
    /// let m = MediaType::from("application/vnd.docker.image.rootfs.diff.tar.gzip");
    /// assert!(m.is_docker());
    /// assert_eq!(m.to_oci(), MediaType::ImageLayerGzip);
    /// ```
    pub enum MediaType {
        Descriptor = "application/vnd.oci.descriptor.v1+json",
        LayoutHeader = "application/vnd.oci.layout.header.v1+json",
        ImageIndex = "application/vnd.oci.image.index.v1+json",
        ImageManifest = "application/vnd.oci.image.manifest.v1+json",
        ImageConfig = "application/vnd.oci.image.config.v1+json",
        ImageLayer = "application/vnd.oci.image.layer.v1.tar",
        ImageLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip",
        ImageLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd",
        ImageLayerNonDistributable = "application/vnd.oci.image.layer.nondistributable.v1.tar",
        ImageLayerNonDistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        ImageLayerNonDistributableZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
        EmptyJson = "application/vnd.oci.empty.v1+json",
        DockerManifest = "application/vnd.docker.distribution.manifest.v2+json",
        DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json",
        DockerManifestV1 = "application/vnd.docker.distribution.manifest.v1+json",
        DockerManifestV1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws",
        DockerConfig = "application/vnd.docker.container.image.v1+json",
        DockerLayer = "application/vnd.docker.image.rootfs.diff.tar",
        DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip",
        DockerLayerZstd = "application/vnd.docker.image.rootfs.diff.tar.zstd",
        DockerForeignLayer = "application/vnd.docker.image.rootfs.foreign.diff.tar",
        DockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        DockerPluginConfig = "application/vnd.docker.plugin.v1+json",
    }
}

/// How a layer's tar stream is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip.
    Gzip,
    /// zstd.
    Zstd,
}

impl MediaType {
    /// Whether this is one of Docker's types.
    pub fn is_docker(&self) -> bool {
        self.as_str().starts_with("application/vnd.docker.")
    }

    /// Whether this is an image manifest (OCI or Docker schema 2).
    pub fn is_manifest(&self) -> bool {
        matches!(self, Self::ImageManifest | Self::DockerManifest)
    }

    /// Whether this is an image index (OCI index or Docker manifest list).
    pub fn is_index(&self) -> bool {
        matches!(self, Self::ImageIndex | Self::DockerManifestList)
    }

    /// The compression of a known layer type, or `None` when this is not a known layer type.
    ///
    /// ```
    /// use carrack_spec::image::{Compression, MediaType};
    /// assert_eq!(MediaType::ImageLayerZstd.layer_compression(), Some(Compression::Zstd));
    /// assert_eq!(MediaType::ImageConfig.layer_compression(), None);
    /// ```
    pub fn layer_compression(&self) -> Option<Compression> {
        match self {
            Self::ImageLayer
            | Self::ImageLayerNonDistributable
            | Self::DockerLayer
            | Self::DockerForeignLayer => Some(Compression::None),
            Self::ImageLayerGzip
            | Self::ImageLayerNonDistributableGzip
            | Self::DockerLayerGzip
            | Self::DockerForeignLayerGzip => Some(Compression::Gzip),
            Self::ImageLayerZstd | Self::ImageLayerNonDistributableZstd | Self::DockerLayerZstd => {
                Some(Compression::Zstd)
            }
            _ => None,
        }
    }

    /// The OCI type a Docker schema 2 type converts to, as containers/image maps them;
    /// every other type is returned unchanged.
    pub fn to_oci(&self) -> MediaType {
        match self {
            Self::DockerManifest => Self::ImageManifest,
            Self::DockerManifestList => Self::ImageIndex,
            Self::DockerConfig => Self::ImageConfig,
            Self::DockerLayer => Self::ImageLayer,
            Self::DockerLayerGzip => Self::ImageLayerGzip,
            Self::DockerLayerZstd => Self::ImageLayerZstd,
            Self::DockerForeignLayer => Self::ImageLayerNonDistributable,
            Self::DockerForeignLayerGzip => Self::ImageLayerNonDistributableGzip,
            other => other.clone(),
        }
    }

    /// Whether the text obeys RFC 6838 § 4.2 (`type/subtype`, restricted names, at most 127
    /// characters each), as descriptor.md requires.
    ///
    /// ```
    /// use carrack_spec::image::MediaType;
    /// assert!(MediaType::from("application/vnd.example+type").is_rfc6838());
    /// assert!(!MediaType::from("application").is_rfc6838());
    /// ```
    pub fn is_rfc6838(&self) -> bool {
        let text = self.as_str();
        let text = text.split(';').next().unwrap_or_default().trim_end();
        let Some((ty, sub)) = text.split_once('/') else {
            return false;
        };
        let name_ok = |n: &str| {
            let b = n.as_bytes();
            !b.is_empty()
                && b.len() <= 127
                && b[0].is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(c))
        };
        name_ok(ty) && name_ok(sub)
    }
}
