//! Parses one document many times with one crate, for profilers (`valgrind --tool=callgrind`,
//! `perf record`): `parse_loop carrack|oci-spec [N] [config|oci-layout]` (the runtime-spec
//! example config by default).

use std::hint::black_box;

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8], n: usize) {
    for _ in 0..n {
        black_box(serde_json::from_slice::<T>(black_box(bytes)).expect("parse"));
    }
}

fn main() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/specs");
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "carrack".into());
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let doc = args.next().unwrap_or_else(|| "config".into());
    let file = match doc.as_str() {
        "oci-layout" => "image-spec/schema/test/imagelayout/good/01.json",
        _ => "runtime-spec/schema/test/config/good/spec-example.json",
    };
    let bytes = std::fs::read(dir.join(file)).expect("document");
    if doc == "oci-layout-write" {
        let ours = carrack_spec::image::ImageLayout::new();
        let theirs: oci_spec::image::OciLayout =
            serde_json::from_slice(b"{\"imageLayoutVersion\":\"1.0.0\"}").expect("parse");
        for _ in 0..n {
            if which == "carrack" {
                black_box(serde_json::to_vec(black_box(&ours)).expect("write"));
            } else {
                black_box(serde_json::to_vec(black_box(&theirs)).expect("write"));
            }
        }
        return;
    }
    match (which.as_str(), doc.as_str()) {
        ("carrack", "oci-layout") => parse::<carrack_spec::image::ImageLayout>(&bytes, n),
        (_, "oci-layout") => parse::<oci_spec::image::OciLayout>(&bytes, n),
        ("carrack", _) => parse::<carrack_spec::runtime::Spec>(&bytes, n),
        _ => parse::<oci_spec::runtime::Spec>(&bytes, n),
    }
}
