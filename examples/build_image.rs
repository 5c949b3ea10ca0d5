//! Build an image configuration, manifest and index with correct digests, and print them.
//! Unknown members a registry adds survive when the documents are read back.
//!
//! `cargo run -p carrack-spec --example build_image`

use carrack_spec::Document;
use carrack_spec::image::{
    Arch, Descriptor, Digest, ImageConfiguration, ImageIndex, ImageManifest, MediaType, Os,
    Platform, RootFs,
};

fn main() {
    let layer = b"pretend this is a gzip'd tar";
    let diff_id = Digest::sha256_of(b"pretend this is the tar");
    let config = ImageConfiguration::new(Arch::Amd64, Os::Linux, RootFs::layers(vec![diff_id]));
    let config_bytes = config.to_vec();
    let config_desc = Descriptor::new(
        MediaType::ImageConfig,
        Digest::sha256_of(&config_bytes),
        config_bytes.len() as i64,
    );
    let layer_desc = Descriptor::new(
        MediaType::ImageLayerGzip,
        Digest::sha256_of(layer),
        layer.len() as i64,
    );

    let manifest = ImageManifest::new(config_desc, vec![layer_desc]);
    let manifest_bytes = manifest.to_vec();
    let mut entry = Descriptor::new(
        MediaType::ImageManifest,
        Digest::sha256_of(&manifest_bytes),
        manifest_bytes.len() as i64,
    );
    entry.platform = Some(Platform::new(Arch::Amd64, Os::Linux));
    let index = ImageIndex::new(vec![entry]);

    for (name, report) in [
        ("config", config.validate()),
        ("manifest", manifest.validate()),
        ("index", index.validate()),
    ] {
        println!("{name}: {} finding(s)", report.len());
        for f in &report {
            println!("  {f}");
        }
    }
    println!("{}", index.to_string_pretty());
}
