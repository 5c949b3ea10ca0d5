//! Containers on snapshots: a root filesystem mounted as an overlay of an image's snapshots with
//! an upper directory of its own, and let go of again.

use std::fs;
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;

use super::Snapshots;
use super::mount::{mount_overlay, overlay_data, unmount};
use super::types::{Active, Durability, Prepared, Result, SnapshotError, io_at};

impl Snapshots {
    /// Mounts a container's root filesystem on `prepared`: an overlay of the snapshots with
    /// an upper directory of its own, at `DIR/active/NAME/rootfs`. The snapshots stay until
    /// [`release`](Self::release), whatever [`prune`](Self::prune) is asked. The container's
    /// writes are flushed like any other file's ([`Durability::Synced`]); see
    /// [`activate_with`](Self::activate_with) for a container that is removed when it exits.
    pub fn activate(&self, name: &str, prepared: &Prepared) -> Result<Active> {
        self.activate_with(name, prepared, Durability::Synced)
    }

    /// [`activate`](Self::activate), choosing what the container's writes are worth.
    ///
    /// With [`Durability::Volatile`] the overlay is mounted with overlayfs's `volatile` option
    /// (Linux 5.10): unmounting it does not flush the host file system under the snapshot
    /// directory, which otherwise makes a short-lived container wait for every dirty page on
    /// that file system, its own or not. On an older kernel the option is dropped and
    /// [`Active::volatile`] says so.
    ///
    /// ```no_run
    /// use carrack_image::{Layout, PlatformMatcher};
    /// use carrack_unpack::snapshot::{Durability, Snapshots};
    ///
    /// let layout = Layout::open("layout")?;
    /// let image = layout.resolve("latest", &PlatformMatcher::host())?;
    /// let store = Snapshots::open("/var/lib/carrack/snapshots".as_ref())?;
    /// let layers = store.prepare(&layout, &image.manifest, &Default::default())?;
    /// let active = store.activate_with("job-1", &layers, Durability::Volatile)?;
    /// // … run a container on active.rootfs, then throw its writes away:
    /// store.release("job-1")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn activate_with(
        &self,
        name: &str,
        prepared: &Prepared,
        durability: Durability,
    ) -> Result<Active> {
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
            let mut volatile = false;
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
                // An older kernel refuses `volatile` (EINVAL): mount without it, and
                // `Active::volatile` tells the caller.
                volatile = durability == Durability::Volatile
                    && mount_overlay(&format!("{data},volatile"), &rootfs).is_ok();
                if !volatile {
                    mount_overlay(&data, &rootfs).map_err(|source| SnapshotError::Mount {
                        path: rootfs.clone(),
                        source,
                    })?;
                }
            }
            Ok(Active {
                name: name.to_owned(),
                dir: dir.clone(),
                rootfs,
                volatile,
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
