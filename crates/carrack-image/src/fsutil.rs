//! File operations relative to directory handles, never following a symlink: the layout's
//! content decides nothing about where carrack reads or writes.

use std::fs::File;
use std::io;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicU64, Ordering};

use nix::fcntl::{OFlag, openat, renameat};
use nix::sys::stat::Mode;
use nix::unistd::{UnlinkatFlags, unlinkat};

fn io_err(e: nix::Error) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

/// Opens the directory `name` inside `dir`; a symlink there is an error (`ELOOP`/`ENOTDIR`).
pub(crate) fn open_dir(dir: &File, name: &str) -> io::Result<File> {
    let fd = openat(
        dir.as_fd(),
        name,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(io_err)?;
    Ok(File::from(fd))
}

/// Opens a directory given by a caller-supplied path (which may itself be a symlink: the caller
/// chose it).
pub(crate) fn open_root(path: &std::path::Path) -> io::Result<File> {
    let fd = nix::fcntl::open(
        path,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(io_err)?;
    Ok(File::from(fd))
}

/// Opens the regular file `name` inside `dir` for reading; symlinks and non-regular files are
/// refused.
pub(crate) fn open_file(dir: &File, name: &str) -> io::Result<File> {
    let fd = openat(
        dir.as_fd(),
        name,
        OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK,
        Mode::empty(),
    )
    .map_err(io_err)?;
    let file = File::from(fd);
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name} is not a regular file"),
        ));
    }
    Ok(file)
}

/// Creates the directory `name` inside `dir` if it is missing, and opens it.
pub(crate) fn ensure_dir(dir: &File, name: &str) -> io::Result<File> {
    match nix::sys::stat::mkdirat(dir.as_fd(), name, Mode::from_bits_truncate(0o755)) {
        Ok(()) | Err(nix::Error::EEXIST) => open_dir(dir, name),
        Err(e) => Err(io_err(e)),
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh temporary name, unique within this process and unlikely across processes.
pub(crate) fn temp_name(prefix: &str) -> String {
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

/// Creates a new file `name` in `dir` (it must not exist) for writing.
pub(crate) fn create_new(dir: &File, name: &str, mode: u32) -> io::Result<File> {
    let fd = openat(
        dir.as_fd(),
        name,
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::from_bits_truncate(mode),
    )
    .map_err(io_err)?;
    Ok(File::from(fd))
}

/// Opens (creating if needed) `name` in `dir` for locking.
pub(crate) fn open_lock(dir: &File, name: &str) -> io::Result<File> {
    let fd = openat(
        dir.as_fd(),
        name,
        OFlag::O_RDWR | OFlag::O_CREAT | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::from_bits_truncate(0o644),
    )
    .map_err(io_err)?;
    Ok(File::from(fd))
}

/// Renames `from` to `to` within `dir`, replacing `to`.
pub(crate) fn rename(dir: &File, from: &str, to: &str) -> io::Result<()> {
    renameat(dir.as_fd(), from, dir.as_fd(), to).map_err(io_err)
}

/// Removes the file `name` from `dir`.
pub(crate) fn unlink(dir: &File, name: &str) -> io::Result<()> {
    unlinkat(dir.as_fd(), name, UnlinkatFlags::NoRemoveDir).map_err(io_err)
}

/// Whether `name` exists in `dir` (without following a symlink).
pub(crate) fn exists(dir: &File, name: &str) -> io::Result<Option<nix::sys::stat::FileStat>> {
    match nix::sys::stat::fstatat(dir.as_fd(), name, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(st)),
        Err(nix::Error::ENOENT) => Ok(None),
        Err(e) => Err(io_err(e)),
    }
}

/// The names in `dir`, without `.` and `..`.
pub(crate) fn list(dir: &File) -> io::Result<Vec<String>> {
    let fd = openat(
        dir.as_fd(),
        ".",
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(io_err)?;
    let mut d = nix::dir::Dir::from_fd(fd).map_err(io_err)?;
    let mut out = Vec::new();
    for entry in d.iter() {
        let entry = entry.map_err(io_err)?;
        if let Ok(name) = entry.file_name().to_str()
            && name != "."
            && name != ".."
        {
            out.push(name.to_owned());
        }
    }
    Ok(out)
}
