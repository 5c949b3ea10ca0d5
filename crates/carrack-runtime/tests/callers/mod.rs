//! What the caller tests (docker.rs, podman.rs, containerd.rs) share: a busybox image, the
//! table runner, the "saving runtime" that keeps the callers' documents, the daemons' setup and
//! cleanup, and the rows docker and podman have in common (their command lines agree).
//!
//! Each row is one (caller, option) pair, checked for its real effect inside the container.
//! A row that fails under carrack is run again under runc: a failure runc shares is the
//! environment's (reported, not failed), one runc passes is carrack's (the test fails).
//!
//! Environment:
//! - `CARRACK_CALLERS_RUNTIME=PATH`: the runtime under test instead of the built carrack.
//! - `CARRACK_CALLERS_ONLY=opt,opt`: only the rows whose option is named.
//! - `CARRACK_CALLERS_SAVE=DIR`: wrap the runtime under test in the saving runtime and write the
//!   deduplicated config.json and process.json documents to DIR as
//!   `<caller>-<option>-config.json` / `-process.json` (tests/data/callers is the corpus).
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use sha2::Digest;

/// What one row found.
pub type Check = Result<(), String>;

/// How a check's error starts when the caller itself refuses the option: a finding about the
/// caller, not the runtime (listed N/A, not run under runc).
pub const NA: &str = "n/a: ";

/// A runtime a row runs under: `label` names it to the caller (docker's `--runtime`), `path`
/// is the binary (or the saving script in front of it).
#[derive(Clone, Debug)]
pub struct Runtime {
    pub label: &'static str,
    pub path: PathBuf,
}

impl Runtime {
    pub fn is_runc(&self) -> bool {
        self.label == "runc"
    }
}

/// The runtime under test, and runc to compare with.
pub fn runtimes(saver: Option<&Saver>) -> (Runtime, Runtime) {
    let carrack = std::env::var_os("CARRACK_CALLERS_RUNTIME").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_carrack")),
        PathBuf::from,
    );
    let path = saver.map_or(carrack, |s| s.script.clone());
    (
        Runtime {
            label: "carrack",
            path,
        },
        Runtime {
            label: "runc",
            path: PathBuf::from("/usr/sbin/runc"),
        },
    )
}

/// stdout and stderr of `o`.
pub fn text(o: &Output) -> String {
    format!(
        "stdout: {:?}\nstderr: {:?}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// stdout, trimmed, with a terminal's \r removed.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout)
        .replace('\r', "")
        .trim()
        .to_owned()
}

/// `o` succeeded: its stdout.
pub fn ok(what: &str, o: &Output) -> Result<String, String> {
    if o.status.success() {
        Ok(stdout(o))
    } else {
        Err(format!("`{what}` failed ({}):\n{}", o.status, text(o)))
    }
}

/// `o` exited with `code`: its stdout.
pub fn code(what: &str, o: &Output, code: i32) -> Result<String, String> {
    if o.status.code() == Some(code) {
        Ok(stdout(o))
    } else {
        Err(format!(
            "`{what}`: exit status {:?}, expected {code}:\n{}",
            o.status.code(),
            text(o)
        ))
    }
}

/// `o` failed.
pub fn fails(what: &str, o: &Output) -> Check {
    if o.status.success() {
        Err(format!(
            "`{what}` succeeded, expected a failure:\n{}",
            text(o)
        ))
    } else {
        Ok(())
    }
}

pub fn eq(what: &str, got: &str, want: &str) -> Check {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, expected {want:?}"))
    }
}

pub fn contains(what: &str, got: &str, want: &str) -> Check {
    if got.contains(want) {
        Ok(())
    } else {
        Err(format!("{what}: {got:?} does not contain {want:?}"))
    }
}

/// The value of `key:` in a /proc/PID/status text.
pub fn status_field(status: &str, key: &str) -> String {
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .unwrap_or("")
        .trim()
        .to_owned()
}

