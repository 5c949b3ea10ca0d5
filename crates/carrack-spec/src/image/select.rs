//! Choosing an index entry for a platform (image-index.md, `platform` and "Platform Variants").
//!
//! The rules are the ones container engines apply, so that carrack picks what `docker pull`,
//! `podman pull` and containerd pick from the same index:
//!
//! * `os` and `architecture` must be equal after Go's and the distributions' aliases are
//!   resolved (`x86_64` is `amd64`, `aarch64` is `arm64`, `armhf` is `arm/v7`, `macos` is
//!   `darwin`).
//! * A CPU variant runs the code of the variants below it, and the best one wins: a host that
//!   wants `amd64/v3` takes `v3`, else `v2`, else `v1` (or no variant); `arm64/v8.2` takes
//!   `v8.2` down to `v8`; `arm/v7` takes `v7`, `v6`, `v5`. Variants of other architectures
//!   must be equal. An absent variant is the architecture's baseline (`amd64` `v1`, `arm64`
//!   `v8`, `arm` `v7`).
//! * `os.version`, when both sides give one, must be equal (on Windows the first three
//!   components, major.minor.build, as the kernel's ABI is set by the build).
//! * Every `os.features` entry of a candidate is a mandatory feature: the matcher must have it.
//! * Among equally good candidates the first is used: "If multiple manifests match a client or
//!   runtime's requirements, the first matching entry SHOULD be used."

use std::fmt;
use std::str::FromStr;

use crate::image::{Arch, Descriptor, Os, Platform};

/// Which platform to choose from an index, with the variants it can also run.
///
/// ```
/// use carrack_spec::image::{Arch, Os, Platform, PlatformMatcher};
///
/// let want: PlatformMatcher = "linux/amd64/v3".parse()?;
/// let mut v2 = Platform::new(Arch::Amd64, Os::Linux);
/// v2.variant = Some("v2".into());
/// assert!(want.matches(&v2)); // a v3 machine runs v2 code
/// assert!(!"linux/amd64".parse::<PlatformMatcher>()?.matches(&v2));
/// assert!(!want.matches(&Platform::new(Arch::Arm64, Os::Linux)));
/// assert!("banana".parse::<PlatformMatcher>().is_err());
/// # Ok::<(), carrack_spec::image::PlatformParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlatformMatcher {
    /// Operating system (GOOS).
    pub os: Os,
    /// Architecture (GOARCH), with aliases resolved.
    pub architecture: Arch,
    /// The best CPU variant wanted; `None` is the architecture's baseline.
    pub variant: Option<String>,
    /// The `os.version` wanted, if any.
    pub os_version: Option<String>,
    /// The OS features available; a candidate that requires others does not match.
    pub os_features: Vec<String>,
}

/// Why a platform text does not parse (`os[(os.version)]/architecture[/variant]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlatformParseError {
    /// Nothing was given.
    #[error("an empty platform: expected os/architecture[/variant], e.g. linux/amd64")]
    Empty,
    /// More than three `/`-separated parts.
    #[error("{text:?}: expected os/architecture[/variant], e.g. linux/arm64/v8")]
    Shape {
        /// The text given.
        text: String,
    },
    /// A part that is no operating system or architecture Go knows.
    #[error(
        "{text:?}: {part:?} is no {what} Go knows (image-index.md: \"Image indexes SHOULD use, and implementations SHOULD understand, values listed in the Go Language document for `{env}`\"); known: {}",
        known.join(", ")
    )]
    Unknown {
        /// The text given.
        text: String,
        /// The part not recognised.
        part: String,
        /// `operating system` or `architecture`.
        what: &'static str,
        /// `GOOS` or `GOARCH`.
        env: &'static str,
        /// The values that are recognised.
        known: Vec<&'static str>,
    },
    /// A variant that is not a version of the architecture's variant scheme.
    #[error("{text:?}: {variant:?} is no variant of {architecture} (expected {expected})")]
    Variant {
        /// The text given.
        text: String,
        /// The variant given.
        variant: String,
        /// The architecture.
        architecture: String,
        /// What the architecture's variants look like.
        expected: &'static str,
    },
}

/// GOOS values Go knows beyond [`Os::KNOWN`] (go/build's `knownOS`).
const MORE_OS: &[&str] = &["hurd", "nacl"];
/// GOARCH values Go knows beyond [`Arch::KNOWN`] (go/build's `knownArch`).
const MORE_ARCH: &[&str] = &[
    "amd64p32",
    "armbe",
    "arm64be",
    "mips64p32",
    "mips64p32le",
    "ppc",
    "riscv",
    "s390",
    "sparc",
    "sparc64",
];

