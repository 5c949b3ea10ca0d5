//! Every rule carrack checks quotes its spec: the quoted sentence must be in the named section of
//! the named chapter of the specs checkout (`../shared/specs` or `$CARRACK_SPECS_DIR`), after
//! `normalize_prose` of both. A rule whose sentence is not there fails here.

mod common;

use carrack_spec::{Rule, SpecName};

fn chapter(rule: &Rule) -> String {
    let dir = match rule.spec {
        SpecName::Runtime => "runtime-spec",
        SpecName::Image => "image-spec",
    };
    let path = common::specs_dir().join(dir).join(rule.chapter);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Checks `rule` and its basis; the failures, as lines.
fn check(rule: &Rule) -> Vec<String> {
    let mut failures = Vec::new();
    for r in std::iter::once(rule).chain(rule.basis) {
        if let Err(e) = r.check_quote(&chapter(r)) {
            failures.push(format!("{e} (rule {rule})"));
        }
    }
    failures
}

#[test]
fn every_quoted_sentence_is_in_its_chapter() {
    let mut failures = Vec::new();
    let mut n = 0;
    for rule in Rule::all() {
        failures.extend(check(rule));
        n += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(n > 100, "only {n} rules");
    eprintln!("{n} quoted rules");
}

#[test]
fn every_rule_quotes_a_keyword_or_rests_on_one() {
    const KEYWORDS: [&str; 5] = ["MUST", "REQUIRED", "SHALL", "SHOULD", "RECOMMENDED"];
    for rule in Rule::all() {
        let quoted = |q: &str| KEYWORDS.iter().any(|k| q.contains(k));
        assert!(
            quoted(rule.quote) || rule.basis.is_some_and(|b| quoted(b.quote)),
            "{rule}: no RFC 2119 keyword in the quote or its basis"
        );
    }
}

#[test]
fn rules_are_distinct() {
    let all: Vec<&Rule> = Rule::all().collect();
    for (i, a) in all.iter().enumerate() {
        for b in &all[..i] {
            assert!(a != b, "{a} is listed twice");
        }
    }
}

#[test]
fn a_misquote_is_caught() {
    let mut rule = *Rule::all().next().expect("a rule");
    let text = chapter(&rule);
    assert!(rule.check_quote(&text).is_ok());
    rule.quote = "Runtimes MUST accept every value.";
    assert!(rule.check_quote(&text).is_err());
    rule.section = "No Such Section";
    assert!(rule.check_quote(&text).is_err());
}

#[test]
fn findings_show_their_quote() {
    use carrack_spec::Document;
    use carrack_spec::runtime::Spec;
    let spec = Spec::from_slice(br#"{"ociVersion":"1.3.0","root":{"path":"rootfs"},"linux":{"maskedPaths":["proc/kcore"]}}"#)
        .expect("parses");
    let report = spec.validate();
    let f = report.musts().next().expect("a MUST finding");
    let text = f.to_string();
    assert!(
        text.contains(
            r#"[runtime-spec config-linux.md § Masked Paths: "The values MUST be absolute paths in the container namespace."]"#
        ),
        "{text}"
    );
    let json = serde_json::to_value(f).expect("JSON");
    assert_eq!(
        json["rule"]["quote"],
        "The values MUST be absolute paths in the container namespace."
    );
    assert_eq!(json["rule"]["section"], "Masked Paths");
}

#[cfg(feature = "schema")]
#[test]
fn every_disagreement_quotes_the_prose() {
    use carrack_spec::schema::Disagreement;
    let mut failures = Vec::new();
    for d in Disagreement::all() {
        failures.extend(check(&d.prose));
        if let Some(level) = d.prose_level {
            assert!(
                d.prose.quote.contains(&level.to_string()),
                "{}: the prose level {level} is not in the quote",
                d.prose
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
