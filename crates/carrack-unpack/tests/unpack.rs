//! Unpacking images from a layout: compression by media type, blob and DiffID verification, and
//! a destination that is never left half-written.

#![cfg(target_os = "linux")] // what they test is Linux only

use std::io::Write;
use std::path::Path;

use carrack_image::Layout;
use carrack_spec::image::{
    Arch, Descriptor, Digest, ImageConfiguration, ImageManifest, MediaType, Os, RootFs,
};
use carrack_unpack::{UnpackError, unpack};

fn tar_with(name: &str, data: &[u8]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut h, name, data).expect("append");
    b.into_inner().expect("tar")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

/// A layout with one image of three layers (tar, gzip, zstd); `tweak` may change the manifest
/// or config before they are written.
fn image(
    dir: &Path,
    tweak: impl FnOnce(&mut Vec<(MediaType, Vec<u8>)>, &mut Vec<Digest>),
) -> (Layout, ImageManifest) {
    let layout = Layout::create(dir).expect("layout");
    let tars = [
        tar_with("base.txt", b"base"),
        tar_with("mid.txt", b"mid"),
        tar_with("top.txt", b"top"),
    ];
    let mut layers = vec![
        (MediaType::ImageLayer, tars[0].clone()),
        (MediaType::ImageLayerGzip, gzip(&tars[1])),
        (
            MediaType::ImageLayerZstd,
            zstd::encode_all(&tars[2][..], 3).expect("zstd"),
        ),
    ];
    let mut diff_ids: Vec<Digest> = tars.iter().map(|t| Digest::sha256_of(t)).collect();
    tweak(&mut layers, &mut diff_ids);
    let descs: Vec<Descriptor> = layers
        .iter()
        .map(|(m, b)| layout.write_blob_bytes(m.clone(), b).expect("layer"))
        .collect();
    let config = layout
        .write_document(
            MediaType::ImageConfig,
            &ImageConfiguration::new(Arch::Amd64, Os::Linux, RootFs::layers(diff_ids)),
        )
        .expect("config");
    let manifest = ImageManifest::new(config, descs);
    (layout, manifest)
}

#[test]
fn unpacks_tar_gzip_and_zstd_layers() {
    let dir = tempfile::tempdir().expect("tmp");
    let (layout, manifest) = image(&dir.path().join("layout"), |_, _| {});
    let dest = dir.path().join("rootfs");
    let stats = unpack(&layout, &manifest, &dest, &Default::default()).expect("unpack");
    assert_eq!(stats.entries, 3);
    for (f, c) in [("base.txt", "base"), ("mid.txt", "mid"), ("top.txt", "top")] {
        assert_eq!(std::fs::read_to_string(dest.join(f)).expect(f), c);
    }
}

fn assert_untouched(dir: &Path) {
    assert!(
        !dir.join("rootfs").exists(),
        "destination must not exist after a failure"
    );
    let staging = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().contains("carrack-staging"));
    assert!(!staging, "staging directory left behind");
}

#[test]
fn a_wrong_diff_id_fails_and_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let (layout, manifest) = image(&dir.path().join("layout"), |_, d| {
        d[1] = Digest::sha256_of(b"not this")
    });
    let err = unpack(
        &layout,
        &manifest,
        &dir.path().join("rootfs"),
        &Default::default(),
    )
    .expect_err("diff_id");
    assert!(matches!(err, UnpackError::DiffId { index: 1, .. }), "{err}");
    assert_untouched(dir.path());
}

#[test]
fn content_must_match_its_declared_compression() {
    let dir = tempfile::tempdir().expect("tmp");
    let (layout, manifest) = image(&dir.path().join("layout"), |l, _| {
        l[1].0 = MediaType::ImageLayer
    });
    let err = unpack(
        &layout,
        &manifest,
        &dir.path().join("rootfs"),
        &Default::default(),
    )
    .expect_err("mismatch");
    assert!(
        matches!(
            err,
            UnpackError::Compression {
                index: 1,
                declared: "uncompressed (tar)",
                found: "gzip"
            }
        ),
        "{err}"
    );
    assert_untouched(dir.path());
    let (layout, mut manifest) = image(&dir.path().join("layout2"), |_, _| {});
    manifest.layers[0].media_type = MediaType::from("application/vnd.example.unknown");
    assert!(matches!(
        unpack(
            &layout,
            &manifest,
            &dir.path().join("rootfs"),
            &Default::default()
        ),
        Err(UnpackError::MediaType { .. })
    ));
}

#[test]
fn tampered_blobs_fail_and_leave_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let (layout, manifest) = image(&dir.path().join("layout"), |_, _| {});
    let d = &manifest.layers[2].digest;
    let path = dir.path().join("layout/blobs/sha256").join(d.encoded());
    let mut bytes = std::fs::read(&path).expect("blob");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&path, bytes).expect("tamper");
    assert!(
        unpack(
            &layout,
            &manifest,
            &dir.path().join("rootfs"),
            &Default::default()
        )
        .is_err()
    );
    assert_untouched(dir.path());
}

#[test]
fn a_non_empty_destination_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let (layout, manifest) = image(&dir.path().join("layout"), |_, _| {});
    let dest = dir.path().join("rootfs");
    std::fs::create_dir_all(&dest).expect("mkdir");
    std::fs::write(dest.join("precious"), b"keep me").expect("write");
    assert!(matches!(
        unpack(&layout, &manifest, &dest, &Default::default()),
        Err(UnpackError::Destination(_))
    ));
    assert_eq!(
        std::fs::read(dest.join("precious")).expect("kept"),
        b"keep me"
    );
}

#[test]
fn progress_reports_every_entry_and_every_compressed_byte() {
    use std::sync::{Arc, Mutex};
    let dir = tempfile::tempdir().expect("tmp");
    let (layout, manifest) = image(&dir.path().join("layout"), |_, _| {});
    let seen: Arc<Mutex<Vec<carrack_unpack::Progress>>> = Arc::default();
    let sink = seen.clone();
    let mut opts = carrack_unpack::ApplyOptions::default();
    opts.progress = Some(Arc::new(move |p| {
        sink.lock().expect("lock").push(*p);
    }));
    let stats = unpack(&layout, &manifest, &dir.path().join("rootfs"), &opts).expect("unpack");
    let seen = seen.lock().expect("lock");
    let total: u64 = manifest.layers.iter().map(|l| l.size as u64).sum();
    assert!(
        seen.len() >= 3 + 3,
        "a report per entry and per layer start: {seen:?}"
    );
    assert!(seen.windows(2).all(|w| w[0].entries <= w[1].entries
        && w[0].compressed_bytes <= w[1].compressed_bytes
        && w[0].layer <= w[1].layer));
    let last = seen.last().expect("reports");
    assert_eq!(
        (last.entries, last.bytes, last.layers, last.layer),
        (stats.entries, stats.bytes, 3, 2)
    );
    assert_eq!(
        (last.compressed_bytes, last.compressed_total),
        (total, total)
    );
}