impl PlatformMatcher {
    /// A matcher for `os`/`architecture` at the architecture's baseline variant.
    pub fn new(os: Os, architecture: Arch) -> Self {
        let (architecture, variant) = normalize_arch(architecture.as_str(), None);
        Self {
            os,
            architecture,
            variant,
            os_version: None,
            os_features: Vec::new(),
        }
    }

    /// The platform this program runs on. On x86-64 the variant is the microarchitecture level
    /// the CPU supports (`v1`…`v4`, from `cpuid`), so a `v3` image is chosen on a CPU with
    /// AVX2 and never on one without.
    pub fn host() -> Self {
        let os = match std::env::consts::OS {
            "macos" => Os::Darwin,
            other => Os::from(other),
        };
        let mut m = Self::new(os, Arch::from(std::env::consts::ARCH));
        m.variant = host_variant(&m.architecture);
        m
    }

    /// Parses `os[(os.version)]/architecture[/variant]`, as `docker --platform` and containerd
    /// do: aliases are resolved (`x86_64`, `aarch64`, `armhf`, `armel`, `i386`, `macos`), and a
    /// lone os or architecture takes the rest from the host (`linux`, `arm64`).
    pub fn parse(text: &str) -> Result<Self, PlatformParseError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(PlatformParseError::Empty);
        }
        let lower = trimmed.to_ascii_lowercase();
        let parts: Vec<&str> = lower.split('/').collect();
        let unknown = |part: &str, os: bool| PlatformParseError::Unknown {
            text: text.to_owned(),
            part: part.to_owned(),
            what: if os {
                "operating system"
            } else {
                "architecture"
            },
            env: if os { "GOOS" } else { "GOARCH" },
            known: if os {
                Os::KNOWN.iter().chain(MORE_OS).copied().collect()
            } else {
                Arch::KNOWN.iter().chain(MORE_ARCH).copied().collect()
            },
        };
        let (os_part, rest) = match parts.as_slice() {
            [one] => {
                let (os, os_version) = split_os_version(one);
                if let Some(os) = parse_os(os) {
                    let mut m = Self::host();
                    if m.os != os {
                        m = Self::new(os, m.architecture.clone());
                    }
                    m.os_version = os_version;
                    return Ok(m);
                }
                if let Some((arch, implied)) = parse_arch(one) {
                    let host = Self::host();
                    let mut m = Self::new(host.os, Arch::from(arch));
                    m.variant = if m.architecture == host.architecture {
                        host.variant
                    } else {
                        normalize_arch(arch, implied).1
                    };
                    return Ok(m);
                }
                return Err(PlatformParseError::Unknown {
                    what: "operating system or architecture",
                    env: "GOOS` or `GOARCH",
                    known: Os::KNOWN
                        .iter()
                        .chain(MORE_OS)
                        .chain(Arch::KNOWN)
                        .chain(MORE_ARCH)
                        .copied()
                        .collect(),
                    text: text.to_owned(),
                    part: (*one).to_owned(),
                });
            }
            [os, rest @ ..] if rest.len() <= 2 => (*os, rest),
            _ => {
                return Err(PlatformParseError::Shape {
                    text: text.to_owned(),
                });
            }
        };
        let (os_name, os_version) = split_os_version(os_part);
        let os = parse_os(os_name).ok_or_else(|| unknown(os_name, true))?;
        let (arch, implied) = parse_arch(rest[0]).ok_or_else(|| unknown(rest[0], false))?;
        let given = rest.get(1).copied().filter(|v| !v.is_empty());
        let (architecture, variant) = normalize_arch(arch, given.or(implied));
        if let (Some(given), Some(v)) = (given, &variant)
            && let Some(expected) = scheme(&architecture)
            && level(&architecture, v).is_none()
        {
            return Err(PlatformParseError::Variant {
                text: text.to_owned(),
                variant: given.to_owned(),
                architecture: architecture.to_string(),
                expected,
            });
        }
        Ok(Self {
            os,
            architecture,
            variant,
            os_version,
            os_features: Vec::new(),
        })
    }

    /// How well `p` suits this matcher: `None` if it cannot run, else `Some(n)` where 0 is an
    /// exact variant and each step down the variant ladder adds one.
    pub fn rank(&self, p: &Platform) -> Option<u32> {
        let (arch, variant) = normalize_arch(p.architecture.as_str(), p.variant.as_deref());
        if p.os != self.os || arch != self.architecture {
            return None;
        }
        if let (Some(want), Some(have)) = (&self.os_version, &p.os_version)
            && !same_os_version(&self.os, want, have)
        {
            return None;
        }
        if !p
            .os_features
            .iter()
            .flatten()
            .all(|f| self.os_features.contains(f))
        {
            return None;
        }
        let want = level_or_base(&arch, self.variant.as_ref());
        match (want, level_or_base(&arch, variant.as_ref())) {
            (Some(want), Some(have)) => (have <= want).then(|| want - have),
            _ => (self.variant == variant).then_some(0),
        }
    }

    /// Whether `p` can run here.
    pub fn matches(&self, p: &Platform) -> bool {
        self.rank(p).is_some()
    }

    /// The entry of an index (or of any descriptor list) to use: among the image manifests and
    /// indexes whose `platform` matches, the best-ranked, the first of equals. Entries without a
    /// `platform` are not considered (only their image configuration can tell; carrack-image's
    /// `Layout::resolve` reads it).
    ///
    /// ```
    /// use carrack_spec::Document;
    /// use carrack_spec::image::{ImageIndex, PlatformMatcher};
    ///
    /// let index = ImageIndex::from_slice(br#"{"schemaVersion":2,"manifests":[
    ///  {"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,
    ///   "digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111",
    ///   "platform":{"architecture":"amd64","os":"linux"}},
    ///  {"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,
    ///   "digest":"sha256:3333333333333333333333333333333333333333333333333333333333333333",
    ///   "platform":{"architecture":"amd64","os":"linux","variant":"v3"}}]}"#)?;
    /// let best = "linux/amd64/v3".parse::<PlatformMatcher>().expect("platform").select(&index.manifests);
    /// assert!(best.unwrap().digest.to_string().starts_with("sha256:3333"));
    /// let base = "linux/amd64".parse::<PlatformMatcher>().expect("platform").select(&index.manifests);
    /// assert!(base.unwrap().digest.to_string().starts_with("sha256:1111"));
    /// # Ok::<(), carrack_spec::ParseError>(())
    /// ```
    pub fn select<'a>(&self, entries: &'a [Descriptor]) -> Option<&'a Descriptor> {
        let mut best: Option<(u32, &Descriptor)> = None;
        for d in entries {
            if !(d.media_type.is_manifest() || d.media_type.is_index()) {
                continue;
            }
            let Some(rank) = d.platform.as_ref().and_then(|p| self.rank(p)) else {
                continue;
            };
            if best.is_none_or(|(r, _)| rank < r) {
                best = Some((rank, d));
            }
        }
        best.map(|(_, d)| d)
    }
}

