//! carrack-spec beside the `oci-spec` crate, parsing and writing the same bytes, for every
//! document both crates model: runtime-spec's example config, state and runc's features; a
//! 50-layer manifest, a 20-platform index, image-spec's example image configuration and an
//! `oci-layout` file.
//!
//! `cargo bench -p carrack-benches --bench spec_parse` prints criterion's figures and then a
//! table of medians with the ratio oci-spec / carrack (above 1 means carrack is faster). Before
//! timing anything it checks that carrack writes back the JSON value it read (lossless).
//! Criterion's filter and options work as usual, e.g. `-- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::Criterion;
use serde_json::{Value, json};

fn specs_dir() -> PathBuf {
    std::env::var_os("CARRACK_SPECS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/specs"))
}

fn digest(i: usize) -> String {
    format!("sha256:{:064x}", i * 7919 + 1)
}

fn manifest_50() -> Vec<u8> {
    let layers: Vec<Value> = (0..50)
        .map(|i| json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest(i), "size": 1_000_000 + i,
                        "annotations": {"org.opencontainers.image.title": format!("layer-{i}.tar.gz")}}))
        .collect();
    serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(999), "size": 7023},
        "layers": layers,
        "annotations": {"org.opencontainers.image.created": "2026-01-01T00:00:00Z"}
    }))
    .expect("bytes")
}

fn index_20() -> Vec<u8> {
    let platforms = [
        ("amd64", "linux", None),
        ("arm64", "linux", Some("v8")),
        ("arm", "linux", Some("v7")),
        ("arm", "linux", Some("v6")),
        ("386", "linux", None),
        ("ppc64le", "linux", None),
        ("s390x", "linux", None),
        ("riscv64", "linux", None),
        ("mips64le", "linux", None),
        ("loong64", "linux", None),
        ("amd64", "windows", None),
        ("arm64", "windows", None),
        ("amd64", "freebsd", None),
        ("arm64", "darwin", None),
        ("amd64", "darwin", None),
        ("wasm", "wasip1", None),
        ("amd64", "illumos", None),
        ("amd64", "solaris", None),
        ("ppc64", "aix", None),
        ("amd64", "netbsd", None),
    ];
    let manifests: Vec<Value> = platforms
        .iter()
        .enumerate()
        .map(|(i, (arch, os, variant))| {
            let mut platform = json!({"architecture": arch, "os": os});
            if let Some(v) = variant {
                platform["variant"] = json!(v);
            }
            if *os == "windows" {
                platform["os.version"] = json!("10.0.20348.2700");
            }
            json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest(i), "size": 1500 + i, "platform": platform})
        })
        .collect();
    serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests}))
        .expect("bytes")
}

fn bench_doc<C, O>(c: &mut Criterion, name: &str, bytes: &[u8])
where
    C: serde::de::DeserializeOwned + serde::Serialize,
    O: serde::de::DeserializeOwned + serde::Serialize,
{
    let ours: C = serde_json::from_slice(bytes).expect("carrack parses");
    let back: Value = serde_json::to_value(&ours).expect("carrack writes");
    let original: Value = serde_json::from_slice(bytes).expect("JSON");
    assert_eq!(back, original, "{name}: carrack's round trip is lossless");

    let mut g = c.benchmark_group(name);
    g.bench_function("parse/carrack", |b| {
        b.iter(|| serde_json::from_slice::<C>(black_box(bytes)).expect("carrack parses"))
    });
    g.bench_function("parse/oci-spec", |b| {
        b.iter(|| serde_json::from_slice::<O>(black_box(bytes)).expect("oci-spec parses"))
    });
    let theirs: O = serde_json::from_slice(bytes).expect("oci-spec parses");
    g.bench_function("write/carrack", |b| {
        b.iter(|| serde_json::to_vec(black_box(&ours)).expect("write"))
    });
    g.bench_function("write/oci-spec", |b| {
        b.iter(|| serde_json::to_vec(black_box(&theirs)).expect("write"))
    });
    g.finish();
}

fn median_ns(group: &str, id: &str) -> Option<f64> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/criterion")
        .join(group)
        .join(id.replace('/', "_"))
        .join("new/estimates.json");
    let v: Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    v["median"]["point_estimate"].as_f64()
}

fn spec_file(path: &str) -> Vec<u8> {
    std::fs::read(specs_dir().join(path))
        .unwrap_or_else(|e| panic!("{path} (../shared/specs or $CARRACK_SPECS_DIR): {e}"))
}

fn main() {
    let docs: [(&str, Vec<u8>); 7] = [
        (
            "config-example",
            spec_file("runtime-spec/schema/test/config/good/spec-example.json"),
        ),
        (
            "state-example",
            spec_file("runtime-spec/schema/test/state/good/spec-example.json"),
        ),
        (
            "features-runc",
            spec_file("runtime-spec/schema/test/features/good/runc.json"),
        ),
        ("manifest-50-layers", manifest_50()),
        ("index-20-platforms", index_20()),
        (
            "image-config-example",
            spec_file("image-spec/schema/test/config/good/07.json"),
        ),
        (
            "oci-layout",
            spec_file("image-spec/schema/test/imagelayout/good/01.json"),
        ),
    ];
    let mut c = Criterion::default().configure_from_args();
    use carrack_spec::{image as ci, runtime as cr};
    use oci_spec::{image as oi, runtime as or};
    bench_doc::<cr::Spec, or::Spec>(&mut c, docs[0].0, &docs[0].1);
    bench_doc::<cr::State, or::State>(&mut c, docs[1].0, &docs[1].1);
    bench_doc::<cr::Features, or::Features>(&mut c, docs[2].0, &docs[2].1);
    bench_doc::<ci::ImageManifest, oi::ImageManifest>(&mut c, docs[3].0, &docs[3].1);
    bench_doc::<ci::ImageIndex, oi::ImageIndex>(&mut c, docs[4].0, &docs[4].1);
    bench_doc::<ci::ImageConfiguration, oi::ImageConfiguration>(&mut c, docs[5].0, &docs[5].1);
    bench_doc::<ci::ImageLayout, oi::OciLayout>(&mut c, docs[6].0, &docs[6].1);
    c.final_summary();

    println!(
        "\n| {:<20} | {:<5} | {:>7} | {:>10} | {:>12} | {:>16} |",
        "document", "op", "bytes", "carrack", "oci-spec", "oci-spec/carrack"
    );
    println!(
        "|{:-<22}|{:-<7}|{:-<9}|{:-<12}|{:-<14}|{:-<18}|",
        "", "", "", "", "", ""
    );
    for (name, bytes) in &docs {
        for op in ["parse", "write"] {
            let (Some(ours), Some(theirs)) = (
                median_ns(name, &format!("{op}/carrack")),
                median_ns(name, &format!("{op}/oci-spec")),
            ) else {
                continue;
            };
            println!(
                "| {:<20} | {op:<5} | {:>7} | {:>7.0} ns | {:>9.0} ns | {:>15.2}x |",
                name,
                bytes.len(),
                ours,
                theirs,
                theirs / ours,
            );
        }
    }
}
