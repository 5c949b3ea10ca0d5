#![no_main]

// Hostile `docker save` archives: importing must never panic.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let archive = dir.path().join("save.tar");
    if std::fs::write(&archive, data).is_err() {
        return;
    }
    let Ok(layout) = carrack_image::Layout::create(dir.path().join("layout")) else { return };
    let _ = layout.import_docker_archive(&archive);
});
