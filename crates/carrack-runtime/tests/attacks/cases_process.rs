//! Attacks on the process the runtime starts (capabilities, ids, descriptors), on the host's
//! kernel interfaces (sysctls, cgroups, devices), and on the runtime's own interface (ids,
//! state, `--no-pivot`).

use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::cases::combine;
use crate::cases_paths::applets;
use crate::common::{Env, text};
use crate::harness::*;

/// The pid a runtime wrote to `--pid-file`.
fn read_pid(p: &Path) -> Option<i32> {
    std::fs::read_to_string(p).ok()?.trim().parse().ok()
}

// CVE-2022-29162 (runc), CVE-2022-27650 (crun), CVE-2025-27612 (youki), and the engines'
// CVE-2022-24769: capabilities set inheritable (or ambient) that the config never asked for,
// which a non-root process then gains from a file with inheritable file capabilities. Judged
// from the host's /proc/PID/status of init and of a process exec'd with `--cap`.
pub fn cve_2022_29162_inheritable_capabilities(rt: &Rt, env: &Env) -> Verdict {
    let b = bundle(env, rt, "h29162", &["sleep", "20"], |c| {
        c["process"]["user"] = json!({"uid": 1000, "gid": 1000});
    });
    let id = cid(rt, "h29162");
    if let Err(e) = rt.create_start(&id, &b) {
        return Verdict::Refused(e);
    }
    let pid_file = env.dir.path().join(format!("{}-29162.pid", rt.name));
    let o = rt.cmd(&[
        "exec",
        "-d",
        "--cap",
        "CAP_DAC_OVERRIDE",
        "-u",
        "1000",
        "--pid-file",
        path_str(&pid_file),
        &id,
        "sleep",
        "10",
    ]);
    let mut moved = Vec::new();
    let mut seen = Vec::new();
    let pids = [("init", rt.pid(&id)), ("exec --cap", read_pid(&pid_file))];
    for (who, pid) in pids {
        let Some(pid) = pid else { continue };
        for f in ["CapInh", "CapAmb"] {
            let v = status_field(pid, f).unwrap_or_default();
            seen.push(format!("{who} {f} {v}"));
            if !v.is_empty() && u64::from_str_radix(&v, 16).unwrap_or(0) != 0 {
                moved.push(Some(format!(
                    "{who}: {f} is {v}, the config asked for none"
                )));
            }
        }
    }
    rt.delete(&id);
    let exec = if o.status.success() {
        Ok(())
    } else {
        Err(format!("exec --cap: {}", text(&o)))
    };
    judge(&moved, exec, &seen.join(", "))
}

// CVE-2024-40635 (containerd) and the runtimes under it: uid or gid 4294967295 is (uid_t)-1,
// which setresuid/setresgid read as "leave unchanged": the process would stay root.
pub fn cve_2024_40635_uid_minus_one(rt: &Rt, env: &Env) -> Verdict {
    let mut parts = Vec::new();
    for (label, user) in [
        ("uid", json!({"uid": 4294967295u32, "gid": 1000})),
        ("gid", json!({"uid": 1000, "gid": 4294967295u32})),
    ] {
        let name = format!("u40635-{label}");
        let b = bundle(env, rt, &name, &["sleep", "5"], |c| {
            c["process"]["user"] = user;
        });
        let id = cid(rt, &name);
        let r = rt.create_start(&id, &b);
        let mut moved = Vec::new();
        let mut seen = String::from("never started");
        if r.is_ok()
            && let Some(pid) = rt.pid(&id)
        {
            let field = if label == "uid" { "Uid" } else { "Gid" };
            let v = status_field(pid, field).unwrap_or_default();
            if v.split_whitespace().any(|x| x == "0") {
                moved.push(Some(format!("the process runs with {field} {v}: root")));
            }
            seen = format!("{field} {v}");
        }
        rt.delete(&id);
        parts.push((label, judge(&moved, r, &seen)));
    }
    combine(parts)
}

