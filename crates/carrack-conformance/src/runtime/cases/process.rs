//! config.md as the container's process sees it: `process` (cwd, env, user, rlimits) here;
//! noNewPrivileges, oomScoreAdj, scheduler, ioPriority, hostname, domainname and the
//! annotations in `state` in `process/settings.rs`; capabilities and labels in
//! `process/caps.rs`; root and mounts in `process/mounts.rs`.
//!
//! Where config.md only defines a field ("cwd … is the working directory that will be set for
//! the executable"), the case quotes that definition at MUST: runtime.md's Lifecycle makes it
//! binding ("The container's runtime environment MUST be created according to the
//! configuration in config.json.").

use carrack_spec::Level;
use serde_json::{Value, json};

use crate::case::{Case, Verdict, runtime as rule};
use crate::runtime::Subject;
pub(super) use crate::runtime::cases::need_root;

mod caps;
mod mounts;
mod settings;

const C: &str = "config.md";

pub(crate) fn cases() -> Vec<Case<Subject>> {
    let mut v = mounts::cases();
    v.extend(own());
    v.extend(settings::cases());
    v.extend(caps::cases());
    v
}

/// `(major, minor, patch)` of a SemVer string (`1.0.2-dev` is 1.0.2).
fn version(v: &str) -> (u64, u64, u64) {
    let core = v.split(['-', '+']).next().unwrap_or_default();
    let mut n = core.split('.').map(|p| p.parse().unwrap_or(0));
    (
        n.next().unwrap_or(0),
        n.next().unwrap_or(0),
        n.next().unwrap_or(0),
    )
}

/// A rule that came with runtime-spec `min` does not bind a runtime that claims less
/// (`ociVersionMax` of its features).
fn since(s: &Subject, min: (u64, u64, u64), what: &str) -> Result<(), Verdict> {
    if version(s.oci_version()) >= min {
        Ok(())
    } else {
        Err(Verdict::skip(format!(
            "{what} came with runtime-spec {}.{}.{}; the runtime claims {}",
            min.0,
            min.1,
            min.2,
            s.oci_version()
        )))
    }
}

/// The probe's report (`probe ARGS…`) from a container of the default bundle edited by `edit`.
fn report_args(
    s: &Subject,
    case: &str,
    args: &[&str],
    edit: impl FnOnce(&mut crate::runtime::Bundle) -> Result<(), Verdict>,
) -> Result<Value, Verdict> {
    need_root(s)?;
    let mut b = s.bundle(case, args)?;
    edit(&mut b)?;
    let (c, ran) = b.create(s)?;
    if !ran.ok() {
        return Err(Verdict::fail(ran.describe()));
    }
    c.report()
}

/// The probe's report from a container whose config `edit` changed.
fn report_with(s: &Subject, case: &str, edit: impl FnOnce(&mut Value)) -> Result<Value, Verdict> {
    report_args(s, case, &["report"], |b| {
        edit(&mut b.config);
        Ok(())
    })
}

/// `create` of a config `edit` changed: how it ended and whether a container exists after.
fn create_with(s: &Subject, case: &str, edit: impl FnOnce(&mut Value)) -> Result<Value, Verdict> {
    need_root(s)?;
    let mut b = s.bundle(case, &["exit", "0"])?;
    edit(&mut b.config);
    let (c, ran) = b.create(s)?;
    let exists = s.runtime.state(&c.id).is_ok();
    Ok(json!({"create": {"code": ran.code, "said": ran.describe()}, "exists": exists}))
}

/// The judgement of a `create_with` that must fail and leave no container.
fn refused_cleanly(v: &Value, what: &str) -> Verdict {
    let refused = v["create"]["code"] != json!(0);
    let exists = v["exists"] == true;
    Verdict::check(
        refused && !exists,
        format!(
            "create with {what}: {}; container {}",
            v["create"]["said"].as_str().unwrap_or_default(),
            if exists { "exists" } else { "not made" }
        ),
    )
}

/// `want` == `got`, seen as `what: got (want …)`.
fn same(v: &Value, what: &str) -> Verdict {
    let ok = v["want"] == v["got"];
    let seen = if ok {
        format!("{what}: {}", v["got"])
    } else {
        format!("{what}: {} where the config says {}", v["got"], v["want"])
    };
    Verdict::check(ok, seen)
}

/// The user of the user cases: uid, gid, additional gids and umask none of them defaults to.
fn user_report(s: &Subject, case: &str) -> Result<Value, Verdict> {
    let r = report_with(s, case, |c| {
        c["process"]["user"] =
            json!({"uid": 1234, "gid": 567, "additionalGids": [8, 9], "umask": 0o027});
    })?;
    Ok(json!({"uid": r["uid"], "gid": r["gid"], "groups": r["groups"], "umask": r["umask"]}))
}

