//! Reading a layout as it is on disk, for the cases to observe: the two fixed files, every
//! entry under `blobs/` hashed, and everything reachable from `index.json` (indexes, manifests,
//! configurations, every descriptor on the way), read as raw JSON so that a broken document
//! is still seen field by field. Nothing is trusted and nothing is fixed up: a blob whose
//! content does not match its name is still read, and the cases say what is wrong.
//!
//! Files are opened without following symlinks; a symlink is reported as what it is.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use carrack_image::MAX_DOCUMENT_SIZE;
use carrack_spec::image::Digest;
use serde::Serialize;
use serde_json::Value;
use sha2::Digest as _;

/// One of the layout's fixed files (`oci-layout`, `index.json`) or its `blobs` directory.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// Not there.
    Missing,
    /// There, but not a regular file (or, for `blobs`, not a directory): what it is.
    Other(&'static str),
    /// A directory.
    Dir,
    /// A regular file's bytes (documents are read up to [`MAX_DOCUMENT_SIZE`]).
    File(Vec<u8>),
    /// Could not be read.
    Error(String),
}

impl Node {
    /// What the node is, in a word.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Other(k) => k,
            Self::Dir => "directory",
            Self::File(_) => "file",
            Self::Error(_) => "unreadable",
        }
    }
}

/// One entry under `blobs/`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Blob {
    /// Its path under `blobs/`: `<alg>/<encoded>`, or a single name for an entry directly in
    /// `blobs/`.
    pub name: String,
    /// `file`, `directory`, `symlink` or `other`.
    pub kind: &'static str,
    /// Its length, for a file.
    pub size: u64,
    /// The digest of its content with the algorithm its directory names, when that is one
    /// this suite computes (sha256, sha512).
    pub actual: Option<String>,
    /// Why it could not be hashed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What a descriptor is to the document that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Role {
    /// An entry of an index's `manifests`.
    Entry,
    /// A manifest's `config`.
    Config,
    /// One of a manifest's `layers`.
    Layer,
    /// The `subject` of a manifest or an index (a weak reference: its target may be absent).
    Subject,
}

/// A descriptor reachable from `index.json`, where it was found.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Ref {
    /// `DOC#/pointer`, DOC being `index.json` or a short digest.
    pub at: String,
    /// What it is to its document.
    pub role: Role,
    /// The descriptor as written.
    pub desc: Value,
}

/// What kind of document a reachable blob was read as (from the descriptor's media type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Kind {
    /// An image index (`index.json` or a nested index).
    Index,
    /// An image manifest.
    Manifest,
    /// An image configuration.
    Config,
}

/// A document reachable from `index.json`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Doc {
    /// `index.json` or the blob's short digest.
    pub at: String,
    /// The blob's digest (none for `index.json`).
    pub digest: Option<String>,
    /// What it was read as.
    pub kind: Kind,
    /// Its JSON, or why it is not JSON.
    pub json: Result<Value, String>,
}

/// An image manifest reachable from `index.json` and what it names.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Image {
    /// The manifest's short digest.
    pub manifest: String,
    /// The config descriptor's media type.
    pub config_type: Option<String>,
    /// The configuration's JSON (when the config is an image configuration that could be
    /// read), or why it could not be read as JSON.
    pub config: Option<Result<Value, String>>,
    /// The layer descriptors, in order.
    pub layers: Vec<Value>,
}

/// Everything the cases read of a layout, but the layers' contents.
#[derive(Debug, Clone)]
pub(crate) struct Scan {
    /// `oci-layout`.
    pub oci_layout: Node,
    /// `index.json`.
    pub index: Node,
    /// `blobs`.
    pub blobs_dir: Node,
    /// Every entry under `blobs/`, sorted by name.
    pub blobs: Vec<Blob>,
    /// Every document reachable from `index.json` (itself first), each once.
    pub docs: Vec<Doc>,
    /// Every descriptor reachable from `index.json`, in walk order.
    pub refs: Vec<Ref>,
    /// Every image manifest reachable, each once.
    pub images: Vec<Image>,
    by_name: BTreeMap<String, usize>,
}

