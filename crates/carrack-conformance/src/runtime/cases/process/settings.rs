//! config.md's settings of the process and the container beside the capabilities:
//! noNewPrivileges, oomScoreAdj, scheduler, ioPriority, hostname, domainname, and the
//! annotations `state` reports.

use carrack_spec::Level;
use serde_json::json;

use super::{C, need_root, report_with, same, since};
use crate::case::{Case, Verdict, runtime as rule};
use crate::runtime::Subject;

/// `policy` and `prio` of /proc/self/sched.
fn sched_field(sched: &str, name: &str) -> Option<i64> {
    sched.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == name).then(|| v.trim().parse().ok()).flatten()
    })
}

pub(super) fn cases() -> Vec<Case<Subject>> {
    vec![
        Case {
            id: "config/process/no-new-privileges",
            rule: rule(
                C,
                "Linux Process",
                "noNewPrivileges (bool, OPTIONAL) setting noNewPrivileges to true prevents the process from gaining additional privileges.",
            ),
            level: Level::Must,
            observe: |s| {
                let r = report_with(s, "nnp", |c| {
                    c["process"]["noNewPrivileges"] = json!(true);
                })?;
                Ok(json!({"nnp": r["noNewPrivs"]}))
            },
            judge: |v| {
                Verdict::check(
                    v["nnp"] == "1",
                    format!("NoNewPrivs {} with noNewPrivileges true", v["nnp"]),
                )
            },
        },
        Case {
            id: "config/process/oom-score-adj-set",
            rule: rule(
                C,
                "Linux Process",
                "If oomScoreAdj is set, the runtime MUST set oom_score_adj to the given value.",
            ),
            level: Level::Must,
            observe: |s| {
                let r = report_with(s, "oomset", |c| c["process"]["oomScoreAdj"] = json!(123))?;
                Ok(json!({"want": "123", "got": r["oomScoreAdj"]}))
            },
            judge: |v| same(v, "oom_score_adj"),
        },
        Case {
            id: "config/process/oom-score-adj-unset",
            rule: rule(
                C,
                "Linux Process",
                "If oomScoreAdj is not set, the runtime MUST NOT change the value of oom_score_adj.",
            ),
            level: Level::Must,
            observe: |s| {
                // The runtime inherits the certifier's value; the container must keep it.
                let want = std::fs::read_to_string("/proc/self/oom_score_adj")
                    .map_err(|e| Verdict::fail(format!("/proc/self/oom_score_adj: {e}")))?;
                let r = report_with(s, "oomunset", |c| {
                    if let Some(p) = c["process"].as_object_mut() {
                        p.remove("oomScoreAdj");
                    }
                })?;
                Ok(json!({"want": want.trim(), "got": r["oomScoreAdj"]}))
            },
            judge: |v| same(v, "oom_score_adj (the runtime's caller has it)"),
        },
        Case {
            id: "config/process/scheduler",
            rule: rule(
                C,
                "Linux Process",
                "scheduler (object, OPTIONAL) is an object describing the scheduler properties for the process.",
            ),
            level: Level::Must,
            observe: |s| {
                since(s, (1, 2, 0), "process.scheduler")?;
                let r = report_with(s, "sched", |c| {
                    c["process"]["scheduler"] = json!({"policy": "SCHED_BATCH", "nice": 5});
                })?;
                let sched = r["sched"].as_str().unwrap_or_default();
                Ok(
                    json!({"policy": sched_field(sched, "policy"), "prio": sched_field(sched, "prio")}),
                )
            },
            judge: |v| {
                // SCHED_BATCH is policy 3; a normal task's prio is 120 + nice.
                Verdict::check(
                    v["policy"] == 3 && v["prio"] == 125,
                    format!(
                        "policy {} prio {}; SCHED_BATCH nice 5 is policy 3 prio 125",
                        v["policy"], v["prio"]
                    ),
                )
            },
        },
        Case {
            id: "config/process/io-priority",
            rule: rule(
                C,
                "Linux Process",
                "ioPriority (object, OPTIONAL) configures the I/O priority settings for the container's processes within the process group.",
            ),
            level: Level::Must,
            observe: |s| {
                since(s, (1, 2, 0), "process.ioPriority")?;
                let r = report_with(s, "ioprio", |c| {
                    c["process"]["ioPriority"] = json!({"class": "IOPRIO_CLASS_BE", "priority": 6});
                })?;
                Ok(json!({"want": [2, 6], "got": r["ioPriority"]}))
            },
            judge: |v| same(v, "I/O priority [class, level] (IOPRIO_CLASS_BE is 2)"),
        },
        Case {
            id: "config/hostname",
            rule: rule(
                C,
                "Hostname",
                "hostname (string, OPTIONAL) specifies the container's hostname as seen by processes running inside the container.",
            ),
            level: Level::Must,
            observe: |s| {
                let r = report_with(s, "hostname", |c| c["hostname"] = json!("certify-host"))?;
                Ok(json!({"want": "certify-host", "got": r["hostname"]}))
            },
            judge: |v| same(v, "hostname"),
        },
        Case {
            id: "config/domainname",
            rule: rule(
                C,
                "Domainname",
                "domainname (string, OPTIONAL) specifies the container's domainname as seen by processes running inside the container.",
            ),
            level: Level::Must,
            observe: |s| {
                since(s, (1, 1, 0), "domainname")?;
                let r = report_with(s, "domainname", |c| c["domainname"] = json!("certify.test"))?;
                Ok(json!({"want": "certify.test", "got": r["domainname"]}))
            },
            judge: |v| same(v, "domainname"),
        },
        Case {
            id: "runtime/state/annotations",
            rule: rule(
                "runtime.md",
                "State",
                "annotations (map, OPTIONAL) contains the list of annotations associated with the container.",
            ),
            level: Level::Should,
            observe: |s| {
                need_root(s)?;
                let want =
                    json!({"org.example.certify.a": "1", "org.example.certify.b": "two words"});
                let mut b = s.bundle("annotations", &["exit", "0"])?;
                b.config["annotations"] = want.clone();
                let (c, ran) = b.create(s)?;
                if !ran.ok() {
                    return Err(Verdict::fail(ran.describe()));
                }
                Ok(json!({"want": want, "got": c.state()?["annotations"]}))
            },
            judge: |v| {
                let got = &v["got"];
                let ok = v["want"]
                    .as_object()
                    .is_some_and(|w| w.iter().all(|(k, x)| got[k] == *x));
                Verdict::check(
                    ok,
                    format!("annotations in state {got}, configured {}", v["want"]),
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
    fn values_are_compared_with_the_config() {
        for (id, want, wrong) in [
            ("config/process/oom-score-adj-set", json!("123"), json!("0")),
            (
                "config/process/oom-score-adj-unset",
                json!("0"),
                json!("-999"),
            ),
            ("config/process/io-priority", json!([2, 6]), json!([0, 4])),
            ("config/hostname", json!("certify-host"), json!("carrack")),
            ("config/domainname", json!("certify.test"), json!("(none)")),
        ] {
            assert_eq!(
                judge(id, json!({"want": want, "got": want})),
                "pass",
                "{id}"
            );
            assert_eq!(
                judge(id, json!({"want": want, "got": wrong})),
                "fail",
                "{id}"
            );
        }
    }

    #[test]
    fn nnp_scheduler_and_annotations_are_judged() {
        assert_eq!(
            judge("config/process/no-new-privileges", json!({"nnp": "1"})),
            "pass"
        );
        assert_eq!(
            judge("config/process/no-new-privileges", json!({"nnp": "0"})),
            "fail"
        );
        let sched = "policy                                       :                    3\nprio                                         :                  125\n";
        let v = json!({"policy": sched_field(sched, "policy"), "prio": sched_field(sched, "prio")});
        assert_eq!(judge("config/process/scheduler", v), "pass");
        assert_eq!(
            judge(
                "config/process/scheduler",
                json!({"policy": 0, "prio": 120})
            ),
            "fail"
        );
        let want = json!({"a.b": "1"});
        assert_eq!(
            judge(
                "runtime/state/annotations",
                json!({"want": want, "got": {"a.b": "1"}})
            ),
            "pass"
        );
        assert_eq!(
            judge(
                "runtime/state/annotations",
                json!({"want": want, "got": null})
            ),
            "fail"
        );
    }
}
