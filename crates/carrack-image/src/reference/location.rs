//! `LAYOUT:REF`, `LAYOUT@DIGEST`, `LAYOUT`: where an image is (see the module docs).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::name::docker_digest;
use super::*;
#[cfg(unix)]
use crate::{Layout, PlatformMatcher, Resolved, error::Result};

/// Where an image is: a layout directory and, optionally, a reference (tag, name or digest)
/// inside it. See the [module documentation](crate::reference) for the rules.
///
/// ```
/// use carrack_image::ImageLocation;
///
/// let none = |_: &std::path::Path| false;
/// let digest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
/// let at = ImageLocation::parse_with(&format!("lay@{digest}"), none)?;
/// assert_eq!((at.layout.to_str(), at.reference.as_deref()), (Some("lay"), Some(digest)));
/// let tag = ImageLocation::parse_with("lay:v1", none)?;
/// assert_eq!((tag.layout.to_str(), tag.reference.as_deref()), (Some("lay"), Some("v1")));
/// let bare = ImageLocation::parse_with("lay", none)?;
/// assert_eq!(bare.reference, None);
/// // A directory whose name holds a colon is found when the first split names nothing.
/// let dir = |p: &std::path::Path| p.as_os_str() == "./a:b";
/// let odd = ImageLocation::parse_with("./a:b:example/app:1.0", dir)?;
/// assert_eq!((odd.layout.to_str(), odd.reference.as_deref()), (Some("./a:b"), Some("example/app:1.0")));
/// # Ok::<(), carrack_image::ReferenceError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageLocation {
    /// The layout directory.
    pub layout: PathBuf,
    /// The tag, name or digest; `None` for the layout's default image.
    pub reference: Option<String>,
}

impl ImageLocation {
    /// A location from its parts, without parsing.
    pub fn new(layout: impl Into<PathBuf>, reference: Option<String>) -> Self {
        Self {
            layout: layout.into(),
            reference: reference.filter(|r| !r.is_empty()),
        }
    }

    /// Reads `LAYOUT:REF`, `LAYOUT@DIGEST` or `LAYOUT`, looking at the file system only to
    /// choose between splits when the first one's layout part is not a directory.
    pub fn parse(text: &str) -> Result<Self, ReferenceError> {
        Self::parse_with(text, Path::is_dir)
    }

    /// [`parse`](Self::parse) with `is_dir` deciding which paths are existing directories.
    pub fn parse_with(text: &str, is_dir: impl Fn(&Path) -> bool) -> Result<Self, ReferenceError> {
        if text.is_empty() {
            return Err(ReferenceError::EmptyLocation);
        }
        let at = text
            .rfind('@')
            .filter(|&i| docker_digest(&text[i + 1..]).is_some());
        let mut splits: Vec<(&str, Option<&str>)> = Vec::new();
        if let Some(i) = at.filter(|&i| !text[..i].contains(':')) {
            splits.push((&text[..i], Some(&text[i + 1..])));
        }
        for (i, _) in text.match_indices(':') {
            splits.push((&text[..i], Some(&text[i + 1..])));
        }
        if let Some(i) = at.filter(|&i| text[..i].contains(':')) {
            splits.push((&text[..i], Some(&text[i + 1..])));
        }
        let first = splits.first().copied().unwrap_or((text, None));
        splits.push((text, None));
        let (layout, reference) = splits
            .into_iter()
            .find(|(l, _)| !l.is_empty() && is_dir(Path::new(l)))
            .unwrap_or(first);
        if layout.is_empty() {
            return Err(ReferenceError::NoLayout(text.to_owned()));
        }
        Ok(Self::new(layout, reference.map(str::to_owned)))
    }

    /// The reference, or [`DEFAULT_TAG`] for a bare layout.
    pub fn reference_or_default(&self) -> &str {
        self.reference.as_deref().unwrap_or(DEFAULT_TAG)
    }
}

/// The store's side (Unix, where [`Layout`] is).
#[cfg(unix)]
impl ImageLocation {
    /// Opens the layout.
    pub fn open(&self) -> Result<Layout> {
        Layout::open(&self.layout)
    }

    /// The `index.json` entry this location names in `layout`: [`Layout::find`] for a
    /// reference, [`Layout::find_default`] without one.
    pub fn find(&self, layout: &Layout) -> Result<Match> {
        match &self.reference {
            Some(r) => layout.find(r),
            None => layout.find_default(),
        }
    }