impl FromStr for PlatformMatcher {
    type Err = PlatformParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for PlatformMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.os)?;
        if let Some(v) = &self.os_version {
            write!(f, "({v})")?;
        }
        write!(f, "/{}", self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Platform {
    /// `os[(os.version)]/architecture[/variant]`, the form `--platform` takes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.os)?;
        if let Some(v) = &self.os_version {
            write!(f, "({v})")?;
        }
        write!(f, "/{}", self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

fn split_os_version(part: &str) -> (&str, Option<String>) {
    match part.split_once('(') {
        Some((os, rest)) => (os, Some(rest.trim_end_matches(')').to_owned())),
        None => (part, None),
    }
}

fn parse_os(name: &str) -> Option<Os> {
    let name = if name == "macos" { "darwin" } else { name };
    let os = Os::from(name);
    (os.is_known() || MORE_OS.contains(&name)).then_some(os)
}

/// The GOARCH an architecture name stands for, and the variant a distribution's name implies.
fn parse_arch(name: &str) -> Option<(&'static str, Option<&'static str>)> {
    Some(match name {
        "x86_64" | "x86-64" | "amd64" => ("amd64", None),
        "aarch64" | "arm64" => ("arm64", None),
        "armhf" => ("arm", Some("v7")),
        "armel" => ("arm", Some("v6")),
        "i386" | "i686" | "x86" | "386" => ("386", None),
        "powerpc64le" => ("ppc64le", None),
        other => {
            return Arch::KNOWN
                .iter()
                .chain(MORE_ARCH)
                .find(|k| **k == other)
                .map(|k| (*k, None));
        }
    })
}

/// An architecture with aliases resolved and its variant in canonical form (`None` for the
/// baseline of an architecture with a variant ladder).
fn normalize_arch(arch: &str, variant: Option<&str>) -> (Arch, Option<String>) {
    let (name, implied) = parse_arch(arch).unwrap_or((arch, None));
    let arch = Arch::from(name);
    let variant = variant.or(implied).filter(|v| !v.is_empty());
    let canonical = match (&arch, variant) {
        (Arch::Amd64 | Arch::Arm64 | Arch::Arm, None) => None,
        (Arch::Amd64 | Arch::Arm64 | Arch::Arm, Some(v)) => {
            let v = if v.starts_with('v') {
                v.to_owned()
            } else {
                format!("v{v}")
            };
            // Every trailing ".0" goes (`8.0` and `8.0.0` are `v8`), so printing and parsing
            // again gives the same variant.
            let mut v = v.as_str();
            while let Some(shorter) = v.strip_suffix(".0") {
                v = shorter;
            }
            let v = v.to_owned();
            // The baseline is no variant at all.
            match (&arch, v.as_str()) {
                (Arch::Amd64, "v1") | (Arch::Arm64, "v8") | (Arch::Arm, "v7") => None,
                _ => Some(v),
            }
        }
        (_, v) => v.map(str::to_owned),
    };
    (arch, canonical)
}

/// What the variants of an architecture with a ladder look like.
fn scheme(arch: &Arch) -> Option<&'static str> {
    match arch {
        Arch::Amd64 => Some("v1, v2, v3 or v4"),
        Arch::Arm64 => Some("v8, v8.1 … v8.9, v9, v9.1 …"),
        Arch::Arm => Some("v5, v6, v7 or v8"),
        _ => None,
    }
}

/// A variant's place on its architecture's ladder (`None` for a variant off the ladder).
fn level(arch: &Arch, variant: &str) -> Option<u32> {
    let number = variant.strip_prefix('v').unwrap_or(variant);
    match arch {
        Arch::Amd64 => number.parse().ok().filter(|n| (1..=4).contains(n)),
        Arch::Arm => number.parse().ok().filter(|n| (5..=8).contains(n)),
        Arch::Arm64 => {
            let (major, minor) = number.split_once('.').unwrap_or((number, "0"));
            let (major, minor): (u32, u32) = (major.parse().ok()?, minor.parse().ok()?);
            // Armv9.N includes Armv8.(N+5), as containerd's platform vector orders them.
            match major {
                8 if minor <= 9 => Some(minor),
                9 if minor <= 9 => Some(minor + 5),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Where `None` stands for the baseline, its level.
fn level_or_base(arch: &Arch, variant: Option<&String>) -> Option<u32> {
    match variant {
        Some(v) => level(arch, v),
        None => match arch {
            Arch::Amd64 => Some(1),
            Arch::Arm => Some(7),
            Arch::Arm64 => Some(0),
            _ => None,
        },
    }
}

fn same_os_version(os: &Os, want: &str, have: &str) -> bool {
    if *os == Os::Windows {
        let build = |v: &str| v.split('.').take(3).collect::<Vec<_>>().join(".");
        build(want) == build(have)
    } else {
        want == have
    }
}

/// The host CPU's variant, for the architectures whose variant a program can detect itself.
fn host_variant(arch: &Arch) -> Option<String> {
    #[cfg(target_arch = "x86_64")]
    if *arch == Arch::Amd64 {
        return x86_64_level();
    }
    let _ = arch;
    None
}

/// The x86-64 microarchitecture level (psABI x86-64-v2/v3/v4) this CPU supports.
#[cfg(target_arch = "x86_64")]
fn x86_64_level() -> Option<String> {
    use std::arch::is_x86_feature_detected as has;
    let v2 = has!("cmpxchg16b")
        && has!("popcnt")
        && has!("sse3")
        && has!("ssse3")
        && has!("sse4.1")
        && has!("sse4.2");
    let v3 = v2
        && has!("avx")
        && has!("avx2")
        && has!("bmi1")
        && has!("bmi2")
        && has!("f16c")
        && has!("fma")
        && has!("lzcnt")
        && has!("movbe")
        && has!("xsave");
    let v4 = v3
        && has!("avx512f")
        && has!("avx512bw")
        && has!("avx512cd")
        && has!("avx512dq")
        && has!("avx512vl");
    match (v2, v3, v4) {
        (_, _, true) => Some("v4".into()),
        (_, true, _) => Some("v3".into()),
        (true, ..) => Some("v2".into()),
        _ => None,
    }
}
