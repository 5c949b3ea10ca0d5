//! The corpus of real callers' documents (tests/data/callers): every config.json docker,
//! podman and containerd gave carrack at create, and every process.json they gave exec
//! --process, while driving the options of docker.rs, podman.rs and containerd.rs (saved by
//! the saving runtime of callers/mod.rs: `CARRACK_CALLERS_SAVE=DIR`). Each must pass
//! `carrack validate` with no MUST finding. A process.json is checked as the `process` of its
//! caller's exec container's config.json, as the runtime sees it.
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/callers")
}

/// `carrack validate --kind config --format json` on `path`: the MUST findings, or why the
/// document is not valid.
fn must_findings(path: &Path) -> Vec<String> {
    let o = Command::new(env!("CARGO_BIN_EXE_carrack"))
        .args(["validate", "--kind", "config", "--format", "json"])
        .arg(path)
        .output()
        .expect("carrack validate");
    let out: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "validate {}: {e}: {}",
            path.display(),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    let mut bad = Vec::new();
    for doc in out.as_array().into_iter().flatten() {
        for f in doc["findings"].as_array().into_iter().flatten() {
            if f["level"] == "MUST" {
                bad.push(f.to_string());
            }
        }
        if doc["valid"] != true {
            bad.push(format!("not valid: {doc}"));
        }
    }
    if !o.status.success() && bad.is_empty() {
        bad.push(format!(
            "exit status {}: {}",
            o.status,
            String::from_utf8_lossy(&o.stdout)
        ));
    }
    bad
}

#[test]
fn callers_documents_have_no_must_finding() {
    let mut names: Vec<String> = std::fs::read_dir(corpus())
        .expect("tests/data/callers")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    let tmp = tempfile::tempdir().expect("tmp");
    let mut failures = Vec::new();
    let mut seen = std::collections::BTreeMap::<(&str, &str), usize>::new();
    for name in &names {
        let caller = ["docker", "podman", "containerd"]
            .into_iter()
            .find(|c| name.starts_with(&format!("{c}-")))
            .unwrap_or_else(|| panic!("{name}: not <caller>-<option>-<kind>.json"));
        let kind = if name.contains("-process") {
            "process"
        } else if name.contains("-config") {
            "config"
        } else {
            panic!("{name}: neither a config nor a process")
        };
        *seen.entry((caller, kind)).or_default() += 1;
        let path = corpus().join(name);
        let checked = if kind == "config" {
            path
        } else {
            // The exec'd process in the config of the container it ran in.
            let base = corpus().join(format!("{caller}-exec-config.json"));
            let mut config: Value =
                serde_json::from_slice(&std::fs::read(&base).expect("exec config")).expect("json");
            config["process"] =
                serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
            let p = tmp.path().join(name);
            std::fs::write(&p, serde_json::to_vec(&config).expect("json")).expect("write");
            p
        };
        let bad = must_findings(&checked);
        if !bad.is_empty() {
            failures.push(format!("{name}:\n  {}", bad.join("\n  ")));
        }
    }
    for caller in ["docker", "podman", "containerd"] {
        for kind in ["config", "process"] {
            assert!(
                seen.get(&(caller, kind)).is_some_and(|n| *n > 0),
                "the corpus has no {caller} {kind} document: {seen:?}"
            );
        }
    }
    assert!(
        failures.is_empty(),
        "MUST findings:\n{}",
        failures.join("\n")
    );
}
