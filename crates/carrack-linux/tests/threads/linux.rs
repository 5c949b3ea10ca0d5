//! The body of `threads.rs`, which names what it tests.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use carrack_platform::{ContainerId, CreateOptions, Error, ExecOptions, Platform, RunOptions};

pub(crate) fn main() {
    let name = "multi_threaded_callers_are_refused_single_threaded_ones_served";
    // As libtest treats `#[ignore = "needs root: …"]` tests: run with --include-ignored (or
    // --ignored), as root.
    let asked = std::env::args().any(|a| a == "--include-ignored" || a == "--ignored");
    if !asked || !nix::unistd::geteuid().is_root() {
        println!("test {name} ... ignored, needs root: it makes containers");
        println!("\ntest result: ok. 0 passed; 0 failed; 1 ignored");
        return;
    }
    if !Path::new("/bin/busybox").exists() {
        println!("test {name} ... ignored, needs /bin/busybox (busybox-static) for the rootfs");
        println!("\ntest result: ok. 0 passed; 0 failed; 1 ignored");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = bundle(dir.path());
    let linux = carrack_linux::Linux::new(dir.path().join("state")).expect("state store");
    let opts = CreateOptions::new(&bundle);
    let id = |s: &str| {
        ContainerId::new(&format!("carrack-threads-{}-{s}", std::process::id())).expect("id")
    };
    let (web, refused, ran) = (id("web"), id("refused"), id("ran"));

    // Single-threaded: served.
    assert_eq!(threads(), 1, "the test starts single-threaded");
    let made = linux.create(&web, &opts);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        made.expect("create from a single-threaded program");
        check(&linux, &web, &refused, &ran, &opts);
    }));
    let _ = linux.delete(&web, true);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
    println!("test {name} ... ok");
    println!("\ntest result: ok. 1 passed; 0 failed; 0 ignored");
}

fn check(
    linux: &carrack_linux::Linux,
    web: &ContainerId,
    refused: &ContainerId,
    ran: &ContainerId,
    opts: &CreateOptions,
) {
    let process = |args: &[&str]| {
        let mut p = linux.process(web).expect("config process");
        p.args = Some(args.iter().map(|a| (*a).to_owned()).collect());
        p
    };
    // Three threads that stay until told to go.
    let (tx, rx) = mpsc::channel::<()>();
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let rx = rx.clone();
            std::thread::spawn(move || {
                let _ = rx.lock().map(|r| r.recv());
            })
        })
        .collect();
    assert_eq!(threads(), 4);

    let refusal = |what: &str, r: Result<i32, Error>| match r {
        Err(e @ Error::MultiThreaded { threads: 4, .. }) => {
            let msg = e.to_string();
            assert!(
                msg.starts_with(what) && msg.contains("single-threaded") && msg.contains("carrack"),
                "{what}: the error says what is wrong and what to do: {msg}"
            );
            println!("  {what} with 4 threads: {msg}");
        }
        other => {
            panic!("{what} with 4 threads: expected the multi-threaded refusal, got {other:?}")
        }
    };
    refusal(
        "exec",
        linux
            .exec(web, &process(&["true"]), &ExecOptions::default())
            .map(|e| e.code()),
    );
    refusal("create", linux.create(refused, opts).map(|_| 0));
    refusal(
        "run",
        linux
            .run(ran, opts, RunOptions::default())
            .map(|e| e.code()),
    );
    // Refused before anything was made.
    assert!(matches!(linux.state(refused), Err(Error::NotFound(_))));
    assert!(matches!(linux.state(ran), Err(Error::NotFound(_))));

    // Alone again: served.
    drop(tx);
    for w in workers {
        w.join().expect("worker");
    }
    wait_for(|| threads() == 1);
    let code = linux
        .exec(
            web,
            &process(&["sh", "-c", "exit 7"]),
            &ExecOptions::default(),
        )
        .expect("exec from a single-threaded program");
    assert_eq!(
        code,
        carrack_platform::Exit::Code(7),
        "the exec'd process ran"
    );
}

/// This process's thread count.
fn threads() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .expect("/proc/self/status")
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("Threads:")
}

/// A joined thread may linger in /proc for a moment after `join` returns.
fn wait_for(ok: impl Fn() -> bool) {
    for _ in 0..1000 {
        if ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    panic!("the threads did not go away");
}

/// A bundle whose rootfs is busybox, running `sleep 60`.
fn bundle(dir: &Path) -> PathBuf {
    let bundle = dir.join("bundle");
    let bin = bundle.join("rootfs/bin");
    std::fs::create_dir_all(&bin).expect("rootfs");
    std::fs::copy("/bin/busybox", bin.join("busybox")).expect("busybox");
    for applet in ["sh", "sleep", "true"] {
        std::os::unix::fs::symlink("busybox", bin.join(applet)).expect("applet");
    }
    for d in ["proc", "dev", "tmp"] {
        std::fs::create_dir_all(bundle.join("rootfs").join(d)).expect("rootfs dir");
    }
    let config = serde_json::json!({
        "ociVersion": "1.2.0",
        "root": {"path": "rootfs"},
        "process": {
            "args": ["sleep", "60"],
            "cwd": "/",
            "env": ["PATH=/bin"],
            "user": {"uid": 0, "gid": 0}
        },
        "hostname": "threads",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]}
        ],
        "linux": {
            "namespaces": [
                {"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}
            ]
        }
    });
    std::fs::write(
        bundle.join("config.json"),
        serde_json::to_vec_pretty(&config).expect("json"),
    )
    .expect("config.json");
    bundle
}
