//! `carrack validate` as a user runs it: exit codes, messages naming the file and the rule.

use std::path::PathBuf;
use std::process::{Command, Output};

fn carrack(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_carrack"))
        .args(args)
        .output()
        .expect("run carrack")
}

fn specs() -> PathBuf {
    std::env::var_os("CARRACK_SPECS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/specs"))
}

fn tmp(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("carrack-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write");
    p
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn no_argument_checks_embedded_documents() {
    let o = carrack(&["validate"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains("runc spec default")
            && out.contains("image index")
            && out.contains("0 invalid"),
        "{out}"
    );
}

#[test]
fn embedded_documents_also_pass_the_official_schemas() {
    let o = carrack(&["validate", "--schemas", specs().to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn a_broken_must_rule_exits_1_and_names_file_pointer_and_rule() {
    let p = tmp(
        "config.json",
        r#"{"ociVersion":"1.3.0","root":{"path":"rootfs"},"process":{"cwd":"relative","args":["sh"]},"linux":{}}"#,
    );
    let o = carrack(&["validate", p.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("config.json: MUST /process/cwd"), "{out}");
    assert!(out.contains("config.md § Process"), "{out}");
}

#[test]
fn unparsable_documents_exit_1_with_the_json_path() {
    let p = tmp(
        "m.json",
        r#"{"schemaVersion":2,"config":{"mediaType":"a/b","size":"1","digest":"sha256:x"},"layers":[]}"#,
    );
    let o = carrack(&["validate", "--kind", "manifest", p.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("/config/size"), "{}", stdout(&o));
}

#[test]
fn ambiguous_documents_are_refused_unless_a_kind_is_given() {
    let p = tmp(
        "amb.json",
        r#"{"schemaVersion":2,"manifests":[],"layers":[]}"#,
    );
    let o = carrack(&["validate", p.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("CVE-2021-41190"), "{}", stdout(&o));
    let o = carrack(&["validate", "--kind", "index", p.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("MUST /layers"), "{}", stdout(&o));
}

#[test]
fn json_output_is_data() {
    let p = tmp(
        "state.json",
        r#"{"ociVersion":"1.3.0","id":"x","status":"running","bundle":"rel"}"#,
    );
    let o = carrack(&["validate", "--format", "json", p.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON output");
    assert_eq!(v[0]["kind"], "state");
    assert_eq!(v[0]["valid"], false);
    let pointers: Vec<&str> = v[0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["pointer"].as_str())
        .collect();
    assert!(
        pointers.contains(&"/bundle") && pointers.contains(&""),
        "{pointers:?}"
    );
    assert_eq!(v[0]["findings"][0]["level"], "MUST");
    assert_eq!(v[0]["findings"][0]["rule"]["chapter"], "runtime.md");
}

#[test]
fn usage_and_io_errors_exit_2() {
    assert_eq!(
        carrack(&["validate", "--kind", "bogus", "x"]).status.code(),
        Some(2)
    );
    assert_eq!(
        carrack(&["validate", "/nonexistent/config.json"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        carrack(&["validate", "--schemas", "/nonexistent"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn good_vectors_pass_and_bad_vectors_fail_through_the_cli() {
    let good = specs().join("runtime-spec/schema/test/config/good/spec-example.json");
    assert_eq!(
        carrack(&["validate", good.to_str().expect("utf-8")])
            .status
            .code(),
        Some(0)
    );
    let bad = specs().join("runtime-spec/schema/test/config/bad/linux-rdma.json");
    let schemas = specs();
    let o = carrack(&[
        "validate",
        "--kind",
        "config",
        "--schemas",
        schemas.to_str().expect("utf-8"),
        bad.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
}
