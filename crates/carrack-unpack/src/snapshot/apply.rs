//! Making snapshots: each missing layer applied through an overlay of the layers below it, in a
//! `tmp-` directory renamed into place when complete.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use carrack_image::Layout;
use carrack_spec::image::{Digest, ImageConfiguration, ImageManifest};
use nix::fcntl::{AT_FDCWD, RenameFlags, renameat2};

use super::Snapshots;
use super::mount::{mount_overlay, overlay_data, unmount};
use super::types::{Prepared, Result, SnapshotError, SnapshotInfo, io_at};
use crate::apply::Session;
use crate::error::UnpackError;
use crate::image::apply_one;
use crate::options::{ApplyOptions, LayerStats};

impl Snapshots {
    /// Makes sure every layer of `manifest` has its snapshot, applying (and verifying, as
    /// [`unpack`](crate::unpack) does) only those that are missing.
    pub fn prepare(
        &self,
        layout: &Layout,
        manifest: &ImageManifest,
        opts: &ApplyOptions,
    ) -> Result<Prepared> {
        let _lock = self.lock(false)?;
        let config: ImageConfiguration = layout
            .read_document(&manifest.config)
            .map_err(UnpackError::from)?;
        if config.rootfs.diff_ids.len() != manifest.layers.len() {
            return Err(UnpackError::LayerCount {
                layers: manifest.layers.len(),
                diff_ids: config.rootfs.diff_ids.len(),
            }
            .into());
        }
        let mut prepared = Prepared {
            snapshots: Vec::new(),
            applied: 0,
            reused: 0,
            stats: LayerStats::default(),
        };
        for (i, chain) in config.rootfs.chain_ids().into_iter().enumerate() {
            if let Some(info) = self.existing(&chain)? {
                prepared.reused += 1;
                prepared.snapshots.push(info);
                continue;
            }
            let (info, stats) =
                self.apply(layout, manifest, &config, i, &chain, &prepared, opts)?;
            prepared.applied += 1;
            prepared.stats.entries += stats.entries;
            prepared.stats.bytes += stats.bytes;
            prepared.stats.whiteouts += stats.whiteouts;
            prepared.stats.placeholders += stats.placeholders;
            prepared.stats.skipped_metadata += stats.skipped_metadata;
            prepared.snapshots.push(info);
        }
        Ok(prepared)
    }

    #[allow(clippy::too_many_arguments)]
    fn apply(
        &self,
        layout: &Layout,
        manifest: &ImageManifest,
        config: &ImageConfiguration,
        index: usize,
        chain: &Digest,
        below: &Prepared,
        opts: &ApplyOptions,
    ) -> Result<(SnapshotInfo, LayerStats)> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let tmp = self
            .dir
            .join(format!("tmp-{}-{index}-{nanos}", std::process::id()));
        let result = self.apply_in(&tmp, layout, manifest, config, index, chain, below, opts);
        if result.is_err() {
            let _ = unmount(&tmp.join("mnt"));
            let _ = fs::remove_dir_all(&tmp);
        }
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn apply_in(
        &self,
        tmp: &Path,
        layout: &Layout,
        manifest: &ImageManifest,
        config: &ImageConfiguration,
        index: usize,
        chain: &Digest,
        below: &Prepared,
        opts: &ApplyOptions,
    ) -> Result<(SnapshotInfo, LayerStats)> {
        let (upper, work, mnt, empty) = (
            tmp.join("fs"),
            tmp.join("work"),
            tmp.join("mnt"),
            tmp.join("empty"),
        );
        for d in [tmp, &upper, &work, &mnt, &empty] {
            fs::DirBuilder::new()
                .mode(0o700)
                .create(d)
                .map_err(io_at(d))?;
        }
        // The layer's root directory gets the mode an unpacked rootfs would have.
        fs::set_permissions(&upper, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .map_err(io_at(&upper))?;
        let mut lowers: Vec<PathBuf> = below
            .snapshots
            .iter()
            .rev()
            .map(|s| s.path.clone())
            .collect();
        if lowers.is_empty() {
            lowers.push(empty.clone());
        }
        let data = overlay_data(&lowers, &upper, &work).ok_or(SnapshotError::TooManyLayers {
            layers: index + 1,
            dir: self.dir.clone(),
        })?;
        mount_overlay(&data, &mnt).map_err(|source| SnapshotError::Mount {
            path: mnt.clone(),
            source,
        })?;
        let applied = (|| {
            let mut session = Session::new(&mnt, opts).map_err(|source| UnpackError::Layer {
                index,
                digest: manifest.layers[index].digest.clone(),
                source,
            })?;
            session.progress.layers = manifest.layers.len();
            session.progress.layer = index;
            apply_one(
                layout,
                manifest,
                &config.rootfs.diff_ids[index],
                index,
                &mut session,
                &opts.limits,
            )?;
            session.finish().map_err(|source| UnpackError::Layer {
                index,
                digest: manifest.layers[index].digest.clone(),
                source,
            })
        })();
        // The layer must be on disk before its name says it is complete.
        let synced =
            File::open(&mnt).and_then(|f| nix::unistd::syncfs(&f).map_err(io::Error::from));
        unmount(&mnt).map_err(io_at(&mnt))?;
        let stats = applied?;
        synced.map_err(io_at(&mnt))?;
        for d in [&work, &mnt, &empty] {
            fs::remove_dir_all(d).map_err(io_at(d))?;
        }
        let chain_file = tmp.join("chain");
        fs::write(&chain_file, chain.to_string()).map_err(io_at(&chain_file))?;
        let parent = below.snapshots.last().map(|s| s.name.clone());
        if let Some(p) = &parent {
            let parent_file = tmp.join("parent");
            fs::write(&parent_file, p).map_err(io_at(&parent_file))?;
        }
        let name = Self::name_of(chain);
        let dest = self.dir.join(&name);
        match renameat2(
            AT_FDCWD,
            tmp,
            AT_FDCWD,
            &dest,
            RenameFlags::RENAME_NOREPLACE,
        ) {
            Ok(()) => {}
            // Another run made it first: use theirs.
            Err(nix::Error::EEXIST | nix::Error::ENOTEMPTY) => {
                let _ = fs::remove_dir_all(tmp);
                let info = self
                    .existing(chain)?
                    .ok_or_else(|| SnapshotError::Unknown(chain.to_string()))?;
                return Ok((info, stats));
            }
            Err(e) => return Err(io_at(&dest)(e.into())),
        }
        Ok((
            SnapshotInfo {
                chain_id: chain.clone(),
                name,
                parent,
                path: dest.join("fs"),
            },
            stats,
        ))
    }
}
