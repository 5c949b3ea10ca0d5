//! Operations relative to a directory descriptor that never follow a symlink: the tree's
//! content decides nothing about where they read, write or remove.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags};
use rustix::io::{Errno, retry_on_intr};

use crate::error::{Error, Result, os};

const ELOOP: i32 = Errno::LOOP.raw_os_error();
const ENOTDIR: i32 = Errno::NOTDIR.raw_os_error();
const ENOENT: i32 = Errno::NOENT.raw_os_error();

/// What a directory entry is, as `lstat` says (a symlink is never followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileKind {
    /// A directory.
    Dir,
    /// A regular file.
    File,
    /// A symbolic link.
    Symlink,
    /// A device, FIFO or socket.
    Other,
}

impl FileKind {
    fn of(t: FileType) -> Self {
        match t {
            FileType::Directory => Self::Dir,
            FileType::RegularFile => Self::File,
            FileType::Symlink => Self::Symlink,
            _ => Self::Other,
        }
    }
}

/// What [`info_at`] tells of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileInfo {
    /// Its type.
    pub kind: FileKind,
    /// Its permission bits, set-id and sticky bits included.
    pub mode: u32,
    /// Its size in bytes.
    pub size: u64,
}

/// `lstat` of `name` in `dir`: `Ok(None)` when it does not exist.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let d = carrack_fs::open_dir(dir.path())?;
/// std::os::unix::fs::symlink("/", dir.path().join("l"))?;
/// assert_eq!(carrack_fs::info_at(&d, "l")?.map(|i| i.kind), Some(carrack_fs::FileKind::Symlink));
/// assert_eq!(carrack_fs::info_at(&d, "missing")?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn info_at(dir: impl AsFd, name: impl AsRef<Path>) -> Result<Option<FileInfo>> {
    let name = name.as_ref();
    match retry_on_intr(|| rustix::fs::statat(dir.as_fd(), name, AtFlags::SYMLINK_NOFOLLOW)) {
        Ok(st) => Ok(Some(FileInfo {
            kind: FileKind::of(FileType::from_raw_mode(st.st_mode)),
            mode: st.st_mode & 0o7777,
            size: u64::try_from(st.st_size).unwrap_or(0),
        })),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(os("fstatat", name)(e)),
    }
}

/// Opens a directory by a path the caller chose (which may itself be a symlink: the caller
/// chose it), for use as the `dir` of the other functions.
pub fn open_dir(path: impl AsRef<Path>) -> Result<File> {
    let path = path.as_ref();
    let fd = retry_on_intr(|| {
        rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
    })
    .map_err(os("open", path))?;
    Ok(File::from(fd))
}

/// Opens the directory `name` in `dir` for reading; a symlink there is an error (`ELOOP` or
/// `ENOTDIR`), never followed.
pub fn open_dir_at(dir: impl AsFd, name: impl AsRef<Path>) -> Result<File> {
    let name = name.as_ref();
    let fd = retry_on_intr(|| {
        rustix::fs::openat(
            dir.as_fd(),
            name,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
    })
    .map_err(os("openat", name))?;
    Ok(File::from(fd))
}

/// Opens the regular file `name` in `dir` for reading; a symlink is refused (`ELOOP`), and so
/// is anything not a regular file ([`Error::NotRegular`]), without blocking on a FIFO.
pub fn open_file_at(dir: impl AsFd, name: impl AsRef<Path>) -> Result<File> {
    let name = name.as_ref();
    let fd = retry_on_intr(|| {
        rustix::fs::openat(
            dir.as_fd(),
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
            Mode::empty(),
        )
    })
    .map_err(os("openat", name))?;
    let st = rustix::fs::fstat(&fd).map_err(os("fstat", name))?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(Error::NotRegular {
            path: name.to_path_buf(),
        });
    }
    Ok(File::from(fd))
}

/// Creates the file `name` in `dir` for writing; it must not exist (`EEXIST`, also for a
/// symlink there). `mode` is masked by the umask.
pub fn create_new(dir: impl AsFd, name: impl AsRef<Path>, mode: u32) -> Result<File> {
    let name = name.as_ref();
    let fd = retry_on_intr(|| {
        rustix::fs::openat(
            dir.as_fd(),
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(mode),
        )
    })
    .map_err(os("openat", name))?;
    Ok(File::from(fd))
}

