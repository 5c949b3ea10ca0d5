//! The root filesystem being written: every path is resolved inside it with
//! `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)`, so symlinks planted by any layer are
//! followed as if the root were `/`, and nothing can resolve outside it. The last component of a
//! path is never followed.

use std::fs::File;
use std::io;
use std::os::fd::AsFd;
use std::path::Path;

use nix::fcntl::{OFlag, OpenHow, ResolveFlag, openat, openat2};
use nix::sys::stat::Mode;

pub(crate) fn io_err(e: nix::Error) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

/// A root directory handle.
pub(crate) struct Root {
    dir: File,
}

impl Root {
    pub(crate) fn open(path: &Path) -> io::Result<Self> {
        let fd = nix::fcntl::open(
            path,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(io_err)?;
        Ok(Self {
            dir: File::from(fd),
        })
    }

    /// Opens the directory `components` names inside the root (an `O_PATH` handle). With
    /// `create`, missing directories are made (mode 0755) on the way.
    pub(crate) fn dir(&self, components: &[String], create: bool) -> io::Result<File> {
        if components.is_empty() {
            return self.reopen(".");
        }
        let joined = components.join("/");
        match self.resolve(&joined) {
            Ok(f) => return Ok(f),
            Err(e) if create && e.raw_os_error() == Some(nix::libc::ENOENT) => {}
            Err(e) => return Err(e),
        }
        let mut cur = self.reopen(".")?;
        for (i, c) in components.iter().enumerate() {
            match nix::sys::stat::mkdirat(cur.as_fd(), c.as_str(), Mode::from_bits_truncate(0o755))
            {
                Ok(()) | Err(nix::Error::EEXIST) => {}
                Err(e) => return Err(io_err(e)),
            }
            // Re-resolve from the root, so a symlink met here is still followed inside it.
            cur = self.resolve(&components[..=i].join("/"))?;
        }
        Ok(cur)
    }

    /// Reads at most `max` bytes of the regular file `path` inside the root (symlinks followed
    /// inside it). A missing file is `Ok(None)`.
    pub(crate) fn read_file(&self, path: &str, max: u64) -> io::Result<Option<Vec<u8>>> {
        let how = OpenHow::new()
            .flags(OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)
            .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
        let fd = match openat2(self.dir.as_fd(), path, how) {
            Ok(fd) => fd,
            Err(nix::Error::ENOENT) => return Ok(None),
            Err(e) => return Err(io_err(e)),
        };
        let file = File::from(fd);
        if !file.metadata()?.is_file() {
            return Ok(None);
        }
        let mut out = Vec::new();
        io::Read::read_to_end(&mut io::Read::take(file, max), &mut out)?;
        Ok(Some(out))
    }

    fn reopen(&self, path: &str) -> io::Result<File> {
        let fd = openat(
            self.dir.as_fd(),
            path,
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(io_err)?;
        Ok(File::from(fd))
    }

    fn resolve(&self, path: &str) -> io::Result<File> {
        let how = OpenHow::new()
            .flags(OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC)
            .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
        let fd = openat2(self.dir.as_fd(), path, how).map_err(io_err)?;
        Ok(File::from(fd))
    }
}
