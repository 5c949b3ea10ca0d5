//! runtime.md's lifecycle steps about hooks and config.md's POSIX-platform Hooks: each hook
//! type is invoked, in order, at its step, in its namespace, with the state on stdin; a
//! failing hook ends the lifecycle as the spec says. The hooks are scripts that log what they
//! see ([`run`]).

use carrack_spec::Level;

use crate::case::{Case, Verdict, runtime as rule};
use crate::runtime::Subject;

#[path = "hooks_run.rs"]
pub(crate) mod run;

#[path = "hooks_judge.rs"]
mod judge;

#[cfg(test)]
#[path = "hooks_tests.rs"]
mod tests;

use judge::{
    before, before_in, between, failed_create, in_container_ns, in_runtime_ns, invoked, pids,
};
use run::{Plan, TYPES, at, failing_create, lifecycle, order};

const R: &str = "runtime.md";
const C: &str = "config.md";

const ONE_EACH: Plan<'static> = Plan {
    types: &TYPES,
    entries: 1,
    fail: None,
};

pub(crate) fn cases() -> Vec<Case<Subject>> {
    vec![
        Case {
            id: "hooks/prestart/invoked",
            rule: rule(
                R,
                "Lifecycle",
                "The prestart hooks MUST be invoked by the runtime.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "prestart", &Plan::ALL),
            judge: |v| invoked(v, "prestart"),
        },
        Case {
            id: "hooks/create-runtime/invoked",
            rule: rule(
                R,
                "Lifecycle",
                "The createRuntime hooks MUST be invoked by the runtime.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "createruntime", &Plan::ALL),
            judge: |v| invoked(v, "createRuntime"),
        },
        Case {
            id: "hooks/create-container/invoked",
            rule: rule(
                R,
                "Lifecycle",
                "The createContainer hooks MUST be invoked by the runtime.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "createcontainer", &Plan::ALL),
            judge: |v| invoked(v, "createContainer"),
        },
        Case {
            id: "hooks/start-container/invoked",
            rule: rule(
                R,
                "Lifecycle",
                "The startContainer hooks MUST be invoked by the runtime.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "startcontainer", &Plan::ALL),
            judge: |v| invoked(v, "startContainer"),
        },
        Case {
            id: "hooks/poststart/invoked",
            rule: rule(
                R,
                "Lifecycle",
                "The poststart hooks MUST be invoked by the runtime.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "poststart", &Plan::ALL),
            judge: |v| invoked(v, "poststart"),
        },
        Case {
            id: "hooks/poststop/invoked",
            rule: rule(
                R,
                "Lifecycle",
                "The poststop hooks MUST be invoked by the runtime.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "poststop", &Plan::ALL),
            judge: |v| invoked(v, "poststop"),
        },
        Case {
            id: "hooks/order/listed",
            rule: rule(
                C,
                "POSIX-platform Hooks",
                "Hooks MUST be called in the listed order.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "listed", &Plan::ALL),
            judge: |v| {
                let ok = TYPES.iter().all(|t| {
                    matches!((at(v, &format!("{t}.1")), at(v, &format!("{t}.2"))), (Some(a), Some(b)) if a < b)
                });
                Verdict::check(ok, format!("log: {}", order(v)))
            },
        },
        Case {
            id: "hooks/prestart/before-create-runtime",
            rule: rule(
                C,
                "Prestart",
                "The prestart hooks MUST be called before the createRuntime hooks.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "prestart-first", &Plan::ALL),
            judge: |v| {
                Verdict::check(
                    before(v, "prestart", "createRuntime"),
                    format!("log: {}", order(v)),
                )
            },
        },
        Case {
            id: "hooks/create-container/after-create-runtime",
            rule: rule(
                C,
                "CreateContainer Hooks",
                "The createContainer hooks MUST be called after the createRuntime hooks.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "cc-after-cr", &Plan::ALL),
            judge: |v| {
                Verdict::check(
                    before(v, "createRuntime", "createContainer"),
                    format!("log: {}", order(v)),
                )
            },
        },
        Case {
            id: "hooks/create-runtime/before-pivot-root",
            rule: rule(
                C,
                "CreateRuntime Hooks",
                "The createRuntime hooks MUST be called as part of the create operation after the runtime environment has been created (according to the configuration in config.json) but before the pivot_root or any equivalent operation has been executed.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "cr-pivot", &Plan::ALL),
            judge: |v| {
                let h = &v["hooks"]["createRuntime.1"];
                let during = between(v, "createRuntime", "@create", "@created");
                Verdict::check(
                    during && h["mounted"] == true && h["prepivot"] == true,
                    format!(
                        "createRuntime.1 {} create; the container's root {}; its mounts {}",
                        if during { "during" } else { "not during" },
                        if h["prepivot"] == true {
                            "not yet pivoted"
                        } else {
                            "already pivoted (or unreadable)"
                        },
                        if h["mounted"] == true {
                            "in place"
                        } else {
                            "not in place"
                        },
                    ),
                )
            },
        },
        Case {
            id: "hooks/create-container/before-pivot-root",
            rule: rule(
                C,
                "CreateContainer Hooks",
                "The createContainer hooks MUST be called as part of the create operation after the runtime environment has been created (according to the configuration in config.json) but before the pivot_root or any equivalent operation has been executed.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "cc-pivot", &Plan::ALL),
            judge: |v| {
                let h = &v["hooks"]["createContainer.1"];
                let during = between(v, "createContainer", "@create", "@created");
                Verdict::check(
                    during && h["ownMounted"] == true && h["ownPrepivot"] == true,
                    format!(
                        "createContainer.1 {} create; its root {}; the rootfs's mounts {}",
                        if during { "during" } else { "not during" },
                        if h["ownPrepivot"] == true {
                            "not yet pivoted"
                        } else {
                            "already pivoted"
                        },
                        if h["ownMounted"] == true {
                            "in place"
                        } else {
                            "not in place"
                        },
                    ),
                )
            },
        },
        Case {
            id: "hooks/start-container/before-process",
            rule: rule(
                C,
                "StartContainer Hooks",
                "The startContainer hooks MUST be called before the user-specified process is executed as part of the start operation.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "sc-before", &Plan::ALL),
            judge: |v| {
                let seen = v["probe"]["order"].as_str().unwrap_or_default().to_owned();
                let logged = seen.lines().any(|l| l == "startContainer.2");
                Verdict::check(
                    logged && between(v, "startContainer", "@start", "@started"),
                    format!(
                        "log: {}; the process saw: {}",
                        order(v),
                        seen.replace('\n', " ")
                    ),
                )
            },
        },
        Case {
            id: "hooks/poststart/before-start-returns",
            rule: rule(
                C,
                "Poststart",
                "The poststart hooks MUST be called after the user-specified process is executed but before the start operation returns.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "ps-before", &Plan::ALL),
            judge: |v| {
                let ok = between(v, "poststart", "@start", "@started")
                    && before(v, "startContainer", "poststart");
                Verdict::check(ok, format!("log: {}", order(v)))
            },
        },
        Case {
            id: "hooks/poststop/before-delete-returns",
            rule: rule(
                C,
                "Poststop",
                "The poststop hooks MUST be called after the container is deleted but before the delete operation returns.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "pst-before", &Plan::ALL),
            judge: |v| {
                let ok = between(v, "poststop", "@delete", "@deleted") && v["delete"]["code"] == 0;
                Verdict::check(
                    ok,
                    format!(
                        "delete: {}; log: {}",
                        v["delete"]["said"].as_str().unwrap_or_default(),
                        order(v)
                    ),
                )
            },
        },
        Case {
            id: "hooks/state/stdin",
            rule: rule(
                C,
                "POSIX-platform Hooks",
                "The state of the container MUST be passed to hooks over stdin so that they may do work appropriate to the current state of the container.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "stdin", &Plan::ALL),
            judge: |v| {
                let hooks = v["hooks"].as_object().cloned().unwrap_or_default();
                let bad: Vec<String> = hooks
                    .iter()
                    .filter(|(_, h)| {
                        let st = &h["state"];
                        st["id"] != v["id"]
                            || st["bundle"] != v["bundle"]
                            || !st["status"].is_string()
                            || !st["ociVersion"].is_string()
                    })
                    .map(|(n, h)| format!("{n} read {}", h["state"]))
                    .collect();
                let statuses: Vec<String> = hooks
                    .iter()
                    .map(|(n, h)| format!("{n} {}", h["state"]["status"].as_str().unwrap_or("?")))
                    .collect();
                let all = hooks.len() == TYPES.len() * Plan::ALL.entries;
                Verdict::check(
                    all && bad.is_empty(),
                    if bad.is_empty() {
                        format!(
                            "{} hooks read the state: {}",
                            hooks.len(),
                            statuses.join(", ")
                        )
                    } else {
                        bad.join("; ")
                    },
                )
            },
        },
        Case {
            id: "hooks/state/pid-runtime-namespace",
            rule: rule(
                R,
                "State",
                "For hooks executed in the runtime namespace, it is the pid as seen by the runtime.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "pid-rt", &Plan::ALL),
            judge: |v| {
                pids(
                    v,
                    &["prestart.1", "createRuntime.1", "poststart.1"],
                    &v["statePid"],
                    "state says",
                )
            },
        },
        Case {
            id: "hooks/state/pid-container-namespace",
            rule: rule(
                R,
                "State",
                "For hooks executed in the container namespace, it is the pid as seen by the container.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "pid-ct", &Plan::ALL),
            judge: |v| {
                pids(
                    v,
                    &["createContainer.1", "startContainer.1"],
                    &v["probe"]["pid"],
                    "the process sees itself as",
                )
            },
        },
        Case {
            id: "hooks/create-runtime/runtime-namespace",
            rule: rule(
                C,
                "CreateRuntime Hooks",
                "The createRuntime hooks MUST be executed in the runtime namespace.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "cr-ns", &Plan::ALL),
            judge: |v| in_runtime_ns(v, "createRuntime.1"),
        },
        Case {
            id: "hooks/poststart/runtime-namespace",
            rule: rule(
                C,
                "Poststart",
                "The poststart hooks MUST be executed in the runtime namespace.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "ps-ns", &Plan::ALL),
            judge: |v| in_runtime_ns(v, "poststart.1"),
        },
        Case {
            id: "hooks/create-container/container-namespace",
            rule: rule(
                C,
                "CreateContainer Hooks",
                "The createContainer hooks MUST be executed in the container namespace.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "cc-ns", &Plan::ALL),
            judge: |v| in_container_ns(v, "createContainer.1"),
        },
        Case {
            id: "hooks/start-container/container-namespace",
            rule: rule(
                C,
                "StartContainer Hooks",
                "The startContainer hooks MUST be executed in the container namespace.",
            ),
            level: Level::Must,
            observe: |s| lifecycle(s, "sc-ns", &Plan::ALL),
            judge: |v| in_container_ns(v, "startContainer.1"),
        },
        Case {
            id: "hooks/prestart/fails",
            rule: rule(
                R,
                "Lifecycle",
                "If any prestart hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12.",
            ),
            level: Level::Must,
            observe: |s| {
                failing_create(
                    s,
                    "prestart-fails",
                    &Plan {
                        fail: Some("prestart.1"),
                        ..ONE_EACH
                    },
                )
            },
            judge: |v| failed_create(v, "prestart.1", &["createRuntime.1", "createContainer.1"]),
        },
        Case {
            id: "hooks/create-runtime/fails",
            rule: rule(
                R,
                "Lifecycle",
                "If any createRuntime hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12.",
            ),
            level: Level::Must,
            observe: |s| {
                failing_create(
                    s,
                    "cr-fails",
                    &Plan {
                        fail: Some("createRuntime.1"),
                        ..ONE_EACH
                    },
                )
            },
            judge: |v| failed_create(v, "createRuntime.1", &["createContainer.1"]),
        },
        Case {
            id: "hooks/poststop/fails",
            rule: rule(
                R,
                "Lifecycle",
                "If any poststop hook fails, the runtime MUST log a warning, but the remaining hooks and lifecycle continue as if the hook had succeeded.",
            ),
            level: Level::Must,
            observe: |s| {
                let plan = Plan {
                    types: &["poststop"],
                    entries: 2,
                    fail: Some("poststop.1"),
                };
                lifecycle(s, "pst-fails", &plan)
            },
            judge: |v| {
                let ok = v["delete"]["code"] == 0
                    && v["gone"] == true
                    && before_in(v, "poststop.1", "poststop.2");
                Verdict::check(
                    ok,
                    format!(
                        "delete: {}; container {}; log: {}",
                        v["delete"]["said"].as_str().unwrap_or_default(),
                        if v["gone"] == true {
                            "gone"
                        } else {
                            "still there"
                        },
                        order(v)
                    ),
                )
            },
        },
    ]
}
