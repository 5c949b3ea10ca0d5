//! The snapshot directory: preparing an image's layers, mounting a container's rootfs on them,
//! listing, removing and pruning.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use carrack_image::Layout;
use carrack_spec::image::{Digest, ImageConfiguration, ImageManifest};
use nix::fcntl::{AT_FDCWD, RenameFlags, renameat2};

use super::mount::{mount_overlay, overlay_data, unmount};
use crate::apply::{ApplyOptions, LayerStats, Session};
use crate::error::UnpackError;
use crate::image::apply_one;

/// Why a snapshot operation failed. A failed layer leaves no snapshot behind.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// A file of the store could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A layer could not be read, verified or applied.
    #[error(transparent)]
    Unpack(#[from] UnpackError),
    /// The overlay mount failed (no overlayfs, no privilege, a file system overlayfs cannot
    /// use as a layer).
    #[error("{}: mounting overlayfs: {source}", path.display())]
    Mount {
        /// The mount point.
        path: PathBuf,
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
    /// The layers' paths do not fit in the one page of mount options overlayfs reads.
    #[error(
        "{layers} layers under {}: their overlay mount options do not fit in one page (a shorter snapshot directory helps)",
        dir.display()
    )]
    TooManyLayers {
        /// The number of layers.
        layers: usize,
        /// The snapshot directory.
        dir: PathBuf,
    },
    /// A snapshot directory holds another ChainID than its name says.
    #[error("{}: holds ChainID {found}, not {expected} (a damaged store)", path.display())]
    Corrupt {
        /// The snapshot directory.
        path: PathBuf,
        /// The ChainID wanted.
        expected: String,
        /// The ChainID found.
        found: String,
    },
    /// The snapshot is used by a container or lies under another snapshot.
    #[error("snapshot {name} is in use by {by}")]
    InUse {
        /// The snapshot's name.
        name: String,
        /// What uses it.
        by: String,
    },
    /// No snapshot has this ChainID or name.
    #[error("no snapshot {0}")]
    Unknown(String),
    /// A container name that cannot be a directory name.
    #[error("{0:?}: a name is 1 to 64 of A-Z a-z 0-9 _ . - and does not start with '.'")]
    BadName(String),
}

type Result<T> = std::result::Result<T, SnapshotError>;

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> SnapshotError + '_ {
    move |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One layer's snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SnapshotInfo {
    /// The ChainID of the layers up to and including this one.
    pub chain_id: Digest,
    /// The directory name (the ChainID's first 16 hex digits).
    pub name: String,
    /// The name of the snapshot below, if any.
    pub parent: Option<String>,
    /// The layer's changes, in overlayfs form.
    pub path: PathBuf,
}

impl SnapshotInfo {
    /// Bytes of the files the snapshot holds (as `du --apparent-size` counts them).
    pub fn size(&self) -> u64 {
        fn walk(p: &Path) -> u64 {
            let Ok(meta) = fs::symlink_metadata(p) else {
                return 0;
            };
            let mut total = meta.size();
            if meta.is_dir()
                && let Ok(entries) = fs::read_dir(p)
            {
                total += entries.flatten().map(|e| walk(&e.path())).sum::<u64>();
            }
            total
        }
        walk(&self.path)
    }
}

/// An image's layers as snapshots.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Prepared {
    /// The snapshots, base first.
    pub snapshots: Vec<SnapshotInfo>,
    /// How many layers were applied now.
    pub applied: usize,
    /// How many were there already.
    pub reused: usize,
    /// What applying did.
    pub stats: LayerStats,
}

/// A container's root filesystem on snapshots (see [`Snapshots::activate`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Active {
    /// The container's name.
    pub name: String,
    /// Its directory: `rootfs`, `upper`, `work`, and room for a bundle's `config.json`.
    pub dir: PathBuf,
    /// The overlay mount point.
    pub rootfs: PathBuf,
}

/// What [`Snapshots::prune`] removed.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PruneReport {
    /// The snapshots removed.
    pub removed: Vec<SnapshotInfo>,
    /// The snapshots kept.
    pub kept: usize,
    /// Leftovers of interrupted layers removed.
    pub stale: usize,
}

/// A snapshot directory.
///
/// ```no_run
/// use carrack_image::{Layout, PlatformMatcher};
/// use carrack_unpack::snapshot::Snapshots;
///
/// let layout = Layout::open("layout")?;
/// let image = layout.resolve("latest", &PlatformMatcher::host())?;
/// let store = Snapshots::open("/var/lib/carrack/snapshots".as_ref())?;
/// let layers = store.prepare(&layout, &image.manifest, &Default::default())?;
/// let active = store.activate("web", &layers)?; // an overlay at active.rootfs
/// // ... run a container on active.rootfs ...
/// store.release("web")?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Snapshots {
    dir: PathBuf,
}

