//! Container ids: what runc accepts (`[A-Za-z0-9_+.-]+`, not `.` or `..`, at most 1024 bytes),
//! so an id can always name a directory under the state root and nothing else.

use std::fmt;

use crate::error::Error;

/// A validated container id.
///
/// ```
/// use carrack_platform::ContainerId;
/// assert!(ContainerId::new("web-1.prod_a+b").is_ok());
/// assert!(ContainerId::new("../etc").is_err());
/// assert!(ContainerId::new("..").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContainerId(String);

impl ContainerId {
    /// Validates `id`.
    pub fn new(id: &str) -> Result<Self, Error> {
        let ok = !id.is_empty()
            && id.len() <= 1024
            && id != "."
            && id != ".."
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'-' | b'.'));
        if ok {
            Ok(Self(id.to_owned()))
        } else {
            Err(Error::InvalidId(id.to_owned()))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for ContainerId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::new(s)
    }
}
