//! The crate's examples, run as a user would run them. `cargo test` builds examples beside the
//! tests; run this file through a plain `cargo test -p carrack-unpack`, which does.
#![cfg(target_os = "linux")]

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use carrack_spec::image::MediaType;
use common::{Layer, image};

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
        "{} is not built: run `cargo test -p carrack-unpack`, which builds the examples",
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
fn unpack_progress_unpacks_with_a_bar_and_layers_from_dirs_commits_directories() {
    let tmp = tempfile::tempdir().expect("tmp");
    let layers = vec![
        (
            MediaType::ImageLayerGzip,
            Layer::new()
                .dir("etc/", 0o755)
                .file("etc/motd", b"one\n")
                .bytes(),
        ),
        (
            MediaType::ImageLayerZstd,
            Layer::new().file("etc/motd", b"two\n").bytes(),
        ),
    ];
    let layout = tmp.path().join("layout");
    image(&layout, "img", &layers);
    let dest = tmp.path().join("rootfs");
    let o = Command::new(example("unpack_progress"))
        .args([
            layout.to_str().expect("utf-8"),
            "img",
            dest.to_str().expect("utf-8"),
        ])
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("layer 2/2 ["), "{}", text(&o));
    assert_eq!(
        std::fs::read(dest.join("etc/motd")).expect("motd"),
        b"two\n"
    );

    // Two directories as two layers of a new image in the same layout.
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    std::fs::create_dir_all(a.join("etc")).expect("a");
    std::fs::write(a.join("etc/motd"), "a\n").expect("a");
    std::fs::create_dir_all(b.join("etc")).expect("b");
    std::fs::write(b.join("etc/motd"), "b\n").expect("b");
    let o = Command::new(example("layers_from_dirs"))
        .args([
            layout.to_str().expect("utf-8"),
            "dirs",
            "zstd",
            a.to_str().expect("utf-8"),
            b.to_str().expect("utf-8"),
        ])
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o));
    let dest = tmp.path().join("dirs-rootfs");
    let o = Command::new(example("unpack_progress"))
        .args([
            layout.to_str().expect("utf-8"),
            "dirs",
            dest.to_str().expect("utf-8"),
        ])
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(dest.join("etc/motd")).expect("motd"), b"b\n");
}
