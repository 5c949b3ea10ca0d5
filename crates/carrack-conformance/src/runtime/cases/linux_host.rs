//! config-linux.md: what a config may take from the host besides cgroups: resctrl
//! (intelRdt), the NUMA memory policy and network devices.

use std::time::{Duration, Instant};

use carrack_spec::Level;
use serde_json::{Value, json};

use super::{APPLY, L, applied, attempt, created, need_version, refusal, report};
use crate::case::{Case, Verdict, runtime as rule};
use crate::runtime::Subject;

/// Runs `ip ARGS…`, bounded by 10 s.
fn ip(args: &[&str]) -> Result<(), Verdict> {
    let mut child = std::process::Command::new("ip")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| Verdict::skip(format!("`ip` (iproute2) cannot run: {e}")))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match child.try_wait() {
            Ok(Some(st)) if st.success() => return Ok(()),
            Ok(Some(st)) => return Err(Verdict::fail(format!("`ip {}`: {st}", args.join(" ")))),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Verdict::fail(format!(
                    "`ip {}` did not exit in 10 s",
                    args.join(" ")
                )));
            }
        }
    }
}

/// A dummy network device on the host, deleted when dropped (unless moved away).
struct Dummy(String);

impl Drop for Dummy {
    fn drop(&mut self) {
        let _ = ip(&["link", "delete", &self.0]);
    }
}

/// The flags of a host dummy device (`cdPID` + `n`) moved into the container as `certeth0`.
fn net_device(s: &Subject, case: &str, n: u8) -> Result<Value, Verdict> {
    need_version(s, "1.3.0", "netDevices")?;
    let enabled = crate::runtime::features(&s.runtime)
        .is_some_and(|f| f["linux"]["netDevices"]["enabled"] == true);
    if !enabled {
        return Err(Verdict::skip(
            "the runtime's features do not enable netDevices",
        ));
    }
    super::need_root(s)?;
    // At most 15 bytes, unique in this run.
    let name = format!("cd{}x{n}", std::process::id());
    ip(&["link", "add", &name, "type", "dummy"])?;
    let _dummy = Dummy(name.clone());
    let flags = "/sys/class/net/certeth0/flags";
    let r = report(s, case, &["report", "--read", flags], |b| {
        let mut devices = serde_json::Map::new();
        devices.insert(name, json!({"name": "certeth0"}));
        b.config["linux"]["netDevices"] = Value::Object(devices);
        Ok(())
    })?;
    Ok(json!({"flags": r["read"][flags]}))
}

