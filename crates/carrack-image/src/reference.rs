//! Image references: where an image is (`LAYOUT:REF`, `LAYOUT@DIGEST`, `LAYOUT`) and which
//! `index.json` entry a reference names, with Docker's name normalisation.
//!
//! # Locations
//!
//! [`ImageLocation::parse`] reads the spelling every `carrack image` command uses for an image,
//! the one skopeo's `oci:` transport uses after its `oci:` prefix:
//!
//! * `LAYOUT@DIGEST` — when the text ends in `@algorithm:hex` (32 or more hex digits) and no
//!   colon comes before the `@`;
//! * `LAYOUT:REF` — split at the **first** colon, so `lay:localhost/app:latest` is the layout
//!   `lay` and the reference `localhost/app:latest` (skopeo does the same);
//! * `LAYOUT` — no colon and no `@DIGEST`: the layout's default image (see
//!   [`Layout::find_default`]). `LAYOUT:` is the same.
//!
//! skopeo always splits at the first colon, so it cannot name a layout whose path holds one.
//! carrack keeps that split whenever its layout part is an existing directory; when it is not,
//! the first other split whose layout part is an existing directory is taken instead, trying
//! the later colons in order, then the `@DIGEST` split, then the whole text. When none is a
//! directory the first split stands (and opening the layout reports that path). So
//! `/tmp/a:b/lay:v1` names the layout `/tmp/a:b/lay` when `/tmp/a` does not exist.
//!
//! # Names
//!
//! A reference is first a tag, exactly as `org.opencontainers.image.ref.name` holds it. When no
//! entry has it, it is read as a Docker image name and normalised the way Docker's
//! `ParseNormalizedNamed` does ([`Reference::parse`]):
//!
//! * the first `/`-separated component is a registry only if it contains `.` or `:`, is
//!   `localhost`, or has an upper-case letter; otherwise the registry is `docker.io`
//!   (`index.docker.io` is also read as `docker.io`);
//! * on `docker.io`, a one-component path gets `library/` in front;
//! * a name with neither tag nor digest gets the tag `latest`
//!   ([`Reference::with_default_tag`]).
//!
//! `example/app` is thus `docker.io/example/app:latest` and `busybox` is
//! `docker.io/library/busybox:latest`.
//!
//! # Lookup
//!
//! [`Layout::find`] tries, in order, and stops at the first rule that matches anything:
//!
//! 1. an entry whose `org.opencontainers.image.ref.name` is the reference as given;
//! 2. if the reference is a digest, the entries with that digest (or, for sha256 and sha512, a
//!    manifest or index stored as a blob);
//! 3. if the reference is a Docker name, the entries whose name — holding a `/`, `:` or `@`,
//!    so a plain tag such as `v1` never counts — normalises to the same repository and tag
//!    (and, for `NAME@DIGEST`, has that digest). `example/app:latest`,
//!    `docker.io/example/app:latest` and `example/app` all find an entry stored under any one
//!    of them, and `busybox`, `library/busybox` and `docker.io/library/busybox:latest` are one
//!    image.
//!
//! When nothing matches, [`Error::NoMatch`] lists the names the layout holds.
//!
//! ```
//! use carrack_image::{ImageLocation, Layout, Reference};
//! use carrack_spec::image::MediaType;
//!
//! let loc = ImageLocation::parse_with("lay:localhost/app:latest", |p| p.as_os_str() == "lay")?;
//! assert_eq!(loc.layout, std::path::Path::new("lay"));
//! assert_eq!(loc.reference.as_deref(), Some("localhost/app:latest"));
//!
//! let name = Reference::parse("example/app")?.with_default_tag();
//! assert_eq!(name.to_string(), "docker.io/example/app:latest");
//! assert_eq!(name.familiar(), "example/app:latest");
//!
//! let dir = tempfile::tempdir()?;
//! let layout = Layout::create(dir.path())?;
//! let manifest = layout.write_blob_bytes(MediaType::ImageManifest, b"{}")?;
//! layout.tag("docker.io/example/app:latest", manifest.clone())?;
//! for spelling in ["example/app:latest", "example/app", "docker.io/example/app:latest"] {
//!     assert_eq!(layout.lookup(spelling)?.digest, manifest.digest);
//! }
//! assert!(layout.lookup("example/app:v2").is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use carrack_spec::image::{Descriptor, Digest};

use crate::error::{Error, Result};
use crate::layout::{Layout, tag_of};
use crate::resolve::{PlatformMatcher, Resolved};

