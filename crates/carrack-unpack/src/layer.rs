//! Reading one layer blob on any OS: decompressed as its media type says, bounded by the
//! stream [`Limits`], and hashed for its diff_id, on the same three-thread pipeline [`unpack`]
//! uses (`unpack` is Linux only; this is not).
//!
//! [`unpack`]: crate::unpack

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use carrack_spec::image::{Compression, Digest};

use crate::limits::{LimitExceeded, Limits};
use crate::pipeline::{self, Codec, DecodeError};

/// Why [`read_layer`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadLayerError {
    /// Reading or decompressing the blob failed (including the blob reader's own errors, such
    /// as a [`VerifiedReader`](carrack_image::VerifiedReader)'s wrong size or digest).
    #[error("layer: reading or decompressing the blob: {0}")]
    Decode(#[source] io::Error),
    /// The uncompressed stream went past [`Limits::max_total_bytes`] or
    /// [`Limits::max_ratio`].
    #[error("layer: {0}")]
    Limit(#[source] LimitExceeded),
    /// The consumer of the uncompressed stream failed.
    #[error("layer: {0}")]
    Consume(#[source] io::Error),
}

/// Gives `consume` the uncompressed stream of the layer blob `blob` (decompressed on a second
/// thread, as `compression` says) and returns what it returned with the stream's diff_id
/// (sha256 of the uncompressed bytes, the whole stream: whatever `consume` left unread is read
/// and hashed after it returns). The stream limits, [`Limits::max_total_bytes`] and
/// [`Limits::max_ratio`], are checked as it is read; the per-entry ones are for whoever parses
/// the tar. Compare the diff_id with the image configuration's `rootfs.diff_ids` before
/// trusting what `consume` saw.
///
/// ```
/// use std::io::Write;
/// use carrack_spec::image::Compression;
/// use carrack_unpack::{Limits, read_layer};
///
/// let mut tar = tar::Builder::new(Vec::new());
/// let mut h = tar::Header::new_ustar();
/// h.set_size(5);
/// h.set_mode(0o644);
/// tar.append_data(&mut h, "etc/motd", &b"hello"[..])?;
/// let tar = tar.into_inner()?;
/// let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
/// gz.write_all(&tar)?;
/// let blob = gz.finish()?;
///
/// let (names, diff_id) = read_layer(&blob[..], Compression::Gzip, &Limits::default(), |r| {
///     tar::Archive::new(r)
///         .entries()?
///         .map(|e| Ok(e?.path()?.display().to_string()))
///         .collect::<std::io::Result<Vec<_>>>()
/// })?;
/// assert_eq!(names, ["etc/motd"]);
/// assert_eq!(diff_id, carrack_spec::image::Digest::sha256_of(&tar));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_layer<T>(
    blob: impl Read + Send,
    compression: Compression,
    limits: &Limits,
    consume: impl FnOnce(&mut dyn Read) -> io::Result<T>,
) -> Result<(T, Digest), ReadLayerError> {
    let codec = match compression {
        Compression::Gzip => Codec::Gzip,
        Compression::Zstd => Codec::Zstd,
        _ => Codec::None,
    };
    let counter = Arc::new(AtomicU64::new(0));
    let (consumed, decoded) = pipeline::run(blob, codec, limits, counter, |r| consume(r));
    // The decoder's failure explains a consumer's error that follows from it.
    match decoded {
        Ok(d) => {
            let value = consumed.map_err(ReadLayerError::Consume)?;
            Ok((value, Digest::from_hash("sha256", &d.sha256)))
        }
        Err(DecodeError::Read(e)) => Err(ReadLayerError::Decode(e)),
        Err(DecodeError::Limit(l)) => Err(ReadLayerError::Limit(l)),
        Err(DecodeError::Stopped) => {
            consumed.map_err(ReadLayerError::Consume)?;
            Err(ReadLayerError::Decode(io::Error::other(
                "the decoder stopped early",
            )))
        }
    }
}
