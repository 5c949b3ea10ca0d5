//! Reachability, garbage collection, fsck and referrers.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::SystemTime;

use carrack_spec::Document;
use carrack_spec::image::{
    Descriptor, Digest, ImageConfiguration, ImageIndex, ImageManifest, MediaType,
};

use crate::error::Result;
use crate::index::MAX_DOCUMENT_SIZE;
use crate::layout::Layout;
use crate::report::{GcOptions, GcReport, Problem};

/// A reachable blob with the descriptor it was reached by.
struct Edge {
    desc: Descriptor,
    via: String,
}

impl Layout {
    /// Every blob reachable from `index.json` through indexes, manifests, configs, layers and
    /// subjects, with the descriptor that reached it, and the problems met on the way.
    fn reach(&self, verify: bool) -> Result<(BTreeMap<Digest, Descriptor>, Vec<Problem>)> {
        let mut problems = Vec::new();
        let index = self.index()?;
        let report = index.validate();
        for f in report.musts() {
            problems.push(Problem {
                path: "index.json".into(),
                via: f.pointer.clone(),
                message: f.to_string(),
            });
        }
        let mut queue: VecDeque<Edge> = index
            .manifests
            .iter()
            .enumerate()
            .map(|(i, d)| Edge {
                desc: d.clone(),
                via: format!("index.json#/manifests/{i}"),
            })
            .collect();
        let mut seen: BTreeMap<Digest, Descriptor> = BTreeMap::new();
        let mut deferred: Vec<Edge> = Vec::new();
        while let Some(Edge { desc, via }) = queue.pop_front() {
            if seen.contains_key(&desc.digest) {
                continue;
            }
            seen.insert(desc.digest.clone(), desc.clone());
            let path = Layout::blob_path(&desc.digest);
            let problem = |message: String| Problem::new(path.clone(), via.clone(), message);
            let is_doc = desc.media_type.is_index()
                || desc.media_type.is_manifest()
                || matches!(
                    desc.media_type,
                    MediaType::ImageConfig | MediaType::DockerConfig
                );
            if !is_doc {
                // Layers and other opaque blobs are hashed afterwards, in parallel.
                if verify {
                    deferred.push(Edge {
                        desc: desc.clone(),
                        via: via.clone(),
                    });
                }
                continue;
            }
            if let Err(e) = self.verify(&desc) {
                problems.push(problem(e.to_string()));
                continue;
            }
            let mut children = |list: Vec<(String, Descriptor)>| {
                for (pointer, d) in list {
                    queue.push_back(Edge {
                        desc: d,
                        via: format!("{}#{pointer}", desc.digest),
                    });
                }
            };
            if desc.media_type.is_index() {
                match self.read_document::<ImageIndex>(&desc) {
                    Ok(ix) => {
                        for f in ix.validate().musts() {
                            problems.push(problem(f.to_string()));
                        }
                        let mut list: Vec<(String, Descriptor)> = ix
                            .manifests
                            .into_iter()
                            .enumerate()
                            .map(|(i, d)| (format!("/manifests/{i}"), d))
                            .collect();
                        list.extend(ix.subject.map(|s| ("/subject".to_owned(), s)));
                        children(list);
                    }
                    Err(e) => problems.push(problem(e.to_string())),
                }
            } else if desc.media_type.is_manifest() {
                match self.read_document::<ImageManifest>(&desc) {
                    Ok(m) => {
                        for f in m.validate().musts() {
                            problems.push(problem(f.to_string()));
                        }
                        if matches!(
                            m.config.media_type,
                            MediaType::ImageConfig | MediaType::DockerConfig
                        ) && let Ok(config) = self.read_document::<ImageConfiguration>(&m.config)
                            && config.rootfs.diff_ids.len() != m.layers.len()
                        {
                            problems.push(problem(format!(
                                "{} layers but the config has {} diff_ids (config.md § rootfs)",
                                m.layers.len(),
                                config.rootfs.diff_ids.len()
                            )));
                        }
                        let mut list = vec![("/config".to_owned(), m.config)];
                        list.extend(
                            m.layers
                                .into_iter()
                                .enumerate()
                                .map(|(i, d)| (format!("/layers/{i}"), d)),
                        );
                        list.extend(m.subject.map(|s| ("/subject".to_owned(), s)));
                        children(list);
                    }
                    Err(e) => problems.push(problem(e.to_string())),
                }
            } else if matches!(
                desc.media_type,
                MediaType::ImageConfig | MediaType::DockerConfig
            ) {
                match self.read_document::<ImageConfiguration>(&desc) {
                    Ok(c) => {
                        for f in c.validate().musts() {
                            problems.push(problem(f.to_string()));
                        }
                    }
                    Err(e) => problems.push(problem(e.to_string())),
                }
            }
        }
        problems.extend(self.verify_parallel(deferred));
        Ok((seen, problems))
    }

