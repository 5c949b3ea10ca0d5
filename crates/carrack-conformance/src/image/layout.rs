//! image-layout.md: the `blobs` directory, the `oci-layout` and `index.json` files, and blobs
//! named by the digest of their content.

use carrack_spec::image::{Digest, DigestError, ImageIndex};
use carrack_spec::{Document, Level};
use serde_json::{Value, json};

use super::scan::{Node, Role, short};
use super::{ImageSubject, rule, verdict};
use crate::case::{Case, Verdict};

const L: &str = "image-layout.md";

/// What a fixed file is, and its JSON when it is a file.
fn node(n: &Node) -> Value {
    match n {
        Node::File(bytes) => match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => json!({"kind": "file", "json": v}),
            Err(e) => json!({"kind": "file", "error": e.to_string()}),
        },
        Node::Error(e) => json!({"kind": n.kind(), "error": e}),
        n => json!({"kind": n.kind()}),
    }
}

fn exists(v: &Value, name: &str) -> Verdict {
    Verdict::check(
        v["kind"] == "file",
        format!("{name} is {}", v["kind"].as_str().unwrap_or("?")),
    )
}

fn judge_version(v: &Value) -> Verdict {
    if v["kind"] != "file" {
        return Verdict::fail(format!(
            "oci-layout is {}",
            v["kind"].as_str().unwrap_or("?")
        ));
    }
    if let Some(e) = v["error"].as_str() {
        return Verdict::fail(format!("oci-layout is not JSON: {e}"));
    }
    match v["json"].get("imageLayoutVersion") {
        Some(Value::String(s)) => Verdict::pass(format!("imageLayoutVersion {s:?}")),
        Some(other) => Verdict::fail(format!("imageLayoutVersion is {other}, not a string")),
        None => Verdict::fail(format!(
            "oci-layout has no imageLayoutVersion: {}",
            v["json"]
        )),
    }
}

fn judge_index(v: &Value) -> Verdict {
    if v["kind"] != "file" {
        return Verdict::fail(format!(
            "index.json is {}",
            v["kind"].as_str().unwrap_or("?")
        ));
    }
    if let Some(e) = v["error"].as_str() {
        return Verdict::fail(format!("index.json is not JSON: {e}"));
    }
    let j = &v["json"];
    if !j.is_object() {
        return Verdict::fail(format!("index.json is not an object: {j}"));
    }
    if let Some(e) = v["typed"].as_str() {
        return Verdict::fail(format!("index.json does not read as an image index: {e}"));
    }
    let n = j["manifests"].as_array().map_or(0, Vec::len);
    Verdict::pass(format!(
        "an image index: schemaVersion {}, {n} manifests",
        j["schemaVersion"]
    ))
}

/// Every stored file is named by its content's digest.
fn judge_blob_digests(v: &Value) -> Verdict {
    let mut bad = Vec::new();
    let (mut checked, mut unverified) = (0, 0);
    for b in v["blobs"].as_array().into_iter().flatten() {
        let name = b["name"].as_str().unwrap_or_default();
        let Some((alg, enc)) = name.split_once('/') else {
            continue; // not in an algorithm directory: the names case says so
        };
        if b["kind"] != "file" {
            bad.push(format!(
                "blobs/{name} is a {}",
                b["kind"].as_str().unwrap_or("?")
            ));
            continue;
        }
        if let Some(e) = b["error"].as_str() {
            bad.push(format!("blobs/{name} could not be read: {e}"));
            continue;
        }
        match b["actual"].as_str() {
            None => unverified += 1,
            Some(actual) => {
                checked += 1;
                if actual != format!("{alg}:{enc}") {
                    bad.push(format!(
                        "blobs/{} hashes to {}",
                        short(&format!("{alg}:{enc}")).replace(':', "/"),
                        short(actual)
                    ));
                }
            }
        }
    }
    let extra = if unverified > 0 {
        format!(" ({unverified} of an algorithm not computed here)")
    } else {
        String::new()
    };
    verdict(
        &bad,
        format!("{checked} blobs hashed, each matches its name{extra}"),
    )
}

/// Every name under `blobs/` is `<algorithm>/<encoded>` by the digest grammar.
fn judge_blob_names(v: &Value) -> Verdict {
    let mut bad = Vec::new();
    let blobs = v["blobs"].as_array().map_or(&[][..], Vec::as_slice);
    for b in blobs {
        let name = b["name"].as_str().unwrap_or_default();
        let Some((alg, enc)) = name.split_once('/') else {
            bad.push(format!("blobs/{name} is not in an algorithm directory"));
            continue;
        };
        if let Err(
            e @ (DigestError::NoSeparator(_) | DigestError::Algorithm(_) | DigestError::Encoded(_)),
        ) = Digest::parse(&format!("{alg}:{enc}"))
        {
            bad.push(format!("blobs/{name}: {e}"));
        }
    }
    verdict(
        &bad,
        format!("{} blob names, each <algorithm>/<encoded>", blobs.len()),
    )
}

