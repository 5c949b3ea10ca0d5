//! Every case quotes its spec: the sentence must be in the named section of the named chapter
//! of the specs checkout (`../shared/specs` beside the workspace, or `$CARRACK_SPECS_DIR`), and
//! every case id is unique.
#![cfg(target_os = "linux")]

use std::collections::BTreeSet;
use std::path::PathBuf;

use carrack_spec::SpecName;

fn specs_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARRACK_SPECS_DIR") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/specs")
}

#[test]
fn every_case_quotes_its_chapter_and_has_its_own_id() {
    let mut failures = Vec::new();
    let mut ids = BTreeSet::new();
    let cases = carrack_conformance::runtime::cases();
    for case in &cases {
        if !ids.insert(case.id) {
            failures.push(format!("{}: id used twice", case.id));
        }
        let dir = match case.rule.spec {
            SpecName::Runtime => "runtime-spec",
            SpecName::Image => "image-spec",
        };
        let path = specs_dir().join(dir).join(case.rule.chapter);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(e) = case.rule.check_quote(&text) {
            failures.push(format!("{}: {e}", case.id));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(cases.len() >= 17, "{} cases", cases.len());
}
