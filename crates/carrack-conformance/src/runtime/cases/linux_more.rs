//! config-linux.md: devices, sysctl, masked and readonly paths, rootfs propagation, the mount
//! label, the personality and seccomp, as the probe sees them.

use carrack_spec::Level;
use serde_json::{Value, json};

use super::{APPLY, L, applied, attempt, mount_at, need_version, put, refusal, report};
use crate::case::{Case, Verdict, runtime as rule};
use crate::runtime::{Bundle, Subject};

/// A char device 1:3 (what /dev/null is) at /dev/certnull, mode 0640, owned by nobody.
fn certnull(b: &mut Bundle) -> Result<(), Verdict> {
    b.config["linux"]["devices"] = json!([{"path": "/dev/certnull", "type": "c", "major": 1,
        "minor": 3, "fileMode": 0o640, "uid": 65534, "gid": 65534}]);
    Ok(())
}

/// Appends `path` to the list `linux.key`.
fn push(b: &mut Bundle, key: &str, path: &str) {
    let list = &mut b.config["linux"][key];
    let mut v = match list.take() {
        Value::Array(v) => v,
        _ => Vec::new(),
    };
    v.push(json!(path));
    *list = Value::Array(v);
}

/// A seccomp filter allowing everything but what `rule` says.
fn seccomp(b: &mut Bundle, rule: Value) -> Result<(), Verdict> {
    b.config["linux"]["seccomp"] = json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [rule]});
    Ok(())
}

/// The errno of getcwd(2) in the probe of a container with seccomp `rule`.
fn getcwd_errno(s: &Subject, case: &str, rule: Value) -> Result<Value, Verdict> {
    let (c, _) = applied(s, case, &["report"], |b| seccomp(b, rule))?;
    let r = c.report()?;
    Ok(json!({"errno": r["cwdErrno"], "cwd": r["cwd"], "seccomp": r["seccomp"]}))
}

fn errno_judge(v: &Value, want: i64) -> Verdict {
    Verdict::check(
        v["errno"] == want,
        format!(
            "getcwd gave errno {} (cwd {}), Seccomp mode {}",
            v["errno"], v["cwd"], v["seccomp"]
        ),
    )
}

/// Whether `tags` (a mount's optional fields) show `propagation`.
fn propagates(tags: &[&str], propagation: &str) -> bool {
    let has = |p: &str| tags.iter().any(|t| t.starts_with(p));
    match propagation {
        "shared" => has("shared:"),
        "slave" => has("master:") && !has("shared:"),
        "unbindable" => has("unbindable"),
        "private" => tags.is_empty(),
        _ => false,
    }
}

