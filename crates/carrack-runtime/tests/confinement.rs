//! Confinement proven from inside: the static probe (crates/carrack-probe) runs in the
//! container and reports what it sees — seccomp mode and the filter's effect, capability sets,
//! rlimits, namespaces, mounts, cgroup limits, credentials — and each test compares that with
//! the config. LSM labels are checked against what the host offers.
#![cfg(target_os = "linux")]

use std::os::fd::AsRawFd;
use std::os::unix::net::UnixListener;

use serde_json::{Value, json};

mod common;
use common::{Env, accept_one_fd, state, text};

fn sys(v: &Value) -> (i64, i64) {
    (
        v["ret"].as_i64().expect("ret"),
        v["errno"].as_i64().expect("errno"),
    )
}

fn filter() -> Value {
    json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [
            // Plain errno.
            {"names": ["getcwd", "no_such_syscall_in_any_table"], "action": "SCMP_ACT_ERRNO", "errnoRet": 33},
            // One condition: getpriority(PRIO_PGRP, ..) only.
            {"names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
             "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
            // Masked: umask with all of 0o700 set.
            {"names": ["umask"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22,
             "args": [{"index": 0, "value": 0o700, "valueTwo": 0o700, "op": "SCMP_CMP_MASKED_EQ"}]},
            // Two conditions on distinct arguments are ANDed: setpriority(PRIO_USER, 0, ..).
            {"names": ["setpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
             "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"},
                      {"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]},
            // The same action as the default: skipped, as runc does.
            {"names": ["getpid"], "action": "SCMP_ACT_ALLOW"},
            // Kill the process.
            {"names": ["syslog"], "action": "SCMP_ACT_KILL_PROCESS"}
        ]
    })
}

/// The filter as the probe meets it: syscalls denied with the configured errno, conditions
/// matched, unknown names skipped, the rest allowed; `Seccomp: 2` in /proc/self/status. With
/// and without no_new_privs (loaded at different points), and in an exec'd process.
#[test]
#[ignore = "needs root: runs containers and probes their confinement from inside"]
fn seccomp_filters_syscalls_as_configured() {
    let env = Env::new();
    for nnp in [true, false] {
        let tweak = |c: &mut Value| {
            c["linux"]["seccomp"] = filter();
            c["process"]["noNewPrivileges"] = json!(nnp);
        };
        let name = format!("sc{nnp}");
        let r = env.probe_run(&format!("{name}r"), &["report"], tweak);
        assert_eq!(r["status"]["Seccomp"], "2", "{r}");
        assert_eq!(r["status"]["Seccomp_filters"], "1", "{r}");
        assert_eq!(r["status"]["NoNewPrivs"], if nnp { "1" } else { "0" });
        let call = |id: &str, args: &[&str]| {
            let mut a = vec!["syscall"];
            a.extend_from_slice(args);
            sys(&env.probe_run(&format!("{name}{id}"), &a, tweak))
        };
        let nr = |n: libc::c_long| n.to_string();
        assert_eq!(call("a", &[&nr(libc::SYS_getcwd), "0", "0"]), (-1, 33));
        assert_eq!(call("b", &[&nr(libc::SYS_getpriority), "1", "0"]), (-1, 13));
        assert_ne!(call("c", &[&nr(libc::SYS_getpriority), "0", "0"]).1, 13);
        assert_eq!(call("e", &[&nr(libc::SYS_umask), "511"]), (-1, 22)); // 0o777
        assert_eq!(call("f", &[&nr(libc::SYS_umask), "18"]).1, 0); // 0o022
        assert_eq!(
            call("g", &[&nr(libc::SYS_setpriority), "2", "0", "0"]),
            (-1, 1)
        );
        assert_ne!(call("h", &[&nr(libc::SYS_setpriority), "2", "1", "0"]).1, 1);
        assert!(call("i", &[&nr(libc::SYS_getpid)]).0 > 0);
        // Killed by SIGSYS: 128 + 31.
        let b = env.probe_bundle(
            &format!("{name}k"),
            &["/probe", "syscall", &nr(libc::SYS_syslog), "3", "0", "0"],
            tweak,
        );
        let o = env.run(&format!("{name}k"), &b);
        assert_eq!(o.status.code(), Some(159), "{}", text(&o));
    }
    // `exec` puts its process under the container's filter too.
    let b = env.probe_bundle("scx", &["/probe", "sleep", "60"], |c| {
        c["linux"]["seccomp"] = filter();
    });
    let o = env.carrack_leaving(&["run", "-d", "--bundle", b.to_str().expect("utf-8"), "scx"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = env.carrack(&[
        "exec",
        "scx",
        "/probe",
        "syscall",
        &libc::SYS_getcwd.to_string(),
        "0",
        "0",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(sys(&v), (-1, 33));
    let o = env.carrack(&["delete", "-f", "scx"]);
    assert!(o.status.success(), "{}", text(&o));
}

/// Profiles the runtime cannot honour fail `create` with the JSON path and the spec section.
#[test]
#[ignore = "needs root: runs containers and probes their confinement from inside"]
fn seccomp_errors_name_the_json_path() {
    let env = Env::new();
    let cases: [(Value, &str); 5] = [
        (
            json!({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                {"names": ["getcwd"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}]}),
            "/linux/seccomp/syscalls/0/errnoRet",
        ),
        (
            json!({"defaultAction": "SCMP_ACT_KILL", "defaultErrnoRet": 5}),
            "/linux/seccomp/defaultErrnoRet",
        ),
        (
            json!({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_PDP11"]}),
            "/linux/seccomp/architectures/0",
        ),
        (
            json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                {"names": ["getcwd"], "action": "SCMP_ACT_NOTIFY"}]}),
            "listenerPath",
        ),
        (
            json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                {"names": ["read"], "action": "SCMP_ACT_ERRNO",
                 "args": [{"index": 6, "value": 0, "op": "SCMP_CMP_EQ"}]}]}),
            "/linux/seccomp/syscalls/0/args/0",
        ),
    ];
    for (i, (profile, needle)) in cases.into_iter().enumerate() {
        let b = env.bundle(&format!("bad{i}"), &["true"], |c| {
            c["linux"]["seccomp"] = profile
        });
        let o = env.run(&format!("bad{i}"), &b);
        assert!(!o.status.success(), "case {i} ran");
        let t = text(&o);
        assert!(t.contains(needle), "case {i}: {t}");
        assert!(!t.contains("panicked"), "{t}");
        assert_eq!(
            std::fs::read_dir(env.root()).expect("root").count(),
            0,
            "case {i} left state"
        );
    }
}

/// `SCMP_ACT_NOTIFY`: the agent on listenerPath gets the container process state (config-linux.md
/// § The Container Process State) with the notify fd, and its answers are what the process sees.
#[test]
#[ignore = "needs root: runs containers and probes their confinement from inside"]
fn seccomp_notify_hands_the_fd_to_the_listener() {
    let env = Env::new();
    let sock = env.dir.path().join("agent.sock");
    let listener = UnixListener::bind(&sock).expect("bind");
    let agent = std::thread::spawn(move || {
        let (payload, fd) = accept_one_fd(&listener);
        let state: Value = serde_json::from_slice(&payload).expect("state json");
        let req = libseccomp::ScmpNotifReq::receive(fd.as_raw_fd()).expect("notification");
        let answer = libseccomp::ScmpNotifResp::new_val(
            req.id,
            4242,
            libseccomp::ScmpNotifRespFlags::empty(),
        );
        answer.respond(fd.as_raw_fd()).expect("respond");
        (state, req.data.syscall.get_name().unwrap_or_default())
    });
    let sockpath = sock.to_str().expect("utf-8").to_owned();
    let v = env.probe_run(
        "nt",
        &["syscall", &libc::SYS_getpriority.to_string(), "0", "0"],
        |c| {
            c["linux"]["seccomp"] = json!({
                "defaultAction": "SCMP_ACT_ALLOW",
                "listenerPath": sockpath,
                "listenerMetadata": "probe-agent",
                "syscalls": [{"names": ["getpriority"], "action": "SCMP_ACT_NOTIFY"}]
            });
        },
    );
    assert_eq!(
        sys(&v),
        (4242, 0),
        "the agent's answer is the syscall's result"
    );
    let (state, name) = agent.join().expect("agent");
    assert_eq!(name, "getpriority");
    assert_eq!(state["fds"], json!(["seccompFd"]), "{state}");
    assert_eq!(state["metadata"], "probe-agent");
    assert_eq!(state["state"]["id"], "nt");
    assert_eq!(state["state"]["status"], "creating");
    assert!(state["pid"].as_i64().is_some_and(|p| p > 1), "{state}");
    assert!(state["ociVersion"].is_string());
}

fn cap_mask(names: &[&str]) -> u64 {
    names.iter().fold(0, |m, n| {
        m | 1 << carrack_linux::capability_number(n).expect("known capability")
    })
}

fn hex(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().expect("hex"), 16).expect("hex")
}

/// Credentials, capability sets, rlimits, namespaces, mounts, hostname, cwd, umask and
/// oom_score_adj, as the process inside sees them, against the config.
#[test]
#[ignore = "needs root: runs containers and probes their confinement from inside"]
fn the_probe_sees_what_the_config_says() {
    let env = Env::new();
    let host_ns: Vec<String> = ["ipc", "mnt", "net", "pid", "uts", "cgroup"]
        .iter()
        .map(|n| {
            std::fs::read_link(format!("/proc/self/ns/{n}"))
                .expect("ns")
                .display()
                .to_string()
        })
        .collect();
    let r = env.probe_run("world", &["report"], |c| {
        c["process"]["user"] =
            json!({"uid": 1234, "gid": 567, "additionalGids": [8, 9], "umask": 0o027});
        c["process"]["capabilities"] = json!({
            "bounding": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_KILL"],
            "effective": ["CAP_NET_BIND_SERVICE"],
            "permitted": ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
            "inheritable": ["CAP_NET_BIND_SERVICE"],
            "ambient": ["CAP_NET_BIND_SERVICE"]
        });
        c["process"]["rlimits"] = json!([
            {"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654},
            {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}
        ]);
        c["process"]["cwd"] = json!("/tmp");
        c["process"]["oomScoreAdj"] = json!(123);
        c["process"]["env"] = json!(["PATH=/bin", "PROBE=1"]);
        c["hostname"] = json!("probe-host");
        c["linux"]["namespaces"] = json!([
            {"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"},
            {"type": "network"}, {"type": "cgroup"}
        ]);
        c["mounts"].as_array_mut().expect("mounts").push(json!({
            "destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
            "options": ["nosuid", "nodev", "size=1m"]
        }));
    });
    let st = &r["status"];
    assert_eq!(st["Uid"], "1234\t1234\t1234\t1234", "{st}");
    assert_eq!(st["Gid"], "567\t567\t567\t567");
    assert_eq!(st["Groups"], "8 9");
    assert_eq!(st["Umask"], "0027");
    assert_eq!(
        hex(&st["CapBnd"]),
        cap_mask(&["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_KILL"])
    );
    // A non-root user keeps across execve only what is ambient (capabilities(7)): CAP_KILL,
    // permitted but not ambient, is gone; nothing was added that the config did not list.
    let nbs = cap_mask(&["CAP_NET_BIND_SERVICE"]);
    assert_eq!(hex(&st["CapEff"]), nbs);
    assert_eq!(hex(&st["CapPrm"]), nbs);
    assert_eq!(hex(&st["CapInh"]), nbs);
    assert_eq!(hex(&st["CapAmb"]), nbs);
    assert_eq!(
        r["rlimits"]["RLIMIT_NOFILE"],
        json!({"soft": 321, "hard": 654})
    );
    assert_eq!(r["rlimits"]["RLIMIT_CORE"], json!({"soft": 0, "hard": 0}));
    assert_eq!(r["hostname"], "probe-host\n");
    assert_eq!(r["cwd"], "/tmp");
    assert_eq!(r["oom_score_adj"], "123\n");
    // HOME, which the config does not set, from the rootfs's /etc/passwd (none: `/`), as runc.
    assert_eq!(r["env"], json!(["PATH=/bin", "PROBE=1", "HOME=/"]));
    assert_eq!(
        r["fds"],
        json!(["0", "1", "2", "3"]),
        "stdio and read_dir's own fd only"
    );
    for (i, n) in ["ipc", "mnt", "net", "pid", "uts", "cgroup"]
        .iter()
        .enumerate()
    {
        let inside = r["namespaces"][n].as_str().expect("ns");
        assert_ne!(inside, host_ns[i], "{n} namespace is new");
    }
    let mounts = r["mounts"].as_array().expect("mounts");
    let at = |t: &str| {
        mounts
            .iter()
            .find(|m| m["target"] == t)
            .unwrap_or_else(|| panic!("no mount at {t}: {mounts:?}"))
    };
    assert_eq!(at("/proc")["type"], "proc");
    assert_eq!(at("/dev/pts")["type"], "devpts");
    assert_eq!(at("/dev/shm")["type"], "tmpfs");
    assert_eq!(at("/dev/mqueue")["type"], "mqueue");
    assert_eq!(at("/sys")["type"], "sysfs");
    assert!(
        at("/sys")["options"]
            .as_str()
            .expect("opts")
            .starts_with("ro")
    );
    let tmp = at("/tmp");
    assert_eq!(tmp["type"], "tmpfs");
    assert!(tmp["options"].as_str().expect("o").contains("nosuid"));
    assert!(
        tmp["super"].as_str().expect("s").contains("size=1024k"),
        "{tmp}"
    );
    // Masked and read-only paths from `carrack spec`.
    assert!(
        mounts
            .iter()
            .any(|m| m["target"] == "/proc/kcore" || m["target"] == "/proc/keys")
    );
    assert!(
        at("/proc/sys")["options"]
            .as_str()
            .expect("o")
            .starts_with("ro")
    );
}

/// Memory, pids and cpu limits as the process reads them through its own cgroup mount.
#[test]
#[ignore = "needs root: runs containers and probes their confinement from inside"]
fn cgroup_limits_are_seen_from_inside() {
    let env = Env::new();
    let v2 = std::fs::read_to_string("/proc/self/mountinfo")
        .expect("mountinfo")
        .lines()
        .any(|l| l.contains(" /sys/fs/cgroup ") && l.contains(" - cgroup2 "));
    let files: &[&str] = if v2 {
        &[
            "/sys/fs/cgroup/memory.max",
            "/sys/fs/cgroup/pids.max",
            "/sys/fs/cgroup/cpu.weight",
        ]
    } else {
        &[
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/pids/pids.max",
            "/sys/fs/cgroup/cpu/cpu.shares",
        ]
    };
    let mut args = vec!["read", "/proc/self/cgroup", "/sys/fs/cgroup"];
    args.extend_from_slice(files);
    let v1_files = [
        "/sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes",
        "/sys/fs/cgroup/memory/memory.soft_limit_in_bytes",
        "/sys/fs/cgroup/memory/memory.swappiness",
        "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes",
        "/sys/fs/cgroup/memory/memory.oom_control",
        "/sys/fs/cgroup/memory/memory.use_hierarchy",
        "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
        "/sys/fs/cgroup/cpu/cpu.cfs_period_us",
        "/sys/fs/cgroup/cpu/cpu.cfs_burst_us",
        "/sys/fs/cgroup/cpu/cpu.idle",
        "/sys/fs/cgroup/cpuset/cpuset.cpus",
        "/sys/fs/cgroup/cpuset/cpuset.mems",
    ];
    if !v2 {
        args.extend(v1_files);
    }
    let r = env.probe_run("cg", &args, |c| {
        c["linux"]["resources"] = json!({
            "memory": if v2 {
                json!({"limit": 64 * 1024 * 1024, "reservation": 32 * 1024 * 1024})
            } else {
                json!({"limit": 64 * 1024 * 1024, "reservation": 32 * 1024 * 1024,
                       "kernelTCP": 16 * 1024 * 1024, "swappiness": 10,
                       "swap": 96 * 1024 * 1024, "disableOOMKiller": true,
                       "useHierarchy": true})
            },
            "pids": {"limit": 42},
            "cpu": if v2 {
                json!({"shares": 512})
            } else {
                json!({"shares": 512, "quota": 50000, "period": 100000, "burst": 1000,
                       "idle": 0, "cpus": "0", "mems": "0"})
            }
        });
    });
    // A cgroup namespace rooted at the container's own cgroups.
    let own = r["/proc/self/cgroup"].as_str().expect("cgroup");
    assert!(own.lines().all(|l| l.ends_with(":/")), "{own}");
    assert_eq!(r[files[0]], "67108864\n", "{r}");
    assert_eq!(r[files[1]], "42\n", "{r}");
    if !v2 {
        assert_eq!(r[files[2]], "512\n", "{r}");
        assert_eq!(
            r["/sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes"],
            "16777216\n"
        );
        assert_eq!(
            r["/sys/fs/cgroup/memory/memory.soft_limit_in_bytes"],
            "33554432\n"
        );
        assert_eq!(r["/sys/fs/cgroup/memory/memory.swappiness"], "10\n");
        assert_eq!(
            r["/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"],
            "100663296\n"
        );
        let oom = r["/sys/fs/cgroup/memory/memory.oom_control"]
            .as_str()
            .expect("oom");
        assert!(oom.contains("oom_kill_disable 1"), "{oom}");
        assert_eq!(r["/sys/fs/cgroup/memory/memory.use_hierarchy"], "1\n");
        assert_eq!(r["/sys/fs/cgroup/cpu/cpu.cfs_quota_us"], "50000\n");
        assert_eq!(r["/sys/fs/cgroup/cpu/cpu.cfs_period_us"], "100000\n");
        assert_eq!(r["/sys/fs/cgroup/cpu/cpu.cfs_burst_us"], "1000\n");
        // idle 1 would turn the group SCHED_IDLE (the kernel then reports shares 3).
        assert_eq!(r["/sys/fs/cgroup/cpu/cpu.idle"], "0\n");
        assert_eq!(r["/sys/fs/cgroup/cpuset/cpuset.cpus"], "0\n");
        assert_eq!(r["/sys/fs/cgroup/cpuset/cpuset.mems"], "0\n");
    }
}

/// AppArmor and SELinux: where the host lacks the LSM a label is an error naming the field;
/// where it has it, the process runs under that label.
#[test]
#[ignore = "needs root: runs containers and probes their confinement from inside"]
fn lsm_labels_are_applied_or_refused() {
    let env = Env::new();
    let apparmor = std::fs::read_to_string("/sys/module/apparmor/parameters/enabled")
        .is_ok_and(|s| s.trim() == "Y");
    let selinux = std::path::Path::new("/sys/fs/selinux/enforce").exists();
    let b = env.probe_bundle("aa", &["/probe", "read", "/proc/self/attr/current"], |c| {
        c["process"]["apparmorProfile"] = json!("unconfined");
    });
    let o = env.run("aa", &b);
    if apparmor {
        assert!(o.status.success(), "{}", text(&o));
    } else {
        assert!(!o.status.success());
        assert!(
            text(&o).contains("/process/apparmorProfile"),
            "{}",
            text(&o)
        );
        assert!(text(&o).contains("AppArmor is not enabled"), "{}", text(&o));
    }
    for (field, key, value) in [
        (
            "/process/selinuxLabel",
            "process",
            "system_u:system_r:container_t:s0",
        ),
        (
            "/linux/mountLabel",
            "linux",
            "system_u:object_r:container_file_t:s0",
        ),
    ] {
        let id = if key == "process" { "se" } else { "ml" };
        let b = env.probe_bundle(id, &["/probe", "report"], |c| {
            let k = if key == "process" {
                "selinuxLabel"
            } else {
                "mountLabel"
            };
            c[key][k] = json!(value);
        });
        let o = env.run(id, &b);
        if selinux {
            assert!(o.status.success(), "{}", text(&o));
        } else {
            assert!(!o.status.success());
            assert!(text(&o).contains(field), "{}", text(&o));
            assert!(text(&o).contains("SELinux is not enabled"), "{}", text(&o));
        }
    }
}

/// A process that outgrows `memory.limit` is OOM-killed, and `carrack events` (streaming)
/// reports it as runc does: `{"type":"oom","id":...}`.
#[test]
#[ignore = "needs root: runs containers and probes their confinement from inside"]
fn oom_kills_are_reported_by_events() {
    let env = Env::new();
    let b = env.probe_bundle("oom", &["/probe", "sleep", "60"], |c| {
        c["linux"]["resources"] = json!({"memory": {"limit": 32 * 1024 * 1024}});
    });
    let o = env.carrack_leaving(&["run", "-d", "--bundle", b.to_str().expect("utf-8"), "oom"]);
    assert!(o.status.success(), "{}", text(&o));
    let log = env.dir.path().join("events.out");
    let mut events = std::process::Command::new(env!("CARGO_BIN_EXE_carrack"))
        .arg("--root")
        .arg(env.root())
        .args(["events", "--interval", "30s", "oom"])
        .stdout(std::fs::File::create(&log).expect("log"))
        .spawn()
        .expect("events");
    // The first stats line shows the stream is up before the allocation starts.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("\"stats\"")
    {
        assert!(std::time::Instant::now() < deadline, "no stats line");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let o = env.carrack(&["exec", "oom", "/probe", "alloc", "256"]);
    assert_eq!(
        o.status.code(),
        Some(137),
        "killed by SIGKILL: {}",
        text(&o)
    );
    let mut seen = String::new();
    while std::time::Instant::now() < deadline {
        seen = std::fs::read_to_string(&log).unwrap_or_default();
        if seen.contains(r#""type":"oom""#) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = events.kill();
    let _ = events.wait();
    let oom: Vec<Value> = seen
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "oom")
        .collect();
    assert_eq!(oom.len(), 1, "{seen}");
    assert_eq!(oom[0], json!({"type": "oom", "id": "oom"}));
    let o = env.carrack(&["delete", "-f", "oom"]);
    assert!(o.status.success(), "{}", text(&o));
}

/// The first block device of the host, as `major:minor`.
fn a_block_device() -> (i64, i64) {
    for e in std::fs::read_dir("/sys/block")
        .expect("/sys/block")
        .flatten()
    {
        let Ok(dev) = std::fs::read_to_string(e.path().join("dev")) else {
            continue;
        };
        if e.file_name().to_string_lossy().starts_with("loop") {
            continue;
        }
        if let Some((a, b)) = dev.trim().split_once(':') {
            return (a.parse().expect("major"), b.parse().expect("minor"));
        }
    }
    panic!("no block device");
}

/// blockIO (weight and throttles) and hugepage limits, read back from inside through the
/// container's own cgroup mount; on this hybrid host hugetlb lives on the cgroup2 hierarchy.
#[test]
#[ignore = "needs root: runs containers and probes their confinement from inside"]
fn block_io_and_hugepage_limits_are_seen_from_inside() {
    let env = Env::new();
    let (major, minor) = a_block_device();
    let dev = format!("{major}:{minor}");
    let v2 = std::fs::read_to_string("/proc/self/mountinfo")
        .expect("mountinfo")
        .lines()
        .any(|l| l.contains(" /sys/fs/cgroup ") && l.contains(" - cgroup2 "));
    let (throttle, huge) = if v2 {
        ("/sys/fs/cgroup/io.max", "/sys/fs/cgroup/hugetlb.2MB.max")
    } else {
        (
            "/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device",
            if std::path::Path::new("/sys/fs/cgroup/hugetlb").exists() {
                "/sys/fs/cgroup/hugetlb/hugetlb.2MB.limit_in_bytes"
            } else {
                "/sys/fs/cgroup/unified/hugetlb.2MB.max"
            },
        )
    };
    let r = env.probe_run("bio", &["read", throttle, huge], |c| {
        c["linux"]["resources"] = json!({
            "blockIO": {
                "weight": 300,
                "throttleReadBpsDevice": [{"major": major, "minor": minor, "rate": 1048576}],
                "throttleWriteIOPSDevice": [{"major": major, "minor": minor, "rate": 100}]
            },
            "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]
        });
    });
    let t = r[throttle].as_str().unwrap_or_else(|| panic!("{r}"));
    if v2 {
        assert!(t.contains(&format!("{dev} rbps=1048576")), "{t}");
        assert!(t.contains("wiops=100"), "{t}");
    } else {
        assert_eq!(t, format!("{dev} 1048576\n"));
    }
    assert_eq!(r[huge], "4194304\n", "{r}");
}

/// Resources whose controller this host lacks fail `create` naming the field, never ignored.
#[test]
#[ignore = "needs root: runs containers and probes their confinement from inside"]
fn resources_the_host_cannot_honour_are_errors() {
    let env = Env::new();
    let have = |c: &str| std::path::Path::new("/sys/fs/cgroup").join(c).exists();
    let mut cases = vec![(
        json!({"hugepageLimits": [{"pageSize": "3MB", "limit": 1}]}),
        "hugepageLimits[0]",
    )];
    if !have("net_cls") && !have("net_cls,net_prio") {
        cases.push((json!({"network": {"classID": 1048577}}), "network.classID"));
    }
    if !have("rdma") {
        cases.push((
            json!({"rdma": {"mlx5_0": {"hcaHandles": 3}}}),
            "rdma.mlx5_0",
        ));
    }
    for (i, (res, field)) in cases.into_iter().enumerate() {
        let b = env.bundle(&format!("no{i}"), &["true"], |c| {
            c["linux"]["resources"] = res
        });
        let o = env.run(&format!("no{i}"), &b);
        assert!(!o.status.success(), "case {i} ran");
        assert!(text(&o).contains(field), "case {i}: {}", text(&o));
        assert_eq!(std::fs::read_dir(env.root()).expect("root").count(), 0);
    }
}

/// Each container joins a session keyring of its own (`_ses.<id>`, as runc), unless
/// `--no-new-keyring`; a pidfd of init and of an exec'd process goes to `--pidfd-socket`;
/// `exec --apparmor/--process-label` reach the LSM checks.
#[test]
#[ignore = "needs root: runs containers and probes their confinement from inside"]
fn keyring_pidfd_socket_and_exec_labels() {
    let env = Env::new();
    let b = env.probe_bundle("k1", &["/probe", "keyring"], |_| {});
    let o = env.run("k1", &b);
    assert!(o.status.success(), "{}", text(&o));
    let desc = String::from_utf8_lossy(&o.stdout).trim().to_owned();
    assert!(
        desc.starts_with("keyring;") && desc.ends_with(";_ses.k1"),
        "{desc}"
    );
    let o = env.carrack(&[
        "run",
        "--no-new-keyring",
        "--bundle",
        b.to_str().expect("utf-8"),
        "k2",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let desc = String::from_utf8_lossy(&o.stdout).trim().to_owned();
    assert!(
        !desc.ends_with("_ses.k2"),
        "the caller's keyring is kept: {desc}"
    );

    // --pidfd-socket on create and on exec.
    let sock = env.dir.path().join("pidfd.sock");
    let listener = UnixListener::bind(&sock).expect("bind");
    let receive = move || {
        let (payload, fd) = accept_one_fd(&listener);
        assert_eq!(payload, b"pidfd");
        let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", fd.as_raw_fd()))
            .expect("fdinfo");
        info.lines()
            .find_map(|l| l.strip_prefix("Pid:"))
            .and_then(|p| p.trim().parse::<u64>().ok())
            .expect("a pidfd names its process")
    };
    let s = sock.to_str().expect("utf-8").to_owned();
    let b = env.probe_bundle("pf", &["/probe", "sleep", "60"], |_| {});
    let creator = {
        let s = s.clone();
        let b = b.clone();
        let root = env.root();
        std::thread::spawn(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_carrack"))
                .arg("--root")
                .arg(root)
                .args(["create", "--pidfd-socket", &s, "--bundle"])
                .arg(&b)
                .arg("pf")
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .expect("create")
        })
    };
    let init = receive();
    assert!(creator.join().expect("create").success());
    let st = common::state(&env, "pf");
    assert_eq!(st["pid"].as_u64(), Some(init), "the pidfd is init's");
    let o = env.carrack(&["start", "pf"]);
    assert!(o.status.success(), "{}", text(&o));
    let exec = {
        let s = s.clone();
        let root = env.root();
        std::thread::spawn(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_carrack"))
                .arg("--root")
                .arg(root)
                .args([
                    "exec",
                    "--pidfd-socket",
                    &s,
                    "pf",
                    // Alive long enough for its pidfd to still name it (fdinfo says -1
                    // once the process is gone).
                    "/probe",
                    "sleep",
                    "2",
                ])
                .output()
                .expect("exec")
        })
    };
    let exec_pid = receive();
    let o = exec.join().expect("exec");
    assert!(o.status.success(), "{}", text(&o));
    assert!(exec_pid > 0 && exec_pid != init);

    // exec's label flags go through the same LSM checks as the config's.
    let o = env.carrack(&["exec", "--apparmor", "unconfined", "pf", "/probe", "report"]);
    let apparmor = std::fs::read_to_string("/sys/module/apparmor/parameters/enabled")
        .is_ok_and(|s| s.trim() == "Y");
    assert_eq!(o.status.success(), apparmor, "{}", text(&o));
    if !apparmor {
        assert!(text(&o).contains("AppArmor is not enabled"), "{}", text(&o));
    }
    let o = env.carrack(&["delete", "-f", "pf"]);
    assert!(o.status.success(), "{}", text(&o));
}

/// `update` with `checkBeforeUpdate` refuses a memory limit below what the container uses,
/// and leaves the old limit in place; without it the same kind of update goes through.
#[test]
#[ignore = "needs root: runs containers and probes their confinement from inside"]
fn check_before_update_refuses_a_limit_below_usage() {
    let env = Env::new();
    let b = env.probe_bundle("cbu", &["/probe", "sleep", "60"], |c| {
        c["linux"]["resources"] = json!({"memory": {"limit": 64 * 1024 * 1024}});
    });
    let o = env.carrack_leaving(&["run", "-d", "--bundle", b.to_str().expect("utf-8"), "cbu"]);
    assert!(o.status.success(), "{}", text(&o));
    let low = env.dir.path().join("low.json");
    std::fs::write(
        &low,
        r#"{"memory": {"limit": 4096, "checkBeforeUpdate": true}}"#,
    )
    .expect("w");
    let o = env.carrack(&["update", "--resources", low.to_str().expect("utf-8"), "cbu"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("below the current usage"), "{}", text(&o));
    let ok = env.dir.path().join("ok.json");
    std::fs::write(
        &ok,
        r#"{"memory": {"limit": 50331648, "checkBeforeUpdate": true}}"#,
    )
    .expect("w");
    let o = env.carrack(&["update", "--resources", ok.to_str().expect("utf-8"), "cbu"]);
    assert!(o.status.success(), "{}", text(&o));
    let ev: Value =
        serde_json::from_slice(&env.carrack(&["events", "--stats", "cbu"]).stdout).expect("json");
    assert_eq!(ev["data"]["memory"]["usage"]["limit"], 50331648);
    assert!(env.carrack(&["delete", "-f", "cbu"]).status.success());
}

/// Filter flags reach seccomp(2): TSYNC, LOG and SPEC_ALLOW load; WAIT_KILLABLE_RECV loads
/// where libseccomp and the kernel know it and is otherwise an error naming the flag.
#[test]
#[ignore = "needs root: runs containers and probes their confinement from inside"]
fn seccomp_flags_are_applied_or_refused_by_name() {
    let env = Env::new();
    let r = env.probe_run("fl", &["report"], |c| {
        c["linux"]["seccomp"] = json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "flags": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                      "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
            "syscalls": [{"names": ["getpriority"], "action": "SCMP_ACT_ERRNO"}]
        });
    });
    assert_eq!(r["status"]["Seccomp"], "2");
    let b = env.probe_bundle("wk", &["/probe", "report"], |c| {
        c["linux"]["seccomp"] = json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
            "syscalls": [{"names": ["getpriority"], "action": "SCMP_ACT_ERRNO"}]
        });
    });
    let o = env.run("wk", &b);
    let features: Value =
        serde_json::from_slice(&env.carrack(&["features"]).stdout).expect("features");
    let supported = features["linux"]["seccomp"]["supportedFlags"]
        .as_array()
        .expect("flags")
        .iter()
        .any(|f| f == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
    assert_eq!(o.status.success(), supported, "{}", text(&o));
    if !supported {
        assert!(text(&o).contains("/linux/seccomp/flags/0"), "{}", text(&o));
        assert!(text(&o).contains("WAIT_KILLABLE_RECV"), "{}", text(&o));
    }
}

/// The user namespace that owns the namespace at `path` (ioctl_ns(2) NS_GET_USERNS), as its
/// inode number.
fn owning_user_namespace(path: &str) -> u64 {
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::unix::fs::MetadataExt;
    let ns = std::fs::File::open(path).expect("namespace file");
    const NS_GET_USERNS: libc::c_ulong = 0xb701;
    #[allow(unsafe_code)]
    // SAFETY: NS_GET_USERNS takes no argument and returns a new fd or -1.
    let fd = unsafe { libc::ioctl(ns.as_raw_fd(), NS_GET_USERNS) };
    assert!(fd >= 0, "NS_GET_USERNS on {path}");
    #[allow(unsafe_code)]
    // SAFETY: `fd` was just returned by the kernel and is owned by nobody else.
    let owner = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    owner.metadata().expect("fstat").ino()
}

/// A pod as CRI-O and podman make one: a second container joins the first one's user, network,
/// ipc and uts namespaces by path and makes its own mount and pid namespaces, which then belong
/// to the joined user namespace (runtime.md § namespaces; config-linux.md § Namespaces). A pid
/// namespace can be owned so only if made after the join: init is then cloned in a second step.
#[test]
#[ignore = "needs root: runs containers and probes their confinement from inside"]
fn a_container_joins_a_pods_namespaces_by_path() {
    use std::os::unix::fs::MetadataExt;
    let env = Env::new();
    let ns = |pid: u64, n: &str| {
        std::fs::read_link(format!("/proc/{pid}/ns/{n}"))
            .expect("ns")
            .display()
            .to_string()
    };
    let pod = env.bundle("pod", &["sleep", "100"], |c| {
        c["hostname"] = json!("the-pod");
        c["linux"]["namespaces"] = json!([
            {"type": "pid"}, {"type": "mount"}, {"type": "network"}, {"type": "ipc"},
            {"type": "uts"}, {"type": "user"}
        ]);
        c["linux"]["uidMappings"] = json!([{"containerID": 0, "hostID": 0, "size": 65536}]);
        c["linux"]["gidMappings"] = json!([{"containerID": 0, "hostID": 0, "size": 65536}]);
    });
    let o = env.carrack_leaving(&["create", "--bundle", pod.to_str().expect("utf-8"), "pod"]);
    assert!(o.status.success(), "{}", text(&o));
    // Created, not started: its init is not dumpable, so its /proc/PID/ns files can be opened
    // only with the host's privileges, before the member joins anything.
    let p = state(&env, "pod")["pid"].as_u64().expect("pid");
    let member = env.bundle(
        "member",
        &["sh", "-c", "hostname; cat /proc/self/uid_map; echo $$"],
        |c| {
            c.as_object_mut().expect("config").remove("hostname");
            c["linux"]["namespaces"] = json!([
                {"type": "pid"}, {"type": "mount"},
                {"type": "network", "path": format!("/proc/{p}/ns/net")},
                {"type": "ipc", "path": format!("/proc/{p}/ns/ipc")},
                {"type": "uts", "path": format!("/proc/{p}/ns/uts")},
                {"type": "user", "path": format!("/proc/{p}/ns/user")}
            ]);
        },
    );
    let o = env.carrack_leaving(&["create", "--bundle", member.to_str().expect("utf-8"), "m"]);
    assert!(o.status.success(), "{}", text(&o));
    let m = state(&env, "m")["pid"].as_u64().expect("pid");
    for n in ["net", "ipc", "uts", "user"] {
        assert_eq!(ns(m, n), ns(p, n), "{n} is the pod's");
    }
    for n in ["mnt", "pid"] {
        assert_ne!(ns(m, n), ns(p, n), "{n} is the member's own");
        assert_ne!(
            ns(m, n),
            ns(std::process::id().into(), n),
            "{n} is not the host's"
        );
        assert_eq!(
            owning_user_namespace(&format!("/proc/{m}/ns/{n}")),
            std::fs::metadata(format!("/proc/{p}/ns/user"))
                .expect("user ns")
                .ino(),
            "the member's {n} namespace belongs to the pod's user namespace"
        );
    }
    let status = std::fs::read_to_string(format!("/proc/{m}/status")).expect("status");
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("NSpid:") && l.ends_with("\t1")),
        "init is pid 1 of its namespace: {status}"
    );
    assert!(env.carrack(&["start", "m"]).status.success());
    let out = env.dir.path().join("leaving.out");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while state(&env, "m")["status"] != "stopped" {
        assert!(
            std::time::Instant::now() < deadline,
            "the member never exited"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let said = std::fs::read_to_string(out).expect("output");
    assert_eq!(
        said.split_whitespace().collect::<Vec<_>>(),
        ["the-pod", "0", "0", "65536", "1"],
        "the pod's hostname and id maps; pid 1"
    );
    for id in ["m", "pod"] {
        let o = env.carrack(&["delete", "-f", id]);
        assert!(o.status.success(), "{}", text(&o));
    }
}
