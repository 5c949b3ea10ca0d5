//! descriptor.md: every descriptor reachable from `index.json` (index entries, configs,
//! layers, subjects) — its media type, its digest's form, and its digest and size against the
//! blob it names.

use carrack_spec::Level;
use carrack_spec::image::{Digest, DigestError, MediaType};
use serde_json::{Value, json};

use super::scan::short;
use super::{ImageSubject, rule, verdict};
use crate::case::{Case, Verdict};

const D: &str = "descriptor.md";

/// Every reachable descriptor, with what is stored under its digest.
fn refs(s: &ImageSubject) -> Result<Value, Verdict> {
    let scan = s.scan();
    let out: Vec<Value> = scan
        .refs
        .iter()
        .map(|r| {
            let d = &r.desc;
            let blob = d
                .get("digest")
                .and_then(Value::as_str)
                .and_then(|x| scan.blob(x))
                .filter(|b| b.kind == "file");
            json!({
                "at": r.at,
                "role": r.role,
                "mediaType": d.get("mediaType"),
                "digest": d.get("digest"),
                "size": d.get("size"),
                "stored": blob.is_some(),
                "length": blob.map(|b| b.size),
                "actual": blob.and_then(|b| b.actual.clone()),
            })
        })
        .collect();
    Ok(json!({"refs": out}))
}

fn list(v: &Value) -> &[Value] {
    v["refs"].as_array().map_or(&[][..], Vec::as_slice)
}

fn at(r: &Value) -> &str {
    r["at"].as_str().unwrap_or("?")
}

fn judge_digest_content(v: &Value) -> Verdict {
    let (mut checked, mut absent, mut unverified) = (0, 0, 0);
    let mut bad = Vec::new();
    for r in list(v) {
        let Some(digest) = r["digest"].as_str() else {
            continue;
        };
        if r["stored"] != true {
            absent += 1;
        } else if let Some(actual) = r["actual"].as_str() {
            checked += 1;
            if actual != digest {
                bad.push(format!(
                    "{}: {} but the content is {}",
                    at(r),
                    short(digest),
                    short(actual)
                ));
            }
        } else {
            unverified += 1;
        }
    }
    verdict(
        &bad,
        format!(
            "{checked} descriptors' digests match their blobs ({absent} not stored, {unverified} of an algorithm not computed here)"
        ),
    )
}

fn judge_size_content(v: &Value) -> Verdict {
    let (mut checked, mut absent) = (0, 0);
    let mut bad = Vec::new();
    for r in list(v) {
        let Some(len) = r["length"].as_u64() else {
            absent += 1;
            continue;
        };
        checked += 1;
        if r["size"].as_u64() != Some(len) {
            bad.push(format!(
                "{}: size {} but the blob has {len} bytes",
                at(r),
                r["size"]
            ));
        }
    }
    verdict(
        &bad,
        format!("{checked} descriptors' sizes match their blobs ({absent} not stored)"),
    )
}

fn judge_size_sign(v: &Value) -> Verdict {
    let bad: Vec<String> = list(v)
        .iter()
        .filter(|r| r["size"].as_i64().is_none_or(|n| n < 0))
        .map(|r| format!("{}: size {}", at(r), r["size"]))
        .collect();
    verdict(&bad, format!("{} sizes, none negative", list(v).len()))
}

fn judge_media_type(v: &Value) -> Verdict {
    let bad: Vec<String> = list(v)
        .iter()
        .filter(|r| {
            r["mediaType"]
                .as_str()
                .is_none_or(|m| !MediaType::from(m).is_rfc6838())
        })
        .map(|r| format!("{}: mediaType {}", at(r), r["mediaType"]))
        .collect();
    verdict(
        &bad,
        format!("{} media types, each RFC 6838", list(v).len()),
    )
}

fn judge_digest_grammar(v: &Value) -> Verdict {
    let mut bad = Vec::new();
    for r in list(v) {
        match r["digest"].as_str().map(Digest::parse) {
            None => bad.push(format!("{}: digest {}", at(r), r["digest"])),
            Some(Err(
                e @ (DigestError::NoSeparator(_)
                | DigestError::Algorithm(_)
                | DigestError::Encoded(_)),
            )) => {
                bad.push(format!("{}: {e}", at(r)));
            }
            Some(_) => {}
        }
    }
    verdict(
        &bad,
        format!("{} digests, each algorithm:encoded", list(v).len()),
    )
}

fn judge_sha256(v: &Value) -> Verdict {
    let mut n = 0;
    let mut bad = Vec::new();
    for r in list(v) {
        let Some(enc) = r["digest"].as_str().and_then(|d| d.strip_prefix("sha256:")) else {
            continue;
        };
        n += 1;
        if enc.len() != 64
            || !enc
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            bad.push(format!("{}: sha256:{enc}", at(r)));
        }
    }
    verdict(
        &bad,
        format!("{n} sha256 digests, each 64 lower-case hex characters"),
    )
}

