//! config-linux.md: the container's cgroups (path, limits, allowed devices, ownership), seen
//! from the host in the cgroup file systems.

use std::path::PathBuf;

use carrack_spec::Level;
use serde_json::{Value, json};

use super::{APPLY, L, applied, created, need_version, user_ns, with_ns};
use crate::case::{Case, Verdict, runtime as rule};
use crate::runtime::{Bundle, Container, Subject};

/// The mount point of the cgroup hierarchy holding `controller` (v1), or /sys/fs/cgroup (v2).
fn hierarchy(s: &Subject, controller: &str) -> Option<PathBuf> {
    if s.host.cgroup_v2 {
        return Some(PathBuf::from("/sys/fs/cgroup"));
    }
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    info.lines().find_map(|l| {
        let (left, right) = l.split_once(" - ")?;
        let mut r = right.split(' ');
        let (fstype, _, opts) = (r.next()?, r.next()?, r.next()?);
        if fstype == "cgroup" && opts.split(',').any(|o| o == controller) {
            left.split(' ').nth(4).map(PathBuf::from)
        } else {
            None
        }
    })
}

/// The path of the cgroup `text` (a /proc/PID/cgroup) puts a process in for `controller`
/// (v1), or in the unified hierarchy (v2).
fn cgroup_path(text: &str, v2: bool, controller: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let mut f = l.splitn(3, ':');
        let (id, ctrls, path) = (f.next()?, f.next()?, f.next()?);
        let hit = if v2 {
            id == "0" && ctrls.is_empty()
        } else {
            ctrls.split(',').any(|c| c == controller)
        };
        hit.then(|| path.to_owned())
    })
}

/// The container process's pid and its /proc/PID/cgroup as the host sees it.
fn host_cgroup(c: &Container<'_>) -> Result<(u64, String), Verdict> {
    let pid = c.state()?["pid"].as_u64().unwrap_or(0);
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
        .map_err(|e| Verdict::fail(format!("/proc/{pid}/cgroup of the container: {e}")))?;
    Ok((pid, text))
}

/// The directory of the container's cgroup for `controller`.
fn cgroup_dir(s: &Subject, c: &Container<'_>, controller: &str) -> Result<PathBuf, Verdict> {
    let (pid, text) = host_cgroup(c)?;
    let base = hierarchy(s, controller)
        .ok_or_else(|| Verdict::skip(format!("no {controller} cgroup hierarchy on this host")))?;
    let path = cgroup_path(&text, s.host.cgroup_v2, controller).ok_or_else(|| {
        Verdict::fail(format!(
            "process {pid} is in no {controller} cgroup: {text:?}"
        ))
    })?;
    Ok(base.join(path.trim_start_matches('/')))
}

/// The text of `file` (v1 name, v2 name) in the `controller` cgroup of a container made with
/// `edit` and cgroupsPath /ID; `strict` fails a refused create instead of skipping.
fn limit(
    s: &Subject,
    case: &str,
    controller: &str,
    file: (&str, &str),
    strict: bool,
    edit: impl FnOnce(&mut Bundle),
) -> Result<Value, Verdict> {
    let setup = |b: &mut Bundle| {
        b.config["linux"]["cgroupsPath"] = json!(format!("/{}", b.id));
        edit(b);
        Ok(())
    };
    let (c, _) = if strict {
        created(s, case, &["exit", "0"], setup)?
    } else {
        applied(s, case, &["exit", "0"], setup)?
    };
    let name = if s.host.cgroup_v2 { file.1 } else { file.0 };
    let path = cgroup_dir(s, &c, controller)?.join(name);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Verdict::fail(format!("{}: {e}", path.display())))?;
    Ok(json!({"file": path, "value": text.trim()}))
}

fn limit_judge(v: &Value, want: &str) -> Verdict {
    Verdict::check(
        v["value"] == want,
        format!(
            "{} is {} (asked {want})",
            v["file"].as_str().unwrap_or("?"),
            v["value"]
        ),
    )
}

/// The host owner [uid, gid] of the container's cgroup directory and its cgroup.procs, with
/// a user namespace mapping root to 100000 and /sys/fs/cgroup mounted read-write.
fn cgroup_owner(s: &Subject, case: &str, cgroup_ns: bool) -> Result<Value, Verdict> {
    use std::os::unix::fs::MetadataExt;
    let (c, _) = applied(s, case, &["exit", "0"], |b| {
        user_ns(b);
        if !cgroup_ns {
            with_ns(b, |n| n.retain(|n| n["type"] != "cgroup"));
        }
        b.config["linux"]["cgroupsPath"] = json!(format!("/{}", b.id));
        for m in b.config["mounts"].as_array_mut().into_iter().flatten() {
            if m["destination"] == "/sys/fs/cgroup"
                && let Some(o) = m["options"].as_array_mut()
            {
                o.retain(|o| o != "ro");
            }
        }
        Ok(())
    })?;
    let dir = cgroup_dir(s, &c, "memory")?;
    let owner =
        |p: PathBuf| std::fs::metadata(&p).map_or(Value::Null, |m| json!([m.uid(), m.gid()]));
    Ok(json!({"dir": owner(dir.clone()), "cgroup.procs": owner(dir.join("cgroup.procs"))}))
}

