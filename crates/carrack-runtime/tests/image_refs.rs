//! One spelling of images across `carrack image`: `LAYOUT:REF` split at the first colon (as
//! skopeo's `oci:` transport splits), `LAYOUT@DIGEST`, and Docker names found by the name the
//! user gave or its normalised form — on archives `docker save` and skopeo really wrote, and on
//! layouts skopeo tagged `localhost/app:latest`.
//!
//! The `docker save` archive comes from a private dockerd (its own data root and socket, no
//! networking, stopped at the end) when `dockerd` and `docker` are installed and this runs as
//! root; otherwise only the archive built the way `docker save` lays it out and skopeo's
//! `docker-archive:` are tested, and the test says so.
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use carrack_image::Layout;
use carrack_spec::image::{
    Arch, Descriptor, Digest, ImageConfiguration, ImageManifest, MediaType, Os, Platform, RootFs,
};

const HELLO: &[u8] = b"hello from carrack\n";

fn carrack_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_carrack"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run carrack")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs carrack in `dir` and insists on success.
fn ok(dir: &Path, args: &[&str]) -> String {
    let o = carrack_in(dir, args);
    assert!(o.status.success(), "carrack {args:?}:\n{}", text(&o));
    text(&o)
}

fn tool(name: &str, args: &[&str]) -> Output {
    let out = Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!("{name} is needed for the interop tests (apt-get install skopeo): {e}")
    });
    assert!(
        out.status.success(),
        "{name} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The digest `carrack image resolve` prints.
fn resolved(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["image", "resolve", "--platform", "linux/amd64"];
    all.extend_from_slice(args);
    let out = ok(dir, &all);
    let d: serde_json::Value = serde_json::from_str(&out).expect("descriptor json");
    d["digest"].as_str().expect("digest").to_owned()
}

fn layer_tar() -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_ustar();
    header.set_path("hello.txt").expect("path");
    header.set_size(HELLO.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(1_700_000_000);
    header.set_cksum();
    tar.append(&header, HELLO).expect("append");
    tar.into_inner().expect("tar")
}

/// A one-layer linux/amd64 image with `/hello.txt`, tagged `v1`, in a new layout at `dir`.
fn make_image(dir: &Path) -> Descriptor {
    let layout = Layout::create(dir).expect("layout");
    let layer_bytes = layer_tar();
    let layer = layout
        .write_blob_bytes(MediaType::ImageLayer, &layer_bytes)
        .expect("layer");
    let mut config = ImageConfiguration::new(
        Arch::Amd64,
        Os::Linux,
        RootFs::layers(vec![Digest::sha256_of(&layer_bytes)]),
    );
    let mut exec = carrack_spec::image::ExecConfig::default();
    exec.cmd = Some(vec!["/bin/sh".into()]);
    config.config = Some(exec);
    let config = layout
        .write_document(MediaType::ImageConfig, &config)
        .expect("config");
    let mut manifest = layout
        .write_document(
            MediaType::ImageManifest,
            &ImageManifest::new(config, vec![layer]),
        )
        .expect("manifest");
    manifest.platform = Some(Platform::new(Arch::Amd64, Os::Linux));
    layout.tag("v1", manifest.clone()).expect("tag");
    manifest
}

/// An archive laid out the way `docker save example/app:latest` (Docker 20.10) writes it:
/// `<config digest>.json`, `<layer id>/{VERSION,json,layer.tar}`, `manifest.json` with the
/// familiar `RepoTags`, and `repositories`.
fn docker_save_layout(path: &Path) {
    let layer = layer_tar();
    let diff_id = Digest::sha256_of(&layer);
    let config = format!(
        r#"{{"architecture":"amd64","config":{{"Cmd":["/bin/sh"]}},"created":"2024-01-01T00:00:00Z","docker_version":"20.10.24","history":[{{"created":"2024-01-01T00:00:00Z","comment":"Imported from -"}}],"os":"linux","rootfs":{{"type":"layers","diff_ids":["{diff_id}"]}}}}"#
    );
    let id = Digest::sha256_of(config.as_bytes());
    let layer_id = Digest::sha256_of(diff_id.as_str().as_bytes());
    let layer_id = layer_id.encoded();
    let manifest = format!(
        r#"[{{"Config":"{}.json","RepoTags":["example/app:latest"],"Layers":["{layer_id}/layer.tar"]}}]"#,
        id.encoded()
    );
    let repositories = format!(r#"{{"example/app":{{"latest":"{layer_id}"}}}}"#);
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, data).expect("append");
    };
    add(&format!("{}.json", id.encoded()), config.as_bytes());
    add(&format!("{layer_id}/VERSION"), b"1.0");
    add(&format!("{layer_id}/json"), b"{}");
    add(&format!("{layer_id}/layer.tar"), &layer);
    add("manifest.json", manifest.as_bytes());
    add("repositories", repositories.as_bytes());
    std::fs::write(path, b.into_inner().expect("tar")).expect("write archive");
}

