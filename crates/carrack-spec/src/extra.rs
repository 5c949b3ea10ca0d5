//! [`Extra`]: the members of a JSON object that a model does not know.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Deref, DerefMut};

use serde_json::Value;

static EMPTY: BTreeMap<String, Value> = BTreeMap::new();

/// Members of a JSON object that a model does not know, kept in key order so that a round trip
/// loses nothing and writes the same bytes.
///
/// It dereferences to a `BTreeMap<String, Value>`; the map is only allocated once something is
/// inserted, so a document without unknown members pays one pointer per object for it.
///
/// ```
/// use carrack_spec::Extra;
/// let mut extra = Extra::new();
/// assert!(extra.is_empty());
/// extra.insert("com.example.vendor".into(), serde_json::json!({"x": 1}));
/// assert_eq!(extra.len(), 1);
/// ```
#[derive(Clone, Default)]
// Boxed on purpose: one pointer per model instead of a 24-byte map that is almost always empty
// keeps the structs small, which the parse benchmark shows.
#[allow(clippy::box_collection)]
pub struct Extra(Option<Box<BTreeMap<String, Value>>>);

impl Extra {
    /// No members.
    pub const fn new() -> Self {
        Self(None)
    }

    /// Whether `key` is present; cheaper than going through the map when there is none.
    #[inline]
    pub fn has(&self, key: &str) -> bool {
        match &self.0 {
            None => false,
            Some(map) => contains(map, key),
        }
    }

    /// The map, unless nothing was ever inserted (no allocation, nothing to iterate).
    #[inline]
    pub(crate) fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        self.0.as_deref()
    }

    /// Consumes it, giving the map.
    pub fn into_map(self) -> BTreeMap<String, Value> {
        self.0.map(|b| *b).unwrap_or_default()
    }
}

// Out of line: the generated parsers check every member against `extra` for duplicates, and a
// lookup inlined there each time would bloat them for a map that is almost always empty.
#[cold]
#[inline(never)]
fn contains(map: &BTreeMap<String, Value>, key: &str) -> bool {
    map.contains_key(key)
}

impl Deref for Extra {
    type Target = BTreeMap<String, Value>;
    fn deref(&self) -> &Self::Target {
        self.0.as_deref().unwrap_or(&EMPTY)
    }
}

impl DerefMut for Extra {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.0.get_or_insert_with(Box::default)
    }
}

impl PartialEq for Extra {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for Extra {}

impl fmt::Debug for Extra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl From<BTreeMap<String, Value>> for Extra {
    fn from(map: BTreeMap<String, Value>) -> Self {
        if map.is_empty() {
            Self(None)
        } else {
            Self(Some(Box::new(map)))
        }
    }
}

impl FromIterator<(String, Value)> for Extra {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        Self::from(iter.into_iter().collect::<BTreeMap<_, _>>())
    }
}

impl<'a> IntoIterator for &'a Extra {
    type Item = (&'a String, &'a Value);
    type IntoIter = std::collections::btree_map::Iter<'a, String, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}