    /// Verifies blobs on every available core; the problems come back in input order.
    fn verify_parallel(&self, edges: Vec<Edge>) -> Vec<Problem> {
        let workers = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(edges.len().max(1));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results: Vec<std::sync::Mutex<Option<Problem>>> =
            edges.iter().map(|_| std::sync::Mutex::new(None)).collect();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(edge) = edges.get(i) else { break };
                        if let Err(e) = self.verify(&edge.desc)
                            && let Ok(mut slot) = results[i].lock()
                        {
                            *slot = Some(Problem::new(
                                Layout::blob_path(&edge.desc.digest),
                                edge.via.clone(),
                                e.to_string(),
                            ));
                        }
                    }
                });
            }
        });
        results
            .into_iter()
            .filter_map(|m| m.into_inner().ok().flatten())
            .collect()
    }

    /// Checks the whole layout and reports every problem, not just the first: `oci-layout` and
    /// `index.json`, every reachable blob's existence, size and digest, every manifest, index and
    /// configuration parsed and validated, and blob file names.
    pub fn fsck(&self) -> Result<Vec<Problem>> {
        let (_, mut problems) = self.reach(true)?;
        let (_, bad_names) = self.list_blobs()?;
        for name in bad_names {
            problems.push(Problem {
                path: name,
                via: "blobs/".into(),
                message: "not a valid <alg>/<encoded> name (image-layout.md § Blobs)".into(),
            });
        }
        Ok(problems)
    }

    /// The manifests (and indexes) stored in the layout whose `subject` is `digest`, as
    /// descriptors carrying their `artifactType` (image-spec 1.1 referrers).
    pub fn referrers(&self, digest: &Digest) -> Result<Vec<Descriptor>> {
        let (blobs, _) = self.list_blobs()?;
        let mut out = Vec::new();
        for d in blobs {
            if let Some((desc, subject)) = self.subject_of(&d)?
                && &subject == digest
            {
                out.push(desc);
            }
        }
        Ok(out)
    }

    /// If the blob is a manifest or index with a subject: its descriptor and the subject.
    fn subject_of(&self, digest: &Digest) -> Result<Option<(Descriptor, Digest)>> {
        let Some(size) = self.blob_size(digest)? else {
            return Ok(None);
        };
        if size > MAX_DOCUMENT_SIZE || digest.registered().is_none() {
            return Ok(None);
        }
        let probe = Descriptor::new(
            MediaType::ImageManifest,
            digest.clone(),
            i64::try_from(size).unwrap_or(0),
        );
        let Ok(bytes) = self.read_blob(&probe) else {
            return Ok(None);
        };
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            return Ok(None);
        };
        if value.get("subject").is_none() {
            return Ok(None);
        }
        let (media_type, artifact, subject) = if value.get("manifests").is_some() {
            match ImageIndex::from_value(value) {
                Ok(ix) => (MediaType::ImageIndex, ix.artifact_type, ix.subject),
                Err(_) => return Ok(None),
            }
        } else {
            match ImageManifest::from_value(value) {
                Ok(m) => (
                    MediaType::ImageManifest,
                    m.artifact_type.or(Some(m.config.media_type)),
                    m.subject,
                ),
                Err(_) => return Ok(None),
            }
        };
        let Some(subject) = subject else {
            return Ok(None);
        };
        let mut desc = Descriptor::new(media_type, digest.clone(), probe.size);
        desc.artifact_type = artifact;
        Ok(Some((desc, subject.digest)))
    }

    /// Removes blobs that nothing reachable from `index.json` refers to (referrers of reachable
    /// manifests are reachable). Waits for running blob writers, holds the index lock, and keeps
    /// blobs younger than the grace period.
    pub fn gc(&self, opts: &GcOptions) -> Result<GcReport> {
        let _writers = self.lock_writers_exclusive()?;
        let _index = self.lock_index()?;
        let (mut reachable, _) = self.reach(false)?;
        let (blobs, _) = self.list_blobs()?;
        // Referrers keep themselves and their children alive: iterate to a fixed point.
        loop {
            let mut added = false;
            for d in &blobs {
                if reachable.contains_key(d) {
                    continue;
                }
                if let Some((desc, subject)) = self.subject_of(d)?
                    && reachable.contains_key(&subject)
                {
                    let sub = crate::walk::single(self, desc)?;
                    for (k, v) in sub {
                        reachable.entry(k).or_insert(v);
                    }
                    added = true;
                }
            }
            if !added {
                break;
            }
        }
        let now = SystemTime::now();
        let mut report = GcReport::default();
        for d in blobs {
            if reachable.contains_key(&d) {
                continue;
            }
            let young = self
                .blob_mtime(&d)?
                .is_some_and(|t| now.duration_since(t).unwrap_or_default() < opts.grace);
            if young {
                report.kept_young.push(d);
                continue;
            }
            report.bytes += self.blob_size(&d)?.unwrap_or(0);
            if !opts.dry_run {
                self.remove_blob(&d)?;
            }
            report.removed.push(d);
        }
        Ok(report)
    }
}

/// Everything reachable from one descriptor.
pub(crate) fn single(layout: &Layout, root: Descriptor) -> Result<BTreeMap<Digest, Descriptor>> {
    let mut out = BTreeMap::new();
    let mut queue = vec![root];
    let mut seen = BTreeSet::new();
    while let Some(d) = queue.pop() {
        if !seen.insert(d.digest.clone()) {
            continue;
        }
        if d.media_type.is_index() {
            if let Ok(ix) = layout.read_document::<ImageIndex>(&d) {
                queue.extend(ix.manifests);
            }
        } else if d.media_type.is_manifest()
            && let Ok(m) = layout.read_document::<ImageManifest>(&d)
        {
            queue.push(m.config);
            queue.extend(m.layers);
        }
        out.insert(d.digest.clone(), d);
    }
    Ok(out)
}
