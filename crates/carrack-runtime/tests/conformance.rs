//! Defects the OCI validation suite (`conformance/`) and real callers found, each with the
//! behaviour runtime-spec 1.3 asks for, checked from outside the container where it can be.
#![cfg(target_os = "linux")]

use std::time::Duration;

use serde_json::{Value, json};

mod common;
use common::{Env, state, stdout, text};

fn status_field(pid: &Value, field: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("status")
        .lines()
        .find_map(|l| {
            l.strip_prefix(&format!("{field}:"))
                .map(|v| v.trim().to_owned())
        })
        .unwrap_or_default()
}

/// What `--log` collected, one JSON object a line.
fn log_lines(env: &Env) -> Vec<Value> {
    std::fs::read_to_string(env.dir.path().join("log.json"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn carrack_logged(env: &Env, args: &[&str]) -> std::process::Output {
    let log = env.dir.path().join("log.json");
    let mut all = vec![
        "--log",
        log.to_str().expect("utf-8"),
        "--log-format",
        "json",
    ];
    all.extend_from_slice(args);
    // stdio to files: a created container's init holds them.
    env.carrack_leaving(&all)
}

#[test]
#[ignore = "needs root: runs containers"]
fn docker_configs_run_blkio_weight_zero_is_not_set() {
    // Every config docker 20.10 writes has `"blockIO": {"weight": 0}`: no rule forbids it, and
    // 0 means "not set" (runc skips it).
    let env = Env::new();
    let b = env.bundle("b", &["true"], |c| {
        c["linux"]["resources"]["blockIO"] = json!({"weight": 0});
    });
    let o = env.run("c1", &b);
    assert!(o.status.success(), "{}", text(&o));
    let o = env.carrack(&["validate", b.join("config.json").to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
#[ignore = "needs root: runs containers"]
fn a_user_namespace_mapped_to_an_unprivileged_host_id_runs() {
    // podman --uidmap 0:100000:65536: the container's root is host uid 100000, which must still
    // reach exec.fifo (it failed with EACCES).
    let env = Env::new();
    let b = env.bundle("b", &["sh", "-c", "id -u; sleep 5"], |c| {
        c["linux"]["namespaces"]
            .as_array_mut()
            .expect("namespaces")
            .push(json!({"type": "user"}));
        c["linux"]["uidMappings"] = json!([{"containerID": 0, "hostID": 100000, "size": 65536}]);
        c["linux"]["gidMappings"] = json!([{"containerID": 0, "hostID": 100000, "size": 65536}]);
    });
    // The rootfs must be readable by the mapped ids.
    let o = std::process::Command::new("chown")
        .args(["-R", "100000:100000"])
        .arg(b.join("rootfs"))
        .output()
        .expect("chown");
    assert!(o.status.success());
    let o = env.carrack_leaving(&["create", "--bundle", b.to_str().expect("utf-8"), "c1"]);
    assert!(o.status.success(), "{}", text(&o));
    let pid = state(&env, "c1")["pid"].clone();
    assert!(env.carrack(&["start", "c1"]).status.success());
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        status_field(&pid, "Uid").starts_with("100000"),
        "host sees uid 100000: {}",
        status_field(&pid, "Uid")
    );
    assert!(env.carrack(&["delete", "-f", "c1"]).status.success());
}

#[test]
#[ignore = "needs root: runs containers"]
fn devices_with_type_bits_in_file_mode_and_fifos_with_numbers() {
    // podman --privileged passes each host device's whole st_mode; a FIFO may carry major and
    // minor (config-linux.md only makes them optional for `p`).
    let env = Env::new();
    let b = env.bundle(
        "b",
        &["sh", "-c", "stat -c '%f %a' /dev/zero2 /dev/fifo1"],
        |c| {
            c["linux"]["devices"] = json!([
                {"path": "/dev/zero2", "type": "c", "major": 1, "minor": 5, "fileMode": 0o20640},
                {"path": "/dev/fifo1", "type": "p", "major": 8, "minor": 666, "fileMode": 0o600}
            ]);
        },
    );
    let o = env.run("c1", &b);
    assert!(o.status.success(), "{}", text(&o));
    let lines: Vec<&str> = std::str::from_utf8(&o.stdout)
        .expect("utf-8")
        .lines()
        .collect();
    assert_eq!(lines, ["21a0 640", "1180 600"], "{}", text(&o));
}

#[test]
#[ignore = "needs root: runs containers"]
fn a_working_directory_the_image_lacks_is_made() {
    let env = Env::new();
    let b = env.bundle("b", &["pwd"], |c| {
        c["process"]["cwd"] = json!("/new/dir");
    });
    let o = env.run("c1", &b);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(stdout(&o).trim(), "/new/dir");
    assert!(b.join("rootfs/new/dir").is_dir());
}

#[test]
#[ignore = "needs root: runs containers"]
fn rootfs_propagation_shared_and_unbindable() {
    // config-linux.md § Rootfs Mount Propagation: `shared` made pivot_root fail with EINVAL.
    let env = Env::new();
    for (i, (mode, tag)) in [("shared", "shared:"), ("unbindable", "unbindable")]
        .into_iter()
        .enumerate()
    {
        let root_line = "^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ / ";
        let b = env.bundle(
            &format!("b{i}"),
            &["grep", "-E", root_line, "/proc/self/mountinfo"],
            |c| {
                c["linux"]["rootfsPropagation"] = json!(mode);
            },
        );
        let o = env.run(&format!("c{i}"), &b);
        assert!(o.status.success(), "{mode}: {}", text(&o));
        assert!(stdout(&o).contains(tag), "{mode}: {}", stdout(&o));
    }
}

#[test]
#[ignore = "needs root: runs containers"]
fn no_mount_namespace_means_the_hosts_and_delete_removes_the_mounts() {
    // config-linux.md § Namespaces: "If a namespace type is not specified in the namespaces
    // array, the container MUST inherit the runtime namespace of that type."
    let env = Env::new();
    let b = env.bundle("b", &["sleep", "10"], |c| {
        c["linux"]["namespaces"]
            .as_array_mut()
            .expect("namespaces")
            .retain(|n| n["type"] != json!("mount"));
        c["root"]["readonly"] = json!(false);
    });
    let o = env.carrack_leaving(&["create", "--bundle", b.to_str().expect("utf-8"), "c1"]);
    assert!(o.status.success(), "{}", text(&o));
    let pid = state(&env, "c1")["pid"].clone();
    let ns = |p: &str| std::fs::read_link(format!("/proc/{p}/ns/mnt")).expect("ns");
    assert_eq!(
        ns(&pid.to_string()),
        ns("self"),
        "the host's mount namespace"
    );
    let rootfs = b.join("rootfs").canonicalize().expect("rootfs");
    let mounts = || {
        std::fs::read_to_string("/proc/self/mountinfo")
            .expect("mountinfo")
            .lines()
            .filter(|l| l.contains(rootfs.to_str().expect("utf-8")))
            .count()
    };
    assert!(
        mounts() > 0,
        "the config's mounts are in the host's namespace"
    );
    let o = env.carrack(&[
        "exec",
        "c1",
        "sh",
        "-c",
        "test -x /bin/busybox && echo inside",
    ]);
    assert_eq!(
        stdout(&o).trim(),
        "inside",
        "exec enters the container's root: {}",
        text(&o)
    );
    assert!(env.carrack(&["delete", "-f", "c1"]).status.success());
    assert_eq!(mounts(), 0, "delete removed them");
    let o = env.bundle("b2", &["true"], |c| {
        c["linux"]["namespaces"]
            .as_array_mut()
            .expect("namespaces")
            .retain(|n| n["type"] != json!("mount"));
    });
    let o = env.run("c2", &o);
    assert!(
        !o.status.success(),
        "root.readonly without a mount namespace is refused"
    );
    assert!(text(&o).contains("root.readonly"), "{}", text(&o));
}

#[test]
#[ignore = "needs root: runs containers"]
fn everything_but_the_exec_is_done_before_start() {
    // After `create` init already has the configured user and capabilities: only the exec of
    // the program (and a seccomp filter that must come last) follows `start`, so a signal sent
    // right after `start` meets the program, not a half-made process (runtime-tools' killsig).
    let env = Env::new();
    let b = env.bundle("b", &["sleep", "10"], |c| {
        c["process"]["user"] = json!({"uid": 1000, "gid": 1000});
        c["process"]["capabilities"] = json!({
            "bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]
        });
    });
    let o = env.carrack_leaving(&["create", "--bundle", b.to_str().expect("utf-8"), "c1"]);
    assert!(o.status.success(), "{}", text(&o));
    let pid = state(&env, "c1")["pid"].clone();
    assert!(status_field(&pid, "Uid").starts_with("1000\t1000\t1000"));
    assert_eq!(status_field(&pid, "CapBnd"), "0000000000000020");
    assert_eq!(status_field(&pid, "CapEff"), "0000000000000020");
    assert!(env.carrack(&["delete", "-f", "c1"]).status.success());
}

#[test]
#[ignore = "needs root: runs containers"]
fn capabilities_that_cannot_be_granted_are_logged_and_left_out() {
    // config.md § Linux Process: "Any value which cannot be mapped to a relevant kernel
    // interface, or cannot be granted otherwise MUST be logged as a warning by the runtime.
    // Runtimes SHOULD NOT fail if the container configuration requests capabilities that cannot
    // be granted".
    let env = Env::new();
    let b = env.bundle("b", &["sleep", "5"], |c| {
        for set in ["bounding", "effective", "permitted"] {
            c["process"]["capabilities"][set] = json!(["CAP_KILL", "CAP_TEST"]);
        }
    });
    let o = carrack_logged(
        &env,
        &["create", "--bundle", b.to_str().expect("utf-8"), "c1"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let pid = state(&env, "c1")["pid"].clone();
    assert_eq!(status_field(&pid, "CapBnd"), "0000000000000020");
    let logged = log_lines(&env);
    assert!(
        logged.iter().any(|l| l["level"] == "warning"
            && l["msg"].as_str().is_some_and(|m| m.contains("CAP_TEST"))),
        "{logged:?}"
    );
    assert!(env.carrack(&["delete", "-f", "c1"]).status.success());
}

#[test]
#[ignore = "needs root: runs containers"]
fn kernel_memory_is_ignored_with_a_warning() {
    let env = Env::new();
    let b = env.bundle("b", &["true"], |c| {
        c["linux"]["resources"]["memory"] = json!({"limit": 67108864, "kernel": 50593792});
    });
    let o = carrack_logged(&env, &["run", "--bundle", b.to_str().expect("utf-8"), "c1"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        log_lines(&env).iter().any(|l| l["msg"]
            .as_str()
            .is_some_and(|m| m.contains("memory.kernel"))),
        "{:?}",
        log_lines(&env)
    );
}

#[test]
#[ignore = "needs root: runs containers"]
fn deleting_a_container_that_is_not_stopped_is_an_error_without_force() {
    // runtime.md § Delete: "Attempting to delete a container that is not stopped MUST have no
    // effect on the container and MUST generate an error."
    let env = Env::new();
    let b = env.bundle("b", &["true"], |_| {});
    let o = env.carrack_leaving(&["create", "--bundle", b.to_str().expect("utf-8"), "c1"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = env.carrack(&["delete", "c1"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(state(&env, "c1")["status"], "created");
    assert!(env.carrack(&["delete", "--force", "c1"]).status.success());
}

#[test]
#[ignore = "needs root: runs containers"]
fn a_config_without_process_is_created_and_refused_by_start() {
    // config.md § Process: "This property is REQUIRED when start is called."
    let env = Env::new();
    let b = env.bundle("b", &["true"], |c| {
        c.as_object_mut().expect("config").remove("process");
    });
    let o = env.carrack_leaving(&["create", "--bundle", b.to_str().expect("utf-8"), "c1"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = env.carrack(&["start", "c1"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("REQUIRED when start is called"),
        "{}",
        text(&o)
    );
    assert_eq!(state(&env, "c1")["status"], "created");
    assert!(env.carrack(&["delete", "--force", "c1"]).status.success());
}

#[test]
#[ignore = "needs root: runs containers"]
fn start_returns_once_the_program_runs_or_with_why_it_could_not() {
    // runtime.md § Lifecycle: startContainer hooks run, then the program; "If any
    // startContainer hook fails, the runtime MUST generate an error". `start` waits for init's
    // exec (its end of exec.fifo closes on exec), so `state` right after says running with the
    // program in place, and a failure is start's error.
    let env = Env::new();
    let b = env.bundle("b", &["sleep", "10"], |_| {});
    let o = env.carrack_leaving(&["create", "--bundle", b.to_str().expect("utf-8"), "c1"]);
    assert!(o.status.success(), "{}", text(&o));
    let pid = state(&env, "c1")["pid"].clone();
    assert!(env.carrack(&["start", "c1"]).status.success());
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).expect("exe");
    assert!(
        exe.ends_with("busybox"),
        "the program runs when start returns: {exe:?}"
    );
    assert!(env.carrack(&["delete", "-f", "c1"]).status.success());

    let b = env.bundle("b2", &["/no/such/program"], |_| {});
    let o = env.carrack_leaving(&["create", "--bundle", b.to_str().expect("utf-8"), "c2"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = env.carrack(&["start", "c2"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("/no/such/program"), "{}", text(&o));
    assert!(env.carrack(&["delete", "-f", "c2"]).status.success());

    let b = env.bundle("b3", &["true"], |c| {
        c["hooks"] = json!({"startContainer": [{"path": "/bin/false"}]});
    });
    let o = env.carrack_leaving(&["create", "--bundle", b.to_str().expect("utf-8"), "c3"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = env.carrack(&["start", "c3"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("startContainer"), "{}", text(&o));
    assert!(env.carrack(&["delete", "-f", "c3"]).status.success());
}

#[test]
#[ignore = "needs root: runs containers"]
fn the_default_devices_are_supplied_without_a_dev_tmpfs() {
    // config-linux.md § Default Devices: "the runtime MUST supply these devices", whether or
    // not the config mounts a tmpfs on /dev; an image's entry in the way (here a symlink to a
    // host file, and a regular file) is replaced, never followed.
    let env = Env::new();
    let canary = env.dir.path().join("host-file");
    std::fs::write(&canary, "host\n").expect("canary");
    let b = env.bundle(
        "b",
        &["sh", "-c", "stat -c '%n %F %t:%T' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty; readlink /dev/ptmx; readlink /dev/fd"],
        |c| {
            c["mounts"]
                .as_array_mut()
                .expect("mounts")
                .retain(|m| m["destination"] != json!("/dev"));
        },
    );
    let dev = b.join("rootfs/dev");
    std::fs::create_dir_all(dev.join("pts")).expect("dev");
    std::os::unix::fs::symlink(&canary, dev.join("null")).expect("link");
    std::fs::write(dev.join("zero"), "not a device").expect("file");
    let o = env.run("c1", &b);
    assert!(o.status.success(), "{}", text(&o));
    let out = stdout(&o);
    for (name, numbers) in [
        ("null", "1:3"),
        ("zero", "1:5"),
        ("full", "1:7"),
        ("random", "1:8"),
        ("urandom", "1:9"),
        ("tty", "5:0"),
    ] {
        assert!(
            out.contains(&format!("/dev/{name} character special file {numbers}")),
            "{name}: {out}"
        );
    }
    assert!(
        out.contains("pts/ptmx") && out.contains("/proc/self/fd"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&canary).expect("canary"), "host\n");
}
