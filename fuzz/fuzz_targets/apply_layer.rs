#![no_main]

// Arbitrary bytes as one or two layers (the first byte says where the first layer ends, in
// 512-byte blocks) applied to a fresh root. Whatever happens, nothing outside the root may
// change: a fixed directory with a canary (which seeds point symlinks and hardlinks at) and the
// root's parent must look exactly as before, and the root must still be a directory.

use std::path::Path;

const OUTSIDE: &str = "/tmp/carrack-fuzz-outside";

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let outside = Path::new(OUTSIDE);
    if !outside.join("canary").exists() {
        let _ = std::fs::create_dir_all(outside.join("dir"));
        let _ = std::fs::write(outside.join("canary"), b"alive");
        let _ = std::fs::write(outside.join("dir/file"), b"alive");
    }
    let Ok(tmp) = tempfile::tempdir() else { return };
    let root = tmp.path().join("root");
    if std::fs::create_dir(&root).is_err() {
        return;
    }
    let (first, second) = match data.split_first() {
        Some((n, rest)) => rest.split_at((usize::from(*n) * 512).min(rest.len())),
        None => (&data[..0], &data[..0]),
    };
    let mut opts = carrack_unpack::ApplyOptions::default();
    opts.limits.max_total_bytes = 16 << 20;
    opts.limits.max_entries = 10_000;
    for layer in [first, second] {
        if carrack_unpack::apply_layer(&root, layer, &opts).is_err() {
            break;
        }
    }
    assert!(std::fs::symlink_metadata(&root).map(|m| m.is_dir()).unwrap_or(false), "root replaced");
    assert_eq!(listing(tmp.path()), ["root"], "something written beside the root");
    assert_eq!(listing(outside), ["canary", "dir"], "outside changed");
    assert_eq!(std::fs::read(outside.join("canary")).ok().as_deref(), Some(&b"alive"[..]));
    assert_eq!(std::fs::read(outside.join("dir/file")).ok().as_deref(), Some(&b"alive"[..]));
    let m = std::fs::metadata(outside.join("dir")).ok().map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o7777);
    assert_eq!(m, Some(0o755), "outside directory mode changed");
});
