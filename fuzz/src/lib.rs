//! The property every document fuzz target checks.

use std::fmt::Debug;

use carrack_spec::Document;

/// Parses `data` as `T`. When it parses: validation does not panic, writing it out and parsing
/// that again gives an equal value, and writing is stable (same bytes the second time).
pub fn round_trip<T: Document + PartialEq + Debug>(data: &[u8]) {
    let Ok(doc) = T::from_slice(data) else { return };
    let _ = doc.validate();
    let bytes = doc.to_vec();
    let again = match T::from_slice(&bytes) {
        Ok(d) => d,
        Err(e) => panic!("re-parse of our own output failed: {e}\n{}", String::from_utf8_lossy(&bytes)),
    };
    assert_eq!(again, doc, "round trip changed the value");
    assert_eq!(again.to_vec(), bytes, "serialisation is not stable");
}