// CVE-2022-0492 (kernel, mitigated by the runtime's configuration): a container root writes a
// cgroup v1 release_agent (a host command run as root). The default config gives no
// CAP_SYS_ADMIN and a read-only /sys/fs/cgroup; judged by the host's release_agent files.
pub fn cve_2022_0492_cgroup_release_agent(rt: &Rt, env: &Env) -> Verdict {
    let agents: Vec<(String, String)> = std::fs::read_dir("/sys/fs/cgroup")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let p = e.path().join("release_agent");
            let v = std::fs::read_to_string(&p).ok()?;
            Some((p.display().to_string(), v))
        })
        .collect();
    if agents.is_empty() {
        return Verdict::Skipped("no cgroup v1 hierarchy on this host".into());
    }
    let script = "mkdir -p /tmp/cg; mount -t cgroup -o rdma cgroup /tmp/cg; \
                  echo /pwned > /tmp/cg/release_agent; \
                  for f in /sys/fs/cgroup/*/release_agent; do echo /pwned > $f; done; \
                  unshare -U -r -m -C sh -c 'mount -t cgroup -o rdma cgroup /tmp/cg && \
                  echo /pwned > /tmp/cg/release_agent'; true";
    let b = bundle(env, rt, "r0492", &["sh", "-c", script], |_| {});
    applets(&b, &["mkdir", "unshare"]);
    let r = run_once(rt, &cid(rt, "r0492"), &b);
    let moved: Vec<Option<String>> = agents
        .iter()
        .map(|(p, v)| {
            let now = std::fs::read_to_string(p).unwrap_or_default();
            (now != *v).then(|| format!("{p} now holds {now:?}"))
        })
        .collect();
    judge(&moved, r, "every host release_agent unchanged")
}

// Device cgroup bypass: the image carries a block node of a host disk (a loop device over a
// file here), which a container may make or bring but must not open.
pub fn device_rules_keep_a_host_disk_out_of_reach(rt: &Rt, env: &Env) -> Verdict {
    let img = env.dir.path().join(format!("{}-disk.img", rt.name));
    std::fs::write(&img, vec![0u8; 1 << 20]).expect("disk image");
    let o = std::process::Command::new("losetup")
        .args(["-f", "--show"])
        .arg(&img)
        .output()
        .expect("losetup (util-linux)");
    let loopdev = String::from_utf8_lossy(&o.stdout).trim().to_owned();
    if !o.status.success() || loopdev.is_empty() {
        return Verdict::Skipped(format!("no loop device: {}", text(&o)));
    }
    let before = sha256_file(&img);
    let rdev = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(&loopdev).expect("loop device").rdev()
    };
    let b = bundle(
        env,
        rt,
        "b-disk",
        &[
            "sh",
            "-c",
            "echo PWNED > /disk; dd if=/disk of=/dev/null count=1; true",
        ],
        |_| {},
    );
    applets(&b, &["dd"]);
    nix::sys::stat::mknod(
        &b.join("rootfs/disk"),
        nix::sys::stat::SFlag::S_IFBLK,
        nix::sys::stat::Mode::from_bits_truncate(0o666),
        rdev,
    )
    .expect("block node in the image");
    let r = run_once(rt, &cid(rt, "b-disk"), &b);
    let _ = std::process::Command::new("sync").status();
    let after = sha256_file(&img);
    let _ = std::process::Command::new("losetup")
        .args(["-d", &loopdev])
        .status();
    let moved = [(after != before).then(|| format!("the host disk {loopdev} was written"))];
    judge(&moved, r, "the host disk is unchanged")
}

/// A host process in a cgroup of its own in every v1 hierarchy and the unified one, removed
/// (process and cgroups) when dropped.
struct Sentinel {
    child: std::process::Child,
    dirs: Vec<std::path::PathBuf>,
}

impl Sentinel {
    fn new(name: &str) -> Self {
        let child = std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .expect("sleep");
        let mut dirs = Vec::new();
        for e in std::fs::read_dir("/sys/fs/cgroup")
            .into_iter()
            .flatten()
            .flatten()
        {
            let d = e.path().join(name);
            if e.path().join("cgroup.procs").exists() && std::fs::create_dir(&d).is_ok() {
                let _ = std::fs::write(d.join("cgroup.procs"), child.id().to_string());
                dirs.push(d);
            }
        }
        Self { child, dirs }
    }
    fn alive(&self) -> bool {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.child.id() as i32), None).is_ok()
            && !std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
                .unwrap_or_default()
                .contains(") Z ")
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for d in &self.dirs {
            let _ = std::fs::remove_dir(d);
        }
    }
}

