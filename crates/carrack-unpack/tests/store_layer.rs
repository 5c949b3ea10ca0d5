//! One call stores a tar stream as a layer: the descriptor names the compression, the blob reads
//! back (verified) to the same tar, and the diff_id is that tar's digest.
#![cfg(target_os = "linux")]

mod common;

use carrack_image::Layout;
use carrack_spec::image::{Compression, Digest, MediaType};
use carrack_unpack::{Limits, read_layer, store_layer};
use common::Layer;

#[test]
fn a_tar_stream_becomes_a_layer_with_its_descriptor_and_diff_id() {
    let tmp = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(tmp.path()).expect("layout");
    let tar = Layer::new()
        .dir("etc/", 0o755)
        .file("etc/motd", &b"hello\n".repeat(1000))
        .bytes();
    for (compression, media_type) in [
        (Compression::Gzip, MediaType::ImageLayerGzip),
        (Compression::Zstd, MediaType::ImageLayerZstd),
        (Compression::None, MediaType::ImageLayer),
    ] {
        let stored = store_layer(&layout, &tar[..], compression).expect("store");
        assert_eq!(stored.descriptor.media_type, media_type);
        assert_eq!(stored.diff_id, Digest::sha256_of(&tar));
        let blob = layout
            .open_descriptor(&stored.descriptor)
            .expect("verified read");
        let (back, diff_id) = read_layer(blob, compression, &Limits::default(), |r| {
            let mut v = Vec::new();
            r.read_to_end(&mut v).map(|_| v)
        })
        .expect("read back");
        assert_eq!(back, tar);
        assert_eq!(diff_id, stored.diff_id);
    }
    assert!(layout.fsck().expect("fsck").is_empty());
}
