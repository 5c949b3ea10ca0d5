//! The snapshot directory: opening it, naming and reading snapshots, listing, removing and
//! pruning them.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use carrack_spec::image::Digest;

use super::mount::unmount;
use super::types::{PruneReport, Result, SnapshotError, SnapshotInfo, Unsupported, io_at};

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
    pub(super) dir: PathBuf,
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
    pub fn supported() -> std::result::Result<(), Unsupported> {
        if !nix::unistd::geteuid().is_root() {
            return Err(Unsupported::NotRoot);
        }
        match fs::read_to_string("/proc/filesystems") {
            Ok(t) if !t.lines().any(|l| l.ends_with("\toverlay")) => {
                // The module may still load on the first mount.
                if Path::new("/sys/module/overlay").exists() || Path::new("/lib/modules").exists() {
                    Ok(())
                } else {
                    Err(Unsupported::NoOverlay)
                }
            }
            _ => Ok(()),
        }
    }

    pub(super) fn lock(&self, exclusive: bool) -> Result<File> {
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

    pub(super) fn name_of(chain: &Digest) -> String {
        chain.encoded().chars().take(16).collect()
    }

    pub(super) fn info(&self, name: &str) -> Result<Option<SnapshotInfo>> {
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

    pub(super) fn existing(&self, chain: &Digest) -> Result<Option<SnapshotInfo>> {
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
