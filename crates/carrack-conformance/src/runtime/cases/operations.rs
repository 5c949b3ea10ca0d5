//! runtime.md: the start, kill and delete operations, and config.md's extensibility rule,
//! observed through the command line (their judges are tested in `lifecycle.rs`).

use carrack_spec::Level;
use serde_json::json;

use super::lifecycle::{code, need_root, refused};
use crate::case::{Case, Verdict, runtime as rule};
use crate::runtime::{QUICK, Subject};

const R: &str = "runtime.md";

pub(crate) fn cases() -> Vec<Case<Subject>> {
    vec![
        Case {
            id: "runtime/start/runs-program",
            rule: rule(
                R,
                "Start",
                "This operation MUST run the user-specified program as specified by process.",
            ),
            level: Level::Must,
            observe: |s| {
                need_root(s)?;
                let b = s.bundle("runs", &["report"])?;
                let (c, ran) = b.create(s)?;
                if !ran.ok() {
                    return Err(Verdict::fail(ran.describe()));
                }
                Ok(json!({"want": b.config["process"]["args"], "args": c.report()?["args"]}))
            },
            judge: |v| Verdict::check(v["want"] == v["args"], format!("argv {}", v["args"])),
        },
        Case {
            id: "runtime/start/not-created",
            rule: rule(
                R,
                "Start",
                "Attempting to start a container that is not created MUST have no effect on the container and MUST generate an error.",
            ),
            level: Level::Must,
            observe: |s| {
                need_root(s)?;
                let b = s.bundle("restart", &["exit", "0"])?;
                let (c, ran) = b.create(s)?;
                if !ran.ok() {
                    return Err(Verdict::fail(ran.describe()));
                }
                c.start()?;
                c.wait_status("stopped")?;
                let r = c.call(&["start", &c.id])?;
                Ok(json!({"again": code(&r), "after": c.state()?["status"]}))
            },
            judge: |v| {
                Verdict::check(
                    refused(&v["again"]) && v["after"] == "stopped",
                    format!(
                        "start of a stopped container: {}; then {}",
                        v["again"]["said"].as_str().unwrap_or_default(),
                        v["after"]
                    ),
                )
            },
        },
        Case {
            id: "runtime/start/no-process",
            rule: rule(
                R,
                "Start",
                "This operation MUST generate an error if process was not set.",
            ),
            level: Level::Must,
            observe: |s| {
                need_root(s)?;
                let mut b = s.bundle("noprocess", &[])?;
                if let Some(o) = b.config.as_object_mut() {
                    o.remove("process");
                }
                let (c, ran) = b.create(s)?;
                if !ran.ok() {
                    // Refused already at create: no container to start, which the rule allows.
                    return Ok(json!({"create": code(&ran), "start": code(&ran)}));
                }
                let r = c.call(&["start", &c.id])?;
                Ok(json!({"create": code(&ran), "start": code(&r)}))
            },
            judge: |v| {
                Verdict::check(
                    refused(&v["start"]),
                    format!(
                        "create: {}; start: {}",
                        v["create"]["said"].as_str().unwrap_or_default(),
                        v["start"]["said"].as_str().unwrap_or_default()
                    ),
                )
            },
        },
        Case {
            id: "runtime/kill/sends-signal",
            rule: rule(
                R,
                "Kill",
                "This operation MUST send the specified signal to the container process.",
            ),
            level: Level::Must,
            observe: |s| {
                need_root(s)?;
                let b = s.bundle("signal", &["signals", "SIGUSR1"])?;
                let (c, ran) = b.create(s)?;
                if !ran.ok() {
                    return Err(Verdict::fail(ran.describe()));
                }
                c.start()?;
                // No race: the signal goes only once the probe has it blocked and waits.
                c.wait_line("ready", QUICK)?;
                let k = c.call(&["kill", &c.id, "USR1"])?;
                if !k.ok() {
                    return Err(Verdict::fail(k.describe()));
                }
                c.wait_line("signal", QUICK)
            },
            judge: |v| {
                Verdict::check(
                    v["name"] == "SIGUSR1",
                    format!("the process received {}", v["name"]),
                )
            },
        },
        Case {
            id: "runtime/kill/stopped",
            rule: rule(
                R,
                "Kill",
                "Attempting to send a signal to a container that is neither created nor running MUST have no effect on the container and MUST generate an error.",
            ),
            level: Level::Must,
            observe: |s| {
                need_root(s)?;
                let b = s.bundle("killstopped", &["exit", "0"])?;
                let (c, ran) = b.create(s)?;
                if !ran.ok() {
                    return Err(Verdict::fail(ran.describe()));
                }
                c.start()?;
                c.wait_status("stopped")?;
                let r = c.call(&["kill", &c.id, "TERM"])?;
                Ok(json!({"kill": code(&r), "after": c.state()?["status"]}))
            },
            judge: |v| {
                Verdict::check(
                    refused(&v["kill"]) && v["after"] == "stopped",
                    format!(
                        "kill of a stopped container: {}; then {}",
                        v["kill"]["said"].as_str().unwrap_or_default(),
                        v["after"]
                    ),
                )
            },
        },
        Case {
            id: "runtime/delete/not-stopped",
            rule: rule(
                R,
                "Delete",
                "Attempting to delete a container that is not stopped MUST have no effect on the container and MUST generate an error.",
            ),
            level: Level::Must,
            observe: |s| {
                need_root(s)?;
                let b = s.bundle("delrunning", &["sleep", "600"])?;
                let (c, ran) = b.create(s)?;
                if !ran.ok() {
                    return Err(Verdict::fail(ran.describe()));
                }
                c.start()?;
                c.wait_status("running")?;
                let r = c.call(&["delete", &c.id])?;
                Ok(json!({"delete": code(&r), "after": c.state()?["status"]}))
            },
            judge: |v| {
                Verdict::check(
                    refused(&v["delete"]) && v["after"] == "running",
                    format!(
                        "delete of a running container: {}; then {}",
                        v["delete"]["said"].as_str().unwrap_or_default(),
                        v["after"]
                    ),
                )
            },
        },
        Case {
            id: "runtime/delete/removes",
            rule: rule(
                R,
                "Delete",
                "Deleting a container MUST delete the resources that were created during the create step.",
            ),
            level: Level::Must,
            observe: |s| {
                need_root(s)?;
                let b = s.bundle("delete", &["exit", "0"])?;
                let (c, ran) = b.create(s)?;
                if !ran.ok() {
                    return Err(Verdict::fail(ran.describe()));
                }
                c.start()?;
                c.wait_status("stopped")?;
                let r = c.call(&["delete", &c.id])?;
                let state = s.runtime.state(&c.id).is_ok();
                let cgroups = crate::runtime::host::cgroups_named(&c.id);
                Ok(json!({"delete": code(&r), "state": state, "cgroups": cgroups}))
            },
            judge: |v| {
                Verdict::check(
                    !refused(&v["delete"])
                        && v["state"] == false
                        && v["cgroups"].as_array().is_some_and(Vec::is_empty),
                    format!(
                        "delete: {}; state afterwards {}; cgroups left {}",
                        v["delete"]["said"].as_str().unwrap_or_default(),
                        if v["state"] == true {
                            "still answers"
                        } else {
                            "errors"
                        },
                        v["cgroups"]
                    ),
                )
            },
        },
        Case {
            id: "config/extensibility/unknown-property",
            rule: rule(
                "config.md",
                "Extensibility",
                "Runtimes MAY log unknown properties but MUST otherwise ignore them.",
            ),
            level: Level::Must,
            observe: |s| {
                need_root(s)?;
                let mut b = s.bundle("unknown", &["exit", "0"])?;
                b.config["org.example.certify.unknown"] = json!({"any": ["thing"]});
                b.config["process"]["org.example.certify.unknown"] = json!(true);
                let (_c, ran) = b.create(s)?;
                Ok(code(&ran))
            },
            judge: |v| Verdict::check(!refused(v), v["said"].as_str().unwrap_or_default()),
        },
    ]
}