/// A dockerd of this test's own, stopped (SIGTERM, then SIGKILL) when dropped.
struct Dockerd {
    child: Child,
    socket: String,
    _dir: tempfile::TempDir,
}

impl Dockerd {
    /// Starts one, or says why it cannot.
    fn start() -> Result<Self, String> {
        if !nix::unistd::geteuid().is_root() {
            return Err("not root".into());
        }
        for bin in ["dockerd", "docker"] {
            if Command::new(bin)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_err()
            {
                return Err(format!("{bin} is not installed"));
            }
        }
        // Short paths: the daemon's sockets live under here.
        let dir = tempfile::Builder::new()
            .prefix("cdk")
            .tempdir_in("/tmp")
            .map_err(|e| e.to_string())?;
        let d = dir.path();
        std::fs::write(d.join("daemon.json"), "{}").map_err(|e| e.to_string())?;
        let socket = format!("unix://{}", s(&d.join("docker.sock")));
        let log = std::fs::File::create(d.join("log")).map_err(|e| e.to_string())?;
        let child = Command::new("dockerd")
            .args(["--config-file", s(&d.join("daemon.json"))])
            .args(["--data-root", s(&d.join("data"))])
            .args(["--exec-root", s(&d.join("exec"))])
            .args(["--pidfile", s(&d.join("docker.pid"))])
            .args(["-H", &socket])
            .args(["--iptables=false", "--ip-masq=false", "--bridge=none"])
            .args(["--storage-driver", "vfs"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut daemon = Self {
            child,
            socket,
            _dir: dir,
        };
        let start = Instant::now();
        loop {
            if daemon.docker(&["version"]).is_ok() {
                return Ok(daemon);
            }
            let exited = daemon.child.try_wait().ok().flatten();
            if exited.is_some() || start.elapsed() > Duration::from_secs(60) {
                let log =
                    std::fs::read_to_string(daemon._dir.path().join("log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(5).collect();
                return Err(format!("dockerd did not come up ({exited:?}): {tail:?}"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn docker(&self, args: &[&str]) -> Result<Output, String> {
        let o = Command::new("docker")
            .args(["-H", &self.socket])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| e.to_string())?;
        if o.status.success() {
            Ok(o)
        } else {
            Err(format!("docker {args:?}: {}", text(&o)))
        }
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        let Ok(pid) = i32::try_from(self.child.id()) else {
            return;
        };
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        );
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `docker import` of a rootfs holding `/hello.txt` as `example/app:latest`, then
/// `docker save example/app:latest`, by a private daemon.
fn real_docker_save(path: &Path) -> Result<(), String> {
    let daemon = Dockerd::start()?;
    let rootfs = path.with_extension("rootfs.tar");
    std::fs::write(&rootfs, layer_tar()).map_err(|e| e.to_string())?;
    daemon.docker(&["import", s(&rootfs), "example/app:latest"])?;
    daemon.docker(&["save", "-o", s(path), "example/app:latest"])?;
    Ok(())
}

/// Every spelling of the name `docker save example/app:latest` was given finds the image, in
/// every command that takes one.
fn check_docker_names(dir: &Path, archive: &Path, what: &str) {
    let lay = format!("{what}-layout");
    ok(dir, &["image", "import-docker", &lay, s(archive)]);
    let digest = resolved(dir, &[&format!("{lay}:example/app:latest")]);
    for spelling in [
        format!("{lay}:docker.io/example/app:latest"),
        format!("{lay}:example/app"),
        format!("{lay}:docker.io/example/app"),
        lay.clone(),
    ] {
        assert_eq!(resolved(dir, &[&spelling]), digest, "{what}: {spelling}");
    }
    // The two-argument form of resolve still works.
    assert_eq!(
        resolved(dir, &[&lay, "example/app:latest"]),
        digest,
        "{what}"
    );
    assert_eq!(
        resolved(dir, &[&format!("{lay}@{digest}")]),
        digest,
        "{what}"
    );

    let rootfs = dir.join(format!("{what}-rootfs"));
    ok(
        dir,
        &[
            "image",
            "unpack",
            "-q",
            &format!("{lay}:example/app"),
            s(&rootfs),
        ],
    );
    assert_eq!(
        std::fs::read(rootfs.join("hello.txt")).expect("unpacked"),
        HELLO
    );
    let bundle = dir.join(format!("{what}-bundle"));
    ok(
        dir,
        &[
            "image",
            "bundle",
            "-q",
            &format!("{lay}:docker.io/example/app:latest"),
            s(&bundle),
        ],
    );
    assert_eq!(
        std::fs::read(bundle.join("rootfs/hello.txt")).expect("bundled"),
        HELLO
    );
    assert!(bundle.join("config.json").is_file());

    let o = carrack_in(dir, &["image", "resolve", &format!("{lay}:example/app:v2")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("example/app:v2: no entry") && text(&o).contains("holds"),
        "{what}: the error names what the layout holds: {}",
        text(&o)
    );
}

#[test]
fn docker_save_archives_are_found_by_the_name_they_were_saved_as() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();

    // Laid out as `docker save` writes it (RepoTags: example/app:latest).
    let built = d.join("built.tar");
    docker_save_layout(&built);
    check_docker_names(d, &built, "built");

    // skopeo's docker-archive (RepoTags: docker.io/example/app:latest).
    let src = d.join("src");
    make_image(&src);
    let by_skopeo = d.join("skopeo.tar");
    tool(
        "skopeo",
        &[
            "copy",
            "--quiet",
            &format!("oci:{}:v1", s(&src)),
            &format!("docker-archive:{}:example/app:latest", s(&by_skopeo)),
        ],
    );
    check_docker_names(d, &by_skopeo, "skopeo");
}

#[test]
#[ignore = "needs root: starts a private dockerd for `docker save`"]
fn real_docker_save_archives_are_found_by_the_name_they_were_saved_as() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let by_docker = d.join("docker.tar");
    if let Err(why) = real_docker_save(&by_docker) {
        panic!("docker save by a private dockerd: {why}");
    }
    check_docker_names(d, &by_docker, "docker");
}

#[test]
fn skopeo_tags_holding_colons_work_as_layout_colon_ref() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    make_image(&d.join("src"));
    // Exactly the spelling of the issue: a relative layout `lay`, tagged by skopeo.
    tool(
        "skopeo",
        &[
            "copy",
            "--quiet",
            &format!("oci:{}:v1", s(&d.join("src"))),
            &format!("oci:{}:localhost/app:latest", s(&d.join("lay"))),
        ],
    );
    let digest = resolved(d, &["lay:localhost/app:latest"]);
    assert_eq!(resolved(d, &["lay:localhost/app"]), digest);
    assert_eq!(resolved(d, &["lay", "localhost/app:latest"]), digest);
    assert_eq!(resolved(d, &[&format!("lay@{digest}")]), digest);
    assert_eq!(resolved(d, &[&format!("lay:{digest}")]), digest);
    assert_eq!(
        resolved(d, &[&format!("{}:localhost/app:latest", s(&d.join("lay")))]),
        digest,
        "an absolute layout path"
    );

    ok(
        d,
        &[
            "image",
            "bundle",
            "-q",
            "lay:localhost/app:latest",
            "bundle",
        ],
    );
    assert_eq!(
        std::fs::read(d.join("bundle/rootfs/hello.txt")).expect("bundled"),
        HELLO
    );
    ok(
        d,
        &[
            "image",
            "unpack",
            "-q",
            "lay:localhost/app:latest",
            "rootfs",
        ],
    );
    assert_eq!(
        std::fs::read(d.join("rootfs/hello.txt")).expect("unpacked"),
        HELLO
    );

    // commit, tag, export and untag take the same spelling.
    std::fs::write(d.join("bundle/rootfs/new.txt"), b"new\n").expect("change");
    ok(
        d,
        &[
            "image",
            "commit",
            "lay:localhost/app:latest",
            "bundle",
            "--tag",
            "localhost/app:v2",
        ],
    );
    let v2 = resolved(d, &["lay:localhost/app:v2"]);
    assert_ne!(v2, digest);
    ok(d, &["image", "tag", "lay:localhost/app:v2", "stable"]);
    assert_eq!(resolved(d, &["lay:stable"]), v2);
    tool(
        "skopeo",
        &[
            "inspect",
            "--raw",
            &format!("oci:{}:stable", s(&d.join("lay"))),
        ],
    );
    ok(
        d,
        &["image", "export", "lay:localhost/app:latest", "out.tar"],
    );
    ok(d, &["image", "import", "back", "out.tar"]);
    assert_eq!(resolved(d, &["back:localhost/app:latest"]), digest);
    ok(d, &["image", "untag", "lay:localhost/app:v2"]);
    let o = carrack_in(d, &["image", "resolve", "lay:localhost/app:v2"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("localhost/app:latest") && text(&o).contains("stable"),
        "{}",
        text(&o)
    );
    // The old split (at the last colon) named a layout `lay:localhost/app`.
    assert!(!text(&o).contains("No such file"), "{}", text(&o));
}

#[test]
fn layout_paths_holding_colons_are_found() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let manifest = make_image(&d.join("odd:name"));
    let digest = manifest.digest.to_string();
    assert_eq!(resolved(d, &["odd:name:v1"]), digest);
    assert_eq!(resolved(d, &["./odd:name:v1"]), digest);
    assert_eq!(resolved(d, &[&format!("odd:name@{digest}")]), digest);
    assert_eq!(resolved(d, &["odd:name"]), digest, "the only image");
    let abs: PathBuf = d.join("odd:name");
    assert_eq!(resolved(d, &[&format!("{}:v1", s(&abs))]), digest);
    // Nothing there: the error names the part before the first colon.
    let o = carrack_in(d, &["image", "resolve", "nothing:localhost/app:latest"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).starts_with("carrack image: nothing:"),
        "{}",
        text(&o)
    );
}
