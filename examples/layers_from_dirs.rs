//! Builds an image whose layers are the differences between successive directories: the
//! first layer holds DIR1, the second what changed from DIR1 to DIR2 (whiteouts included), and
//! so on — each committed with carrack-unpack on top of the previous image.
//!
//! ```text
//! cargo run --release -p carrack-unpack --example layers_from_dirs -- \
//!     LAYOUT TAG gzip|zstd|none DIR1 [DIR2 ...]
//! ```

#[cfg(target_os = "linux")]
use std::path::PathBuf;

#[cfg(target_os = "linux")]
use carrack_image::{Layout, PlatformMatcher};
#[cfg(target_os = "linux")]
use carrack_spec::image::{
    Arch, Compression, ImageConfiguration, ImageManifest, MediaType, Os, RootFs,
};
#[cfg(target_os = "linux")]
use carrack_unpack::{Base, CommitOptions, commit, diff};

#[cfg(target_os = "linux")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [layout, tag, compression, dirs @ ..] = args.as_slice() else {
        return Err("usage: layers_from_dirs LAYOUT TAG gzip|zstd|none DIR1 [DIR2 ...]".into());
    };
    let compression = match compression.as_str() {
        "gzip" => Compression::Gzip,
        "zstd" => Compression::Zstd,
        "none" => Compression::None,
        other => return Err(format!("unknown compression {other:?}").into()),
    };
    let layout = Layout::create(layout)?;
    // An empty image to start from.
    let config = ImageConfiguration::new(Arch::Amd64, Os::Linux, RootFs::layers(Vec::new()));
    let config = layout.write_document(MediaType::ImageConfig, &config)?;
    let manifest = ImageManifest::new(config, Vec::new());
    let manifest = layout.write_document(MediaType::ImageManifest, &manifest)?;
    let scratch = format!("{tag}-scratch");
    layout.tag(&scratch, manifest)?;

    let empty = tempfile::tempdir()?;
    let mut lower = empty.path().to_path_buf();
    let mut current = scratch.clone();
    for (i, dir) in dirs.iter().enumerate() {
        let upper = PathBuf::from(dir);
        let base = layout.resolve(&current, &PlatformMatcher::parse("linux/amd64")?)?;
        let changes = diff(Base::Dir(&lower), &upper)?;
        let mut opts = CommitOptions::default();
        opts.compression = compression;
        opts.created = Some(0);
        opts.created_by = Some(format!("layers_from_dirs {dir}"));
        let next = if i + 1 == dirs.len() {
            tag.clone()
        } else {
            format!("{tag}-{i}")
        };
        opts.tag = Some(next.clone());
        let done = commit(&layout, &base, &changes, &upper, &opts)?;
        println!(
            "layer {i}: {} changes, {} bytes, {}",
            changes.changes.len(),
            done.layer.size,
            done.layer.digest
        );
        if current != scratch {
            layout.untag(&current)?;
        }
        current = next;
        lower = upper;
    }
    layout.untag(&scratch)?;
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("layers_from_dirs: diff and commit are Linux only");
    std::process::exit(2);
}
