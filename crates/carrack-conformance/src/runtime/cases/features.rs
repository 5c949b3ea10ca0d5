//! features.md and features-linux.md: what the `features` command prints, and that the runtime
//! does accept what it lists (versions, hooks, mount options, namespaces).

use std::cmp::Ordering;

use carrack_spec::Level;
use carrack_spec::runtime::Features;
use serde_json::{Value, json};

use super::hooks::run::{self, Plan, TYPES, at, code, lifecycle, need_root};
use crate::case::{Case, Verdict, runtime as rule};
use crate::runtime::Subject;

const F: &str = "features.md";
const NO_FEATURES: &str = "no features command (runtime-spec 1.1)";

/// What `features` printed; a skip when the runtime has no such command.
fn text(s: &Subject) -> Result<String, Verdict> {
    let r = s.runtime.call(&["features"], None).map_err(Verdict::fail)?;
    if r.ok() {
        Ok(r.stdout)
    } else {
        Err(Verdict::skip(format!("{NO_FEATURES}: {}", r.describe())))
    }
}

/// The features document as JSON.
fn features(s: &Subject) -> Result<Value, Verdict> {
    let t = text(s)?;
    serde_json::from_str(&t)
        .map_err(|e| Verdict::fail(format!("features printed no JSON ({e}): {t:.80}")))
}

/// A listed array of strings, or a skip when the document lists none.
fn listed(v: &Value, what: &str) -> Result<Vec<String>, Verdict> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .ok_or_else(|| Verdict::skip(format!("the features document lists no {what}")))
}

/// A SemVer version's core: major, minor, patch.
type Core = (u64, u64, u64);

/// A SemVer 2.0.0 version: its core and its pre-release identifiers.
fn semver(v: &str) -> Option<(Core, Vec<&str>)> {
    let v = v.split('+').next()?;
    let (core, pre) = v.split_once('-').unwrap_or((v, ""));
    let mut it = core.split('.').map(|p| p.parse::<u64>().ok());
    let core = (it.next()??, it.next()??, it.next()??);
    if it.next().is_some() {
        return None;
    }
    let pre: Vec<&str> = if pre.is_empty() {
        Vec::new()
    } else {
        pre.split('.').collect()
    };
    Some((core, pre))
}