/// The registry of names that do not name one (Docker Hub).
pub const DEFAULT_DOMAIN: &str = "docker.io";
/// The tag of a name that has neither tag nor digest, and of a bare `LAYOUT`.
pub const DEFAULT_TAG: &str = "latest";
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
const OFFICIAL_PREFIX: &str = "library/";
const MAX_NAME_LENGTH: usize = 255;
const MAX_TAG_LENGTH: usize = 128;

/// Why a location or a name could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// The location is empty.
    #[error("an empty image location: expected LAYOUT, LAYOUT:REF or LAYOUT@DIGEST")]
    EmptyLocation,
    /// Nothing comes before the `:` or `@`.
    #[error(
        "{0:?}: no layout path before the ':' or '@' (expected LAYOUT, LAYOUT:REF or LAYOUT@DIGEST)"
    )]
    NoLayout(String),
    /// The text is not a Docker image name.
    #[error("{reference:?}: not an image name: {reason}")]
    InvalidName {
        /// The text.
        reference: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
}

/// Where an image is: a layout directory and, optionally, a reference (tag, name or digest)
/// inside it. See the [module documentation](self) for the rules.
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

    /// The reference, or [`DEFAULT_TAG`] for a bare layout.
    pub fn reference_or_default(&self) -> &str {
        self.reference.as_deref().unwrap_or(DEFAULT_TAG)
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

/// A Docker image name, `[REGISTRY/]PATH[:TAG][@DIGEST]`, normalised as Docker normalises it
/// (see the [module documentation](self)). [`Display`](fmt::Display) writes the full form,
/// [`familiar`](Self::familiar) the short one `docker images` shows.
///
/// ```
/// use carrack_image::Reference;
///
/// let r = Reference::parse("busybox")?;
/// assert_eq!((r.domain(), r.path(), r.tag()), ("docker.io", "library/busybox", None));
/// assert_eq!(r.with_default_tag().to_string(), "docker.io/library/busybox:latest");
///
/// let r = Reference::parse("localhost:5000/team/app:1.2")?;
/// assert_eq!((r.domain(), r.path(), r.tag()), ("localhost:5000", "team/app", Some("1.2")));
/// assert_eq!(r.familiar(), "localhost:5000/team/app:1.2");
///
/// assert!(Reference::parse("Example/App").is_err()); // repository names are lower case
/// # Ok::<(), carrack_image::ReferenceError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Parses and normalises `text` (registry and `library/`, not the default tag).
    pub fn parse(text: &str) -> Result<Self, ReferenceError> {
        let bad = |reason: &'static str| ReferenceError::InvalidName {
            reference: text.to_owned(),
            reason,
        };
        if text.is_empty() {
            return Err(bad("it is empty"));
        }
        if text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad("64 hexadecimal digits are an image ID, not a name"));
        }
        let (domain, remainder) = split_domain(text);
        let (rest, digest) = match remainder.split_once('@') {
            Some((rest, d)) => (
                rest,
                Some(docker_digest(d).ok_or_else(|| {
                    bad("what follows '@' is not a digest (algorithm:hex, 32 or more hex digits)")
                })?),
            ),
            None => (remainder.as_str(), None),
        };
        let (path, tag) = match rest.split_once(':') {
            Some((path, tag)) => (path, Some(tag)),
            None => (rest, None),
        };
        if path.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(bad("repository names must be lower case"));
        }
        if !path.split('/').all(path_component_ok) {
            return Err(bad(
                "a repository path is made of components of a-z and 0-9, separated inside by '.', '_', '__' or dashes",
            ));
        }
        if !domain_ok(&domain) {
            return Err(bad(
                "the registry is not a host name or [IPv6 address], with an optional :port",
            ));
        }
        if let Some(t) = tag
            && !tag_ok(t)
        {
            return Err(bad(
                "a tag is 1 to 128 of A-Za-z0-9_.- and does not start with '.' or '-'",
            ));
        }
        if domain.len() + 1 + path.len() > MAX_NAME_LENGTH {
            return Err(bad("the name is longer than 255 characters"));
        }
        Ok(Self {
            path: path.to_owned(),
            tag: tag.map(str::to_owned),
            digest,
            domain,
        })
    }

    /// The same reference with the tag `latest` if it has neither tag nor digest.
    #[must_use]
    pub fn with_default_tag(mut self) -> Self {
        if self.tag.is_none() && self.digest.is_none() {
            self.tag = Some(DEFAULT_TAG.to_owned());
        }
        self
    }

    /// The registry, `docker.io` when the name gives none.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path inside the registry (`library/busybox`, `example/app`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if any.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The repository, `REGISTRY/PATH`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The short form Docker shows: without `docker.io/`, and without `library/` for official
    /// images (`docker.io/library/busybox:latest` is `busybox:latest`).
    pub fn familiar(&self) -> String {
        let mut s = if self.domain == DEFAULT_DOMAIN {
            self.path
                .strip_prefix(OFFICIAL_PREFIX)
                .filter(|p| !p.contains('/'))
                .unwrap_or(&self.path)
                .to_owned()
        } else {
            self.name()
        };
        self.push_suffix(&mut s);
        s
    }

    fn push_suffix(&self, s: &mut String) {
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d.as_str());
        }
    }

    /// Whether an entry stored under `self` (with digest `entry_digest`) is what `want` asks
    /// for; both already carry the default tag.
    fn satisfies(&self, entry_digest: &Digest, want: &Reference) -> bool {
        if self.domain != want.domain || self.path != want.path {
            return false;
        }
        match &want.digest {
            Some(d) => {
                (entry_digest == d || self.digest.as_ref() == Some(d))
                    && (want.tag.is_none() || want.tag == self.tag)
            }
            None => want.tag == self.tag,
        }
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, ReferenceError> {
        Self::parse(s)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = self.name();
        self.push_suffix(&mut s);
        f.write_str(&s)
    }
}

