//! image-index.md and manifest.md: `index.json` and every nested index, every image manifest
//! reachable, the platforms of index entries, and artifacts (`artifactType`, `subject`).

use carrack_spec::Level;
use carrack_spec::image::{Arch, MediaType, Os};
use serde_json::{Value, json};

use super::scan::{Kind, Role, short};
use super::{ImageSubject, rule, verdict};
use crate::case::{Case, Verdict};

const I: &str = "image-index.md";
const M: &str = "manifest.md";
const IPD: &str = "Image Index Property Descriptions";
const MPD: &str = "Image Manifest Property Descriptions";

/// The reachable documents of `kind`: where, and their JSON or why they are not JSON.
pub(super) fn docs(s: &ImageSubject, kind: Kind) -> Value {
    let list: Vec<Value> = s
        .scan()
        .docs_of(kind)
        .map(|d| match &d.json {
            Ok(v) => json!({"at": d.at, "digest": d.digest, "json": v}),
            Err(e) => json!({"at": d.at, "digest": d.digest, "error": e}),
        })
        .collect();
    json!({"docs": list})
}

fn index_docs(s: &ImageSubject) -> Result<Value, Verdict> {
    Ok(docs(s, Kind::Index))
}

fn manifest_docs(s: &ImageSubject) -> Result<Value, Verdict> {
    Ok(docs(s, Kind::Manifest))
}

/// Applies `check` (which says what is wrong, if anything) to every document's JSON; a
/// document that is not JSON is wrong too.
pub(super) fn each_doc(v: &Value, what: &str, check: impl Fn(&Value) -> Option<String>) -> Verdict {
    each_doc_entry(v, what, |d| check(&d["json"]))
}

/// [`each_doc`] with the whole entry (`at`, `digest`, `json`) given to `check`.
fn each_doc_entry(v: &Value, what: &str, check: impl Fn(&Value) -> Option<String>) -> Verdict {
    let docs = v["docs"].as_array().map_or(&[][..], Vec::as_slice);
    let mut bad = Vec::new();
    for d in docs {
        let at = d["at"].as_str().unwrap_or("?");
        if let Some(e) = d["error"].as_str() {
            bad.push(format!("{at} is not JSON: {e}"));
        } else if let Some(wrong) = check(d) {
            bad.push(format!("{at}: {wrong}"));
        }
    }
    verdict(&bad, format!("{} {what}", docs.len()))
}

fn schema_version(j: &Value) -> Option<String> {
    (j["schemaVersion"] != 2).then(|| format!("schemaVersion {}", j["schemaVersion"]))
}

fn media_type_when_used(want: MediaType) -> impl Fn(&Value) -> Option<String> {
    move |j| match j.get("mediaType") {
        None => None,
        Some(m) if m.as_str() == Some(want.as_str()) => None,
        Some(m) => Some(format!("mediaType {m}")),
    }
}

/// Whether a JSON value has a descriptor's three required properties, typed.
fn is_descriptor(d: &Value) -> bool {
    d["mediaType"].is_string() && d["digest"].is_string() && d["size"].is_i64()
}

fn judge_config(v: &Value) -> Verdict {
    each_doc(v, "manifests, each with a config descriptor", |j| {
        match j.get("config") {
            None => Some("no config".into()),
            Some(c) if !is_descriptor(c) => Some(format!("config is not a descriptor: {c}")),
            Some(_) => None,
        }
    })
}

fn judge_layers(v: &Value) -> Verdict {
    each_doc(v, "manifests, every layer a descriptor", |j| {
        match j.get("layers") {
            Some(Value::Array(ls)) => ls
                .iter()
                .position(|l| !is_descriptor(l))
                .map(|i| format!("layers[{i}] is not a descriptor: {}", ls[i])),
            other => Some(format!("layers is {}", other.unwrap_or(&Value::Null))),
        }
    })
}

fn judge_artifact_type(v: &Value) -> Verdict {
    each_doc(
        v,
        "manifests (artifactType set wherever the config is the empty descriptor)",
        |j| {
            let empty = j["config"]["mediaType"] == MediaType::EmptyJson.as_str();
            (empty && !j["artifactType"].is_string()).then(|| {
                format!(
                    "config.mediaType is the empty value and artifactType is {}",
                    j["artifactType"]
                )
            })
        },
    )
}

