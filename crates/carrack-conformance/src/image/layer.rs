//! layer.md: every layer of every image, decompressed as its media type says and listed —
//! the tar format, the compressions, entry names, whiteouts and hardlinks.

use std::collections::BTreeSet;

use carrack_spec::Level;
use carrack_spec::image::MediaType;
use serde_json::{Value, json};

use super::changes::{
    judge_hardlinks, judge_whiteout_basename, judge_whiteout_empty, judge_whiteout_lower,
};
use super::scan::short;
use super::{ImageSubject, rule, verdict};
use crate::case::{Case, Verdict};

const Y: &str = "layer.md";
pub(super) const WH: &str = ".wh.";
pub(super) const OPAQUE: &str = ".wh..wh..opq";

/// The layers read, and each image's layer digests in order.
fn layers(s: &ImageSubject) -> Result<Value, Verdict> {
    let images: Vec<Vec<&str>> = s
        .scan()
        .images
        .iter()
        .filter(|i| i.config.is_some())
        .map(|i| {
            i.layers
                .iter()
                .filter_map(|l| l["digest"].as_str())
                .collect()
        })
        .collect();
    Ok(json!({"layers": s.layers(), "images": images}))
}

pub(super) fn list(v: &Value) -> &[Value] {
    v["layers"].as_array().map_or(&[][..], Vec::as_slice)
}

pub(super) fn entries(l: &Value) -> &[Value] {
    l["entries"].as_array().map_or(&[][..], Vec::as_slice)
}

pub(super) fn name(l: &Value) -> String {
    short(l["digest"].as_str().unwrap_or("?"))
}

/// An entry name as a path inside the root: `./a//b/` is `a/b`, `./` is ``; `None` when it
/// is absolute or has a `..` component.
pub(super) fn norm(p: &str) -> Option<String> {
    if p.starts_with('/') {
        return None;
    }
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => return None,
            c => out.push(c),
        }
    }
    Some(out.join("/"))
}

/// `(directory, basename)` of a normalised path.
pub(super) fn split(p: &str) -> (&str, &str) {
    p.rsplit_once('/').unwrap_or(("", p))
}

