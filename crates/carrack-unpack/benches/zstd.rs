//! `cargo bench -p carrack-unpack --bench zstd -- LAYER.tar.zst`: decodes the file through the
//! C library (`zstd` crate) and through carrack's pure-Rust reader (`ruzstd`, `src/zstd_pure.rs`,
//! the code non-Linux targets use), alternating, three times each, and prints each decoder's
//! best throughput in MB/s of uncompressed output (MB = 10^6 bytes).

#![allow(missing_docs)]

#[cfg(target_os = "linux")]
#[path = "../src/zstd_pure.rs"]
mod zstd_pure;

#[cfg(target_os = "linux")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use std::io::{BufReader, Read};
    use std::time::{Duration, Instant};

    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .ok_or("usage: cargo bench -p carrack-unpack --bench zstd -- LAYER.tar.zst")?;
    let compressed = std::fs::read(&path)?;
    // Both read the same in-memory bytes through the same buffer size the unpack pipeline uses.
    let drain = |mut r: Box<dyn Read + '_>| -> std::io::Result<u64> {
        std::io::copy(&mut r, &mut std::io::sink())
    };
    let (mut native, mut pure) = (Duration::MAX, Duration::MAX);
    let (mut n_native, mut n_pure) = (0, 0);
    for _ in 0..3 {
        let t = Instant::now();
        n_native = drain(Box::new(zstd::stream::read::Decoder::with_buffer(
            BufReader::with_capacity(256 * 1024, &compressed[..]),
        )?))?;
        native = native.min(t.elapsed());
        let t = Instant::now();
        n_pure = drain(Box::new(zstd_pure::Frames::new(BufReader::with_capacity(
            256 * 1024,
            &compressed[..],
        ))))?;
        pure = pure.min(t.elapsed());
    }
    if n_native != n_pure {
        return Err(format!("the decoders disagree: {n_native} and {n_pure} bytes").into());
    }
    let mbps = |d: Duration| n_native as f64 / d.as_secs_f64() / 1e6;
    println!(
        "{path}: {} bytes -> {n_native} bytes (best of 3)\n  zstd (libzstd)     {:>8.1?}  {:>7.0} MB/s\n  ruzstd (pure Rust) {:>8.1?}  {:>7.0} MB/s\n  libzstd is {:.1}x as fast",
        compressed.len(),
        native,
        mbps(native),
        pure,
        mbps(pure),
        pure.as_secs_f64() / native.as_secs_f64()
    );
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn main() {
    println!("the comparison needs both decoders, and libzstd is linked on Linux only");
}
