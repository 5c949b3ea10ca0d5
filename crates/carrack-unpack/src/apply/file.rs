//! Regular files: created (never through a symlink), filled from the tar, then given their
//! metadata through the open descriptor.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};

use nix::fcntl::{OFlag, openat};
use nix::sys::stat::Mode;
use nix::sys::time::TimeSpec;

use super::meta::Meta;
use super::{At, Session, fs};
use crate::error::{Error, Result};

impl Session<'_> {
    /// A regular file, created with its final mode when no chown or special bit needs a chmod
    /// after.
    pub(super) fn regular<R: Read>(
        &mut self,
        at: &At<'_>,
        entry: &mut tar::Entry<'_, R>,
        meta: &mut Meta<'_>,
        mode: u32,
        mtime: TimeSpec,
    ) -> Result<()> {
        let direct = !self.opts.rootless
            && mode & 0o7000 == 0
            && self.owner(meta, at.name)?.is_none_or(|o| self.owned_as(o));
        let create_mode = if direct { mode } else { 0o600 };
        if direct && mode & self.umask == 0 {
            meta.mode = None;
        }
        let last = at.last;
        let file = self.create(at, "create", |d| create_file(d, last, create_mode))?;
        let file = File::from(file);
        let mut written = 0u64;
        loop {
            let n = match entry.read(&mut self.buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::Read(e)),
            };
            (&file)
                .write_all(&self.buf[..n])
                .map_err(fs(at.name, "write"))?;
            written += n as u64;
        }
        self.stats.bytes += written;
        self.set_meta_file(&file, meta, mtime, at.name)
    }
}

/// Creates the new file `name` in `dir` for writing, never through a symlink.
pub(super) fn create_file(dir: &File, name: &str, mode: u32) -> nix::Result<OwnedFd> {
    openat(
        dir.as_fd(),
        name,
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::from_bits_truncate(mode),
    )
}

/// The process umask, from /proc/self/status (reading it with umask(2) would change it for
/// every thread). Unknown, it is taken to mask everything, so modes are always set explicitly.
pub(super) fn current_umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o7777)
}
