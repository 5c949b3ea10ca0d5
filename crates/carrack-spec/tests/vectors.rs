//! The official test vectors: every good one parses, validates without a MUST finding and
//! round-trips to the same JSON value; every bad one is rejected by parsing, the schema or
//! validation.

mod common;

use common::{parse_validate, vectors};

/// The first JSON document of a file. One upstream vector (image-spec manifest good/06) was cut
/// out of Go source with the next case's text still attached; the document under test is the
/// first value.
fn first_document(bytes: &[u8]) -> &[u8] {
    let mut stream =
        serde_json::Deserializer::from_slice(bytes).into_iter::<serde::de::IgnoredAny>();
    match stream.next() {
        Some(Ok(_)) => &bytes[..stream.byte_offset()],
        _ => bytes,
    }
}

#[test]
fn good_vectors_parse_validate_and_round_trip() {
    let mut checked = 0;
    for v in vectors().into_iter().filter(|v| v.good) {
        let bytes = std::fs::read(&v.path).expect("read vector");
        let bytes = first_document(&bytes);
        let (report, value) =
            parse_validate(v.kind, bytes).unwrap_or_else(|e| panic!("{}: {e}", v.path.display()));
        assert!(
            report.is_valid(),
            "{}: MUST findings:\n{report}",
            v.path.display()
        );
        let original: serde_json::Value = serde_json::from_slice(bytes).expect("vector is JSON");
        assert_eq!(
            value,
            original,
            "{}: round trip changed the document",
            v.path.display()
        );
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} good vectors found");
}

/// Bad vectors that only upstream's Go validator code refuses: neither a sentence of the spec
/// with a MUST nor the schema does, so carrack accepts them.
#[cfg(feature = "schema")]
const BAD_ONLY_BY_UPSTREAM_CODE: &[(&str, &str)] = &[(
    "image-spec/schema/test/config/bad/09.json",
    "an Env entry without '=': config.md says \"Entries are in the format of VARNAME=VARVALUE.\" \
     with no MUST, and the schema only wants strings",
)];

#[cfg(feature = "schema")]
#[test]
fn bad_vectors_are_rejected() {
    use carrack_spec::schema::SchemaSet;
    let runtime = SchemaSet::from_dir(common::specs_dir().join("runtime-spec/schema"))
        .expect("runtime schemas");
    let image =
        SchemaSet::from_dir(common::specs_dir().join("image-spec/schema")).expect("image schemas");
    let mut by = [0usize; 3];
    for v in vectors().into_iter().filter(|v| !v.good) {
        let bytes = std::fs::read(&v.path).expect("read vector");
        let rejected_by = match parse_validate(v.kind, &bytes) {
            Err(_) => 0,
            Ok((report, _)) if !report.is_valid() => 2,
            Ok(_)
                if BAD_ONLY_BY_UPSTREAM_CODE
                    .iter()
                    .any(|(p, _)| v.path.ends_with(p)) =>
            {
                eprintln!("accepted on purpose: {}", v.path.display());
                continue;
            }
            Ok(_) => {
                let set = if v.path.to_string_lossy().contains("runtime-spec") {
                    &runtime
                } else {
                    &image
                };
                let validator = set.validator_for(v.kind).expect("compile schema");
                let doc: serde_json::Value =
                    serde_json::from_slice(&bytes).expect("parsed, so JSON");
                let violations = validator.check(&doc);
                assert!(
                    !violations.is_empty(),
                    "{} ({}) was accepted by parsing, validation and schema",
                    v.path.display(),
                    v.why
                );
                eprintln!(
                    "only the schema rejects {}: {}",
                    v.path.display(),
                    violations[0].message
                );
                1
            }
        };
        by[rejected_by] += 1;
    }
    eprintln!(
        "bad vectors rejected by parsing: {}, schema: {}, validation: {}",
        by[0], by[1], by[2]
    );
}
