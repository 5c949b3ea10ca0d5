//! Helpers shared by the runtime's integration tests.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;

use carrack_image::Layout;
use carrack_spec::image::{
    Arch, Digest, ImageConfiguration, ImageManifest, MediaType, Os, Platform, RootFs,
};

/// Writes a one-layer image (an uncompressed tar) to a new layout at `dir`, with `cmd` and
/// `env` as its configuration, tagged `tag` for linux/amd64.
pub fn single_layer_image(dir: &Path, tar: &[u8], cmd: &[&str], env: &[&str], tag: &str) {
    let layout = Layout::create(dir).expect("layout");
    let layer = layout
        .write_blob_bytes(MediaType::ImageLayer, tar)
        .expect("layer");
    let mut image = ImageConfiguration::new(
        Arch::Amd64,
        Os::Linux,
        RootFs::layers(vec![Digest::sha256_of(tar)]),
    );
    let mut exec = carrack_spec::image::ExecConfig::default();
    exec.cmd = Some(cmd.iter().map(|s| (*s).to_owned()).collect());
    if !env.is_empty() {
        exec.env = Some(env.iter().map(|s| (*s).to_owned()).collect());
    }
    image.config = Some(exec);
    let config = layout
        .write_document(MediaType::ImageConfig, &image)
        .expect("config");
    let mut desc = layout
        .write_document(
            MediaType::ImageManifest,
            &ImageManifest::new(config, vec![layer]),
        )
        .expect("manifest");
    desc.platform = Some(Platform::new(Arch::Amd64, Os::Linux));
    layout.tag(tag, desc).expect("tag");
}
