//! docker (Debian's docker.io: dockerd 20.10 and its own containerd 1.6) driving carrack as an
//! added runtime (`dockerd --add-runtime carrack=PATH`, `docker run --runtime carrack`), one
//! row per option, each checked for its effect inside the container (see callers/mod.rs).
//!
//! The test starts its own dockerd: data root, exec root, pidfile, socket and daemon.json in a
//! temporary directory, in a private mount namespace with a tmpfs on /run/containerd (where
//! containerd 1.6 puts its shims' sockets whatever it is told); no iptables, no bridge (the
//! containers have no network: `--bridge=none`), the vfs storage driver (overlay2 works here
//! too: `CARRACK_CALLERS_DOCKER_STORAGE=overlay2`), its own cgroup parent.
//! The `userns` row needs a second daemon with `--userns-remap`: it sees a copy of /etc with a
//! `dockremap` user and its subordinate ids (bind-mounted over /etc in its namespace only). At the end every
//! container is removed, the daemons stopped, and what is left (processes naming the temporary
//! directory, cgroups under the parent) is killed, removed and reported as a failure.
#![cfg(target_os = "linux")]

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

mod callers;
use callers::{Daemon, Engine, Kind, NotApplicable, Row, Runtime, Saver};

struct Dockerd {
    daemon: Daemon,
    engine: Engine,
}

/// A dockerd in `dir` knowing `rt` (runc is built in); the image imported as `bb`.
fn dockerd(dir: &Path, tar: &Path, rt: &Runtime, parent: &str, userns: bool) -> Dockerd {
    std::fs::create_dir_all(dir).expect("dir");
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let sock = dir.join("docker.sock");
    std::fs::write(dir.join("daemon.json"), "{}\n").expect("daemon.json");
    let mut argv: Vec<OsString> = vec!["dockerd".into()];
    let mut opt = |k: &str, v: &Path| {
        argv.push(k.into());
        argv.push(v.into());
    };
    opt("--config-file", &dir.join("daemon.json"));
    opt("--data-root", &dir.join("data"));
    opt("--exec-root", &dir.join("exec"));
    opt("--pidfile", &dir.join("docker.pid"));
    argv.extend(
        [
            format!("--host=unix://{}", sock.display()),
            "--iptables=false".into(),
            "--ip-masq=false".into(),
            "--ip-forward=false".into(),
            "--bridge=none".into(),
            format!(
                "--storage-driver={}",
                std::env::var("CARRACK_CALLERS_DOCKER_STORAGE").unwrap_or_else(|_| "vfs".into())
            ),
            format!("--cgroup-parent={parent}"),
            format!("--add-runtime={}={}", rt.label, rt.path.display()),
        ]
        .map(OsString::from),
    );
    let mut setup = String::new();
    if userns {
        // dockerd refuses to remap root onto itself: a user of its own, in a copy of /etc.
        argv.push("--userns-remap=dockremap".into());
        setup = format!(
            "cp -a /etc {d}/etc\n\
             echo dockremap:x:999:999::/:/bin/false >> {d}/etc/passwd\n\
             echo dockremap:x:999: >> {d}/etc/group\n\
             echo dockremap:100000:65536 >> {d}/etc/subuid\n\
             echo dockremap:100000:65536 >> {d}/etc/subgid\n\
             mount --bind {d}/etc /etc\n",
            d = dir.display()
        );
    }
    let daemon = Daemon::start(&setup, &argv, dir.join("dockerd.log"));
    let engine = Engine {
        kind: Kind::Docker,
        image: "bb".into(),
        scratch: dir.join("scratch"),
        global: vec![format!("--host=unix://{}", sock.display()).into()],
        envs: vec![("DOCKER_CONFIG".into(), dir.join("client").into())],
        run_args: vec![],
    };
    let d = Dockerd { daemon, engine };
    let runc = Runtime {
        label: "runc",
        path: "/usr/sbin/runc".into(),
    };
    let up = callers::wait_for(60, || {
        sock.exists() && d.engine.out(&runc, &["version"]).status.success()
    });
    assert!(
        up,
        "dockerd did not start; its log:\n{}",
        d.daemon.log_text()
    );
    let o = d
        .engine
        .out(&runc, &["import", tar.to_str().expect("utf-8"), "bb"]);
    assert!(o.status.success(), "docker import: {}", callers::text(&o));
    d
}

impl Dockerd {
    /// Removes every container, stops the daemon: what was left behind.
    fn shutdown(mut self, dir: &Path) -> Vec<String> {
        let runc = Runtime {
            label: "runc",
            path: "/usr/sbin/runc".into(),
        };
        let ids = callers::stdout(&self.engine.out(&runc, &["ps", "-aq"]));
        let mut left = Vec::new();
        for id in ids.lines().filter(|l| !l.is_empty()) {
            left.push(format!("container {id} still there at the end"));
            let _ = self.engine.out(&runc, &["rm", "-f", id]);
        }
        self.daemon.stop(30);
        left.extend(callers::kill_leftover_processes(dir));
        left.extend(callers::unmount_leftovers(dir));
        left
    }
}

/// What docker cannot say on its command line.
const NOT_APPLICABLE: &[NotApplicable] = &[NotApplicable {
    option: "uidmap",
    why: "docker has no per-container --uidmap; the userns row uses dockerd --userns-remap",
}];

#[test]
#[ignore = "needs root: starts a private dockerd that drives carrack"]
fn docker_drives_carrack() {
    let t = std::time::Instant::now();
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let saver = Saver::from_env(d);
    let (rt, runc) = callers::runtimes(saver.as_ref());
    let tar = callers::busybox_tar(d);
    let parent = format!(
        "/carrack-callers-{}",
        d.file_name().expect("name").to_string_lossy()
    );
    let rows: Vec<Row<Engine>> = callers::engine_rows();
    let (userns, plain): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.option == "userns");

    let daemon = dockerd(&d.join("docker"), &tar, &rt, &parent, false);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        callers::run_table(
            "docker",
            &daemon.engine,
            &plain,
            NOT_APPLICABLE,
            &rt,
            &runc,
            saver.as_ref(),
        )
    }));
    let mut left = daemon.shutdown(&d.join("docker"));

    let only = std::env::var("CARRACK_CALLERS_ONLY").unwrap_or_default();
    let result2 = if only.is_empty() || only.split(',').any(|o| o == "userns") {
        let daemon = dockerd(&d.join("docker-userns"), &tar, &rt, &parent, true);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            callers::run_table(
                "docker",
                &daemon.engine,
                &userns,
                &[],
                &rt,
                &runc,
                saver.as_ref(),
            )
        }));
        left.extend(daemon.shutdown(&d.join("docker-userns")));
        Some(r)
    } else {
        None
    };
    left.extend(callers::remove_cgroups(&parent, &[]));
    if let Some(s) = &saver {
        let order: Vec<&str> = plain.iter().chain(&userns).map(|r| r.option).collect();
        s.collect("docker", &order);
    }
    eprintln!("docker: {:.0}s in all", t.elapsed().as_secs_f32());
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
    if let Some(Err(e)) = result2 {
        std::panic::resume_unwind(e);
    }
    assert!(left.is_empty(), "left behind: {left:#?}");
}
