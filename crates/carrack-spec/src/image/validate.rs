//! Validation of image-spec documents.
//!
//! Every check quotes the sentence of the spec it enforces (see [`Rule`]). What only the JSON
//! schemas say (e.g. `created` as a `date-time`, `imageLayoutVersion` as `1.0.0`) is left to
//! them: see the `schema` feature.

use std::collections::BTreeMap;

use base64::Engine as _;

use crate::document::{Document, DocumentKind};
use crate::image::{
    Arch, Descriptor, ImageConfiguration, ImageIndex, ImageLayout, ImageManifest, MediaType, Os,
    Platform, annotations as keys,
};
use crate::rules::is_uri;
use crate::validation::{Checker, Report, Rule};

/// Defines each rule as a constant and lists them all in `RULES`.
macro_rules! rules {
    ($($name:ident = $ctor:ident($chapter:literal, $section:literal, $quote:literal);)*) => {
        $(const $name: Rule = Rule::$ctor($chapter, $section, $quote);)*
        /// Every rule the image-spec validators check.
        pub(crate) const RULES: &[Rule] = &[$($name),*];
    };
}

rules! {
    // descriptor.md
    DESCRIPTOR_MEDIA_TYPE = image("descriptor.md", "Properties",
        "Values MUST comply with RFC 6838, including the naming requirements in its section 4.2.");
    DESCRIPTOR_SIZE = image("descriptor.md", "Properties",
        "The size MUST NOT be negative.");
    DESCRIPTOR_URLS = image("descriptor.md", "Properties",
        "Each entry MUST conform to RFC 3986.");
    DESCRIPTOR_URL_SCHEME = image("descriptor.md", "Properties",
        "Entries SHOULD use the http and https schemes, as defined in RFC 7230.");
    DESCRIPTOR_DATA_BASE64 = image("descriptor.md", "Properties",
        "Values MUST conform to the Base 64 encoding, as defined in RFC 4648.");
    DESCRIPTOR_DATA_CONTENT = image("descriptor.md", "Properties",
        "The decoded data MUST be identical to the referenced content and SHOULD be verified against the digest and size fields by content consumers.");
    DESCRIPTOR_ARTIFACT_TYPE = image("descriptor.md", "Properties",
        "artifactType string This OPTIONAL property contains the type of an artifact when the descriptor points to an artifact. … If defined, the value MUST comply with RFC 6838, including the naming requirements in its section 4.2, and MAY be registered with IANA.");
    DESCRIPTOR_PLATFORM = image("descriptor.md", "Properties",
        "Descriptors pointing to application/vnd.oci.image.manifest.v1+json SHOULD include the extended field platform, see Image Index Property Descriptions for details.");
    // manifest.md
    MANIFEST_SCHEMA_VERSION = image("manifest.md", "Image Manifest Property Descriptions",
        "For this version of the specification, this MUST be 2 to ensure backward compatibility with older versions of Docker.");
    MANIFEST_MEDIA_TYPE_USED = image("manifest.md", "Image Manifest Property Descriptions",
        "This property SHOULD be used and remain compatible with earlier versions of this specification and with other similar external formats.");
    MANIFEST_MEDIA_TYPE = image("manifest.md", "Image Manifest Property Descriptions",
        "When used, this field MUST contain the media type application/vnd.oci.image.manifest.v1+json.");
    MANIFEST_ARTIFACT_TYPE = image("manifest.md", "Image Manifest Property Descriptions",
        "artifactType string This OPTIONAL property contains the type of an artifact when the manifest is used for an artifact. … If defined, the value MUST comply with RFC 6838, including the naming requirements in its section 4.2, and MAY be registered with IANA.");
    MANIFEST_ARTIFACT_TYPE_REQUIRED = image("manifest.md", "Image Manifest Property Descriptions",
        "This MUST be set when config.mediaType is set to the empty value.");
    MANIFEST_LAYERS = image("manifest.md", "Image Manifest Property Descriptions",
        "For portability, layers SHOULD have at least one entry.");
    // image-index.md
    INDEX_SCHEMA_VERSION = image("image-index.md", "Image Index Property Descriptions",
        "For this version of the specification, this MUST be 2 to ensure backward compatibility with older versions of Docker.");
    INDEX_MEDIA_TYPE_USED = image("image-index.md", "Image Index Property Descriptions",
        "This property SHOULD be used and remain compatible with earlier versions of this specification and with other similar external formats.");
    INDEX_MEDIA_TYPE = image("image-index.md", "Image Index Property Descriptions",
        "When used, this field MUST contain the media type application/vnd.oci.image.index.v1+json.");
    INDEX_ARTIFACT_TYPE = image("image-index.md", "Image Index Property Descriptions",
        "artifactType string This OPTIONAL property contains the type of an artifact when the manifest is used for an artifact. If defined, the value MUST comply with RFC 6838, including the naming requirements in its section 4.2, and MAY be registered with IANA.");
    PLATFORM_ARCH = image("image-index.md", "Image Index Property Descriptions",
        "Image indexes SHOULD use, and implementations SHOULD understand, values listed in the Go Language document for GOARCH.");
    PLATFORM_OS = image("image-index.md", "Image Index Property Descriptions",
        "Image indexes SHOULD use, and implementations SHOULD understand, values listed in the Go Language document for GOOS.");
    PLATFORM_VARIANT = image("image-index.md", "Image Index Property Descriptions",
        "Image indexes SHOULD use, and implementations SHOULD understand, variant values listed in the Platform Variants table.");
    PLATFORM_OS_FEATURES = image("image-index.md", "Image Index Property Descriptions",
        "When os is windows, image indexes SHOULD use, and implementations SHOULD understand the following values: - win32k: image requires win32k.sys on the host");
    // config.md
    CONFIG_ARCH = image("config.md", "Properties",
        "Configurations SHOULD use, and implementations SHOULD understand, values listed in the Go Language document for GOARCH.");
    CONFIG_OS = image("config.md", "Properties",
        "Configurations SHOULD use, and implementations SHOULD understand, values listed in the Go Language document for GOOS.");
    CONFIG_VARIANT = image("config.md", "Properties",
        "Configurations SHOULD use, and implementations SHOULD understand, variant values listed in the Platform Variants table.");
    CONFIG_ROOTFS_TYPE = image("config.md", "Properties",
        "type string, REQUIRED MUST be set to layers.");
    // annotations.md
    ANNOTATION_KEY_DOMAIN = image("annotations.md", "Rules",
        "Keys SHOULD be named using a reverse domain notation - e.g. com.example.myKey.");
    ANNOTATION_RESERVED = image("annotations.md", "Rules",
        "Keys using the org.opencontainers.image namespace are reserved for use in the OCI Image Specification and MUST NOT be used by other specifications and extensions, including other OCI specifications.");
    ANNOTATION_REF_NAME = image("annotations.md", "Pre-Defined Annotation Keys",
        "Character set of the value SHOULD conform to alphanum of A-Za-z0-9 and separator set of -._:@/+");
}

