//! Links the `carrack` binary as a position-dependent executable on Linux. Every container
//! start execs it, and a PIE of this size carries ~50 000 relative relocations that the loader
//! must apply (reading ~1 MB of .rela.dyn and dirtying ~400 KB of .data.rel.ro) before main:
//! resolved at link time instead, the runtime starts faster in less memory.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