fn judge_subject(v: &Value) -> Verdict {
    each_doc_entry(
        v,
        "manifests (every subject a descriptor of another manifest)",
        |d| {
            let s = d["json"].get("subject")?;
            let mt = s["mediaType"].as_str().map(MediaType::from);
            if !is_descriptor(s) {
                Some(format!("subject is not a descriptor: {s}"))
            } else if !matches!(mt, Some(MediaType::ImageManifest | MediaType::ImageIndex)) {
                Some(format!(
                    "subject's mediaType {} is not a manifest's",
                    s["mediaType"]
                ))
            } else if s["digest"] == d["digest"] {
                Some("subject is the manifest itself".into())
            } else {
                None
            }
        },
    )
}

/// Every entry of every index, with whether it has a platform and what it points to.
fn entries(s: &ImageSubject) -> Result<Value, Verdict> {
    let scan = s.scan();
    let list: Vec<Value> = scan
        .refs
        .iter()
        .filter(|r| r.role == Role::Entry)
        .map(|r| {
            let d = &r.desc;
            let digest = d["digest"].as_str().map(short).unwrap_or_default();
            let target = match d["mediaType"].as_str().map(MediaType::from) {
                Some(MediaType::ImageManifest) => {
                    match scan.images.iter().find(|i| i.manifest == digest) {
                        Some(i)
                            if i.config_type.as_deref()
                                == Some(MediaType::ImageConfig.as_str()) =>
                        {
                            "image"
                        }
                        Some(_) => "artifact",
                        None => "absent",
                    }
                }
                Some(MediaType::ImageIndex) => "index",
                _ => "other",
            };
            json!({"at": r.at, "target": target, "platform": d.get("platform")})
        })
        .collect();
    Ok(json!({"entries": list}))
}

fn judge_platform_present(v: &Value) -> Verdict {
    let all = v["entries"].as_array().map_or(&[][..], Vec::as_slice);
    let images: Vec<&Value> = all.iter().filter(|e| e["target"] == "image").collect();
    let bad: Vec<String> = images
        .iter()
        .filter(|e| e["platform"].is_null())
        .map(|e| {
            format!(
                "{} points to an image and has no platform",
                e["at"].as_str().unwrap_or("?")
            )
        })
        .collect();
    verdict(
        &bad,
        format!(
            "{} entries point to images, each with a platform",
            images.len()
        ),
    )
}

fn judge_platform_field(v: &Value, field: &str, known: fn(&str) -> bool) -> Verdict {
    let all = v["entries"].as_array().map_or(&[][..], Vec::as_slice);
    let with: Vec<&Value> = all.iter().filter(|e| e["platform"].is_object()).collect();
    let bad: Vec<String> = with
        .iter()
        .filter(|e| e["platform"][field].as_str().is_none_or(|x| !known(x)))
        .map(|e| {
            format!(
                "{}: {field} {}",
                e["at"].as_str().unwrap_or("?"),
                e["platform"][field]
            )
        })
        .collect();
    let seen: Vec<&str> = with
        .iter()
        .filter_map(|e| e["platform"][field].as_str())
        .collect();
    verdict(&bad, format!("{} platforms, {field} {seen:?}", with.len()))
}