/// The rules for a platform's fields, by the chapter that holds them.
struct PlatformRules {
    arch: Rule,
    os: Rule,
    variant: Rule,
}

const IN_INDEX: PlatformRules = PlatformRules {
    arch: PLATFORM_ARCH,
    os: PLATFORM_OS,
    variant: PLATFORM_VARIANT,
};

const IN_CONFIG: PlatformRules = PlatformRules {
    arch: CONFIG_ARCH,
    os: CONFIG_OS,
    variant: CONFIG_VARIANT,
};

impl Document for Descriptor {
    const KIND: DocumentKind = DocumentKind::Descriptor;
    fn validate(&self) -> Report {
        let mut c = Checker::new();
        descriptor(&mut c, self);
        c.finish()
    }
}

impl Document for ImageManifest {
    const KIND: DocumentKind = DocumentKind::Manifest;
    fn validate(&self) -> Report {
        let mut c = Checker::new();
        schema_version(&mut c, self.schema_version, MANIFEST_SCHEMA_VERSION);
        match &self.media_type {
            None => {
                c.should(MANIFEST_MEDIA_TYPE_USED, "mediaType is not set");
                if self.extra.contains_key("manifests") {
                    c.should_at(
                        "manifests",
                        MANIFEST_MEDIA_TYPE_USED,
                        "without mediaType, a manifest that carries `manifests` also reads as an image index (CVE-2021-41190)",
                    );
                }
            }
            Some(MediaType::ImageManifest) => {}
            Some(m) => c.must_at(
                "mediaType",
                MANIFEST_MEDIA_TYPE,
                format!("mediaType is {m}"),
            ),
        }
        c.opt("artifactType", &self.artifact_type, |c, t| {
            media_type(c, t, MANIFEST_ARTIFACT_TYPE)
        });
        c.at("config", |c| descriptor(c, &self.config));
        if self.config.is_empty_type() && self.artifact_type.is_none() {
            c.must(
                MANIFEST_ARTIFACT_TYPE_REQUIRED,
                "config.mediaType is the empty value but artifactType is not set",
            );
        }
        if self.layers.is_empty() {
            c.should_at("layers", MANIFEST_LAYERS, "layers has no entry");
        }
        c.each("layers", &self.layers, descriptor);
        c.opt("subject", &self.subject, descriptor);
        c.opt("annotations", &self.annotations, annotations);
        c.finish()
    }
}

