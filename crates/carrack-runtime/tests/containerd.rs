//! containerd (from Debian, 1.6) driving carrack through its runc shim (`ctr run --runc-binary
//! PATH`, the io.containerd.runc.v2 runtime's BinaryName), one row per option, each checked for
//! its effect inside the container (see callers/mod.rs).
//!
//! containerd 1.6 puts shim sockets under /run/containerd/s whatever its configuration says,
//! and ctr its FIFOs under /run/containerd/fifo: the daemon runs in a private mount namespace
//! with a tmpfs there, and every ctr command joins that namespace (nsenter). Root, state,
//! socket and configuration live in a temporary directory; the image is a busybox-static rootfs
//! in a layout carrack writes and exports as an oci-archive; the native snapshotter; each
//! container's cgroup under a parent of the test's own, removed at the end. ctr has no option
//! for some rows (listed N/A).
#![cfg(target_os = "linux")]

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

mod callers;
mod common;
use callers::{
    Check, Daemon, NotApplicable, Row, Runtime, Saver, code, contains, eq, fails, ok, stdout,
};

struct Ctr {
    daemon: Daemon,
    sock: PathBuf,
    parent: String,
    scratch: PathBuf,
}

/// containerd's default capabilities (oci.populateDefaultUnixSpec).
const CTR_DEFAULT_CAPS: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

const IMAGE: &str = "docker.io/library/bb:bb";
const NS: &str = "carrack-callers";