/// Docker's `splitDockerDomain`, on the whole text (tag and digest included).
fn split_domain(text: &str) -> (String, String) {
    let (domain, remainder) = match text.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            (first, rest)
        }
        _ => (DEFAULT_DOMAIN, text),
    };
    let domain = if domain == LEGACY_DEFAULT_DOMAIN {
        DEFAULT_DOMAIN
    } else {
        domain
    };
    let remainder = if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
        format!("{OFFICIAL_PREFIX}{remainder}")
    } else {
        remainder.to_owned()
    };
    (domain.to_owned(), remainder)
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn path_component_ok(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        match &b[start..i] {
            b"." | b"_" | b"__" => {}
            sep if sep.iter().all(|&x| x == b'-') => {}
            _ => return false,
        }
    }
    true
}

/// `(?:domain-name|\[ipv6\])(?::[0-9]+)?`, domain-name components being
/// `[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?` separated by dots.
fn domain_ok(domain: &str) -> bool {
    let split = if domain.starts_with('[') {
        domain.find(']').map(|i| i + 1)
    } else {
        Some(domain.find(':').unwrap_or(domain.len()))
    };
    let Some(split) = split else {
        return false;
    };
    let (host, port) = domain.split_at(split);
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(addr) => !addr.is_empty() && addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':'),
        None => host.split('.').all(|c| {
            let b = c.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
        }),
    };
    port_ok && host_ok
}

/// `[\w][\w.-]{0,127}`
fn tag_ok(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    tag.len() <= MAX_TAG_LENGTH
        && tag.bytes().next().is_some_and(word)
        && tag.bytes().all(|b| word(b) || b == b'.' || b == b'-')
}

/// A digest as Docker writes one in a reference: `algorithm:hex`, 32 or more hex digits.
fn docker_digest(text: &str) -> Option<Digest> {
    let d = Digest::parse(text).ok()?;
    (d.encoded().len() >= 32 && d.encoded().bytes().all(|b| b.is_ascii_hexdigit())).then_some(d)
}

/// Which rule of [`Layout::find`] matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MatchRule {
    /// A tag exactly as given.
    Exact,
    /// A digest: an `index.json` entry with it, or a manifest or index stored as a blob.
    Digest,
    /// A stored name equal to the reference under Docker's normalisation.
    Normalized,
    /// No reference was given and the layout holds one image ([`Layout::find_default`]).
    Only,
}

/// What [`Layout::find`] found.
#[derive(Debug, Clone)]
pub struct Match {
    /// The `index.json` entry (or the stored blob's descriptor).
    pub descriptor: Descriptor,
    /// The stored names (`org.opencontainers.image.ref.name`) that matched; empty for a digest
    /// or an untagged entry.
    pub names: Vec<String>,
    /// The rule that matched.
    pub rule: MatchRule,
}

/// Whether a stored ref.name is a Docker name rather than a bare tag such as `v1`.
fn names_a_repository(stored: &str) -> bool {
    stored.contains(['/', ':', '@'])
}

impl Layout {
    /// Finds the one `index.json` entry (or stored blob, for a digest) that `reference` — a tag,
    /// a Docker name or a digest — names, without descending into it. The rules are in the
    /// [module documentation](crate::reference).
    pub fn lookup(&self, reference: &str) -> Result<Descriptor> {
        self.find(reference).map(|m| m.descriptor)
    }