impl Document for ImageIndex {
    const KIND: DocumentKind = DocumentKind::Index;
    fn validate(&self) -> Report {
        let mut c = Checker::new();
        schema_version(&mut c, self.schema_version, INDEX_SCHEMA_VERSION);
        match &self.media_type {
            None => {
                c.should(INDEX_MEDIA_TYPE_USED, "mediaType is not set");
                for member in ["config", "layers"] {
                    if self.extra.contains_key(member) {
                        c.should_at(
                            member,
                            INDEX_MEDIA_TYPE_USED,
                            format!("without mediaType, an index that carries `{member}` also reads as an image manifest (CVE-2021-41190)"),
                        );
                    }
                }
            }
            Some(MediaType::ImageIndex) => {}
            Some(m) => c.must_at("mediaType", INDEX_MEDIA_TYPE, format!("mediaType is {m}")),
        }
        c.opt("artifactType", &self.artifact_type, |c, t| {
            media_type(c, t, INDEX_ARTIFACT_TYPE)
        });
        c.each("manifests", &self.manifests, |c, d| {
            descriptor(c, d);
            if d.media_type == MediaType::ImageManifest && d.platform.is_none() {
                c.should(
                    DESCRIPTOR_PLATFORM,
                    "the descriptor of an image manifest has no platform",
                );
            }
        });
        c.opt("subject", &self.subject, descriptor);
        c.opt("annotations", &self.annotations, annotations);
        c.finish()
    }
}

impl Document for ImageConfiguration {
    const KIND: DocumentKind = DocumentKind::ImageConfig;
    fn validate(&self) -> Report {
        let mut c = Checker::new();
        platform_fields(
            &mut c,
            &self.architecture,
            &self.os,
            self.variant.as_deref(),
            &IN_CONFIG,
        );
        if self.rootfs.kind != "layers" {
            c.at("rootfs", |c| {
                c.must_at(
                    "type",
                    CONFIG_ROOTFS_TYPE,
                    format!("rootfs.type is {:?}, not \"layers\"", self.rootfs.kind),
                )
            });
        }
        c.finish()
    }
}

impl Document for ImageLayout {
    const KIND: DocumentKind = DocumentKind::ImageLayout;
    /// No prose rule constrains the `oci-layout` file beyond its shape (which parsing checks);
    /// its schema wants `imageLayoutVersion` to be `1.0.0`.
    fn validate(&self) -> Report {
        Checker::new().finish()
    }
}

fn schema_version(c: &mut Checker, v: i64, rule: Rule) {
    if v != 2 {
        c.must_at(
            "schemaVersion",
            rule,
            format!("schemaVersion is {v}, not 2"),
        );
    }
}

fn media_type(c: &mut Checker, m: &MediaType, rule: Rule) {
    if !m.is_rfc6838() {
        c.must(
            rule,
            format!("{:?} does not comply with RFC 6838 § 4.2", m.as_str()),
        );
    }
}