pub(super) fn under(p: &str, dir: &str) -> bool {
    dir.is_empty() || p == dir || p.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// Applies `check` to every entry of every layer.
pub(super) fn each_entry(
    v: &Value,
    what: &str,
    check: impl Fn(&Value) -> Option<String>,
) -> Verdict {
    let mut bad = Vec::new();
    let mut n = 0;
    for l in list(v) {
        for e in entries(l) {
            n += 1;
            if let Some(wrong) = check(e) {
                bad.push(format!("{}: {wrong}", name(l)));
            }
        }
    }
    verdict(
        &bad,
        format!("{n} entries in {} layers{what}", list(v).len()),
    )
}

fn judge_tar(v: &Value) -> Verdict {
    let mut bad = Vec::new();
    let mut unread = 0;
    for l in list(v) {
        if l["decode_error"].is_string() {
            unread += 1;
        } else if let Some(e) = l["tar_error"].as_str() {
            bad.push(format!(
                "{} ({}): not a tar archive after {} entries: {e}",
                name(l),
                l["media_type"].as_str().unwrap_or("?"),
                entries(l).len()
            ));
        }
    }
    verdict(
        &bad,
        format!(
            "{} layers are tar archives ({unread} could not be decompressed)",
            list(v).len() - unread
        ),
    )
}

fn judge_compression(v: &Value, media_type: MediaType, magics: &[&str], what: &str) -> Verdict {
    let ours: Vec<&Value> = list(v)
        .iter()
        .filter(|l| l["media_type"] == media_type.as_str())
        .collect();
    let mut bad = Vec::new();
    for l in &ours {
        let magic = l["magic"].as_str().unwrap_or_default();
        if !magics.iter().any(|m| magic.starts_with(m)) {
            bad.push(format!("{} starts with {magic}, not {what}", name(l)));
        } else if let Some(e) = l["decode_error"].as_str() {
            bad.push(format!("{}: {e}", name(l)));
        }
    }
    verdict(
        &bad,
        format!(
            "{} {} layers decompress as {what}",
            ours.len(),
            media_type.as_str()
        ),
    )
}

fn judge_duplicates(v: &Value) -> Verdict {
    let mut bad = Vec::new();
    for l in list(v) {
        let mut seen = BTreeSet::new();
        for e in entries(l) {
            let p = e["p"].as_str().unwrap_or_default();
            if let Some(n) = norm(p)
                && !seen.insert(n)
            {
                bad.push(format!("{}: {p:?} again", name(l)));
            }
        }
    }
    verdict(&bad, format!("{} layers, no path twice", list(v).len()))
}

fn judge_relative(v: &Value) -> Verdict {
    each_entry(v, ", every name relative and inside the root", |e| {
        let p = e["p"].as_str().unwrap_or_default();
        norm(p).is_none().then(|| format!("{p:?}"))
    })
}

pub(crate) fn cases() -> Vec<Case<ImageSubject>> {
    vec![
        Case {
            id: "image/layer/tar",
            rule: rule(
                Y,
                "Distributable Format",
                "Layer Changesets for the media type application/vnd.oci.image.layer.v1.tar MUST be packaged in tar archive.",
            ),
            level: Level::Must,
            observe: layers,
            judge: judge_tar,
        },
        Case {
            id: "image/layer/gzip",
            rule: rule(
                Y,
                "+gzip Media Types",
                "The media type application/vnd.oci.image.layer.v1.tar+gzip represents an application/vnd.oci.image.layer.v1.tar payload which has been compressed with gzip.",
            ),
            level: Level::Must,
            observe: layers,
            judge: |v| judge_compression(v, MediaType::ImageLayerGzip, &["1f8b"], "gzip"),
        },
        Case {
            id: "image/layer/zstd",
            rule: rule(
                Y,
                "+zstd Media Types",
                "The media type application/vnd.oci.image.layer.v1.tar+zstd represents an application/vnd.oci.image.layer.v1.tar payload which has been compressed with zstd.",
            ),
            level: Level::Must,
            observe: layers,
            // A zstd frame, or a skippable frame (0x184D2A5?, little-endian) before one.
            judge: |v| {
                judge_compression(
                    v,
                    MediaType::ImageLayerZstd,
                    &[
                        "28b52ffd", "502a4d18", "512a4d18", "522a4d18", "532a4d18", "542a4d18",
                        "552a4d18", "562a4d18", "572a4d18", "582a4d18", "592a4d18", "5a2a4d18",
                        "5b2a4d18", "5c2a4d18", "5d2a4d18", "5e2a4d18", "5f2a4d18",
                    ],
                    "zstd",
                )
            },
        },
        Case {
            id: "image/layer/duplicates",
            rule: rule(
                Y,
                "Distributable Format",
                "Layer Changesets for the media type application/vnd.oci.image.layer.v1.tar MUST NOT include duplicate entries for file paths in the resulting tar archive.",
            ),
            level: Level::Must,
            observe: layers,
            judge: judge_duplicates,
        },
        Case {
            id: "image/layer/relative-names",
            rule: rule(
                Y,
                "Populate Initial Filesystem",
                "The rootfs-c9d-v1 directory is then created as a plain tar archive with relative path to rootfs-c9d-v1.",
            ),
            level: Level::Must,
            observe: layers,
            judge: judge_relative,
        },
        Case {
            id: "image/layer/whiteout/empty-file",
            rule: rule(
                Y,
                "Whiteouts",
                "A whiteout file is an empty file with a special filename that signifies a path should be deleted.",
            ),
            level: Level::Must,
            observe: layers,
            judge: judge_whiteout_empty,
        },
        Case {
            id: "image/layer/whiteout/basename",
            rule: rule(
                Y,
                "Whiteouts",
                "A .wh. file, without a basename to delete, is invalid and implementations SHOULD return an error when encountering such an entry.",
            ),
            level: Level::Should,
            observe: layers,
            judge: judge_whiteout_basename,
        },
        Case {
            id: "image/layer/whiteout/lower-only",
            rule: rule(
                Y,
                "Whiteouts",
                "Whiteout files MUST only apply to resources in lower/parent layers.",
            ),
            level: Level::Must,
            observe: layers,
            judge: judge_whiteout_lower,
        },
        Case {
            id: "image/layer/hardlink/target",
            rule: rule(
                Y,
                "File Attributes",
                "Where supported, MUST include file attributes for Additions and Modifications include: … Hardlink reference (linkname)",
            ),
            level: Level::Must,
            observe: layers,
            judge: judge_hardlinks,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

    fn e(p: &str, t: &str) -> Value {
        json!({"p": p, "t": t, "s": 0})
    }

    fn layer(digest: &str, mt: &str, es: Vec<Value>) -> Value {
        json!({"digest": digest, "media_type": mt, "magic": "1f8b0800", "diff_id": A, "entries": es})
    }

    fn one(es: Vec<Value>) -> Value {
        json!({"layers": [layer(A, "application/vnd.oci.image.layer.v1.tar+gzip", es)], "images": [[A]]})
    }

    #[test]
    fn names() {
        assert_eq!(norm("./a//b/"), Some("a/b".into()));
        assert_eq!(norm("./"), Some(String::new()));
        assert_eq!(norm("/etc/passwd"), None);
        assert_eq!(norm("a/../../b"), None);
        assert!(
            under("a/b/c", "a/b") && under("a/b", "a/b") && !under("a/bc", "a/b") && under("x", "")
        );
    }

    #[test]
    fn tar_and_compression() {
        let ok = one(vec![e("./", "5")]);
        assert_eq!(judge_tar(&ok).word(), "pass");
        assert_eq!(
            judge_compression(&ok, MediaType::ImageLayerGzip, &["1f8b"], "gzip").word(),
            "pass"
        );
        let mut bad = one(vec![]);
        bad["layers"][0]["tar_error"] = json!("unexpected EOF");
        assert_eq!(judge_tar(&bad).word(), "fail");
        bad["layers"][0]["magic"] = json!("28b52ffd");
        assert_eq!(
            judge_compression(&bad, MediaType::ImageLayerGzip, &["1f8b"], "gzip").word(),
            "fail"
        );
        let mut undecodable = one(vec![]);
        undecodable["layers"][0]["decode_error"] = json!("corrupt deflate stream");
        assert_eq!(
            judge_compression(&undecodable, MediaType::ImageLayerGzip, &["1f8b"], "gzip").word(),
            "fail"
        );
    }

    #[test]
    fn the_compression_cases() {
        use super::super::judge_of;
        let gzip = judge_of("image/layer/gzip");
        let zstd = judge_of("image/layer/zstd");
        let with = |mt: &str, magic: &str| {
            let mut l = layer(A, mt, vec![]);
            l["magic"] = json!(magic);
            json!({"layers": [l]})
        };
        let gz = "application/vnd.oci.image.layer.v1.tar+gzip";
        let zst = "application/vnd.oci.image.layer.v1.tar+zstd";
        assert_eq!(gzip(&with(gz, "1f8b0800")).word(), "pass");
        assert_eq!(gzip(&with(gz, "28b52ffd")).word(), "fail");
        assert_eq!(zstd(&with(zst, "28b52ffd")).word(), "pass");
        assert_eq!(
            zstd(&with(zst, "502a4d18")).word(),
            "pass",
            "a skippable frame first"
        );
        assert_eq!(zstd(&with(zst, "1f8b0800")).word(), "fail");
        assert_eq!(
            gzip(&with(zst, "28b52ffd")),
            Verdict::pass(format!("0 {gz} layers decompress as gzip"))
        );
    }

    #[test]
    fn duplicates_and_escapes() {
        let ok = one(vec![e("./", "5"), e("./etc/", "5"), e("./etc/a", "0")]);
        assert_eq!(judge_duplicates(&ok).word(), "pass");
        assert_eq!(judge_relative(&ok).word(), "pass");
        assert_eq!(
            judge_duplicates(&one(vec![e("etc/a", "0"), e("./etc/a", "0")])).word(),
            "fail"
        );
        assert_eq!(judge_relative(&one(vec![e("/etc/a", "0")])).word(), "fail");
        assert_eq!(judge_relative(&one(vec![e("../a", "0")])).word(), "fail");
    }
}
