//! layer.md's changes between layers: whiteouts (explicit and opaque) and hardlinks, judged
//! on the entry lists [`super::layer`] observes.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::layer::{OPAQUE, WH, each_entry, entries, list, name, norm, split, under};
use super::verdict;
use crate::case::Verdict;

fn whiteout_name(e: &Value) -> Option<(&str, String)> {
    let p = e["p"].as_str()?;
    let n = norm(p)?;
    let (_, base) = split(&n);
    base.starts_with(WH).then(|| (p, base.to_owned()))
}

pub(super) fn judge_whiteout_empty(v: &Value) -> Verdict {
    each_entry(v, "; every whiteout an empty regular file", |e| {
        let (p, _) = whiteout_name(e)?;
        (e["t"] != "0" || e["s"] != 0)
            .then(|| format!("whiteout {p:?} has type {} and size {}", e["t"], e["s"]))
    })
}

pub(super) fn judge_whiteout_basename(v: &Value) -> Verdict {
    each_entry(v, "; no whiteout without a basename", |e| {
        let (p, base) = whiteout_name(e)?;
        (base == WH).then(|| format!("{p:?} names nothing to delete"))
    })
}

pub(super) fn judge_whiteout_lower(v: &Value) -> Verdict {
    let mut bad = Vec::new();
    let mut n = 0;
    for l in list(v) {
        let paths: Vec<String> = entries(l)
            .iter()
            .filter_map(|e| norm(e["p"].as_str()?))
            .collect();
        for p in &paths {
            let (dir, base) = split(p);
            let Some(target) = base
                .strip_prefix(WH)
                .filter(|t| base != OPAQUE && !t.is_empty())
            else {
                continue;
            };
            n += 1;
            let target = if dir.is_empty() {
                target.to_owned()
            } else {
                format!("{dir}/{target}")
            };
            if let Some(same) = paths.iter().find(|q| under(q, &target)) {
                bad.push(format!(
                    "{}: {p:?} would remove {same:?} of the same layer",
                    name(l)
                ));
            }
        }
    }
    verdict(
        &bad,
        format!("{n} explicit whiteouts, none on an entry of its own layer"),
    )
}