pub(crate) fn descriptor(c: &mut Checker, d: &Descriptor) {
    c.at("mediaType", |c| {
        media_type(c, &d.media_type, DESCRIPTOR_MEDIA_TYPE)
    });
    if d.size < 0 {
        c.must_at("size", DESCRIPTOR_SIZE, format!("size is {}", d.size));
    }
    c.opt("urls", &d.urls, |c, urls| {
        for (i, u) in urls.iter().enumerate() {
            if !is_uri(u) {
                c.must_at(
                    i,
                    DESCRIPTOR_URLS,
                    format!("{u:?} does not conform to RFC 3986"),
                );
            } else if !(u.starts_with("http://") || u.starts_with("https://")) {
                c.should_at(
                    i,
                    DESCRIPTOR_URL_SCHEME,
                    format!("{u:?} uses neither http nor https"),
                );
            }
        }
    });
    c.opt(
        "data",
        &d.data,
        |c, data| match base64::engine::general_purpose::STANDARD.decode(data) {
            Err(e) => c.must(
                DESCRIPTOR_DATA_BASE64,
                format!("data is not base64 (RFC 4648 § 4): {e}"),
            ),
            Ok(bytes) => {
                if i64::try_from(bytes.len()).ok() != Some(d.size) {
                    c.must(
                        DESCRIPTOR_DATA_CONTENT,
                        format!(
                            "data decodes to {} bytes but size is {}",
                            bytes.len(),
                            d.size
                        ),
                    );
                } else if let Some(actual) = d.digest.recompute(&bytes)
                    && actual != d.digest
                {
                    c.must(
                        DESCRIPTOR_DATA_CONTENT,
                        format!("data has digest {actual}, not {}", d.digest),
                    );
                }
            }
        },
    );
    c.opt("artifactType", &d.artifact_type, |c, t| {
        media_type(c, t, DESCRIPTOR_ARTIFACT_TYPE)
    });
    c.opt("annotations", &d.annotations, annotations);
    c.opt("platform", &d.platform, platform);
}

fn platform(c: &mut Checker, p: &Platform) {
    platform_fields(c, &p.architecture, &p.os, p.variant.as_deref(), &IN_INDEX);
    if p.os == Os::Windows
        && let Some(features) = &p.os_features
    {
        for (i, f) in features.iter().enumerate() {
            if f != "win32k" {
                c.should_at(
                    "os.features",
                    PLATFORM_OS_FEATURES,
                    format!("os.features[{i}] {f:?}: on Windows only win32k is defined"),
                );
            }
        }
    }
}

fn platform_fields(
    c: &mut Checker,
    arch: &Arch,
    os: &Os,
    variant: Option<&str>,
    rules: &PlatformRules,
) {
    if !arch.is_known() {
        c.should_at(
            "architecture",
            rules.arch,
            format!("architecture {:?} is not a GOARCH value", arch.as_str()),
        );
    }
    if !os.is_known() {
        c.should_at(
            "os",
            rules.os,
            format!("os {:?} is not a GOOS value", os.as_str()),
        );
    }
    if let Some(v) = variant {
        let known = match arch {
            Arch::Arm => matches!(v, "v6" | "v7" | "v8"),
            Arch::Arm64 => v
                .strip_prefix("v8")
                .or_else(|| v.strip_prefix("v9"))
                .is_some_and(|r| {
                    r.is_empty() || r.strip_prefix('.').is_some_and(|n| n.parse::<u8>().is_ok())
                }),
            Arch::Ppc64le => v
                .strip_prefix("power")
                .is_some_and(|n| n.parse::<u8>().is_ok()),
            Arch::Riscv64 => v.starts_with("rva"),
            Arch::Amd64 => matches!(v, "v1" | "v2" | "v3" | "v4"),
            _ => false,
        };
        if !known {
            c.should_at(
                "variant",
                rules.variant,
                format!("variant {v:?} is not listed for architecture {arch}"),
            );
        }
    }
}

fn annotations(c: &mut Checker, a: &BTreeMap<String, String>) {
    for (key, value) in a {
        c.at(key, |c| {
            if !key.contains('.') {
                c.should(
                    ANNOTATION_KEY_DOMAIN,
                    format!("annotation key {key:?} is not in reverse domain notation"),
                );
            }
            if key.starts_with("org.opencontainers.image.") && !keys::is_predefined(key) {
                c.must(
                    ANNOTATION_RESERVED,
                    format!("{key:?} is in the org.opencontainers.image namespace but the image-spec does not define it"),
                );
            }
            if key == keys::REF_NAME
                && !value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._:@/+".contains(&b))
            {
                c.should(
                    ANNOTATION_REF_NAME,
                    format!("ref.name {value:?} has characters outside A-Za-z0-9 and -._:@/+"),
                );
            }
        });
    }
}