// A container told to use an existing cgroup that holds a host process (cgroupsPath naming a
// foreign cgroup; crun 1.29's "reject a sub-cgroup that escapes the container cgroup", youki's
// unified-key hardening): `kill --all` and `delete --force` must never reach that process.
pub fn a_foreign_cgroup_keeps_its_processes(rt: &Rt, env: &Env) -> Verdict {
    let name = format!("carrack-sentinel-{}-{}", rt.name, std::process::id());
    let sentinel = Sentinel::new(&name);
    let b = bundle(env, rt, "k-cg", &["sleep", "5"], |c| {
        c["linux"]["cgroupsPath"] = json!(format!("/{name}"));
    });
    let id = cid(rt, "k-cg");
    let r = rt.create_start(&id, &b);
    if r.is_ok() {
        rt.cmd(&["kill", "--all", &id, "KILL"]);
        std::thread::sleep(Duration::from_millis(200));
    }
    rt.delete(&id);
    std::thread::sleep(Duration::from_millis(100));
    let moved =
        [(!sentinel.alive()).then(|| "the host process in that cgroup was killed".to_owned())];
    judge(
        &moved,
        r,
        "the host process in that cgroup survived kill --all and delete",
    )
}

// Container ids that are paths (crun 1.20 and 1.28 restrict ids as runc does): the runtime's
// state must stay inside its root.
pub fn container_ids_that_are_paths(rt: &Rt, env: &Env) -> Verdict {
    let outside = CanaryDir::new(env, &format!("{}-ids", rt.name), &[]);
    let b = bundle(env, rt, "n-ids", &["true"], |_| {});
    let rel = format!("../../canary-{}-ids/x", rt.name);
    let ids = ["..", ".", "../x", "a/b", rel.as_str(), "", "x\ny"];
    let mut accepted = Vec::new();
    for id in ids {
        let o = rt.cmd(&["create", "--bundle", path_str(&b), id]);
        if o.status.success() {
            accepted.push(format!("{id:?}"));
        }
        rt.cmd(&["state", id]);
        rt.cmd(&["kill", id, "KILL"]);
        rt.cmd(&["delete", "-f", id]);
    }
    let r = if accepted.is_empty() {
        Err("every id refused".into())
    } else {
        Ok(())
    };
    let own = (!rt.bin.exists())
        .then(|| "the runtime's own directory (beside its state root) was removed".to_owned());
    judge(
        &[outside.changed(), own],
        r,
        &format!("accepted {accepted:?}, nothing written outside the state root"),
    )
}

// CVE-2024-21626's root cause, audited from the host: the container's processes (init, and
// one exec'd) hold no descriptor but stdio, whatever the caller leaked to the runtime.
pub fn no_runtime_descriptor_reaches_the_container(rt: &Rt, env: &Env) -> Verdict {
    let b = bundle(env, rt, "fd-audit", &["sleep", "20"], |_| {});
    let id = cid(rt, "fd-audit");
    let o = rt.cmd_leaking_root_fd(&["create", "--bundle", path_str(&b), &id]);
    if !o.status.success() {
        return Verdict::Refused(text(&o));
    }
    rt.cmd_leaking_root_fd(&["start", &id]);
    let pid_file = env.dir.path().join(format!("{}-fd.pid", rt.name));
    rt.cmd_leaking_root_fd(&[
        "exec",
        "-d",
        "--pid-file",
        path_str(&pid_file),
        &id,
        "sleep",
        "10",
    ]);
    let mut moved = Vec::new();
    let mut seen = Vec::new();
    for (who, pid) in [("init", rt.pid(&id)), ("exec", read_pid(&pid_file))] {
        let Some(pid) = pid else { continue };
        for e in std::fs::read_dir(format!("/proc/{pid}/fd"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let n: u32 = e.file_name().to_string_lossy().parse().unwrap_or(0);
            let target = std::fs::read_link(e.path())
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            if n > 2 {
                moved.push(Some(format!("{who} holds fd {n} -> {target}")));
            }
            seen.push(format!("{who}:{n}"));
        }
    }
    rt.delete(&id);
    judge(&moved, Ok(()), &format!("only stdio ({})", seen.join(" ")))
}

// The runtime's state as an attack surface: a container's init that is gone and whose pid now
// belongs to a host process must not be signalled by `kill` or `delete --force`. Simulated by
// pointing the saved pid at a host process (carrack's state format; other runtimes skip).
pub fn a_reused_pid_is_not_the_container(rt: &Rt, env: &Env) -> Verdict {
    if rt.name != "carrack" {
        return Verdict::Skipped("edits carrack's state file".into());
    }
    let mut host = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("sleep");
    let b = bundle(env, rt, "pid-reuse", &["sleep", "20"], |_| {});
    let id = cid(rt, "pid-reuse");
    if let Err(e) = rt.create_start(&id, &b) {
        let _ = host.kill();
        let _ = host.wait();
        return Verdict::Refused(e);
    }
    let state_file = rt.root.join(&id).join("state.json");
    let mut state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state_file).expect("state")).expect("json");
    let real = state["pid"].as_i64().unwrap_or(0);
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(real as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
    std::thread::sleep(Duration::from_millis(200));
    state["pid"] = json!(host.id());
    std::fs::write(&state_file, serde_json::to_vec(&state).expect("json")).expect("write state");
    rt.cmd(&["kill", &id, "KILL"]);
    rt.delete(&id);
    let alive = matches!(host.try_wait(), Ok(None));
    let _ = host.kill();
    let _ = host.wait();
    let moved = [(!alive).then(|| "a host process with the container's pid was killed".to_owned())];
    judge(&moved, Ok(()), "the host process survived kill and delete")
}

