//! Opening a path inside a root directory with `openat2(RESOLVE_IN_ROOT |
//! RESOLVE_NO_MAGICLINKS)`: symlinks (absolute or relative) and `..` are resolved as if the root
//! were `/`, so no content of the tree can name a file outside it (CVE-2021-30465,
//! CVE-2018-15664, CVE-2021-29136).

use std::ffi::OsStr;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

use crate::error::{Error, Result, os};

/// Symlinks followed while creating one path, as the kernel's `SYMLOOP_MAX`.
const MAX_LINKS: u32 = 40;

/// Times `openat2` is tried again when the kernel saw a rename or mount race (`EAGAIN`).
const MAX_AGAIN: u32 = 128;

/// How to open a path inside a root: a builder whose [`InRoot::open`] does the work.
///
/// By default the result is an `O_PATH` descriptor of whatever the path names (the last
/// component followed too, inside the root), nothing is created, and symlinks are followed
/// inside the root.
///
/// ```
/// use carrack_fs::InRoot;
/// let dir = tempfile::tempdir()?;
/// let root = carrack_fs::open_dir(dir.path())?;
/// // An absolute symlink and `..` both stay inside the root.
/// std::os::unix::fs::symlink("/../..", dir.path().join("up"))?;
/// let up = InRoot::new().directory().open(&root, "up/../..")?;
/// assert_eq!(carrack_fs::list(&up)?, carrack_fs::list(&root)?);
/// // Missing directories are made on the way, inside the root.
/// InRoot::new().create_dirs().open(&root, "up/a/b")?;
/// assert!(dir.path().join("a/b").is_dir());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[must_use]
pub struct InRoot {
    create: Create,
    directory: bool,
    readable: bool,
    no_symlinks: bool,
    nofollow: bool,
    dangling: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Create {
    #[default]
    Nothing,
    Dirs,
    DirsAndFile,
}

impl InRoot {
    /// An `O_PATH` open of an existing path, symlinks followed inside the root.
    pub fn new() -> Self {
        Self::default()
    }

    /// Create missing directories on the way (mode 0755, masked by the umask), each resolved
    /// again from the root after it is made.
    pub fn create_dirs(mut self) -> Self {
        self.create = Create::Dirs;
        self
    }

    /// Like [`InRoot::create_dirs`], and the last component, when missing, is made an empty
    /// regular file (mode 0644) rather than a directory.
    pub fn create_file(mut self) -> Self {
        self.create = Create::DirsAndFile;
        self
    }

    /// The result must be a directory (`O_DIRECTORY`: `ENOTDIR` otherwise).
    pub fn directory(mut self) -> Self {
        self.directory = true;
        self
    }

    /// Open for reading (`O_RDONLY | O_NONBLOCK`) rather than `O_PATH`.
    pub fn readable(mut self) -> Self {
        self.readable = true;
        self
    }

    /// No component may be a symlink at all (`RESOLVE_NO_SYMLINKS`: `ELOOP`), as for
    /// destinations under /proc and /sys (CVE-2019-19921).
    pub fn no_symlinks(mut self) -> Self {
        self.no_symlinks = true;
        self
    }

    /// A symlink as the last component is opened itself (`O_NOFOLLOW`; with `O_PATH` and
    /// [`InRoot::no_symlinks`] this gives a descriptor of the link).
    pub fn nofollow(mut self) -> Self {
        self.nofollow = true;
        self
    }

    /// When creating, a symlink met on the way that dangles (say `/var/run -> /run` with no
    /// `/run` yet) has its target created inside the root, as runc does, rather than the open
    /// failing with `ENOENT`. At most 40 such links are followed.
    pub fn create_dangling_targets(mut self) -> Self {
        self.dangling = true;
        self
    }

    fn flags(&self) -> (OFlags, ResolveFlags) {
        let mut flags = OFlags::CLOEXEC;
        flags |= if self.readable {
            OFlags::RDONLY | OFlags::NONBLOCK
        } else {
            OFlags::PATH
        };
        if self.directory {
            flags |= OFlags::DIRECTORY;
        }
        if self.nofollow {
            flags |= OFlags::NOFOLLOW;
        }
        let mut resolve = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
        if self.no_symlinks {
            resolve |= ResolveFlags::NO_SYMLINKS;
        }
        (flags, resolve)
    }

    /// Opens `path` (absolute or relative: both are taken from the root) inside the directory
    /// `root`. An empty path, `/` or `.` is the root itself.
    pub fn open(&self, root: impl AsFd, path: impl AsRef<Path>) -> Result<File> {
        let path = path.as_ref();
        self.open_at_depth(root.as_fd(), path.as_os_str().as_bytes(), 0)
            .map(File::from)
    }

    fn resolve(&self, root: BorrowedFd<'_>, rel: &[u8], last: bool) -> rustix::io::Result<OwnedFd> {
        let (mut flags, resolve) = self.flags();
        if !last {
            // A directory on the way: an O_PATH handle to go on from.
            flags = OFlags::PATH | OFlags::CLOEXEC;
        }
        openat2(root, rel, flags, resolve)
    }