    /// Opens the layout and resolves this location to one image manifest for `platform`.
    pub fn resolve(&self, platform: &PlatformMatcher) -> Result<(Layout, Resolved)> {
        let layout = self.open()?;
        let found = self.find(&layout)?;
        let resolved = layout.resolve_match(&found, platform)?;
        Ok((layout, resolved))
    }
}

impl FromStr for ImageLocation {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, ReferenceError> {
        Self::parse(s)
    }
}

impl fmt::Display for ImageLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.layout.display())?;
        match &self.reference {
            Some(r) if docker_digest(r).is_some() => write!(f, "@{r}"),
            Some(r) => write!(f, ":{r}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const HEX: &str = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    fn split(text: &str, dirs: &[&str]) -> (String, Option<String>) {
        let loc = ImageLocation::parse_with(text, |p| dirs.iter().any(|d| Path::new(d) == p))
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        (loc.layout.display().to_string(), loc.reference)
    }

    fn pair(layout: &str, reference: Option<&str>) -> (String, Option<String>) {
        (layout.to_owned(), reference.map(str::to_owned))
    }

    #[test]
    fn locations_split_at_the_first_colon() {
        let digest = format!("sha256:{HEX}");
        assert_eq!(
            split("lay:localhost/app:latest", &[]),
            pair("lay", Some("localhost/app:latest"))
        );
        assert_eq!(
            split("lay:localhost/app:latest", &["lay"]),
            pair("lay", Some("localhost/app:latest"))
        );
        assert_eq!(split("lay:v1", &["lay", "lay:v1"]), pair("lay", Some("v1")));
        assert_eq!(
            split("lay:localhost:5000/app", &[]),
            pair("lay", Some("localhost:5000/app"))
        );
        assert_eq!(
            split(&format!("lay@{digest}"), &[]),
            pair("lay", Some(&digest))
        );
        assert_eq!(
            split(&format!("lay:{digest}"), &[]),
            pair("lay", Some(&digest))
        );
        assert_eq!(
            split(&format!("lay:example/app@{digest}"), &["lay"]),
            pair("lay", Some(&format!("example/app@{digest}")))
        );
        assert_eq!(split("lay", &[]), pair("lay", None));
        assert_eq!(split("lay:", &["lay"]), pair("lay", None));
        assert_eq!(split("/abs/lay:app", &[]), pair("/abs/lay", Some("app")));
        // `@` that is not followed by a digest is part of the reference.
        assert_eq!(split("lay:app@v1", &[]), pair("lay", Some("app@v1")));
    }

    #[test]
    fn paths_with_colons_are_found_when_the_first_split_names_no_directory() {
        let digest = format!("sha256:{HEX}");
        assert_eq!(
            split("/tmp/x:y/lay:v1", &["/tmp/x:y/lay"]),
            pair("/tmp/x:y/lay", Some("v1"))
        );
        assert_eq!(
            split("./a:b:example/app:1.0", &["./a:b"]),
            pair("./a:b", Some("example/app:1.0"))
        );
        assert_eq!(
            split(&format!("co:lon@{digest}"), &["co:lon"]),
            pair("co:lon", Some(&digest))
        );
        assert_eq!(split("my:layout", &["my:layout"]), pair("my:layout", None));
        // The shortest existing directory wins; nothing existing keeps the first colon.
        assert_eq!(split("a:b:c", &["a:b", "a:b:c"]), pair("a:b", Some("c")));
        assert_eq!(split("a:b:c", &[]), pair("a", Some("b:c")));
    }

    #[test]
    fn empty_parts_are_errors_and_display_round_trips() {
        let none = |_: &Path| false;
        assert_eq!(
            ImageLocation::parse_with("", none),
            Err(ReferenceError::EmptyLocation)
        );
        assert!(matches!(
            ImageLocation::parse_with(":v1", none),
            Err(ReferenceError::NoLayout(_))
        ));
        assert!(matches!(
            ImageLocation::parse_with(&format!("@sha256:{HEX}"), none),
            Err(ReferenceError::NoLayout(_))
        ));
        for text in [
            "lay".to_owned(),
            "lay:localhost/app:latest".to_owned(),
            format!("lay@sha256:{HEX}"),
        ] {
            let loc = ImageLocation::parse_with(&text, none).expect("parse");
            assert_eq!(loc.to_string(), text);
            assert_eq!(ImageLocation::parse_with(&loc.to_string(), none), Ok(loc));
        }
    }
}
