//! Writes a layout holding one image of N layers of M MiB of pseudo-random bytes, tagged
//! `big`, for the fsck benchmark: `make_layout DIR [LAYERS] [MIB_PER_LAYER]`.

#[cfg(unix)]
use std::io::Write;

#[cfg(unix)]
use carrack_image::Layout;
#[cfg(unix)]
use carrack_spec::image::{
    Algorithm, Arch, Descriptor, ImageConfiguration, ImageManifest, MediaType, Os, RootFs,
};

#[cfg(unix)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .ok_or("usage: make_layout DIR [LAYERS] [MIB_PER_LAYER]")?;
    let layers: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(10);
    let mib: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(32);
    let layout = Layout::create(&dir)?;
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut chunk = vec![0u8; 1 << 20];
    let mut descs = Vec::new();
    for _ in 0..layers {
        let mut w = layout.blob_writer(Algorithm::Sha256)?;
        for _ in 0..mib {
            for b in chunk.chunks_mut(8) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                b.copy_from_slice(&state.to_le_bytes()[..b.len()]);
            }
            w.write_all(&chunk)?;
        }
        let (digest, size) = w.finish()?;
        descs.push(Descriptor::new(
            MediaType::ImageLayer,
            digest,
            i64::try_from(size)?,
        ));
    }
    let config = ImageConfiguration::new(
        Arch::Amd64,
        Os::Linux,
        RootFs::layers(descs.iter().map(|d| d.digest.clone()).collect()),
    );
    let config = layout.write_document(MediaType::ImageConfig, &config)?;
    let manifest =
        layout.write_document(MediaType::ImageManifest, &ImageManifest::new(config, descs))?;
    layout.tag("big", manifest)?;
    Ok(())
}

#[cfg(not(unix))]
fn main() {
    eprintln!("make_layout: the layout store is Unix only");
    std::process::exit(2);
}
