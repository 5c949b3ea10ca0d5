//! Resolving a reference (tag or digest) to one image manifest, through nested indexes, by
//! platform (image-index.md: the first matching entry is used).

use std::collections::HashSet;

use carrack_spec::image::{
    Arch, Descriptor, Digest, ImageIndex, ImageManifest, MediaType, Os, Platform,
};

use crate::error::{Error, Result};
use crate::layout::{Layout, tag_of};
use crate::reference::Match;

/// Which platform to choose from an index.
///
/// ```
/// use carrack_image::PlatformMatcher;
/// use carrack_spec::image::{Arch, Os, Platform};
///
/// let want = PlatformMatcher::parse("linux/arm64");
/// let mut p = Platform::new(Arch::Arm64, Os::Linux);
/// assert!(want.matches(&p));          // no variant means v8 for arm64
/// p.variant = Some("v8".into());
/// assert!(want.matches(&p));
/// assert!(!PlatformMatcher::parse("linux/arm/v6").matches(&Platform::new(Arch::Arm, Os::Linux)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformMatcher {
    /// Operating system (GOOS).
    pub os: Os,
    /// Architecture (GOARCH).
    pub architecture: Arch,
    /// CPU variant; `None` accepts any.
    pub variant: Option<String>,
    /// Required `os.version`, if any.
    pub os_version: Option<String>,
    /// OS features the host has; an entry requiring others does not match.
    pub os_features: Vec<String>,
}

impl PlatformMatcher {
    /// The platform this program runs on.
    pub fn host() -> Self {
        let architecture = normalize_arch(std::env::consts::ARCH).0;
        let os = match std::env::consts::OS {
            "macos" => Os::Darwin,
            other => Os::from(other),
        };
        let variant = match architecture {
            Arch::Arm64 => Some("v8".to_owned()),
            _ => None,
        };
        Self {
            os,
            architecture,
            variant,
            os_version: None,
            os_features: Vec::new(),
        }
    }

    /// Parses `os/arch[/variant]` (also `os/arch/variant` with aliases such as `x86_64`,
    /// `aarch64`, `armhf`).
    pub fn parse(text: &str) -> Self {
        let mut parts = text.split('/');
        let os = Os::from(parts.next().unwrap_or_default());
        let (architecture, implied) = normalize_arch(parts.next().unwrap_or_default());
        let variant = parts.next().map(str::to_owned).or(implied);
        let variant = variant.map(|v| normalize_variant(&architecture, Some(&v)));
        Self {
            os,
            architecture,
            variant,
            os_version: None,
            os_features: Vec::new(),
        }
    }

    /// Whether `p` is acceptable.
    pub fn matches(&self, p: &Platform) -> bool {
        let (arch, implied) = normalize_arch(p.architecture.as_str());
        if p.os != self.os || arch != self.architecture {
            return false;
        }
        if let Some(want) = &self.variant {
            let have = normalize_variant(&arch, p.variant.as_deref().or(implied.as_deref()));
            if &have != want {
                return false;
            }
        }
        if let (Some(want), Some(have)) = (&self.os_version, &p.os_version)
            && want != have
        {
            return false;
        }
        p.os_features
            .iter()
            .flatten()
            .all(|f| self.os_features.contains(f))
    }
}

impl std::fmt::Display for PlatformMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

fn normalize_arch(arch: &str) -> (Arch, Option<String>) {
    match arch {
        "x86_64" | "x86-64" | "amd64" => (Arch::Amd64, None),
        "aarch64" | "arm64" => (Arch::Arm64, None),
        "armhf" => (Arch::Arm, Some("v7".into())),
        "armel" => (Arch::Arm, Some("v6".into())),
        "i386" | "i686" | "x86" | "386" => (Arch::I386, None),
        "powerpc64le" => (Arch::Ppc64le, None),
        other => (Arch::from(other), None),
    }
}

fn normalize_variant(arch: &Arch, variant: Option<&str>) -> String {
    match (arch, variant) {
        (Arch::Arm64, None | Some("8" | "v8.0")) => "v8".into(),
        (Arch::Arm, None) => "v7".into(),
        (Arch::Arm, Some(v)) if !v.starts_with('v') => format!("v{v}"),
        (Arch::Amd64, None) => "v1".into(),
        (_, v) => v.unwrap_or_default().to_owned(),
    }
}

/// What a reference resolved to.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The descriptor of the image manifest.
    pub descriptor: Descriptor,
    /// The manifest.
    pub manifest: ImageManifest,
}