/// Polls `f` until it is true or `secs` pass.
pub fn wait_for(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// The shell snippet that prints a cgroup file whether the container sees cgroup v1 (the
/// controller's directory) or v2.
pub fn cgroup_file(v1: &str, v2: &str) -> String {
    format!("cat /sys/fs/cgroup/{v1} 2>/dev/null || cat /sys/fs/cgroup/{v2}")
}

// ---------------------------------------------------------------------------------------------
// The image.

/// A busybox-static rootfs with every applet, /etc/passwd and /etc/group (root, and `app`
/// 1000:1000), /tmp, and a marker file; as a tar at `dir/bb.tar`.
pub fn busybox_tar(dir: &Path) -> PathBuf {
    let root = dir.join("bb-rootfs");
    for d in [
        "bin", "etc", "tmp", "home/app", "proc", "sys", "dev", "root", "var", "mnt",
    ] {
        std::fs::create_dir_all(root.join(d)).expect("rootfs");
    }
    std::fs::set_permissions(root.join("tmp"), std::fs::Permissions::from_mode(0o1777))
        .expect("chmod");
    std::fs::copy("/bin/busybox", root.join("bin/busybox"))
        .expect("busybox-static is needed (apt-get install busybox-static)");
    let list = Command::new("/bin/busybox")
        .arg("--list")
        .output()
        .expect("busybox --list");
    for a in String::from_utf8_lossy(&list.stdout).lines() {
        if a != "busybox" {
            std::os::unix::fs::symlink("busybox", root.join("bin").join(a)).expect("applet");
        }
    }
    std::fs::write(
        root.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n\
         nobody:x:65534:65534:nobody:/:/bin/sh\n",
    )
    .expect("passwd");
    std::fs::write(
        root.join("etc/group"),
        "root:x:0:\napp:x:1000:\nnogroup:x:65534:\n",
    )
    .expect("group");
    std::fs::write(root.join("etc/image-marker"), "from-the-image\n").expect("marker");
    let tar = dir.join("bb.tar");
    let o = Command::new("tar")
        .arg("-C")
        .arg(&root)
        .arg("--numeric-owner")
        .arg("-cf")
        .arg(&tar)
        .arg(".")
        .output()
        .expect("tar");
    assert!(o.status.success(), "tar: {}", text(&o));
    tar
}

// ---------------------------------------------------------------------------------------------
// The saving runtime.

/// One saved document: when (the name's time and pid, to order them) and its bytes.
type Saved = (String, Vec<u8>);

/// A script in front of a runtime that copies every config.json it is given at create and
/// every process.json given to exec --process, named after the row running, then execs the
/// runtime with the same arguments.
pub struct Saver {
    pub dir: PathBuf,
    pub script: PathBuf,
    out: PathBuf,
}

impl Saver {
    /// When CARRACK_CALLERS_SAVE is set: a saver writing its raw copies under `work`.
    pub fn from_env(work: &Path) -> Option<Self> {
        let out = PathBuf::from(std::env::var_os("CARRACK_CALLERS_SAVE")?);
        let runtime = std::env::var_os("CARRACK_CALLERS_RUNTIME").map_or_else(
            || PathBuf::from(env!("CARGO_BIN_EXE_carrack")),
            PathBuf::from,
        );
        let dir = work.join("saved");
        std::fs::create_dir_all(&dir).expect("saved");
        let script = work.join("saving-runtime");
        std::fs::write(
            &script,
            format!(
                r#"#!/bin/sh
# The saving runtime: keeps the documents a caller gives, then runs the real runtime.
dir='{dir}'
label=$(cat "$dir/.label" 2>/dev/null || echo unlabeled)
cmd= bundle= process= prev=
for a in "$@"; do
    case "$prev" in
        --bundle|-b) bundle=$a ;;
        --process|-p) process=$a ;;
    esac
    case "$a" in
        --bundle=*) bundle=${{a#--bundle=}} ;;
        --process=*) process=${{a#--process=}} ;;
        create|run|exec) [ -z "$cmd" ] && cmd=$a ;;
    esac
    prev=$a
done
n=$(date +%s%N).$$
case "$cmd" in
    create|run) cp "${{bundle:-.}}/config.json" "$dir/$label.$n.config.json" 2>/dev/null ;;
    exec) [ -n "$process" ] && cp "$process" "$dir/$label.$n.process.json" 2>/dev/null ;;
esac
exec '{runtime}' "$@"
"#,
                dir = dir.display(),
                runtime = runtime.display()
            ),
        )
        .expect("script");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        std::fs::create_dir_all(&out).expect("CARRACK_CALLERS_SAVE");
        Some(Self { dir, script, out })
    }

    /// The row now running: what the next documents are named after.
    pub fn label(&self, caller: &str, option: &str) {
        std::fs::write(self.dir.join(".label"), format!("{caller}-{option}")).expect("label");
    }

    /// Moves the documents saved for `caller`'s `rows` (under the runtime under test, not the
    /// runc reruns) to the output directory, deduplicated by content, replacing the caller's
    /// earlier ones there.
    pub fn collect(&self, caller: &str, order: &[&str]) {
        for e in std::fs::read_dir(&self.out).expect("out").flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with(&format!("{caller}-")) && n.ends_with(".json") {
                std::fs::remove_file(e.path()).expect("rm");
            }
        }
        let mut saved: BTreeMap<(String, String), Vec<Saved>> = BTreeMap::new();
        for e in std::fs::read_dir(&self.dir).expect("saved").flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            let Some(rest) = n.strip_suffix(".json") else {
                continue;
            };
            let parts: Vec<&str> = rest.rsplitn(4, '.').collect();
            // kind, pid, time, label
            if parts.len() != 4 || !parts[3].starts_with(&format!("{caller}-")) {
                continue;
            }
            let bytes = std::fs::read(e.path()).expect("read");
            saved
                .entry((parts[3].to_owned(), parts[0].to_owned()))
                .or_default()
                .push((format!("{}.{}", parts[2], parts[1]), bytes));
        }
        let mut seen = HashSet::new();
        for option in order {
            let label = format!("{caller}-{option}");
            for kind in ["config", "process"] {
                let Some(docs) = saved.get_mut(&(label.clone(), kind.to_owned())) else {
                    continue;
                };
                docs.sort_by(|a, b| a.0.cmp(&b.0));
                let mut n = 0;
                for (_, bytes) in docs.iter() {
                    if !seen.insert(sha2::Sha256::digest(bytes)) {
                        continue;
                    }
                    n += 1;
                    let name = if n == 1 {
                        format!("{label}-{kind}.json")
                    } else {
                        format!("{label}-{kind}-{n}.json")
                    };
                    std::fs::write(self.out.join(name), bytes).expect("write");
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The table.

/// One row: an option, and the check of its effect.
pub struct Row<C> {
    pub option: &'static str,
    pub check: fn(&C, &Runtime, &str) -> Check,
}

/// Something a row cannot do with this caller, and why: not run, listed.
pub struct NotApplicable {
    pub option: &'static str,
    pub why: &'static str,
}

/// Runs `rows` for `caller` under `under_test`; each failure again under `runc`. Returns the
/// report; panics, with the report, when a row fails under carrack and passes under runc.
pub fn run_table<C>(
    caller: &str,
    ctx: &C,
    rows: &[Row<C>],
    na: &[NotApplicable],
    under_test: &Runtime,
    runc: &Runtime,
    saver: Option<&Saver>,
) -> String {
    let only: Option<Vec<String>> = std::env::var("CARRACK_CALLERS_ONLY")
        .ok()
        .map(|s| s.split(',').map(str::to_owned).collect());
    let mut report = String::new();
    let mut carrack_bugs = Vec::new();
    let start = Instant::now();
    for row in rows {
        if only
            .as_ref()
            .is_some_and(|o| !o.iter().any(|x| x == row.option))
        {
            continue;
        }
        if let Some(s) = saver {
            s.label(caller, row.option);
        }
        let t = Instant::now();
        let name = format!("cc-{}", row.option);
        let first = (row.check)(ctx, under_test, &name);
        let secs = t.elapsed().as_secs_f32();
        match first {
            Ok(()) => report.push_str(&format!(
                "PASS  {caller:<10} {:<22} ({secs:.1}s)\n",
                row.option
            )),
            Err(e) if e.starts_with(NA) => report.push_str(&format!(
                "N/A   {caller:<10} {:<22} {}\n",
                row.option,
                &e[NA.len()..]
            )),
            Err(e) => {
                if let Some(s) = saver {
                    s.label(caller, &format!("{}-runc", row.option));
                }
                let again = (row.check)(ctx, runc, &format!("{name}-runc"));
                let verdict = match &again {
                    Ok(()) => {
                        carrack_bugs.push(row.option);
                        "FAIL  (runc passes: carrack's)"
                    }
                    Err(_) => "FAIL  (runc fails too: environment)",
                };
                report.push_str(&format!(
                    "{verdict} {caller:<10} {:<22} ({secs:.1}s)\n    under {}: {}\n",
                    row.option,
                    under_test.label,
                    e.replace('\n', "\n    ")
                ));
                if let Err(r) = again {
                    report.push_str(&format!("    under runc: {}\n", r.replace('\n', "\n    ")));
                }
            }
        }
    }
    for n in na {
        report.push_str(&format!("N/A   {caller:<10} {:<22} {}\n", n.option, n.why));
    }
    report.push_str(&format!(
        "{caller}: {} rows in {:.0}s\n",
        rows.len(),
        start.elapsed().as_secs_f32()
    ));
    eprintln!("{report}");
    assert!(
        carrack_bugs.is_empty(),
        "{caller}: rows that fail under carrack and pass under runc: {carrack_bugs:?} \
         (the table above says why)"
    );
    report
}

// ---------------------------------------------------------------------------------------------
// Cleanup.

/// Processes whose command line mentions `dir`, other than this one: killed, and listed.
pub fn kill_leftover_processes(dir: &Path) -> Vec<String> {
    let needle = dir.to_string_lossy().into_owned();
    let me = std::process::id();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").expect("proc").flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if pid as u32 == me {
            continue;
        }
        let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(&needle) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
            found.push(format!("process {pid}: {cmdline}"));
        }
    }
    found
}

