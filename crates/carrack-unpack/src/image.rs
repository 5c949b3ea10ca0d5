//! Unpacking an image's layers from a layout into a directory, verified end to end: every
//! compressed blob against its descriptor (size and digest), every uncompressed stream against
//! the configuration's `rootfs.diff_ids`. The layers are applied in a staging directory next to
//! the destination, which is renamed into place only when everything succeeded: a failure never
//! leaves a half-unpacked rootfs behind.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use carrack_image::Layout;
use carrack_spec::image::{Compression, Digest, ImageConfiguration, ImageManifest};

use crate::apply::{ApplyOptions, LayerStats, Session};
use crate::error::UnpackError;
use crate::pipeline::{self, Codec, DecodeError};

fn magic_name(m: &[u8]) -> &'static str {
    match m {
        [0x1f, 0x8b, ..] => "gzip",
        [0x28, 0xb5, 0x2f, 0xfd, ..] => "zstd",
        _ => "uncompressed (tar)",
    }
}

/// Applies layer `index` of `manifest`, checking compression, digest and diff_id.
pub(crate) fn apply_one(
    layout: &Layout,
    manifest: &ImageManifest,
    diff_id: &Digest,
    index: usize,
    session: &mut Session<'_>,
    limits: &crate::Limits,
) -> Result<(), UnpackError> {
    let desc = &manifest.layers[index];
    let compression =
        desc.media_type
            .layer_compression()
            .ok_or_else(|| UnpackError::MediaType {
                index,
                media_type: desc.media_type.to_string(),
            })?;
    let layer_err = |source| UnpackError::Layer {
        index,
        digest: desc.digest.clone(),
        source,
    };
    let mut probe = [0u8; 4];
    let n = {
        let mut r = layout.open_descriptor(desc)?;
        let mut filled = 0;
        while filled < probe.len() {
            match r.read(&mut probe[filled..]) {
                Ok(0) => break,
                Ok(k) => filled += k,
                Err(e) => return Err(layer_err(crate::Error::Read(e))),
            }
        }
        filled
    };
    let found = magic_name(&probe[..n]);
    let (declared, codec) = match compression {
        Compression::Gzip => ("gzip", Codec::Gzip),
        Compression::Zstd => ("zstd", Codec::Zstd),
        _ => ("uncompressed (tar)", Codec::None),
    };
    if found != declared {
        return Err(UnpackError::Compression {
            index,
            declared,
            found,
        });
    }
    let blob = layout.open_descriptor(desc)?;
    let counter = Arc::new(AtomicU64::new(session.progress.compressed_bytes));
    session.compressed = Some(counter.clone());
    let (applied, decoded) = pipeline::run(blob, codec, limits, counter, |r| session.apply(r));
    // The decoder's failure (a wrong digest, a bomb) explains a tar error that follows from it.
    let decoded = match decoded {
        Ok(d) => d,
        Err(DecodeError::Limit(limit)) => return Err(UnpackError::Limit { index, limit }),
        Err(DecodeError::Read(e)) => {
            return Err(
                match e
                    .get_ref()
                    .and_then(|r| r.downcast_ref::<carrack_image::Error>())
                {
                    Some(_) => match e.into_inner().map(|b| b.downcast::<carrack_image::Error>()) {
                        Some(Ok(layout_err)) => UnpackError::Layout(*layout_err),
                        _ => layer_err(crate::Error::Read(io::Error::other("read failed"))),
                    },
                    None => layer_err(crate::Error::Read(e)),
                },
            );
        }
        Err(DecodeError::Stopped) => {
            applied.map_err(layer_err)?;
            return Err(layer_err(crate::Error::Read(io::Error::other(
                "decoder stopped early",
            ))));
        }
    };
    applied.map_err(layer_err)?;
    let actual = Digest::from_hash("sha256", &decoded.sha256);
    if diff_id.registered() == Some(carrack_spec::image::Algorithm::Sha256) && &actual != diff_id {
        return Err(UnpackError::DiffId {
            index,
            expected: diff_id.clone(),
            actual,
        });
    }
    Ok(())
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
        let mut session = Session::new(&staging, opts).map_err(|source| UnpackError::Layer {
            index: 0,
            digest: manifest
                .layers
                .first()
                .map_or_else(|| manifest.config.digest.clone(), |l| l.digest.clone()),
            source,
        })?;
        session.progress.layers = manifest.layers.len();
        session.progress.compressed_total = manifest
            .layers
            .iter()
            .map(|l| u64::try_from(l.size).unwrap_or(0))
            .sum();
        for (i, diff_id) in config.rootfs.diff_ids.iter().enumerate() {
            session.progress.layer = i;
            session.report_now();
            apply_one(layout, manifest, diff_id, i, &mut session, &opts.limits)?;
        }
        session.finish().map_err(|source| UnpackError::Layer {
            index: manifest.layers.len().saturating_sub(1),
            digest: manifest.config.digest.clone(),
            source,
        })
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
