//! The crate's example, run as a user would run it (`cargo test` builds examples beside the
//! tests; run this file through a plain `cargo test -p carrack-linux`, which does).
#![cfg(target_os = "linux")]

use std::path::PathBuf;
use std::process::Command;

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .join("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo test -p carrack-linux`, which builds the examples",
        path.display()
    );
    path
}

#[test]
#[ignore = "needs root: runs a container"]
fn run_spec_runs_a_generated_config_and_exits_with_its_status() {
    let busybox = PathBuf::from("/bin/busybox");
    assert!(
        busybox.exists(),
        "needs busybox-static at /bin/busybox (apt-get install busybox-static)"
    );
    let rootfs = tempfile::tempdir().expect("tmp");
    std::fs::create_dir(rootfs.path().join("bin")).expect("bin");
    std::fs::copy(&busybox, rootfs.path().join("bin/busybox")).expect("busybox");
    let o = Command::new(example("run_spec"))
        .arg(rootfs.path())
        .args(["/bin/busybox", "sh", "-c", "/bin/busybox hostname; exit 7"])
        .output()
        .expect("run");
    let text = format!(
        "{:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(o.status.code(), Some(7), "{text}");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "run-spec",
        "{text}"
    );
}
