//! The pure cgroup v2 path, proven on a real pure-v2 kernel: this host is hybrid, so the test
//! boots Debian's kernel under qemu with `cgroup_no_v1=all` and an initramfs holding carrack,
//! busybox-static, the static probe and prepared bundles; a script in the VM drives carrack
//! and prints what it saw, and the assertions run here on that transcript.
//!
//! Needs `qemu-system-x86_64` and a kernel image: `CARRACK_VM_KERNEL`, or
//! /var/tmp/carrack-vm/vmlinuz (.ci/run fetches Debian's linux-image-cloud-amd64 there).
#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod common;
use common::text;

/// A `newc` cpio archive, written entry by entry.
struct Cpio {
    out: Vec<u8>,
    ino: u32,
}

impl Cpio {
    fn new() -> Self {
        Self {
            out: Vec::new(),
            ino: 1,
        }
    }
    fn entry(&mut self, name: &str, mode: u32, data: &[u8]) {
        let fields = [
            self.ino,
            mode,
            0,
            0,
            1,
            0,
            u32::try_from(data.len()).expect("small file"),
            0,
            0,
            0,
            0,
            u32::try_from(name.len() + 1).expect("name"),
            0,
        ];
        self.ino += 1;
        self.out.extend_from_slice(b"070701");
        for f in fields {
            self.out.extend_from_slice(format!("{f:08x}").as_bytes());
        }
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(0);
        self.pad();
        self.out.extend_from_slice(data);
        self.pad();
    }
    fn pad(&mut self) {
        while !self.out.len().is_multiple_of(4) {
            self.out.push(0);
        }
    }
    fn dir(&mut self, name: &str) {
        self.entry(name, 0o040_755, &[]);
    }
    fn file(&mut self, name: &str, mode: u32, data: &[u8]) {
        self.entry(name, 0o100_000 | mode, data);
    }
    fn symlink(&mut self, name: &str, target: &str) {
        self.entry(name, 0o120_777, target.as_bytes());
    }
    fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, &[]);
        self.out
    }
}

fn kernel() -> PathBuf {
    let k = std::env::var_os("CARRACK_VM_KERNEL").map_or_else(
        || PathBuf::from("/var/tmp/carrack-vm/vmlinuz"),
        PathBuf::from,
    );
    assert!(
        k.exists(),
        "no kernel at {}: run .ci/run's packages step, or set CARRACK_VM_KERNEL",
        k.display()
    );
    k
}

/// The shared libraries `bin` loads, from ldd.
fn libraries(bin: &Path) -> Vec<PathBuf> {
    let o = Command::new("ldd").arg(bin).output().expect("ldd");
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with('/'))
                .map(PathBuf::from)
        })
        .collect()
}

/// `carrack spec` with busybox + probe in the rootfs, `args` as the process, `tweak` applied.
fn config(name: &str, args: &[&str], tweak: impl FnOnce(&mut Value)) -> Value {
    let dir = tempfile::tempdir().expect("tmp");
    let o = Command::new(env!("CARGO_BIN_EXE_carrack"))
        .args(["spec", "--bundle"])
        .arg(dir.path())
        .output()
        .expect("spec");
    assert!(o.status.success(), "{}", text(&o));
    let mut c: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("config.json")).expect("config"))
            .expect("json");
    c["process"]["terminal"] = json!(false);
    c["process"]["args"] = json!(args);
    c["linux"]["cgroupsPath"] = json!(format!("/carrack-test/{name}"));
    tweak(&mut c);
    c
}

const APPLETS: [&str; 14] = [
    "sh",
    "cat",
    "echo",
    "mknod",
    "head",
    "sleep",
    "mount",
    "mkdir",
    "cp",
    "test",
    "grep",
    "switch_root",
    "poweroff",
    "ls",
];

/// What the VM runs: stage 1 moves everything to a tmpfs (pivot_root cannot leave the
/// initramfs), stage 2 mounts the pure-v2 world and drives carrack.
const STAGE1: &str = r#"#!/bin/sh
mount -t proc proc /proc
mkdir -p /newroot
mount -t tmpfs -o size=512m tmpfs /newroot
for d in bin lib lib64 usr cases carrack probe stage2; do cp -a /$d /newroot/ 2>/dev/null; done
exec switch_root /newroot /stage2
"#;