fn describe(d: &Descriptor) -> String {
    match &d.platform {
        Some(p) => {
            let v = p
                .variant
                .as_deref()
                .map(|v| format!("/{v}"))
                .unwrap_or_default();
            format!("{} ({}/{}{v})", d.digest, p.os, p.architecture)
        }
        None => format!("{} ({})", d.digest, tag_of(d).unwrap_or("no platform")),
    }
}

impl Layout {
    /// Resolves `reference` — a tag, a Docker name or a digest, found by
    /// [`lookup`](Self::lookup) — to one image manifest for `platform`.
    pub fn resolve(&self, reference: &str, platform: &PlatformMatcher) -> Result<Resolved> {
        let d = self.lookup(reference)?;
        self.descend(reference, d, platform, &mut HashSet::new(), 0)
    }

    /// Resolves what [`find`](Self::find) found to one image manifest for `platform`.
    pub fn resolve_match(&self, found: &Match, platform: &PlatformMatcher) -> Result<Resolved> {
        let reference = found
            .names
            .first()
            .map_or_else(|| found.descriptor.digest.to_string(), Clone::clone);
        self.descend(
            &reference,
            found.descriptor.clone(),
            platform,
            &mut HashSet::new(),
            0,
        )
    }

    /// A descriptor for a blob found by digest alone: its media type read from the content.
    pub(crate) fn describe_blob(&self, digest: &Digest) -> Result<Descriptor> {
        let size = self.blob_size(digest)?.ok_or_else(|| Error::Missing {
            digest: digest.clone(),
        })?;
        let probe = Descriptor::new(
            MediaType::ImageManifest,
            digest.clone(),
            i64::try_from(size).unwrap_or(i64::MAX),
        );
        let bytes = self.read_blob(&probe)?;
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| Error::NotFound {
                reference: digest.to_string(),
                reason: format!("the blob is not a JSON manifest or index: {e}"),
            })?;
        let media_type = match value.get("mediaType").and_then(serde_json::Value::as_str) {
            Some(m) => MediaType::from(m),
            None if value.get("manifests").is_some() => MediaType::ImageIndex,
            None => MediaType::ImageManifest,
        };
        Ok(Descriptor::new(media_type, digest.clone(), probe.size))
    }

    fn descend(
        &self,
        reference: &str,
        desc: Descriptor,
        platform: &PlatformMatcher,
        seen: &mut HashSet<Digest>,
        depth: usize,
    ) -> Result<Resolved> {
        if depth > 16 || !seen.insert(desc.digest.clone()) {
            return Err(Error::TooDeep(desc.digest));
        }
        if desc.media_type.is_index() {
            let index: ImageIndex = self.read_document(&desc)?;
            let chosen = choose(reference, &index.manifests, platform)?;
            return self.descend(reference, chosen, platform, seen, depth + 1);
        }
        if !desc.media_type.is_manifest() {
            return Err(Error::NotFound {
                reference: reference.to_owned(),
                reason: format!(
                    "{} is a {}, not an image manifest or index",
                    desc.digest, desc.media_type
                ),
            });
        }
        let manifest: ImageManifest = self.read_document(&desc)?;
        Ok(Resolved {
            descriptor: desc,
            manifest,
        })
    }
}

/// The first entry matching `platform`; entries without a platform only when nothing matches
/// and there is exactly one of them.
fn choose(
    reference: &str,
    entries: &[Descriptor],
    platform: &PlatformMatcher,
) -> Result<Descriptor> {
    let usable = |d: &&Descriptor| d.media_type.is_manifest() || d.media_type.is_index();
    if let Some(d) = entries
        .iter()
        .filter(usable)
        .find(|d| d.platform.as_ref().is_some_and(|p| platform.matches(p)))
    {
        return Ok(d.clone());
    }
    let unplatformed: Vec<&Descriptor> = entries
        .iter()
        .filter(usable)
        .filter(|d| d.platform.is_none())
        .collect();
    match unplatformed.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Error::NotFound {
            reference: reference.to_owned(),
            reason: format!(
                "no manifest for platform {platform}; available: {}",
                entries.iter().map(describe).collect::<Vec<_>>().join(", ")
            ),
        }),
        many => Err(Error::Ambiguous {
            reference: reference.to_owned(),
            candidates: many.iter().map(|d| describe(d)).collect(),
        }),
    }
}
