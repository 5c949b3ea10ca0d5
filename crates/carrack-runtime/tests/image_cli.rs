//! `carrack image` as users run it, and interoperability with skopeo and umoci (installed from
//! Debian by `.ci/run`): layouts carrack writes are accepted by both, and layouts they write are
//! listed, resolved and fsck'd clean by carrack.
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use carrack_image::Layout;
use carrack_spec::Document;
use carrack_spec::image::{
    Arch, Descriptor, Digest, ImageConfiguration, ImageManifest, MediaType, Os, Platform, RootFs,
};

fn carrack(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_carrack"))
        .args(args)
        .output()
        .expect("run carrack")
}

fn tool(name: &str, args: &[&str]) -> Output {
    let out = Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!("{name} is needed for the interop tests (apt-get install skopeo umoci): {e}")
    });
    assert!(
        out.status.success(),
        "{name} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A one-layer linux/amd64 image with `/hello.txt`, tagged `v1`.
fn make_image(dir: &Path) -> Descriptor {
    let layout = Layout::create(dir).expect("layout");
    let mut tar = tar::Builder::new(Vec::new());
    let body = b"hello from carrack\n";
    let mut header = tar::Header::new_ustar();
    header.set_path("hello.txt").expect("path");
    header.set_size(body.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(1_700_000_000);
    header.set_cksum();
    tar.append(&header, &body[..]).expect("append");
    let layer_bytes = tar.into_inner().expect("tar");
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

#[test]
fn init_ls_tag_untag_resolve_fsck_gc() {
    let dir = tempfile::tempdir().expect("tmp");
    let path: PathBuf = dir.path().join("layout");
    assert!(carrack(&["image", "init", s(&path)]).status.success());
    let manifest = make_image(&path);
    let o = carrack(&["image", "tag", s(&path), "v1", "stable"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = carrack(&["image", "ls", "--format", "json", s(&path)]);
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let tags: Vec<&str> = rows
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["tag"].as_str())
        .collect();
    assert_eq!(tags, ["v1", "stable"]);
    let o = carrack(&[
        "image",
        "resolve",
        s(&path),
        "stable",
        "--platform",
        "linux/amd64",
    ]);
    assert!(text(&o).contains(manifest.digest.as_str()), "{}", text(&o));
    // A platform the image does not have fails, naming the one it has; nonsense does not parse.
    let o = carrack(&[
        "image",
        "resolve",
        s(&path),
        "stable",
        "--platform",
        "linux/arm64",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("no manifest for platform linux/arm64"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("linux/amd64 ("), "{}", text(&o));
    let dest = dir.path().join("rootfs");
    let o = carrack(&[
        "image",
        "unpack",
        "--platform",
        "linux/arm64",
        &format!("{}:stable", s(&path)),
        s(&dest),
    ]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("linux/amd64 ("), "{}", text(&o));
    let o = carrack(&[
        "image",
        "resolve",
        s(&path),
        "stable",
        "--platform",
        "banana",
    ]);
    assert_eq!(o.status.code(), Some(2), "a usage error: {}", text(&o));
    assert!(
        text(&o).contains("no operating system or architecture Go knows"),
        "{}",
        text(&o)
    );
    assert!(
        carrack(&["image", "untag", s(&path), "stable"])
            .status
            .success()
    );
    assert_eq!(
        carrack(&["image", "untag", s(&path), "stable"])
            .status
            .code(),
        Some(1)
    );
    let o = carrack(&["image", "fsck", s(&path)]);
    assert!(o.status.success(), "{}", text(&o));
    let o = carrack(&["image", "gc", "--grace", "0", "--dry-run", s(&path)]);
    assert!(text(&o).contains("would remove 0 blob(s)"), "{}", text(&o));
    assert!(
        carrack(&["image", "untag", s(&path), "v1"])
            .status
            .success()
    );
    let o = carrack(&["image", "gc", "--grace", "0", "--format", "json", s(&path)]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(
        report["removed"].as_array().expect("removed").len(),
        3,
        "{report}"
    );
}

#[test]
fn fsck_failures_exit_1_and_name_the_blob() {
    let dir = tempfile::tempdir().expect("tmp");
    let manifest = make_image(dir.path());
    let layout = Layout::open(dir.path()).expect("open");
    let m: ImageManifest = layout.read_document(&manifest).expect("manifest");
    let layer = dir
        .path()
        .join("blobs/sha256")
        .join(m.layers[0].digest.encoded());
    std::fs::write(&layer, b"tampered").expect("tamper");
    let o = carrack(&["image", "fsck", s(dir.path())]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains(m.layers[0].digest.encoded()),
        "{}",
        text(&o)
    );
}

#[test]
fn concurrent_tagging_processes_lose_no_tag() {
    let dir = tempfile::tempdir().expect("tmp");
    make_image(dir.path());
    let children: Vec<_> = (0..8)
        .map(|p| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || {
                for i in 0..10 {
                    let o = carrack(&["image", "tag", s(&path), "v1", &format!("p{p}-{i}")]);
                    assert!(o.status.success(), "{}", text(&o));
                }
            })
        })
        .collect();
    for c in children {
        c.join().expect("join");
    }
    let tags = Layout::open(dir.path())
        .expect("open")
        .tags()
        .expect("tags");
    assert_eq!(tags.len(), 81);
}

#[test]
fn skopeo_accepts_carrack_layouts_and_carrack_reads_skopeo_layouts() {
    let dir = tempfile::tempdir().expect("tmp");
    let (src, dst) = (dir.path().join("carrack"), dir.path().join("skopeo"));
    make_image(&src);
    tool(
        "skopeo",
        &[
            "copy",
            "--quiet",
            &format!("oci:{}:v1", s(&src)),
            &format!("oci:{}:copied", s(&dst)),
        ],
    );
    let o = carrack(&["image", "fsck", s(&dst)]);
    assert!(o.status.success(), "{}", text(&o));
    let o = carrack(&["image", "ls", s(&dst)]);
    assert!(text(&o).contains("copied"), "{}", text(&o));
    let o = carrack(&[
        "image",
        "resolve",
        s(&dst),
        "copied",
        "--platform",
        "linux/amd64",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    // And the layout skopeo wrote is still one skopeo reads after carrack tagged it.
    assert!(
        carrack(&["image", "tag", s(&dst), "copied", "again"])
            .status
            .success()
    );
    tool(
        "skopeo",
        &["inspect", "--raw", &format!("oci:{}:again", s(&dst))],
    );
}

#[test]
#[ignore = "needs root: umoci unpack (not --rootless) chowns the rootfs to the image's owners"]
fn umoci_unpacks_carrack_layouts_and_carrack_reads_umoci_layouts() {
    let dir = tempfile::tempdir().expect("tmp");
    let src = dir.path().join("carrack");
    make_image(&src);
    let bundle = dir.path().join("bundle");
    tool(
        "umoci",
        &["unpack", "--image", &format!("{}:v1", s(&src)), s(&bundle)],
    );
    assert_eq!(
        std::fs::read(bundle.join("rootfs/hello.txt")).expect("unpacked file"),
        b"hello from carrack\n"
    );
    let o = carrack(&["validate", s(&bundle.join("config.json"))]);
    assert!(o.status.success(), "umoci's config.json: {}", text(&o));

    let u = dir.path().join("umoci");
    tool("umoci", &["init", "--layout", s(&u)]);
    tool("umoci", &["new", "--image", &format!("{}:base", s(&u))]);
    tool(
        "umoci",
        &[
            "config",
            "--image",
            &format!("{}:base", s(&u)),
            "--config.cmd",
            "/bin/true",
        ],
    );
    let o = carrack(&["image", "fsck", s(&u)]);
    assert!(o.status.success(), "{}", text(&o));
    let o = carrack(&[
        "image",
        "resolve",
        s(&u),
        "base",
        "--platform",
        "linux/amd64",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let layout = Layout::open(&u).expect("open umoci layout");
    let found = layout
        .resolve(
            "base",
            &carrack_image::PlatformMatcher::parse("linux/amd64").expect("platform"),
        )
        .expect("resolve");
    let config: ImageConfiguration = layout
        .read_document(&found.manifest.config)
        .expect("config");
    assert_eq!(
        config.config.as_ref().and_then(|c| c.cmd.clone()),
        Some(vec!["/bin/true".to_owned()])
    );
    assert!(config.validate().is_valid());
}

#[test]
#[ignore = "needs root: skopeo's oci-archive transport chowns what it untars"]
fn oci_archives_round_trip_through_skopeo() {
    let dir = tempfile::tempdir().expect("tmp");
    let src = dir.path().join("carrack");
    let manifest = make_image(&src);
    let ours = dir.path().join("ours.tar");
    let o = carrack(&["image", "export", s(&src), s(&ours), "v1"]);
    assert!(o.status.success(), "{}", text(&o));
    // skopeo reads carrack's archive...
    let via = dir.path().join("via-skopeo");
    tool(
        "skopeo",
        &[
            "copy",
            "--quiet",
            &format!("oci-archive:{}:v1", s(&ours)),
            &format!("oci:{}:v1", s(&via)),
        ],
    );
    assert!(carrack(&["image", "fsck", s(&via)]).status.success());
    // ...and carrack imports skopeo's.
    let theirs = dir.path().join("theirs.tar");
    tool(
        "skopeo",
        &[
            "copy",
            "--quiet",
            &format!("oci:{}:v1", s(&src)),
            &format!("oci-archive:{}:fromskopeo", s(&theirs)),
        ],
    );
    let back = dir.path().join("back");
    let o = carrack(&["image", "import", s(&back), s(&theirs)]);
    assert!(o.status.success(), "{}", text(&o));
    // skopeo compresses the layer on the way (so the digests change); the content is the same.
    let src = Layout::open(&src).expect("open");
    let ours: ImageManifest = src.read_document(&manifest).expect("manifest");
    let ours: ImageConfiguration = src.read_document(&ours.config).expect("config");
    let back = Layout::open(&back).expect("open");
    let found = back
        .resolve(
            "fromskopeo",
            &carrack_image::PlatformMatcher::parse("linux/amd64").expect("platform"),
        )
        .expect("resolve");
    let theirs: ImageConfiguration = back.read_document(&found.manifest.config).expect("config");
    assert_eq!(theirs.rootfs.diff_ids, ours.rootfs.diff_ids);
    assert!(back.fsck().expect("fsck").is_empty());
}

#[test]
fn docker_archives_written_by_skopeo_import_as_oci() {
    let dir = tempfile::tempdir().expect("tmp");
    let src = dir.path().join("carrack");
    make_image(&src);
    let save = dir.path().join("save.tar");
    tool(
        "skopeo",
        &[
            "copy",
            "--quiet",
            &format!("oci:{}:v1", s(&src)),
            &format!("docker-archive:{}:example.com/demo:v1", s(&save)),
        ],
    );
    let dst = dir.path().join("imported");
    let o = carrack(&["image", "import-docker", s(&dst), s(&save)]);
    assert!(o.status.success(), "{}", text(&o));
    let layout = Layout::open(&dst).expect("open");
    let found = layout
        .resolve(
            "example.com/demo:v1",
            &carrack_image::PlatformMatcher::parse("linux/amd64").expect("platform"),
        )
        .expect("resolve");
    assert_eq!(found.manifest.config.media_type, MediaType::ImageConfig);
    assert_eq!(found.manifest.layers[0].media_type, MediaType::ImageLayer);
    assert!(layout.fsck().expect("fsck").is_empty());
}
