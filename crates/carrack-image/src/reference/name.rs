//! Docker image names, normalised as Docker's `ParseNormalizedNamed` does.

use std::fmt;
use std::str::FromStr;

use carrack_spec::image::Digest;

use super::*;

/// A Docker image name, `[REGISTRY/]PATH[:TAG][@DIGEST]`, normalised as Docker normalises it
/// (see the [module documentation](crate::reference)). [`Display`](fmt::Display) writes the full form,
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
    #[cfg(unix)] // used by the store's lookup
    pub(super) fn satisfies(&self, entry_digest: &Digest, want: &Reference) -> bool {
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
pub(super) fn docker_digest(text: &str) -> Option<Digest> {
    let d = Digest::parse(text).ok()?;
    (d.encoded().len() >= 32 && d.encoded().bytes().all(|b| b.is_ascii_hexdigit())).then_some(d)
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
}
