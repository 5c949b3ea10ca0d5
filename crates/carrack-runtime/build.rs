//! Links the `carrack` binary as a position-dependent executable on Linux. Every container
//! start execs it, and a PIE of this size carries ~50 000 relative relocations that the loader
//! must apply (reading ~1 MB of .rela.dyn and dirtying ~400 KB of .data.rel.ro) before main:
//! resolved at link time instead, the runtime starts faster in less memory.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    // A static build (crt-static) picks its own relocation model (see scripts/build-dist).
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let static_crt = features.split(',').any(|f| f == "crt-static");
    if os == "linux" && env == "gnu" && !static_crt {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
