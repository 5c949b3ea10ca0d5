//! A corpus of hostile layers. Each case is applied to a fresh root beside a directory with a
//! canary; afterwards nothing outside the root may have changed, the root must still be a
//! directory, and the case must end as written down (refused with a given error, or contained).

#![cfg(target_os = "linux")] // what they test is Linux only

mod common;

use std::io::Write;
use std::path::Path;

use carrack_spec::image::MediaType;
use carrack_unpack::{
    ApplyOptions, Error, LimitExceeded, Limits, UnpackError, apply_layer, unpack,
};
use common::{Layer, Outside, image, walk};
use tar::EntryType as T;

#[derive(Debug)]
enum Outcome {
    /// Refused with an error matching this.
    Refused(fn(&Error) -> bool),
    /// Applied, and this holds inside the root.
    Contained(fn(&Path) -> bool),
}

struct Case {
    name: &'static str,
    layers: Vec<Layer>,
    outcome: Outcome,
}

fn cases(outside: &str) -> Vec<Case> {
    let o = outside.to_owned();
    let ln = |name: &str, target: &str| Layer::new().symlink(name, target);
    vec![
        Case {
            name: "dot-dot entry",
            layers: vec![Layer::new().file("../escape", b"x")],
            outcome: Outcome::Refused(|e| matches!(e, Error::BadName { .. })),
        },
        Case {
            name: "dot-dot in the middle",
            layers: vec![Layer::new().file("a/../../escape", b"x")],
            outcome: Outcome::Refused(|e| matches!(e, Error::BadName { .. })),
        },
        Case {
            name: "absolute entry name",
            layers: vec![Layer::new().file("/abs-inside", b"x")],
            outcome: Outcome::Contained(|r| r.join("abs-inside").is_file()),
        },
        Case {
            name: "symlink to / then a file through it (later layer)",
            layers: vec![ln("evil", "/"), Layer::new().file("evil/planted", b"x")],
            outcome: Outcome::Contained(|r| r.join("planted").is_file()),
        },
        Case {
            name: "symlink climbing with .. then a file through it (same layer)",
            layers: vec![ln("up", "../../../../..").file("up/planted", b"x")],
            outcome: Outcome::Contained(|r| r.join("planted").is_file()),
        },
        Case {
            name: "symlink to the outside directory's absolute path, then a file through it",
            layers: vec![
                ln("abs", &o),
                Layer::new().file("abs/canary", b"overwritten?"),
            ],
            outcome: Outcome::Refused(|e| matches!(e, Error::Fs { .. })),
        },
        Case {
            name: "symlink to an outside file, then a regular file with its name",
            layers: vec![
                ln("victim", &format!("{o}/canary")),
                Layer::new().file("victim", b"overwritten?"),
            ],
            outcome: Outcome::Contained(|r| {
                std::fs::read(r.join("victim")).is_ok_and(|c| c == b"overwritten?")
            }),
        },
        Case {
            name: "symlink to outside dir, then a directory entry with its name (chmod through?)",
            layers: vec![
                ln("d", &format!("{o}/victim-dir")),
                Layer::new().dir("d/", 0o777),
            ],
            outcome: Outcome::Contained(|r| {
                std::fs::symlink_metadata(r.join("d")).is_ok_and(|m| m.is_dir())
            }),
        },
        Case {
            name: "hardlink to a host file by absolute path",
            layers: vec![Layer::new().hardlink("passwd", "/etc/passwd")],
            outcome: Outcome::Refused(|e| matches!(e, Error::LinkTarget { .. })),
        },
        Case {
            name: "hardlink to the outside canary by absolute path",
            layers: vec![Layer::new().hardlink("c", &format!("{o}/canary"))],
            outcome: Outcome::Refused(|e| matches!(e, Error::LinkTarget { .. })),
        },
        Case {
            name: "hardlink through a planted symlink",
            layers: vec![ln("out", &o), Layer::new().hardlink("c", "out/canary")],
            outcome: Outcome::Refused(|e| matches!(e, Error::LinkTarget { .. })),
        },
        Case {
            name: "hardlink target with ..",
            layers: vec![Layer::new().hardlink("c", "../canary")],
            outcome: Outcome::Refused(|e| matches!(e, Error::BadName { .. })),
        },
        Case {
            name: "hardlink to a directory",
            layers: vec![Layer::new().dir("d/", 0o755).hardlink("h", "d")],
            outcome: Outcome::Refused(|e| matches!(e, Error::LinkTarget { .. })),
        },
        Case {
            name: "hardlink to a symlink pointing outside links the symlink itself",
            layers: vec![ln("s", &format!("{o}/canary")).hardlink("h", "s")],
            outcome: Outcome::Contained(|r| {
                std::fs::symlink_metadata(r.join("h")).is_ok_and(|m| m.is_symlink())
            }),
        },
        Case {
            name: "bare .wh. whiteout",
            layers: vec![Layer::new().whiteout(".wh.")],
            outcome: Outcome::Refused(|e| matches!(e, Error::BadWhiteout(_))),
        },
        Case {
            name: ".wh.. whiteout (the parent)",
            layers: vec![Layer::new().dir("a/", 0o755).whiteout("a/.wh..")],
            outcome: Outcome::Refused(|e| matches!(e, Error::BadWhiteout(_))),
        },
        Case {
            name: ".wh... whiteout",
            layers: vec![Layer::new().dir("a/", 0o755).whiteout("a/.wh...")],
            outcome: Outcome::Refused(|e| matches!(e, Error::BadWhiteout(_))),
        },
        Case {
            name: "whiteout through a symlink to the outside directory",
            layers: vec![ln("out", &o), Layer::new().whiteout("out/.wh.canary")],
            outcome: Outcome::Contained(|r| {
                std::fs::symlink_metadata(r.join("out")).is_ok_and(|m| m.is_symlink())
            }),
        },
        Case {
            name: "opaque whiteout through a symlink to /",
            layers: vec![
                Layer::new().file("keep", b"k"),
                ln("root", "/"),
                Layer::new().whiteout("root/.wh..wh..opq"),
            ],
            outcome: Outcome::Contained(|r| !r.join("keep").exists()),
        },
        Case {
            name: "whiteout of the root's own name from inside",
            layers: vec![Layer::new().whiteout("./.wh..")],
            outcome: Outcome::Refused(|e| matches!(e, Error::BadWhiteout(_))),
        },
        Case {
            name: "root replaced by a symlink",
            layers: vec![ln("./", "/etc")],
            outcome: Outcome::Refused(|e| matches!(e, Error::RootType(_))),
        },
        Case {
            name: "root replaced by a file",
            layers: vec![Layer::new().file(".", b"x")],
            outcome: Outcome::Refused(|e| matches!(e, Error::RootType(_))),
        },
        Case {
            name: "root replaced by a device",
            layers: vec![Layer::new().device("./", T::Char, 1, 3)],
            outcome: Outcome::Refused(|e| matches!(e, Error::RootType(_))),
        },
        Case {
            name: "a directory's symlink swapped in by a later entry of the same layer",
            layers: vec![
                Layer::new()
                    .dir("d/", 0o755)
                    .file("d/a", b"a")
                    .symlink("d", &o)
                    .file("d/b", b"b"),
            ],
            outcome: Outcome::Refused(|e| matches!(e, Error::Fs { .. })),
        },
        Case {
            name: "name longer than PATH_MAX",
            layers: vec![Layer::new().file(&"n/".repeat(3000), b"x")],
            outcome: Outcome::Refused(|e| {
                matches!(
                    e,
                    Error::Limit {
                        limit: LimitExceeded::PathLen { .. },
                        ..
                    }
                )
            }),
        },
        Case {
            name: "unknown entry type",
            layers: vec![Layer::new().entry("x", T::new(b'Q'), 0o644)],
            outcome: Outcome::Refused(|e| matches!(e, Error::Unsupported { .. })),
        },
    ]
}

