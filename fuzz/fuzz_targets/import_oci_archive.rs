#![no_main]

// Hostile oci-archives: importing must never panic, and never leave a temporary file behind.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let Ok(layout) = carrack_image::Layout::create(dir.path()) else { return };
    let _ = layout.import_oci_archive(data);
    let leftovers = std::fs::read_dir(dir.path().join("blobs/sha256"))
        .map(|d| d.filter_map(Result::ok).filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-")).count())
        .unwrap_or(0);
    assert_eq!(leftovers, 0, "temporary blob files left behind");
});