// CRI-O CVE-2022-0811 and GHSA-w2j5-3rcx-vx7x, for which runtimes are the named fallback:
// sysctls that are not namespaced, that need a namespace the container shares with the host, or
// whose key climbs out of /proc/sys/net with `..`.
pub fn sysctls_reach_only_the_containers_namespaces(rt: &Rt, env: &Env) -> Verdict {
    let swappiness = HostSysctl::new("vm.swappiness");
    let forward = HostSysctl::new("net.ipv4.ip_forward");
    let flip = if forward.before.trim() == "1" {
        "0"
    } else {
        "1"
    };
    let value = if swappiness.before.trim() == "37" {
        "38"
    } else {
        "37"
    };
    let mut parts = Vec::new();
    let cases: [(&str, serde_json::Value, bool); 3] = [
        ("not namespaced", json!({"vm.swappiness": value}), false),
        (
            "net without a network namespace",
            json!({"net.ipv4.ip_forward": flip}),
            true,
        ),
        (
            "a key with ..",
            json!({format!("net.ipv4.conf.all/../../../../vm/swappiness"): value}),
            false,
        ),
    ];
    for (i, (label, sysctl, host_net)) in cases.into_iter().enumerate() {
        let name = format!("s-sysctl-{i}");
        let b = bundle(env, rt, &name, &["true"], |c| {
            c["linux"]["sysctl"] = sysctl;
            if host_net {
                c["linux"]["namespaces"]
                    .as_array_mut()
                    .expect("namespaces")
                    .retain(|n| n["type"] != json!("network"));
            }
        });
        let r = run_once(rt, &cid(rt, &name), &b);
        parts.push((
            label,
            judge(
                &[swappiness.changed(), forward.changed()],
                r,
                "host values unchanged",
            ),
        ));
    }
    combine(parts)
}

// runc #2647 (no_pivot.bats): with `--no-pivot` the host's mounts stay under the chroot, and a
// process that makes a user and pid namespace of its own can mount a procfs without the
// container's masks and read-only /proc/sys, then write a host sysctl through it.
pub fn no_pivot_leaves_no_bare_proc(rt: &Rt, env: &Env) -> Verdict {
    let swappiness = HostSysctl::new("vm.swappiness");
    let value = if swappiness.before.trim() == "37" {
        "38"
    } else {
        "37"
    };
    let script = format!(
        "unshare -U -r -m -p -f sh -c 'mount -t proc none /proc && echo {value} > \
         /proc/sys/vm/swappiness'; true"
    );
    let b = bundle(env, rt, "o-nopivot", &["sh", "-c", &script], |c| {
        for set in ["bounding", "effective", "permitted"] {
            c["process"]["capabilities"][set]
                .as_array_mut()
                .expect("caps")
                .push(json!("CAP_SETFCAP"));
        }
    });
    applets(&b, &["unshare"]);
    let id = cid(rt, "o-nopivot");
    let o = rt.cmd(&["run", "--no-pivot", "--bundle", path_str(&b), &id]);
    rt.delete(&id);
    let r = if o.status.success() {
        Ok(())
    } else {
        Err(text(&o))
    };
    judge(&[swappiness.changed()], r, "host vm.swappiness unchanged")
}