    fn open_at_depth(&self, root: BorrowedFd<'_>, path: &[u8], links: u32) -> Result<OwnedFd> {
        let rel = trim_slashes(path);
        let shown = Path::new(OsStr::from_bytes(path));
        if rel.is_empty() {
            return self.resolve(root, b".", true).map_err(os("openat2", shown));
        }
        match self.resolve(root, rel, true) {
            Ok(fd) => return Ok(fd),
            Err(Errno::NOENT) if self.create != Create::Nothing => {}
            Err(e) => return Err(os("openat2", shown)(e)),
        }
        let parts: Vec<&[u8]> = rel
            .split(|b| *b == b'/')
            .filter(|p| !p.is_empty() && *p != b".")
            .collect();
        let file = self.create == Create::DirsAndFile;
        // Usually only the last component is missing: make it from its parent, then resolve
        // the whole path again from the root.
        if let [parents @ .., last] = &parts[..]
            && !parents.is_empty()
            && !parts.contains(&&b".."[..])
            && let Ok(parent) = self.resolve(root, &parents.join(&b'/'), false)
        {
            make(parent.as_fd(), last, file, shown)?;
            if let Ok(fd) = self.resolve(root, rel, true) {
                return Ok(fd);
            }
        }
        let mut at = self
            .resolve(root, b".", false)
            .map_err(os("openat2", "."))?;
        for (i, part) in parts.iter().enumerate() {
            if *part == b".." {
                return Err(Error::ParentDir {
                    path: shown.to_path_buf(),
                });
            }
            let last = i + 1 == parts.len();
            make(at.as_fd(), part, file && last, shown)?;
            // Resolve again from the root: a symlink met on the way stays inside it.
            let prefix = parts[..=i].join(&b'/');
            match self.resolve(root, &prefix, last) {
                Ok(fd) => at = fd,
                Err(Errno::NOENT) if self.dangling && !self.no_symlinks && links < MAX_LINKS => {
                    let target =
                        rustix::fs::readlinkat(at.as_fd(), OsStr::from_bytes(part), Vec::new())
                            .map_err(os("readlinkat", Path::new(OsStr::from_bytes(&prefix))))?;
                    let target = target.as_bytes();
                    let mut next = Vec::new();
                    if !target.starts_with(b"/") {
                        next.extend_from_slice(&parts[..i].join(&b'/'));
                    }
                    next.push(b'/');
                    next.extend_from_slice(target);
                    next.push(b'/');
                    next.extend_from_slice(&parts[i + 1..].join(&b'/'));
                    let next = clean_bytes(&next);
                    return self.open_at_depth(root, &next, links + 1);
                }
                Err(e) => return Err(os("openat2", Path::new(OsStr::from_bytes(&prefix)))(e)),
            }
        }
        Ok(at)
    }
}

/// `openat2`, tried again on `EINTR` and (a bounded number of times) on `EAGAIN`, which the
/// kernel returns for `RESOLVE_IN_ROOT` when a concurrent rename or mount might have let a `..`
/// escape: the lookup is then simply repeated.
fn openat2(
    root: BorrowedFd<'_>,
    rel: &[u8],
    flags: OFlags,
    resolve: ResolveFlags,
) -> rustix::io::Result<OwnedFd> {
    let path = OsStr::from_bytes(rel);
    let mut again = 0;
    loop {
        match rustix::fs::openat2(root, path, flags, Mode::empty(), resolve) {
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) if again < MAX_AGAIN => again += 1,
            r => return r,
        }
    }
}

/// Creates `name` in the directory `at`: an empty file when `file`, else a directory; one that
/// exists already is fine.
fn make(at: BorrowedFd<'_>, name: &[u8], file: bool, shown: &Path) -> Result<()> {
    let name = OsStr::from_bytes(name);
    let made = rustix::io::retry_on_intr(|| {
        if file {
            rustix::fs::openat(
                at,
                name,
                OFlags::CREATE | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o644),
            )
            .map(drop)
        } else {
            rustix::fs::mkdirat(at, name, Mode::from_raw_mode(0o755))
        }
    });
    match made {
        Ok(()) | Err(Errno::EXIST) => Ok(()),
        Err(e) => Err(os(if file { "openat" } else { "mkdirat" }, shown)(e)),
    }
}

fn trim_slashes(path: &[u8]) -> &[u8] {
    let start = path.iter().position(|b| *b != b'/').unwrap_or(path.len());
    &path[start..]
}

/// `path` with `.` and `..` applied lexically, never above the root, without a leading `/`.
///
/// ```
/// assert_eq!(carrack_fs::clean("/a/./b/../../../c//d"), "c/d");
/// ```
pub fn clean(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            p => out.push(p),
        }
    }
    out.join("/")
}

fn clean_bytes(path: &[u8]) -> Vec<u8> {
    let mut out: Vec<&[u8]> = Vec::new();
    for p in path.split(|b| *b == b'/') {
        match p {
            b"" | b"." => {}
            b".." => {
                out.pop();
            }
            p => out.push(p),
        }
    }
    out.join(&b'/')
}

/// Reads at most `max` bytes of the regular file `path` inside `root` (symlinks followed inside
/// it). A missing file, or one that is not a regular file, is `Ok(None)`.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("etc"))?;
/// std::fs::write(dir.path().join("etc/passwd"), b"root:x:0:0::/root:/bin/sh\n")?;
/// std::os::unix::fs::symlink("/etc/passwd", dir.path().join("p"))?;
/// let root = carrack_fs::open_dir(dir.path())?;
/// let bytes = carrack_fs::read_in_root(&root, "p", 4)?;
/// assert_eq!(bytes.as_deref(), Some(&b"root"[..]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_in_root(root: impl AsFd, path: impl AsRef<Path>, max: u64) -> Result<Option<Vec<u8>>> {
    let path = path.as_ref();
    let file = match InRoot::new().readable().open(root, path) {
        Ok(f) => f,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    let io = |op| move |e| Error::io(op, path, e);
    if !file.metadata().map_err(io("fstat"))?.is_file() {
        return Ok(None);
    }
    let mut out = Vec::new();
    file.take(max).read_to_end(&mut out).map_err(io("read"))?;
    Ok(Some(out))
}
