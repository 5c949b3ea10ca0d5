//! Content descriptors and platforms (image-spec `descriptor.md`, `image-index.md`).

use std::collections::BTreeMap;

use crate::image::{Digest, MediaType};
use crate::model::{model, open_enum};

model! {
    /// A content descriptor: what a blob is, its digest and its size.
    ///
    /// ```
    /// use carrack_spec::image::{Descriptor, Digest, MediaType};
    /// let d = Descriptor::new(MediaType::EmptyJson, Digest::sha256_of(b"{}"), 2);
    /// assert_eq!(d, Descriptor::empty());
    /// ```
    pub struct Descriptor {
        /// Media type of the referenced content.
        media_type: req(MediaType) = "mediaType",
        /// Digest of the referenced content.
        digest: req(Digest) = "digest",
        /// Size of the referenced content, in bytes.
        size: req(i64) = "size",
        /// URIs the content may be downloaded from.
        urls: opt(Vec<String>) = "urls",
        /// Arbitrary metadata.
        annotations: opt(BTreeMap<String, String>) = "annotations",
        /// The content itself, base64-encoded.
        data: opt(String) = "data",
        /// The platform the referenced manifest is for.
        platform: opt(Platform) = "platform",
        /// The artifact type of the referenced manifest.
        artifact_type: opt(MediaType) = "artifactType",
    }
}

/// The content of the empty descriptor: `{}`.
pub const EMPTY_JSON: &[u8] = b"{}";

/// The digest of `{}`.
pub const EMPTY_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

impl Descriptor {
    /// A descriptor of `size` bytes of `media_type` content with `digest`.
    pub fn new(media_type: MediaType, digest: Digest, size: i64) -> Self {
        Self {
            media_type,
            digest,
            size,
            urls: None,
            annotations: None,
            data: None,
            platform: None,
            artifact_type: None,
            extra: crate::Extra::new(),
        }
    }

    /// The empty descriptor of manifest.md: `application/vnd.oci.empty.v1+json`, `{}`.
    ///
    /// ```
    /// let e = carrack_spec::image::Descriptor::empty();
    /// assert_eq!(e.size, 2);
    /// ```
    pub fn empty() -> Self {
        Self::new(MediaType::EmptyJson, Digest::sha256_of(EMPTY_JSON), 2)
    }

    /// Whether this is the empty descriptor's media type.
    pub fn is_empty_type(&self) -> bool {
        self.media_type == MediaType::EmptyJson
    }
}

model! {
    /// The platform an image runs on.
    ///
    /// ```
    /// use carrack_spec::image::{Arch, Os, Platform};
    /// let mut p = Platform::new(Arch::Arm64, Os::Linux);
    /// p.variant = Some("v8".into());
    /// let json = serde_json::to_string(&p).unwrap();
    /// assert_eq!(json, r#"{"architecture":"arm64","os":"linux","variant":"v8"}"#);
    /// ```
    pub struct Platform {
        /// CPU architecture, as Go's `GOARCH`.
        architecture: req(Arch) = "architecture",
        /// Operating system, as Go's `GOOS`.
        os: req(Os) = "os",
        /// Operating system version (`os.version`).
        os_version: opt(String) = "os.version",
        /// Required OS features (`os.features`).
        os_features: opt(Vec<String>) = "os.features",
        /// CPU variant.
        variant: opt(String) = "variant",
        /// Reserved.
        features: opt(Vec<String>) = "features",
    }
}

impl Platform {
    /// A platform of `architecture` and `os`.
    pub fn new(architecture: Arch, os: Os) -> Self {
        Self {
            architecture,
            os,
            os_version: None,
            os_features: None,
            variant: None,
            features: None,
            extra: crate::Extra::new(),
        }
    }
}

open_enum! {
    /// A CPU architecture, as Go's `GOARCH`.
    pub enum Arch {
        I386 = "386",
        Amd64 = "amd64",
        Arm = "arm",
        Arm64 = "arm64",
        Loong64 = "loong64",
        Mips = "mips",
        Mipsle = "mipsle",
        Mips64 = "mips64",
        Mips64le = "mips64le",
        Ppc64 = "ppc64",
        Ppc64le = "ppc64le",
        Riscv64 = "riscv64",
        S390x = "s390x",
        Wasm = "wasm",
    }
}

open_enum! {
    /// An operating system, as Go's `GOOS`.
    pub enum Os {
        Aix = "aix",
        Android = "android",
        Darwin = "darwin",
        Dragonfly = "dragonfly",
        FreeBsd = "freebsd",
        Illumos = "illumos",
        Ios = "ios",
        Js = "js",
        Linux = "linux",
        NetBsd = "netbsd",
        OpenBsd = "openbsd",
        Plan9 = "plan9",
        Solaris = "solaris",
        Wasip1 = "wasip1",
        Windows = "windows",
        Zos = "zos",
    }
}