pub(super) fn cases() -> Vec<Case<Subject>> {
    vec![
        Case {
            id: "linux/devices/available",
            rule: rule(
                L,
                "Devices",
                "devices (array of objects, OPTIONAL) lists devices that MUST be available in the container.",
            ),
            level: Level::Must,
            observe: |s| {
                let r = report(s, "dev", &["report", "--stat", "/dev/certnull"], certnull)?;
                Ok(r["stat"]["/dev/certnull"].clone())
            },
            judge: |v| {
                Verdict::check(
                    v["type"] == "char" && v["major"] == 1 && v["minor"] == 3,
                    format!(
                        "/dev/certnull: {} {}:{}",
                        v["type"].as_str().unwrap_or("missing"),
                        v["major"],
                        v["minor"]
                    ),
                )
            },
        },
        Case {
            id: "linux/devices/mode-and-owner",
            rule: rule(
                L,
                "Devices",
                "fileMode (uint32, OPTIONAL) - file mode for the device. … uid (uint32, OPTIONAL) - id of device owner in the container namespace. … gid (uint32, OPTIONAL) - id of device group in the container namespace.",
            )
            .because(&APPLY),
            level: Level::Must,
            observe: |s| {
                let r = report(s, "devmode", &["report", "--stat", "/dev/certnull"], certnull)?;
                Ok(r["stat"]["/dev/certnull"].clone())
            },
            judge: |v| {
                Verdict::check(
                    v["mode"] == 0o640 && v["uid"] == 65534 && v["gid"] == 65534,
                    format!(
                        "/dev/certnull mode {:o}, uid {}, gid {} (asked 640, 65534, 65534)",
                        v["mode"].as_u64().unwrap_or(0),
                        v["uid"],
                        v["gid"]
                    ),
                )
            },
        },
        Case {
            id: "linux/devices/file-in-the-way",
            rule: rule(
                L,
                "Devices",
                "If a file already exists at path that does not match the requested device, the runtime MUST generate an error.",
            ),
            level: Level::Must,
            observe: |s| {
                attempt(s, "devexists", |b| {
                    put(b, "/certdev", "a regular file")?;
                    b.config["linux"]["devices"] =
                        json!([{"path": "/certdev", "type": "c", "major": 1, "minor": 3}]);
                    Ok(())
                })
            },
            judge: |v| refusal(v, "char device 1:3 at /certdev, a regular file in the rootfs"),
        },
        Case {
            id: "linux/devices/defaults",
            rule: rule(
                L,
                "Default Devices",
                "In addition to any devices configured with this setting, the runtime MUST also supply:",
            ),
            level: Level::Must,
            observe: |s| {
                let mut args = vec!["report"];
                for (p, _, _) in DEFAULT_DEVICES {
                    args.extend(["--stat", p]);
                }
                args.extend(["--stat", "/dev/ptmx"]);
                Ok(report(s, "devdefaults", &args, certnull)?["stat"].clone())
            },
            judge: |v| {
                let mut bad = Vec::new();
                for (p, major, minor) in DEFAULT_DEVICES {
                    let d = &v[p];
                    if !(d["type"] == "char" && d["major"] == major && d["minor"] == minor) {
                        bad.push(format!("{p}: {} {}:{}", d["type"], d["major"], d["minor"]));
                    }
                }
                let ptmx = &v["/dev/ptmx"];
                let pts = ptmx["target"]
                    .as_str()
                    .is_some_and(|t| t == "pts/ptmx" || t == "/dev/pts/ptmx");
                if !(pts || ptmx["type"] == "char" && ptmx["major"] == 5 && ptmx["minor"] == 2) {
                    bad.push(format!("/dev/ptmx: {ptmx}"));
                }
                if bad.is_empty() {
                    Verdict::pass("null, zero, full, random, urandom, tty and ptmx are there")
                } else {
                    Verdict::fail(bad.join("; "))
                }
            },
        },
        Case {
            id: "linux/sysctl",
            rule: rule(
                L,
                "Sysctl",
                "sysctl (object, OPTIONAL) allows kernel parameters to be modified at runtime for the container.",
            )
            .because(&APPLY),
            level: Level::Must,
            observe: |s| {
                let ttl = "/proc/sys/net/ipv4/ip_default_ttl";
                let (c, _) = applied(s, "sysctl", &["report", "--read", ttl], |b| {
                    b.config["linux"]["sysctl"] = json!({"net.ipv4.ip_default_ttl": "42"});
                    Ok(())
                })?;
                Ok(c.report()?["read"][ttl].clone())
            },
            judge: |v| {
                Verdict::check(
                    v == "42",
                    format!("net.ipv4.ip_default_ttl {v} (asked 42)"),
                )
            },
        },
        Case {
            id: "linux/masked-paths",
            rule: rule(
                L,
                "Masked Paths",
                "maskedPaths (array of strings, OPTIONAL) will mask over the provided paths inside the container so that they cannot be read.",
            )
            .because(&APPLY),
            level: Level::Must,
            observe: |s| {
                let args = [
                    "report",
                    "--read",
                    "/etc/certmasked",
                    "--read",
                    "/certmasked.d/secret",
                ];
                let (c, _) = applied(s, "masked", &args, |b| {
                    put(b, "/etc/certmasked", "masked file")?;
                    put(b, "/certmasked.d/secret", "masked directory")?;
                    push(b, "maskedPaths", "/etc/certmasked");
                    push(b, "maskedPaths", "/certmasked.d");
                    Ok(())
                })?;
                Ok(c.report()?["read"].clone())
            },
            judge: |v| {
                let file = &v["/etc/certmasked"];
                let dir = &v["/certmasked.d/secret"];
                Verdict::check(
                    file != "masked file" && dir != "masked directory",
                    format!("read /etc/certmasked: {file}; /certmasked.d/secret: {dir}"),
                )
            },
        },
        Case {
            id: "linux/readonly-paths",
            rule: rule(
                L,
                "Readonly Paths",
                "readonlyPaths (array of strings, OPTIONAL) will set the provided paths as readonly inside the container.",
            )
            .because(&APPLY),
            level: Level::Must,
            observe: |s| {
                let (c, _) = applied(s, "readonly", &["report"], |b| {
                    put(b, "/certro/file", "x")?;
                    push(b, "readonlyPaths", "/certro");
                    Ok(())
                })?;
                let m = mount_at(&c.report()?, "/certro");
                Ok(json!(m.map(|m| m.options)))
            },
            judge: |v| {
                let ro = v
                    .as_array()
                    .is_some_and(|o| o.iter().any(|o| o == "ro"));
                Verdict::check(ro, format!("the mount at /certro has options {v}"))
            },
        },
        Case {
            id: "linux/rootfs-propagation",
            rule: rule(
                L,
                "Rootfs Mount Propagation",
                "rootfsPropagation (string, OPTIONAL) sets the rootfs's mount propagation.",
            )
            .because(&APPLY),
            level: Level::Must,
            observe: |s| {
                // shared: a new peer group, whatever the host's mounts propagate.
                let (c, _) = applied(s, "propagation", &["report"], |b| {
                    b.config["linux"]["rootfsPropagation"] = json!("shared");
                    Ok(())
                })?;
                let root = mount_at(&c.report()?, "/");
                Ok(json!({"want": "shared", "tags": root.map(|m| m.tags)}))
            },
            judge: |v| {
                let tags: Vec<&str> = v["tags"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let want = v["want"].as_str().unwrap_or_default();
                Verdict::check(
                    propagates(&tags, want),
                    format!("asked {want}; / has optional fields {:?}", tags.join(" ")),
                )
            },
        },
        Case {
            id: "linux/mount-label",
            rule: rule(
                L,
                "Mount Label",
                "mountLabel (string, OPTIONAL) will set the Selinux context for the mounts in the container.",
            )
            .because(&APPLY),
            level: Level::Must,
            observe: |s| {
                if !s.host.selinux {
                    return Err(Verdict::skip("SELinux is not enabled on this host"));
                }
                let label = "system_u:object_r:container_file_t:s0:c17,c42";
                let (c, _) = applied(s, "mountlabel", &["report"], |b| {
                    b.config["linux"]["mountLabel"] = json!(label);
                    Ok(())
                })?;
                let r = c.report()?;
                Ok(json!({"label": label, "shm": r["mountinfo"].as_array().into_iter().flatten()
                    .filter(|l| l.as_str().is_some_and(|l| l.contains(" /dev/shm "))).collect::<Vec<_>>()}))
            },
            judge: |v| {
                let label = v["label"].as_str().unwrap_or("?");
                let ok = v["shm"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|l| l.as_str().is_some_and(|l| l.contains(label))));
                Verdict::check(ok, format!("/dev/shm mounted as {}", v["shm"]))
            },
        },
        Case {
            id: "linux/personality",
            rule: rule(
                L,
                "Personality",
                "personality (object, OPTIONAL) sets the Linux execution personality.",
            )
            .because(&APPLY),
            level: Level::Must,
            observe: |s| {
                need_version(s, "1.0.2", "personality")?;
                let (c, _) = applied(s, "personality", &["report"], |b| {
                    b.config["linux"]["personality"] = json!({"domain": "LINUX32"});
                    Ok(())
                })?;
                Ok(c.report()?["personality"].clone())
            },
            judge: |v| {
                // PER_LINUX32 is 0x0008, in the low byte.
                let p = v.as_str().and_then(|p| u64::from_str_radix(p, 16).ok());
                Verdict::check(
                    p.is_some_and(|p| p & 0xff == 8),
                    format!("/proc/self/personality {v} (LINUX32 is 00000008)"),
                )
            },
        },
        Case {
            id: "linux/seccomp/errno-default",
            rule: rule(
                L,
                "Seccomp",
                "errnoRet (uint, OPTIONAL) - the errno return code to use. … The default is EPERM.",
            )
            .because(&APPLY),
            level: Level::Must,
            observe: |s| {
                let rule = json!({"names": ["getcwd"], "action": "SCMP_ACT_ERRNO"});
                getcwd_errno(s, "seccomp-eperm", rule)
            },
            judge: |v| errno_judge(v, 1),
        },
        Case {
            id: "linux/seccomp/errno-ret",
            rule: rule(
                L,
                "Seccomp",
                "errnoRet (uint, OPTIONAL) - the errno return code to use.",
            )
            .because(&APPLY),
            level: Level::Must,
            observe: |s| {
                let rule = json!({"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42});
                getcwd_errno(s, "seccomp-errno", rule)
            },
            judge: |v| errno_judge(v, 42),
        },
        Case {
            id: "linux/seccomp/errno-for-allow",
            rule: rule(
                L,
                "Seccomp",
                "When the action doesn't support an errno, the runtime MUST print and error and fail.",
            ),
            level: Level::Must,
            observe: |s| {
                need_version(s, "1.1.0", "this rule")?;
                attempt(s, "seccomp-allow-errno", |b| {
                    seccomp(
                        b,
                        json!({"names": ["getcwd"], "action": "SCMP_ACT_ALLOW", "errnoRet": 42}),
                    )
                })
            },
            judge: |v| refusal(v, "errnoRet 42 on an SCMP_ACT_ALLOW rule"),
        },
    ]
}

/// The default devices a stat can check by number: path, major, minor.
const DEFAULT_DEVICES: [(&str, u64, u64); 6] = [
    ("/dev/null", 1, 3),
    ("/dev/zero", 1, 5),
    ("/dev/full", 1, 7),
    ("/dev/random", 1, 8),
    ("/dev/urandom", 1, 9),
    ("/dev/tty", 5, 0),
];

#[cfg(test)]
mod tests {
    use super::super::tests::check;
    use super::*;

    #[test]
    fn devices_are_judged() {
        let dev = |major: u64, mode: u32, uid: u32| json!({"type": "char", "major": major, "minor": 3, "mode": mode, "uid": uid, "gid": 65534});
        check(
            "linux/devices/available",
            dev(1, 0o640, 0),
            dev(4, 0o640, 0),
        );
        check(
            "linux/devices/mode-and-owner",
            dev(1, 0o640, 65534),
            dev(1, 0o666, 65534),
        );
        let no = json!({"code": 1, "said": "no", "exists": false});
        let yes = json!({"code": 0, "said": "ok", "exists": true});
        check("linux/devices/file-in-the-way", no.clone(), yes.clone());
        check("linux/seccomp/errno-for-allow", no, yes);
        let mut all = serde_json::Map::new();
        for (p, major, minor) in DEFAULT_DEVICES {
            all.insert(
                p.into(),
                json!({"type": "char", "major": major, "minor": minor}),
            );
        }
        all.insert(
            "/dev/ptmx".into(),
            json!({"type": "symlink", "target": "pts/ptmx"}),
        );
        let mut missing = all.clone();
        missing.insert("/dev/full".into(), Value::Null);
        check(
            "linux/devices/defaults",
            Value::Object(all),
            Value::Object(missing),
        );
    }

    #[test]
    fn properties_are_judged() {
        check("linux/sysctl", json!("42"), json!("64"));
        check(
            "linux/masked-paths",
            json!({"/etc/certmasked": "", "/certmasked.d/secret": null}),
            json!({"/etc/certmasked": "", "/certmasked.d/secret": "masked directory"}),
        );
        check("linux/readonly-paths", json!(["ro", "nosuid"]), json!(null));
        check(
            "linux/rootfs-propagation",
            json!({"want": "shared", "tags": ["shared:512"]}),
            json!({"want": "shared", "tags": []}),
        );
        assert!(propagates(&["master:3"], "slave"));
        assert!(propagates(&[], "private"));
        assert!(!propagates(&["shared:1"], "private"));
        check("linux/personality", json!("00000008"), json!("00000000"));
        check(
            "linux/mount-label",
            json!({"label": "l:t", "shm": ["1 2 0:3 / /dev/shm rw - tmpfs shm rw,context=\"l:t\""]}),
            json!({"label": "l:t", "shm": ["1 2 0:3 / /dev/shm rw - tmpfs shm rw"]}),
        );
        let e = |n: Option<i64>| json!({"errno": n, "cwd": null, "seccomp": "2"});
        check("linux/seccomp/errno-default", e(Some(1)), e(None));
        check("linux/seccomp/errno-ret", e(Some(42)), e(Some(1)));
    }
}