pub(crate) fn cases() -> Vec<Case<ImageSubject>> {
    const VERSION: &str = "For this version of the specification, this MUST be 2 to ensure backward compatibility with older versions of Docker.";
    vec![
        Case {
            id: "image/index/schema-version",
            rule: rule(I, IPD, VERSION),
            level: Level::Must,
            observe: index_docs,
            judge: |v| each_doc(v, "indexes, schemaVersion 2", schema_version),
        },
        Case {
            id: "image/index/media-type",
            rule: rule(
                I,
                IPD,
                "When used, this field MUST contain the media type application/vnd.oci.image.index.v1+json.",
            ),
            level: Level::Must,
            observe: index_docs,
            judge: |v| {
                each_doc(
                    v,
                    "indexes, mediaType absent or the index's",
                    media_type_when_used(MediaType::ImageIndex),
                )
            },
        },
        Case {
            id: "image/index/platform/present",
            rule: rule(
                I,
                IPD,
                "This property SHOULD be present if its target is platform-specific.",
            ),
            level: Level::Should,
            observe: entries,
            judge: judge_platform_present,
        },
        Case {
            id: "image/index/platform/architecture",
            rule: rule(
                I,
                IPD,
                "Image indexes SHOULD use, and implementations SHOULD understand, values listed in the Go Language document for GOARCH.",
            ),
            level: Level::Should,
            observe: entries,
            judge: |v| judge_platform_field(v, "architecture", |a| Arch::from(a).is_known()),
        },
        Case {
            id: "image/index/platform/os",
            rule: rule(
                I,
                IPD,
                "Image indexes SHOULD use, and implementations SHOULD understand, values listed in the Go Language document for GOOS.",
            ),
            level: Level::Should,
            observe: entries,
            judge: |v| judge_platform_field(v, "os", |o| Os::from(o).is_known()),
        },
        Case {
            id: "image/manifest/schema-version",
            rule: rule(M, MPD, VERSION),
            level: Level::Must,
            observe: manifest_docs,
            judge: |v| each_doc(v, "manifests, schemaVersion 2", schema_version),
        },
        Case {
            id: "image/manifest/media-type",
            rule: rule(
                M,
                MPD,
                "When used, this field MUST contain the media type application/vnd.oci.image.manifest.v1+json.",
            ),
            level: Level::Must,
            observe: manifest_docs,
            judge: |v| {
                each_doc(
                    v,
                    "manifests, mediaType absent or the manifest's",
                    media_type_when_used(MediaType::ImageManifest),
                )
            },
        },
        Case {
            id: "image/manifest/config",
            rule: rule(
                M,
                MPD,
                "This REQUIRED property references a configuration object for a container, by digest.",
            ),
            level: Level::Must,
            observe: manifest_docs,
            judge: judge_config,
        },
        Case {
            id: "image/manifest/layers",
            rule: rule(M, MPD, "Each item in the array MUST be a descriptor."),
            level: Level::Must,
            observe: manifest_docs,
            judge: judge_layers,
        },
        Case {
            id: "image/manifest/artifact-type",
            rule: rule(
                M,
                MPD,
                "This MUST be set when config.mediaType is set to the empty value.",
            ),
            level: Level::Must,
            observe: manifest_docs,
            judge: judge_artifact_type,
        },
        Case {
            id: "image/manifest/subject",
            rule: rule(
                M,
                MPD,
                "This OPTIONAL property specifies a descriptor of another manifest.",
            ),
            level: Level::Must,
            observe: manifest_docs,
            judge: judge_subject,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
    const MT: &str = "application/vnd.oci.image.manifest.v1+json";

    fn docs(list: &[Value]) -> Value {
        let d: Vec<Value> = list
            .iter()
            .map(|j| json!({"at": "sha256:2c26b46b68ff", "digest": A, "json": j}))
            .collect();
        json!({"docs": d})
    }

    fn desc(mt: &str) -> Value {
        json!({"mediaType": mt, "digest": A, "size": 2})
    }

    #[test]
    fn schema_versions_and_media_types() {
        let ok = docs(&[json!({"schemaVersion": 2, "mediaType": MT})]);
        assert_eq!(each_doc(&ok, "m", schema_version).word(), "pass");
        assert_eq!(
            each_doc(&ok, "m", media_type_when_used(MediaType::ImageManifest)).word(),
            "pass"
        );
        assert_eq!(
            each_doc(&ok, "m", media_type_when_used(MediaType::ImageIndex)).word(),
            "fail"
        );
        let absent = docs(&[json!({"schemaVersion": 2})]);
        assert_eq!(
            each_doc(&absent, "m", media_type_when_used(MediaType::ImageIndex)).word(),
            "pass"
        );
        let one = docs(&[json!({"schemaVersion": 1})]);
        assert_eq!(
            each_doc(&one, "m", schema_version),
            Verdict::fail("1 found: sha256:2c26b46b68ff: schemaVersion 1")
        );
        let not_json = json!({"docs": [{"at": "x", "error": "EOF"}]});
        assert_eq!(each_doc(&not_json, "m", schema_version).word(), "fail");
    }

    #[test]
    fn the_cases_judges() {
        use super::super::judge_of;
        let index = docs(&[
            json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}),
        ]);
        let manifest = docs(&[json!({"schemaVersion": 2, "mediaType": MT})]);
        assert_eq!(
            judge_of("image/index/schema-version")(&index).word(),
            "pass"
        );
        assert_eq!(judge_of("image/index/media-type")(&index).word(), "pass");
        assert_eq!(judge_of("image/index/media-type")(&manifest).word(), "fail");
        assert_eq!(
            judge_of("image/manifest/schema-version")(&manifest).word(),
            "pass"
        );
        assert_eq!(
            judge_of("image/manifest/media-type")(&manifest).word(),
            "pass"
        );
        assert_eq!(judge_of("image/manifest/media-type")(&index).word(), "fail");
        let v1 = docs(&[json!({"schemaVersion": 1})]);
        assert_eq!(judge_of("image/index/schema-version")(&v1).word(), "fail");
        assert_eq!(
            judge_of("image/manifest/schema-version")(&v1).word(),
            "fail"
        );
        let entries = |arch: &str, os: &str| json!({"entries": [{"at": "index.json#/manifests/0", "target": "image", "platform": {"architecture": arch, "os": os}}]});
        assert_eq!(
            judge_of("image/index/platform/architecture")(&entries("arm64", "linux")).word(),
            "pass"
        );
        assert_eq!(
            judge_of("image/index/platform/architecture")(&entries("aarch64", "linux")).word(),
            "fail"
        );
        assert_eq!(
            judge_of("image/index/platform/os")(&entries("arm64", "linux")).word(),
            "pass"
        );
        assert_eq!(
            judge_of("image/index/platform/os")(&entries("arm64", "GNU/Linux")).word(),
            "fail"
        );
    }

    #[test]
    fn config_and_layers_are_descriptors() {
        let ok = docs(&[
            json!({"config": desc("application/vnd.oci.image.config.v1+json"), "layers": [desc("application/vnd.oci.image.layer.v1.tar")]}),
        ]);
        assert_eq!(judge_config(&ok).word(), "pass");
        assert_eq!(judge_layers(&ok).word(), "pass");
        let bad = docs(&[
            json!({"config": {"digest": A}, "layers": [{"mediaType": "x/y", "digest": A, "size": "2"}]}),
        ]);
        assert_eq!(judge_config(&bad).word(), "fail");
        assert_eq!(judge_layers(&bad).word(), "fail");
        assert_eq!(
            judge_layers(&docs(&[json!({"config": desc("a/b")})])).word(),
            "fail"
        );
    }

    #[test]
    fn artifacts() {
        let empty = desc("application/vnd.oci.empty.v1+json");
        let ok = docs(&[json!({"config": empty, "artifactType": "application/vnd.example+type"})]);
        assert_eq!(judge_artifact_type(&ok).word(), "pass");
        assert_eq!(
            judge_artifact_type(&docs(&[json!({"config": empty})])).word(),
            "fail"
        );
        let other = "sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9";
        let referrer = docs(&[json!({"subject": {"mediaType": MT, "digest": other, "size": 5}})]);
        assert_eq!(judge_subject(&referrer).word(), "pass");
        assert_eq!(judge_subject(&docs(&[json!({})])).word(), "pass");
        let layer = docs(&[
            json!({"subject": {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": other, "size": 5}}),
        ]);
        assert_eq!(judge_subject(&layer).word(), "fail");
        let itself = docs(&[json!({"subject": desc(MT)})]);
        assert_eq!(judge_subject(&itself).word(), "fail");
    }

    #[test]
    fn platforms_of_index_entries() {
        let ok = json!({"entries": [
            {"at": "index.json#/manifests/0", "target": "image", "platform": {"architecture": "amd64", "os": "linux"}},
            {"at": "index.json#/manifests/1", "target": "artifact", "platform": null},
        ]});
        assert_eq!(judge_platform_present(&ok).word(), "pass");
        assert_eq!(
            judge_platform_field(&ok, "architecture", |a| Arch::from(a).is_known()).word(),
            "pass"
        );
        assert_eq!(
            judge_platform_field(&ok, "os", |o| Os::from(o).is_known()).word(),
            "pass"
        );
        let bad = json!({"entries": [
            {"at": "index.json#/manifests/0", "target": "image", "platform": null},
            {"at": "index.json#/manifests/1", "target": "image", "platform": {"architecture": "x86_64", "os": "Linux"}},
        ]});
        assert_eq!(
            judge_platform_present(&bad),
            Verdict::fail(
                "1 found: index.json#/manifests/0 points to an image and has no platform"
            )
        );
        assert_eq!(
            judge_platform_field(&bad, "architecture", |a| Arch::from(a).is_known()).word(),
            "fail"
        );
        assert_eq!(
            judge_platform_field(&bad, "os", |o| Os::from(o).is_known()).word(),
            "fail"
        );
    }
}
