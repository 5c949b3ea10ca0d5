//! annotations.md: every annotation map reachable — of indexes and manifests, of every
//! descriptor they hold, and the `config.Labels` of image configurations (config.md: "This
//! property MUST use the annotation rules.").

use carrack_spec::Level;
use carrack_spec::image::annotations::{CREATED, is_predefined};
use serde_json::{Value, json};

use super::scan::Kind;
use super::{ImageSubject, is_rfc3339, rule, verdict};
use crate::case::{Case, Verdict};

const A: &str = "annotations.md";

/// Every annotation map: where, the map as written, and whether it is `config.Labels` (which
/// config.md lets be null, as any OPTIONAL field).
fn maps(s: &ImageSubject) -> Result<Value, Verdict> {
    let scan = s.scan();
    let mut out = Vec::new();
    for d in &scan.docs {
        let Ok(j) = &d.json else { continue };
        match d.kind {
            Kind::Config => {
                if let Some(l) = j.get("config").and_then(|c| c.get("Labels")) {
                    out.push(
                        json!({"at": format!("{}#/config/Labels", d.at), "map": l, "labels": true}),
                    );
                }
            }
            _ => {
                if let Some(a) = j.get("annotations") {
                    out.push(json!({"at": format!("{}#/annotations", d.at), "map": a}));
                }
            }
        }
    }
    for r in &scan.refs {
        if let Some(a) = r.desc.get("annotations") {
            out.push(json!({"at": format!("{}/annotations", r.at), "map": a}));
        }
    }
    Ok(json!({"maps": out}))
}

fn list(v: &Value) -> &[Value] {
    v["maps"].as_array().map_or(&[][..], Vec::as_slice)
}

/// Every `(where, key, value)` of every map that is an object.
fn pairs(v: &Value) -> impl Iterator<Item = (&str, &str, &Value)> {
    list(v).iter().flat_map(|m| {
        let at = m["at"].as_str().unwrap_or("?");
        m["map"]
            .as_object()
            .into_iter()
            .flatten()
            .map(move |(k, val)| (at, k.as_str(), val))
    })
}

fn judge_strings(v: &Value) -> Verdict {
    let mut bad = Vec::new();
    for m in list(v) {
        let at = m["at"].as_str().unwrap_or("?");
        match &m["map"] {
            Value::Object(o) => bad.extend(
                o.iter()
                    .filter(|(_, val)| !val.is_string())
                    .map(|(k, val)| format!("{at}: {k:?} is {val}")),
            ),
            Value::Null if m["labels"] == true => {}
            other => bad.push(format!("{at} is {other}, not a map")),
        }
    }
    verdict(
        &bad,
        format!(
            "{} maps of strings, {} keys",
            list(v).len(),
            pairs(v).count()
        ),
    )
}

/// `com.example.myKey`: at least two non-empty dot-separated parts.
fn reverse_domain(key: &str) -> bool {
    key.contains('.') && key.split('.').all(|p| !p.is_empty())
}

fn judge_reverse_domain(v: &Value) -> Verdict {
    let bad: Vec<String> = pairs(v)
        .filter(|(_, k, _)| !reverse_domain(k))
        .map(|(at, k, _)| format!("{at}: {k:?}"))
        .collect();
    verdict(
        &bad,
        format!("{} keys, each in reverse domain notation", pairs(v).count()),
    )
}

fn judge_reserved(v: &Value) -> Verdict {
    let bad: Vec<String> = pairs(v)
        .filter(|(_, k, _)| k.starts_with("org.opencontainers.image.") && !is_predefined(k))
        .map(|(at, k, _)| format!("{at}: {k:?} is not defined by the image-spec"))
        .collect();
    let n = pairs(v)
        .filter(|(_, k, _)| k.starts_with("org.opencontainers.image."))
        .count();
    verdict(
        &bad,
        format!("{n} org.opencontainers.image keys, each pre-defined"),
    )
}

