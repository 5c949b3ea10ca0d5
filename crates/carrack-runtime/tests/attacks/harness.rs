//! The attack suite's harness: a runtime under test (carrack, runc or crun, each run from a
//! private copy of its binary, so a successful attack damages only the copy), hostile bundles,
//! and the canaries that judge from outside the container.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{Env, text};

pub use crate::canaries::*;
pub use crate::evil::*;

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
