//! Golden tests: each `tests/golden/<name>.config.json` planned, compared byte for byte with
//! `<name>.hcs.json` (the plan) or `<name>.error.txt` (the error). `CARRACK_BLESS=1` rewrites
//! them. The `spec-*` configs are the Windows examples of config-windows.md and config.md, each
//! in a minimal configuration; the `own-*` ones are this crate's.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use carrack_spec::Document;
use carrack_spec::runtime::Spec;
use carrack_windows::{HostFacts, plan};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The host every golden plan is made for: 8 processors, a UtilityVM in the base layer.
fn facts() -> HostFacts {
    let mut f = HostFacts::default();
    f.host_processors = Some(8);
    f.utility_vm_layers = BTreeSet::from([r"C:\Layers\layer-base".to_owned()]);
    f
}

fn render(name: &str, config: &Path) -> (String, String) {
    let bytes = std::fs::read(config).expect("config");
    let spec = Spec::from_slice(&bytes).expect("parses");
    match plan(name, &spec, &facts()) {
        Ok(p) => (
            format!("{name}.hcs.json"),
            serde_json::to_string_pretty(&p).expect("serialises") + "\n",
        ),
        Err(e) => (format!("{name}.error.txt"), format!("error: {e}\n")),
    }
}

#[test]
fn every_config_plans_to_its_golden_file() {
    let bless = std::env::var_os("CARRACK_BLESS").is_some_and(|v| v == "1");
    let mut configs: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("golden dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".config.json"))
        .collect();
    configs.sort();
    assert!(configs.len() >= 14, "only {} golden configs", configs.len());
    let mut failed = Vec::new();
    for config in &configs {
        let file = config.file_name().and_then(|f| f.to_str()).expect("name");
        let name = file.trim_end_matches(".config.json");
        let (out, text) = render(name, config);
        let path = dir().join(&out);
        if bless {
            std::fs::write(&path, &text).expect("bless");
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if want == text => {}
            Ok(want) => failed.push(format!("{out} differs:\n--- want\n{want}--- got\n{text}")),
            Err(e) => failed.push(format!("{out}: {e} (CARRACK_BLESS=1 writes it)")),
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