impl Ctr {
    /// ctr, in the daemon's mount namespace.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("timeout");
        c.args(["-s", "KILL", "120", "nsenter", "-t"])
            .arg(self.daemon.pid().to_string())
            .args(["-m", "ctr", "-a"])
            .arg(&self.sock)
            .args(["-n", NS])
            .args(args)
            .stdin(Stdio::null());
        c
    }
    fn out(&self, args: &[&str]) -> Output {
        self.cmd(args)
            .output()
            .unwrap_or_else(|e| panic!("nsenter (util-linux) and ctr are needed: {e}"))
    }
    /// `ctr run` arguments up to the image: runtime, snapshotter, cgroup, `opts`.
    fn run_args<'a>(&'a self, rt: &'a Runtime, name: &str, opts: &[&'a str]) -> Vec<String> {
        let mut a: Vec<String> = vec![
            "run".into(),
            "--snapshotter".into(),
            "native".into(),
            "--runc-binary".into(),
            rt.path.to_string_lossy().into_owned(),
            "--cgroup".into(),
            format!("{}/{name}", self.parent),
        ];
        a.extend(opts.iter().map(|s| (*s).to_owned()));
        a
    }
    /// `ctr run [--rm] opts IMAGE name sh -c script`, in the foreground.
    fn sh(&self, rt: &Runtime, name: &str, opts: &[&str], script: &str) -> Output {
        self.remove(name);
        let mut a = self.run_args(rt, name, opts);
        if !opts.contains(&"-d") {
            a.push("--rm".into());
        }
        a.extend([IMAGE, name, "sh", "-c", script].map(str::to_owned));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        self.out(&a)
    }
    fn sh_ok(
        &self,
        rt: &Runtime,
        name: &str,
        opts: &[&str],
        script: &str,
    ) -> Result<String, String> {
        let o = self.sh(rt, name, opts, script);
        ok(&format!("ctr run {} sh -c {script:?}", opts.join(" ")), &o)
    }
    /// The same, under a pseudo-terminal of the test's own (ctr -t needs its stdin to be one).
    ///
    /// Not script(1): with its stdin at EOF, script writes the terminal's EOF character, and
    /// whether ctr reads it before it puts the terminal in raw mode is a race (seen on a fresh CI
    /// machine: ctr hung until killed, under runc as under carrack). Here nothing is ever written
    /// to the terminal, it has a real size, and the test reads it until ctr is gone.
    fn under_pty(&self, args: &[&str]) -> Output {
        let size = nix::pty::Winsize {
            ws_row: 24,
            ws_col: 80,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = nix::pty::openpty(Some(&size), None).expect("openpty");
        let slave = std::fs::File::from(pty.slave);
        let mut c = self.cmd(args);
        c.stdin(slave.try_clone().expect("dup"))
            .stdout(slave.try_clone().expect("dup"))
            .stderr(slave);
        let mut child = c.spawn().expect("nsenter (util-linux) and ctr are needed");
        // The slave's copies in this process went with `c`; reading the master ends in EIO once
        // ctr and everything it started have closed theirs.
        drop(c);
        let mut master = std::fs::File::from(pty.master);
        let reader = std::thread::spawn(move || {
            let mut out = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                match std::io::Read::read(&mut master, &mut buf) {
                    Ok(0) | Err(_) => break out,
                    Ok(n) => out.extend_from_slice(&buf[..n]),
                }
            }
        });
        let status = child.wait().expect("wait");
        // A process ctr left holding the terminal must not hold the test: give it a moment.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !reader.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let stdout = if reader.is_finished() {
            reader.join().unwrap_or_default()
        } else {
            b"(the terminal was still open 5 s after ctr exited)".to_vec()
        };
        Output {
            status,
            stdout,
            stderr: Vec::new(),
        }
    }
    /// Kills and deletes the task and the container `name`, if there.
    fn remove(&self, name: &str) {
        let _ = self.out(&["task", "kill", "-s", "SIGKILL", name]);
        let _ = self.out(&["task", "rm", "-f", name]);
        let _ = self.out(&["container", "rm", name]);
    }
    /// The task's pid and status from `ctr task ls`.
    fn task(&self, name: &str) -> Option<(u32, String)> {
        let o = self.out(&["task", "ls"]);
        String::from_utf8_lossy(&o.stdout).lines().find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 3 && f[0] == name).then(|| (f[1].parse().unwrap_or(0), f[2].to_owned()))
        })
    }
    /// Waits until the task runs and its pid 1 catches `signum`.
    fn wait_trap(&self, name: &str, signum: u32) -> Check {
        let ready = callers::wait_for(10, || {
            self.task(name).is_some_and(|(pid, st)| {
                st == "RUNNING"
                    && std::fs::read_to_string(format!("/proc/{pid}/status"))
                        .ok()
                        .and_then(|s| {
                            u64::from_str_radix(&callers::status_field(&s, "SigCgt"), 16).ok()
                        })
                        .is_some_and(|m| m & (1 << (signum - 1)) != 0)
            })
        });
        if ready {
            Ok(())
        } else {
            Err(format!(
                "task {name} never ran with its trap: {:?}",
                self.task(name)
            ))
        }
    }
    /// A foreground `ctr run` of `script` in the background; `f` acts on it; its output.
    fn foreground(
        &self,
        rt: &Runtime,
        name: &str,
        script: &str,
        f: impl FnOnce() -> Check,
    ) -> Result<Output, String> {
        self.remove(name);
        let mut a = self.run_args(rt, name, &["--rm"]);
        a.extend([IMAGE, name, "sh", "-c", script].map(str::to_owned));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let child = self
            .cmd(&a)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        let r = f();
        if r.is_err() {
            self.remove(name);
        }
        let o = child.wait_with_output().map_err(|e| e.to_string())?;
        r.map(|()| o)
    }
    /// ctr's containers see no cgroupfs: runs `sleep` detached with `opts` and reads, on the
    /// host, each (v1 controller, v1 file, v2 file) of the cgroup /proc/PID/cgroup names.
    fn cgroup_files(
        &self,
        rt: &Runtime,
        name: &str,
        opts: &[&str],
        files: &[(&str, &str, &str)],
    ) -> Result<String, String> {
        let mut a = vec!["-d"];
        a.extend_from_slice(opts);
        let o = self.sh(rt, name, &a, "sleep 100");
        let r = (|| {
            ok(&format!("ctr run -d {}", opts.join(" ")), &o)?;
            let pid = self.task(name).ok_or("no task")?.0;
            let cg = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
                .map_err(|e| e.to_string())?;
            let mut out = vec![];
            for (ctl, v1, v2) in files {
                let line = cg.lines().find_map(|l| {
                    let mut f = l.splitn(3, ':');
                    let (_, ctls, path) = (f.next()?, f.next()?, f.next()?);
                    ctls.split(',').any(|x| x == *ctl).then(|| path.to_owned())
                });
                let file = match line {
                    Some(path) => format!("/sys/fs/cgroup/{ctl}{path}/{v1}"),
                    None => {
                        let path = cg.lines().find_map(|l| l.strip_prefix("0::")).unwrap_or("");
                        format!("/sys/fs/cgroup{path}/{v2}")
                    }
                };
                if file.ends_with('/') {
                    continue;
                }
                out.push(
                    std::fs::read_to_string(&file)
                        .map_err(|e| format!("{file}: {e}"))?
                        .trim()
                        .to_owned(),
                );
            }
            Ok(out.join("\n"))
        })();
        self.remove(name);
        r
    }
    fn host_dir(&self, name: &str) -> PathBuf {
        let d = self.scratch.join(name);
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("host dir");
        d
    }
}

