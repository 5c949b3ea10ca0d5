//! config-linux.md: namespaces (new, inherited, joined by path, refused), user namespace
//! mappings and time namespace offsets, compared with the runtime's own namespaces.

use carrack_spec::Level;
use serde_json::{Value, json};

use super::{
    APPLY, L, applied, attempt, created, need_version, ns_of, refusal, report, user_ns, version,
    with_ns,
};
use crate::case::{Case, Verdict, runtime as rule};
use crate::runtime::{Bundle, Subject};

const NS: &str = "Namespaces";

/// The name of a namespace type under /proc/PID/ns.
fn proc_name(t: &str) -> &str {
    match t {
        "network" => "net",
        "mount" => "mnt",
        t => t,
    }
}

/// The types configured without a path, by their /proc/PID/ns names.
fn fresh_types(b: &Bundle) -> Vec<String> {
    b.config["linux"]["namespaces"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n.get("path").is_none())
        .filter_map(|n| n["type"].as_str().map(|t| proc_name(t).to_owned()))
        .collect()
}

/// `/proc/PID/uid_map` text as [[inside, outside, count]…].
fn id_map(text: &Value) -> Vec<Vec<u64>> {
    text.as_str()
        .unwrap_or_default()
        .lines()
        .map(|l| {
            l.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .collect()
}

/// Judges that every type in `v["types"]` differs (`new`) or equals (`!new`) the one of
/// `v["host"]`, which is `whose`.
fn ns_compare(v: &Value, new: bool, whose: &str) -> Verdict {
    let (probe, host) = (&v["probe"], &v["host"]);
    let mut bad = Vec::new();
    let mut good = Vec::new();
    for t in v["types"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let (p, h) = (&probe[t], &host[t]);
        if p.is_null() || h.is_null() {
            continue;
        }
        if (p != h) == new {
            good.push(t);
        } else {
            bad.push(format!("{t} {p} ({whose} {h})"));
        }
    }
    let which = if new { "new" } else { whose };
    if bad.is_empty() && !good.is_empty() {
        Verdict::pass(format!("{which}: {}", good.join(", ")))
    } else if bad.is_empty() {
        Verdict::fail(format!("no namespace to compare in {v}"))
    } else {
        Verdict::fail(format!("not {which}: {}", bad.join("; ")))
    }
}

pub(super) fn cases() -> Vec<Case<Subject>> {
    vec![
        Case {
            id: "linux/namespaces/new",
            rule: rule(
                L,
                NS,
                "If path is not specified, the runtime MUST create a new container namespace of type type.",
            ),
            level: Level::Must,
            observe: |s| {
                let time = s.host.time_namespace && version(s.oci_version()) >= version("1.1.0");
                let mut types = Vec::new();
                let r = report(s, "ns-new", &["report"], |b| {
                    if time {
                        with_ns(b, |n| n.push(json!({"type": "time"})));
                    }
                    types = fresh_types(b);
                    Ok(())
                })?;
                Ok(json!({"types": types, "probe": r["namespaces"], "host": ns_of("self")}))
            },
            judge: |v| ns_compare(v, true, "the runtime's"),
        },
        Case {
            id: "linux/namespaces/inherit",
            rule: rule(
                L,
                NS,
                "If a namespace type is not specified in the namespaces array, the container MUST inherit the runtime namespace of that type.",
            ),
            level: Level::Must,
            observe: |s| {
                let r = report(s, "ns-inherit", &["report"], |b| {
                    with_ns(b, |n| *n = vec![json!({"type": "pid"}), json!({"type": "mount"})]);
                    if let Some(c) = b.config.as_object_mut() {
                        c.remove("hostname");
                    }
                    Ok(())
                })?;
                let types = ["net", "ipc", "uts", "cgroup", "user", "time"];
                Ok(json!({"types": types, "probe": r["namespaces"], "host": ns_of("self")}))
            },
            judge: |v| ns_compare(v, false, "the runtime's"),
        },
        Case {
            id: "linux/namespaces/path",
            rule: rule(
                L,
                NS,
                "The runtime MUST place the container process in the namespace associated with that path.",
            ),
            level: Level::Must,
            observe: |s| {
                // The namespaces of another (created) container are the ones to join.
                let (holder, _) = created(s, "ns-holder", &["sleep", "600"], |_| Ok(()))?;
                let pid = holder.state()?["pid"].as_u64().unwrap_or(0).to_string();
                let host = ns_of(&pid);
                let r = report(s, "ns-path", &["report"], |b| {
                    with_ns(b, |ns| {
                        for n in ns.iter_mut() {
                            let t = n["type"].as_str().unwrap_or_default().to_owned();
                            if t == "network" || t == "ipc" {
                                n["path"] = json!(format!("/proc/{pid}/ns/{}", proc_name(&t)));
                            }
                        }
                    });
                    Ok(())
                })?;
                Ok(json!({"types": ["net", "ipc"], "probe": r["namespaces"], "host": host}))
            },
            // "host" here: the namespaces at the paths given.
            judge: |v| ns_compare(v, false, "the path's"),
        },
        Case {
            id: "linux/namespaces/path-of-another-type",
            rule: rule(
                L,
                NS,
                "The runtime MUST generate an error if path is not associated with a namespace of type type.",
            ),
            level: Level::Must,
            observe: |s| {
                attempt(s, "ns-wrongtype", |b| {
                    let uts = format!("/proc/{}/ns/uts", std::process::id());
                    with_ns(b, |ns| {
                        for n in ns.iter_mut().filter(|n| n["type"] == "network") {
                            n["path"] = json!(uts);
                        }
                    });
                    Ok(())
                })
            },
            judge: |v| refusal(v, "a uts namespace's path for the network namespace"),
        },
        Case {
            id: "linux/namespaces/duplicate",
            rule: rule(
                L,
                NS,
                "If a namespaces field contains duplicated namespaces with same type, the runtime MUST generate an error.",
            ),
            level: Level::Must,
            observe: |s| {
                attempt(s, "ns-dup", |b| {
                    with_ns(b, |n| n.push(json!({"type": "pid"})));
                    Ok(())
                })
            },
            judge: |v| refusal(v, "two pid namespaces"),
        },
        Case {
            id: "linux/user-ns/uid-mappings",
            rule: rule(
                L,
                "User namespace mappings",
                "uidMappings (array of objects, OPTIONAL) describes the user namespace uid mappings from the host to the container.",
            )
            .because(&APPLY),
            level: Level::Must,
            observe: |s| mapped(s, "uidmap", "/proc/self/uid_map"),
            judge: |v| map_judge(v, [0, 100_000, 65536]),
        },
        Case {
            id: "linux/user-ns/gid-mappings",
            rule: rule(
                L,
                "User namespace mappings",
                "gidMappings (array of objects, OPTIONAL) describes the user namespace gid mappings from the host to the container.",
            )
            .because(&APPLY),
            level: Level::Must,
            observe: |s| mapped(s, "gidmap", "/proc/self/gid_map"),
            judge: |v| map_judge(v, [0, 200_000, 65536]),
        },
        Case {
            id: "linux/user-ns/no-chown",
            rule: rule(
                L,
                "User namespace mappings",
                "The runtime SHOULD NOT modify the ownership of referenced filesystems to realize the mapping.",
            ),
            level: Level::Should,
            observe: |s| {
                use std::os::unix::fs::MetadataExt;
                let (c, b) = applied(s, "nochown", &["report"], |b| {
                    user_ns(b);
                    Ok(())
                })?;
                c.report()?;
                let owner = |p: &str| {
                    std::fs::symlink_metadata(b.dir.join("rootfs").join(p))
                        .map_or(Value::Null, |m| json!([m.uid(), m.gid()]))
                };
                Ok(json!({"rootfs": owner("."), "etc/passwd": owner("etc/passwd")}))
            },
            judge: |v| {
                let ok = v
                    .as_object()
                    .is_some_and(|o| o.values().all(|o| *o == json!([0, 0])));
                Verdict::check(ok, format!("host owners [uid, gid] after the run: {v}"))
            },
        },
        Case {
            id: "linux/time-ns/offsets",
            rule: rule(
                L,
                "Offset for Time Namespace",
                "timeOffsets (object, OPTIONAL) sets the offset for Time Namespace.",
            )
            .because(&APPLY),
            level: Level::Must,
            observe: |s| {
                need_version(s, "1.1.0", "the time namespace")?;
                if !s.host.time_namespace {
                    return Err(Verdict::skip("the kernel has no time namespaces"));
                }
                let (c, _) = applied(s, "timens", &["report"], |b| {
                    with_ns(b, |n| n.push(json!({"type": "time"})));
                    b.config["linux"]["timeOffsets"] = json!({
                        "monotonic": {"secs": 86400, "nanosecs": 500},
                        "boottime": {"secs": 172_800, "nanosecs": 0},
                    });
                    Ok(())
                })?;
                Ok(json!({"offsets": c.report()?["timensOffsets"]}))
            },
            judge: |v| {
                let text = v["offsets"].as_str().unwrap_or_default();
                let mut lines: Vec<Vec<&str>> = text
                    .lines()
                    .map(|l| l.split_whitespace().collect())
                    .collect();
                lines.sort();
                let want = [["boottime", "172800", "0"], ["monotonic", "86400", "500"]];
                Verdict::check(lines == want, format!("timens_offsets {text:?}"))
            },
        },
    ]
}

/// The probe's `map` (uid_map or gid_map) in a new user namespace, and whether it is new.
fn mapped(s: &Subject, case: &str, map: &str) -> Result<Value, Verdict> {
    let (c, _) = applied(s, case, &["report", "--read", map], |b| {
        user_ns(b);
        Ok(())
    })?;
    let r = c.report()?;
    Ok(
        json!({"map": r["read"][map], "user": r["namespaces"]["user"], "host": ns_of("self")["user"]}),
    )
}

fn map_judge(v: &Value, want: [u64; 3]) -> Verdict {
    let map = id_map(&v["map"]);
    Verdict::check(
        map == [want.to_vec()] && v["user"] != v["host"],
        format!(
            "map {:?} in user namespace {} (runtime's {})",
            v["map"].as_str().unwrap_or("unreadable"),
            v["user"],
            v["host"]
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::check;
    use super::*;

    #[test]
    fn namespaces_are_compared_with_the_runtime_s() {
        let host = json!({"net": "net:[1]", "pid": "pid:[2]", "time": null});
        let new = json!({"net": "net:[3]", "pid": "pid:[4]", "time": null});
        let types = json!(["net", "pid", "time"]);
        check(
            "linux/namespaces/new",
            json!({"types": types, "probe": new, "host": host}),
            json!({"types": types, "probe": host, "host": host}),
        );
        check(
            "linux/namespaces/inherit",
            json!({"types": types, "probe": host, "host": host}),
            json!({"types": types, "probe": new, "host": host}),
        );
        check(
            "linux/namespaces/path",
            json!({"types": types, "probe": new, "host": new}),
            json!({"types": types, "probe": new, "host": host}),
        );
    }

    #[test]
    fn refusals_need_an_error_and_no_container() {
        let no = json!({"code": 1, "said": "no", "exists": false});
        let yes = json!({"code": 0, "said": "ok", "exists": true});
        for id in [
            "linux/namespaces/path-of-another-type",
            "linux/namespaces/duplicate",
        ] {
            check(id, no.clone(), yes.clone());
        }
    }

    #[test]
    fn user_namespaces_are_judged() {
        let ns = |m: &str, u: &str| json!({"map": m, "user": u, "host": "user:[1]"});
        check(
            "linux/user-ns/uid-mappings",
            ns("         0     100000      65536", "user:[2]"),
            ns("         0          0 4294967295", "user:[1]"),
        );
        check(
            "linux/user-ns/gid-mappings",
            ns("0 200000 65536", "user:[2]"),
            ns("0 100000 65536", "user:[2]"),
        );
        check(
            "linux/user-ns/no-chown",
            json!({"rootfs": [0, 0], "etc/passwd": [0, 0]}),
            json!({"rootfs": [100000, 200000], "etc/passwd": [0, 0]}),
        );
        check(
            "linux/time-ns/offsets",
            json!({"offsets": "monotonic      86400        500\nboottime     172800          0"}),
            json!({"offsets": "monotonic 0 0\nboottime 0 0"}),
        );
    }
}