/// Mounts under `dir` in this mount namespace: unmounted (lazily), and listed.
pub fn unmount_leftovers(dir: &Path) -> Vec<String> {
    let needle = dir.to_string_lossy().into_owned();
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut found: Vec<String> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|p| p.starts_with(&needle))
        .map(str::to_owned)
        .collect();
    found.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in &found {
        let _ = Command::new("umount").args(["-l", p]).output();
    }
    found.into_iter().map(|p| format!("mount {p}")).collect()
}

/// Removes the cgroup directories named `parent` in every hierarchy (deepest first); lists
/// those under it other than `callers_own` (a caller's, never removed by it, as podman's
/// `conmon`), and those that could not go (a process still in them).
pub fn remove_cgroups(parent: &str, callers_own: &[&str]) -> Vec<String> {
    let mut left = Vec::new();
    let Ok(entries) = std::fs::read_dir("/sys/fs/cgroup") else {
        return left;
    };
    let mut roots: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    roots.push(PathBuf::from("/sys/fs/cgroup"));
    for root in roots {
        let top = root.join(parent.trim_start_matches('/'));
        if !top.is_dir() {
            continue;
        }
        let mut dirs = vec![];
        let mut stack = vec![top.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push(e.path());
                }
            }
            dirs.push(d);
        }
        dirs.sort_by_key(|d| std::cmp::Reverse(d.as_os_str().len()));
        for d in dirs {
            // Directories the test's containers left are the finding; the parent itself is
            // the callers' (they create it and never remove it).
            if d != top && !callers_own.iter().any(|o| d == top.join(o)) {
                left.push(format!("cgroup {}", d.display()));
            }
            if let Err(e) = std::fs::remove_dir(&d) {
                left.push(format!("cgroup {} not removed: {e}", d.display()));
            }
        }
    }
    left
}

