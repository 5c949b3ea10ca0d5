//! config.md's Linux Process: the five capability sets, capabilities the runtime cannot map
//! or grant, and the AppArmor profile and SELinux label where the host has them.

use carrack_spec::Level;
use serde_json::{Value, json};

use super::{C, report_with, since};
use crate::case::{Case, Verdict, runtime as rule};
use crate::runtime::Subject;

/// capabilities(7) by number (carrack-spec lists them in `linux/capability.h`'s order).
const CAPS: &[&str] = carrack_spec::runtime::Capability::KNOWN;

/// The mask of capability names (unknown names add nothing).
fn mask(names: &Value) -> u64 {
    names
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| CAPS.iter().position(|c| n == *c))
        .fold(0, |m, bit| m | 1 << bit)
}

/// The names in a mask, for what a case saw.
fn names(mask: u64) -> Vec<&'static str> {
    CAPS.iter()
        .enumerate()
        .filter(|(bit, _)| mask & 1 << bit != 0)
        .map(|(_, n)| n.trim_start_matches("CAP_"))
        .collect()
}

fn hex(v: &Value) -> Option<u64> {
    u64::from_str_radix(v.as_str()?, 16).ok()
}

/// Sets root keeps as configured across execve (capabilities(7)): permitted and effective
/// become bounding ∪ inheritable, so they are configured equal to bounding.
fn sets_report(s: &Subject, case: &str) -> Result<Value, Verdict> {
    let want = json!({
        "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"],
        "effective": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"],
        "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"],
        "inheritable": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "ambient": ["CAP_NET_BIND_SERVICE"],
    });
    let w = want.clone();
    let r = report_with(s, case, |c| {
        c["process"]["user"] = json!({"uid": 0, "gid": 0});
        c["process"]["capabilities"] = w;
    })?;
    Ok(json!({"want": want, "caps": r["caps"]}))
}

/// The set `set` of the process is the configured one.
fn set_is(v: &Value, set: &str) -> Verdict {
    let want = mask(&v["want"][set]);
    match hex(&v["caps"][set]) {
        Some(got) => Verdict::check(
            got == want,
            format!("{set} {:?}, configured {:?}", names(got), names(want)),
        ),
        None => Verdict::fail(format!("no {set} set in the report: {}", v["caps"])),
    }
}

/// A create with `edit`; then, when it worked, the process's capabilities.
fn create_then_caps(
    s: &Subject,
    case: &str,
    edit: impl FnOnce(&mut Value),
) -> Result<Value, Verdict> {
    super::need_root(s)?;
    let mut b = s.bundle(case, &["report"])?;
    edit(&mut b.config);
    let (c, ran) = b.create(s)?;
    let created = json!({"code": ran.code, "said": ran.describe()});
    if !ran.ok() {
        return Ok(json!({"create": created}));
    }
    Ok(json!({"create": created, "caps": c.report()?["caps"]}))
}

/// The first capability this host's kernel has that the certifier (so the runtime it starts)
/// does not hold in its bounding set.
fn ungrantable() -> Option<&'static str> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let bnd = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .and_then(|h| u64::from_str_radix(h.trim(), 16).ok())?;
    let last: usize = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    CAPS.iter()
        .enumerate()
        .take(last + 1)
        .find(|(bit, _)| bnd & 1 << bit == 0)
        .map(|(_, n)| *n)
}

fn set_case(id: &'static str, quote: &'static str, set: fn(&Value) -> Verdict) -> Case<Subject> {
    Case {
        id,
        rule: rule(C, "Linux Process", quote),
        level: Level::Must,
        observe: |s| sets_report(s, "caps"),
        judge: set,
    }
}