/// Opens `name` in `dir` for reading and writing, creating it if missing (say, a lock file);
/// a symlink there is refused.
pub fn open_or_create(dir: impl AsFd, name: impl AsRef<Path>, mode: u32) -> Result<File> {
    let name = name.as_ref();
    let fd = retry_on_intr(|| {
        rustix::fs::openat(
            dir.as_fd(),
            name,
            OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(mode),
        )
    })
    .map_err(os("openat", name))?;
    Ok(File::from(fd))
}

/// Creates the directory `name` in `dir` (mode `mode`, masked by the umask) if it is missing,
/// and opens it; a symlink there is refused.
pub fn ensure_dir(dir: impl AsFd, name: impl AsRef<Path>, mode: u32) -> Result<File> {
    let name = name.as_ref();
    match retry_on_intr(|| rustix::fs::mkdirat(dir.as_fd(), name, Mode::from_raw_mode(mode))) {
        Ok(()) | Err(Errno::EXIST) => open_dir_at(dir, name),
        Err(e) => Err(os("mkdirat", name)(e)),
    }
}

/// Renames `from` to `to` within `dir`, replacing `to`.
pub fn rename_at(dir: impl AsFd, from: impl AsRef<Path>, to: impl AsRef<Path>) -> Result<()> {
    let (from, to) = (from.as_ref(), to.as_ref());
    retry_on_intr(|| rustix::fs::renameat(dir.as_fd(), from, dir.as_fd(), to))
        .map_err(os("renameat", to))
}

/// Removes the non-directory `name` from `dir` (a symlink itself, never its target).
pub fn unlink_at(dir: impl AsFd, name: impl AsRef<Path>) -> Result<()> {
    let name = name.as_ref();
    retry_on_intr(|| rustix::fs::unlinkat(dir.as_fd(), name, AtFlags::empty()))
        .map_err(os("unlinkat", name))
}

/// The names in the directory `dir` (any descriptor of it, `O_PATH` too), without `.` and `..`,
/// in the order the filesystem gives them.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("a"), b"")?;
/// let names = carrack_fs::list(carrack_fs::open_dir(dir.path())?)?;
/// assert_eq!(names, vec![std::ffi::OsString::from("a")]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn list(dir: impl AsFd) -> Result<Vec<OsString>> {
    Ok(read(dir.as_fd(), Path::new("."))?
        .into_iter()
        .map(|(n, _)| n)
        .collect())
}

/// The entries of `dir` with their types when the filesystem says them (`None`: it did not).
fn read(dir: BorrowedFd<'_>, path: &Path) -> Result<Vec<(OsString, Option<FileKind>)>> {
    // A descriptor of its own, readable (`dir` may be O_PATH), positioned at the start.
    let fd = retry_on_intr(|| {
        rustix::fs::openat(
            dir,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
    })
    .map_err(os("openat", path))?;
    let mut d = Dir::new(fd).map_err(os("readdir", path))?;
    let mut out = Vec::new();
    while let Some(entry) = d.read() {
        let entry = match entry {
            Ok(e) => e,
            // Interrupted: read the whole directory again.
            Err(Errno::INTR) => {
                d.rewind();
                out.clear();
                continue;
            }
            Err(e) => return Err(os("getdents", path)(e)),
        };
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        out.push((OsStr::from_bytes(name).to_owned(), entry_kind(&entry)));
    }
    Ok(out)
}

/// The type a directory entry carries (`d_type`), when the filesystem gave it.
#[cfg(not(any(target_os = "illumos", target_os = "solaris")))]
fn entry_kind(entry: &rustix::fs::DirEntry) -> Option<FileKind> {
    match entry.file_type() {
        FileType::Unknown => None,
        t => Some(FileKind::of(t)),
    }
}

/// illumos and Solaris entries carry no type: the callers `lstat` each one.
#[cfg(any(target_os = "illumos", target_os = "solaris"))]
fn entry_kind(_: &rustix::fs::DirEntry) -> Option<FileKind> {
    None
}

/// Removes `name` in `dir`, with everything below it when it is a directory, never following a
/// symlink (a symlink is removed, not what it points at). A missing `name` is not an error.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("t/sub"))?;
/// std::os::unix::fs::symlink("/etc", dir.path().join("t/sub/etc"))?;
/// carrack_fs::remove_tree(carrack_fs::open_dir(dir.path())?, "t")?;
/// assert!(!dir.path().join("t").exists() && std::path::Path::new("/etc").exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn remove_tree(dir: impl AsFd, name: impl AsRef<Path>) -> Result<()> {
    let name = name.as_ref();
    remove_in(dir.as_fd(), name.as_os_str(), name, None)
}

