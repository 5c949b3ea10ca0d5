//! Unpacking an image's layers from a layout into a directory, verified end to end: every
//! compressed blob against its descriptor (size and digest), every uncompressed stream against
//! the configuration's `rootfs.diff_ids`. The layers are applied in a staging directory next to
//! the destination, which is renamed into place only when everything succeeded: a failure never
//! leaves a half-unpacked rootfs behind.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use carrack_image::Layout;
use carrack_spec::image::{Compression, Digest, ImageConfiguration, ImageManifest};
use sha2::Digest as _;

use crate::apply::{ApplyOptions, LayerStats, apply_layer};
use crate::error::UnpackError;

/// Hashes everything read through it.
struct Tee<R> {
    inner: R,
    hasher: sha2::Sha256,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

fn magic_name(m: &[u8]) -> &'static str {
    match m {
        [0x1f, 0x8b, ..] => "gzip",
        [0x28, 0xb5, 0x2f, 0xfd, ..] => "zstd",
        _ => "uncompressed (tar)",
    }
}

/// Applies layer `index` of `manifest`, checking compression, digest and diff_id.
fn apply_one(
    layout: &Layout,
    manifest: &ImageManifest,
    diff_id: &Digest,
    index: usize,
    root: &Path,
    opts: &ApplyOptions,
) -> Result<LayerStats, UnpackError> {
    let desc = &manifest.layers[index];
    let compression =
        desc.media_type
            .layer_compression()
            .ok_or_else(|| UnpackError::MediaType {
                index,
                media_type: desc.media_type.to_string(),
            })?;
    let mut probe = [0u8; 4];
    let n = {
        let mut r = layout.open_descriptor(desc)?;
        let mut filled = 0;
        while filled < probe.len() {
            match r.read(&mut probe[filled..]) {
                Ok(0) => break,
                Ok(k) => filled += k,
                Err(e) => {
                    return Err(UnpackError::Layer {
                        index,
                        digest: desc.digest.clone(),
                        source: crate::Error::Read(e),
                    });
                }
            }
        }
        filled
    };
    let found = magic_name(&probe[..n]);
    let declared = match compression {
        Compression::Gzip => "gzip",
        Compression::Zstd => "zstd",
        _ => "uncompressed (tar)",
    };
    if found != declared {
        return Err(UnpackError::Compression {
            index,
            declared,
            found,
        });
    }
    let layer_err = |source| UnpackError::Layer {
        index,
        digest: desc.digest.clone(),
        source,
    };
    let read_err = |e: io::Error| layer_err(crate::Error::Read(e));
    let blob = io::BufReader::new(layout.open_descriptor(desc)?);
    let decoded: Box<dyn Read> = match compression {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(blob)),
        Compression::Zstd => {
            Box::new(zstd::stream::read::Decoder::with_buffer(blob).map_err(read_err)?)
        }
        _ => Box::new(blob),
    };
    let mut tee = Tee {
        inner: decoded,
        hasher: sha2::Sha256::new(),
    };
    let stats = apply_layer(root, &mut tee, opts).map_err(layer_err)?;
    // Hash what follows the tar's end (padding), and read the blob to its end so its size and
    // digest are verified.
    io::copy(&mut tee, &mut io::sink()).map_err(read_err)?;
    let actual = Digest::from_hash("sha256", &tee.hasher.finalize());
    if diff_id.registered() == Some(carrack_spec::image::Algorithm::Sha256) && &actual != diff_id {
        return Err(UnpackError::DiffId {
            index,
            expected: diff_id.clone(),
            actual,
        });
    }
    Ok(stats)
}

/// Unpacks the layers of `manifest` (from `layout`) into `dest`, which must not exist or be an
/// empty directory. The work happens in a staging directory beside `dest`, renamed into place
/// at the end; on any error the staging directory is removed and `dest` is left as it was.
///
/// ```no_run
/// use carrack_image::{Layout, PlatformMatcher};
/// let layout = Layout::open("layout")?;
/// let image = layout.resolve("latest", &PlatformMatcher::host())?;
/// carrack_unpack::unpack(&layout, &image.manifest, "rootfs".as_ref(), &Default::default())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn unpack(
    layout: &Layout,
    manifest: &ImageManifest,
    dest: &Path,
    opts: &ApplyOptions,
) -> Result<LayerStats, UnpackError> {
    let config: ImageConfiguration = layout.read_document(&manifest.config)?;
    if config.rootfs.diff_ids.len() != manifest.layers.len() {
        return Err(UnpackError::LayerCount {
            layers: manifest.layers.len(),
            diff_ids: config.rootfs.diff_ids.len(),
        });
    }
    if dest.exists()
        && std::fs::read_dir(dest)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(UnpackError::Destination(dest.to_path_buf()));
    }
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| UnpackError::Io { path, source }
    };
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "rootfs".into());
    let staging: PathBuf = parent.join(format!(".{name}.carrack-staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(io_err(&staging))?;
    let result = (|| {
        let mut total = LayerStats::default();
        for (i, diff_id) in config.rootfs.diff_ids.iter().enumerate() {
            let s = apply_one(layout, manifest, diff_id, i, &staging, opts)?;
            total.entries += s.entries;
            total.bytes += s.bytes;
            total.whiteouts += s.whiteouts;
        }
        Ok(total)
    })();
    match result {
        Ok(total) => {
            if dest.exists() {
                std::fs::remove_dir(dest).map_err(io_err(dest))?;
            }
            std::fs::rename(&staging, dest).map_err(io_err(dest))?;
            Ok(total)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}