/// A daemon started in a private mount namespace with a tmpfs on /run (containerd 1.6 puts shim
/// sockets under /run/containerd/s whatever its configuration says; nothing is left in the
/// host's /run). Its pid is the daemon's: `unshare` and `sh` exec it.
pub struct Daemon {
    pub child: Child,
    pub log: PathBuf,
}

impl Daemon {
    /// Runs `setup` (shell) then execs `argv`, all in a new mount namespace.
    pub fn start(setup: &str, argv: &[OsString], log: PathBuf) -> Self {
        let mut script = String::from(
            "set -e\nmount -t tmpfs -o mode=755 tmpfs /run\nmkdir -p /run/containerd\n",
        );
        script.push_str(setup);
        script.push_str("\nexec \"$@\"\n");
        let logf = std::fs::File::create(&log).expect("log");
        let child = Command::new("unshare")
            .args([
                "-m",
                "--propagation",
                "private",
                "sh",
                "-c",
                &script,
                "daemon",
            ])
            .args(argv)
            .stdin(Stdio::null())
            .stdout(logf.try_clone().expect("log"))
            .stderr(logf)
            .spawn()
            .unwrap_or_else(|e| panic!("unshare (util-linux) is needed: {e}"));
        Self { child, log }
    }
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
    /// SIGTERM, then SIGKILL after `secs`.
    pub fn stop(&mut self, secs: u64) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let end = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// docker and podman: one command line.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Docker,
    Podman,
}

/// docker (against a private dockerd) or podman (with private storage): the command, the
/// arguments before the subcommand, and those added to every `run`/`create`.
pub struct Engine {
    pub kind: Kind,
    pub image: String,
    /// For the rows' host directories.
    pub scratch: PathBuf,
    /// The arguments before the subcommand.
    pub global: Vec<OsString>,
    pub envs: Vec<(String, OsString)>,
    /// Added to every run/create.
    pub run_args: Vec<String>,
}

impl Engine {
    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Docker => "docker",
            Kind::Podman => "podman",
        }
    }
    /// The command for `args` under `rt`: docker names the runtime on run/create (the daemon
    /// knows it by label), podman takes its path on every command.
    pub fn cmd(&self, rt: &Runtime, args: &[&str]) -> Command {
        // A hung command fails its row instead of the whole test.
        let mut c = Command::new("timeout");
        c.args(["-s", "KILL", "120", self.name()]);
        c.args(&self.global);
        for (k, v) in &self.envs {
            c.env(k, v);
        }
        if self.kind == Kind::Podman {
            c.arg("--runtime").arg(&rt.path);
        }
        if let Some((sub, rest)) = args.split_first() {
            c.arg(sub);
            if *sub == "run" || *sub == "create" {
                if self.kind == Kind::Docker {
                    c.args(["--runtime", rt.label]);
                }
                c.args(&self.run_args);
            }
            c.args(rest);
        }
        c.stdin(Stdio::null());
        c
    }
    pub fn out(&self, rt: &Runtime, args: &[&str]) -> Output {
        self.cmd(rt, args)
            .output()
            .unwrap_or_else(|e| panic!("{} is needed: {e}", self.name()))
    }
    /// `run --rm [opts] IMAGE sh -c script`: the output.
    pub fn sh(&self, rt: &Runtime, opts: &[&str], script: &str) -> Output {
        let mut a = vec!["run", "--rm"];
        a.extend_from_slice(opts);
        a.extend_from_slice(&[self.image.as_str(), "sh", "-c", script]);
        self.out(rt, &a)
    }
    /// As `sh`, requiring success: the stdout.
    pub fn sh_ok(&self, rt: &Runtime, opts: &[&str], script: &str) -> Result<String, String> {
        let o = self.sh(rt, opts, script);
        ok(
            &format!("{} run {} sh -c {script:?}", self.name(), opts.join(" ")),
            &o,
        )
    }
    /// A detached container `name` running `script`.
    pub fn detached(&self, rt: &Runtime, name: &str, opts: &[&str], script: &str) -> Check {
        self.rm(rt, name);
        let mut a = vec!["run", "-d", "--name", name];
        a.extend_from_slice(opts);
        a.extend_from_slice(&[self.image.as_str(), "sh", "-c", script]);
        let o = self.out(rt, &a);
        ok(&format!("{} run -d {}", self.name(), opts.join(" ")), &o)?;
        Ok(())
    }
    /// `rm -f`, without podman's wait for the stop timeout.
    pub fn rm(&self, rt: &Runtime, name: &str) {
        match self.kind {
            Kind::Docker => self.out(rt, &["rm", "-f", name]),
            Kind::Podman => self.out(rt, &["rm", "-f", "-t", "0", name]),
        };
    }
    /// `inspect -f FORMAT name`.
    pub fn inspect(&self, rt: &Runtime, name: &str, format: &str) -> String {
        stdout(&self.out(rt, &["inspect", "-f", format, name]))
    }
    pub fn running(&self, rt: &Runtime, name: &str) -> bool {
        self.inspect(rt, name, "{{.State.Running}}") == "true"
    }
    /// The container's logs, stdout and stderr together.
    pub fn logs(&self, rt: &Runtime, name: &str) -> String {
        let o = self.out(rt, &["logs", name]);
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    }
    /// `wait name`: the exit status it prints.
    pub fn wait(&self, rt: &Runtime, name: &str) -> Result<i32, String> {
        let o = self.out(rt, &["wait", name]);
        let s = ok("wait", &o)?;
        s.lines()
            .last()
            .unwrap_or("")
            .trim()
            .parse()
            .map_err(|e| format!("wait printed {s:?}: {e}"))
    }
    /// A fresh host directory for a row.
    pub fn host_dir(&self, name: &str) -> PathBuf {
        let d = self.scratch.join(name);
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("host dir");
        d
    }
}

