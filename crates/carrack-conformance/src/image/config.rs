//! config.md: every image configuration reachable (a manifest's config of media type
//! `application/vnd.oci.image.config.v1+json`) — `rootfs`, its DiffIDs against the layers'
//! uncompressed content, and `created`.

use carrack_spec::Level;
use serde_json::{Value, json};

use super::manifest::{docs, each_doc};
use super::scan::{Kind, short};
use super::{ImageSubject, is_rfc3339, rule, verdict};
use crate::case::{Case, Verdict};

const C: &str = "config.md";

fn config_docs(s: &ImageSubject) -> Result<Value, Verdict> {
    Ok(docs(s, Kind::Config))
}

/// Every image whose configuration could be read: its layers (with what reading each gave)
/// and its `rootfs.diff_ids`.
fn images(s: &ImageSubject) -> Result<Value, Verdict> {
    let layers = s.layers();
    let list: Vec<Value> = s
        .scan()
        .images
        .iter()
        .filter_map(|i| {
            let config = i.config.as_ref()?.as_ref().ok()?;
            let ls: Vec<Value> = i
                .layers
                .iter()
                .map(|l| {
                    let digest = l["digest"].as_str().unwrap_or_default();
                    match layers.iter().find(|x| x.digest == digest) {
                        Some(x) => json!({
                            "digest": digest,
                            "diff_id": x.diff_id,
                            "error": x.decode_error.as_ref().or(x.tar_error.as_ref()),
                        }),
                        None => json!({"digest": digest, "absent": true}),
                    }
                })
                .collect();
            Some(json!({"manifest": i.manifest, "diff_ids": config["rootfs"]["diff_ids"], "layers": ls}))
        })
        .collect();
    Ok(json!({"images": list}))
}

fn list(v: &Value) -> &[Value] {
    v["images"].as_array().map_or(&[][..], Vec::as_slice)
}

fn judge_count(v: &Value) -> Verdict {
    let mut bad = Vec::new();
    for i in list(v) {
        let m = i["manifest"].as_str().unwrap_or("?");
        let layers = i["layers"].as_array().map_or(0, Vec::len);
        match i["diff_ids"].as_array() {
            None => bad.push(format!("{m}: rootfs.diff_ids is {}", i["diff_ids"])),
            Some(d) if d.len() != layers => {
                bad.push(format!("{m}: {} diff_ids for {layers} layers", d.len()));
            }
            Some(_) => {}
        }
    }
    verdict(
        &bad,
        format!("{} images, one DiffID per layer", list(v).len()),
    )
}

fn judge_match(v: &Value) -> Verdict {
    let mut bad = Vec::new();
    let (mut checked, mut absent) = (0, 0);
    for i in list(v) {
        let m = i["manifest"].as_str().unwrap_or("?");
        let ids = i["diff_ids"].as_array().map_or(&[][..], Vec::as_slice);
        for (n, l) in i["layers"].as_array().into_iter().flatten().enumerate() {
            let want = ids.get(n).and_then(Value::as_str);
            if l["absent"] == true {
                absent += 1;
            } else if let Some(e) = l["error"].as_str() {
                bad.push(format!("{m} layer {n}: cannot be read to its end: {e}"));
            } else if want.is_some_and(|w| !w.starts_with("sha256:")) {
                absent += 1; // a DiffID of another algorithm: not computed here
            } else if want != l["diff_id"].as_str() {
                checked += 1;
                bad.push(format!(
                    "{m} layer {n}: uncompressed {} but diff_ids[{n}] is {}",
                    short(l["diff_id"].as_str().unwrap_or("?")),
                    want.map_or_else(|| "missing".to_owned(), short)
                ));
            } else {
                checked += 1;
            }
        }
    }
    verdict(
        &bad,
        format!(
            "{checked} layers' uncompressed digests equal their DiffIDs ({absent} not checked: not stored or not sha256)"
        ),
    )
}

fn judge_rootfs(v: &Value) -> Verdict {
    each_doc(v, "configurations, rootfs.type \"layers\"", |j| {
        (j["rootfs"]["type"] != "layers").then(|| format!("rootfs.type {}", j["rootfs"]["type"]))
    })
}

