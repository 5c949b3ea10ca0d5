//! Containers on snapshots: a root filesystem mounted as an overlay of an image's snapshots with
//! an upper directory of its own, and let go of again.

use std::fs;
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;

use super::Snapshots;
use super::mount::{mount_overlay, overlay_data, unmount};
use super::types::{Active, Prepared, Result, SnapshotError, io_at};

impl Snapshots {
    /// Mounts a container's root filesystem on `prepared`: an overlay of the snapshots with
    /// an upper directory of its own, at `DIR/active/NAME/rootfs`. The snapshots stay until
    /// [`release`](Self::release), whatever [`prune`](Self::prune) is asked.
    pub fn activate(&self, name: &str, prepared: &Prepared) -> Result<Active> {
        let valid = !name.is_empty()
            && name.len() <= 64
            && !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if !valid {
            return Err(SnapshotError::BadName(name.to_owned()));
        }
        let _lock = self.lock(false)?;
        let dir = self.dir.join("active").join(name);
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(io_at(&dir))?;
        let result = (|| {
            let (upper, work, rootfs) = (dir.join("upper"), dir.join("work"), dir.join("rootfs"));
            for d in [&upper, &work, &rootfs] {
                fs::DirBuilder::new()
                    .mode(0o755)
                    .create(d)
                    .map_err(io_at(d))?;
            }
            let chains: Vec<String> = prepared.snapshots.iter().map(|s| s.name.clone()).collect();
            let chains_file = dir.join("chains");
            fs::write(&chains_file, chains.join("\n")).map_err(io_at(&chains_file))?;
            if !prepared.snapshots.is_empty() {
                let lowers: Vec<PathBuf> = prepared
                    .snapshots
                    .iter()
                    .rev()
                    .map(|s| s.path.clone())
                    .collect();
                let data =
                    overlay_data(&lowers, &upper, &work).ok_or(SnapshotError::TooManyLayers {
                        layers: lowers.len(),
                        dir: self.dir.clone(),
                    })?;
                mount_overlay(&data, &rootfs).map_err(|source| SnapshotError::Mount {
                    path: rootfs.clone(),
                    source,
                })?;
            }
            Ok(Active {
                name: name.to_owned(),
                dir: dir.clone(),
                rootfs,
            })
        })();
        if result.is_err() {
            let _ = fs::remove_dir_all(&dir);
        }
        result
    }

    /// Unmounts a container's root filesystem and removes its directory (nothing to do for a
    /// name that is not active).
    pub fn release(&self, name: &str) -> Result<()> {
        let dir = self.dir.join("active").join(name);
        if name.is_empty() || name.contains('/') || name.starts_with('.') || !dir.exists() {
            return Ok(());
        }
        let rootfs = dir.join("rootfs");
        unmount(&rootfs).map_err(io_at(&rootfs))?;
        fs::remove_dir_all(&dir).map_err(io_at(&dir))
    }
}
