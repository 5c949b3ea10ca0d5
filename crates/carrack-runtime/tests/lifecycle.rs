//! The container lifecycle through the `carrack` command line, as containerd, CRI-O and podman
//! drive it, with busybox-static (apt-get install busybox-static) as the container's userland.
//! Every test uses its own state root and bundle.
#![cfg(target_os = "linux")]

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

mod common;
use common::{Env, state, stdout, text};

#[test]
#[ignore = "needs root: runs containers (namespaces, mounts, cgroups)"]
fn run_reports_the_exit_status_and_cleans_up() {
    let env = Env::new();
    let b = env.bundle("b", &["sh", "-c", "exit 7"], |_| {});
    let o = env.run("c1", &b);
    assert_eq!(o.status.code(), Some(7), "{}", text(&o));
    let o = env.carrack(&["state", "c1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("does not exist"), "{}", text(&o));
    assert_eq!(
        std::fs::read_dir(env.root()).expect("root").count(),
        0,
        "nothing left in the state root"
    );
}

#[test]
#[ignore = "needs root: runs containers (namespaces, mounts, cgroups)"]
fn the_process_sees_the_configured_world() {
    let env = Env::new();
    let script = "hostname; id -u; id -g; id -G; pwd; echo $FOO; ulimit -n; \
                  grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status; \
                  grep NoNewPrivs /proc/self/status; \
                  touch /rootfs-is-ro 2>/dev/null && echo writable || echo read-only; \
                  cat /etc/secret; ls /etc/secret-dir | wc -l; ls /sys/firmware | wc -l; \
                  touch /proc/sys/kernel/x 2>/dev/null && echo sys-writable || echo sys-ro; \
                  readlink /dev/fd; stat -c %t:%T /dev/null; cat /etc/marker";
    let b = env.bundle("b", &["sh", "-c", script], |c| {
        c["hostname"] = json!("probe-host");
        c["process"]["user"] = json!({"uid": 1000, "gid": 1001, "additionalGids": [5, 6]});
        c["process"]["cwd"] = json!("/tmp");
        c["process"]["env"] = json!(["PATH=/bin", "FOO=bar"]);
        c["process"]["rlimits"] = json!([{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654}]);
        c["process"]["noNewPrivileges"] = json!(true);
        // A non-root process keeps capabilities across execve only through the ambient set.
        c["process"]["capabilities"] = json!({
            "bounding": ["CAP_KILL", "CAP_NET_RAW"],
            "effective": ["CAP_KILL"],
            "permitted": ["CAP_KILL"],
            "inheritable": ["CAP_KILL"],
            "ambient": ["CAP_KILL"]
        });
        c["linux"]["maskedPaths"].as_array_mut().expect("masked").extend([json!("/etc/secret"), json!("/etc/secret-dir")]);
        c["root"]["readonly"] = json!(true);
        let mounts = c["mounts"].as_array_mut().expect("mounts");
        mounts.push(json!({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=1777"]}));
        mounts.push(json!({"destination": "/etc/marker", "type": "bind", "source": "marker", "options": ["ro", "bind"]}));
    });
    std::fs::write(b.join("marker"), "bound-from-the-bundle\n").expect("marker");
    std::fs::create_dir_all(b.join("rootfs/etc/secret-dir")).expect("etc");
    std::fs::write(b.join("rootfs/etc/secret-dir/key"), "k").expect("key");
    std::fs::write(b.join("rootfs/etc/secret"), "hidden\n").expect("secret");
    let o = env.run("c1", &b);
    assert!(o.status.success(), "{}", text(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "probe-host",
            "1000",
            "1001",
            "1001 5 6",
            "/tmp",
            "bar",
            "321",
            "CapInh:\t0000000000000020",
            "CapPrm:\t0000000000000020",
            "CapEff:\t0000000000000020",
            "CapBnd:\t0000000000002020",
            "CapAmb:\t0000000000000020",
            "NoNewPrivs:\t1",
            "read-only",
            "0",
            "0",
            "sys-ro",
            "/proc/self/fd",
            "1:3",
            "bound-from-the-bundle",
        ],
        "{}",
        text(&o)
    );
}

#[test]
#[ignore = "needs root: runs containers (namespaces, mounts, cgroups)"]
fn create_start_state_pause_kill_delete() {
    let env = Env::new();
    let b = env.bundle("b", &["sleep", "60"], |_| {});
    let pid_file = env.dir.path().join("pid");
    let o = env.carrack_leaving(&[
        "create",
        "--bundle",
        b.to_str().expect("utf-8"),
        "--pid-file",
        pid_file.to_str().expect("utf-8"),
        "c1",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let s = state(&env, "c1");
    assert_eq!(s["status"], "created", "create said: {}", text(&o));
    assert_eq!(s["id"], "c1");
    assert_eq!(s["bundle"], b.to_str().expect("utf-8"));
    assert_eq!(s["rootfs"], b.join("rootfs").to_str().expect("utf-8"));
    assert!(s["created"].as_str().is_some_and(|c| c.ends_with('Z')));
    let pid = s["pid"].as_u64().expect("pid");
    assert_eq!(
        std::fs::read_to_string(&pid_file).expect("pid file"),
        pid.to_string()
    );
    let o = env.carrack(&["create", "--bundle", b.to_str().expect("utf-8"), "c1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("already exists"), "{}", text(&o));

    let o = env.carrack(&["start", "c1"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(state(&env, "c1")["status"], "running");
    let o = env.carrack(&["start", "c1"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a running container cannot be started again"
    );
    let o = env.carrack(&["list", "--format", "json"]);
    let list: Value = serde_json::from_slice(&o.stdout).expect("list json");
    assert_eq!(list[0]["id"], "c1");
    assert_eq!(list[0]["owner"], "root");
    let o = env.carrack(&["ps", "--format", "json", "c1"]);
    let pids: Vec<u64> = serde_json::from_slice(&o.stdout).expect("ps json");
    assert_eq!(pids, [pid]);

    assert!(env.carrack(&["pause", "c1"]).status.success());
    assert_eq!(state(&env, "c1")["status"], "paused");
    assert!(env.carrack(&["resume", "c1"]).status.success());
    assert_eq!(state(&env, "c1")["status"], "running");

    let o = env.carrack(&["delete", "c1"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a running container needs --force"
    );
    assert!(env.carrack(&["kill", "c1", "KILL"]).status.success());
    let mut stopped = false;
    for _ in 0..200 {
        if state(&env, "c1")["status"] == "stopped" {
            stopped = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(stopped);
    let o = env.carrack(&["kill", "c1", "9"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("container not running"), "{}", text(&o));
    assert!(env.carrack(&["delete", "c1"]).status.success());
    let o = env.carrack(&["delete", "c1"]);
    assert!(text(&o).contains("does not exist"), "{}", text(&o));
}

#[test]
#[ignore = "needs root: runs containers (namespaces, mounts, cgroups)"]
fn delete_force_kills_a_running_container_and_its_cgroup_goes() {
    let env = Env::new();
    let b = env.bundle("b", &["sleep", "60"], |c| {
        c["linux"]["cgroupsPath"] = json!("/carrack-test/force-delete");
    });
    let o = env.carrack_leaving(&["run", "-d", "--bundle", b.to_str().expect("utf-8"), "c1"]);
    assert!(o.status.success(), "{}", text(&o));
    let cg: Vec<PathBuf> = std::fs::read_dir("/sys/fs/cgroup")
        .expect("cgroupfs")
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("carrack-test/force-delete"))
        .filter(|p| p.exists())
        .collect();
    assert!(!cg.is_empty(), "the container has cgroups");
    let o = env.carrack(&["delete", "--force", "c1"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(cg.iter().all(|p| !p.exists()), "cgroups removed: {cg:?}");
}

#[test]
#[ignore = "needs root: runs containers (namespaces, mounts, cgroups)"]
fn hooks_run_at_their_points_with_the_state_on_stdin() {
    let env = Env::new();
    let log = env.dir.path().join("hooks.log");
    let hook = |name: &str| json!({"path": "/bin/sh", "args": ["sh", "-c", format!("read s; echo \"{name} $s\" >> {}", log.display())]});
    let b = env.bundle("b", &["true"], |c| {
        c["hooks"] = json!({
            "prestart": [hook("prestart")],
            "createRuntime": [hook("createRuntime")],
            "poststart": [hook("poststart")],
            "poststop": [hook("poststop")],
        });
    });
    let o = env.run("c1", &b);
    assert!(o.status.success(), "{}", text(&o));
    let got = std::fs::read_to_string(&log).expect("hooks ran");
    let order: Vec<&str> = got
        .lines()
        .map(|l| l.split(' ').next().unwrap_or(""))
        .collect();
    assert_eq!(
        order,
        ["prestart", "createRuntime", "poststart", "poststop"],
        "{got}"
    );
    for line in got.lines() {
        let json = line.split_once(' ').map(|x| x.1).unwrap_or("");
        let v: Value = serde_json::from_str(json).expect("state json");
        assert_eq!(v["id"], "c1");
        assert_eq!(v["bundle"], b.to_str().expect("utf-8"));
    }
    // A failing prestart hook fails create and leaves nothing.
    let b2 = env.bundle("b2", &["true"], |c| {
        c["hooks"] = json!({"prestart": [{"path": "/bin/false"}]});
    });
    let o = env.run("c2", &b2);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("prestart hook"), "{}", text(&o));
    assert_eq!(std::fs::read_dir(env.root()).expect("root").count(), 0);
}

#[test]
#[ignore = "needs root: runs containers (namespaces, mounts, cgroups)"]
#[allow(unsafe_code)] // taking ownership of an fd received over SCM_RIGHTS
fn a_terminal_is_sent_over_the_console_socket() {
    let env = Env::new();
    let b = env.bundle(
        "b",
        &[
            "sh",
            "-c",
            "test -t 0 && test -t 1 && echo tty-ok; readlink /proc/self/fd/0",
        ],
        |c| {
            c["process"]["terminal"] = json!(true);
        },
    );
    let sock_path = env.dir.path().join("console.sock");
    let listener = UnixListener::bind(&sock_path).expect("listen");
    let receiver = std::thread::spawn(move || {
        let (payload, fd) = common::accept_one_fd(&listener);
        let name = String::from_utf8_lossy(&payload).into_owned();
        let mut master = std::fs::File::from(fd);
        let mut out = Vec::new();
        let _ = master.read_to_end(&mut out);
        (name, String::from_utf8_lossy(&out).into_owned())
    });
    let o = env.carrack(&[
        "run",
        "--console-socket",
        sock_path.to_str().expect("utf-8"),
        "--bundle",
        b.to_str().expect("utf-8"),
        "c1",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let (name, out) = receiver.join().expect("receiver");
    assert!(name.starts_with("/dev/pts/"), "{name}");
    assert!(out.contains("tty-ok"), "{out:?}");
    assert!(
        out.contains("/dev/pts/0") || out.contains("/dev/console"),
        "{out:?}"
    );
    let b2 = env.bundle("b2", &["true"], |c| c["process"]["terminal"] = json!(true));
    let o = env.run("c2", &b2);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("console-socket"), "{}", text(&o));
}

#[test]
#[ignore = "needs root: runs containers (namespaces, mounts, cgroups)"]
fn hostile_bundles_cannot_reach_the_host() {
    let env = Env::new();
    let outside = env.dir.path().join("outside");
    std::fs::create_dir(&outside).expect("outside");
    // A mount destination through a symlink planted in the rootfs never leaves it: a symlink
    // dangling inside the rootfs gets its target created inside the rootfs (as runc does), and
    // the mount lands there, never outside.
    let b = env.bundle(
        "b",
        &[
            "sh",
            "-c",
            "echo inside > /escape/file && cat /escape/file && grep -c \" /escape \" /proc/mounts; \
             grep -c \" /run/deep/x \" /proc/mounts",
        ],
        |c| {
            c["root"]["readonly"] = json!(false);
            let mounts = c["mounts"].as_array_mut().expect("mounts");
            mounts.push(json!({
                "destination": "/escape", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]
            }));
            // Relative dangling link with `..`: var/run -> ../run, and a chain below it.
            mounts.push(json!({
                "destination": "/var/run/deep/x", "type": "tmpfs", "source": "tmpfs"
            }));
        },
    );
    std::os::unix::fs::symlink(&outside, b.join("rootfs/escape")).expect("planted link");
    std::fs::create_dir_all(b.join("rootfs/var")).expect("var");
    std::os::unix::fs::symlink("../run", b.join("rootfs/var/run")).expect("var/run");
    let o = env.run("c1", &b);
    assert!(o.status.success(), "{}", text(&o));
    let lines: Vec<String> = stdout(&o).lines().map(str::to_owned).collect();
    assert_eq!(lines, ["inside", "0", "1"], "{}", text(&o));
    assert!(
        b.join("rootfs")
            .join(outside.strip_prefix("/").expect("absolute"))
            .is_dir(),
        "the link's target was made inside the rootfs"
    );
    assert!(b.join("rootfs/run/deep/x").is_dir());
    assert_eq!(
        std::fs::read_dir(&outside).expect("outside").count(),
        0,
        "nothing written outside"
    );
    // /proc must be a real directory, not a symlink (CVE-2019-19921).
    let b2 = env.bundle("b2", &["true"], |_| {});
    std::os::unix::fs::symlink("/", b2.join("rootfs/proc")).expect("proc link");
    let o = env.run("c2", &b2);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("/proc"), "{}", text(&o));
    // A cwd outside the rootfs is not reachable; fds of the runtime are not inherited.
    let b3 = env.bundle("b3", &["sh", "-c", "ls /proc/self/fd | wc -l"], |c| {
        c["process"]["cwd"] = json!("/");
    });
    let o = env.run("c3", &b3);
    assert!(o.status.success(), "{}", text(&o));
    // ls itself holds one fd open for the directory: 0, 1, 2 and that one.
    assert_eq!(
        stdout(&o).trim(),
        "4",
        "only stdio reaches the container process"
    );
    let _ = std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o755));
}

#[test]
#[ignore = "needs root: runs containers (namespaces, mounts, cgroups)"]
fn features_spec_and_version_match_what_callers_parse() {
    let env = Env::new();
    let o = env.carrack(&["features"]);
    let f: Value = serde_json::from_slice(&o.stdout).expect("features json");
    assert_eq!(f["ociVersionMin"], "1.0.0");
    assert_eq!(f["ociVersionMax"], "1.3.0");
    assert!(
        f["mountOptions"]
            .as_array()
            .is_some_and(|m| m.iter().any(|o| o == "rro"))
    );
    let b = env.dir.path().join("spec");
    std::fs::create_dir(&b).expect("dir");
    let spec = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_carrack"))
            .args(["spec", "--bundle"])
            .arg(&b)
            .args(extra)
            .output()
            .expect("spec")
    };
    assert!(spec(&[]).status.success());
    let o = spec(&[]);
    assert_eq!(o.status.code(), Some(1), "refuses to overwrite");
    let c: Value = serde_json::from_slice(&std::fs::read(b.join("config.json")).expect("config"))
        .expect("json");
    assert!(
        c["linux"]["maskedPaths"]
            .as_array()
            .is_some_and(|m| m.iter().any(|p| p == "/proc/kcore"))
    );
    assert!(
        c["process"]["capabilities"]["inheritable"].is_null()
            || c["process"]["capabilities"]["inheritable"] == json!([])
    );
    let o = env.carrack(&["--version"]);
    assert!(stdout(&o).starts_with("carrack version "), "{}", text(&o));
    assert!(stdout(&o).contains("spec: 1.3.0"));
    // --log-format json: errors as logrus-style lines.
    let log = env.dir.path().join("log.json");
    let o = Command::new(env!("CARGO_BIN_EXE_carrack"))
        .arg("--root")
        .arg(env.root())
        .args([
            "--log",
            log.to_str().expect("utf-8"),
            "--log-format=json",
            "state",
            "nope",
        ])
        .output()
        .expect("carrack");
    assert_eq!(o.status.code(), Some(1));
    let line: Value = serde_json::from_str(
        std::fs::read_to_string(&log)
            .expect("log")
            .lines()
            .last()
            .expect("line"),
    )
    .expect("json");
    assert_eq!(line["level"], "error");
    assert!(
        line["msg"]
            .as_str()
            .is_some_and(|m| m.contains("does not exist"))
    );
    assert!(line["time"].as_str().is_some());
    let _ = std::fs::metadata("/dev/null").map(|m| m.file_type().is_char_device());
}

#[test]
#[ignore = "needs root: runs containers (namespaces, mounts, cgroups)"]
fn exec_joins_the_container() {
    let env = Env::new();
    let b = env.bundle("b", &["sleep", "60"], |c| {
        c["hostname"] = json!("exec-host");
    });
    let o = env.carrack_leaving(&["run", "-d", "--bundle", b.to_str().expect("utf-8"), "c1"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = env.carrack(&[
        "exec",
        "c1",
        "sh",
        "-c",
        "hostname; echo $$; cat /proc/1/cmdline | tr '\\0' ' '",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "exec-host", "same uts namespace");
    assert_ne!(lines[1], "1", "not init, but inside its pid namespace");
    assert!(
        lines[2].starts_with("sleep 60"),
        "sees the container's init: {out}"
    );
    let o = env.carrack(&["exec", "c1", "sh", "-c", "exit 9"]);
    assert_eq!(o.status.code(), Some(9));
    // --cap never reaches the inheritable or ambient sets (CVE-2022-29162).
    let o = env.carrack(&[
        "exec",
        "--cap",
        "CAP_SYS_ADMIN",
        "--user",
        "0:0",
        "--env",
        "X=1",
        "--cwd",
        "/bin",
        "c1",
        "sh",
        "-c",
        "grep -E '^Cap(Inh|Amb)' /proc/self/status; echo $X; pwd",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        stdout(&o),
        "CapInh:\t0000000000000000\nCapAmb:\t0000000000000000\n1\n/bin\n"
    );
    let o = env.carrack(&["exec", "c1", "no-such-binary"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("not found"), "{}", text(&o));
    let process = env.dir.path().join("process.json");
    std::fs::write(
        &process,
        r#"{"cwd": "/", "args": ["sh", "-c", "echo from-file"], "env": ["PATH=/bin"]}"#,
    )
    .expect("process");
    let o = env.carrack(&["exec", "--process", process.to_str().expect("utf-8"), "c1"]);
    assert_eq!(stdout(&o), "from-file\n", "{}", text(&o));
    assert!(env.carrack(&["delete", "-f", "c1"]).status.success());
    let o = env.carrack(&["exec", "c1", "true"]);
    assert!(text(&o).contains("does not exist"), "{}", text(&o));
}

#[test]
#[ignore = "needs root: runs containers (namespaces, mounts, cgroups)"]
fn the_runtime_binary_is_out_of_reach_from_the_container() {
    // CVE-2019-5736: a created container's init is still the carrack binary (it execs the user
    // process only on start). A process exec'd into it must not be able to open that binary
    // through /proc/1/exe: init is not dumpable and the container lacks CAP_SYS_PTRACE.
    let env = Env::new();
    let b = env.bundle("b", &["sleep", "60"], |_| {});
    let o = env.carrack_leaving(&["create", "--bundle", b.to_str().expect("utf-8"), "c1"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = env.carrack(&[
        "exec",
        "c1",
        "sh",
        "-c",
        "readlink /proc/1/exe; cat /proc/1/exe > /dev/null && echo READABLE; echo checked",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let out = stdout(&o);
    assert!(out.ends_with("checked\n"), "{}", text(&o));
    assert!(
        !out.contains("carrack") && !out.contains("READABLE"),
        "init's binary was reachable: {}",
        text(&o)
    );
    assert!(env.carrack(&["delete", "-f", "c1"]).status.success());
}

#[test]
#[ignore = "needs root: runs containers (namespaces, mounts, cgroups)"]
fn a_container_that_may_ptrace_meets_only_a_read_only_runtime_binary() {
    // CVE-2019-5736 with CAP_SYS_PTRACE (which gets past "not dumpable"): carrack re-executes
    // through a detached read-only overlayfs view of its binary, so /proc/1/exe of a created
    // container's init is on a read-only mount and writing to it fails; the binary on the host
    // is untouched.
    use std::io::Read as _;
    let hash = || {
        let mut v = Vec::new();
        std::fs::File::open(env!("CARGO_BIN_EXE_carrack"))
            .and_then(|mut f| f.read_to_end(&mut v))
            .expect("binary");
        v
    };
    let read_only = |pid: &Value| {
        nix::sys::statvfs::statvfs(format!("/proc/{pid}/exe").as_str())
            .expect("statvfs")
            .flags()
            .contains(nix::sys::statvfs::FsFlags::ST_RDONLY)
    };
    let before = hash();
    let env = Env::new();
    let b = env.bundle("b", &["sleep", "60"], |c| {
        for set in ["bounding", "effective", "permitted"] {
            c["process"]["capabilities"][set]
                .as_array_mut()
                .expect("caps")
                .push(json!("CAP_SYS_PTRACE"));
        }
    });
    let o = env.carrack_leaving(&["create", "--bundle", b.to_str().expect("utf-8"), "c1"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        read_only(&state(&env, "c1")["pid"]),
        "init runs from a read-only mount"
    );
    let o = env.carrack(&[
        "exec",
        "c1",
        "sh",
        "-c",
        "cat /proc/1/exe > /dev/null && echo READABLE; \
         echo overwritten > /proc/1/exe && echo WROTE; echo checked",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let out = stdout(&o);
    assert!(
        out.contains("READABLE"),
        "CAP_SYS_PTRACE does reach it: {}",
        text(&o)
    );
    assert!(!out.contains("WROTE"), "but cannot write it: {}", text(&o));
    // O_TRUNC asks the mount first: EROFS, where a writable mount would only say "busy" (and
    // stop saying it once the runtime is gone, which is how the attack works).
    assert!(text(&o).contains("Read-only file system"), "{}", text(&o));
    assert!(out.ends_with("checked\n"), "{}", text(&o));
    assert!(env.carrack(&["delete", "-f", "c1"]).status.success());
    assert!(
        before == hash(),
        "the runtime binary on the host is unchanged"
    );
    let host_mounts = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    assert!(
        !host_mounts.contains(env!("CARGO_BIN_EXE_carrack")),
        "the sealed view never reaches the host's mount table"
    );
    // Without CAP_SYS_PTRACE nothing in the container can open init's /proc/PID/exe (it is
    // not dumpable): init runs the binary where it lies, and execs its program through the
    // sealed trampoline (a script whose interpreter is /proc/self/exe then runs the
    // trampoline, not carrack: tests/attacks.rs).
    let b = env.bundle("b2", &["sleep", "60"], |_| {});
    let o = env.carrack_leaving(&["create", "--bundle", b.to_str().expect("utf-8"), "c2"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!read_only(&state(&env, "c2")["pid"]));
    assert!(env.carrack(&["delete", "-f", "c2"]).status.success());
}

#[test]
#[ignore = "needs root: runs containers (namespaces, mounts, cgroups)"]
fn resources_are_applied_updated_reported_and_unsupported_ones_refused() {
    use std::os::unix::fs::MetadataExt;
    let env = Env::new();
    // The host's root disk, as the container would have to name it to read it.
    let dev = std::fs::metadata("/").expect("/").dev();
    let (major, minor) = (nix::sys::stat::major(dev), nix::sys::stat::minor(dev));
    let script = format!(
        "mknod /dev/disk b {major} {minor} && (head -c 1 /dev/disk > /dev/null 2>&1 && echo DISK-READABLE || echo disk-blocked); \
         echo x > /dev/null && echo null-ok; sleep 30"
    );
    let b = env.bundle("b", &["sh", "-c", &script], |c| {
        c["process"]["capabilities"]["bounding"] = json!(["CAP_MKNOD"]);
        c["process"]["capabilities"]["effective"] = json!(["CAP_MKNOD"]);
        c["process"]["capabilities"]["permitted"] = json!(["CAP_MKNOD"]);
        c["root"]["readonly"] = json!(false);
        c["linux"]["resources"] = json!({
            "devices": [{"allow": false, "access": "rwm"}],
            "memory": {"limit": 67108864},
            "cpu": {"shares": 512, "quota": 50000, "period": 100000},
            "pids": {"limit": 77}
        });
    });
    let o = env.carrack_leaving(&["run", "-d", "--bundle", b.to_str().expect("utf-8"), "c1"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = env.carrack(&["events", "--stats", "c1"]);
    assert!(o.status.success(), "{}", text(&o));
    let ev: Value = serde_json::from_slice(&o.stdout).expect("events json");
    assert_eq!(ev["type"], "stats");
    assert_eq!(ev["id"], "c1");
    assert_eq!(ev["data"]["pids"]["limit"], 77);
    assert_eq!(ev["data"]["memory"]["usage"]["limit"], 67108864);
    let resources = env.dir.path().join("r.json");
    std::fs::write(
        &resources,
        r#"{"memory": {"limit": 33554432}, "pids": {"limit": 99}}"#,
    )
    .expect("r");
    let o = env.carrack(&[
        "update",
        "--resources",
        resources.to_str().expect("utf-8"),
        "c1",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let ev: Value =
        serde_json::from_slice(&env.carrack(&["events", "--stats", "c1"]).stdout).expect("json");
    assert_eq!(ev["data"]["pids"]["limit"], 99);
    assert_eq!(ev["data"]["memory"]["usage"]["limit"], 33554432);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let o = env.carrack(&["delete", "-f", "c1"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = std::fs::read_to_string(env.dir.path().join("leaving.out")).unwrap_or_default();
    assert!(
        out.contains("disk-blocked") && out.contains("null-ok"),
        "device cgroup: {out:?}"
    );

    let b2 = env.bundle("b2", &["true"], |c| {
        c["linux"]["resources"] = json!({"memory": {"kernel": 1_000_000}});
    });
    // Gone from the kernel and NOT RECOMMENDED by the spec: ignored, as runc does, but never
    // silently (a warning on stderr without --log).
    let o = env.run("c2", &b2);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("warning: linux.resources.memory.kernel"),
        "never silently ignored: {}",
        text(&o)
    );
    assert_eq!(std::fs::read_dir(env.root()).expect("root").count(), 0);
}

#[test]
#[ignore = "needs root: runs containers (namespaces, mounts, cgroups)"]
fn a_create_killed_midway_is_cleaned_up_by_delete_force() {
    let env = Env::new();
    let b = env.bundle("b", &["true"], |c| {
        // The prestart hook holds create in the middle, with init cloned and its cgroups made.
        c["hooks"] = json!({"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "sleep 3"]}]});
        c["linux"]["cgroupsPath"] = json!("/carrack-test/killed-create");
    });
    let mut create = Command::new(env!("CARGO_BIN_EXE_carrack"))
        .arg("--root")
        .arg(env.root())
        .args(["create", "--bundle", b.to_str().expect("utf-8"), "c1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("create");
    // `state` waits for create's lock; look at the saved state directly.
    let mut pid = None;
    for _ in 0..300 {
        if let Ok(bytes) = std::fs::read(env.root().join("c1/state.json")) {
            let s: Value = serde_json::from_slice(&bytes).expect("state");
            assert_eq!(s["status"], "creating");
            pid = s["pid"].as_u64();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let pid = pid.expect("create got as far as saving its state");
    create.kill().expect("kill -9 create");
    let _ = create.wait();
    let o = env.carrack(&["delete", "--force", "c1"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        std::fs::read_dir(env.root()).expect("root").count(),
        0,
        "no state left"
    );
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| s.contains(") Z ")),
        "init gone"
    );
    let left: Vec<PathBuf> = std::fs::read_dir("/sys/fs/cgroup")
        .expect("cgroupfs")
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("carrack-test/killed-create"))
        .filter(|p| p.exists())
        .collect();
    assert!(left.is_empty(), "cgroups left: {left:?}");
}

/// The config features the other tests do not reach, read back by the process: createContainer
/// and startContainer hooks (in the container's namespaces, the first resolved in the runtime's
/// mount namespace before pivot_root, the second in the container's), sysctl (ipc and net
/// namespaced keys), domainname, personality, an rbind with rprivate propagation, a time
/// namespace with offsets, `--preserve-fds` and `--no-pivot`.
#[test]
#[ignore = "needs root: runs containers (namespaces, mounts, cgroups)"]
fn hooks_in_the_container_sysctl_domainname_personality_rbind_time_and_fds() {
    let env = Env::new();
    // A source with a mount of its own below it: only an rbind carries it into the container.
    let src = env.dir.path().join("tree");
    std::fs::create_dir_all(src.join("sub")).expect("tree");
    let o = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "carrack-test-sub"])
        .arg(src.join("sub"))
        .output()
        .expect("mount");
    assert!(o.status.success(), "{}", text(&o));
    std::fs::write(src.join("sub/file"), "from-the-submount\n").expect("file");
    let rootfs_tmp = env.dir.path().join("b/rootfs/tmp");
    let script = "echo created $(readlink /proc/self/ns/uts); cat /tmp/created /tmp/started; \
                  cat /proc/sys/kernel/msgmax; \
                  cat /proc/sys/net/ipv4/ip_forward; cat /proc/sys/kernel/domainname; \
                  busybox uname -m; cat /mnt/sub/file; \
                  grep ' /mnt/sub ' /proc/self/mountinfo | grep -c -E 'shared:|master:'; \
                  cut -d. -f1 /proc/uptime; cat <&3";
    let b = env.bundle("b", &["sh", "-c", script], |c| {
        c["hostname"] = json!("in-the-container");
        c["domainname"] = json!("carrack.test");
        c["hooks"] = json!({
            // Before pivot_root and before the hostname is set, as runc runs it: its uts
            // namespace is the container's, and /tmp the container's tmpfs.
            "createContainer": [{"path": "/bin/sh", "args": ["sh", "-c",
                format!("echo created $(readlink /proc/self/ns/uts) > {}/created", rootfs_tmp.display())]}],
            "startContainer": [{"path": "/bin/sh", "args": ["sh", "-c",
                "echo started $(hostname) > /tmp/started"]}],
        });
        c["linux"]["sysctl"] = json!({"kernel.msgmax": "12345", "net.ipv4.ip_forward": "1"});
        c["linux"]["personality"] = json!({"domain": "LINUX32"});
        c["linux"]["namespaces"]
            .as_array_mut()
            .expect("namespaces")
            .push(json!({"type": "time"}));
        // /proc/uptime follows CLOCK_BOOTTIME.
        c["linux"]["timeOffsets"] = json!({
            "boottime": {"secs": 86400 * 400, "nanosecs": 0},
            "monotonic": {"secs": 86400, "nanosecs": 0}
        });
        let mounts = c["mounts"].as_array_mut().expect("mounts");
        mounts.push(json!({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}));
        mounts.push(json!({"destination": "/mnt", "type": "bind", "source": src, "options": ["rbind", "rprivate"]}));
    });
    std::fs::write(env.dir.path().join("fd3"), "through-fd-3\n").expect("fd3");
    for no_pivot in [false, true] {
        let id = if no_pivot { "c2" } else { "c1" };
        let carrack = env!("CARGO_BIN_EXE_carrack");
        let root = env.root();
        let flags = if no_pivot { "--no-pivot" } else { "" };
        let o = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "exec 3<\"$1/fd3\"; exec \"$2\" --root \"$3\" run --preserve-fds 1 {flags} -b \"$4\" {id}"
            ))
            .arg("sh")
            .arg(env.dir.path())
            .arg(carrack)
            .arg(&root)
            .arg(&b)
            .stdin(Stdio::null())
            .output()
            .expect("run");
        assert!(o.status.success(), "{}", text(&o));
        let out = stdout(&o);
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines.len() == 11 && lines[0].starts_with("created uts:["),
            "{}",
            text(&o)
        );
        let uptime_days = lines
            .get(9)
            .and_then(|s| s.parse::<u64>().ok())
            .map(|s| s / 86400);
        assert_eq!(
            (&lines[1..9], uptime_days, &lines[10..]),
            (
                &[
                    lines[0],
                    "started in-the-container",
                    "12345",
                    "1",
                    "carrack.test",
                    "i686",
                    "from-the-submount",
                    "0",
                ][..],
                uptime_days.filter(|d| *d >= 400),
                &["through-fd-3"][..],
            ),
            "no_pivot {no_pivot}: {}",
            text(&o)
        );
    }
    let _ = Command::new("umount").arg(src.join("sub")).status();
    // A domain personality(2) does not know is refused, naming the field.
    let b2 = env.bundle("b2", &["true"], |c| {
        c["linux"]["personality"] = json!({"domain": "LINUX64"});
    });
    let o = env.run("c3", &b2);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("/linux/personality/domain"),
        "{}",
        text(&o)
    );
    let b3 = env.bundle("b3", &["true"], |c| {
        c["linux"]["personality"] = json!({"domain": "LINUX", "flags": ["SHORT_INODE"]});
    });
    let o = env.run("c4", &b3);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("/linux/personality/flags"),
        "{}",
        text(&o)
    );
    // A sysctl outside the container's own namespaces would change the host: refused, as runc
    // refuses it, and the host's value stays.
    let forward = || std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward").expect("host");
    let before = forward();
    let flipped = if before.trim() == "1" { "0" } else { "1" };
    let host_net = format!("/proc/{}/ns/net", std::process::id());
    for (id, sysctl, net) in [
        ("c5", json!({"net.ipv4.ip_forward": flipped}), None),
        (
            "c6",
            json!({"net.ipv4.ip_forward": flipped}),
            Some(host_net.as_str()),
        ),
        ("c7", json!({"vm.swappiness": "1"}), Some("new")),
    ] {
        let b = env.bundle(id, &["true"], |c| {
            c["linux"]["sysctl"] = sysctl;
            let ns = c["linux"]["namespaces"].as_array_mut().expect("namespaces");
            ns.retain(|n| n["type"] != "network");
            match net {
                Some("new") => ns.push(json!({"type": "network"})),
                Some(path) => ns.push(json!({"type": "network", "path": path})),
                None => {}
            }
        });
        let o = env.run(id, &b);
        assert_eq!(o.status.code(), Some(1), "{id}: {}", text(&o));
        assert!(text(&o).contains("/linux/sysctl/"), "{id}: {}", text(&o));
        assert_eq!(forward(), before, "{id}: the host's sysctl is untouched");
    }
}
