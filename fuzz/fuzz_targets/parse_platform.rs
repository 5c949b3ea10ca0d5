#![no_main]

// Arbitrary text as a `--platform` value. Parsing never panics; what parses prints in a form
// that parses back to the same matcher, and ranking and selecting with it never panic.

use carrack_spec::image::{Arch, Os, Platform, PlatformMatcher};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(m) = PlatformMatcher::parse(text) else { return };
    let again = PlatformMatcher::parse(&m.to_string()).expect("a printed matcher parses");
    assert_eq!(again, m, "{text:?} printed as {m}");
    // The text as a candidate's platform too: os/arch/variant taken verbatim.
    let mut parts = text.split('/');
    let mut p = Platform::new(
        Arch::from(parts.next().unwrap_or_default()),
        Os::from(parts.next().unwrap_or_default()),
    );
    p.variant = parts.next().map(str::to_owned);
    let _ = m.rank(&p);
    let _ = m.select(&[]);
});
