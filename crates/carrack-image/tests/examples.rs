//! The crate's examples, run as a user would run them. `cargo test` builds examples beside the
//! tests; run this file through a plain `cargo test -p carrack-image`, which does.
#![cfg(unix)]

use std::path::PathBuf;
use std::process::{Command, Output};

use carrack_image::Layout;
use carrack_spec::image::{Arch, Digest, ImageConfiguration, ImageManifest, MediaType, Os, RootFs};

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
        "{} is not built: run `cargo test -p carrack-image`, which builds the examples",
        path.display()
    );
    path
}

fn text(o: &Output) -> String {
    format!(
        "{:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn resolve_image_prints_the_manifest_or_names_the_platforms_there_are() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("layout");
    let layer = layout
        .write_blob_bytes(MediaType::ImageLayer, b"layer")
        .expect("layer");
    let config = ImageConfiguration::new(
        Arch::Arm64,
        Os::Linux,
        RootFs::layers(vec![Digest::sha256_of(b"layer")]),
    );
    let config = layout
        .write_document(MediaType::ImageConfig, &config)
        .expect("config");
    let manifest = layout
        .write_document(
            MediaType::ImageManifest,
            &ImageManifest::new(config, vec![layer]),
        )
        .expect("manifest");
    layout.tag("v1", manifest.clone()).expect("tag");
    let run = |platform: &str| {
        Command::new(example("resolve_image"))
            .args([dir.path().to_str().expect("utf-8"), "v1", platform])
            .output()
            .expect("run")
    };
    let o = run("linux/aarch64");
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(manifest.digest.as_str()), "{}", text(&o));
    assert!(text(&o).contains("\"schemaVersion\": 2"), "{}", text(&o));
    let o = run("linux/amd64");
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("linux/arm64"), "{}", text(&o));
}
