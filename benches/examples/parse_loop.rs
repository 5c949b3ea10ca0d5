//! Parses the runtime-spec example config many times with one crate, for profilers
//! (`valgrind --tool=callgrind`): `parse_loop carrack|oci-spec [N]`.

fn main() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/specs");
    let bytes = std::fs::read(dir.join("runtime-spec/schema/test/config/good/spec-example.json"))
        .expect("example");
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "carrack".into());
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    for _ in 0..n {
        if which == "carrack" {
            std::hint::black_box(
                serde_json::from_slice::<carrack_spec::runtime::Spec>(&bytes).expect("parse"),
            );
        } else {
            std::hint::black_box(
                serde_json::from_slice::<oci_spec::runtime::Spec>(&bytes).expect("parse"),
            );
        }
    }
}