/// Removes `name` in `dir`; `hint` is its type as the directory listing said it (saving a
/// `stat` per entry), checked by the removal itself: a directory swapped for something else, or
/// the other way round, is looked at again.
fn remove_in(dir: BorrowedFd<'_>, name: &OsStr, path: &Path, hint: Option<FileKind>) -> Result<()> {
    let kind = match hint {
        Some(k) => k,
        None => match info_at(dir, name).map_err(|e| rename_path(e, path))? {
            Some(info) => info.kind,
            None => return Ok(()),
        },
    };
    if kind == FileKind::Dir {
        let sub = match open_dir_at(dir, name) {
            Ok(sub) => sub,
            // No longer a directory (ELOOP: a symlink now) or gone: look again.
            Err(e)
                if hint.is_some() && matches!(e.raw_os_error(), Some(ELOOP | ENOTDIR | ENOENT)) =>
            {
                return remove_in(dir, name, path, None);
            }
            Err(e) => return Err(rename_path(e, path)),
        };
        for (child, kind) in read(sub.as_fd(), path)? {
            remove_in(sub.as_fd(), &child, &path.join(&child), kind)?;
        }
        retry_on_intr(|| rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR))
            .map_err(os("unlinkat", path))
    } else {
        match retry_on_intr(|| rustix::fs::unlinkat(dir, name, AtFlags::empty())) {
            // A directory now, or gone: look again.
            Err(Errno::ISDIR | Errno::NOENT) if hint.is_some() => remove_in(dir, name, path, None),
            r => r.map_err(os("unlinkat", path)),
        }
    }
}

/// Gives an error the path relative to where the caller started.
fn rename_path(e: Error, path: &Path) -> Error {
    match e {
        Error::Io { op, source, .. } => Error::Io {
            op,
            path: path.to_path_buf(),
            source,
        },
        other => other,
    }
}

/// One entry met by [`walk`].
#[derive(Debug)]
pub struct WalkEntry<'a> {
    /// The directory holding it.
    pub parent: BorrowedFd<'a>,
    /// Its name there.
    pub name: &'a OsStr,
    /// Its path relative to where the walk started (the start itself is its own name).
    pub path: &'a Path,
    /// Its type (a symlink is a symlink: never followed).
    pub kind: FileKind,
}

/// Visits `name` in `dir` and, when it is a directory, everything below it, parents before
/// their children; a directory is opened (without following a symlink) only after `visit`
/// returned for it, so `visit` may make it readable first. A missing `name` visits nothing.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("t/a"))?;
/// std::os::unix::fs::symlink("/", dir.path().join("t/a/up"))?;
/// let mut seen = Vec::new();
/// carrack_fs::walk(carrack_fs::open_dir(dir.path())?, "t", &mut |e: &carrack_fs::WalkEntry<'_>| {
///     seen.push((e.path.to_path_buf(), e.kind));
///     Ok::<(), carrack_fs::Error>(())
/// })?;
/// assert_eq!(seen.len(), 3); // t, t/a, t/a/up (not followed)
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn walk<E>(
    dir: impl AsFd,
    name: impl AsRef<Path>,
    visit: &mut impl FnMut(&WalkEntry<'_>) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<Error>,
{
    let name = name.as_ref();
    let Some(info) = info_at(dir.as_fd(), name)? else {
        return Ok(());
    };
    walk_in(dir.as_fd(), name.as_os_str(), name, info.kind, visit)
}

fn walk_in<E: From<Error>>(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    path: &Path,
    kind: FileKind,
    visit: &mut impl FnMut(&WalkEntry<'_>) -> Result<(), E>,
) -> Result<(), E> {
    visit(&WalkEntry {
        parent: dir,
        name,
        path,
        kind,
    })?;
    if kind != FileKind::Dir {
        return Ok(());
    }
    let sub = open_dir_at(dir, name).map_err(|e| rename_path(e, path))?;
    for (child, kind) in read(sub.as_fd(), path)? {
        let kind = match kind {
            Some(k) => k,
            None => match info_at(sub.as_fd(), &child)? {
                Some(i) => i.kind,
                None => continue,
            },
        };
        let child_path: PathBuf = path.join(&child);
        walk_in(sub.as_fd(), &child, &child_path, kind, visit)?;
    }
    Ok(())
}