fn owner_judge(v: &Value) -> Verdict {
    let ok = v
        .as_object()
        .is_some_and(|o| o.values().all(|o| *o == json!([0, 0])));
    Verdict::check(
        ok,
        format!("host owners [uid, gid] of the container's cgroup: {v}"),
    )
}

pub(super) fn cases() -> Vec<Case<Subject>> {
    vec![
        Case {
            id: "linux/cgroups/absolute-path",
            rule: rule(
                L,
                "Cgroups Path",
                "In the case of an absolute path (starting with /), the runtime MUST take the path to be relative to the cgroups mount point.",
            ),
            level: Level::Must,
            observe: |s| {
                let (c, b) = created(s, "cgabs", &["exit", "0"], |b| {
                    b.config["linux"]["cgroupsPath"] = json!(format!("/{}", b.id));
                    Ok(())
                })?;
                let (_, text) = host_cgroup(&c)?;
                Ok(json!({"want": format!("/{}", b.id), "cgroup": text, "v2": s.host.cgroup_v2}))
            },
            judge: |v| {
                let text = v["cgroup"].as_str().unwrap_or_default();
                let v2 = v["v2"] == true;
                let got: Vec<Option<String>> = ["memory", "pids"]
                    .iter()
                    .map(|c| cgroup_path(text, v2, c))
                    .collect();
                let ok = got.iter().all(|p| p.as_deref() == v["want"].as_str());
                Verdict::check(ok, format!("cgroupsPath {}: memory, pids cgroups {got:?}", v["want"]))
            },
        },
        Case {
            id: "linux/cgroups/same-path-same-place",
            rule: rule(
                L,
                "Cgroups Path",
                "If the value is specified, the runtime MUST consistently attach to the same place in the cgroups hierarchy given the same value of cgroupsPath.",
            ),
            level: Level::Must,
            observe: |s| {
                // Relative: where it goes is the runtime's choice, but the same both times.
                let path = format!("{}-cgsame", s.tag());
                let mut seen = Vec::new();
                for case in ["cgsame1", "cgsame2"] {
                    let (c, _) = created(s, case, &["exit", "0"], |b| {
                        b.config["linux"]["cgroupsPath"] = json!(path);
                        Ok(())
                    })?;
                    seen.push(host_cgroup(&c)?.1);
                    // Dropped here: deleted before the second is made.
                }
                Ok(json!({"path": path, "first": seen[0], "second": seen[1]}))
            },
            judge: |v| {
                let path = v["path"].as_str().unwrap_or("?");
                let mine = |k: &str| -> Vec<String> {
                    let text = v[k].as_str().unwrap_or_default();
                    text.lines().filter(|l| l.contains(path)).map(str::to_owned).collect()
                };
                let (a, b) = (mine("first"), mine("second"));
                Verdict::check(
                    !a.is_empty() && a == b,
                    format!("cgroupsPath {path}: first {a:?}, then {b:?}"),
                )
            },
        },
        Case {
            id: "linux/cgroups/memory-limit",
            rule: rule(L, "Memory", "limit (int64, OPTIONAL) - sets limit of memory usage")
                .because(&APPLY),
            level: Level::Must,
            observe: |s| {
                limit(s, "cgmem", "memory", ("memory.limit_in_bytes", "memory.max"), false, |b| {
                    b.config["linux"]["resources"]["memory"] = json!({"limit": 67_108_864});
                })
            },
            judge: |v| limit_judge(v, "67108864"),
        },
        Case {
            id: "linux/cgroups/pids-limit",
            rule: rule(
                L,
                "PIDs",
                "limit (int64, OPTIONAL) - specifies the maximum number of tasks in the cgroup, with -1 indicating no limit (max).",
            )
            .because(&APPLY),
            level: Level::Must,
            observe: |s| {
                limit(s, "cgpids", "pids", ("pids.max", "pids.max"), false, |b| {
                    b.config["linux"]["resources"]["pids"] = json!({"limit": 42});
                })
            },
            judge: |v| limit_judge(v, "42"),
        },
        Case {
            id: "linux/cgroups/pids-limit-zero",
            rule: rule(
                L,
                "PIDs",
                "Note: Even though it may superficially seem redundant, 0 is a valid limit value for the pids cgroup controller from the kernel's perspective and SHOULD be treated as such by runtimes.",
            ),
            level: Level::Should,
            observe: |s| {
                need_version(s, "1.3.0", "this rule")?;
                limit(s, "cgpids0", "pids", ("pids.max", "pids.max"), true, |b| {
                    b.config["linux"]["resources"]["pids"] = json!({"limit": 0});
                })
            },
            judge: |v| limit_judge(v, "0"),
        },
        Case {
            id: "linux/cgroups/devices-in-order",
            rule: rule(
                L,
                "Allowed Device list",
                "The runtime MUST apply entries in the listed order.",
            ),
            level: Level::Must,
            observe: |s| {
                if s.host.cgroup_v2 {
                    return Err(Verdict::skip(
                        "on cgroup v2 the device list is an eBPF program, not a file to read",
                    ));
                }
                let mem = |allow: bool| json!({"allow": allow, "type": "c", "major": 1, "minor": 1, "access": "r"});
                let mut seen = serde_json::Map::new();
                for (case, last) in [("cgdevdeny", false), ("cgdevallow", true)] {
                    let (c, _) = created(s, case, &["exit", "0"], |b| {
                        b.config["linux"]["resources"]["devices"] = json!([
                            {"allow": false, "access": "rwm"}, mem(!last), mem(last)]);
                        Ok(())
                    })?;
                    let list = cgroup_dir(s, &c, "devices")?.join("devices.list");
                    let text = std::fs::read_to_string(&list)
                        .map_err(|e| Verdict::fail(format!("{}: {e}", list.display())))?;
                    seen.insert(if last { "allowLast" } else { "denyLast" }.into(), text.into());
                }
                Ok(Value::Object(seen))
            },
            judge: |v| {
                let reads = |k: &str| {
                    v[k].as_str().unwrap_or_default().lines().any(|l| {
                        l == "a *:* rwm" || l.starts_with("c 1:1 ") && l.contains('r')
                    })
                };
                let (deny, allow) = (reads("denyLast"), reads("allowLast"));
                Verdict::check(
                    !deny && allow,
                    format!(
                        "c 1:1 r readable: after allow-then-deny {deny}, after deny-then-allow {allow}"
                    ),
                )
            },
        },
        Case {
            id: "linux/cgroups/v1-not-chowned",
            rule: rule(
                L,
                "Cgroup ownership",
                "Runtimes SHOULD NOT change the ownership of container cgroups when cgroups v1 is in use.",
            ),
            level: Level::Should,
            observe: |s| {
                if s.host.cgroup_v2 {
                    return Err(Verdict::skip("this host uses cgroup v2"));
                }
                cgroup_owner(s, "cgown-v1", true)
            },
            judge: owner_judge,
        },
        Case {
            id: "linux/cgroups/not-chowned-without-cgroup-ns",
            rule: rule(
                L,
                "Cgroup ownership",
                "A runtime SHOULD NOT change the ownership of a container cgroup unless it will also create a new cgroup namespace for the container.",
            ),
            level: Level::Should,
            observe: |s| cgroup_owner(s, "cgown-nons", false),
            judge: owner_judge,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::super::tests::check;
    use super::*;

    const V1: &str = "12:pids:/x\n11:memory:/x\n4:cpu,cpuacct:/x\n1:name=systemd:/y\n0::/z";

    #[test]
    fn cgroup_paths_are_read() {
        assert_eq!(cgroup_path(V1, false, "cpuacct").as_deref(), Some("/x"));
        assert_eq!(cgroup_path(V1, true, "memory").as_deref(), Some("/z"));
        assert_eq!(cgroup_path(V1, false, "rdma"), None);
    }

    #[test]
    fn cgroups_are_judged() {
        check(
            "linux/cgroups/absolute-path",
            json!({"want": "/x", "cgroup": V1, "v2": false}),
            json!({"want": "/x", "cgroup": V1, "v2": true}),
        );
        check(
            "linux/cgroups/same-path-same-place",
            json!({"path": "p", "first": "3:memory:/a/p\n0::/", "second": "3:memory:/a/p\n0::/"}),
            json!({"path": "p", "first": "3:memory:/a/p", "second": "3:memory:/b/p"}),
        );
        let f = |v: &str| json!({"file": "/sys/fs/cgroup/x", "value": v});
        check(
            "linux/cgroups/memory-limit",
            f("67108864"),
            f("9223372036854771712"),
        );
        check("linux/cgroups/pids-limit", f("42"), f("max"));
        check("linux/cgroups/pids-limit-zero", f("0"), f("max"));
        check(
            "linux/cgroups/devices-in-order",
            json!({"denyLast": "c 1:3 rwm", "allowLast": "c 1:3 rwm\nc 1:1 r"}),
            json!({"denyLast": "a *:* rwm", "allowLast": "c 1:1 r"}),
        );
        let own = |u: u32| json!({"dir": [u, 0], "cgroup.procs": [u, 0]});
        check("linux/cgroups/v1-not-chowned", own(0), own(100_000));
        check(
            "linux/cgroups/not-chowned-without-cgroup-ns",
            own(0),
            own(100_000),
        );
    }
}