#[test]
fn hostile_layers_stay_inside_the_root() {
    let mut table = Vec::new();
    for i in 0..cases("").len() {
        let outside = Outside::new();
        let o = outside.path().to_str().expect("utf-8").to_owned();
        let case = cases(&o).swap_remove(i);
        let parent = tempfile::tempdir().expect("tmp");
        let root = parent.path().join("root");
        std::fs::create_dir(&root).expect("root");
        let before = outside.snapshot();
        let mut result = Ok(());
        for layer in case.layers {
            if let Err(e) = apply_layer(&root, &layer.bytes()[..], &ApplyOptions::default()) {
                result = Err(e);
                break;
            }
        }
        assert_eq!(outside.snapshot(), before, "{}: outside changed", case.name);
        assert!(
            root.is_dir(),
            "{}: the root is still a directory",
            case.name
        );
        let names: Vec<_> = std::fs::read_dir(parent.path())
            .expect("parent")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["root"], "{}: nothing beside the root", case.name);
        match (&case.outcome, &result) {
            (Outcome::Refused(ok), Err(e)) => {
                assert!(
                    ok(e),
                    "{}: refused with an unexpected error: {e}",
                    case.name
                );
                table.push(format!("{:<80} refused: {e}", case.name));
            }
            (Outcome::Contained(ok), Ok(())) => {
                assert!(ok(&root), "{}: applied, but not as expected", case.name);
                table.push(format!("{:<80} contained", case.name));
            }
            (want, got) => panic!("{}: expected {want:?}, got {got:?}", case.name),
        }
    }
    println!("{}", table.join("\n"));
}

fn zeros_gzip_member(len: usize) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&vec![0u8; len]).expect("gzip");
    e.finish().expect("gzip")
}

