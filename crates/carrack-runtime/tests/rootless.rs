//! Rootless: an unprivileged user (created by the test) runs containers with `spec --rootless`
//! configs — a user namespace mapping it to root, no cgroups unless delegated — through the
//! whole lifecycle, and the probe inside reports what it sees.
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

mod common;
use common::text;

const USER: &str = "carrack-rootless";

/// The test user's uid, creating the user once.
fn user() -> u32 {
    let id = || {
        Command::new("id")
            .args(["-u", USER])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
    };
    if let Some(u) = id() {
        return u;
    }
    let o = Command::new("useradd")
        .args([
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            USER,
        ])
        .output()
        .expect("useradd");
    // Another test binary may have created it meanwhile.
    id().unwrap_or_else(|| panic!("useradd {USER}: {}", text(&o)))
}

struct Rootless {
    dir: tempfile::TempDir,
    uid: u32,
}

impl Rootless {
    fn new() -> Self {
        let uid = user();
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::create_dir(dir.path().join("run")).expect("run");
        let me = Self { dir, uid };
        me.chown(me.dir.path());
        me.chown(&me.dir.path().join("run"));
        me
    }
    fn chown(&self, p: &Path) {
        std::os::unix::fs::lchown(p, Some(self.uid), Some(self.uid)).expect("chown");
    }
    /// `carrack ARGS` as the unprivileged user, with its own XDG_RUNTIME_DIR (so the default
    /// state root is $XDG_RUNTIME_DIR/carrack) and stdio in files.
    fn carrack(&self, args: &[&str]) -> Output {
        let out = self.dir.path().join("out");
        let err = self.dir.path().join("err");
        let status = Command::new("setpriv")
            .args([
                "--reuid",
                &self.uid.to_string(),
                "--regid",
                &self.uid.to_string(),
                "--clear-groups",
                "--inh-caps=-all",
                "--",
                "env",
            ])
            .arg(format!(
                "XDG_RUNTIME_DIR={}",
                self.dir.path().join("run").display()
            ))
            .arg(env!("CARGO_BIN_EXE_carrack"))
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("out"))
            .stderr(std::fs::File::create(&err).expect("err"))
            .status()
            .expect("setpriv (util-linux)");
        Output {
            status,
            stdout: std::fs::read(&out).unwrap_or_default(),
            stderr: std::fs::read(&err).unwrap_or_default(),
        }
    }
    /// A bundle made by `carrack spec --rootless` as the user, with busybox and the probe.
    fn bundle(&self, name: &str, args: &[&str], tweak: impl FnOnce(&mut Value)) -> PathBuf {
        let b = self.dir.path().join(name);
        let bin = b.join("rootfs/bin");
        std::fs::create_dir_all(&bin).expect("rootfs");
        std::fs::copy("/bin/busybox", bin.join("busybox")).expect("busybox-static");
        for a in ["sh", "cat", "echo", "sleep", "id", "touch", "ls"] {
            std::os::unix::fs::symlink("busybox", bin.join(a)).expect("applet");
        }
        std::fs::copy(common::probe(), b.join("rootfs/probe")).expect("probe");
        for p in [b.clone(), b.join("rootfs"), bin.clone()] {
            self.chown(&p);
        }
        let o = self.carrack(&["spec", "--rootless", "--bundle", b.to_str().expect("utf-8")]);
        assert!(o.status.success(), "spec --rootless: {}", text(&o));
        let path = b.join("config.json");
        let mut c: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("config")).expect("json");
        c["process"]["terminal"] = json!(false);
        c["process"]["args"] = json!(args);
        tweak(&mut c);
        std::fs::write(&path, c.to_string()).expect("write");
        b
    }
}