/// All four ids (real, effective, saved, filesystem) are `want`.
fn ids(v: &Value, key: &str, want: u64) -> Verdict {
    let got = &v[key];
    let ok = got
        .as_array()
        .is_some_and(|a| a.len() == 4 && a.iter().all(|x| x == want));
    Verdict::check(
        ok,
        format!("{key}s (real, effective, saved, fs) {got}, configured {want}"),
    )
}

fn rlimits_report(s: &Subject, case: &str) -> Result<Value, Verdict> {
    let r = report_with(s, case, |c| {
        c["process"]["rlimits"] = json!([{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654}]);
    })?;
    Ok(json!({"nofile": r["rlimits"]["Max open files"]}))
}

fn nofile(v: &Value, i: usize, want: u64, what: &str) -> Verdict {
    let got = &v["nofile"][i];
    Verdict::check(
        *got == want,
        format!("RLIMIT_NOFILE {what} {got}, configured {want}"),
    )
}

fn own() -> Vec<Case<Subject>> {
    vec![
        Case {
            id: "config/process/cwd",
            rule: rule(
                C,
                "Process",
                "cwd (string, REQUIRED) is the working directory that will be set for the executable.",
            ),
            level: Level::Must,
            observe: |s| {
                let r = report_with(s, "cwd", |c| c["process"]["cwd"] = json!("/etc"))?;
                Ok(json!({"want": "/etc", "got": r["cwd"]}))
            },
            judge: |v| same(v, "working directory"),
        },
        Case {
            id: "config/process/cwd-absolute",
            rule: rule(C, "Process", "This value MUST be an absolute path."),
            level: Level::Must,
            observe: |s| create_with(s, "cwdrel", |c| c["process"]["cwd"] = json!("etc")),
            judge: |v| refused_cleanly(v, "the relative cwd \"etc\""),
        },
        Case {
            id: "config/process/env",
            rule: rule(
                C,
                "Process",
                "env (array of strings, OPTIONAL) with the same semantics as IEEE Std 1003.1-2008's environ.",
            ),
            level: Level::Must,
            observe: |s| {
                let want = json!([
                    "PATH=/bin",
                    "HOME=/certify-home",
                    "CERTIFY_SPACE=one two",
                    "CERTIFY_EMPTY="
                ]);
                let w = want.clone();
                let r = report_with(s, "env", |c| c["process"]["env"] = w)?;
                Ok(json!({"want": want, "got": r["env"]}))
            },
            judge: |v| {
                let set = |x: &Value| -> std::collections::BTreeSet<String> {
                    x.as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|e| e.as_str().map(str::to_owned))
                        .collect()
                };
                let (want, got) = (set(&v["want"]), set(&v["got"]));
                let missing: Vec<_> = want.difference(&got).collect();
                let extra: Vec<_> = got.difference(&want).collect();
                Verdict::check(
                    missing.is_empty() && extra.is_empty(),
                    format!("environment {got:?}; missing {missing:?}, not configured {extra:?}"),
                )
            },
        },
        Case {
            id: "config/process/user-uid",
            rule: rule(
                C,
                "POSIX-platform User",
                "uid (int, REQUIRED) specifies the user ID in the container namespace.",
            ),
            level: Level::Must,
            observe: |s| user_report(s, "uid"),
            judge: |v| ids(v, "uid", 1234),
        },
        Case {
            id: "config/process/user-gid",
            rule: rule(
                C,
                "POSIX-platform User",
                "gid (int, REQUIRED) specifies the group ID in the container namespace.",
            ),
            level: Level::Must,
            observe: |s| user_report(s, "gid"),
            judge: |v| ids(v, "gid", 567),
        },
        Case {
            id: "config/process/user-additional-gids",
            rule: rule(
                C,
                "POSIX-platform User",
                "additionalGids (array of ints, OPTIONAL) specifies additional group IDs in the container namespace to be added to the process.",
            ),
            level: Level::Must,
            observe: |s| user_report(s, "groups"),
            judge: |v| {
                let mut got: Vec<u64> = v["groups"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_u64)
                    .collect();
                // The primary gid among the supplementary ones grants nothing more.
                got.retain(|g| *g != 567);
                got.sort_unstable();
                Verdict::check(
                    got == [8, 9],
                    format!(
                        "supplementary groups {}, configured [8, 9] (gid 567)",
                        v["groups"]
                    ),
                )
            },
        },
        Case {
            id: "config/process/user-umask",
            rule: rule(
                C,
                "POSIX-platform User",
                "umask (int, OPTIONAL) specifies the umask of the user.",
            ),
            level: Level::Must,
            observe: |s| {
                since(s, (1, 0, 2), "process.user.umask")?;
                user_report(s, "umask")
            },
            judge: |v| {
                Verdict::check(
                    v["umask"] == "0027",
                    format!("umask {}, configured 0027 (23)", v["umask"]),
                )
            },
        },
        Case {
            id: "config/process/rlimits-soft",
            rule: rule(
                C,
                "POSIX process",
                "rlim.rlim_cur MUST match the configured value.",
            ),
            level: Level::Must,
            observe: |s| rlimits_report(s, "rlsoft"),
            judge: |v| nofile(v, 0, 321, "soft"),
        },
        Case {
            id: "config/process/rlimits-hard",
            rule: rule(
                C,
                "POSIX process",
                "rlim.rlim_max MUST match the configured value.",
            ),
            level: Level::Must,
            observe: |s| rlimits_report(s, "rlhard"),
            judge: |v| nofile(v, 1, 654, "hard"),
        },
        Case {
            id: "config/process/rlimits-unknown-type",
            rule: rule(
                C,
                "POSIX process",
                "The runtime MUST generate an error for any values which cannot be mapped to a relevant kernel interface.",
            ),
            level: Level::Must,
            observe: |s| {
                create_with(s, "rlunknown", |c| {
                    c["process"]["rlimits"] =
                        json!([{"type": "RLIMIT_CERTIFY_UNKNOWN", "soft": 1, "hard": 1}]);
                })
            },
            judge: |v| refused_cleanly(v, "the rlimit type RLIMIT_CERTIFY_UNKNOWN"),
        },
        Case {
            id: "config/process/rlimits-duplicate",
            rule: rule(
                C,
                "POSIX process",
                "If rlimits contains duplicated entries with same type, the runtime MUST generate an error.",
            ),
            level: Level::Must,
            observe: |s| {
                create_with(s, "rldup", |c| {
                    c["process"]["rlimits"] = json!([
                        {"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654},
                        {"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}
                    ]);
                })
            },
            judge: |v| refused_cleanly(v, "RLIMIT_NOFILE twice"),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn judge(id: &str, v: Value) -> &'static str {
        let case = cases().into_iter().find(|c| c.id == id).expect(id);
        (case.judge)(&v).word()
    }

    #[test]
    fn versions_compare_by_their_numbers() {
        assert_eq!(version("1.0.2-dev"), (1, 0, 2));
        assert!(version("1.3.0") >= (1, 2, 0));
        assert!(version("1.0.2-dev") < (1, 1, 0));
    }

    #[test]
    fn refused_creates_must_leave_no_container() {
        let no = json!({"create": {"code": 1, "said": "no"}, "exists": false});
        let half = json!({"create": {"code": 1, "said": "no"}, "exists": true});
        let yes = json!({"create": {"code": 0, "said": "ok"}, "exists": true});
        for id in [
            "config/process/cwd-absolute",
            "config/process/rlimits-unknown-type",
            "config/process/rlimits-duplicate",
        ] {
            assert_eq!(judge(id, no.clone()), "pass", "{id}");
            assert_eq!(judge(id, half.clone()), "fail", "{id}");
            assert_eq!(judge(id, yes.clone()), "fail", "{id}");
        }
    }

    #[test]
    fn the_working_directory_is_compared_with_the_config() {
        let id = "config/process/cwd";
        assert_eq!(judge(id, json!({"want": "/etc", "got": "/etc"})), "pass");
        assert_eq!(judge(id, json!({"want": "/etc", "got": "/"})), "fail");
    }

    #[test]
    fn the_environment_is_exactly_the_configured_one() {
        let want = json!(["PATH=/bin", "A=1"]);
        let id = "config/process/env";
        assert_eq!(
            judge(id, json!({"want": want, "got": ["A=1", "PATH=/bin"]})),
            "pass"
        );
        assert_eq!(
            judge(
                id,
                json!({"want": want, "got": ["A=1", "PATH=/bin", "TERM=xterm"]})
            ),
            "fail"
        );
        assert_eq!(judge(id, json!({"want": want, "got": ["A=1"]})), "fail");
    }

    #[test]
    fn the_user_is_judged_field_by_field() {
        let ok = json!({"uid": [1234, 1234, 1234, 1234], "gid": [567, 567, 567, 567], "groups": [9, 8], "umask": "0027"});
        let bad = json!({"uid": [1234, 0, 1234, 1234], "gid": [0, 0, 0, 0], "groups": [0, 8, 9], "umask": "0022"});
        for id in [
            "config/process/user-uid",
            "config/process/user-gid",
            "config/process/user-additional-gids",
            "config/process/user-umask",
        ] {
            assert_eq!(judge(id, ok.clone()), "pass", "{id}");
            assert_eq!(judge(id, bad.clone()), "fail", "{id}");
        }
        assert_eq!(
            judge(
                "config/process/user-additional-gids",
                json!({"groups": [8, 9, 567]})
            ),
            "pass"
        );
    }

    #[test]
    fn rlimits_are_judged() {
        let nofile = |s: u64, h: u64| json!({"nofile": [s, h]});
        assert_eq!(
            judge("config/process/rlimits-soft", nofile(321, 654)),
            "pass"
        );
        assert_eq!(
            judge("config/process/rlimits-soft", nofile(1024, 654)),
            "fail"
        );
        assert_eq!(
            judge("config/process/rlimits-hard", nofile(321, 654)),
            "pass"
        );
        assert_eq!(
            judge("config/process/rlimits-hard", nofile(321, 1024)),
            "fail"
        );
    }
}
