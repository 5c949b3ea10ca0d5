//! Replacing a file atomically: readers see the old content or the new, never a mix, and after
//! a crash the file is one or the other.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh temporary name starting with `prefix`: unique within this process, and unlikely to
/// be used by another (its pid, a counter and the clock's nanoseconds).
///
/// ```
/// assert_ne!(carrack_fs::temp_name(".tmp-"), carrack_fs::temp_name(".tmp-"));
/// ```
pub fn temp_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// How to replace a file: a temporary file beside it (created exclusively, never through a
/// symlink), written, synced, renamed over the file, and the directory synced so the rename
/// itself is durable. On failure the temporary file is removed and the old file is untouched.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("state.json");
/// carrack_fs::Replace::new().write(&path, b"{}")?;
/// carrack_fs::Replace::new().write(&path, b"{\"v\":2}")?;
/// assert_eq!(std::fs::read(&path)?, b"{\"v\":2}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct Replace {
    mode: u32,
    sync: bool,
    exchange: bool,
}

impl Default for Replace {
    fn default() -> Self {
        Self {
            mode: 0o644,
            sync: true,
            exchange: false,
        }
    }
}

impl Replace {
    /// Mode 0644 (masked by the umask), synced.
    pub fn new() -> Self {
        Self::default()
    }

    /// The new file's mode (Unix; masked by the umask).
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }

    /// Whether to `fsync` the file before the rename and the directory after it (default
    /// yes). Without, the replacement is still atomic for readers, but a crash may leave the
    /// old content (or, on some filesystems, an empty file): for state that does not outlive a
    /// reboot anyway, such as files under /run.
    pub fn sync(mut self, sync: bool) -> Self {
        self.sync = sync;
        self
    }

    /// On Linux, put the new file in place by exchanging it with the old one
    /// (`renameat2(RENAME_EXCHANGE)`) and then unlinking the old one, rather than renaming over
    /// it (default no; elsewhere, or where the filesystem cannot exchange or there is nothing
    /// to exchange with yet, a plain rename). Readers see the same atomic switch. It matters
    /// with [`Replace::sync`] off on ext4: a file renamed over another is written out at once
    /// there (`auto_da_alloc`), and an exchange avoids that wait.
    pub fn exchange(mut self, exchange: bool) -> Self {
        self.exchange = exchange;
        self
    }

    /// Replaces the file at `path` with `bytes`, by path (every OS).
    pub fn write(&self, path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
        let path = path.as_ref();
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let temp = dir.join(temp_name(&format!(".{name}.tmp-")));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, self.mode);
        let mut file = opts
            .open(&temp)
            .map_err(|e| Error::io("create", &temp, e))?;
        let result = self
            .fill(&mut file, bytes, &temp)
            .and_then(|()| self.put(&temp, path));
        if let Err(e) = result {
            let _ = std::fs::remove_file(&temp);
            return Err(e);
        }
        #[cfg(unix)]
        if self.sync {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| Error::io("fsync", dir, e))?;
        }
        Ok(())
    }

    /// Replaces `name` in the directory `dir` with `bytes`, relative to the descriptor: neither
    /// the temporary file nor the rename can be redirected by a symlink.
    #[cfg(unix)]
    pub fn write_at(&self, dir: &File, name: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
        let name = name.as_ref();
        let temp = temp_name(&format!(".{}.tmp-", name.to_string_lossy()));
        let mut file = crate::dir::create_new(dir, &temp, self.mode)?;
        let result = self
            .fill(&mut file, bytes, Path::new(&temp))
            .and_then(|()| self.put_at(dir, Path::new(&temp), name));
        if let Err(e) = result {
            let _ = crate::dir::unlink_at(dir, &temp);
            return Err(e);
        }
        if self.sync {
            dir.sync_all().map_err(|e| Error::io("fsync", ".", e))?;
        }
        Ok(())
    }

    /// Puts `temp` in place of `path` (by path).
    fn put(&self, temp: &Path, path: &Path) -> Result<()> {
        #[cfg(target_os = "linux")]
        if self.exchange {
            use rustix::fs::{CWD, RenameFlags, renameat_with};
            match renameat_with(CWD, temp, CWD, path, RenameFlags::EXCHANGE) {
                Ok(()) => {
                    return std::fs::remove_file(temp).map_err(|e| Error::io("unlink", temp, e));
                }
                // Nothing to exchange with yet, or a filesystem without exchange: rename.
                Err(rustix::io::Errno::NOENT | rustix::io::Errno::INVAL) => {}
                Err(e) => return Err(Error::io("renameat2", path, e.into())),
            }
        }
        std::fs::rename(temp, path).map_err(|e| Error::io("rename", path, e))
    }

    /// Puts `temp` in place of `name`, both in `dir`.
    #[cfg(unix)]
    fn put_at(&self, dir: &File, temp: &Path, name: &Path) -> Result<()> {
        #[cfg(target_os = "linux")]
        if self.exchange {
            use rustix::fs::{RenameFlags, renameat_with};
            match renameat_with(dir, temp, dir, name, RenameFlags::EXCHANGE) {
                Ok(()) => return crate::dir::unlink_at(dir, temp),
                Err(rustix::io::Errno::NOENT | rustix::io::Errno::INVAL) => {}
                Err(e) => return Err(Error::io("renameat2", name, e.into())),
            }
        }
        crate::dir::rename_at(dir, temp, name)
    }

    fn fill(&self, file: &mut File, bytes: &[u8], temp: &Path) -> Result<()> {
        file.write_all(bytes)
            .map_err(|e| Error::io("write", temp, e))?;
        if self.sync {
            file.sync_all().map_err(|e| Error::io("fsync", temp, e))?;
        }
        Ok(())
    }
}