#[test]
fn a_gzip_bomb_stops_early_with_a_ratio_error() {
    // A tar header claiming a 4 GiB file, then 4 GiB of zeros as repeated gzip members: about
    // 4 MiB compressed. With the default limits the ratio check stops it after 64 MiB.
    let mut h = tar::Header::new_gnu();
    h.set_path("bomb").expect("path");
    h.set_size(4 << 30);
    h.set_mode(0o644);
    h.set_entry_type(T::Regular);
    h.set_cksum();
    let mut blob = common::gzip(h.as_bytes());
    let member = zeros_gzip_member(1 << 20);
    for _ in 0..4096 {
        blob.extend_from_slice(&member);
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let layout = carrack_image::Layout::create(tmp.path().join("layout")).expect("layout");
    let desc = layout
        .write_blob_bytes(MediaType::ImageLayerGzip, &blob)
        .expect("blob");
    let config = layout
        .write_document(
            MediaType::ImageConfig,
            &carrack_spec::image::ImageConfiguration::new(
                carrack_spec::image::Arch::Amd64,
                carrack_spec::image::Os::Linux,
                carrack_spec::image::RootFs::layers(vec![desc.digest.clone()]),
            ),
        )
        .expect("config");
    let manifest = carrack_spec::image::ImageManifest::new(config, vec![desc]);
    let dest = tmp.path().join("rootfs");
    let err = unpack(&layout, &manifest, &dest, &ApplyOptions::default()).expect_err("bomb");
    match &err {
        UnpackError::Limit {
            limit: LimitExceeded::Ratio { uncompressed, .. },
            ..
        } => assert!(*uncompressed < 128 << 20, "stopped early: {err}"),
        other => panic!("expected a ratio error, got {other}"),
    }
    assert!(!dest.exists(), "nothing left behind");
    assert_eq!(
        std::fs::read_dir(tmp.path()).expect("tmp").count(),
        1,
        "no staging directory left"
    );
}

#[test]
fn entry_count_size_and_total_limits_are_enforced_before_writing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut many = Layer::new();
    for i in 0..20 {
        many = many.file(&format!("f{i}"), b"x");
    }
    let mut opts = ApplyOptions::default();
    opts.limits.max_entries = 10;
    let root = tmp.path().join("a");
    std::fs::create_dir(&root).expect("root");
    let err = apply_layer(&root, &many.bytes()[..], &opts).expect_err("too many");
    assert!(
        matches!(
            err,
            Error::Limit {
                limit: LimitExceeded::Entries { limit: 10 },
                ..
            }
        ),
        "{err}"
    );

    // A header that claims a huge entry is refused before anything is written.
    let mut h = tar::Header::new_gnu();
    h.set_path("huge").expect("path");
    h.set_size(1 << 40);
    h.set_mode(0o644);
    h.set_cksum();
    let mut bytes = h.as_bytes().to_vec();
    bytes.extend_from_slice(&[0u8; 1024]);
    let root = tmp.path().join("b");
    std::fs::create_dir(&root).expect("root");
    let err = apply_layer(&root, &bytes[..], &ApplyOptions::default()).expect_err("huge");
    assert!(
        matches!(
            err,
            Error::Limit {
                limit: LimitExceeded::EntryBytes { .. },
                ..
            }
        ),
        "{err}"
    );
    assert!(!root.join("huge").exists());

    let mut opts = ApplyOptions::default();
    opts.limits = Limits::default();
    opts.limits.max_total_bytes = 10;
    let root = tmp.path().join("c");
    std::fs::create_dir(&root).expect("root");
    let err = apply_layer(
        &root,
        &Layer::new()
            .file("a", b"123456")
            .file("b", b"123456")
            .bytes()[..],
        &opts,
    )
    .expect_err("total");
    assert!(
        matches!(
            err,
            Error::Limit {
                limit: LimitExceeded::TotalBytes { .. },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_truncated_layer_leaves_no_rootfs_behind() {
    let tmp = tempfile::tempdir().expect("tmp");
    let full = Layer::new().file("a", &[7u8; 4096]).file("b", b"b").bytes();
    let cut = full[..1024].to_vec();
    let (layout, manifest) = image(
        &tmp.path().join("layout"),
        "cut",
        &[(MediaType::ImageLayerGzip, cut)],
    );
    let dest = tmp.path().join("rootfs");
    // The diff_id matches the truncated stream, so only the tar reader can notice.
    let err = unpack(&layout, &manifest, &dest, &ApplyOptions::default()).expect_err("truncated");
    assert!(matches!(err, UnpackError::Layer { .. }), "{err}");
    assert!(!dest.exists());
    assert_eq!(
        walk(tmp.path())
            .keys()
            .filter(|k| !k.starts_with("layout"))
            .count(),
        0
    );
}
