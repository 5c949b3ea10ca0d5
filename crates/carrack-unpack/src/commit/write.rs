//! Writing the commit (Linux: the layer is written by [`write_layer`] and the store is a Unix
//! [`Layout`]).

use std::io::{self, Write};
use std::path::Path;

use carrack_image::{BlobWriter, Layout, Resolved};
use carrack_spec::image::{
    Algorithm, Compression, Descriptor, Digest, History, ImageConfiguration, MediaType, Platform,
};
use sha2::Digest as _;

use super::{CommitError, CommitOptions, Committed};
use crate::diff::{Diff, write_layer};

/// Hashes the uncompressed stream on its way to the encoder.
struct DiffIdWriter<W> {
    inner: W,
    hasher: sha2::Sha256,
}

impl<W: Write> Write for DiffIdWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

enum Encoder {
    Plain(BlobWriter),
    Gzip(flate2::write::GzEncoder<BlobWriter>),
    Zstd(zstd::stream::write::Encoder<'static, BlobWriter>),
}

impl Write for Encoder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(w) => w.write(buf),
            Self::Gzip(w) => w.write(buf),
            Self::Zstd(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(w) => w.flush(),
            Self::Gzip(w) => w.flush(),
            Self::Zstd(w) => w.flush(),
        }
    }
}

impl Encoder {
    fn finish(self) -> io::Result<BlobWriter> {
        match self {
            Self::Plain(w) => Ok(w),
            Self::Gzip(w) => w.finish(),
            Self::Zstd(w) => w.finish(),
        }
    }
}

/// Writes `diff` (of `rootfs` against `base`'s rootfs) as a new layer on top of `base` and adds
/// the resulting image to `layout`.
///
/// ```no_run
/// use carrack_image::{Layout, PlatformMatcher};
/// use carrack_unpack::{Base, CommitOptions, Tree, commit, diff};
/// let layout = Layout::open("layout")?;
/// let base = layout.resolve("latest", &PlatformMatcher::host())?;
/// let recorded = Tree::load("bundle/carrack.tree".as_ref())?;
/// let changes = diff(Base::Tree(&recorded), "bundle/rootfs".as_ref())?;
/// let mut opts = CommitOptions::default();
/// opts.tag = Some("latest-1".into());
/// let done = commit(&layout, &base, &changes, "bundle/rootfs".as_ref(), &opts)?;
/// println!("{}", done.manifest.digest);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn commit(
    layout: &Layout,
    base: &Resolved,
    diff: &Diff,
    rootfs: &Path,
    opts: &CommitOptions,
) -> Result<Committed, CommitError> {
    let blob = layout.blob_writer(Algorithm::Sha256)?;
    let (encoder, media_type) = match opts.compression {
        Compression::Gzip => (
            Encoder::Gzip(flate2::write::GzEncoder::new(
                blob,
                flate2::Compression::default(),
            )),
            MediaType::ImageLayerGzip,
        ),
        Compression::Zstd => (
            Encoder::Zstd(
                zstd::stream::write::Encoder::new(blob, 3).map_err(CommitError::Compress)?,
            ),
            MediaType::ImageLayerZstd,
        ),
        _ => (Encoder::Plain(blob), MediaType::ImageLayer),
    };
    let out = DiffIdWriter {
        inner: encoder,
        hasher: sha2::Sha256::new(),
    };
    let out = write_layer(diff, rootfs, out, &opts.layer)?;
    let diff_id = Digest::from_hash("sha256", &out.hasher.finalize());
    let blob = out.inner.finish().map_err(CommitError::Compress)?;
    let (digest, size) = blob.finish()?;
    let layer = Descriptor::new(media_type, digest, i64::try_from(size).unwrap_or(i64::MAX));

    let mut config: ImageConfiguration = layout.read_document(&base.manifest.config)?;
    let created = carrack_spec::time::rfc3339(opts.created.unwrap_or_else(now), None);
    config.created = Some(created.clone());
    if opts.author.is_some() {
        config.author.clone_from(&opts.author);
    }
    config.rootfs.diff_ids.push(diff_id.clone());
    let mut h = History::default();
    h.created = Some(created);
    h.created_by.clone_from(&opts.created_by);
    h.comment.clone_from(&opts.comment);
    h.author.clone_from(&opts.author);
    config.history.get_or_insert_with(Vec::new).push(h);
    let config_desc = layout.write_document(base.manifest.config.media_type.clone(), &config)?;

    let mut manifest = base.manifest.clone();
    manifest.config = config_desc.clone();
    manifest.layers.push(layer.clone());
    let manifest_type = manifest
        .media_type
        .clone()
        .unwrap_or(MediaType::ImageManifest);
    let mut desc = layout.write_document(manifest_type, &manifest)?;
    let mut platform = Platform::new(config.architecture.clone(), config.os.clone());
    platform.variant.clone_from(&config.variant);
    platform.os_version.clone_from(&config.os_version);
    desc.platform = Some(platform);
    match &opts.tag {
        Some(t) => layout.tag(t, desc.clone())?,
        None => layout.add(desc.clone())?,
    }
    Ok(Committed {
        manifest: desc,
        config: config_desc,
        layer,
        diff_id,
    })
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}