/// The lifecycle as an unprivileged user: spec --rootless maps the user to root in a user
/// namespace; run, create/start, exec, state, list, kill and delete work; the state lives in
/// $XDG_RUNTIME_DIR/carrack; nothing is left behind.
#[test]
#[ignore = "needs root: creates a user and runs carrack as it through setpriv"]
fn an_unprivileged_user_runs_the_whole_lifecycle() {
    let r = Rootless::new();
    let uid = r.uid;

    let b = r.bundle("b", &["/probe", "report"], |c| {
        c["linux"]["seccomp"] = json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["getpriority"], "action": "SCMP_ACT_ERRNO"}]});
        c["process"]["noNewPrivileges"] = json!(false);
    });
    let config: Value =
        serde_json::from_slice(&std::fs::read(b.join("config.json")).expect("cfg")).expect("json");
    assert_eq!(
        config["linux"]["uidMappings"],
        json!([{"containerID": 0, "hostID": uid, "size": 1}]),
        "spec --rootless maps the caller"
    );
    let o = r.carrack(&["run", "--bundle", b.to_str().expect("utf-8"), "rl"]);
    assert!(o.status.success(), "run: {}", text(&o));
    let v: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert_eq!(v["status"]["Uid"], "0\t0\t0\t0", "root inside");
    assert_eq!(
        v["status"]["Seccomp"], "2",
        "the filter loads in the user namespace"
    );
    let host_user_ns = std::fs::read_link("/proc/self/ns/user").expect("ns");
    assert_ne!(v["namespaces"]["user"], host_user_ns.display().to_string());
    let mounts = v["mounts"].as_array().expect("mounts");
    assert!(
        mounts
            .iter()
            .any(|m| m["target"] == "/proc" && m["type"] == "proc")
    );
    assert!(
        mounts.iter().any(|m| m["target"] == "/sys"),
        "sysfs bound in: {mounts:?}"
    );

    // Detached, then exec, state, list, kill, delete.
    let b = r.bundle("d", &["sleep", "60"], |_| {});
    let o = r.carrack(&["run", "-d", "--bundle", b.to_str().expect("utf-8"), "rd"]);
    assert!(o.status.success(), "run -d: {}", text(&o));
    assert!(
        r.dir.path().join("run/carrack/rd").is_dir(),
        "state under $XDG_RUNTIME_DIR/carrack"
    );
    let o = r.carrack(&["exec", "rd", "cat", "/proc/self/uid_map"]);
    assert!(o.status.success(), "exec: {}", text(&o));
    let map: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(map, ["0", &uid.to_string(), "1"]);
    let o = r.carrack(&["state", "rd"]);
    let s: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert_eq!(s["status"], "running");
    let pid = s["pid"].as_u64().expect("pid");
    let owner = std::fs::metadata(format!("/proc/{pid}")).map(|m| {
        use std::os::unix::fs::MetadataExt;
        m.uid()
    });
    assert_eq!(
        owner.ok(),
        Some(uid),
        "the container runs as the user on the host"
    );
    let o = r.carrack(&["list", "--format", "json"]);
    assert!(text(&o).contains("\"rd\""), "{}", text(&o));
    let o = r.carrack(&["kill", "rd", "KILL"]);
    assert!(o.status.success(), "kill: {}", text(&o));
    let o = r.carrack(&["delete", "-f", "rd"]);
    assert!(o.status.success(), "delete: {}", text(&o));
    assert_eq!(
        std::fs::read_dir(r.dir.path().join("run/carrack"))
            .expect("root")
            .count(),
        0
    );
}

/// Limits need cgroups; without delegated ones, asking for them is an error naming why.
#[test]
#[ignore = "needs root: creates a user and runs carrack as it through setpriv"]
fn resources_without_delegated_cgroups_are_refused() {
    let r = Rootless::new();
    let b = r.bundle("b", &["true"], |c| {
        c["linux"]["resources"] = json!({"pids": {"limit": 10}});
    });
    let o = r.carrack(&["run", "--bundle", b.to_str().expect("utf-8"), "rr"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("linux.resources"), "{}", text(&o));
    assert!(text(&o).contains("rootless"), "{}", text(&o));
    assert_eq!(
        std::fs::read_dir(r.dir.path().join("run/carrack")).map_or(0, |d| d.count()),
        0
    );
}