/// A script that traps `sig`, prints `got-<sig>` and exits with `status`; ready once it
/// printed "ready".
pub fn trapping(sig: &str, status: i32) -> String {
    format!("trap 'echo got-{sig}; exit {status}' {sig}; echo ready; while :; do sleep 0.1; done")
}

fn with_container<T>(
    e: &Engine,
    rt: &Runtime,
    name: &str,
    opts: &[&str],
    script: &str,
    f: impl FnOnce() -> Result<T, String>,
) -> Result<T, String> {
    e.detached(rt, name, opts, script)?;
    let r = f();
    e.rm(rt, name);
    r
}

/// CapEff of a process, as a number.
fn cap_eff(status: &str) -> Result<u64, String> {
    u64::from_str_radix(&status_field(status, "CapEff"), 16)
        .map_err(|err| format!("CapEff in {status:?}: {err}"))
}

const CAP_NET_ADMIN: u64 = 1 << 12;

/// A privileged process has every capability the host can grant that its caller knows: all of
/// the host's bounding set up to CAP_AUDIT_READ (37, known to every caller here; docker 20.10
/// knows no later ones), and none outside it.
pub fn privileged_caps(status: &str) -> Check {
    let eff = cap_eff(status)?;
    let host = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let bnd = u64::from_str_radix(&status_field(&host, "CapBnd"), 16).map_err(|e| e.to_string())?;
    let known = (1u64 << 38) - 1;
    if eff & !bnd != 0 || (bnd & known) & !eff != 0 {
        return Err(format!(
            "privileged CapEff {eff:016x}: not the host's bounding set {bnd:016x} (up to cap 37)"
        ));
    }
    Ok(())
}

