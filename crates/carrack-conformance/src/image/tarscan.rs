//! Reading the layers of the images a layout holds: each layer blob decompressed as its media
//! type says (carrack-unpack's [`read_layer`], bounded by its default [`Limits`]), its tar
//! entries listed (name, type, size, link target) and its uncompressed stream hashed for the
//! DiffID. Nothing is extracted.

use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use carrack_spec::image::{Digest, MediaType};
use carrack_unpack::{Limits, ReadLayerError, read_layer};
use serde::Serialize;
use serde_json::Value;

use super::scan::Scan;

/// One tar entry of a layer.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Entry {
    /// Its name as written (lossy UTF-8).
    pub p: String,
    /// Its type flag: `0` regular (also for the old NUL flag), `1` hardlink, `2` symlink,
    /// `5` directory, …
    pub t: String,
    /// Its size in the header.
    pub s: u64,
    /// Its link target, for links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l: Option<String>,
}

/// One layer blob, read.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Layer {
    /// Its digest.
    pub digest: String,
    /// The media type its descriptor gives.
    pub media_type: String,
    /// Its first four bytes, in hex.
    pub magic: String,
    /// Why the blob could not be read or decompressed as its media type says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decode_error: Option<String>,
    /// Why its uncompressed stream is not a tar archive (entries up to there are listed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tar_error: Option<String>,
    /// sha256 of the uncompressed stream, when it could be read to the end.
    pub diff_id: Option<String>,
    /// Its entries, in order.
    pub entries: Vec<Entry>,
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The entries of a tar stream, up to the first error (which is returned beside them).
fn entries(r: &mut dyn Read) -> (Vec<Entry>, Option<String>) {
    let mut out = Vec::new();
    let mut ar = tar::Archive::new(r);
    let iter = match ar.entries() {
        Ok(i) => i,
        Err(e) => return (out, Some(e.to_string())),
    };
    for e in iter {
        let e = match e {
            Ok(e) => e,
            Err(e) => return (out, Some(e.to_string())),
        };
        let flag = e.header().entry_type().as_byte();
        if matches!(flag, b'g' | b'x' | b'L' | b'K') {
            continue;
        }
        let t = if flag == 0 { '0' } else { char::from(flag) };
        out.push(Entry {
            p: lossy(&e.path_bytes()),
            t: t.to_string(),
            s: e.header().size().unwrap_or(0),
            l: e.link_name_bytes().map(|l| lossy(&l)),
        });
    }
    (out, None)
}

fn read_one(dir: &Path, digest: &str, media_type: &str) -> Option<Layer> {
    let compression = MediaType::from(media_type).layer_compression()?;
    let d = Digest::parse(digest).ok()?;
    let path = dir.join("blobs").join(d.algorithm()).join(d.encoded());
    let open = || {
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
            .open(&path)
    };
    let mut layer = Layer {
        digest: digest.to_owned(),
        media_type: media_type.to_owned(),
        magic: String::new(),
        decode_error: None,
        tar_error: None,
        diff_id: None,
        entries: Vec::new(),
    };
    let mut magic = [0u8; 4];
    let n = match open().and_then(|mut f| f.read(&mut magic)) {
        Ok(n) => n,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
        Err(e) => {
            layer.decode_error = Some(e.to_string());
            return Some(layer);
        }
    };
    layer.magic = magic[..n].iter().map(|b| format!("{b:02x}")).collect();
    let file = match open() {
        Ok(f) => f,
        Err(e) => {
            layer.decode_error = Some(e.to_string());
            return Some(layer);
        }
    };
    let reader = io::BufReader::new(file);
    match read_layer(reader, compression, &Limits::default(), |r| Ok(entries(r))) {
        Ok(((list, tar_error), diff_id)) => {
            layer.entries = list;
            layer.tar_error = tar_error;
            layer.diff_id = Some(diff_id.as_str().to_owned());
        }
        Err(ReadLayerError::Consume(e)) => layer.tar_error = Some(e.to_string()),
        Err(e) => layer.decode_error = Some(e.to_string()),
    }
    Some(layer)
}

/// Every layer of every image manifest whose config is an image configuration (layer.md's
/// rules are about images, not artifacts), each once, in
/// the order the images list them; a layer whose blob is not stored is left out.
pub(crate) fn read_layers(dir: &Path, scan: &Scan) -> Vec<Layer> {
    let mut out: Vec<Layer> = Vec::new();
    let images = scan
        .images
        .iter()
        .filter(|i| i.config_type.as_deref() == Some(MediaType::ImageConfig.as_str()));
    for image in images {
        for l in &image.layers {
            let (Some(digest), Some(mt)) = (
                l.get("digest").and_then(Value::as_str),
                l.get("mediaType").and_then(Value::as_str),
            ) else {
                continue;
            };
            if out.iter().any(|x| x.digest == digest) {
                continue;
            }
            if let Some(layer) = read_one(dir, digest, mt) {
                out.push(layer);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_entries_and_hashes_the_stream() {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_size(2);
        h.set_mode(0o644);
        b.append_data(&mut h, "etc/a", &b"hi"[..]).expect("append");
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Link);
        h.set_size(0);
        b.append_link(&mut h, "etc/b", "etc/a").expect("link");
        let tar = b.into_inner().expect("tar");
        let t = tempfile::tempdir().expect("tempdir");
        let d = Digest::sha256_of(&tar);
        std::fs::create_dir_all(t.path().join("blobs/sha256")).expect("dir");
        std::fs::write(t.path().join("blobs/sha256").join(d.encoded()), &tar).expect("blob");
        let l = read_one(t.path(), d.as_str(), MediaType::ImageLayer.as_str()).expect("read");
        assert_eq!(l.diff_id.as_deref(), Some(d.as_str()));
        assert_eq!(l.entries.len(), 2);
        assert_eq!(l.entries[1].t, "1");
        assert_eq!(l.entries[1].l.as_deref(), Some("etc/a"));
        assert!(l.tar_error.is_none() && l.decode_error.is_none());
        let bad = read_one(t.path(), d.as_str(), MediaType::ImageLayerGzip.as_str()).expect("read");
        assert!(bad.decode_error.is_some(), "{bad:?}");
    }
}
