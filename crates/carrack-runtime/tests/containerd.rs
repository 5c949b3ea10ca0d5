//! containerd (from Debian, installed by .ci/run) driving carrack through its runc shim
//! (`ctr run --runc-binary`). containerd 1.6 puts shim sockets under /run/containerd/s whatever
//! its configuration says, so it runs in a private mount namespace with a tmpfs there; root,
//! state and socket live in a temporary directory. The image is a busybox-static rootfs in a
//! layout carrack writes and exports as an oci-archive.

use std::path::Path;
use std::process::{Command, Output};

mod common;

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// An oci-archive of a busybox image tagged `bb`.
fn archive(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("rootfs");
    std::fs::create_dir_all(root.join("bin")).expect("rootfs");
    std::fs::copy("/bin/busybox", root.join("bin/busybox")).expect("busybox-static");
    for a in ["sh", "echo", "sleep", "cat", "hostname"] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(a)).expect("applet");
    }
    let o = Command::new("tar")
        .arg("-C")
        .arg(&root)
        .args(["-cf", "-", "."])
        .output()
        .expect("tar");
    assert!(o.status.success());
    common::single_layer_image(
        &dir.join("layout"),
        &o.stdout,
        &["sh"],
        &["PATH=/bin"],
        "bb",
    );
    let out = dir.join("bb.tar");
    let o = Command::new(env!("CARGO_BIN_EXE_carrack"))
        .args(["image", "export"])
        .arg(dir.join("layout"))
        .arg(&out)
        .arg("bb")
        .output()
        .expect("export");
    assert!(o.status.success(), "{}", text(&o));
    out
}

#[test]
fn containerd_runs_containers_with_carrack() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let tar = archive(d);
    std::fs::write(
        d.join("config.toml"),
        format!(
            "version = 2\nroot = \"{0}/root\"\nstate = \"{0}/state\"\n\
             disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n[grpc]\n  address = \"{0}/containerd.sock\"\n",
            d.display()
        ),
    )
    .expect("config");
    let script = format!(
        r#"set -e
mkdir -p /run/containerd && mount -t tmpfs tmpfs /run/containerd
containerd --config {d}/config.toml >{d}/containerd.log 2>&1 &
cpid=$!
trap 'kill $cpid; wait $cpid 2>/dev/null || true' EXIT
for i in $(seq 1 200); do [ -S {d}/containerd.sock ] && break; sleep 0.05; done
C="ctr -a {d}/containerd.sock"
$C images import --base-name docker.io/library/bb --snapshotter native {tar} >/dev/null
$C run --rm --snapshotter native --runc-binary {carrack} docker.io/library/bb:bb t1 echo hello-from-containerd
set +e
$C run --rm --snapshotter native --runc-binary {carrack} docker.io/library/bb:bb t2 sh -c 'exit 3'
echo "exit=$?"
"#,
        d = d.display(),
        tar = tar.display(),
        carrack = env!("CARGO_BIN_EXE_carrack"),
    );
    let o = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", &script])
        .output()
        .unwrap_or_else(|e| panic!("unshare (util-linux) and containerd are needed: {e}"));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let log = std::fs::read_to_string(d.join("containerd.log")).unwrap_or_default();
    assert!(o.status.success(), "{}\ncontainerd log:\n{log}", text(&o));
    assert!(out.contains("hello-from-containerd"), "{}", text(&o));
    assert!(
        out.contains("exit=3"),
        "exit status passes through the shim: {}",
        text(&o)
    );
}