fn judge_created(v: &Value) -> Verdict {
    each_doc(
        v,
        "configurations, created absent or RFC 3339",
        |j| match j.get("created") {
            None | Some(Value::Null) => None,
            Some(Value::String(c)) if is_rfc3339(c) => None,
            Some(c) => Some(format!("created {c}")),
        },
    )
}

pub(crate) fn cases() -> Vec<Case<ImageSubject>> {
    vec![
        Case {
            id: "image/config/rootfs-type",
            rule: rule(
                C,
                "Properties",
                "type string, REQUIRED MUST be set to layers.",
            ),
            level: Level::Must,
            observe: config_docs,
            judge: judge_rootfs,
        },
        Case {
            id: "image/config/diff-ids/count",
            rule: rule(
                C,
                "Properties",
                "diff_ids array of strings, REQUIRED An array of layer content hashes (DiffIDs), in order from first to last.",
            ),
            level: Level::Must,
            observe: images,
            judge: judge_count,
        },
        Case {
            id: "image/config/diff-ids/match",
            rule: rule(
                C,
                "Layer DiffID",
                "A layer DiffID is the digest over the layer's uncompressed tar archive and serialized in the descriptor digest format, e.g., sha256:a9561eb1b190625c9adb5a9513e72c4dedafc1cb2d4c5236c9a6957ec7dfd5a9.",
            ),
            level: Level::Must,
            observe: images,
            judge: judge_match,
        },
        Case {
            id: "image/config/created",
            rule: rule(
                C,
                "Properties",
                "An combined date and time at which the image was created, formatted as defined by RFC 3339, section 5.6.",
            ),
            level: Level::Must,
            observe: config_docs,
            judge: judge_created,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
    const B: &str = "sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9";

    fn image(diff_ids: Value, layers: Value) -> Value {
        json!({"images": [{"manifest": "sha256:0123456789ab", "diff_ids": diff_ids, "layers": layers}]})
    }

    #[test]
    fn one_diff_id_per_layer() {
        let ok = image(json!([A]), json!([{"digest": B, "diff_id": A}]));
        assert_eq!(judge_count(&ok).word(), "pass");
        assert_eq!(
            judge_count(&image(json!([]), json!([{"digest": B}]))).word(),
            "fail"
        );
        assert_eq!(judge_count(&image(Value::Null, json!([]))).word(), "fail");
    }

    #[test]
    fn diff_ids_are_the_uncompressed_digests() {
        let ok = image(
            json!([A, B]),
            json!([{"digest": B, "diff_id": A}, {"digest": A, "absent": true}]),
        );
        assert_eq!(
            judge_match(&ok),
            Verdict::pass(
                "1 layers' uncompressed digests equal their DiffIDs (1 not checked: not stored or not sha256)"
            )
        );
        let wrong = image(json!([B]), json!([{"digest": B, "diff_id": A}]));
        assert_eq!(
            judge_match(&wrong),
            Verdict::fail(
                "1 found: sha256:0123456789ab layer 0: uncompressed sha256:2c26b46b68ff but diff_ids[0] is sha256:fcde2b2edba5"
            )
        );
        let broken = image(
            json!([A]),
            json!([{"digest": B, "diff_id": null, "error": "invalid gzip header"}]),
        );
        assert_eq!(judge_match(&broken).word(), "fail");
    }

    #[test]
    fn created_is_rfc3339() {
        let cfg = |c: Value| json!({"docs": [{"at": "c", "json": {"created": c}}]});
        let check = judge_created;
        assert_eq!(
            check(&cfg(json!("2015-10-31T22:22:56.015925234Z"))).word(),
            "pass"
        );
        assert_eq!(check(&cfg(Value::Null)).word(), "pass");
        assert_eq!(check(&cfg(json!("31/10/2015"))).word(), "fail");
        let rootfs = |t: &str| json!({"docs": [{"at": "c", "json": {"rootfs": {"type": t}}}]});
        let judge = judge_rootfs;
        assert_eq!(judge(&rootfs("layers")).word(), "pass");
        assert_eq!(judge(&rootfs("layer")).word(), "fail");
    }
}
