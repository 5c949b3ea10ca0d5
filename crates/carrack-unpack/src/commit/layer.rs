//! Storing a layer: an uncompressed tar stream compressed as asked into a layout's blob store,
//! its diff_id and blob digest computed in the same pass.

use std::io::{self, Read, Write};

use carrack_image::{BlobWriter, Layout};
use carrack_spec::image::{Algorithm, Compression, Descriptor, Digest, MediaType};
use sha2::Digest as _;

use super::CommitError;

enum Encoder {
    Plain(BlobWriter),
    Gzip(flate2::write::GzEncoder<BlobWriter>),
    Zstd(zstd::stream::write::Encoder<'static, BlobWriter>),
}

impl Encoder {
    fn inner(&mut self) -> &mut dyn Write {
        match self {
            Self::Plain(w) => w,
            Self::Gzip(w) => w,
            Self::Zstd(w) => w,
        }
    }

    fn finish(self) -> io::Result<BlobWriter> {
        match self {
            Self::Plain(w) => Ok(w),
            Self::Gzip(w) => w.finish(),
            Self::Zstd(w) => w.finish(),
        }
    }
}

/// A layer being written into a layout: write its uncompressed tar stream, then
/// [`finish`](Self::finish) for its descriptor and diff_id. Dropped unfinished, it leaves no
/// blob behind.
///
/// ```no_run
/// use std::io::Write;
/// use carrack_spec::image::Compression;
/// use carrack_unpack::LayerWriter;
///
/// let layout = carrack_image::Layout::open("layout")?;
/// let mut w = LayerWriter::new(&layout, Compression::Zstd)?;
/// let mut tar = tar::Builder::new(&mut w);
/// tar.append_path_with_name("/etc/hostname", "etc/hostname")?;
/// tar.finish()?;
/// drop(tar);
/// let layer = w.finish()?;
/// println!("{} (diff_id {})", layer.descriptor.digest, layer.diff_id);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct LayerWriter {
    encoder: Encoder,
    media_type: MediaType,
    hasher: sha2::Sha256,
}

/// A layer stored by [`LayerWriter`] or [`store_layer`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StoredLayer {
    /// The blob's descriptor (media type by compression, digest and size of the stored bytes).
    pub descriptor: Descriptor,
    /// The digest of the uncompressed tar stream, for the configuration's `rootfs.diff_ids`.
    pub diff_id: Digest,
}

impl LayerWriter {
    /// Starts a layer in `layout`, compressed with `compression` (gzip at zlib's default level,
    /// zstd at level 3, or none).
    pub fn new(layout: &Layout, compression: Compression) -> Result<Self, CommitError> {
        let blob = layout.blob_writer(Algorithm::Sha256)?;
        let (encoder, media_type) = match compression {
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
        Ok(Self {
            encoder,
            media_type,
            hasher: sha2::Sha256::new(),
        })
    }

    /// Ends the compressed stream and stores the blob under its digest.
    pub fn finish(self) -> Result<StoredLayer, CommitError> {
        let diff_id = Digest::from_hash("sha256", &self.hasher.finalize());
        let blob = self.encoder.finish().map_err(CommitError::Compress)?;
        let (digest, size) = blob.finish()?;
        Ok(StoredLayer {
            descriptor: Descriptor::new(
                self.media_type,
                digest,
                i64::try_from(size).unwrap_or(i64::MAX),
            ),
            diff_id,
        })
    }
}

impl Write for LayerWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.encoder.inner().write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.encoder.inner().flush()
    }
}

/// Stores the uncompressed tar stream `tar` in `layout` as a layer compressed with
/// `compression`, and returns its descriptor and diff_id — what an image's manifest and
/// configuration need.
///
/// ```no_run
/// use carrack_spec::image::Compression;
/// let layout = carrack_image::Layout::open("layout")?;
/// let tar = std::fs::File::open("layer.tar")?;
/// let layer = carrack_unpack::store_layer(&layout, tar, Compression::Gzip)?;
/// assert_eq!(layer.descriptor.media_type.to_string(), "application/vnd.oci.image.layer.v1.tar+gzip");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn store_layer(
    layout: &Layout,
    mut tar: impl Read,
    compression: Compression,
) -> Result<StoredLayer, CommitError> {
    let mut w = LayerWriter::new(layout, compression)?;
    io::copy(&mut tar, &mut w).map_err(CommitError::Read)?;
    w.finish()
}
