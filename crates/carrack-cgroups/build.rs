//! Root-only tests run where the tests are built as root (CI, the project's machines) and are
//! reported as ignored otherwise: `cfg(carrack_root)` is set when this build runs as root.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(carrack_root)");
    println!("cargo::rerun-if-changed=build.rs");
    let root = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            == Some("0")
    });
    if root {
        println!("cargo::rustc-cfg=carrack_root");
    }
}
