//! Extended attributes: set on what an entry created, read back when diffing a tree.
//!
//! Regular files and directories are written through a descriptor of the inode itself;
//! symlinks, devices and FIFOs through their `O_PATH` descriptor's `/proc/self/fd` link, which
//! names exactly that inode and is never resolved by path.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

use rustix::fs::XattrFlags;

/// Sets `name` on the open file or directory `fd`.
pub(crate) fn set_fd(fd: &File, name: &str, value: &[u8]) -> io::Result<()> {
    rustix::fs::fsetxattr(fd, name, value, XattrFlags::empty()).map_err(io::Error::from)
}

/// Sets `name` on the inode an `O_PATH` descriptor refers to (a symlink included).
pub(crate) fn set_opath(fd: &File, name: &str, value: &[u8]) -> io::Result<()> {
    let link = format!("/proc/self/fd/{}", fd.as_raw_fd());
    rustix::fs::setxattr(link.as_str(), name, value, XattrFlags::empty()).map_err(io::Error::from)
}

/// Every extended attribute of `path` (not following a final symlink), sorted by name.
/// A filesystem without xattr support has none.
pub(crate) fn list(path: &Path) -> io::Result<Vec<(String, Vec<u8>)>> {
    let mut names = vec![0u8; 1024];
    let len = loop {
        match rustix::fs::llistxattr(path, &mut names[..]) {
            Ok(n) => break n,
            Err(rustix::io::Errno::RANGE) => {
                let need: usize =
                    rustix::fs::llistxattr(path, &mut [0u8; 0][..]).map_err(io::Error::from)?;
                names.resize(need.max(names.len() * 2), 0);
            }
            Err(rustix::io::Errno::NOTSUP) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        }
    };
    let mut out = Vec::new();
    for raw in names[..len].split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let Ok(name) = std::str::from_utf8(raw) else {
            continue;
        };
        let mut value = vec![0u8; 256];
        let n = loop {
            match rustix::fs::lgetxattr(path, name, &mut value[..]) {
                Ok(n) => break n,
                Err(rustix::io::Errno::RANGE) => {
                    let need: usize = rustix::fs::lgetxattr(path, name, &mut [0u8; 0][..])
                        .map_err(io::Error::from)?;
                    value.resize(need.max(value.len() * 2), 0);
                }
                Err(rustix::io::Errno::NODATA) => break usize::MAX,
                Err(e) => return Err(e.into()),
            }
        };
        if n != usize::MAX {
            value.truncate(n);
            out.push((name.to_owned(), value));
        }
    }
    out.sort();
    Ok(out)
}

/// Whether a failure to set an xattr may be ignored when unpacking without privilege.
pub(crate) fn tolerable_rootless(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(nix::libc::EPERM | nix::libc::EACCES | nix::libc::ENOTSUP)
    )
}
