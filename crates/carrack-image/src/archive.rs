//! Archives: oci-archive (a tar of a layout) in both directions, and `docker save` archives
//! (the legacy `manifest.json` + `repositories` form and the Docker 25+ form with an OCI layout
//! inside), converted to OCI.
//!
//! Archive entries never name a file carrack creates: blobs are stored under the digest of
//! their content, and an entry whose content does not match its `blobs/<alg>/<encoded>` name is
//! an error. Links, devices and unexpected names are skipped.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use carrack_spec::Document;
use carrack_spec::image::{
    Algorithm, Descriptor, Digest, ImageConfiguration, ImageIndex, ImageLayout, ImageManifest,
    MediaType, Platform, annotations,
};

use crate::error::{Error, Result};
use crate::index::{MAX_DOCUMENT_SIZE, tag_of};
use crate::layout::Layout;
use crate::report::ImportReport;

fn tar_err(what: &str, e: io::Error) -> Error {
    Error::Io {
        path: what.into(),
        source: e,
    }
}

fn entry_path<R: Read>(entry: &tar::Entry<'_, R>) -> Option<String> {
    let p = entry.path().ok()?;
    let s = p.to_str()?.trim_start_matches("./").to_owned();
    Some(s)
}

fn read_capped(mut r: impl Read, what: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    (&mut r)
        .take(MAX_DOCUMENT_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| tar_err(what, e))?;
    if bytes.len() as u64 > MAX_DOCUMENT_SIZE {
        return Err(Error::io(
            what,
            io::Error::other(format!("larger than {MAX_DOCUMENT_SIZE} bytes")),
        ));
    }
    Ok(bytes)
}

impl Layout {
    /// Stores `reader`'s bytes as a blob that must have `expected` digest.
    fn store_expecting(&self, mut reader: impl Read, expected: &Digest, what: &str) -> Result<u64> {
        let alg = match expected.registered() {
            Some(a @ (Algorithm::Sha256 | Algorithm::Sha512)) => a,
            _ => return Err(Error::Unsupported(expected.clone())),
        };
        let mut w = self.blob_writer(alg)?;
        io::copy(&mut reader, &mut w).map_err(|e| tar_err(what, e))?;
        let size = w.finish_expecting(expected)?;
        Ok(size)
    }

    /// Imports an oci-archive: every `blobs/<alg>/<encoded>` entry is stored after checking its
    /// content against its name; once the archive's `index.json` closure is complete, its entries
    /// are merged into this layout's `index.json` (a tag already here is replaced).
    pub fn import_oci_archive(&self, archive: impl Read) -> Result<ImportReport> {
        let mut report = ImportReport::default();
        let mut index: Option<ImageIndex> = None;
        let mut tar = tar::Archive::new(archive);
        for entry in tar.entries().map_err(|e| tar_err("archive", e))? {
            let entry = entry.map_err(|e| tar_err("archive", e))?;
            let Some(path) = entry_path(&entry) else {
                continue;
            };
            if entry.header().entry_type() != tar::EntryType::Regular {
                continue;
            }
            match path.as_str() {
                "oci-layout" => {
                    let v = ImageLayout::from_slice(&read_capped(entry, "oci-layout")?).map_err(
                        |source| Error::Parse {
                            path: "archive:oci-layout".into(),
                            source,
                        },
                    )?;
                    if v.image_layout_version != carrack_spec::image::LAYOUT_VERSION {
                        return Err(Error::Version {
                            path: "archive".into(),
                            found: v.image_layout_version.into_string(),
                        });
                    }
                }
                "index.json" => {
                    let bytes = read_capped(entry, "archive:index.json")?;
                    index =
                        Some(
                            ImageIndex::from_slice(&bytes).map_err(|source| Error::Parse {
                                path: "archive:index.json".into(),
                                source,
                            })?,
                        );
                }
                p => {
                    let Some(rest) = p.strip_prefix("blobs/") else {
                        continue;
                    };
                    let Some((alg, enc)) = rest.split_once('/') else {
                        continue;
                    };
                    let digest: Digest =
                        format!("{alg}:{enc}")
                            .parse()
                            .map_err(|_| Error::NotALayout {
                                path: format!("archive:{p}").into(),
                                reason: "blob name is not a valid digest (image-layout.md § Blobs)"
                                    .into(),
                            })?;
                    report.bytes +=
                        self.store_expecting(entry, &digest, &format!("archive:{p}"))?;
                    report.blobs += 1;
                }
            }
        }
        let index = index.ok_or_else(|| Error::NotALayout {
            path: "archive".into(),
            reason: "no index.json".into(),
        })?;
        self.adopt(index.manifests, &mut report)?;
        Ok(report)
    }

