//! Helpers shared by the runtime's integration tests.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::{Value, json};

use carrack_image::Layout;
use carrack_spec::image::{
    Arch, Digest, ImageConfiguration, ImageManifest, MediaType, Os, Platform, RootFs,
};

/// Writes a one-layer image (an uncompressed tar) to a new layout at `dir`, with `cmd` and
/// `env` as its configuration, tagged `tag` for linux/amd64.
pub fn single_layer_image(dir: &Path, tar: &[u8], cmd: &[&str], env: &[&str], tag: &str) {
    let layout = Layout::create(dir).expect("layout");
    let layer = layout
        .write_blob_bytes(MediaType::ImageLayer, tar)
        .expect("layer");
    let mut image = ImageConfiguration::new(
        Arch::Amd64,
        Os::Linux,
        RootFs::layers(vec![Digest::sha256_of(tar)]),
    );
    let mut exec = carrack_spec::image::ExecConfig::default();
    exec.cmd = Some(cmd.iter().map(|s| (*s).to_owned()).collect());
    if !env.is_empty() {
        exec.env = Some(env.iter().map(|s| (*s).to_owned()).collect());
    }
    image.config = Some(exec);
    let config = layout
        .write_document(MediaType::ImageConfig, &image)
        .expect("config");
    let mut desc = layout
        .write_document(
            MediaType::ImageManifest,
            &ImageManifest::new(config, vec![layer]),
        )
        .expect("manifest");
    desc.platform = Some(Platform::new(Arch::Amd64, Os::Linux));
    layout.tag(tag, desc).expect("tag");
}

/// The `carrack` binary the tests drive: this build's, or `CARRACK_TEST_BIN` (to show that a
/// test fails against an older build).
pub fn carrack_bin() -> PathBuf {
    std::env::var_os("CARRACK_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_carrack")))
}

/// A private state root and bundle directory for one test.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tmp");
        Self { dir }
    }
    /// The name of this test's temporary directory: the prefix of its cgroups.
    pub fn unique(&self) -> String {
        self.dir
            .path()
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned()
    }
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("state")
    }
    pub fn carrack(&self, args: &[&str]) -> Output {
        Command::new(carrack_bin())
            .arg("--root")
            .arg(self.root())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run carrack")
    }
    /// For commands that leave a container process behind (create, run -d): its stdio are
    /// files, as a shim's would be, so waiting for EOF on a pipe does not wait for the container.
    pub fn carrack_leaving(&self, args: &[&str]) -> Output {
        let out = self.dir.path().join("leaving.out");
        let err = self.dir.path().join("leaving.err");
        let status = Command::new(carrack_bin())
            .arg("--root")
            .arg(self.root())
            .args(args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("out"))
            .stderr(std::fs::File::create(&err).expect("err"))
            .status()
            .expect("run carrack");
        Output {
            status,
            stdout: std::fs::read(&out).unwrap_or_default(),
            stderr: std::fs::read(&err).unwrap_or_default(),
        }
    }
    /// A bundle named `name` with busybox as its userland, runc's default config (from
    /// `carrack spec`), `args` as the process, and `tweak` applied to config.json.
    pub fn bundle(&self, name: &str, args: &[&str], tweak: impl FnOnce(&mut Value)) -> PathBuf {
        let b = self.dir.path().join(name);
        let bin = b.join("rootfs/bin");
        std::fs::create_dir_all(&bin).expect("rootfs");
        std::fs::copy("/bin/busybox", bin.join("busybox"))
            .expect("busybox-static is needed (apt-get install busybox-static)");
        for applet in [
            "sh", "cat", "echo", "sleep", "id", "hostname", "ls", "touch", "grep", "stat", "true",
            "false", "readlink", "pwd", "env", "test", "mount", "ulimit",
        ] {
            std::os::unix::fs::symlink("busybox", bin.join(applet)).expect("applet");
        }
        let o = Command::new(carrack_bin())
            .args(["spec", "--bundle"])
            .arg(&b)
            .output()
            .expect("spec");
        assert!(o.status.success(), "{}", text(&o));
        let path = b.join("config.json");
        let mut config: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("config")).expect("json");
        config["process"]["terminal"] = json!(false);
        config["process"]["args"] = json!(args);
        // Tests run in parallel with the same container ids: give each its own cgroup.
        let unique = self.unique();
        config["linux"]["cgroupsPath"] = json!(format!("/carrack-test/{unique}-{name}"));
        tweak(&mut config);
        std::fs::write(&path, serde_json::to_vec_pretty(&config).expect("json")).expect("write");
        b
    }
    pub fn run(&self, id: &str, bundle: &Path) -> Output {
        self.carrack(&["run", "--bundle", bundle.to_str().expect("utf-8"), id])
    }
}

