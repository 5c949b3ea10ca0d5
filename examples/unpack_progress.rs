//! Unpack an image into a directory with a progress bar on stderr.
//!
//! `cargo run -p carrack-unpack --example unpack_progress -- LAYOUT TAG DEST`
//! (as a normal user the unpack is rootless: owners are the caller's, devices placeholders)

#[cfg(target_os = "linux")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write;
    use std::sync::Arc;

    use carrack_image::{Layout, PlatformMatcher};
    use carrack_unpack::{ApplyOptions, Progress};

    let args: Vec<String> = std::env::args().skip(1).collect();
    let [layout, tag, dest] = args.as_slice() else {
        return Err("usage: unpack_progress LAYOUT TAG DEST".into());
    };
    let layout = Layout::open(layout)?;
    let image = layout.resolve(tag, &PlatformMatcher::host())?;
    let mut opts = ApplyOptions::default();
    // Called after every entry and at layer boundaries, from the writer thread.
    opts.progress = Some(Arc::new(|p: &Progress| {
        let total = p.compressed_total.max(1);
        let filled = usize::try_from(p.compressed_bytes * 30 / total)
            .unwrap_or(30)
            .min(30);
        eprint!(
            "\rlayer {}/{} [{}{}] {} entries",
            p.layer + 1,
            p.layers,
            "#".repeat(filled),
            " ".repeat(30 - filled),
            p.entries
        );
        let _ = std::io::stderr().flush();
    }));
    // Verified (every blob, every diff_id) and all or nothing: DEST appears only on success.
    let stats = carrack_unpack::unpack(&layout, &image.manifest, dest.as_ref(), &opts)?;
    eprintln!();
    println!(
        "{} entries, {} bytes, {} whiteouts",
        stats.entries, stats.bytes, stats.whiteouts
    );
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("unpack_progress: unpacking is Linux only");
    std::process::exit(2);
}
