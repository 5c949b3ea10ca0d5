//! Destinations resolved inside the rootfs by descriptor, never leaving it (CVE-2021-30465).

use std::fs::File;
use std::io;
use std::os::fd::AsFd;

use nix::fcntl::{OFlag, OpenHow, ResolveFlag, openat2};
use nix::sys::stat::Mode;

fn how(flags: OFlag, resolve: ResolveFlag) -> OpenHow {
    OpenHow::new()
        .flags(flags | OFlag::O_CLOEXEC)
        .resolve(resolve | ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS)
}

/// Opens `dest` inside `root` as an `O_PATH` handle, creating it (a directory, or an empty file
/// when `file`) and its missing parents, never leaving the root. With `no_symlinks`, no
/// component may be a symlink (for /proc and /sys: CVE-2019-19921).
pub(crate) fn open_inside(
    root: &File,
    dest: &str,
    file: bool,
    no_symlinks: bool,
) -> io::Result<File> {
    open_inside_at_depth(root, dest, file, no_symlinks, 0)
}

/// The mode bits (set-id and sticky bits too) of `dest` inside `root`, if it exists and is a
/// directory; resolved as [`open_inside`] resolves it, creating nothing.
pub(crate) fn existing_dir_mode(root: &File, dest: &str, no_symlinks: bool) -> Option<u32> {
    let resolve = if no_symlinks {
        ResolveFlag::RESOLVE_NO_SYMLINKS
    } else {
        ResolveFlag::empty()
    };
    let rel = dest.trim_start_matches('/');
    let rel = if rel.is_empty() { "." } else { rel };
    let fd = openat2(root.as_fd(), rel, how(OFlag::O_PATH, resolve)).ok()?;
    let st = nix::sys::stat::fstat(&fd).ok()?;
    let dir =
        st.st_mode & nix::sys::stat::SFlag::S_IFMT.bits() == nix::sys::stat::SFlag::S_IFDIR.bits();
    dir.then_some(st.st_mode & 0o7777)
}

/// Symlinks followed while creating one destination, as the kernel's SYMLOOP_MAX.
const MAX_LINKS: u32 = 40;

/// `path` with `.` and `..` applied lexically, never above the root.
pub(crate) fn clean(path: &str) -> String {
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

fn open_inside_at_depth(
    root: &File,
    dest: &str,
    file: bool,
    no_symlinks: bool,
    links: u32,
) -> io::Result<File> {
    let resolve = if no_symlinks {
        ResolveFlag::RESOLVE_NO_SYMLINKS
    } else {
        ResolveFlag::empty()
    };
    let rel = dest.trim_start_matches('/');
    if rel.is_empty() {
        return Ok(File::from(openat2(
            root.as_fd(),
            ".",
            how(OFlag::O_PATH, resolve),
        )?));
    }
    match openat2(root.as_fd(), rel, how(OFlag::O_PATH, resolve)) {
        Ok(fd) => return Ok(File::from(fd)),
        Err(nix::Error::ENOENT) => {}
        Err(e) => return Err(e.into()),
    }
    let parts: Vec<&str> = rel
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    // Usually only the last component is missing (dev/pts on a fresh /dev): make it from its
    // parent, then resolve the whole path again from the root, as below.
    if let [parents @ .., last] = &parts[..]
        && !parents.is_empty()
        && !parts.contains(&"..")
        && let Ok(parent) = openat2(
            root.as_fd(),
            parents.join("/").as_str(),
            how(OFlag::O_PATH, resolve),
        )
    {
        let at = File::from(parent);
        make(&at, last, file)?;
        if let Ok(fd) = openat2(root.as_fd(), rel, how(OFlag::O_PATH, resolve)) {
            return Ok(File::from(fd));
        }
    }
    let mut at = File::from(openat2(root.as_fd(), ".", how(OFlag::O_PATH, resolve))?);
    for (i, part) in parts.iter().enumerate() {
        if *part == ".." {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "'..' in a mount destination",
            ));
        }
        make(&at, part, file && i + 1 == parts.len())?;
        // Resolve again from the root: a symlink met on the way stays inside it.
        let prefix = parts[..=i].join("/");
        match openat2(root.as_fd(), prefix.as_str(), how(OFlag::O_PATH, resolve)) {
            Ok(fd) => at = File::from(fd),
            // A symlink dangling inside the root (say /var/run -> /run, with no /run yet):
            // create its target inside the root, as runc does, and go on from there.
            Err(nix::Error::ENOENT) if !no_symlinks && links < MAX_LINKS => {
                let target = nix::fcntl::readlinkat(at.as_fd(), *part)?;
                let target = target.to_string_lossy();
                let base = if target.starts_with('/') {
                    String::new()
                } else {
                    parts[..i].join("/")
                };
                let rest = parts[i + 1..].join("/");
                let next = clean(&format!("{base}/{target}/{rest}"));
                return open_inside_at_depth(root, &next, file, no_symlinks, links + 1);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(at)
}

/// Creates `name` in the directory `at`: an empty file when `file`, else a directory; one that
/// exists already is fine.
fn make(at: &File, name: &str, file: bool) -> io::Result<()> {
    let made = if file {
        nix::fcntl::openat(
            at.as_fd(),
            name,
            OFlag::O_CREAT | OFlag::O_WRONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::from_bits_truncate(0o644),
        )
        .map(drop)
    } else {
        nix::sys::stat::mkdirat(at.as_fd(), name, Mode::from_bits_truncate(0o755))
    };
    match made {
        Ok(()) | Err(nix::Error::EEXIST) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Opens an existing `path` inside `root` (`O_PATH`) through no symlink at all; `None` if it
/// does not exist. A symlink on the way fails with ELOOP.
pub(crate) fn open_existing(root: &File, path: &str) -> io::Result<Option<File>> {
    let rel = path.trim_start_matches('/');
    let h = OpenHow::new()
        .flags(OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC)
        .resolve(
            ResolveFlag::RESOLVE_IN_ROOT
                | ResolveFlag::RESOLVE_NO_MAGICLINKS
                | ResolveFlag::RESOLVE_NO_SYMLINKS,
        );
    match openat2(root.as_fd(), if rel.is_empty() { "." } else { rel }, h) {
        Ok(fd) => Ok(Some(File::from(fd))),
        Err(nix::Error::ENOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
