#![no_main]

use carrack_spec::image::Digest;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(d) = text.parse::<Digest>() {
        // A valid digest can always be used as a path component pair.
        assert!(!d.algorithm().is_empty() && !d.encoded().is_empty());
        for part in [d.algorithm(), d.encoded()] {
            assert!(!part.contains('/') && part != "." && part != ".." && !part.contains('\0'));
        }
        assert_eq!(d.to_string(), text);
    }
});
