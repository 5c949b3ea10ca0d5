//! The state store under `--root`: one directory per container holding `state.json` (replaced
//! atomically) and whatever the backend keeps there. Every command on a container holds an
//! exclusive lock on its directory (`flock` on Unix, `LockFileEx` on Windows, through
//! [`std::fs::File::lock`]), so commands on one id serialise and commands on different ids do
//! not wait for each other.

use std::fs::{self, File};
use std::io::Write;
#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::id::ContainerId;
use crate::state::ContainerState;

const STATE: &str = "state.json";

/// The directory of container state, `--root` (runc's default is `/run/runc`).
///
/// ```
/// use carrack_platform::{ContainerId, ContainerState, Store};
/// use carrack_spec::runtime::Status;
/// let root = tempfile::tempdir()?;
/// let store = Store::open(root.path())?;
/// let id = ContainerId::new("web")?;
/// let c = store.create(&id)?;
/// c.save(&ContainerState::new("web", Status::Created, "/b", "/b/rootfs"))?;
/// drop(c);
/// assert_eq!(store.lock(&id)?.load()?.status, Status::Created);
/// assert!(store.create(&id).is_err(), "ids are unique");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// One container's directory, locked for as long as this lives.
#[derive(Debug)]
pub struct Locked {
    /// Held for the lock (on Unix also lent out as a descriptor).
    #[cfg_attr(not(unix), allow(dead_code))]
    lock: File,
    path: PathBuf,
    id: ContainerId,
}

/// Opens a container's directory (never through a symlink, on Unix) and locks it exclusively.
fn lock_dir(path: &Path) -> std::io::Result<File> {
    let mut o = fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    o.custom_flags(nix::libc::O_DIRECTORY | nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC);
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt as _;
        // FILE_FLAG_BACKUP_SEMANTICS: the flag CreateFileW needs to open a directory.
        o.custom_flags(0x0200_0000);
    }
    let dir = o.open(path)?;
    dir.lock()?;
    Ok(dir)
}

/// A directory of `mode` (Unix permission bits; ignored elsewhere).
fn make_dir(path: &Path, mode: u32, recursive: bool) -> std::io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(recursive);
    #[cfg(unix)]
    b.mode(mode);
    #[cfg(not(unix))]
    let _ = mode;
    b.create(path)
}

impl Store {
    /// Opens (creating, mode 0700) the store at `root`.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        make_dir(&root, 0o700, true)
            .map_err(|e| Error::io(format!("creating state root {}", root.display()), e))?;
        Ok(Self { root })
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Makes the directory of a new container, locked; fails if the id exists.
    pub fn create(&self, id: &ContainerId) -> Result<Locked> {
        let path = self.root.join(id.as_str());
        match make_dir(&path, 0o711, false) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::Exists(id.to_string()));
            }
            Err(e) => return Err(Error::io(format!("creating {}", path.display()), e)),
        }
        let lock =
            lock_dir(&path).map_err(|e| Error::io(format!("locking {}", path.display()), e))?;
        Ok(Locked {
            lock,
            path,
            id: id.clone(),
        })
    }

    /// Locks the directory of an existing container (waiting for other commands on it).
    pub fn lock(&self, id: &ContainerId) -> Result<Locked> {
        let path = self.root.join(id.as_str());
        let lock = match lock_dir(&path) {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotFound(id.to_string()));
            }
            Err(e) => return Err(Error::io(format!("locking {}", path.display()), e)),
        };
        // A delete may have removed it while we waited.
        if !path.join(STATE).exists() && !path.exists() {
            return Err(Error::NotFound(id.to_string()));
        }
        Ok(Locked {
            lock,
            path,
            id: id.clone(),
        })
    }

    /// The ids of every container in the store, sorted.
    pub fn ids(&self) -> Result<Vec<ContainerId>> {
        let mut out: Vec<ContainerId> = fs::read_dir(&self.root)
            .map_err(|e| Error::io(format!("listing {}", self.root.display()), e))?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| ContainerId::new(n).ok())
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Who owns a container's directory, by user name where the host knows one (what `runc
    /// list` shows as OWNER); empty when it cannot be told.
    pub fn owner(&self, id: &ContainerId) -> String {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let Ok(md) = fs::metadata(self.root.join(id.as_str())) else {
                return String::new();
            };
            nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(md.uid()))
                .ok()
                .flatten()
                .map_or_else(|| md.uid().to_string(), |u| u.name)
        }
        #[cfg(not(unix))]
        {
            let _ = id;
            String::new()
        }
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for Locked {
    /// The lock's descriptor (a child process that must not keep the lock closes it).
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.lock.as_raw_fd()
    }
}

impl Locked {
    /// The container's directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The container's id.
    pub fn id(&self) -> &ContainerId {
        &self.id
    }

    /// Reads `state.json`.
    pub fn load(&self) -> Result<ContainerState> {
        let path = self.path.join(STATE);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotFound(self.id.to_string()));
            }
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
        };
        serde_json::from_slice(&bytes).map_err(|e| Error::State {
            path,
            reason: e.to_string(),
        })
    }

    /// Replaces `state.json` atomically (a temporary file renamed over it). Not synced: the
    /// state lives under /run, which does not outlive a reboot, and a sync costs a start
    /// several milliseconds on a disk.
    pub fn save(&self, state: &ContainerState) -> Result<()> {
        let path = self.path.join(STATE);
        let tmp = self.path.join(".state.json.tmp");
        let bytes = serde_json::to_vec(state).map_err(|e| Error::State {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let write = || -> std::io::Result<()> {
            let mut o = fs::OpenOptions::new();
            o.write(true).create(true).truncate(true);
            #[cfg(unix)]
            o.mode(0o600);
            let mut f = o.open(&tmp)?;
            f.write_all(&bytes)?;
            drop(f);
            replace(&tmp, &path)
        };
        write().map_err(|e| Error::io(format!("writing {}", path.display()), e))
    }

    /// Removes the container's directory (the lock is released when this is dropped).
    pub fn remove(self) -> Result<()> {
        fs::remove_dir_all(&self.path)
            .map_err(|e| Error::io(format!("removing {}", self.path.display()), e))
    }
}

/// Puts `tmp` in place of `path` atomically. On Linux the two are exchanged and the old state
/// then unlinked, rather than `tmp` renamed over `path`: ext4 (auto_da_alloc) writes a file
/// renamed over another out to disk at once, and the `delete` that unlinks it then waits for
/// that write (about half a millisecond a container, measured on this project's CI machine).
fn replace(tmp: &Path, path: &Path) -> std::io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use nix::fcntl::{AT_FDCWD, RenameFlags, renameat2};
        match renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RenameFlags::RENAME_EXCHANGE) {
            Ok(()) => return fs::remove_file(tmp),
            // Nothing to exchange with yet, or a filesystem without exchange: rename.
            Err(nix::Error::ENOENT | nix::Error::EINVAL | nix::Error::ENOSYS) => {}
            Err(e) => return Err(e.into()),
        }
    }
    fs::rename(tmp, path)
}