    /// Checks that every blob reachable from `entries` is stored, then merges them into
    /// `index.json`.
    fn adopt(&self, entries: Vec<Descriptor>, report: &mut ImportReport) -> Result<()> {
        for d in &entries {
            for (digest, desc) in crate::walk::single(self, d.clone())? {
                self.verify(&desc).map_err(|e| match e {
                    Error::Missing { .. } => Error::Missing { digest },
                    other => other,
                })?;
            }
        }
        self.update_index(|ix| {
            for d in &entries {
                match tag_of(d) {
                    Some(t) => ix.manifests.retain(|e| tag_of(e) != Some(t)),
                    None => ix
                        .manifests
                        .retain(|e| !(e.digest == d.digest && tag_of(e).is_none())),
                }
                ix.manifests.push(d.clone());
            }
            Ok(())
        })?;
        report.entries = entries;
        Ok(())
    }

    /// Writes an oci-archive of the entries `references` name (tags or digests; all of
    /// `index.json` when empty) and everything they reach. Entries are in a fixed order with
    /// zeroed owners and times, so the same content gives the same bytes.
    pub fn export_oci_archive(&self, references: &[&str], out: impl Write) -> Result<()> {
        let entries: Vec<Descriptor> = if references.is_empty() {
            self.index()?.manifests
        } else {
            references
                .iter()
                .map(|r| self.lookup(r))
                .collect::<Result<_>>()?
        };
        let mut blobs: BTreeMap<Digest, Descriptor> = BTreeMap::new();
        for d in &entries {
            blobs.extend(crate::walk::single(self, d.clone())?);
        }
        let mut tar = tar::Builder::new(out);
        let mut add = |path: &str, size: u64, data: &mut dyn Read| -> Result<()> {
            let mut h = tar::Header::new_ustar();
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(size);
            h.set_mode(0o644);
            h.set_mtime(0);
            h.set_uid(0);
            h.set_gid(0);
            tar.append_data(&mut h, path, data)
                .map_err(|e| tar_err(path, e))
        };
        let layout = ImageLayout::new().to_vec();
        add("oci-layout", layout.len() as u64, &mut &layout[..])?;
        let mut index = ImageIndex::new(entries);
        index.media_type = Some(MediaType::ImageIndex);
        let index = index.to_vec();
        add("index.json", index.len() as u64, &mut &index[..])?;
        for (digest, desc) in &blobs {
            let size = u64::try_from(desc.size).map_err(|_| Error::BadSize {
                digest: digest.clone(),
                size: desc.size,
            })?;
            let mut reader = self.open_blob(digest, size)?;
            add(&Layout::blob_path(digest), size, &mut reader)?;
        }
        tar.into_inner()
            .map_err(|e| tar_err("archive", e))?
            .flush()
            .map_err(|e| tar_err("archive", e))
    }