pub(super) fn cases() -> Vec<Case<Subject>> {
    vec![
        set_case(
            "config/process/capabilities-effective",
            "effective (array of strings, OPTIONAL) the effective field is an array of effective capabilities that are kept for the process.",
            |v| set_is(v, "effective"),
        ),
        set_case(
            "config/process/capabilities-bounding",
            "bounding (array of strings, OPTIONAL) the bounding field is an array of bounding capabilities that are kept for the process.",
            |v| set_is(v, "bounding"),
        ),
        set_case(
            "config/process/capabilities-inheritable",
            "inheritable (array of strings, OPTIONAL) the inheritable field is an array of inheritable capabilities that are kept for the process.",
            |v| set_is(v, "inheritable"),
        ),
        set_case(
            "config/process/capabilities-permitted",
            "permitted (array of strings, OPTIONAL) the permitted field is an array of permitted capabilities that are kept for the process.",
            |v| set_is(v, "permitted"),
        ),
        set_case(
            "config/process/capabilities-ambient",
            "ambient (array of strings, OPTIONAL) the ambient field is an array of ambient capabilities that are kept for the process.",
            |v| set_is(v, "ambient"),
        ),
        Case {
            id: "config/process/capabilities-unknown",
            rule: rule(
                C,
                "Linux Process",
                "Any value which cannot be mapped to a relevant kernel interface, or cannot be granted otherwise MUST be logged as a warning by the runtime.",
            ),
            level: Level::Must,
            observe: |s| {
                since(
                    s,
                    (1, 1, 0),
                    "warning (not failing) for unknown capabilities",
                )?;
                // A warning does not change the flow (runtime.md, Warnings): the container is
                // made with the capabilities that are known.
                create_then_caps(s, "capunknown", |c| {
                    let set = json!(["CAP_KILL", "CAP_CERTIFY_UNKNOWN"]);
                    c["process"]["capabilities"] = json!({
                        "bounding": set, "effective": set, "permitted": set,
                    });
                })
            },
            judge: |v| {
                let said = v["create"]["said"].as_str().unwrap_or_default();
                if v["create"]["code"] != 0 {
                    return Verdict::fail(format!("CAP_CERTIFY_UNKNOWN stopped create: {said}"));
                }
                let got = hex(&v["caps"]["bounding"]);
                Verdict::check(
                    got == Some(1 << 5),
                    format!(
                        "create with CAP_CERTIFY_UNKNOWN went on; bounding {}, configured [KILL]",
                        got.map_or_else(|| "unreported".into(), |g| format!("{:?}", names(g)))
                    ),
                )
            },
        },
        Case {
            id: "config/process/capabilities-ungrantable",
            rule: rule(
                C,
                "Linux Process",
                "Runtimes SHOULD NOT fail if the container configuration requests capabilities that cannot be granted, for example, if the runtime operates in a restricted environment with a limited set of capabilities.",
            ),
            level: Level::Should,
            observe: |s| {
                since(
                    s,
                    (1, 1, 0),
                    "not failing for capabilities that cannot be granted",
                )?;
                let Some(cap) = ungrantable() else {
                    return Err(Verdict::skip(
                        "the runtime holds every capability this kernel has",
                    ));
                };
                let mut v = create_then_caps(s, "capnogrant", |c| {
                    let set = json!(["CAP_KILL", cap]);
                    c["process"]["capabilities"] = json!({
                        "bounding": set, "effective": set, "permitted": set,
                    });
                })?;
                v["cap"] = json!(cap);
                Ok(v)
            },
            judge: |v| {
                let said = v["create"]["said"].as_str().unwrap_or_default();
                let ran = v["create"]["code"] == 0 && v["caps"]["bounding"].is_string();
                Verdict::check(
                    ran,
                    if ran {
                        format!(
                            "with {} (not held by the runtime) the process ran",
                            v["cap"]
                        )
                    } else {
                        format!("with {} (not held by the runtime): {said}", v["cap"])
                    },
                )
            },
        },
        Case {
            id: "config/process/apparmor-profile",
            rule: rule(
                C,
                "Linux Process",
                "apparmorProfile (string, OPTIONAL) specifies the name of the AppArmor profile for the process.",
            ),
            level: Level::Must,
            observe: |s| {
                if !s.host.apparmor {
                    return Err(Verdict::skip("AppArmor is not enabled on this host"));
                }
                let r = report_with(s, "apparmor", |c| {
                    c["process"]["apparmorProfile"] = json!("unconfined");
                })?;
                Ok(json!({"want": "unconfined", "got": r["label"]}))
            },
            judge: |v| {
                // The label reads `NAME (MODE)`, or `unconfined`.
                let want = v["want"].as_str().unwrap_or_default();
                let got = v["got"].as_str().unwrap_or_default();
                let ok = got == want || got.strip_prefix(want).is_some_and(|r| r.starts_with(" ("));
                Verdict::check(ok, format!("AppArmor label {got:?}, configured {want:?}"))
            },
        },
        Case {
            id: "config/process/selinux-label",
            rule: rule(
                C,
                "Linux Process",
                "selinuxLabel (string, OPTIONAL) specifies the SELinux label for the process.",
            ),
            level: Level::Must,
            observe: |s| {
                if !s.host.selinux {
                    return Err(Verdict::skip("SELinux is not enabled on this host"));
                }
                // The certifier's own label: one the process can surely be given.
                let want = std::fs::read_to_string("/proc/self/attr/current")
                    .map_err(|e| Verdict::fail(format!("/proc/self/attr/current: {e}")))?;
                let want = want.trim_end_matches(['\0', '\n']).to_owned();
                let w = want.clone();
                let r = report_with(s, "selinux", |c| {
                    c["process"]["selinuxLabel"] = json!(w);
                })?;
                Ok(json!({"want": want, "got": r["label"]}))
            },
            judge: |v| {
                let got = v["got"].as_str().unwrap_or_default().trim_end_matches('\0');
                Verdict::check(
                    got == v["want"],
                    format!("SELinux label {got:?}, configured {}", v["want"]),
                )
            },
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::cases::process::tests::judge;

    #[test]
    fn masks_follow_capabilities_7() {
        assert_eq!(
            mask(&json!(["CAP_CHOWN", "CAP_KILL", "CAP_NOPE"])),
            0b10_0001
        );
        assert_eq!(mask(&json!(["CAP_CHECKPOINT_RESTORE"])), 1 << 40);
        assert_eq!(names(0x400), ["NET_BIND_SERVICE"]);
    }

    #[test]
    fn each_set_is_compared_with_its_configuration() {
        let want = json!({
            "bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_CHOWN", "CAP_KILL"],
            "permitted": ["CAP_CHOWN", "CAP_KILL"], "inheritable": ["CAP_KILL"],
            "ambient": ["CAP_KILL"],
        });
        let good = json!({"bounding": "0000000000000021", "effective": "0000000000000021",
            "permitted": "0000000000000021", "inheritable": "0000000000000020",
            "ambient": "0000000000000020"});
        let bad = json!({"bounding": "000001ffffffffff", "effective": "0000000000000000",
            "permitted": "0000000000000001", "inheritable": "0000000000000000",
            "ambient": "0000000000000000"});
        for set in [
            "effective",
            "bounding",
            "inheritable",
            "permitted",
            "ambient",
        ] {
            let id = format!("config/process/capabilities-{set}");
            assert_eq!(
                judge(&id, json!({"want": want, "caps": good})),
                "pass",
                "{id}"
            );
            assert_eq!(
                judge(&id, json!({"want": want, "caps": bad})),
                "fail",
                "{id}"
            );
        }
    }

    #[test]
    fn capabilities_that_cannot_be_had_do_not_stop_the_container() {
        let ok = json!({"create": {"code": 0, "said": "ok"}, "caps": {"bounding": "0000000000000020"}, "cap": "CAP_SYS_RESOURCE"});
        let refused =
            json!({"create": {"code": 1, "said": "unknown capability"}, "cap": "CAP_SYS_RESOURCE"});
        for id in [
            "config/process/capabilities-unknown",
            "config/process/capabilities-ungrantable",
        ] {
            assert_eq!(judge(id, ok.clone()), "pass", "{id}");
            assert_eq!(judge(id, refused.clone()), "fail", "{id}");
        }
        let all =
            json!({"create": {"code": 0, "said": "ok"}, "caps": {"bounding": "000001ffffffffff"}});
        assert_eq!(judge("config/process/capabilities-unknown", all), "fail");
    }

    #[test]
    fn labels_are_judged() {
        let id = "config/process/apparmor-profile";
        let v = |got: &str| json!({"want": "unconfined", "got": got});
        assert_eq!(judge(id, v("unconfined")), "pass");
        assert_eq!(judge(id, v("docker-default (enforce)")), "fail");
        let id = "config/process/selinux-label";
        let v = |got: &str| json!({"want": "system_u:system_r:a_t:s0", "got": got});
        assert_eq!(judge(id, v("system_u:system_r:a_t:s0")), "pass");
        assert_eq!(judge(id, v("system_u:system_r:b_t:s0")), "fail");
    }
}
