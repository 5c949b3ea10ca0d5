//! The `oci-layout` file (image-spec `image-layout.md`).

use std::borrow::Cow;
use std::fmt;

use crate::model::model;

model! {
    /// The `oci-layout` file at the root of an image layout.
    ///
    /// ```
    /// let l = carrack_spec::image::ImageLayout::new();
    /// assert_eq!(serde_json::to_string(&l).unwrap(), r#"{"imageLayoutVersion":"1.0.0"}"#);
    /// assert_eq!(l.image_layout_version, "1.0.0");
    /// ```
    pub struct ImageLayout {
        /// `1.0.0`.
        image_layout_version: req(LayoutVersion) = "imageLayoutVersion",
    }
}

impl ImageLayout {
    /// The current layout version, `1.0.0`.
    pub fn new() -> Self {
        Self {
            image_layout_version: LayoutVersion::CURRENT,
            extra: crate::Extra::new(),
        }
    }
}

impl Default for ImageLayout {
    fn default() -> Self {
        Self::new()
    }
}

/// The image layout version this crate writes and accepts.
pub const LAYOUT_VERSION: &str = "1.0.0";

/// The value of `imageLayoutVersion`: any string, kept as read, without an allocation for the
/// version every layout has ([`LAYOUT_VERSION`]).
///
/// Why its own type rather than a `String`: allocating and freeing that one string is 126 of
/// the 1060 instructions oci-spec takes to parse an `oci-layout` file (callgrind); carrack-spec
/// takes 706 (see its README for the timings).
///
/// ```
/// use carrack_spec::Document;
/// use carrack_spec::image::{ImageLayout, LayoutVersion};
/// let l = ImageLayout::from_slice(br#"{"imageLayoutVersion": "1.0.0"}"#).unwrap();
/// assert_eq!(l.image_layout_version, LayoutVersion::CURRENT);
/// let later = ImageLayout::from_slice(br#"{"imageLayoutVersion": "1.1.0"}"#).unwrap();
/// assert_eq!(later.image_layout_version.as_str(), "1.1.0");
/// assert_ne!(later.image_layout_version, "1.0.0");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LayoutVersion(Cow<'static, str>);

impl LayoutVersion {
    /// `1.0.0`, the version this crate writes.
    pub const CURRENT: Self = Self(Cow::Borrowed(LAYOUT_VERSION));

    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The version as an owned string.
    pub fn into_string(self) -> String {
        self.0.into_owned()
    }
}

impl fmt::Debug for LayoutVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for LayoutVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::ops::Deref for LayoutVersion {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for LayoutVersion {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for LayoutVersion {
    fn from(s: String) -> Self {
        if s == LAYOUT_VERSION {
            Self::CURRENT
        } else {
            Self(Cow::Owned(s))
        }
    }
}

impl From<&str> for LayoutVersion {
    fn from(s: &str) -> Self {
        if s == LAYOUT_VERSION {
            Self::CURRENT
        } else {
            Self(Cow::Owned(s.to_owned()))
        }
    }
}

impl From<Cow<'static, str>> for LayoutVersion {
    fn from(s: Cow<'static, str>) -> Self {
        Self(s)
    }
}

impl From<LayoutVersion> for String {
    fn from(v: LayoutVersion) -> Self {
        v.into_string()
    }
}

impl PartialEq<str> for LayoutVersion {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for LayoutVersion {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for LayoutVersion {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl serde::Serialize for LayoutVersion {
    #[inline]
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for LayoutVersion {
    #[inline]
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = LayoutVersion;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a version string")
            }
            #[inline]
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<LayoutVersion, E> {
                Ok(LayoutVersion::from(v))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<LayoutVersion, E> {
                Ok(LayoutVersion::from(v))
            }
            #[inline]
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<LayoutVersion, E> {
                if v == LAYOUT_VERSION.as_bytes() {
                    return Ok(LayoutVersion::CURRENT);
                }
                match std::str::from_utf8(v) {
                    Ok(s) => Ok(LayoutVersion::from(s)),
                    Err(_) => Err(E::invalid_value(serde::de::Unexpected::Bytes(v), &self)),
                }
            }
        }
        // As bytes: serde_json then checks no UTF-8 for the version every layout has.
        d.deserialize_bytes(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Document;

    #[test]
    fn any_version_round_trips_and_the_current_one_is_not_allocated() {
        for text in [
            r#"{"imageLayoutVersion":"1.0.0"}"#,
            r#"{"imageLayoutVersion":"2.0.0-dev","x":1}"#,
            r#"{"imageLayoutVersion":"\u0031.0.0"}"#,
        ] {
            let l = ImageLayout::from_slice(text.as_bytes()).expect(text);
            let back: serde_json::Value = serde_json::to_value(&l).expect("write");
            let original: serde_json::Value = serde_json::from_str(text).expect("json");
            assert_eq!(back, original, "{text}");
        }
        let l = ImageLayout::from_slice(br#"{"imageLayoutVersion":"1.0.0"}"#).expect("parse");
        assert!(matches!(l.image_layout_version.0, Cow::Borrowed(_)));
        // An escaped spelling is the same string, and so the same version.
        let l = ImageLayout::from_slice(br#"{"imageLayoutVersion":"\u0031.0.0"}"#).expect("p");
        assert_eq!(l.image_layout_version, LayoutVersion::CURRENT);
        assert!(ImageLayout::from_slice(br#"{"imageLayoutVersion":1}"#).is_err());
        assert!(ImageLayout::from_slice(br#"{"imageLayoutVersion":[49]}"#).is_err());
        assert!(ImageLayout::from_slice(b"{\"imageLayoutVersion\":\"\xff\"}").is_err());
        assert!(ImageLayout::from_slice(br#"{"imageLayoutVersion":"\ud800"}"#).is_err());
        assert!(ImageLayout::from_slice(b"{\"\xff\":1,\"imageLayoutVersion\":\"1.0.0\"}").is_err());
        assert!(ImageLayout::from_slice(br#"{"imageLayoutVersion":null}"#).is_err());
        assert!(ImageLayout::from_slice(br#"{}"#).is_err());
    }
}
