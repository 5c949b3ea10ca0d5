//! Resolving a reference (tag or digest) to one image manifest, through nested indexes, by
//! platform (image-index.md: the first matching entry is used).

use std::collections::HashSet;

use carrack_spec::image::PlatformMatcher;
use carrack_spec::image::{
    Descriptor, Digest, ImageConfiguration, ImageIndex, ImageManifest, MediaType, Platform,
};

use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::reference::Match;
use crate::report::Resolved;

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
        let mut found = Vec::new();
        match self.candidate(reference, desc, platform, seen, depth, &mut found)? {
            Some((_, resolved)) => Ok(resolved),
            None => Err(Error::NoPlatform {
                reference: reference.to_owned(),
                wanted: platform.to_string(),
                available: found,
            }),
        }
    }

    /// The best manifest for `platform` under `desc` with its rank, or `None` (with what the
    /// image has added to `found`).
    ///
    /// A descriptor's `platform` decides; a manifest without one is judged by its image
    /// configuration's `os`, `architecture`, `variant`, `os.version` and `os.features`, and a
    /// manifest whose configuration is no image configuration (an artifact) by nothing.
    fn candidate(
        &self,
        reference: &str,
        desc: Descriptor,
        platform: &PlatformMatcher,
        seen: &mut HashSet<Digest>,
        depth: usize,
        found: &mut Vec<String>,
    ) -> Result<Option<(u32, Resolved)>> {
        if depth > 16 || !seen.insert(desc.digest.clone()) {
            return Err(Error::TooDeep(desc.digest));
        }
        // `seen` holds the path from the top, so that a cycle is caught but an index may list
        // the same manifest twice.
        let digest = desc.digest.clone();
        let result = self.judge(reference, desc, platform, seen, depth, found);
        seen.remove(&digest);
        result
    }

    fn judge(
        &self,
        reference: &str,
        desc: Descriptor,
        platform: &PlatformMatcher,
        seen: &mut HashSet<Digest>,
        depth: usize,
        found: &mut Vec<String>,
    ) -> Result<Option<(u32, Resolved)>> {
        if let Some(p) = &desc.platform
            && platform.rank(p).is_none()
        {
            found.push(format!("{p} ({})", desc.digest));
            return Ok(None);
        }
        if desc.media_type.is_index() {
            let index: ImageIndex = self.read_document(&desc)?;
            return self.choose(reference, &index, platform, seen, depth, found);
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
        let rank = match &desc.platform {
            Some(p) => platform.rank(p),
            None => match self.config_platform(&manifest)? {
                Some(p) => {
                    let rank = platform.rank(&p);
                    if rank.is_none() {
                        found.push(format!("{p} ({}, from its configuration)", desc.digest));
                    }
                    rank
                }
                None => Some(0),
            },
        };
        Ok(rank.map(|rank| {
            (
                rank,
                Resolved {
                    descriptor: desc,
                    manifest,
                },
            )
        }))
    }

    /// The best entry of an index: the best-ranked of those whose `platform` matches (the
    /// first of equals, image-index.md: "If multiple manifests match a client or runtime's
    /// requirements, the first matching entry SHOULD be used"); entries without a platform are
    /// looked into only when none with one matches.
    fn choose(
        &self,
        reference: &str,
        index: &ImageIndex,
        platform: &PlatformMatcher,
        seen: &mut HashSet<Digest>,
        depth: usize,
        found: &mut Vec<String>,
    ) -> Result<Option<(u32, Resolved)>> {
        let usable = |d: &&Descriptor| d.media_type.is_manifest() || d.media_type.is_index();
        let mut ranked: Vec<(u32, &Descriptor)> = index
            .manifests
            .iter()
            .filter(usable)
            .filter_map(|d| Some((platform.rank(d.platform.as_ref()?)?, d)))
            .collect();
        // Stable: equals keep the index's order.
        ranked.sort_by_key(|(rank, _)| *rank);
        for (_, d) in ranked {
            if let Some(best) =
                self.candidate(reference, d.clone(), platform, seen, depth + 1, found)?
            {
                return Ok(Some(best));
            }
        }
        for d in index.manifests.iter().filter(usable) {
            if let Some(p) = &d.platform
                && platform.rank(p).is_none()
            {
                found.push(format!("{p} ({})", d.digest));
            }
        }
        let mut best: Option<(u32, Resolved)> = None;
        for d in index
            .manifests
            .iter()
            .filter(usable)
            .filter(|d| d.platform.is_none())
        {
            if let Some((rank, r)) =
                self.candidate(reference, d.clone(), platform, seen, depth + 1, found)?
                && best.as_ref().is_none_or(|(b, _)| rank < *b)
            {
                best = Some((rank, r));
            }
        }
        Ok(best)
    }

    /// The platform an image manifest's configuration states, if its configuration is an image
    /// configuration.
    fn config_platform(&self, manifest: &ImageManifest) -> Result<Option<Platform>> {
        if manifest.config.media_type.to_oci() != MediaType::ImageConfig {
            return Ok(None);
        }
        let config: ImageConfiguration = self.read_document(&manifest.config)?;
        let mut p = Platform::new(config.architecture, config.os);
        p.variant = config.variant;
        p.os_version = config.os_version;
        p.os_features = config.os_features;
        Ok(Some(p))
    }
}
