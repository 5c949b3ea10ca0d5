//! Validation of image-spec documents.

use std::collections::BTreeMap;

use base64::Engine as _;

use crate::document::{Document, DocumentKind};
use crate::image::{
    Arch, Descriptor, EMPTY_DIGEST, ImageConfiguration, ImageIndex, ImageLayout, ImageManifest,
    LAYOUT_VERSION, MediaType, Os, Platform, annotations as keys,
};
use crate::rules::{is_rfc3339, is_uri};
use crate::validation::{Checker, Report, Rule};

const DESCRIPTOR: Rule = Rule::image("descriptor.md", "Properties");
const EMBEDDED: Rule = Rule::image("descriptor.md", "Embedded Content");
const MANIFEST: Rule = Rule::image("manifest.md", "Image Manifest Property Descriptions");
const EMPTY: Rule = Rule::image("manifest.md", "Guidance for an Empty Descriptor");
const INDEX: Rule = Rule::image("image-index.md", "Image Index Property Descriptions");
const PLATFORM: Rule = Rule::image("image-index.md", "Platform Variants");
const CONFIG: Rule = Rule::image("config.md", "Properties");
const ANNOTATIONS: Rule = Rule::image("annotations.md", "Rules");
const PREDEFINED: Rule = Rule::image("annotations.md", "Pre-Defined Annotation Keys");
const LAYOUT: Rule = Rule::image("image-layout.md", "oci-layout file");

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
        schema_version(&mut c, self.schema_version, MANIFEST);
        match &self.media_type {
            None => c.should(MANIFEST, "mediaType SHOULD be set"),
            Some(MediaType::ImageManifest) => {}
            Some(m) => c.must_at(
                "mediaType",
                MANIFEST,
                format!(
                    "mediaType MUST be {} when used, not {m}",
                    MediaType::ImageManifest
                ),
            ),
        }
        if self.extra.contains_key("manifests") {
            c.must_at("manifests", MANIFEST, "an image manifest carrying `manifests` is ambiguous with an index and is rejected (CVE-2021-41190)");
        }
        c.opt("artifactType", &self.artifact_type, |c, t| {
            media_type(c, t, MANIFEST)
        });
        c.at("config", |c| descriptor(c, &self.config));
        if self.config.is_empty_type() && self.artifact_type.is_none() {
            c.must(
                MANIFEST,
                "artifactType MUST be set when config.mediaType is the empty value",
            );
        }
        if self.layers.is_empty() {
            c.should_at(
                "layers",
                MANIFEST,
                "for portability, layers SHOULD have at least one entry",
            );
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
        schema_version(&mut c, self.schema_version, INDEX);
        match &self.media_type {
            None => c.should(INDEX, "mediaType SHOULD be set"),
            Some(MediaType::ImageIndex) => {}
            Some(m) => c.must_at(
                "mediaType",
                INDEX,
                format!(
                    "mediaType MUST be {} when used, not {m}",
                    MediaType::ImageIndex
                ),
            ),
        }
        for member in ["config", "layers"] {
            if self.extra.contains_key(member) {
                c.must_at(member, INDEX, format!("an image index carrying `{member}` is ambiguous with a manifest and is rejected (CVE-2021-41190)"));
            }
        }
        c.opt("artifactType", &self.artifact_type, |c, t| {
            media_type(c, t, INDEX)
        });
        c.each("manifests", &self.manifests, |c, d| {
            descriptor(c, d);
            if d.media_type == MediaType::ImageManifest && d.platform.is_none() {
                c.should(
                    INDEX,
                    "a descriptor of a platform-specific manifest SHOULD include platform",
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
        c.opt("created", &self.created, |c, t| timestamp(c, t, CONFIG));
        platform_fields(
            &mut c,
            &self.architecture,
            &self.os,
            self.variant.as_deref(),
            CONFIG,
        );
        c.at("rootfs", |c| {
            if self.rootfs.kind != "layers" {
                c.must_at(
                    "type",
                    CONFIG,
                    format!("rootfs.type MUST be \"layers\", not {:?}", self.rootfs.kind),
                );
            }
        });
        c.opt("config", &self.config, |c, x| {
            c.opt("Env", &x.env, |c, env| {
                for (i, e) in env.iter().enumerate() {
                    if e.split_once('=').is_none_or(|(k, _)| k.is_empty()) {
                        c.must_at(i, CONFIG, format!("Env entry {e:?} is not of the form VARNAME=VARVALUE"));
                    }
                }
            });
            c.opt("ExposedPorts", &x.exposed_ports, |c, ports| {
                for key in ports.keys() {
                    if !is_port_spec(key) {
                        c.must_at(key, CONFIG, format!("{key:?} is not port, port/tcp or port/udp"));
                    }
                }
            });
            c.opt("Volumes", &x.volumes, |c, vols| {
                for key in vols.keys() {
                    if !key.starts_with('/') || key.split('/').any(|s| s == "..") {
                        c.should_at(key, CONFIG, format!("volume {key:?} should be an absolute path without '..' (see CVE-2022-23648)"));
                    }
                }
            });
            c.opt("StopSignal", &x.stop_signal, |c, s| {
                let name = s.strip_prefix("SIG").unwrap_or(s);
                let ok = s.parse::<u8>().is_ok()
                    || (!name.is_empty() && name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'+' || b == b'-'));
                if !ok {
                    c.should(CONFIG, format!("StopSignal {s:?} is neither a signal name like SIGTERM nor a number"));
                }
            });
            c.opt("Labels", &x.labels, |c, labels| {
                if labels.contains_key("") {
                    c.should_at("", CONFIG, "label keys should not be empty");
                }
            });
        });
        c.opt("history", &self.history, |c, history| {
            for (i, h) in history.iter().enumerate() {
                c.at(i, |c| {
                    c.opt("created", &h.created, |c, t| timestamp(c, t, CONFIG))
                });
            }
            let layers = history
                .iter()
                .filter(|h| h.empty_layer != Some(true))
                .count();
            if layers != self.rootfs.diff_ids.len() {
                c.should(
                    CONFIG,
                    format!(
                        "history has {layers} non-empty entries but rootfs.diff_ids has {}",
                        self.rootfs.diff_ids.len()
                    ),
                );
            }
        });
        c.finish()
    }
}

impl Document for ImageLayout {
    const KIND: DocumentKind = DocumentKind::ImageLayout;
    fn validate(&self) -> Report {
        let mut c = Checker::new();
        if self.image_layout_version != LAYOUT_VERSION {
            c.must_at(
                "imageLayoutVersion",
                LAYOUT,
                format!(
                    "imageLayoutVersion {:?} is not {LAYOUT_VERSION:?}",
                    self.image_layout_version
                ),
            );
        }
        c.finish()
    }
}

fn schema_version(c: &mut Checker, v: i64, rule: Rule) {
    if v != 2 {
        c.must_at(
            "schemaVersion",
            rule,
            format!("schemaVersion MUST be 2, not {v}"),
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

fn timestamp(c: &mut Checker, t: &str, rule: Rule) {
    if !is_rfc3339(t) {
        c.must(rule, format!("{t:?} is not an RFC 3339 date-time"));
    }
}

fn is_port_spec(key: &str) -> bool {
    let (port, proto) = key.split_once('/').unwrap_or((key, "tcp"));
    port.parse::<u16>().is_ok() && matches!(proto, "tcp" | "udp" | "sctp")
}

pub(crate) fn descriptor(c: &mut Checker, d: &Descriptor) {
    c.at("mediaType", |c| media_type(c, &d.media_type, DESCRIPTOR));
    if d.size < 0 {
        c.must_at(
            "size",
            DESCRIPTOR,
            format!("size MUST NOT be negative ({})", d.size),
        );
    }
    c.opt("urls", &d.urls, |c, urls| {
        for (i, u) in urls.iter().enumerate() {
            if !is_uri(u) {
                c.must_at(i, DESCRIPTOR, format!("{u:?} does not conform to RFC 3986"));
            } else if !(u.starts_with("http://") || u.starts_with("https://")) {
                c.should_at(
                    i,
                    DESCRIPTOR,
                    format!("{u:?} SHOULD use the http or https scheme"),
                );
            }
        }
    });
    c.opt(
        "data",
        &d.data,
        |c, data| match base64::engine::general_purpose::STANDARD.decode(data) {
            Err(e) => c.must(EMBEDDED, format!("data is not base64 (RFC 4648 § 4): {e}")),
            Ok(bytes) => {
                if i64::try_from(bytes.len()).ok() != Some(d.size) {
                    c.must(
                        EMBEDDED,
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
                        EMBEDDED,
                        format!("data has digest {actual}, not {}", d.digest),
                    );
                }
            }
        },
    );
    c.opt("artifactType", &d.artifact_type, |c, t| {
        media_type(c, t, DESCRIPTOR)
    });
    c.opt("annotations", &d.annotations, annotations);
    c.opt("platform", &d.platform, platform);
    if d.is_empty_type() && (d.digest.as_str() != EMPTY_DIGEST || d.size != 2) {
        c.should(
            EMPTY,
            format!(
                "an {} descriptor SHOULD describe `{{}}`: size 2, digest {EMPTY_DIGEST}",
                MediaType::EmptyJson
            ),
        );
    }
}

fn platform(c: &mut Checker, p: &Platform) {
    platform_fields(c, &p.architecture, &p.os, p.variant.as_deref(), PLATFORM);
    if p.os == Os::Windows
        && let Some(features) = &p.os_features
    {
        for (i, f) in features.iter().enumerate() {
            if f != "win32k" {
                c.should_at(
                    "os.features",
                    PLATFORM,
                    format!("os.features[{i}] {f:?}: on Windows only win32k is defined"),
                );
            }
        }
    }
}

fn platform_fields(c: &mut Checker, arch: &Arch, os: &Os, variant: Option<&str>, rule: Rule) {
    if !arch.is_known() {
        c.should_at(
            "architecture",
            rule,
            format!("architecture {:?} is not a GOARCH value", arch.as_str()),
        );
    }
    if !os.is_known() {
        c.should_at(
            "os",
            rule,
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
                PLATFORM,
                format!("variant {v:?} is not listed for architecture {arch}"),
            );
        }
    }
}

fn annotations(c: &mut Checker, a: &BTreeMap<String, String>) {
    for (key, value) in a {
        c.at(key, |c| {
            if key.is_empty() {
                c.must(ANNOTATIONS, "annotation keys must not be empty");
            } else if !key.contains('.') {
                c.should(ANNOTATIONS, format!("annotation key {key:?} SHOULD use reverse domain notation"));
            }
            if key.starts_with(keys::RESERVED_PREFIX) && !keys::is_predefined(key) {
                c.must(ANNOTATIONS, format!("the org.opencontainers prefix is reserved for keys the OCI defines; {key:?} is not one"));
            }
            match key.as_str() {
                keys::CREATED if !is_rfc3339(value) => {
                    c.must(PREDEFINED, format!("{value:?} does not conform to RFC 3339"))
                }
                keys::REF_NAME if !value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._:@/+".contains(&b)) => {
                    c.should(PREDEFINED, format!("ref.name {value:?} SHOULD use only A-Za-z0-9 and -._:@/+"))
                }
                keys::BASE_DIGEST if value.parse::<crate::image::Digest>().is_err() => {
                    c.should(PREDEFINED, format!("base.digest {value:?} is not a digest"))
                }
                _ => {}
            }
        });
    }
}