/// `sha256:0123456789ab`: a digest short enough for a report line.
pub(crate) fn short(digest: &str) -> String {
    match digest.split_once(':') {
        Some((alg, enc)) if enc.len() > 12 => format!("{alg}:{}", &enc[..12]),
        _ => digest.to_owned(),
    }
}

fn open_nofollow(path: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(path)
}

fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_file() {
        "file"
    } else if t.is_dir() {
        "directory"
    } else if t.is_symlink() {
        "symlink"
    } else {
        "other"
    }
}

/// Reads a document-sized regular file without following a symlink.
pub(super) fn read_small(path: &Path) -> Node {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Node::Missing,
        Err(e) => return Node::Error(e.to_string()),
    };
    if !meta.file_type().is_file() {
        return Node::Other(kind_of(&meta));
    }
    let mut bytes = Vec::new();
    match open_nofollow(path).and_then(|f| f.take(MAX_DOCUMENT_SIZE + 1).read_to_end(&mut bytes)) {
        Ok(_) if bytes.len() as u64 > MAX_DOCUMENT_SIZE => {
            Node::Error(format!("larger than {MAX_DOCUMENT_SIZE} bytes"))
        }
        Ok(_) => Node::File(bytes),
        Err(e) => Node::Error(e.to_string()),
    }
}

/// The digest of `path`'s content with `alg`, streaming; `None` for an algorithm not computed
/// here.
fn hash_file(path: &Path, alg: &str) -> io::Result<Option<String>> {
    enum H {
        S256(sha2::Sha256),
        S512(sha2::Sha512),
    }
    let mut h = match alg {
        "sha256" => H::S256(sha2::Sha256::new()),
        "sha512" => H::S512(sha2::Sha512::new()),
        _ => return Ok(None),
    };
    let mut f = open_nofollow(path)?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        match &mut h {
            H::S256(s) => s.update(&buf[..n]),
            H::S512(s) => s.update(&buf[..n]),
        }
    }
    Ok(Some(match h {
        H::S256(s) => Digest::from_hash("sha256", &s.finalize())
            .as_str()
            .to_owned(),
        H::S512(s) => Digest::from_hash("sha512", &s.finalize())
            .as_str()
            .to_owned(),
    }))
}