pub(crate) fn cases() -> Vec<Case<ImageSubject>> {
    vec![
        Case {
            id: "image/descriptor/digest/content",
            rule: rule(
                D,
                "Properties",
                "This REQUIRED property is the digest of the targeted content, conforming to the requirements outlined in Digests.",
            ),
            level: Level::Must,
            observe: refs,
            judge: judge_digest_content,
        },
        Case {
            id: "image/descriptor/size/content",
            rule: rule(
                D,
                "Properties",
                "This REQUIRED property specifies the size, in bytes, of the raw content.",
            ),
            level: Level::Must,
            observe: refs,
            judge: judge_size_content,
        },
        Case {
            id: "image/descriptor/size/non-negative",
            rule: rule(D, "Properties", "The size MUST NOT be negative."),
            level: Level::Must,
            observe: refs,
            judge: judge_size_sign,
        },
        Case {
            id: "image/descriptor/media-type",
            rule: rule(
                D,
                "Properties",
                "Values MUST comply with RFC 6838, including the naming requirements in its section 4.2.",
            ),
            level: Level::Must,
            observe: refs,
            judge: judge_media_type,
        },
        Case {
            id: "image/descriptor/digest/grammar",
            rule: rule(
                D,
                "Digests",
                "A digest string MUST match the following grammar:",
            ),
            level: Level::Must,
            observe: refs,
            judge: judge_digest_grammar,
        },
        Case {
            id: "image/descriptor/digest/sha256",
            rule: rule(
                D,
                "SHA-256",
                "When the algorithm identifier is sha256, the encoded portion MUST match /[a-f0-9]{64}/.",
            ),
            level: Level::Must,
            observe: refs,
            judge: judge_sha256,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
    const B: &str = "sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9";

    fn r(digest: Value, size: Value, stored: Option<(u64, &str)>) -> Value {
        json!({
            "at": "index.json#/manifests/0", "role": "entry",
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest, "size": size, "stored": stored.is_some(),
            "length": stored.map(|s| s.0), "actual": stored.map(|s| s.1),
        })
    }

    fn one(x: Value) -> Value {
        json!({"refs": [x]})
    }

    #[test]
    fn digests_and_sizes_match_the_blobs() {
        let ok = one(r(json!(A), json!(3), Some((3, A))));
        assert_eq!(judge_digest_content(&ok).word(), "pass");
        assert_eq!(judge_size_content(&ok).word(), "pass");
        let absent = one(r(json!(A), json!(3), None));
        assert_eq!(judge_digest_content(&absent).word(), "pass");
        assert_eq!(judge_size_content(&absent).word(), "pass");
        let flipped = one(r(json!(A), json!(3), Some((3, B))));
        assert_eq!(
            judge_digest_content(&flipped),
            Verdict::fail(
                "1 found: index.json#/manifests/0: sha256:2c26b46b68ff but the content is sha256:fcde2b2edba5"
            )
        );
        let short = one(r(json!(A), json!(2), Some((3, A))));
        assert_eq!(
            judge_size_content(&short),
            Verdict::fail("1 found: index.json#/manifests/0: size 2 but the blob has 3 bytes")
        );
    }

    #[test]
    fn sizes_are_not_negative() {
        assert_eq!(
            judge_size_sign(&one(r(json!(A), json!(0), None))).word(),
            "pass"
        );
        assert_eq!(
            judge_size_sign(&one(r(json!(A), json!(-1), None))).word(),
            "fail"
        );
        assert_eq!(
            judge_size_sign(&one(r(json!(A), Value::Null, None))).word(),
            "fail"
        );
    }

    #[test]
    fn media_types_follow_rfc_6838() {
        assert_eq!(
            judge_media_type(&one(r(json!(A), json!(1), None))).word(),
            "pass"
        );
        let mut bad = r(json!(A), json!(1), None);
        bad["mediaType"] = json!("manifest");
        assert_eq!(judge_media_type(&one(bad)).word(), "fail");
    }

    #[test]
    fn digests_follow_the_grammar() {
        let ok = one(r(
            json!("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"),
            json!(1),
            None,
        ));
        assert_eq!(judge_digest_grammar(&ok).word(), "pass");
        assert_eq!(
            judge_sha256(&ok),
            Verdict::pass("0 sha256 digests, each 64 lower-case hex characters")
        );
        for bad in ["sha256", "SHA256:abc", "sha256:a/b", ""] {
            assert_eq!(
                judge_digest_grammar(&one(r(json!(bad), json!(1), None))).word(),
                "fail",
                "{bad}"
            );
        }
        let upper = one(r(
            json!(A.to_uppercase().replace("SHA256", "sha256")),
            json!(1),
            None,
        ));
        assert_eq!(judge_digest_grammar(&upper).word(), "pass");
        assert_eq!(judge_sha256(&upper).word(), "fail");
        assert_eq!(
            judge_sha256(&one(r(json!(A), json!(1), None))).word(),
            "pass"
        );
    }
}