const STAGE2: &str = r#"#!/bin/sh
mkdir -p /proc /sys /dev /tmp /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
C=/carrack
case_begin() { echo "@@@ begin $1"; }
case_end() { echo "@@@ end $1 rc=$2"; }
b() { echo /cases/$1; }

case_begin mount; grep cgroup /proc/mounts; ls /sys/fs/cgroup | grep -c . ; cat /sys/fs/cgroup/cgroup.controllers; case_end mount $?

case_begin limits; $C run --bundle $(b limits) limits; case_end limits $?

case_begin devices; $C run --bundle $(b devices) devices; case_end devices $?
case_begin devices_open; $C run --bundle $(b devices_open) devices_open; case_end devices_open $?

case_begin apparmor; cat /sys/module/apparmor/parameters/enabled; $C run --bundle $(b apparmor) apparmor; case_end apparmor $?

$C run -d --bundle $(b life) life > /tmp/life.out 2>&1 < /dev/null
echo "@@@ begin created"; $C state life; echo "@@@ end created rc=$?"
case_begin update; $C update --resources /cases/update.json life && $C exec life /probe read /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory.max; case_end update $?
case_begin stats; $C events --stats life; case_end stats $?
case_begin pause; $C pause life && cat /sys/fs/cgroup/carrack-test/life/cgroup.freeze && $C state life; case_end pause $?
case_begin resume; $C resume life && cat /sys/fs/cgroup/carrack-test/life/cgroup.freeze; case_end resume $?
case_begin delete; $C delete -f life; test -d /sys/fs/cgroup/carrack-test/life && echo cgroup-left || echo cgroup-gone; case_end delete $?

$C run -d --bundle $(b oom) oom > /tmp/oom.out 2>&1 < /dev/null
$C events --interval 60s oom > /tmp/events.out 2>&1 &
sleep 1
case_begin oom; $C exec oom /probe alloc 256; echo "exec-rc=$?"; sleep 1; cat /tmp/events.out; $C delete -f oom; case_end oom 0

echo "@@@ done"
poweroff -f
"#;

fn initramfs(dir: &Path) -> PathBuf {
    let mut c = Cpio::new();
    for d in [
        "bin", "lib", "lib64", "usr", "usr/lib", "proc", "cases", "dev",
    ] {
        c.dir(d);
    }
    let busybox = std::fs::read("/bin/busybox").expect("busybox-static");
    c.file("bin/busybox", 0o755, &busybox);
    for a in APPLETS {
        c.symlink(&format!("bin/{a}"), "busybox");
    }
    c.file("init", 0o755, STAGE1.as_bytes());
    c.file("stage2", 0o755, STAGE2.as_bytes());
    let carrack = Path::new(env!("CARGO_BIN_EXE_carrack"));
    c.file("carrack", 0o755, &std::fs::read(carrack).expect("carrack"));
    let probe = common::probe();
    c.file("probe", 0o755, &std::fs::read(&probe).expect("probe"));
    let mut made = std::collections::BTreeSet::new();
    for lib in libraries(carrack) {
        let real = std::fs::canonicalize(&lib).expect("lib");
        let name = lib.to_string_lossy().trim_start_matches('/').to_owned();
        for anc in Path::new(&name).ancestors().skip(1) {
            let a = anc.to_string_lossy().into_owned();
            if !a.is_empty() && made.insert(a.clone()) {
                c.dir(&a);
            }
        }
        c.file(&name, 0o755, &std::fs::read(real).expect("lib"));
    }
    // Bundles: one shared rootfs (busybox + probe), one config per case.
    c.dir("cases/rootfs");
    c.dir("cases/rootfs/bin");
    c.dir("cases/rootfs/tmp");
    c.file("cases/rootfs/bin/busybox", 0o755, &busybox);
    for a in APPLETS {
        c.symlink(&format!("cases/rootfs/bin/{a}"), "busybox");
    }
    c.file(
        "cases/rootfs/probe",
        0o755,
        &std::fs::read(&probe).expect("probe"),
    );
    let reads = [
        "/proc/self/cgroup",
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/pids.max",
        "/sys/fs/cgroup/cpu.weight",
        "/sys/fs/cgroup/cpu.max",
        "/sys/fs/cgroup/hugetlb.2MB.max",
    ];
    let mut probe_read = vec!["/probe", "read"];
    probe_read.extend(reads);
    // /dev/kmsg (1:11) is bound in from the VM's devtmpfs: not on the default allow list.
    // Written, not read: writers need no CAP_SYSLOG, so only the device rules decide.
    let devices_script = "cat /dev/null && echo null-ok; \
                          (echo carrack > /dev/kmsg) 2>/dev/null && echo kmsg-open || echo kmsg-denied";
    let kmsg = json!({"destination": "/dev/kmsg", "type": "bind", "source": "/dev/kmsg",
                      "options": ["bind"]});
    let cases: Vec<(&str, Value)> = vec![
        (
            "limits",
            config("limits", &probe_read, |c| {
                c["linux"]["resources"] = json!({
                    "memory": {"limit": 67108864},
                    "pids": {"limit": 42},
                    "cpu": {"shares": 512, "quota": 50000, "period": 100000},
                    "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]
                });
            }),
        ),
        (
            "devices",
            config("devices", &["sh", "-c", devices_script], |c| {
                c["mounts"]
                    .as_array_mut()
                    .expect("mounts")
                    .push(kmsg.clone());
            }),
        ),
        (
            "devices_open",
            config("devices_open", &["sh", "-c", devices_script], |c| {
                c["mounts"]
                    .as_array_mut()
                    .expect("mounts")
                    .push(kmsg.clone());
                c["linux"]["resources"]["devices"] = json!([{"allow": true, "access": "rwm"}]);
            }),
        ),
        (
            "apparmor",
            config("apparmor", &["cat", "/proc/self/attr/current"], |c| {
                c["process"]["apparmorProfile"] = json!("unconfined");
            }),
        ),
        ("life", config("life", &["/probe", "sleep", "600"], |_| {})),
        (
            "oom",
            config("oom", &["/probe", "sleep", "600"], |c| {
                c["linux"]["resources"] = json!({"memory": {"limit": 33554432}});
            }),
        ),
    ];
    for (name, mut cfg) in cases {
        cfg["root"]["path"] = json!("/cases/rootfs");
        c.dir(&format!("cases/{name}"));
        c.file(
            &format!("cases/{name}/config.json"),
            0o644,
            cfg.to_string().as_bytes(),
        );
    }
    c.file(
        "cases/update.json",
        0o644,
        json!({"pids": {"limit": 10}, "memory": {"limit": 100663296}})
            .to_string()
            .as_bytes(),
    );
    let path = dir.join("initramfs.cpio");
    std::fs::write(&path, c.finish()).expect("initramfs");
    path
}