fn judge_created(v: &Value) -> Verdict {
    let created: Vec<_> = pairs(v).filter(|(_, k, _)| *k == CREATED).collect();
    let bad: Vec<String> = created
        .iter()
        .filter(|(_, _, val)| val.as_str().is_none_or(|s| !is_rfc3339(s)))
        .map(|(at, _, val)| format!("{at}: {val}"))
        .collect();
    let seen: Vec<&str> = created
        .iter()
        .filter_map(|(_, _, val)| val.as_str())
        .take(3)
        .collect();
    verdict(
        &bad,
        format!("{} created annotations, RFC 3339: {seen:?}", created.len()),
    )
}

pub(crate) fn cases() -> Vec<Case<ImageSubject>> {
    vec![
        Case {
            id: "image/annotations/strings",
            rule: rule(
                A,
                "Rules",
                "Annotations MUST be a key-value map where both the key and value MUST be strings.",
            ),
            level: Level::Must,
            observe: maps,
            judge: judge_strings,
        },
        Case {
            id: "image/annotations/reverse-domain",
            rule: rule(
                A,
                "Rules",
                "Keys SHOULD be named using a reverse domain notation - e.g. com.example.myKey.",
            ),
            level: Level::Should,
            observe: maps,
            judge: judge_reverse_domain,
        },
        Case {
            id: "image/annotations/reserved",
            rule: rule(
                A,
                "Rules",
                "Keys using the org.opencontainers.image namespace are reserved for use in the OCI Image Specification and MUST NOT be used by other specifications and extensions, including other OCI specifications.",
            ),
            level: Level::Must,
            observe: maps,
            judge: judge_reserved,
        },
        Case {
            id: "image/annotations/created",
            rule: rule(
                A,
                "Pre-Defined Annotation Keys",
                "org.opencontainers.image.created date and time on which the image was built, conforming to RFC 3339.",
            ),
            level: Level::Must,
            observe: maps,
            judge: judge_created,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maps(list: &[Value]) -> Value {
        json!({"maps": list})
    }

    fn m(map: Value) -> Value {
        json!({"at": "index.json#/manifests/0/annotations", "map": map})
    }

    #[test]
    fn keys_and_values_are_strings() {
        let ok = maps(&[
            m(json!({"org.opencontainers.image.ref.name": "t"})),
            json!({"at": "c", "map": null, "labels": true}),
        ]);
        assert_eq!(judge_strings(&ok).word(), "pass");
        assert_eq!(
            judge_strings(&maps(&[m(json!({"com.example.n": 1}))])).word(),
            "fail"
        );
        assert_eq!(judge_strings(&maps(&[m(json!(["a"]))])).word(), "fail");
        assert_eq!(judge_strings(&maps(&[m(Value::Null)])).word(), "fail");
    }

    #[test]
    fn keys_are_reverse_domain_names() {
        let ok = maps(&[m(
            json!({"com.example.myKey": "", "org.opencontainers.image.ref.name": "t"}),
        )]);
        assert_eq!(judge_reverse_domain(&ok).word(), "pass");
        assert_eq!(
            judge_reverse_domain(&maps(&[m(json!({"maintainer": "me"}))])),
            Verdict::fail("1 found: index.json#/manifests/0/annotations: \"maintainer\"")
        );
        assert!(!reverse_domain("com..example"));
    }

    #[test]
    fn the_image_namespace_is_reserved() {
        let ok = maps(&[m(
            json!({"org.opencontainers.image.created": "2024-01-01T00:00:00Z"}),
        )]);
        assert_eq!(judge_reserved(&ok).word(), "pass");
        assert_eq!(
            judge_reserved(&maps(&[m(json!({"org.opencontainers.image.mine": "x"}))])).word(),
            "fail"
        );
    }

    #[test]
    fn created_is_rfc3339() {
        let ok = maps(&[m(
            json!({"org.opencontainers.image.created": "2024-01-01T00:00:00Z"}),
        )]);
        assert_eq!(judge_created(&ok).word(), "pass");
        let bad = maps(&[m(
            json!({"org.opencontainers.image.created": "Mon Jan 1 2024"}),
        )]);
        assert_eq!(judge_created(&bad).word(), "fail");
    }
}
