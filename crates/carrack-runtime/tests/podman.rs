//! podman (from Debian, installed by .ci/run) driving carrack as its OCI runtime: run, exit
//! status, detached run, exec with and without a terminal, stop, rm. Storage, run directory and
//! containers.conf are private to the test; the image is imported from a busybox-static rootfs.
//!
//! Facts of this machine the setup works around: root lacks CAP_SYS_RESOURCE and conmon runs
//! with RLIMIT_NPROC 32768, so podman's default ulimits fail with any runtime; the private
//! containers.conf sets them to values the host allows. There is no systemd: cgroupfs manager,
//! file events logger.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

struct Podman {
    dir: tempfile::TempDir,
}

impl Podman {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tmp");
        let hard_nofile =
            nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
                .expect("rlimit")
                .1;
        std::fs::write(
            dir.path().join("containers.conf"),
            format!(
                "[containers]\ndefault_ulimits = [\"nofile={hard_nofile}:{hard_nofile}\", \"nproc=32768:32768\"]\n\
                 [engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n"
            ),
        )
        .expect("containers.conf");
        Self { dir }
    }
    fn cmd(&self, args: &[&str]) -> Command {
        let d = self.dir.path();
        let mut c = Command::new("podman");
        c.env("CONTAINERS_CONF", d.join("containers.conf"))
            .arg("--root")
            .arg(d.join("root"))
            .arg("--runroot")
            .arg(d.join("run"))
            .args([
                "--storage-driver",
                "vfs",
                "--runtime",
                env!("CARGO_BIN_EXE_carrack"),
            ])
            .args(args)
            .stdin(Stdio::null());
        c
    }
    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args)
            .output()
            .unwrap_or_else(|e| panic!("podman is needed (apt-get install podman): {e}"))
    }
}

fn busybox_rootfs(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("rootfs");
    std::fs::create_dir_all(root.join("bin")).expect("rootfs");
    std::fs::copy("/bin/busybox", root.join("bin/busybox")).expect("busybox-static");
    for a in ["sh", "echo", "sleep", "hostname", "test", "id", "cat"] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(a)).expect("applet");
    }
    root
}

#[test]
fn podman_runs_containers_with_carrack() {
    let p = Podman::new();
    let rootfs = busybox_rootfs(p.dir.path());
    let tar = p.dir.path().join("bb.tar");
    let o = Command::new("tar")
        .arg("-C")
        .arg(&rootfs)
        .arg("-cf")
        .arg(&tar)
        .arg(".")
        .output()
        .expect("tar");
    assert!(o.status.success());
    let o = p.run(&["import", tar.to_str().expect("utf-8"), "localhost/bb"]);
    assert!(o.status.success(), "import: {}", text(&o));

    let o = p.run(&["run", "--rm", "localhost/bb", "echo", "hello-from-podman"]);
    assert!(o.status.success(), "run: {}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "hello-from-podman"
    );

    // podman's default seccomp profile is in force (a filter: mode 2).
    let o = p.run(&[
        "run",
        "--rm",
        "localhost/bb",
        "sh",
        "-c",
        "while read k v; do [ \"$k\" = Seccomp: ] && echo $k $v; done < /proc/self/status; true",
    ]);
    assert!(o.status.success(), "run: {}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout)
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["Seccomp:", "2"],
        "{}",
        text(&o)
    );
    let o = p.run(&["run", "--rm", "localhost/bb", "sh", "-c", "exit 3"]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "exit status passes through: {}",
        text(&o)
    );

    let o = p.run(&[
        "run",
        "-d",
        "--stop-timeout",
        "1",
        "--name",
        "web",
        "localhost/bb",
        "sleep",
        "100",
    ]);
    assert!(o.status.success(), "run -d: {}", text(&o));
    let o = p.run(&["ps", "--format", "{{.Names}} {{.Status}}"]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("web Up"),
        "ps: {}",
        text(&o)
    );
    let o = p.run(&["exec", "web", "sh", "-c", "echo exec-ok; exit 4"]);
    assert_eq!(o.status.code(), Some(4), "exec: {}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "exec-ok");
    let o = p.run(&[
        "exec",
        "-t",
        "web",
        "sh",
        "-c",
        "test -t 0 && echo exec-tty",
    ]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("exec-tty"),
        "exec -t: {}",
        text(&o)
    );
    let o = p.run(&["stop", "-t", "1", "web"]);
    assert!(o.status.success(), "stop: {}", text(&o));
    let o = p.run(&["ps", "-a", "--format", "{{.Names}} {{.Status}}"]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("web Exited"),
        "ps -a: {}",
        text(&o)
    );
    let o = p.run(&["rm", "web"]);
    assert!(o.status.success(), "rm: {}", text(&o));

    let o = p.run(&[
        "run",
        "--rm",
        "-t",
        "localhost/bb",
        "sh",
        "-c",
        "test -t 0 && echo tty-ok",
    ]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("tty-ok"),
        "run -t: {}",
        text(&o)
    );
}