fn list(dir: &Path) -> io::Result<Vec<(String, std::fs::Metadata)>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        out.push((name, std::fs::symlink_metadata(e.path())?));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn blobs_of(dir: &Path) -> (Node, Vec<Blob>) {
    let blobs = dir.join("blobs");
    let node = match std::fs::symlink_metadata(&blobs) {
        Ok(m) if m.file_type().is_dir() => Node::Dir,
        Ok(m) => return (Node::Other(kind_of(&m)), Vec::new()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return (Node::Missing, Vec::new()),
        Err(e) => return (Node::Error(e.to_string()), Vec::new()),
    };
    let mut out = Vec::new();
    let entries = match list(&blobs) {
        Ok(e) => e,
        Err(e) => return (Node::Error(e.to_string()), out),
    };
    for (alg, meta) in entries {
        if !meta.file_type().is_dir() {
            out.push(Blob {
                name: alg,
                kind: kind_of(&meta),
                size: meta.len(),
                actual: None,
                error: None,
            });
            continue;
        }
        let files = match list(&blobs.join(&alg)) {
            Ok(f) => f,
            Err(e) => {
                out.push(Blob {
                    name: alg,
                    kind: "directory",
                    size: 0,
                    actual: None,
                    error: Some(e.to_string()),
                });
                continue;
            }
        };
        for (enc, meta) in files {
            let kind = kind_of(&meta);
            let (actual, error) = if kind == "file" {
                match hash_file(&blobs.join(&alg).join(&enc), &alg) {
                    Ok(a) => (a, None),
                    Err(e) => (None, Some(e.to_string())),
                }
            } else {
                (None, None)
            };
            out.push(Blob {
                name: format!("{alg}/{enc}"),
                kind,
                size: meta.len(),
                actual,
                error,
            });
        }
    }
    (node, out)
}

impl Scan {
    /// Reads the layout at `dir`.
    pub(crate) fn read(dir: &Path) -> Self {
        let (blobs_dir, blobs) = blobs_of(dir);
        let by_name = blobs
            .iter()
            .enumerate()
            .map(|(i, b)| (b.name.clone(), i))
            .collect();
        let mut s = Self {
            oci_layout: read_small(&dir.join("oci-layout")),
            index: read_small(&dir.join("index.json")),
            blobs_dir,
            blobs,
            docs: Vec::new(),
            refs: Vec::new(),
            images: Vec::new(),
            by_name,
        };
        if let Node::File(bytes) = &s.index {
            let json = serde_json::from_slice::<Value>(bytes).map_err(|e| e.to_string());
            if let Ok(v) = &json {
                let v = v.clone();
                let mut walk = super::walk::Walk {
                    dir,
                    seen: BTreeSet::new(),
                };
                walk.index(&mut s, "index.json", &v, 0);
            }
            s.docs.insert(
                0,
                Doc {
                    at: "index.json".into(),
                    digest: None,
                    kind: Kind::Index,
                    json,
                },
            );
        }
        s
    }

    /// The blob a digest names, if it is stored (as anything).
    pub(crate) fn blob(&self, digest: &str) -> Option<&Blob> {
        let (alg, enc) = digest.split_once(':')?;
        self.by_name
            .get(&format!("{alg}/{enc}"))
            .and_then(|i| self.blobs.get(*i))
    }

    /// The documents of `kind`.
    pub(crate) fn docs_of(&self, kind: Kind) -> impl Iterator<Item = &Doc> {
        self.docs.iter().filter(move |d| d.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(dir: &Path, bytes: &[u8]) -> String {
        let d = Digest::sha256_of(bytes);
        let p = dir.join("blobs/sha256");
        std::fs::create_dir_all(&p).expect("blobs");
        std::fs::write(p.join(d.encoded()), bytes).expect("blob");
        d.as_str().to_owned()
    }

    #[test]
    fn walks_from_index_json_and_hashes_every_blob() {
        let t = tempfile::tempdir().expect("tempdir");
        let dir = t.path();
        std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)
            .expect("oci-layout");
        let config = put(
            dir,
            br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#,
        );
        let manifest = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config}","size":80}},"layers":[]}}"#
        );
        let m = put(dir, manifest.as_bytes());
        std::fs::write(
            dir.join("index.json"),
            format!(
                r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{m}","size":{}}}]}}"#,
                manifest.len()
            ),
        )
        .expect("index.json");
        let s = Scan::read(dir);
        assert_eq!(s.oci_layout.kind(), "file");
        assert_eq!(s.blobs.len(), 2);
        assert!(s.blobs.iter().all(|b| b.actual.as_deref()
            == Some(&format!("sha256:{}", b.name.trim_start_matches("sha256/"))[..])));
        let kinds: Vec<Kind> = s.docs.iter().map(|d| d.kind).collect();
        assert_eq!(kinds, [Kind::Index, Kind::Config, Kind::Manifest]);
        assert_eq!(s.refs.len(), 2);
        assert_eq!(s.images.len(), 1);
        assert!(s.blob(&m).is_some());
        assert!(matches!(s.images[0].config, Some(Ok(_))));
    }

    #[test]
    fn short_digests() {
        assert_eq!(short("sha256:0123456789abcdef"), "sha256:0123456789ab");
        assert_eq!(short("x"), "x");
    }
}