/// Follows each image's layers in order; every hardlink must name a non-directory added
/// earlier in its layer or present in the layers below.
pub(super) fn judge_hardlinks(v: &Value) -> Verdict {
    let by_digest: BTreeMap<&str, &Value> = list(v)
        .iter()
        .filter_map(|l| Some((l["digest"].as_str()?, l)))
        .collect();
    let mut bad = BTreeSet::new();
    let (mut links, mut lower_links) = (0, 0);
    // A layer shared by several images is counted once.
    let mut counted = BTreeSet::new();
    for image in v["images"].as_array().into_iter().flatten() {
        let mut below: BTreeMap<String, String> = BTreeMap::new();
        for d in image
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let Some(l) = by_digest.get(d) else { continue };
            let first = counted.insert(d);
            let mut here: BTreeMap<String, String> = BTreeMap::new();
            for e in entries(l) {
                let Some(p) = e["p"].as_str().and_then(norm) else {
                    continue;
                };
                let t = e["t"].as_str().unwrap_or_default();
                if t == "1" {
                    links += usize::from(first);
                    let target = e["l"].as_str().unwrap_or_default();
                    let found = norm(target).and_then(|n| match here.get(&n) {
                        Some(kind) => Some((kind.clone(), false)),
                        None => below.get(&n).map(|kind| (kind.clone(), true)),
                    });
                    match found {
                        Some((kind, _)) if kind == "5" => {
                            bad.insert(format!(
                                "{}: {p:?} links to the directory {target:?}",
                                name(l)
                            ));
                        }
                        Some((_, lower)) => lower_links += usize::from(lower && first),
                        None => {
                            bad.insert(format!("{}: {p:?} links to {target:?}, in neither this layer before it nor a lower one", name(l)));
                        }
                    }
                }
                here.insert(p, t.to_owned());
            }
            // The layer applied: its whiteouts remove from what is below, then its entries land.
            for p in here.keys() {
                let (dir, base) = split(p);
                if base == OPAQUE {
                    let dir = dir.to_owned();
                    below.retain(|q, _| q == &dir || !under(q, &dir));
                } else if let Some(t) = base.strip_prefix(WH) {
                    let target = if dir.is_empty() {
                        t.to_owned()
                    } else {
                        format!("{dir}/{t}")
                    };
                    below.retain(|q, _| !under(q, &target));
                }
            }
            below.extend(
                here.into_iter()
                    .filter(|(p, _)| !split(p).1.starts_with(WH)),
            );
        }
    }
    let bad: Vec<String> = bad.into_iter().collect();
    verdict(
        &bad,
        format!("{links} hardlinks, each to a file before it ({lower_links} in a lower layer)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const A: &str = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
    const B: &str = "sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9";

    fn e(p: &str, t: &str) -> Value {
        json!({"p": p, "t": t, "s": 0})
    }

    fn link(p: &str, to: &str) -> Value {
        json!({"p": p, "t": "1", "s": 0, "l": to})
    }

    fn layer(digest: &str, mt: &str, es: Vec<Value>) -> Value {
        json!({"digest": digest, "media_type": mt, "magic": "1f8b0800", "diff_id": A, "entries": es})
    }

    fn one(es: Vec<Value>) -> Value {
        json!({"layers": [layer(A, "application/vnd.oci.image.layer.v1.tar+gzip", es)], "images": [[A]]})
    }

    #[test]
    fn whiteouts() {
        let ok = one(vec![
            e("etc/.wh.a", "0"),
            e("bin/.wh..wh..opq", "0"),
            e("bin/x", "0"),
        ]);
        assert_eq!(judge_whiteout_empty(&ok).word(), "pass");
        assert_eq!(judge_whiteout_basename(&ok).word(), "pass");
        assert_eq!(judge_whiteout_lower(&ok).word(), "pass");
        assert_eq!(
            judge_whiteout_empty(&one(vec![json!({"p": ".wh.a", "t": "0", "s": 3})])).word(),
            "fail"
        );
        assert_eq!(
            judge_whiteout_empty(&one(vec![e(".wh.a", "5")])).word(),
            "fail"
        );
        assert_eq!(
            judge_whiteout_basename(&one(vec![e("etc/.wh.", "0")])).word(),
            "fail"
        );
        assert_eq!(
            judge_whiteout_lower(&one(vec![e("etc/.wh.a", "0"), e("etc/a/b", "0")])),
            Verdict::fail(
                "1 found: sha256:2c26b46b68ff: \"etc/.wh.a\" would remove \"etc/a/b\" of the same layer"
            )
        );
    }

    #[test]
    fn hardlinks_point_back_or_down() {
        let base = layer(A, "t", vec![e("etc/", "5"), e("etc/a", "0")]);
        let top = layer(
            B,
            "t",
            vec![
                link("etc/b", "etc/a"),
                e("etc/c", "0"),
                link("etc/d", "./etc/c"),
            ],
        );
        let v = json!({"layers": [base, top], "images": [[A, B]]});
        assert_eq!(
            judge_hardlinks(&v),
            Verdict::pass("2 hardlinks, each to a file before it (1 in a lower layer)")
        );
        let later = one(vec![link("b", "a"), e("a", "0")]);
        assert_eq!(judge_hardlinks(&later).word(), "fail");
        assert_eq!(
            judge_hardlinks(&one(vec![e("d", "5"), link("b", "d")])).word(),
            "fail"
        );
        assert_eq!(
            judge_hardlinks(&one(vec![link("b", "/etc/passwd")])).word(),
            "fail"
        );
        let removed = layer(B, "t", vec![e("etc/.wh.a", "0")]);
        let again = layer(A, "t", vec![link("etc/b", "etc/a")]);
        let base = layer(
            "sha256:0000000000000000000000000000000000000000000000000000000000000000",
            "t",
            vec![e("etc/a", "0")],
        );
        let v = json!({"layers": [base, removed, again], "images": [["sha256:0000000000000000000000000000000000000000000000000000000000000000", B, A]]});
        assert_eq!(
            judge_hardlinks(&v).word(),
            "fail",
            "a whiteout removed the target"
        );
    }
}