/// The rows docker and podman share.
pub fn engine_rows() -> Vec<Row<Engine>> {
    vec![
        Row {
            option: "exit-status",
            check: |e, rt, _| {
                eq("echo", &e.sh_ok(rt, &[], "echo hello")?, "hello")?;
                code("sh -c 'exit 3'", &e.sh(rt, &[], "exit 3"), 3)?;
                Ok(())
            },
        },
        Row {
            option: "env",
            check: |e, rt, _| {
                let out = e.sh_ok(rt, &["-e", "FOO=bar baz"], "echo \"$FOO|$PATH|$HOME\"")?;
                let mut parts = out.split('|');
                eq("-e FOO", parts.next().unwrap_or(""), "bar baz")?;
                contains("PATH", parts.next().unwrap_or(""), "/bin")?;
                eq("HOME", parts.next().unwrap_or(""), "/root")
            },
        },
        Row {
            option: "user",
            check: |e, rt, _| {
                eq(
                    "-u 1000:1000",
                    &e.sh_ok(rt, &["-u", "1000:1000"], "echo $(id -u):$(id -g)")?,
                    "1000:1000",
                )?;
                // A name the image's /etc/passwd resolves; HOME follows it.
                eq(
                    "-u app",
                    &e.sh_ok(rt, &["-u", "app"], "echo $(id -u):$(id -g):$HOME")?,
                    "1000:1000:/home/app",
                )
            },
        },
        Row {
            option: "workdir",
            check: |e, rt, _| eq("-w /etc", &e.sh_ok(rt, &["-w", "/etc"], "pwd")?, "/etc"),
        },
        Row {
            option: "workdir-new",
            check: |e, rt, _| {
                if e.kind == Kind::Podman {
                    // podman 4.3 checks -w itself, before any runtime is called.
                    let o = e.sh(rt, &["-w", "/new/dir"], "pwd");
                    if String::from_utf8_lossy(&o.stderr).contains("does not exist on container") {
                        return Err(format!("{NA}podman refuses a -w the image lacks itself"));
                    }
                }
                eq(
                    "-w /new/dir",
                    &e.sh_ok(rt, &["-w", "/new/dir"], "pwd; test -d /new/dir && echo ok")?,
                    "/new/dir\nok",
                )
            },
        },
        Row {
            option: "hostname",
            check: |e, rt, _| {
                eq(
                    "--hostname",
                    &e.sh_ok(rt, &["--hostname", "boat"], "hostname")?,
                    "boat",
                )
            },
        },
        Row {
            option: "stdin",
            check: |e, rt, _| {
                let mut c = e.cmd(
                    rt,
                    &["run", "--rm", "-i", &e.image, "sh", "-c", "tr a-z A-Z"],
                );
                c.stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
                let mut child = c.spawn().map_err(|err| err.to_string())?;
                {
                    use std::io::Write;
                    let mut i = child.stdin.take().ok_or("stdin")?;
                    i.write_all(b"from-stdin\n")
                        .map_err(|err| err.to_string())?;
                }
                let o = child.wait_with_output().map_err(|err| err.to_string())?;
                eq("run -i", &ok("run -i", &o)?, "FROM-STDIN")
            },
        },
        Row {
            option: "detached-logs",
            check: |e, rt, name| {
                with_container(
                    e,
                    rt,
                    name,
                    &[],
                    "echo to-stdout; echo to-stderr >&2; sleep 100",
                    || {
                        if !wait_for(10, || e.logs(rt, name).contains("to-stderr")) {
                            return Err(format!("logs: {:?}", e.logs(rt, name)));
                        }
                        let logs = e.logs(rt, name);
                        contains("logs", &logs, "to-stdout")?;
                        if !e.running(rt, name) {
                            return Err(format!(
                                "not running after run -d: {}",
                                e.inspect(rt, name, "{{json .State}}")
                            ));
                        }
                        Ok(())
                    },
                )
            },
        },
        Row {
            option: "exec",
            check: |e, rt, name| {
                with_container(e, rt, name, &["-e", "RUNENV=r"], "sleep 100", || {
                    let o = e.out(rt, &["exec", name, "sh", "-c", "echo in-exec; exit 4"]);
                    eq("exec output", &code("exec ... exit 4", &o, 4)?, "in-exec")?;
                    let o = e.out(
                        rt,
                        &["exec", "-e", "X=y", name, "sh", "-c", "echo $X$RUNENV"],
                    );
                    eq("exec -e", &ok("exec -e", &o)?, "yr")?;
                    let o = e.out(rt, &["exec", "-u", "1000:1000", name, "id", "-u"]);
                    eq("exec -u", &ok("exec -u", &o)?, "1000")?;
                    let o = e.out(rt, &["exec", "-w", "/etc", name, "pwd"]);
                    eq("exec -w", &ok("exec -w", &o)?, "/etc")?;
                    // The exec'd process is in the container's pid namespace.
                    let o = e.out(rt, &["exec", name, "sh", "-c", "cat /proc/1/cmdline"]);
                    contains("exec sees pid 1", &ok("exec pid 1", &o)?, "sleep")
                })
            },
        },
        Row {
            option: "exec-tty",
            check: |e, rt, name| {
                with_container(e, rt, name, &[], "sleep 100", || {
                    let o = e.out(rt, &["exec", "-t", name, "sh", "-c", "test -t 1 && tty"]);
                    contains("exec -t", &ok("exec -t", &o)?, "/dev/pts/")
                })
            },
        },
        Row {
            option: "stop",
            check: |e, rt, name| {
                with_container(e, rt, name, &[], &trapping("TERM", 0), || {
                    if !wait_for(10, || e.logs(rt, name).contains("ready")) {
                        return Err(format!("never ready: {:?}", e.logs(rt, name)));
                    }
                    let t = Instant::now();
                    ok("stop -t 10", &e.out(rt, &["stop", "-t", "10", name]))?;
                    if t.elapsed() > Duration::from_secs(8) {
                        return Err("stop waited for its timeout: SIGTERM not delivered".into());
                    }
                    contains("logs after stop", &e.logs(rt, name), "got-TERM")?;
                    eq(
                        "exit code after stop",
                        &e.inspect(rt, name, "{{.State.ExitCode}}"),
                        "0",
                    )?;
                    eq(
                        "running after stop",
                        &e.inspect(rt, name, "{{.State.Running}}"),
                        "false",
                    )
                })
            },
        },
        Row {
            option: "stop-kill",
            check: |e, rt, name| {
                // pid 1 without a handler ignores SIGTERM: stop escalates to SIGKILL.
                with_container(e, rt, name, &[], "sleep 100", || {
                    ok("stop -t 1", &e.out(rt, &["stop", "-t", "1", name]))?;
                    eq(
                        "exit code after stop",
                        &e.inspect(rt, name, "{{.State.ExitCode}}"),
                        "137",
                    )
                })
            },
        },
        Row {
            option: "kill-signal",
            check: |e, rt, name| {
                with_container(e, rt, name, &[], &trapping("USR1", 7), || {
                    if !wait_for(10, || e.logs(rt, name).contains("ready")) {
                        return Err(format!("never ready: {:?}", e.logs(rt, name)));
                    }
                    ok("kill -s USR1", &e.out(rt, &["kill", "-s", "USR1", name]))?;
                    let status = e.wait(rt, name)?;
                    eq("exit status after USR1", &status.to_string(), "7")?;
                    contains("logs", &e.logs(rt, name), "got-USR1")
                })
            },
        },
        Row {
            option: "rm",
            check: |e, rt, name| {
                e.detached(rt, name, &[], "sleep 100")?;
                let rm: &[&str] = match e.kind {
                    Kind::Docker => &["rm", "-f"],
                    Kind::Podman => &["rm", "-f", "-t", "1"],
                };
                let mut a = rm.to_vec();
                a.push(name);
                ok("rm -f (running)", &e.out(rt, &a))?;
                fails("inspect after rm", &e.out(rt, &["inspect", name]))?;
                let o = e.out(rt, &["run", "--name", name, &e.image, "true"]);
                ok("run (to exit)", &o)?;
                ok("rm (exited)", &e.out(rt, &["rm", name]))?;
                fails("inspect after rm", &e.out(rt, &["inspect", name]))
            },
        },
        Row {
            option: "tty",
            check: |e, rt, _| {
                let out = e.sh_ok(
                    rt,
                    &["-t"],
                    "test -t 0 && test -t 1 && tty && stty size >/dev/null && echo sized",
                )?;
                contains("run -t: tty", &out, "/dev/pts/")?;
                contains("run -t: stty", &out, "sized")
            },
        },
        Row {
            option: "read-only",
            check: |e, rt, _| {
                let out = e.sh_ok(
                    rt,
                    &["--read-only"],
                    "touch /probe 2>/dev/null && echo wrote; \
                     grep -E '^[^ ]+ / ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1; \
                     touch /dev/shm/x && echo shm-ok",
                )?;
                eq("--read-only", &out, "ro\nshm-ok")
            },
        },
        Row {
            option: "tmpfs",
            check: |e, rt, _| {
                let out = e.sh_ok(
                    rt,
                    &["--tmpfs", "/x"],
                    "echo data > /x/f && cat /x/f; grep ' /x ' /proc/mounts | cut -d' ' -f3",
                )?;
                eq("--tmpfs /x", &out, "data\ntmpfs")
            },
        },
        Row {
            option: "volume",
            check: |e, rt, name| {
                let host = e.host_dir(name);
                std::fs::write(host.join("from-host"), "h\n").map_err(|err| err.to_string())?;
                let v = format!("{}:/data", host.display());
                let out = e.sh_ok(
                    rt,
                    &["-v", &v],
                    "cat /data/from-host; echo c > /data/from-ctr",
                )?;
                eq("read through -v", &out, "h")?;
                let got = std::fs::read_to_string(host.join("from-ctr")).unwrap_or_default();
                eq("written through -v", got.trim(), "c")?;
                let v = format!("{}:/data:ro", host.display());
                let out = e.sh_ok(
                    rt,
                    &["-v", &v],
                    "cat /data/from-host; touch /data/x 2>/dev/null || echo refused",
                )?;
                eq("-v :ro", &out, "h\nrefused")
            },
        },
        Row {
            option: "cap-drop-all",
            check: |e, rt, _| {
                let st = e.sh_ok(rt, &["--cap-drop", "ALL"], "cat /proc/self/status")?;
                eq("CapEff", &status_field(&st, "CapEff"), "0000000000000000")?;
                eq("CapBnd", &status_field(&st, "CapBnd"), "0000000000000000")?;
                let out = e.sh_ok(
                    rt,
                    &["--cap-drop", "ALL"],
                    "chown 1000 /tmp 2>/dev/null && echo chowned || echo refused",
                )?;
                eq("chown without CAP_CHOWN", &out, "refused")
            },
        },
        Row {
            option: "cap-add",
            check: |e, rt, _| {
                let plain = cap_eff(&e.sh_ok(rt, &[], "cat /proc/self/status")?)?;
                if plain & CAP_NET_ADMIN != 0 {
                    return Err("NET_ADMIN in the default set".into());
                }
                let st = e.sh_ok(rt, &["--cap-add", "NET_ADMIN"], "cat /proc/self/status")?;
                let with = cap_eff(&st)?;
                eq(
                    "CapEff with NET_ADMIN",
                    &format!("{with:016x}"),
                    &format!("{:016x}", plain | CAP_NET_ADMIN),
                )?;
                let out = e.sh_ok(
                    rt,
                    &["--cap-add", "NET_ADMIN"],
                    "ip link set lo mtu 1280 && echo set",
                )?;
                eq("ip link set with NET_ADMIN", &out, "set")
            },
        },
        Row {
            option: "memory",
            check: |e, rt, _| {
                let out = e.sh_ok(
                    rt,
                    &["--memory", "64m"],
                    &cgroup_file("memory/memory.limit_in_bytes", "memory.max"),
                )?;
                eq("memory limit inside", &out, "67108864")
            },
        },
        Row {
            option: "pids-limit",
            check: |e, rt, _| {
                let out = e.sh_ok(
                    rt,
                    &["--pids-limit", "50"],
                    &cgroup_file("pids/pids.max", "pids.max"),
                )?;
                eq("pids.max inside", &out, "50")
            },
        },
        Row {
            option: "cpus",
            check: |e, rt, _| {
                let out = e.sh_ok(
                    rt,
                    &["--cpus", "0.5"],
                    "if [ -e /sys/fs/cgroup/cpu.max ]; then cat /sys/fs/cgroup/cpu.max; \
                     else echo $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) \
                     $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us); fi",
                )?;
                eq("cpu quota inside", &out, "50000 100000")
            },
        },
        Row {
            option: "userns",
            check: |e, rt, name| {
                // docker: the rows' daemon runs with --userns-remap (see docker.rs); podman:
                // --uidmap/--gidmap on the command.
                let opts: Vec<&str> = match e.kind {
                    Kind::Docker => vec![],
                    Kind::Podman => {
                        vec!["--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"]
                    }
                };
                let host = e.host_dir(name);
                std::fs::set_permissions(&host, std::fs::Permissions::from_mode(0o777))
                    .map_err(|err| err.to_string())?;
                let v = format!("{}:/data", host.display());
                let mut all = opts.clone();
                all.extend_from_slice(&["-v", &v]);
                let out = e.sh_ok(
                    rt,
                    &all,
                    "cat /proc/self/uid_map; cat /proc/self/gid_map; id -u; touch /data/f",
                )?;
                userns_seen(&out, &host)
            },
        },
        Row {
            option: "privileged",
            check: |e, rt, _| {
                let st = e.sh_ok(rt, &["--privileged"], "cat /proc/self/status")?;
                privileged_caps(&st)?;
                eq("Seccomp", &status_field(&st, "Seccomp"), "0")?;
                let out = e.sh_ok(
                    rt,
                    &["--privileged"],
                    "test -c /dev/fuse && echo dev; mount -t tmpfs t /mnt && echo mounted; \
                     grep -E '^sysfs /sys ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1",
                )?;
                eq(
                    "--privileged: host devices, mount, rw /sys",
                    &out,
                    "dev\nmounted\nrw",
                )
            },
        },
        Row {
            option: "device",
            check: |e, rt, _| {
                let out = e.sh_ok(
                    rt,
                    &["--device", "/dev/fuse"],
                    "test -c /dev/fuse && echo present; : <> /dev/fuse && echo opened",
                )?;
                eq("--device /dev/fuse", &out, "present\nopened")?;
                let out = e.sh_ok(rt, &[], "test -e /dev/fuse && echo present || echo absent")?;
                eq("no --device", &out, "absent")
            },
        },
        Row {
            option: "seccomp-default",
            check: |e, rt, _| {
                let st = e.sh_ok(rt, &[], "cat /proc/self/status")?;
                eq("Seccomp", &status_field(&st, "Seccomp"), "2")?;
                if e.kind == Kind::Podman {
                    // podman's profile allows unshare; what it refuses busybox cannot call
                    // without capabilities the container lacks anyway.
                    return Ok(());
                }
                // docker's profile allows unshare only with CAP_SYS_ADMIN.
                let out = e.sh_ok(
                    rt,
                    &[],
                    "unshare -U true 2>/dev/null && echo allowed || echo refused",
                )?;
                eq("unshare -U under the default profile", &out, "refused")
            },
        },
        Row {
            option: "seccomp-unconfined",
            check: |e, rt, _| {
                let st = e.sh_ok(
                    rt,
                    &["--security-opt", "seccomp=unconfined"],
                    "cat /proc/self/status",
                )?;
                eq("Seccomp", &status_field(&st, "Seccomp"), "0")?;
                let out = e.sh_ok(
                    rt,
                    &["--security-opt", "seccomp=unconfined"],
                    "unshare -U true 2>/dev/null && echo allowed || echo refused",
                )?;
                eq("unshare -U unconfined", &out, "allowed")
            },
        },
        Row {
            option: "init",
            check: |e, rt, _| {
                let out = e.sh_ok(rt, &["--init"], "echo $$; tr '\\0' ' ' < /proc/1/cmdline")?;
                let mut l = out.lines();
                let me = l.next().unwrap_or("");
                if me == "1" {
                    return Err(format!("--init: the command is pid 1: {out:?}"));
                }
                let init = l.next().unwrap_or("");
                if !(init.contains("init") || init.contains("catatonit")) {
                    return Err(format!("--init: pid 1 is {init:?}"));
                }
                Ok(())
            },
        },
        Row {
            option: "restart",
            check: |e, rt, name| {
                e.rm(rt, name);
                let o = e.out(
                    rt,
                    &[
                        "run",
                        "--name",
                        name,
                        &e.image,
                        "sh",
                        "-c",
                        "echo ran; exit 5",
                    ],
                );
                let r = (|| {
                    eq("first run", &code("run", &o, 5)?, "ran")?;
                    let o = e.out(rt, &["start", "-a", name]);
                    contains("start -a", &code("start -a", &o, 5)?, "ran")?;
                    ok("start", &e.out(rt, &["start", name]))?;
                    eq("wait after start", &e.wait(rt, name)?.to_string(), "5")?;
                    let logs = e.logs(rt, name);
                    eq("logs count", &logs.matches("ran").count().to_string(), "3")
                })();
                e.rm(rt, name);
                r
            },
        },
    ]
}

/// Judges the user-namespace rows: the process printed its uid_map, gid_map and `id -u` (both
/// maps `0 100000 65536`, uid 0) and, as root inside, wrote `f` in the host directory `host`,
/// which the host sees owned by 100000.
pub fn userns_seen(out: &str, host: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let maps: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let want = vec!["0", "100000", "65536"];
    if maps.len() != 3 || maps[0] != want || maps[1] != want || maps[2] != ["0"] {
        return Err(format!("uid_map, gid_map, id -u: {out:?}"));
    }
    let meta = std::fs::metadata(host.join("f")).map_err(|err| err.to_string())?;
    eq(
        "host owner of a file root wrote",
        &meta.uid().to_string(),
        "100000",
    )
}
