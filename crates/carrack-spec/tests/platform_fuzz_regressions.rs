//! Inputs the `parse_platform` fuzz target found: each parses and prints back to itself.

use carrack_spec::image::PlatformMatcher;

#[test]
fn a_variant_that_looks_like_a_version_round_trips() {
    for text in ["linux/arm64/0008.0.0"] {
        let Ok(m) = PlatformMatcher::parse(text) else {
            continue;
        };
        let again = PlatformMatcher::parse(&m.to_string()).expect("a printed matcher parses");
        assert_eq!(again, m, "{text:?} printed as {m}");
    }
}

#[test]
fn every_trailing_zero_of_a_variant_goes() {
    let m = PlatformMatcher::parse("linux/arm64/8.0.0").expect("parses");
    assert_eq!(m.to_string(), "linux/arm64");
}