/// stdout and stderr of `o`.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// stdout of `o`.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `carrack state ID` parsed.
pub fn state(env: &Env, id: &str) -> Value {
    let o = env.carrack(&["state", id]);
    assert!(o.status.success(), "state: {}", text(&o));
    serde_json::from_slice(&o.stdout).expect("state json")
}

/// The static test probe (crates/carrack-probe), built once per test binary with
/// `-C target-feature=+crt-static` into its own target directory so it runs in any rootfs.
pub fn probe() -> PathBuf {
    static PROBE: OnceLock<PathBuf> = OnceLock::new();
    PROBE
        .get_or_init(|| {
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
            let target_dir = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| workspace.join("target"))
                .join("probe");
            let triple = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
            let o = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
                .current_dir(&workspace)
                .args([
                    "build",
                    "--release",
                    "-p",
                    "carrack-probe",
                    "--target",
                    &triple,
                ])
                .env("CARGO_TARGET_DIR", &target_dir)
                .env("RUSTFLAGS", "-C target-feature=+crt-static")
                .output()
                .expect("cargo");
            assert!(o.status.success(), "building the probe: {}", text(&o));
            target_dir.join(triple).join("release/carrack-probe")
        })
        .clone()
}

impl Env {
    /// Like [`Env::bundle`], with the static probe at /probe in the rootfs.
    pub fn probe_bundle(
        &self,
        name: &str,
        args: &[&str],
        tweak: impl FnOnce(&mut Value),
    ) -> PathBuf {
        let b = self.bundle(name, args, tweak);
        std::fs::copy(probe(), b.join("rootfs/probe")).expect("probe");
        b
    }

    /// Runs `args` of the probe in a new container made from `tweak`, and parses its JSON.
    pub fn probe_run(&self, name: &str, args: &[&str], tweak: impl FnOnce(&mut Value)) -> Value {
        let mut argv = vec!["/probe"];
        argv.extend_from_slice(args);
        let b = self.probe_bundle(name, &argv, tweak);
        let o = self.run(name, &b);
        assert!(o.status.success(), "probe {args:?}: {}", text(&o));
        serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("probe output {e}: {}", text(&o)))
    }
}

/// Accepts one connection on `listener` and receives one message: its payload and the one fd
/// it carries with `SCM_RIGHTS`.
pub fn accept_one_fd(
    listener: &std::os::unix::net::UnixListener,
) -> (Vec<u8>, std::os::fd::OwnedFd) {
    let (conn, _) = listener.accept().expect("accept");
    let mut buf = vec![0u8; 65536];
    let mut iov = [std::io::IoSliceMut::new(&mut buf)];
    let mut space = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let msg = nix::sys::socket::recvmsg::<()>(
        std::os::fd::AsRawFd::as_raw_fd(&conn),
        &mut iov,
        Some(&mut space),
        nix::sys::socket::MsgFlags::empty(),
    )
    .expect("recvmsg");
    let mut fds = Vec::new();
    for c in msg.cmsgs().expect("cmsgs") {
        if let nix::sys::socket::ControlMessageOwned::ScmRights(f) = c {
            fds.extend(f);
        }
    }
    let n = msg.bytes;
    assert_eq!(fds.len(), 1, "one fd with the message");
    // SAFETY: the fd just arrived with SCM_RIGHTS and is ours.
    #[allow(unsafe_code)]
    let fd = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fds[0]) };
    buf.truncate(n);
    (buf, fd)
}