impl Snapshots {
    /// Opens (creating, mode 0700) the snapshot directory `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        for d in [dir.to_path_buf(), dir.join("active")] {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&d)
                .map_err(io_at(&d))?;
        }
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether this process can use snapshots: overlay mounts need root in the host's user
    /// namespace (`Err` says why not).
    pub fn supported() -> std::result::Result<(), String> {
        if !nix::unistd::geteuid().is_root() {
            return Err("overlay mounts need root".into());
        }
        match fs::read_to_string("/proc/filesystems") {
            Ok(t) if !t.lines().any(|l| l.ends_with("\toverlay")) => {
                // The module may still load on the first mount.
                if Path::new("/sys/module/overlay").exists() || Path::new("/lib/modules").exists() {
                    Ok(())
                } else {
                    Err("the kernel has no overlayfs (/proc/filesystems)".into())
                }
            }
            _ => Ok(()),
        }
    }

    fn lock(&self, exclusive: bool) -> Result<File> {
        let path = self.dir.join("lock");
        let f = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_at(&path))?;
        if exclusive { f.lock() } else { f.lock_shared() }.map_err(io_at(&path))?;
        Ok(f)
    }

    fn name_of(chain: &Digest) -> String {
        chain.encoded().chars().take(16).collect()
    }

    fn info(&self, name: &str) -> Result<Option<SnapshotInfo>> {
        let dir = self.dir.join(name);
        let chain_file = dir.join("chain");
        let chain = match fs::read_to_string(&chain_file) {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_at(&chain_file)(e)),
        };
        let chain_id: Digest = chain.trim().parse().map_err(|_| SnapshotError::Corrupt {
            path: dir.clone(),
            expected: "a ChainID".into(),
            found: chain.trim().to_owned(),
        })?;
        let parent = fs::read_to_string(dir.join("parent"))
            .ok()
            .map(|p| p.trim().to_owned());
        Ok(Some(SnapshotInfo {
            chain_id,
            name: name.to_owned(),
            parent,
            path: dir.join("fs"),
        }))
    }

    fn existing(&self, chain: &Digest) -> Result<Option<SnapshotInfo>> {
        let name = Self::name_of(chain);
        match self.info(&name)? {
            Some(info) if &info.chain_id == chain => Ok(Some(info)),
            Some(info) => Err(SnapshotError::Corrupt {
                path: self.dir.join(name),
                expected: chain.to_string(),
                found: info.chain_id.to_string(),
            }),
            None => Ok(None),
        }
    }

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

    /// Every snapshot, by name.
    pub fn list(&self) -> Result<Vec<SnapshotInfo>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io_at(&self.dir))? {
            let entry = entry.map_err(io_at(&self.dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.len() == 16
                && name.bytes().all(|b| b.is_ascii_hexdigit())
                && let Some(info) = self.info(&name)?
            {
                out.push(info);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Which containers stand on which snapshots: snapshot name → container names.
    pub fn users(&self) -> Result<BTreeMap<String, Vec<String>>> {
        let active = self.dir.join("active");
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for entry in fs::read_dir(&active).map_err(io_at(&active))? {
            let entry = entry.map_err(io_at(&active))?;
            let container = entry.file_name().to_string_lossy().into_owned();
            let chains = fs::read_to_string(entry.path().join("chains")).unwrap_or_default();
            for name in chains.lines().filter(|l| !l.is_empty()) {
                out.entry(name.to_owned())
                    .or_default()
                    .push(container.clone());
            }
        }
        Ok(out)
    }

    /// Removes the snapshot with this ChainID (or name, or unique prefix of either) unless a
    /// container or another snapshot stands on it.
    pub fn remove(&self, which: &str) -> Result<SnapshotInfo> {
        let _lock = self.lock(true)?;
        let all = self.list()?;
        let want = which.strip_prefix("sha256:").unwrap_or(which);
        let found: Vec<&SnapshotInfo> = all
            .iter()
            .filter(|s| !want.is_empty() && s.chain_id.encoded().starts_with(want))
            .collect();
        let [info] = found.as_slice() else {
            return Err(SnapshotError::Unknown(which.to_owned()));
        };
        if let Some(users) = self.users()?.get(&info.name) {
            return Err(SnapshotError::InUse {
                name: info.name.clone(),
                by: format!("container(s) {}", users.join(", ")),
            });
        }
        if let Some(child) = all.iter().find(|s| s.parent.as_deref() == Some(&info.name)) {
            return Err(SnapshotError::InUse {
                name: info.name.clone(),
                by: format!("snapshot {} above it", child.name),
            });
        }
        let dir = self.dir.join(&info.name);
        fs::remove_dir_all(&dir).map_err(io_at(&dir))?;
        Ok((*info).clone())
    }

    /// Removes every snapshot whose ChainID is not in `keep` and that no container stands on,
    /// and what interrupted runs left behind.
    pub fn prune(&self, keep: &HashSet<Digest>) -> Result<PruneReport> {
        let _lock = self.lock(true)?;
        let mut report = PruneReport::default();
        // Nobody prepares while the lock is exclusive: every tmp- directory is a leftover.
        for entry in fs::read_dir(&self.dir).map_err(io_at(&self.dir))? {
            let entry = entry.map_err(io_at(&self.dir))?;
            if entry.file_name().to_string_lossy().starts_with("tmp-") {
                let path = entry.path();
                let _ = unmount(&path.join("mnt"));
                fs::remove_dir_all(&path).map_err(io_at(&path))?;
                report.stale += 1;
            }
        }
        let users = self.users()?;
        let all = self.list()?;
        let mut held: HashSet<String> = users.keys().cloned().collect();
        held.extend(
            all.iter()
                .filter(|s| keep.contains(&s.chain_id))
                .map(|s| s.name.clone()),
        );
        for info in all {
            if held.contains(&info.name) {
                report.kept += 1;
                continue;
            }
            let dir = self.dir.join(&info.name);
            fs::remove_dir_all(&dir).map_err(io_at(&dir))?;
            report.removed.push(info);
        }
        Ok(report)
    }
}