/// SemVer precedence (build metadata ignored).
fn precedence(a: &str, b: &str) -> Option<Ordering> {
    let ((ca, pa), (cb, pb)) = (semver(a)?, semver(b)?);
    let pre = |x: &[&str], y: &[&str]| match (x.is_empty(), y.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            for (i, j) in x.iter().zip(y) {
                let o = match (i.parse::<u64>(), j.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => i.cmp(j),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
    };
    Some(ca.cmp(&cb).then_with(|| pre(&pa, &pb)))
}

/// Creates a container whose config says `ociVersion` is the features' `key`.
fn accepts(s: &Subject, case: &str, key: &str) -> Result<Value, Verdict> {
    need_root(s)?;
    let f = features(s)?;
    let version = f[key]
        .as_str()
        .ok_or_else(|| Verdict::fail(format!("features has no {key} string: {}", f[key])))?;
    let mut b = s.bundle(case, &["exit", "0"])?;
    b.config["ociVersion"] = json!(version);
    let (_c, ran) = b.create(s)?;
    Ok(json!({"version": version, "create": code(&ran)}))
}

fn accepted(v: &Value) -> Verdict {
    Verdict::check(
        v["create"]["code"] == 0,
        format!(
            "create with ociVersion {}: {}",
            v["version"],
            v["create"]["said"].as_str().unwrap_or_default()
        ),
    )
}

/// Mount options a tmpfs takes whose effect mountinfo shows.
const TMPFS_OPTIONS: [&str; 8] = [
    "ro",
    "nosuid",
    "nodev",
    "noexec",
    "noatime",
    "nodiratime",
    "sync",
    "dirsync",
];
const OPTS_AT: &str = "/certify-opts";

/// The namespace file (`/proc/PID/ns/…`) of a config namespace type.
fn ns_file(t: &str) -> &str {
    match t {
        "mount" => "mnt",
        "network" => "net",
        t => t,
    }
}

pub(crate) fn cases() -> Vec<Case<Subject>> {
    vec![
        Case {
            id: "features/version/min-accepted",
            rule: rule(
                F,
                "Specification version",
                "ociVersionMin (string, REQUIRED) The minimum recognized version of the Open Container Initiative Runtime Specification. The runtime MUST accept this value as the ociVersion property of config.json.",
            ),
            level: Level::Must,
            observe: |s| accepts(s, "ocimin", "ociVersionMin"),
            judge: accepted,
        },
        Case {
            id: "features/version/max-accepted",
            rule: rule(
                F,
                "Specification version",
                "ociVersionMax (string, REQUIRED) The maximum recognized version of the Open Container Initiative Runtime Specification. The runtime MUST accept this value as the ociVersion property of config.json.",
            ),
            level: Level::Must,
            observe: |s| accepts(s, "ocimax", "ociVersionMax"),
            judge: accepted,
        },
        Case {
            id: "features/version/max-not-less",
            rule: rule(
                F,
                "Specification version",
                "The value MUST NOT be less than the value of the ociVersionMin property.",
            ),
            level: Level::Must,
            observe: |s| {
                let f = features(s)?;
                Ok(json!({"min": f["ociVersionMin"], "max": f["ociVersionMax"]}))
            },
            judge: |v| {
                let (min, max) = (
                    v["min"].as_str().unwrap_or(""),
                    v["max"].as_str().unwrap_or(""),
                );
                match precedence(max, min) {
                    Some(o) => Verdict::check(
                        o != Ordering::Less,
                        format!("ociVersionMin {min}, ociVersionMax {max}"),
                    ),
                    None => Verdict::fail(format!(
                        "not SemVer versions: ociVersionMin {}, ociVersionMax {}",
                        v["min"], v["max"]
                    )),
                }
            },
        },
        Case {
            id: "features/properties/defined",
            rule: rule(
                F,
                "Specification version",
                "The Features structure MUST NOT contain properties that are not defined in this version of the Open Container Initiative Runtime Specification.",
            ),
            level: Level::Must,
            observe: |s| Ok(json!({"text": text(s)?})),
            judge: |v| {
                let t = v["text"].as_str().unwrap_or_default().as_bytes();
                match carrack_spec::strict::from_slice::<Features>(t) {
                    Ok(f) => {
                        let keys = serde_json::to_value(&f)
                            .ok()
                            .and_then(|o| {
                                o.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>())
                            })
                            .unwrap_or_default();
                        Verdict::pass(format!(
                            "every property is one of runtime-spec 1.3's (top level: {})",
                            keys.join(", ")
                        ))
                    }
                    Err(e) => Verdict::fail(format!("against runtime-spec 1.3's Features: {e}")),
                }
            },
        },
        Case {
            id: "features/annotations/map",
            rule: rule(
                F,
                "Annotations",
                "Annotations MUST be a key-value map that follows the same convention as the Key and Values of the annotations property of config.json.",
            ),
            level: Level::Must,
            observe: |s| Ok(json!({"annotations": features(s)?["annotations"]})),
            judge: |v| match &v["annotations"] {
                Value::Null => Verdict::pass("no annotations"),
                Value::Object(m) => {
                    let bad: Vec<String> = m
                        .iter()
                        .filter(|(k, x)| k.is_empty() || !x.is_string())
                        .map(|(k, x)| format!("{k:?}: {x}"))
                        .collect();
                    Verdict::check(
                        bad.is_empty(),
                        if bad.is_empty() {
                            format!("{} string annotations with non-empty keys", m.len())
                        } else {
                            format!("not string to string: {}", bad.join(", "))
                        },
                    )
                }
                other => Verdict::fail(format!("annotations is not a map: {other}")),
            },
        },
        Case {
            id: "features/hooks/supported",
            rule: rule(
                F,
                "Hooks",
                "The runtime MUST support the elements in this array as the hooks property of config.json.",
            ),
            level: Level::Must,
            observe: |s| {
                let list = listed(&features(s)?["hooks"], "hooks")?;
                let types: Vec<&str> = TYPES
                    .iter()
                    .copied()
                    .filter(|t| list.iter().any(|l| l == t))
                    .collect();
                let plan = Plan {
                    types: &types,
                    entries: 1,
                    fail: None,
                };
                let mut v = lifecycle(s, "feature-hooks", &plan)?;
                v["listed"] = json!(list);
                Ok(v)
            },
            judge: |v| {
                let list: Vec<&str> = v["listed"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let known: Vec<&&str> = list.iter().filter(|l| TYPES.contains(l)).collect();
                let missing: Vec<&&&str> = known
                    .iter()
                    .filter(|t| at(v, &format!("{t}.1")).is_none())
                    .collect();
                let unknown: Vec<&&str> = list.iter().filter(|l| !TYPES.contains(l)).collect();
                let seen = format!(
                    "listed {}; did not run: {missing:?}; not runtime-spec 1.3 hooks (untested): {unknown:?}; log: {}",
                    v["listed"],
                    run::order(v)
                );
                Verdict::check(missing.is_empty(), seen)
            },
        },
        Case {
            id: "features/mount-options/recognized",
            rule: rule(
                F,
                "Mount Options",
                "The runtime MUST recognize the elements in this array as the options of mounts objects in config.json.",
            ),
            level: Level::Must,
            observe: |s| {
                need_root(s)?;
                let list = listed(&features(s)?["mountOptions"], "mountOptions")?;
                let options: Vec<&str> = TMPFS_OPTIONS
                    .iter()
                    .copied()
                    .filter(|o| list.iter().any(|l| l == o))
                    .collect();
                if options.is_empty() {
                    return Err(Verdict::skip(format!(
                        "none of {TMPFS_OPTIONS:?} is listed"
                    )));
                }
                let mut b = s.bundle("feature-mountopts", &["report"])?;
                if let Some(m) = b.config["mounts"].as_array_mut() {
                    m.push(json!({"destination": OPTS_AT, "type": "tmpfs", "source": "tmpfs", "options": options}));
                }
                let (c, ran) = b.create(s)?;
                let line = if ran.ok() {
                    let r = c.report()?;
                    r["mountinfo"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .find(|l| l.split_whitespace().nth(4) == Some(OPTS_AT))
                        .map(str::to_owned)
                } else {
                    None
                };
                Ok(json!({"options": options, "create": code(&ran), "mountinfo": line}))
            },
            judge: |v| {
                if v["create"]["code"] != 0 {
                    return Verdict::fail(format!(
                        "create with a tmpfs mounted {}: {}",
                        v["options"],
                        v["create"]["said"].as_str().unwrap_or_default()
                    ));
                }
                let Some(line) = v["mountinfo"].as_str() else {
                    return Verdict::fail(format!("{OPTS_AT} is not mounted in the container"));
                };
                let tokens: Vec<&str> = line.split([' ', ',']).collect();
                let missing: Vec<&str> = v["options"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .filter(|o| !tokens.contains(o))
                    .collect();
                Verdict::check(
                    missing.is_empty(),
                    format!(
                        "options {}; not in effect: {missing:?}; mountinfo: {line}",
                        v["options"]
                    ),
                )
            },
        },
        Case {
            id: "features/linux/namespaces",
            rule: rule(
                "features-linux.md",
                "Namespaces",
                "The runtime MUST recognize the elements in this array as the type of linux.namespaces objects in config.json.",
            ),
            level: Level::Must,
            observe: |s| {
                need_root(s)?;
                let f = features(s)?;
                let list = listed(&f["linux"]["namespaces"], "linux.namespaces")?;
                let mut b = s.bundle("feature-ns", &["report"])?;
                let mut used = Vec::new();
                let mut untested = Vec::new();
                if let Some(ns) = b.config["linux"]["namespaces"].as_array_mut() {
                    for t in &list {
                        if t == "time" && !s.host.time_namespace {
                            untested.push(format!("{t} (the kernel has no time namespaces)"));
                            continue;
                        }
                        if !ns.iter().any(|n| n["type"] == t.as_str()) {
                            ns.push(json!({"type": t}));
                        }
                        used.push(t.clone());
                    }
                }
                if used.iter().any(|t| t == "user") {
                    let map = json!([{"containerID": 0, "hostID": 0, "size": 65536}]);
                    b.config["linux"]["uidMappings"] = map.clone();
                    b.config["linux"]["gidMappings"] = map;
                }
                let (c, ran) = b.create(s)?;
                let ns = if ran.ok() {
                    c.report()?["namespaces"].clone()
                } else {
                    Value::Null
                };
                Ok(json!({
                    "used": used, "untested": untested, "create": code(&ran),
                    "container": ns, "runtime": run::own_namespaces(),
                }))
            },
            judge: |v| {
                if v["create"]["code"] != 0 {
                    return Verdict::fail(format!(
                        "create with namespaces {}: {}",
                        v["used"],
                        v["create"]["said"].as_str().unwrap_or_default()
                    ));
                }
                let shared: Vec<&str> = v["used"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .filter(|t| {
                        let f = ns_file(t);
                        v["container"][f].is_null() || v["container"][f] == v["runtime"][f]
                    })
                    .collect();
                Verdict::check(
                    shared.is_empty(),
                    format!(
                        "created with {}; the process shares the runtime's: {shared:?}; untested: {}",
                        v["used"], v["untested"]
                    ),
                )
            },
        },
    ]
}

#[cfg(test)]
#[path = "features_tests.rs"]
mod tests;
