//! Validate a `config.json` (or runc's default when no path is given) and print every finding.
//!
//! `cargo run -p carrack-spec --example validate_config -- path/to/config.json`

use carrack_spec::Document;
use carrack_spec::runtime::Spec;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let spec = match std::env::args_os().nth(1) {
        Some(path) => {
            let bytes = std::fs::read(&path)?;
            Spec::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.to_string_lossy()))?
        }
        None => Spec::default_linux(),
    };
    let report = spec.validate();
    for finding in &report {
        println!("{finding}");
    }
    println!("{} finding(s); valid: {}", report.len(), report.is_valid());
    if !report.is_valid() {
        std::process::exit(1);
    }
    Ok(())
}