fn rows() -> Vec<Row<Ctr>> {
    vec![
        Row {
            option: "exit-status",
            check: |c, rt, n| {
                eq("echo", &c.sh_ok(rt, n, &[], "echo hello")?, "hello")?;
                code("sh -c 'exit 3'", &c.sh(rt, n, &[], "exit 3"), 3)?;
                Ok(())
            },
        },
        Row {
            option: "env",
            check: |c, rt, n| {
                let out = c.sh_ok(
                    rt,
                    n,
                    &["--env", "FOO=bar baz"],
                    "echo \"$FOO|$PATH|$HOME\"",
                )?;
                let mut parts = out.split('|');
                eq("--env FOO", parts.next().unwrap_or(""), "bar baz")?;
                contains("PATH", parts.next().unwrap_or(""), "/bin")?;
                eq("HOME", parts.next().unwrap_or(""), "/root")
            },
        },
        Row {
            option: "workdir",
            check: |c, rt, n| {
                eq(
                    "--cwd /etc",
                    &c.sh_ok(rt, n, &["--cwd", "/etc"], "pwd")?,
                    "/etc",
                )
            },
        },
        Row {
            option: "workdir-new",
            check: |c, rt, n| {
                eq(
                    "--cwd /new/dir",
                    &c.sh_ok(
                        rt,
                        n,
                        &["--cwd", "/new/dir"],
                        "pwd; test -d /new/dir && echo ok",
                    )?,
                    "/new/dir\nok",
                )
            },
        },
        Row {
            option: "detached-logs",
            check: |c, rt, n| {
                let log = c.scratch.join(format!("{n}.log"));
                let _ = std::fs::create_dir_all(&c.scratch);
                let uri = format!("file://{}", log.display());
                let o = c.sh(
                    rt,
                    n,
                    &["-d", "--log-uri", &uri],
                    "echo to-stdout; echo to-stderr >&2; sleep 100",
                );
                let r = (|| {
                    ok("ctr run -d --log-uri", &o)?;
                    let read = || std::fs::read_to_string(&log).unwrap_or_default();
                    if !callers::wait_for(10, || read().contains("to-stderr")) {
                        return Err(format!("log file: {:?}", read()));
                    }
                    contains("log", &read(), "to-stdout")?;
                    eq(
                        "task status",
                        &c.task(n).map(|t| t.1).unwrap_or_default(),
                        "RUNNING",
                    )
                })();
                c.remove(n);
                r
            },
        },
        Row {
            option: "exec",
            check: |c, rt, n| {
                let o = c.sh(rt, n, &["-d", "--env", "RUNENV=r"], "sleep 100");
                let r = (|| {
                    ok("ctr run -d", &o)?;
                    let o = c.out(&[
                        "task",
                        "exec",
                        "--exec-id",
                        "e1",
                        n,
                        "sh",
                        "-c",
                        "echo in-exec; exit 4",
                    ]);
                    eq(
                        "exec output",
                        &code("task exec ... exit 4", &o, 4)?,
                        "in-exec",
                    )?;
                    let o = c.out(&[
                        "task",
                        "exec",
                        "--exec-id",
                        "e2",
                        n,
                        "sh",
                        "-c",
                        "echo $RUNENV",
                    ]);
                    eq("exec inherits the env", &ok("task exec", &o)?, "r")?;
                    let o = c.out(&[
                        "task",
                        "exec",
                        "--exec-id",
                        "e3",
                        "--user",
                        "1000",
                        n,
                        "id",
                        "-u",
                    ]);
                    eq("exec --user", &ok("task exec --user", &o)?, "1000")?;
                    let o = c.out(&["task", "exec", "--exec-id", "e4", "--cwd", "/etc", n, "pwd"]);
                    eq("exec --cwd", &ok("task exec --cwd", &o)?, "/etc")?;
                    let o = c.out(&[
                        "task",
                        "exec",
                        "--exec-id",
                        "e5",
                        n,
                        "cat",
                        "/proc/1/cmdline",
                    ]);
                    contains("exec sees pid 1", &ok("task exec", &o)?, "sleep")
                })();
                c.remove(n);
                r
            },
        },
        Row {
            option: "exec-tty",
            check: |c, rt, n| {
                let o = c.sh(rt, n, &["-d"], "sleep 100");
                let r = (|| {
                    ok("ctr run -d", &o)?;
                    let o = c.under_pty(&[
                        "task",
                        "exec",
                        "-t",
                        "--exec-id",
                        "t1",
                        n,
                        "sh",
                        "-c",
                        "test -t 1 && tty",
                    ]);
                    contains("task exec -t", &ok("task exec -t", &o)?, "/dev/pts/")
                })();
                c.remove(n);
                r
            },
        },
        Row {
            option: "stop",
            check: |c, rt, n| {
                // ctr has no stop: `task kill` sends SIGTERM.
                let o = c.foreground(rt, n, &callers::trapping("TERM", 0), || {
                    c.wait_trap(n, 15)?;
                    ok("task kill", &c.out(&["task", "kill", n]))?;
                    Ok(())
                })?;
                eq(
                    "output",
                    &code("ctr run (killed)", &o, 0)?,
                    "ready\ngot-TERM",
                )
            },
        },
        Row {
            option: "stop-kill",
            check: |c, rt, n| {
                let o = c.foreground(rt, n, "sleep 100", || {
                    callers::wait_for(10, || c.task(n).is_some_and(|t| t.1 == "RUNNING"));
                    ok(
                        "task kill -s SIGKILL",
                        &c.out(&["task", "kill", "-s", "SIGKILL", n]),
                    )?;
                    Ok(())
                })?;
                code("ctr run (killed)", &o, 137)?;
                Ok(())
            },
        },
        Row {
            option: "kill-signal",
            check: |c, rt, n| {
                let o = c.foreground(rt, n, &callers::trapping("USR1", 7), || {
                    c.wait_trap(n, 10)?;
                    ok(
                        "task kill -s SIGUSR1",
                        &c.out(&["task", "kill", "-s", "SIGUSR1", n]),
                    )?;
                    Ok(())
                })?;
                eq(
                    "output",
                    &code("ctr run (signalled)", &o, 7)?,
                    "ready\ngot-USR1",
                )
            },
        },
        Row {
            option: "rm",
            check: |c, rt, n| {
                ok("ctr run -d", &c.sh(rt, n, &["-d"], "sleep 100"))?;
                ok("task rm -f (running)", &c.out(&["task", "rm", "-f", n]))?;
                if let Some(t) = c.task(n) {
                    return Err(format!("task still listed: {t:?}"));
                }
                ok("container rm", &c.out(&["container", "rm", n]))?;
                fails("container info after rm", &c.out(&["container", "info", n]))
            },
        },
        Row {
            option: "tty",
            check: |c, rt, n| {
                c.remove(n);
                let mut a = c.run_args(rt, n, &["--rm", "-t"]);
                a.extend(
                    [
                        IMAGE,
                        n,
                        "sh",
                        "-c",
                        "test -t 0 && test -t 1 && tty && stty size >/dev/null && echo sized",
                    ]
                    .map(str::to_owned),
                );
                let a: Vec<&str> = a.iter().map(String::as_str).collect();
                let o = c.under_pty(&a);
                c.remove(n);
                let out = ok("ctr run -t", &o)?;
                contains("run -t: tty", &out, "/dev/pts/")?;
                contains("run -t: stty", &out, "sized")
            },
        },
        Row {
            option: "read-only",
            check: |c, rt, n| {
                let out = c.sh_ok(
                    rt,
                    n,
                    &["--read-only"],
                    "touch /probe 2>/dev/null && echo wrote; \
                     grep -E '^[^ ]+ / ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1",
                )?;
                eq("--read-only", &out, "ro")
            },
        },
        Row {
            option: "tmpfs",
            check: |c, rt, n| {
                let out = c.sh_ok(
                    rt,
                    n,
                    &[
                        "--mount",
                        "type=tmpfs,src=tmpfs,dst=/x,options=nosuid:nodev:size=1m",
                    ],
                    "echo data > /x/f && cat /x/f; grep ' /x ' /proc/mounts | cut -d' ' -f3",
                )?;
                eq("tmpfs mount", &out, "data\ntmpfs")
            },
        },
        Row {
            option: "volume",
            check: |c, rt, n| {
                let host = c.host_dir(n);
                std::fs::write(host.join("from-host"), "h\n").map_err(|e| e.to_string())?;
                let m = format!(
                    "type=bind,src={},dst=/data,options=rbind:rw",
                    host.display()
                );
                let out = c.sh_ok(
                    rt,
                    n,
                    &["--mount", &m],
                    "cat /data/from-host; echo c > /data/from-ctr",
                )?;
                eq("read through the bind", &out, "h")?;
                let got = std::fs::read_to_string(host.join("from-ctr")).unwrap_or_default();
                eq("written through the bind", got.trim(), "c")?;
                let m = format!(
                    "type=bind,src={},dst=/data,options=rbind:ro",
                    host.display()
                );
                let out = c.sh_ok(
                    rt,
                    n,
                    &["--mount", &m],
                    "cat /data/from-host; touch /data/x 2>/dev/null || echo refused",
                )?;
                eq("ro bind", &out, "h\nrefused")
            },
        },
        Row {
            option: "cap-drop-all",
            check: |c, rt, n| {
                // ctr takes no ALL: every capability of its default set, by name.
                let mut opts = vec![];
                for cap in CTR_DEFAULT_CAPS {
                    opts.extend_from_slice(&["--cap-drop", cap]);
                }
                let st = c.sh_ok(rt, n, &opts, "cat /proc/self/status")?;
                eq(
                    "CapEff",
                    &callers::status_field(&st, "CapEff"),
                    "0000000000000000",
                )?;
                eq(
                    "CapBnd",
                    &callers::status_field(&st, "CapBnd"),
                    "0000000000000000",
                )
            },
        },
        Row {
            option: "cap-add",
            check: |c, rt, n| {
                let cap = |st: &str| {
                    u64::from_str_radix(&callers::status_field(st, "CapEff"), 16)
                        .map_err(|e| e.to_string())
                };
                let plain = cap(&c.sh_ok(rt, n, &[], "cat /proc/self/status")?)?;
                let with = cap(&c.sh_ok(
                    rt,
                    n,
                    &["--cap-add", "CAP_NET_ADMIN"],
                    "cat /proc/self/status",
                )?)?;
                eq(
                    "CapEff with NET_ADMIN",
                    &format!("{with:016x}"),
                    &format!("{:016x}", plain | 1 << 12),
                )?;
                let out = c.sh_ok(
                    rt,
                    n,
                    &["--cap-add", "CAP_NET_ADMIN"],
                    "ip link set lo mtu 1280 && echo set",
                )?;
                eq("ip link set with NET_ADMIN", &out, "set")
            },
        },
        Row {
            option: "memory",
            check: |c, rt, n| {
                eq(
                    "memory limit of the task's cgroup",
                    &c.cgroup_files(
                        rt,
                        n,
                        &["--memory-limit", "67108864"],
                        &[("memory", "memory.limit_in_bytes", "memory.max")],
                    )?,
                    "67108864",
                )
            },
        },
        Row {
            option: "cpus",
            check: |c, rt, n| {
                let out = c.cgroup_files(
                    rt,
                    n,
                    &["--cpus", "0.5"],
                    &[
                        ("cpu", "cpu.cfs_quota_us", "cpu.max"),
                        ("cpu", "cpu.cfs_period_us", ""),
                    ],
                )?;
                if out != "50000\n100000" && out != "50000 100000" {
                    return Err(format!("cpu quota and period: {out:?}"));
                }
                Ok(())
            },
        },
        Row {
            option: "userns",
            check: |c, rt, n| {
                let host = c.host_dir(n);
                std::fs::set_permissions(&host, std::fs::Permissions::from_mode(0o777))
                    .map_err(|e| e.to_string())?;
                let m = format!(
                    "type=bind,src={},dst=/data,options=rbind:rw",
                    host.display()
                );
                let out = c.sh_ok(
                    rt,
                    n,
                    &[
                        "--uidmap",
                        "0:100000:65536",
                        "--gidmap",
                        "0:100000:65536",
                        "--mount",
                        &m,
                    ],
                    "cat /proc/self/uid_map; cat /proc/self/gid_map; id -u; touch /data/f",
                )?;
                callers::userns_seen(&out, &host)
            },
        },
        Row {
            option: "privileged",
            check: |c, rt, n| {
                let st = c.sh_ok(rt, n, &["--privileged"], "cat /proc/self/status")?;
                callers::privileged_caps(&st)?;
                let out = c.sh_ok(
                    rt,
                    n,
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
            check: |c, rt, n| {
                let out = c.sh_ok(
                    rt,
                    n,
                    &["--device", "/dev/fuse"],
                    "test -c /dev/fuse && echo present; : <> /dev/fuse && echo opened",
                )?;
                eq("--device /dev/fuse", &out, "present\nopened")?;
                let out = c.sh_ok(
                    rt,
                    n,
                    &[],
                    "test -e /dev/fuse && echo present || echo absent",
                )?;
                eq("no --device", &out, "absent")
            },
        },
        Row {
            option: "seccomp-default",
            check: |c, rt, n| {
                let st = c.sh_ok(rt, n, &["--seccomp"], "cat /proc/self/status")?;
                eq("Seccomp", &callers::status_field(&st, "Seccomp"), "2")?;
                let out = c.sh_ok(
                    rt,
                    n,
                    &["--seccomp"],
                    "unshare -U true 2>/dev/null && echo allowed || echo refused",
                )?;
                eq("unshare -U under the default profile", &out, "refused")
            },
        },
        Row {
            option: "seccomp-unconfined",
            check: |c, rt, n| {
                // ctr's default: no profile.
                let st = c.sh_ok(rt, n, &[], "cat /proc/self/status")?;
                eq("Seccomp", &callers::status_field(&st, "Seccomp"), "0")?;
                let out = c.sh_ok(
                    rt,
                    n,
                    &[],
                    "unshare -U true 2>/dev/null && echo allowed || echo refused",
                )?;
                eq("unshare -U unconfined", &out, "allowed")
            },
        },
        Row {
            option: "restart",
            check: |c, rt, n| {
                c.remove(n);
                let mut a = c.run_args(rt, n, &[]);
                a.extend([IMAGE, n, "sh", "-c", "echo ran; exit 5"].map(str::to_owned));
                let a: Vec<&str> = a.iter().map(String::as_str).collect();
                let o = c.out(&a);
                let r = (|| {
                    // ctr run deletes the task when it ends; the container stays.
                    eq("first run", &code("ctr run", &o, 5)?, "ran")?;
                    let o = c.out(&["task", "start", n]);
                    eq("task start again", &code("task start", &o, 5)?, "ran")
                })();
                c.remove(n);
                r
            },
        },
    ]
}

const NOT_APPLICABLE: &[NotApplicable] = &[
    NotApplicable {
        option: "user",
        why: "ctr run has no --user (task exec --user is in the exec row)",
    },
    NotApplicable {
        option: "stdin",
        why: "ctr run does not close the container's stdin at EOF (it hangs under runc too)",
    },
    NotApplicable {
        option: "hostname",
        why: "ctr run has no --hostname",
    },
    NotApplicable {
        option: "pids-limit",
        why: "ctr run has no pids limit option",
    },
    NotApplicable {
        option: "init",
        why: "ctr run has no --init",
    },
];

/// An oci-archive of the busybox image, tagged `bb`.
fn archive(dir: &Path) -> PathBuf {
    let tar = callers::busybox_tar(dir);
    common::single_layer_image(
        &dir.join("layout"),
        &std::fs::read(tar).expect("tar"),
        &["sh"],
        &["PATH=/bin"],
        "bb",
    );
    let out = dir.join("bb-oci.tar");
    let o = Command::new(env!("CARGO_BIN_EXE_carrack"))
        .args(["image", "export"])
        .arg(dir.join("layout"))
        .arg(&out)
        .arg("bb")
        .output()
        .expect("export");
    assert!(o.status.success(), "{}", callers::text(&o));
    out
}

#[test]
#[ignore = "needs root: starts a private containerd that drives carrack"]
fn containerd_drives_carrack() {
    let t = std::time::Instant::now();
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let saver = Saver::from_env(d);
    let (rt, runc) = callers::runtimes(saver.as_ref());
    let tar = archive(d);
    let parent = format!(
        "/carrack-callers-{}",
        d.file_name().expect("name").to_string_lossy()
    );
    std::fs::write(
        d.join("config.toml"),
        format!(
            "version = 2\nroot = \"{0}/root\"\nstate = \"{0}/state\"\n\
             disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n[grpc]\n  address = \"{0}/containerd.sock\"\n",
            d.display()
        ),
    )
    .expect("config");
    let argv: Vec<OsString> = vec![
        "containerd".into(),
        "--config".into(),
        d.join("config.toml").into(),
    ];
    let ctr = Ctr {
        daemon: Daemon::start("", &argv, d.join("containerd.log")),
        sock: d.join("containerd.sock"),
        parent: parent.clone(),
        scratch: d.join("scratch"),
    };
    let up = callers::wait_for(30, || {
        ctr.sock.exists() && ctr.out(&["version"]).status.success()
    });
    assert!(up, "containerd did not start: {}", ctr.daemon.log_text());
    let o = ctr.out(&[
        "images",
        "import",
        "--base-name",
        "docker.io/library/bb",
        "--snapshotter",
        "native",
        tar.to_str().expect("utf-8"),
    ]);
    assert!(
        o.status.success(),
        "ctr images import: {}",
        callers::text(&o)
    );

    let rows = rows();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        callers::run_table(
            "containerd",
            &ctr,
            &rows,
            NOT_APPLICABLE,
            &rt,
            &runc,
            saver.as_ref(),
        )
    }));

    let mut left = Vec::new();
    let tasks = stdout(&ctr.out(&["task", "ls", "-q"]));
    for id in tasks.lines().filter(|l| !l.is_empty()) {
        left.push(format!("task {id} still there at the end"));
    }
    let containers = stdout(&ctr.out(&["container", "ls", "-q"]));
    for id in containers.lines().filter(|l| !l.is_empty()) {
        left.push(format!("container {id} still there at the end"));
        ctr.remove(id);
    }
    let Ctr { mut daemon, .. } = ctr;
    daemon.stop(30);
    std::thread::sleep(Duration::from_millis(200));
    left.extend(callers::kill_leftover_processes(d));
    left.extend(callers::unmount_leftovers(d));
    left.extend(callers::remove_cgroups(&parent, &[]));
    if let Some(s) = &saver {
        let order: Vec<&str> = rows.iter().map(|r| r.option).collect();
        s.collect("containerd", &order);
    }
    eprintln!("containerd: {:.0}s in all", t.elapsed().as_secs_f32());
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
    assert!(left.is_empty(), "left behind: {left:#?}");
}
