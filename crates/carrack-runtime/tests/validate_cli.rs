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
    assert!(
        out.contains("This value MUST be an absolute path."),
        "{out}"
    );
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
    // As an index it breaks no MUST of image-index.md: without mediaType (which SHOULD be
    // used) a `layers` member makes it read as a manifest too, and the finding says so.
    let o = carrack(&["validate", "--kind", "index", p.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("SHOULD /layers"), "{out}");
    assert!(out.contains("CVE-2021-41190"), "{out}");
    assert!(
        out.contains("This property SHOULD be used and remain compatible"),
        "{out}"
    );
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
    assert_eq!(
        v[0]["findings"][0]["rule"]["quote"],
        "bundle (string, REQUIRED) is the absolute path to the container's bundle directory."
    );
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

/// A podman `--privileged` config: device modes carry the file type bits of `st_mode`, and a
/// FIFO has major and minor numbers; docker 20.10's `blockIO.weight` is 0.
const ENGINES_CONFIG: &str = r#"{"ociVersion":"1.0.2-dev","root":{"path":"/var/lib/containers/storage/overlay/x/merged"},
  "process":{"cwd":"/","args":["sh"],"user":{"uid":0,"gid":0},
    "capabilities":{"bounding":["CAP_CHOWN","CAP_FROM_2030"]}},
  "linux":{"namespaces":[{"type":"pid"},{"type":"mount"}],
    "devices":[{"path":"/dev/null","type":"c","major":1,"minor":3,"fileMode":8630,"uid":0,"gid":0},
               {"path":"/dev/sda","type":"b","major":8,"minor":0,"fileMode":25008,"uid":0,"gid":6},
               {"path":"/dev/initctl","type":"p","major":0,"minor":0,"fileMode":4480}],
    "resources":{"blockIO":{"weight":0}}}}"#;

#[test]
fn engines_configs_are_valid_and_schema_disagreements_are_explained() {
    let p = tmp("config.json", ENGINES_CONFIG);
    let o = carrack(&["validate", p.to_str().expect("utf-8")]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(!out.contains("MUST /"), "{out}");
    // The unknown capability: a warning, as config.md asks.
    assert!(
        out.contains("SHOULD /process/capabilities/bounding/1"),
        "{out}"
    );
    // The schema caps fileMode at 0777; the prose does not, and the output says so.
    for i in 0..3 {
        assert!(
            out.contains(&format!("SCHEMA /linux/devices/{i}/fileMode")),
            "{out}"
        );
    }
    assert!(out.contains("schema and prose disagree"), "{out}");
    assert!(
        out.contains("fileMode (uint32, OPTIONAL) - file mode for the device."),
        "{out}"
    );
    assert!(!out.contains("blockIO"), "{out}");

    let o = carrack(&["validate", "--format", "json", p.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON output");
    assert_eq!(v[0]["valid"], true);
    let schema = v[0]["schema"].as_array().expect("schema findings");
    assert_eq!(schema.len(), 3);
    assert_eq!(schema[0]["pointer"], "/linux/devices/0/fileMode");
    assert_eq!(
        schema[0]["disagreement"]["prose"]["chapter"],
        "config-linux.md"
    );
    assert!(schema[0]["disagreement"]["prose_level"].is_null());
}

#[test]
fn the_official_schemas_are_checked_by_default() {
    // No prose rule constrains imageLayoutVersion; the schema wants "1.0.0".
    let p = tmp("oci-layout", r#"{"imageLayoutVersion":"2.0.0"}"#);
    let o = carrack(&["validate", p.to_str().expect("utf-8")]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("SCHEMA /imageLayoutVersion"), "{out}");
    let o = carrack(&["validate", "--no-schemas", p.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // --schemas DIR uses those files instead, with the same verdict.
    let o = carrack(&[
        "validate",
        "--schemas",
        specs().to_str().expect("utf-8"),
        p.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
}

#[test]
fn a_manifest_without_layers_reports_schema_and_prose_and_their_disagreement() {
    let p = tmp(
        "manifest.json",
        r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
            "config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,
              "digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
            "layers":[]}"#,
    );
    let o = carrack(&["validate", p.to_str().expect("utf-8")]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("SHOULD /layers"), "{out}");
    assert!(out.contains("SCHEMA /layers"), "{out}");
    assert!(
        out.contains("the schema requires at least one layer; the prose only says SHOULD"),
        "{out}"
    );
    assert!(
        out.contains("For portability, layers SHOULD have at least one entry."),
        "{out}"
    );
}