/// Where resctrl is mounted, if it is.
fn resctrl() -> Option<String> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    info.lines().find_map(|l| {
        let (left, right) = l.split_once(" - ")?;
        if right.split(' ').next()? == "resctrl" {
            left.split(' ').nth(4).map(str::to_owned)
        } else {
            None
        }
    })
}
pub(super) fn cases() -> Vec<Case<Subject>> {
    vec![
        Case {
            id: "linux/intel-rdt/no-resctrl",
            rule: rule(
                L,
                "IntelRdt",
                "If no mounted resctrl pseudo-filesystem is available in the runtime mount namespace, the runtime MUST generate an error.",
            ),
            level: Level::Must,
            observe: |s| {
                if let Some(at) = resctrl() {
                    return Err(Verdict::skip(format!("resctrl is mounted at {at}")));
                }
                attempt(s, "rdt-none", |b| {
                    b.config["linux"]["intelRdt"] = json!({"closID": "certify"});
                    Ok(())
                })
            },
            judge: |v| refusal(v, "intelRdt and no resctrl mounted"),
        },
        Case {
            id: "linux/intel-rdt/tasks",
            rule: rule(
                L,
                "IntelRdt",
                "If intelRdt is set, the runtime MUST write the container process ID to the tasks file in a proper sub-directory in a mounted resctrl pseudo-filesystem.",
            ),
            level: Level::Must,
            observe: |s| {
                let Some(at) = resctrl() else {
                    return Err(Verdict::skip("resctrl is not mounted on this host"));
                };
                let (c, b) = created(s, "rdt", &["exit", "0"], |b| {
                    b.config["linux"]["intelRdt"] = json!({});
                    Ok(())
                })?;
                let pid = c.state()?["pid"].clone();
                // No closID: the sub-directory is named after the container.
                let tasks = format!("{at}/{}/tasks", b.id);
                let text = std::fs::read_to_string(&tasks).unwrap_or_default();
                Ok(json!({"pid": pid, "tasks": tasks, "text": text}))
            },
            judge: |v| {
                let pid = v["pid"].to_string();
                let text = v["text"].as_str().unwrap_or_default();
                Verdict::check(
                    text.lines().any(|l| l.trim() == pid),
                    format!("{} holds {text:?}; the process is {pid}", v["tasks"]),
                )
            },
        },
        Case {
            id: "linux/memory-policy",
            rule: rule(
                L,
                "Memory policy",
                "memoryPolicy (object, OPTIONAL) sets the NUMA memory policy for the container.",
            )
            .because(&APPLY),
            level: Level::Must,
            observe: |s| {
                need_version(s, "1.3.0", "memoryPolicy")?;
                let maps = "/proc/self/numa_maps";
                if !std::path::Path::new(maps).exists() {
                    return Err(Verdict::skip(
                        "the kernel has no NUMA (no /proc/self/numa_maps)",
                    ));
                }
                let (c, _) = applied(s, "mempolicy", &["report", "--read", maps], |b| {
                    b.config["linux"]["memoryPolicy"] =
                        json!({"mode": "MPOL_INTERLEAVE", "nodes": "0"});
                    Ok(())
                })?;
                let text = c.report()?["read"][maps]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let mut policies: Vec<&str> = text
                    .lines()
                    .filter_map(|l| l.split_whitespace().nth(1))
                    .collect();
                policies.sort_unstable();
                policies.dedup();
                Ok(json!(policies))
            },
            judge: |v| {
                let ok = v
                    .as_array()
                    .is_some_and(|p| p.iter().any(|p| p == "interleave:0"));
                Verdict::check(
                    ok,
                    format!("policies in numa_maps: {v} (asked interleave:0)"),
                )
            },
        },
        Case {
            id: "linux/net-devices/available",
            rule: rule(
                L,
                "Network Devices",
                "netDevices (object, OPTIONAL) - A set of network devices that MUST be made available in the container.",
            ),
            level: Level::Must,
            observe: |s| net_device(s, "netdev", 1),
            judge: |v| {
                Verdict::check(
                    v["flags"].is_string(),
                    format!(
                        "/sys/class/net/certeth0/flags in the container: {}",
                        v["flags"]
                    ),
                )
            },
        },
        Case {
            id: "linux/net-devices/up",
            rule: rule(
                L,
                "Network Devices",
                "The runtime MUST set the network device state to \"up\" after moving it to the network namespace to allow the container to send and receive network traffic through that device.",
            ),
            level: Level::Must,
            observe: |s| net_device(s, "netdevup", 2),
            judge: |v| {
                let flags = v["flags"].as_str().map(|f| f.trim_start_matches("0x"));
                let up = flags
                    .and_then(|f| u64::from_str_radix(f, 16).ok())
                    .is_some_and(|f| f & 1 == 1);
                Verdict::check(
                    up,
                    format!("flags of certeth0: {} (IFF_UP is 0x1)", v["flags"]),
                )
            },
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::super::tests::check;
    use super::*;

    #[test]
    fn host_resources_are_judged() {
        let no = json!({"code": 1, "said": "no", "exists": false});
        let yes = json!({"code": 0, "said": "ok", "exists": true});
        check("linux/intel-rdt/no-resctrl", no, yes);
        check(
            "linux/intel-rdt/tasks",
            json!({"pid": 7, "tasks": "/sys/fs/resctrl/c/tasks", "text": "7\n"}),
            json!({"pid": 7, "tasks": "/sys/fs/resctrl/c/tasks", "text": ""}),
        );
        check(
            "linux/memory-policy",
            json!(["default", "interleave:0"]),
            json!(["default"]),
        );
        check(
            "linux/net-devices/available",
            json!({"flags": "0x1003"}),
            json!({"flags": null}),
        );
        check(
            "linux/net-devices/up",
            json!({"flags": "0x1003"}),
            json!({"flags": "0x1002"}),
        );
    }
}