    /// Like [`lookup`](Self::lookup), also saying which names matched and by which rule.
    pub fn find(&self, reference: &str) -> Result<Match> {
        let index = self.index()?;
        let entries = &index.manifests;
        let exact: Vec<&Descriptor> = entries
            .iter()
            .filter(|d| tag_of(d) == Some(reference))
            .collect();
        if !exact.is_empty() {
            return one(reference, exact, MatchRule::Exact);
        }
        if let Ok(digest) = reference.parse::<Digest>() {
            let by_digest: Vec<&Descriptor> =
                entries.iter().filter(|d| d.digest == digest).collect();
            if !by_digest.is_empty() {
                return one(reference, by_digest, MatchRule::Digest);
            }
            if digest.registered().is_some() && self.blob_size(&digest)?.is_some() {
                return Ok(Match {
                    descriptor: self.describe_blob(&digest)?,
                    names: Vec::new(),
                    rule: MatchRule::Digest,
                });
            }
        }
        let want = Reference::parse(reference)
            .ok()
            .map(Reference::with_default_tag);
        if let Some(want) = &want {
            let named: Vec<&Descriptor> = entries
                .iter()
                .filter(|d| {
                    tag_of(d)
                        .filter(|t| names_a_repository(t))
                        .and_then(|t| Reference::parse(t).ok())
                        .is_some_and(|r| r.with_default_tag().satisfies(&d.digest, want))
                })
                .collect();
            if !named.is_empty() {
                return one(reference, named, MatchRule::Normalized);
            }
        }
        Err(no_match(reference, want.as_ref(), entries))
    }

    /// The image a bare `LAYOUT` names: the entry [`find`](Self::find) gives for `latest`, or
    /// else, when `index.json` holds entries of one digest only, that one (as skopeo's
    /// `oci:LAYOUT` takes the only image).
    pub fn find_default(&self) -> Result<Match> {
        match self.find(DEFAULT_TAG) {
            Err(Error::NoMatch { .. }) => {
                let index = self.index()?;
                let Some(first) = index.manifests.first() else {
                    return Err(no_match(DEFAULT_TAG, None, &index.manifests));
                };
                if index.manifests.iter().any(|d| d.digest != first.digest) {
                    return Err(no_match(DEFAULT_TAG, None, &index.manifests));
                }
                Ok(Match {
                    descriptor: first.clone(),
                    names: index
                        .manifests
                        .iter()
                        .filter_map(|d| tag_of(d).map(str::to_owned))
                        .collect(),
                    rule: MatchRule::Only,
                })
            }
            other => other,
        }
    }

    /// Removes the names `reference` finds by [`find`](Self::find)'s name rules (exact, then
    /// Docker-normalised; never a digest), all in one update of `index.json`, and returns them
    /// (empty when no name matched).
    pub fn untag_reference(&self, reference: &str) -> Result<Vec<String>> {
        let want = Reference::parse(reference)
            .ok()
            .map(Reference::with_default_tag);
        self.update_index(|index| {
            let mut names: Vec<String> = index
                .manifests
                .iter()
                .filter_map(tag_of)
                .filter(|t| *t == reference)
                .map(str::to_owned)
                .collect();
            if names.is_empty()
                && let Some(want) = &want
            {
                names = index
                    .manifests
                    .iter()
                    .filter(|d| {
                        tag_of(d)
                            .filter(|t| names_a_repository(t))
                            .and_then(|t| Reference::parse(t).ok())
                            .is_some_and(|r| r.with_default_tag().satisfies(&d.digest, want))
                    })
                    .filter_map(tag_of)
                    .map(str::to_owned)
                    .collect();
            }
            let mut seen = Vec::new();
            names.retain(|n| {
                let new = !seen.contains(n);
                if new {
                    seen.push(n.clone());
                }
                new
            });
            index
                .manifests
                .retain(|d| tag_of(d).is_none_or(|t| !names.iter().any(|n| n == t)));
            Ok(names)
        })
    }
}

/// The one distinct descriptor of `found`, or [`Error::Ambiguous`].
fn one(reference: &str, found: Vec<&Descriptor>, rule: MatchRule) -> Result<Match> {
    let mut names: Vec<String> = Vec::new();
    let mut distinct: Vec<&Descriptor> = Vec::new();
    for d in found {
        if let Some(t) = tag_of(d)
            && !names.iter().any(|n| n == t)
        {
            names.push(t.to_owned());
        }
        if !distinct.iter().any(|e| e.digest == d.digest) {
            distinct.push(d);
        }
    }
    match distinct.as_slice() {
        [d] => Ok(Match {
            descriptor: (*d).clone(),
            names,
            rule,
        }),
        _ => Err(Error::Ambiguous {
            reference: reference.to_owned(),
            candidates: distinct
                .iter()
                .map(|d| format!("{} ({})", d.digest, tag_of(d).unwrap_or("untagged")))
                .collect(),
        }),
    }
}