    /// Imports a `docker save` archive (legacy or Docker 25+), converting each image to OCI —
    /// Docker configuration re-written as an OCI configuration (unknown members kept), layers
    /// typed by their content (tar, gzip or zstd), an OCI manifest — and tagging it with its
    /// `RepoTags` (or, lacking those, the `repositories` file's names). An uncompressed layer's
    /// digest must equal its `rootfs.diff_ids` entry.
    pub fn import_docker_archive(&self, path: &Path) -> Result<ImportReport> {
        let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
        // First pass: where each regular file's data is.
        let mut files: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        {
            let mut tar = tar::Archive::new(&mut file);
            for entry in tar.entries().map_err(|e| Error::io(path, e))? {
                let entry = entry.map_err(|e| Error::io(path, e))?;
                if entry.header().entry_type() != tar::EntryType::Regular {
                    continue;
                }
                if let Some(p) = entry_path(&entry) {
                    files.insert(p, (entry.raw_file_position(), entry.size()));
                }
            }
        }
        let open = |name: &str| -> Result<io::Take<File>> {
            let (offset, size) = *files.get(name).ok_or_else(|| Error::NotALayout {
                path: path.join(name),
                reason: "missing from the archive".into(),
            })?;
            let mut f = file.try_clone().map_err(|e| Error::io(path, e))?;
            f.seek(SeekFrom::Start(offset))
                .map_err(|e| Error::io(path, e))?;
            Ok(f.take(size))
        };
        let manifest: serde_json::Value =
            serde_json::from_slice(&read_capped(open("manifest.json")?, "manifest.json")?)
                .map_err(|e| Error::NotALayout {
                    path: path.join("manifest.json"),
                    reason: e.to_string(),
                })?;
        let repositories: Option<serde_json::Value> = match open("repositories") {
            Ok(r) => serde_json::from_slice(&read_capped(r, "repositories")?).ok(),
            Err(_) => None,
        };
        let images = manifest.as_array().ok_or_else(|| Error::NotALayout {
            path: path.join("manifest.json"),
            reason: "not an array".into(),
        })?;
        let mut report = ImportReport::default();
        let mut entries = Vec::new();
        for (i, image) in images.iter().enumerate() {
            let field = |k: &str| image.get(k).and_then(serde_json::Value::as_str);
            let bad = |reason: String| Error::NotALayout {
                path: path.join(format!("manifest.json#/{i}")),
                reason,
            };
            let config_path = field("Config").ok_or_else(|| bad("no Config".into()))?;
            let config_bytes = read_capped(open(config_path)?, config_path)?;
            let config =
                ImageConfiguration::from_slice(&config_bytes).map_err(|source| Error::Parse {
                    path: path.join(config_path),
                    source,
                })?;
            let layer_paths: Vec<&str> = image
                .get("Layers")
                .and_then(|l| l.as_array())
                .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default();
            if layer_paths.len() != config.rootfs.diff_ids.len() {
                return Err(bad(format!(
                    "{} layers but the configuration has {} diff_ids",
                    layer_paths.len(),
                    config.rootfs.diff_ids.len()
                )));
            }
            let mut layers = Vec::new();
            for (j, lp) in layer_paths.iter().enumerate() {
                let mut magic = [0u8; 4];
                let n = open(lp)?
                    .read(&mut magic)
                    .map_err(|e| Error::io(path.join(lp), e))?;
                let media_type = match &magic[..n] {
                    [0x1f, 0x8b, ..] => MediaType::ImageLayerGzip,
                    [0x28, 0xb5, 0x2f, 0xfd] => MediaType::ImageLayerZstd,
                    _ => MediaType::ImageLayer,
                };
                let mut w = self.blob_writer(Algorithm::Sha256)?;
                let size =
                    io::copy(&mut open(lp)?, &mut w).map_err(|e| Error::io(path.join(lp), e))?;
                let (digest, _) = w.finish()?;
                if media_type == MediaType::ImageLayer && digest != config.rootfs.diff_ids[j] {
                    return Err(Error::Digest {
                        expected: config.rootfs.diff_ids[j].clone(),
                        actual: digest,
                    });
                }
                report.blobs += 1;
                report.bytes += size;
                layers.push(Descriptor::new(
                    media_type,
                    digest,
                    i64::try_from(size).unwrap_or(i64::MAX),
                ));
            }
            let config_desc = self.write_document(MediaType::ImageConfig, &config)?;
            let mut platform = Platform::new(config.architecture.clone(), config.os.clone());
            platform.variant = config.variant.clone();
            let manifest_desc = self.write_document(
                MediaType::ImageManifest,
                &ImageManifest::new(config_desc, layers),
            )?;
            report.blobs += 2;
            let mut tags: Vec<String> = image
                .get("RepoTags")
                .and_then(|t| t.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if tags.is_empty()
                && let (Some(repos), Some(top)) = (
                    &repositories,
                    layer_paths.last().and_then(|l| l.split('/').next()),
                )
            {
                for (repo, tagmap) in repos.as_object().into_iter().flatten() {
                    for (tag, id) in tagmap.as_object().into_iter().flatten() {
                        if id.as_str() == Some(top) {
                            tags.push(format!("{repo}:{tag}"));
                        }
                    }
                }
            }
            let mut base = manifest_desc;
            base.platform = Some(platform);
            if tags.is_empty() {
                entries.push(base.clone());
            }
            for t in tags {
                let mut d = base.clone();
                d.annotations = Some(
                    [(annotations::REF_NAME.to_owned(), t)]
                        .into_iter()
                        .collect(),
                );
                entries.push(d);
            }
        }
        self.adopt(entries, &mut report)?;
        Ok(report)
    }
}