/// Boots the VM and returns the serial transcript.
fn boot(initrd: &Path) -> String {
    // Software emulation: nested KVM on a VM host (this one included) is not dependable, and
    // TCG boots this kernel in a few seconds.
    let mut cmd = Command::new("qemu-system-x86_64");
    cmd.args([
        "-accel",
        "tcg",
        "-m",
        "1024",
        "-smp",
        "2",
        "-nographic",
        "-no-reboot",
    ])
    .arg("-kernel")
    .arg(kernel())
    .arg("-initrd")
    .arg(initrd)
    .args([
        "-append",
        "console=ttyS0 cgroup_no_v1=all panic=-1 quiet rdinit=/init",
    ]);
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qemu-system-x86_64 (apt-get install qemu-system-x86)");
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let o = child.wait_with_output().expect("qemu");
    let mut t = String::from_utf8_lossy(&o.stdout).replace('\r', "");
    t.push_str(&String::from_utf8_lossy(&o.stderr));
    t
}

/// `@@@ begin NAME` … `@@@ end NAME rc=N` sections of the transcript.
fn sections(t: &str) -> BTreeMap<String, (String, i32)> {
    let mut out = BTreeMap::new();
    let mut cur: Option<(String, String)> = None;
    for line in t.lines() {
        // The console's escape sequences may precede a marker on its line.
        let line = line.find("@@@ ").map_or(line, |i| &line[i..]);
        if let Some(name) = line.strip_prefix("@@@ begin ") {
            cur = Some((name.trim().to_owned(), String::new()));
        } else if let Some(rest) = line.strip_prefix("@@@ end ") {
            let (name, rc) = rest.split_once(" rc=").expect("end marker");
            if let Some((n, body)) = cur.take() {
                assert_eq!(n, name.trim());
                out.insert(n, (body, rc.trim().parse().unwrap_or(-1)));
            }
        } else if let Some((_, body)) = cur.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

#[test]
fn pure_cgroup_v2_in_a_vm() {
    let dir = tempfile::tempdir().expect("tmp");
    let initrd = initramfs(dir.path());
    let t = boot(&initrd);
    let mut log = std::fs::File::create(dir.path().join("serial.log")).expect("log");
    let _ = log.write_all(t.as_bytes());
    assert!(t.contains("@@@ done"), "the VM did not finish:\n{t}");
    let s = sections(&t);
    let get = |n: &str| {
        s.get(n)
            .unwrap_or_else(|| panic!("no section {n} in:\n{t}"))
            .clone()
    };

    // A pure v2 host: one cgroup2 mount, no v1 hierarchies.
    let (mount, _) = get("mount");
    assert!(mount.contains("cgroup2 /sys/fs/cgroup cgroup2"), "{mount}");
    assert!(!mount.contains(" cgroup rw"), "no v1 hierarchy: {mount}");
    assert!(
        mount.contains("memory") && mount.contains("pids"),
        "{mount}"
    );

    // Limits written to v2 files, read by the probe inside through its own cgroup2 mount.
    let (limits, rc) = get("limits");
    assert_eq!(rc, 0, "{limits}");
    let v: Value = serde_json::from_str(limits.trim()).unwrap_or_else(|e| panic!("{e}: {limits}"));
    assert_eq!(
        v["/proc/self/cgroup"], "0::/\n",
        "cgroup namespace rooted at the container"
    );
    assert_eq!(v["/sys/fs/cgroup/memory.max"], "67108864\n");
    assert_eq!(v["/sys/fs/cgroup/pids.max"], "42\n");
    assert_eq!(
        v["/sys/fs/cgroup/cpu.weight"], "20\n",
        "shares 512 → weight 20, as runc"
    );
    assert_eq!(v["/sys/fs/cgroup/cpu.max"], "50000 100000\n");
    assert_eq!(v["/sys/fs/cgroup/hugetlb.2MB.max"], "4194304\n");

    // Devices through the eBPF program: the default rules deny a node made inside; allowing
    // everything opens it (so the first result is the program's doing).
    let (dev, rc) = get("devices");
    assert_eq!(rc, 0, "{dev}");
    assert!(
        dev.contains("null-ok") && dev.contains("kmsg-denied"),
        "{dev}"
    );
    let (open, _) = get("devices_open");
    assert!(open.contains("kmsg-open"), "{open}");

    // Debian's kernel enables AppArmor: the profile is applied at exec (this host has no LSM,
    // so this is where the apply path runs; the host-side tests cover the refusal).
    let (aa, rc) = get("apparmor");
    assert_eq!(rc, 0, "{aa}");
    assert!(aa.starts_with("Y\n"), "AppArmor enabled in the VM: {aa}");
    assert!(aa.contains("unconfined"), "{aa}");

    let (created, rc) = get("created");
    assert_eq!(rc, 0, "{created}");
    let (update, rc) = get("update");
    assert_eq!(rc, 0, "{update}");
    let v: Value = serde_json::from_str(update.trim()).unwrap_or_else(|e| panic!("{e}: {update}"));
    assert_eq!(v["/sys/fs/cgroup/pids.max"], "10\n");
    assert_eq!(v["/sys/fs/cgroup/memory.max"], "100663296\n");
    let (stats, rc) = get("stats");
    assert_eq!(rc, 0, "{stats}");
    let v: Value = serde_json::from_str(stats.trim()).unwrap_or_else(|e| panic!("{e}: {stats}"));
    assert_eq!(v["type"], "stats");
    assert_eq!(v["data"]["pids"]["limit"], 10);
    assert!(
        v["data"]["memory"]["usage"]["usage"]
            .as_u64()
            .is_some_and(|u| u > 0)
    );
    let (pause, rc) = get("pause");
    assert_eq!(rc, 0, "{pause}");
    assert!(
        pause.starts_with("1\n") && pause.contains("\"paused\""),
        "{pause}"
    );
    let (resume, rc) = get("resume");
    assert_eq!((resume.as_str(), rc), ("0\n", 0));
    let (delete, rc) = get("delete");
    assert_eq!(rc, 0, "{delete}");
    assert!(delete.contains("cgroup-gone"), "{delete}");

    // OOM on v2: memory.events' oom_kill.
    let (oom, _) = get("oom");
    assert!(oom.contains("exec-rc=137"), "{oom}");
    // runc's field order: type, id.
    assert!(oom.contains(r#"{"type":"oom","id":"oom"}"#), "{oom}");
}