fn no_match(reference: &str, want: Option<&Reference>, entries: &[Descriptor]) -> Error {
    let mut names: Vec<String> = Vec::new();
    for t in entries.iter().filter_map(tag_of) {
        if !names.iter().any(|n| n == t) {
            names.push(t.to_owned());
        }
    }
    Error::NoMatch {
        reference: reference.to_owned(),
        normalized: want.map(ToString::to_string).filter(|n| n != reference),
        names,
        untagged: entries.iter().filter(|d| tag_of(d).is_none()).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    fn full(text: &str) -> String {
        Reference::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .with_default_tag()
            .to_string()
    }

    #[test]
    fn normalises_like_docker() {
        let digest = format!("sha256:{HEX}");
        for (given, normal, familiar) in [
            (
                "busybox",
                "docker.io/library/busybox:latest",
                "busybox:latest",
            ),
            (
                "library/busybox",
                "docker.io/library/busybox:latest",
                "busybox:latest",
            ),
            (
                "docker.io/busybox",
                "docker.io/library/busybox:latest",
                "busybox:latest",
            ),
            (
                "index.docker.io/library/busybox:1",
                "docker.io/library/busybox:1",
                "busybox:1",
            ),
            (
                "example/app",
                "docker.io/example/app:latest",
                "example/app:latest",
            ),
            (
                "docker.io/example/app:latest",
                "docker.io/example/app:latest",
                "example/app:latest",
            ),
            (
                "localhost/app:latest",
                "localhost/app:latest",
                "localhost/app:latest",
            ),
            (
                "localhost/app",
                "localhost/app:latest",
                "localhost/app:latest",
            ),
            (
                "localhost:5000/team/app",
                "localhost:5000/team/app:latest",
                "localhost:5000/team/app:latest",
            ),
            (
                "example.com/a/b/c:v1.0-rc_1",
                "example.com/a/b/c:v1.0-rc_1",
                "example.com/a/b/c:v1.0-rc_1",
            ),
            ("Registry/app", "Registry/app:latest", "Registry/app:latest"),
            (
                "[::1]:5000/app",
                "[::1]:5000/app:latest",
                "[::1]:5000/app:latest",
            ),
            (
                "team/a__b.c---d_e",
                "docker.io/team/a__b.c---d_e:latest",
                "team/a__b.c---d_e:latest",
            ),
            ("app:1", "docker.io/library/app:1", "app:1"),
        ] {
            assert_eq!(full(given), normal, "{given}");
            let r = Reference::parse(given).expect("parse").with_default_tag();
            assert_eq!(r.familiar(), familiar, "{given}");
            assert_eq!(full(&r.familiar()), normal, "familiar form of {given}");
        }
        let pinned = Reference::parse(&format!("example/app@{digest}")).expect("digest");
        assert_eq!(pinned.digest().map(Digest::as_str), Some(digest.as_str()));
        assert_eq!(
            pinned.clone().with_default_tag().tag(),
            None,
            "a digest needs no tag"
        );
        assert_eq!(
            pinned.to_string(),
            format!("docker.io/example/app@{digest}")
        );
        let both = Reference::parse(&format!("app:v1@{digest}")).expect("tag and digest");
        assert_eq!(both.tag(), Some("v1"));
        assert_eq!(both.familiar(), format!("app:v1@{digest}"));
    }

    #[test]
    fn refuses_what_docker_refuses() {
        for bad in [
            "",
            ":tag",
            "app:",
            "Example/App",
            "example/App",
            "app:a:b",
            "-app",
            "app-",
            "a___b",
            "a..b",
            "a/",
            "/a",
            "a//b",
            "app:.hidden",
            "app@sha256:abc",
            "app@notadigest",
            "bad_host.com:port/app",
            "a__b.c/app",
            "[zz]/app",
            HEX,
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let long_tag = format!("app:{}", "t".repeat(129));
        assert!(Reference::parse(&long_tag).is_err());
        let long_name = format!("example.com/{}", "a".repeat(250));
        assert!(Reference::parse(&long_name).is_err());
        let e = Reference::parse("Example/App").expect_err("upper case");
        assert!(e.to_string().contains("lower case"), "{e}");
    }

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
