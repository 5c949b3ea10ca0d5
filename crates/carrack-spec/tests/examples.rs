//! The crate's examples, run as a user would run them. `cargo test` builds examples beside the
//! tests; run this file through a plain `cargo test -p carrack-spec`, which does.

use std::path::PathBuf;
use std::process::{Command, Output};

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is not built: run `cargo test -p carrack-spec`, which builds the examples",
        path.display()
    );
    path
}

fn text(o: &Output) -> String {
    format!(
        "{:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn validate_config_reports_findings_and_exits_1_on_a_must() {
    let o = Command::new(example("validate_config"))
        .output()
        .expect("run");
    assert!(o.status.success(), "runc's default is valid: {}", text(&o));
    assert!(text(&o).contains("valid: true"), "{}", text(&o));
    let bad = std::env::temp_dir().join(format!("carrack-example-{}.json", std::process::id()));
    std::fs::write(&bad, r#"{"ociVersion":"not semver"}"#).expect("write");
    let o = Command::new(example("validate_config"))
        .arg(&bad)
        .output()
        .expect("run");
    let _ = std::fs::remove_file(&bad);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("MUST"), "{}", text(&o));
}

#[test]
fn build_image_prints_documents_that_parse_and_validate() {
    let o = Command::new(example("build_image")).output().expect("run");
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("\"schemaVersion\""), "{}", text(&o));
}