/// A referenced blob that is not stored must at least name where else it is (`urls`).
fn judge_missing(v: &Value) -> Verdict {
    let refs = v["refs"].as_array().map_or(&[][..], Vec::as_slice);
    let mut bad = Vec::new();
    let mut external = 0;
    for r in refs.iter().filter(|r| r["stored"] == false) {
        if r["urls"].as_array().is_some_and(|u| !u.is_empty()) {
            external += 1;
        } else {
            bad.push(format!(
                "{} ({}) is not stored and its descriptor has no urls",
                short(r["digest"].as_str().unwrap_or("?")),
                r["at"].as_str().unwrap_or("?")
            ));
        }
    }
    verdict(
        &bad,
        format!(
            "{} referenced blobs stored{}",
            refs.len() - external,
            if external > 0 {
                format!(", {external} absent with urls for an external store")
            } else {
                String::new()
            }
        ),
    )
}

pub(crate) fn cases() -> Vec<Case<ImageSubject>> {
    vec![
        Case {
            id: "image/layout/blobs-dir",
            rule: rule(
                L,
                "Content",
                "blobs directory … Directory MUST exist and MAY be empty",
            ),
            level: Level::Must,
            observe: |s| Ok(json!({"kind": s.scan().blobs_dir.kind()})),
            judge: |v| {
                Verdict::check(
                    v["kind"] == "directory",
                    format!("blobs is {}", v["kind"].as_str().unwrap_or("?")),
                )
            },
        },
        Case {
            id: "image/layout/oci-layout/exists",
            rule: rule(L, "Content", "oci-layout file … It MUST exist"),
            level: Level::Must,
            observe: |s| Ok(node(&s.scan().oci_layout)),
            judge: |v| exists(v, "oci-layout"),
        },
        Case {
            id: "image/layout/oci-layout/version",
            rule: rule(L, "Content", "It MUST contain an imageLayoutVersion field"),
            level: Level::Must,
            observe: |s| Ok(node(&s.scan().oci_layout)),
            judge: judge_version,
        },
        Case {
            id: "image/layout/index/exists",
            rule: rule(L, "Content", "index.json file … It MUST exist"),
            level: Level::Must,
            observe: |s| Ok(node(&s.scan().index)),
            judge: |v| exists(v, "index.json"),
        },
        Case {
            id: "image/layout/index/image-index",
            rule: rule(L, "Content", "It MUST be an image index JSON object."),
            level: Level::Must,
            observe: |s| {
                let n = &s.scan().index;
                let mut v = node(n);
                if let Node::File(bytes) = n
                    && let Err(e) = ImageIndex::from_slice(bytes)
                {
                    v["typed"] = json!(e.to_string());
                }
                Ok(v)
            },
            judge: judge_index,
        },
        Case {
            id: "image/layout/blobs/digest",
            rule: rule(
                L,
                "Blobs",
                "The content of blobs/<alg>/<encoded> MUST match the digest <alg>:<encoded> (referenced per descriptor).",
            ),
            level: Level::Must,
            observe: |s| Ok(json!({"blobs": s.scan().blobs})),
            judge: judge_blob_digests,
        },
        Case {
            id: "image/layout/blobs/names",
            rule: rule(
                L,
                "Blobs",
                "The character set of the entry name for <alg> and <encoded> MUST match the respective grammar elements described in descriptor.",
            ),
            level: Level::Must,
            observe: |s| Ok(json!({"blobs": s.scan().blobs})),
            judge: judge_blob_names,
        },
        Case {
            id: "image/layout/blobs/missing",
            rule: rule(
                L,
                "Blobs",
                "The blobs directory MAY be missing referenced blobs, in which case the missing blobs SHOULD be fulfilled by an external blob store.",
            ),
            level: Level::Should,
            observe: |s| {
                let scan = s.scan();
                let refs: Vec<Value> = scan
                    .refs
                    .iter()
                    .filter(|r| r.role != Role::Subject)
                    .filter_map(|r| {
                        let digest = r.desc.get("digest")?.as_str()?;
                        let stored = scan.blob(digest).is_some_and(|b| b.kind == "file");
                        Some(json!({"at": r.at, "digest": digest, "stored": stored, "urls": r.desc.get("urls")}))
                    })
                    .collect();
                Ok(json!({"refs": refs}))
            },
            judge: judge_missing,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
    const B: &str = "sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9";

    fn blob(name: &str, kind: &str, actual: Option<&str>) -> Value {
        json!({"name": name, "kind": kind, "size": 3, "actual": actual})
    }

    #[test]
    fn blobs_is_a_directory() {
        let judge = super::super::judge_of("image/layout/blobs-dir");
        assert_eq!(
            judge(&json!({"kind": "directory"})),
            Verdict::pass("blobs is directory")
        );
        assert_eq!(
            judge(&json!({"kind": "missing"})),
            Verdict::fail("blobs is missing")
        );
        assert_eq!(judge(&json!({"kind": "file"})).word(), "fail");
    }

    #[test]
    fn fixed_files() {
        assert_eq!(exists(&json!({"kind": "file"}), "x").word(), "pass");
        assert_eq!(exists(&json!({"kind": "missing"}), "x").word(), "fail");
        assert_eq!(exists(&json!({"kind": "symlink"}), "x").word(), "fail");
        let ok = json!({"kind": "file", "json": {"imageLayoutVersion": "1.0.0"}});
        assert_eq!(
            judge_version(&ok),
            Verdict::pass("imageLayoutVersion \"1.0.0\"")
        );
        for bad in [
            json!({"kind": "file", "json": {"version": "1.0.0"}}),
            json!({"kind": "file", "json": {"imageLayoutVersion": 1}}),
            json!({"kind": "file", "error": "EOF"}),
            json!({"kind": "missing"}),
        ] {
            assert_eq!(judge_version(&bad).word(), "fail", "{bad}");
        }
    }

    #[test]
    fn index_json_is_an_image_index() {
        let ok = json!({"kind": "file", "json": {"schemaVersion": 2, "manifests": []}});
        assert_eq!(judge_index(&ok).word(), "pass");
        let typed = json!({"kind": "file", "json": {"schemaVersion": 2}, "typed": "missing field `manifests`"});
        assert_eq!(judge_index(&typed).word(), "fail");
        assert_eq!(
            judge_index(&json!({"kind": "file", "json": [1]})).word(),
            "fail"
        );
        assert_eq!(judge_index(&json!({"kind": "missing"})).word(), "fail");
    }

    #[test]
    fn blobs_match_their_names() {
        let name_a = A.replace(':', "/");
        let ok =
            json!({"blobs": [blob(&name_a, "file", Some(A)), blob("blake3/abc", "file", None)]});
        assert_eq!(
            judge_blob_digests(&ok),
            Verdict::pass(
                "1 blobs hashed, each matches its name (1 of an algorithm not computed here)"
            )
        );
        let flipped = json!({"blobs": [blob(&name_a, "file", Some(B))]});
        assert_eq!(
            judge_blob_digests(&flipped),
            Verdict::fail("1 found: blobs/sha256/2c26b46b68ff hashes to sha256:fcde2b2edba5")
        );
        let dir = json!({"blobs": [blob(&name_a, "directory", None)]});
        assert_eq!(judge_blob_digests(&dir).word(), "fail");
    }

    #[test]
    fn blob_names_follow_the_grammar() {
        let ok = json!({"blobs": [blob(&A.replace(':', "/"), "file", None), blob("sha256+b64u/LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", "file", None)]});
        assert_eq!(judge_blob_names(&ok).word(), "pass");
        for bad in ["SHA256/abc", "sha256/a.b", "stray-file", "sha256/.tmp"] {
            let v = json!({"blobs": [blob(bad, "file", None)]});
            assert_eq!(judge_blob_names(&v).word(), "fail", "{bad}");
        }
    }

    #[test]
    fn missing_blobs_need_an_external_store() {
        let ok = json!({"refs": [
            {"at": "index.json#/manifests/0", "digest": A, "stored": true, "urls": null},
            {"at": "m#/layers/0", "digest": B, "stored": false, "urls": ["https://example.com/l"]},
        ]});
        assert_eq!(
            judge_missing(&ok),
            Verdict::pass("1 referenced blobs stored, 1 absent with urls for an external store")
        );
        let bad =
            json!({"refs": [{"at": "m#/config", "digest": B, "stored": false, "urls": null}]});
        assert_eq!(
            judge_missing(&bad),
            Verdict::fail(
                "1 found: sha256:fcde2b2edba5 (m#/config) is not stored and its descriptor has no urls"
            )
        );
    }
}
