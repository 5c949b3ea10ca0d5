//! carrack-spec beside the `oci-spec` crate, parsing and writing the same bytes, for every
//! document both crates model: runtime-spec's example config, state and runc's features; a
//! 50-layer manifest, a 20-platform index, image-spec's example image configuration and an
//! `oci-layout` file.
//!
//! `cargo bench -p carrack-benches --bench spec_parse` prints criterion's figures and then a
//! table with the ratio oci-spec / carrack (above 1 means carrack is faster). The table comes
//! from a paired measurement: both crates timed in alternating short batches, the ratio taken
//! per round and its median reported, so that a busy machine slows both alike (criterion's
//! separate runs drift by ±20% on a shared VM). Before timing anything it checks that carrack
//! writes back the JSON value it read (lossless). Criterion's options work as usual, e.g.
//! `-- --warm-up-time 1 --measurement-time 3`; `CARRACK_BENCH=paired` skips criterion, `CARRACK_BENCH=criterion` the paired table, and
//! `CARRACK_BENCH_ONLY=<document>` keeps one document (for profiling).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

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

/// One line of the summary table: per-call medians and the median of per-round ratios.
struct Row {
    document: &'static str,
    op: &'static str,
    bytes: usize,
    carrack_ns: f64,
    oci_spec_ns: f64,
    ratio: f64,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Times `ours` and `theirs` in alternating batches (the order swapped every round), so that the
/// load of a shared machine weighs on both alike; gives the median time per call of each and the
/// median of the per-round ratios theirs / ours.
fn paired(mut ours: impl FnMut(), mut theirs: impl FnMut()) -> (f64, f64, f64) {
    const ROUNDS: usize = 301;
    const BATCH: Duration = Duration::from_micros(300);
    let batch = |f: &mut dyn FnMut(), n: u32| {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        t.elapsed().as_secs_f64() * 1e9 / f64::from(n)
    };
    // Calibrate: calls per batch so that one batch of `ours` takes about BATCH.
    let mut n = 1u32;
    while n < 1 << 20 {
        let t = Instant::now();
        for _ in 0..n {
            ours();
        }
        if t.elapsed() >= BATCH {
            break;
        }
        n *= 2;
    }
    for _ in 0..20 {
        batch(&mut ours, n);
        batch(&mut theirs, n);
    }
    let (mut a, mut b, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let (x, y) = if round % 2 == 0 {
            let x = batch(&mut ours, n);
            (x, batch(&mut theirs, n))
        } else {
            let y = batch(&mut theirs, n);
            (batch(&mut ours, n), y)
        };
        a.push(x);
        b.push(y);
        r.push(y / x);
    }
    (median(&mut a), median(&mut b), median(&mut r))
}

fn bench_doc<C, O>(c: &mut Criterion, name: &'static str, bytes: &[u8], rows: &mut Vec<Row>)
where
    C: serde::de::DeserializeOwned + serde::Serialize,
    O: serde::de::DeserializeOwned + serde::Serialize,
{
    let ours: C = serde_json::from_slice(bytes).expect("carrack parses");
    let back: Value = serde_json::to_value(&ours).expect("carrack writes");
    let original: Value = serde_json::from_slice(bytes).expect("JSON");
    assert_eq!(back, original, "{name}: carrack's round trip is lossless");
    let theirs: O = serde_json::from_slice(bytes).expect("oci-spec parses");

    if std::env::var("CARRACK_BENCH_ONLY").is_ok_and(|only| only != name) {
        return;
    }
    let mode = std::env::var("CARRACK_BENCH").unwrap_or_default();
    if mode != "paired" {
        let mut g = c.benchmark_group(name);
        g.bench_function("parse/carrack", |b| {
            b.iter(|| serde_json::from_slice::<C>(black_box(bytes)).expect("carrack parses"))
        });
        g.bench_function("parse/oci-spec", |b| {
            b.iter(|| serde_json::from_slice::<O>(black_box(bytes)).expect("oci-spec parses"))
        });
        g.bench_function("write/carrack", |b| {
            b.iter(|| serde_json::to_vec(black_box(&ours)).expect("write"))
        });
        g.bench_function("write/oci-spec", |b| {
            b.iter(|| serde_json::to_vec(black_box(&theirs)).expect("write"))
        });
        g.finish();
    }

    let (c_ns, o_ns, ratio) = paired(
        || {
            drop(black_box(
                serde_json::from_slice::<C>(black_box(bytes)).expect("parses"),
            ))
        },
        || {
            drop(black_box(
                serde_json::from_slice::<O>(black_box(bytes)).expect("parses"),
            ))
        },
    );
    rows.push(Row {
        document: name,
        op: "parse",
        bytes: bytes.len(),
        carrack_ns: c_ns,
        oci_spec_ns: o_ns,
        ratio,
    });
    let (c_ns, o_ns, ratio) = paired(
        || {
            drop(black_box(
                serde_json::to_vec(black_box(&ours)).expect("writes"),
            ))
        },
        || {
            drop(black_box(
                serde_json::to_vec(black_box(&theirs)).expect("writes"),
            ))
        },
    );
    rows.push(Row {
        document: name,
        op: "write",
        bytes: bytes.len(),
        carrack_ns: c_ns,
        oci_spec_ns: o_ns,
        ratio,
    });
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
    let mut rows = Vec::new();
    use carrack_spec::{image as ci, runtime as cr};
    use oci_spec::{image as oi, runtime as or};
    let r = &mut rows;
    bench_doc::<cr::Spec, or::Spec>(&mut c, docs[0].0, &docs[0].1, r);
    bench_doc::<cr::State, or::State>(&mut c, docs[1].0, &docs[1].1, r);
    bench_doc::<cr::Features, or::Features>(&mut c, docs[2].0, &docs[2].1, r);
    bench_doc::<ci::ImageManifest, oi::ImageManifest>(&mut c, docs[3].0, &docs[3].1, r);
    bench_doc::<ci::ImageIndex, oi::ImageIndex>(&mut c, docs[4].0, &docs[4].1, r);
    bench_doc::<ci::ImageConfiguration, oi::ImageConfiguration>(&mut c, docs[5].0, &docs[5].1, r);
    bench_doc::<ci::ImageLayout, oi::OciLayout>(&mut c, docs[6].0, &docs[6].1, r);
    c.final_summary();

    println!("\nPaired medians (alternating batches; ratio above 1: carrack is faster):\n");
    println!(
        "| {:<20} | {:<5} | {:>6} | {:>10} | {:>10} | {:>16} |",
        "document", "op", "bytes", "carrack", "oci-spec", "oci-spec/carrack"
    );
    println!(
        "|{:-<22}|{:-<7}|{:-<8}|{:-<12}|{:-<12}|{:-<18}|",
        "", "", "", "", "", ""
    );
    for row in &rows {
        println!(
            "| {:<20} | {:<5} | {:>6} | {:>7.0} ns | {:>7.0} ns | {:>15.2}x |",
            row.document, row.op, row.bytes, row.carrack_ns, row.oci_spec_ns, row.ratio
        );
    }
}
