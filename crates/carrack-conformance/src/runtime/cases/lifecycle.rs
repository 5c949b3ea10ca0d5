//! runtime.md: the state and create operations, observed through the command line (start,
//! kill and delete are in `operations.rs`; the judges of both are tested here).

use std::time::Duration;

use carrack_spec::Level;
use serde_json::{Value, json};

use crate::case::{Case, Verdict, runtime as rule};
use crate::runtime::Subject;
pub(super) use crate::runtime::cases::need_root;

const R: &str = "runtime.md";

/// A created container's `state`, with the bundle it was made from.
fn created_state(s: &Subject, case: &str) -> Result<Value, Verdict> {
    need_root(s)?;
    let b = s.bundle(case, &["exit", "0"])?;
    let (c, ran) = b.create(s)?;
    if !ran.ok() {
        return Err(Verdict::fail(ran.describe()));
    }
    Ok(json!({"state": c.state()?, "id": b.id, "bundle": b.dir}))
}

pub(super) fn code(r: &crate::runtime::Ran) -> Value {
    json!({"code": r.code, "said": r.describe()})
}

/// `e` was refused (non-zero exit).
pub(super) fn refused(e: &Value) -> bool {
    e["code"] != json!(0)
}

pub(crate) fn cases() -> Vec<Case<Subject>> {
    vec![
        Case {
            id: "runtime/state/unknown-id",
            rule: rule(
                R,
                "Query State",
                "Attempting to query a container that does not exist MUST generate an error.",
            ),
            level: Level::Must,
            observe: |s| {
                let r = s
                    .runtime
                    .call(&["state", &format!("{}-never-created", s.tag())], None)
                    .map_err(Verdict::fail)?;
                Ok(code(&r))
            },
            judge: |v| Verdict::check(refused(v), v["said"].as_str().unwrap_or_default()),
        },
        Case {
            id: "runtime/state/created-after-create",
            rule: rule(R, "Create", "This operation MUST create a new container."),
            level: Level::Must,
            observe: |s| created_state(s, "created"),
            judge: |v| {
                let st = &v["state"];
                Verdict::check(
                    st["status"] == "created" && st["id"] == v["id"],
                    format!(
                        "state after create: status {}, id {}",
                        st["status"], st["id"]
                    ),
                )
            },
        },
        Case {
            id: "runtime/state/pid",
            rule: rule(
                R,
                "State",
                "pid (int, REQUIRED when status is created or running on Linux, OPTIONAL on other platforms) is the ID of the container process.",
            ),
            level: Level::Must,
            observe: |s| created_state(s, "pid"),
            judge: |v| {
                let pid = &v["state"]["pid"];
                Verdict::check(
                    pid.as_u64().is_some_and(|p| p > 0),
                    format!("pid of a created container: {pid}"),
                )
            },
        },
        Case {
            id: "runtime/state/bundle",
            rule: rule(
                R,
                "State",
                "bundle (string, REQUIRED) is the absolute path to the container's bundle directory.",
            ),
            level: Level::Must,
            observe: |s| created_state(s, "bundle"),
            judge: |v| {
                let got = v["state"]["bundle"].as_str().unwrap_or_default();
                Verdict::check(
                    got.starts_with('/') && v["bundle"] == got,
                    format!("bundle {got:?} for a container made from {}", v["bundle"]),
                )
            },
        },
        Case {
            id: "runtime/state/oci-version",
            rule: rule(
                R,
                "State",
                "ociVersion (string, REQUIRED) is version of the Open Container Initiative Runtime Specification with which the state complies.",
            ),
            level: Level::Must,
            observe: |s| created_state(s, "ociversion"),
            judge: |v| {
                let ver = &v["state"]["ociVersion"];
                let ok = ver.as_str().is_some_and(|s| s.split('.').count() >= 3);
                Verdict::check(ok, format!("ociVersion {ver}"))
            },
        },
        Case {
            id: "runtime/create/program-not-run",
            rule: rule(
                R,
                "Lifecycle",
                "While the resources requested in the config.json MUST be created, the user-specified program (from process) MUST NOT be run at this time.",
            ),
            level: Level::Must,
            observe: |s| {
                need_root(s)?;
                let b = s.bundle("notrun", &["report"])?;
                let (c, ran) = b.create(s)?;
                if !ran.ok() {
                    return Err(Verdict::fail(ran.describe()));
                }
                std::thread::sleep(Duration::from_millis(300));
                Ok(json!({"output": c.output()}))
            },
            judge: |v| {
                let out = v["output"].as_str().unwrap_or_default();
                Verdict::check(
                    out.is_empty(),
                    if out.is_empty() {
                        "nothing printed 300 ms after create".to_owned()
                    } else {
                        format!("the program ran: {out:.80}")
                    },
                )
            },
        },
        Case {
            id: "runtime/create/used-id",
            rule: rule(
                R,
                "Create",
                "If the ID provided is not unique across all containers within the scope of the runtime, or is not valid in any other way, the implementation MUST generate an error and a new container MUST NOT be created.",
            ),
            level: Level::Must,
            observe: |s| {
                need_root(s)?;
                let b = s.bundle("dup", &["exit", "0"])?;
                let (c, ran) = b.create(s)?;
                if !ran.ok() {
                    return Err(Verdict::fail(ran.describe()));
                }
                let before = c.state()?;
                let mut again = s.bundle("dup2", &["exit", "0"])?;
                again.id.clone_from(&b.id);
                again.write()?;
                let r = c.call(&[
                    "create",
                    "--bundle",
                    again.dir.to_str().unwrap_or_default(),
                    &b.id,
                ])?;
                let after = c.state()?;
                let _ = std::fs::remove_dir_all(&again.dir);
                Ok(json!({"second": code(&r), "before": before, "after": after}))
            },
            judge: |v| {
                let same = v["before"]["bundle"] == v["after"]["bundle"]
                    && v["before"]["pid"] == v["after"]["pid"];
                Verdict::check(
                    refused(&v["second"]) && same,
                    format!(
                        "second create: {}; first container {}",
                        v["second"]["said"].as_str().unwrap_or_default(),
                        if same { "unchanged" } else { "changed" }
                    ),
                )
            },
        },
        Case {
            id: "runtime/create/cannot-apply",
            rule: rule(
                R,
                "Create",
                "If the runtime cannot apply a property as specified in the configuration, it MUST generate an error and a new container MUST NOT be created.",
            ),
            level: Level::Must,
            observe: |s| {
                need_root(s)?;
                let mut b = s.bundle("cannot", &["exit", "0"])?;
                let missing = b.dir.join("no-such-source");
                if let Some(m) = b.config["mounts"].as_array_mut() {
                    m.push(json!({"destination": "/mnt", "type": "bind", "source": missing, "options": ["bind"]}));
                }
                let (c, ran) = b.create(s)?;
                let state = s.runtime.state(&c.id).ok();
                Ok(json!({"create": code(&ran), "exists": state.is_some()}))
            },
            judge: |v| {
                Verdict::check(
                    refused(&v["create"]) && v["exists"] == false,
                    format!(
                        "create with a bind mount of a missing source: {}; container {}",
                        v["create"]["said"].as_str().unwrap_or_default(),
                        if v["exists"] == true {
                            "exists"
                        } else {
                            "not made"
                        }
                    ),
                )
            },
        },
        Case {
            id: "runtime/create/config-changes-ignored",
            rule: rule(
                R,
                "Lifecycle",
                "Any updates to config.json after this step MUST NOT affect the container.",
            ),
            level: Level::Must,
            observe: |s| {
                need_root(s)?;
                let mut b = s.bundle("frozen", &["report"])?;
                let (c, ran) = b.create(s)?;
                if !ran.ok() {
                    return Err(Verdict::fail(ran.describe()));
                }
                b.config["process"]["env"] = json!(["CHANGED=after-create"]);
                b.write()?;
                Ok(json!({"env": c.report()?["env"]}))
            },
            judge: |v| {
                let changed = v["env"]
                    .as_array()
                    .is_some_and(|e| e.iter().any(|x| x == "CHANGED=after-create"));
                Verdict::check(
                    !changed,
                    format!(
                        "env after config.json changed between create and start: {}",
                        v["env"]
                    ),
                )
            },
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(id: &str) -> Case<Subject> {
        cases()
            .into_iter()
            .chain(super::super::operations::cases())
            .find(|c| c.id == id)
            .expect(id)
    }

    fn judge(id: &str, v: Value) -> &'static str {
        (case(id).judge)(&v).word()
    }

    #[test]
    fn refusals_are_judged_by_exit_status() {
        assert_eq!(
            judge("runtime/state/unknown-id", json!({"code": 1, "said": "x"})),
            "pass"
        );
        assert_eq!(
            judge("runtime/state/unknown-id", json!({"code": 0, "said": "x"})),
            "fail"
        );
        assert_eq!(
            judge(
                "config/extensibility/unknown-property",
                json!({"code": 0, "said": "x"})
            ),
            "pass"
        );
    }

    #[test]
    fn state_fields_are_judged() {
        let ok = json!({"id": "a", "bundle": "/b", "state": {"status": "created", "id": "a", "pid": 7, "bundle": "/b", "ociVersion": "1.2.0"}});
        for id in [
            "runtime/state/created-after-create",
            "runtime/state/pid",
            "runtime/state/bundle",
            "runtime/state/oci-version",
        ] {
            assert_eq!(judge(id, ok.clone()), "pass", "{id}");
        }
        let bad = json!({"id": "a", "bundle": "/b", "state": {"status": "running", "id": "a", "pid": 0, "bundle": "b", "ociVersion": "1"}});
        for id in [
            "runtime/state/created-after-create",
            "runtime/state/pid",
            "runtime/state/bundle",
            "runtime/state/oci-version",
        ] {
            assert_eq!(judge(id, bad.clone()), "fail", "{id}");
        }
    }

    #[test]
    fn operations_on_the_wrong_state_must_fail_and_change_nothing() {
        let no = json!({"code": 1, "said": "no"});
        let yes = json!({"code": 0, "said": "yes"});
        assert_eq!(
            judge(
                "runtime/start/not-created",
                json!({"again": no, "after": "stopped"})
            ),
            "pass"
        );
        assert_eq!(
            judge(
                "runtime/start/not-created",
                json!({"again": yes, "after": "stopped"})
            ),
            "fail"
        );
        assert_eq!(
            judge(
                "runtime/kill/stopped",
                json!({"kill": no, "after": "stopped"})
            ),
            "pass"
        );
        assert_eq!(
            judge(
                "runtime/delete/not-stopped",
                json!({"delete": no, "after": "stopped"})
            ),
            "fail"
        );
        assert_eq!(
            judge(
                "runtime/create/used-id",
                json!({"second": no, "before": {"pid": 1, "bundle": "/a"}, "after": {"pid": 1, "bundle": "/a"}})
            ),
            "pass"
        );
        assert_eq!(
            judge(
                "runtime/create/used-id",
                json!({"second": no, "before": {"pid": 1, "bundle": "/a"}, "after": {"pid": 2, "bundle": "/b"}})
            ),
            "fail"
        );
        assert_eq!(
            judge(
                "runtime/create/cannot-apply",
                json!({"create": no, "exists": false})
            ),
            "pass"
        );
        assert_eq!(
            judge(
                "runtime/create/cannot-apply",
                json!({"create": no, "exists": true})
            ),
            "fail"
        );
        assert_eq!(
            judge(
                "runtime/start/no-process",
                json!({"create": no, "start": no})
            ),
            "pass"
        );
        assert_eq!(
            judge(
                "runtime/delete/removes",
                json!({"delete": yes, "state": false, "cgroups": []})
            ),
            "pass"
        );
        assert_eq!(
            judge(
                "runtime/delete/removes",
                json!({"delete": yes, "state": false, "cgroups": ["/sys/fs/cgroup/x"]})
            ),
            "fail"
        );
    }

    #[test]
    fn the_program_and_its_signal_are_judged() {
        assert_eq!(
            judge("runtime/create/program-not-run", json!({"output": ""})),
            "pass"
        );
        assert_eq!(
            judge(
                "runtime/create/program-not-run",
                json!({"output": "{\"pid\":1}"})
            ),
            "fail"
        );
        assert_eq!(
            judge(
                "runtime/start/runs-program",
                json!({"want": ["/p", "report"], "args": ["/p", "report"]})
            ),
            "pass"
        );
        assert_eq!(
            judge(
                "runtime/kill/sends-signal",
                json!({"signal": 10, "name": "SIGUSR1"})
            ),
            "pass"
        );
        assert_eq!(
            judge(
                "runtime/kill/sends-signal",
                json!({"signal": 15, "name": "SIGTERM"})
            ),
            "fail"
        );
        assert_eq!(
            judge(
                "runtime/create/config-changes-ignored",
                json!({"env": ["A=b"]})
            ),
            "pass"
        );
        assert_eq!(
            judge(
                "runtime/create/config-changes-ignored",
                json!({"env": ["CHANGED=after-create"]})
            ),
            "fail"
        );
    }
}
