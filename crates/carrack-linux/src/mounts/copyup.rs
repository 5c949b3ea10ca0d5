//! `tmpcopyup`: a tmpfs mounted over a directory of the image starts with a copy of what it
//! covers (podman asks for it on /run, /tmp and /var/tmp with `--read-only`, and for
//! `--tmpfs`), as runc does.
//!
//! The covered directory is opened before the tmpfs goes over it and read through that
//! descriptor afterwards; every step is relative to a directory descriptor and follows no
//! symlink, so a hostile image cannot point the copy anywhere outside the directory. Owners,
//! modes (set-id bits too), access and modification times, symlinks, subdirectories, devices,
//! FIFOs and sockets are copied; holes in regular files stay holes. The tmpfs's root is not
//! copied: like every tmpfs over an existing directory it takes that directory's mode unless its
//! options give one, and root's ownership unless they give another, as with runc.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::FileExt;

use nix::dir::Dir;
use nix::fcntl::{AtFlags, OFlag, openat};
use nix::sys::stat::{
    FchmodatFlags, FileStat, Mode, SFlag, UtimensatFlags, fchmod, fstat, fstatat, futimens,
    mknodat, utimensat,
};
use nix::sys::time::TimeSpec;
use nix::unistd::{Gid, Uid, fchown, fchownat};

use crate::error::{Error, Result};

/// Directories deeper than this are refused (each level holds two descriptors).
const MAX_DEPTH: usize = 256;

/// Copies the contents of the directory `from` (read through this descriptor, opened before the
/// tmpfs covered it) into `to`, the new tmpfs's root. Errors name the path that failed,
/// relative to the mount's destination.
pub(crate) fn copy_dir_contents(from: &File, to: &File) -> Result<()> {
    copy_dir(from.as_fd(), to.as_fd(), "", 0)
}

fn open_dir_at(at: impl AsFd, name: &str) -> nix::Result<OwnedFd> {
    openat(
        at,
        name,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
}

fn copy_dir(
    from: std::os::fd::BorrowedFd<'_>,
    to: std::os::fd::BorrowedFd<'_>,
    rel: &str,
    depth: usize,
) -> Result<()> {
    let at = |name: &str| {
        if rel.is_empty() {
            name.to_owned()
        } else {
            format!("{rel}/{name}")
        }
    };
    if depth > MAX_DEPTH {
        return Err(Error::refused(
            None,
            rel,
            format!("directories nest deeper than {MAX_DEPTH} levels"),
        ));
    }
    // A descriptor of its own to read the entries with: `Dir` owns and closes it.
    let listing = open_dir_at(from, ".").map_err(|e| Error::sys(at("."), e))?;
    let mut dir = Dir::from_fd(listing).map_err(|e| Error::sys(at("."), e))?;
    let mut names = Vec::new();
    for entry in dir.iter() {
        let entry =
            entry.map_err(|e| Error::sys(format!("{}: reading the directory", at(".")), e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != "." && name != ".." {
            names.push(name);
        }
    }
    drop(dir);
    for name in names {
        let path = at(&name);
        let st = fstatat(from, name.as_str(), AtFlags::AT_SYMLINK_NOFOLLOW)
            .map_err(|e| Error::sys(&path, e))?;
        copy_entry(from, to, &name, &st, &path, depth).map_err(|e| match &e {
            // Named by a deeper level already.
            Error::Sys { what, .. } | Error::Refused { what, .. } if what.starts_with(&path) => e,
            _ => e.context(&path),
        })?;
    }
    Ok(())
}

/// Copies one entry `name` of `from` (whose lstat is `st`) into `to`.
fn copy_entry(
    from: std::os::fd::BorrowedFd<'_>,
    to: std::os::fd::BorrowedFd<'_>,
    name: &str,
    st: &FileStat,
    path: &str,
    depth: usize,
) -> Result<()> {
    let kind = SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits());
    let perm = Mode::from_bits_truncate(st.st_mode & 0o7777);
    fn e(what: &'static str) -> impl Fn(nix::Error) -> Error {
        move |err| Error::sys(what, err)
    }
    match kind {
        SFlag::S_IFDIR => {
            let src = open_dir_at(from, name).map_err(e("opening"))?;
            check_same(&src, st, SFlag::S_IFDIR)?;
            nix::sys::stat::mkdirat(to, name, Mode::from_bits_truncate(0o700))
                .map_err(e("creating"))?;
            let dst = open_dir_at(to, name).map_err(e("opening the copy"))?;
            copy_dir(src.as_fd(), dst.as_fd(), path, depth + 1)?;
            fchown(
                &dst,
                Some(Uid::from_raw(st.st_uid)),
                Some(Gid::from_raw(st.st_gid)),
            )
            .map_err(e("chown"))?;
            fchmod(&dst, perm).map_err(e("chmod"))?;
            futimens(&dst, &atime(st), &mtime(st)).map_err(e("setting times"))?;
        }
        SFlag::S_IFREG => {
            let src = openat(
                from,
                name,
                OFlag::O_RDONLY
                    | OFlag::O_NOFOLLOW
                    | OFlag::O_NONBLOCK
                    | OFlag::O_NOCTTY
                    | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map_err(e("opening"))?;
            let st = check_same(&src, st, SFlag::S_IFREG)?;
            let dst = openat(
                to,
                name,
                OFlag::O_WRONLY
                    | OFlag::O_CREAT
                    | OFlag::O_EXCL
                    | OFlag::O_NOFOLLOW
                    | OFlag::O_CLOEXEC,
                Mode::from_bits_truncate(0o600),
            )
            .map_err(e("creating"))?;
            let (src, dst) = (File::from(src), File::from(dst));
            copy_data(&src, &dst, st.st_size).map_err(|err| Error::sys("copying", err))?;
            fchown(
                &dst,
                Some(Uid::from_raw(st.st_uid)),
                Some(Gid::from_raw(st.st_gid)),
            )
            .map_err(e("chown"))?;
            // After the chown, which clears set-id bits.
            fchmod(&dst, perm).map_err(e("chmod"))?;
            futimens(&dst, &atime(&st), &mtime(&st)).map_err(e("setting times"))?;
        }
        SFlag::S_IFLNK => {
            let target = nix::fcntl::readlinkat(from, name).map_err(e("reading the link"))?;
            nix::unistd::symlinkat(target.as_os_str(), to, name).map_err(e("creating"))?;
            fchownat(
                to,
                name,
                Some(Uid::from_raw(st.st_uid)),
                Some(Gid::from_raw(st.st_gid)),
                AtFlags::AT_SYMLINK_NOFOLLOW,
            )
            .map_err(e("chown"))?;
            utimensat(
                to,
                name,
                &atime(st),
                &mtime(st),
                UtimensatFlags::NoFollowSymlink,
            )
            .map_err(e("setting times"))?;
        }
        SFlag::S_IFCHR | SFlag::S_IFBLK | SFlag::S_IFIFO | SFlag::S_IFSOCK => {
            mknodat(to, name, kind, Mode::from_bits_truncate(0o600), st.st_rdev)
                .map_err(e("creating"))?;
            fchownat(
                to,
                name,
                Some(Uid::from_raw(st.st_uid)),
                Some(Gid::from_raw(st.st_gid)),
                AtFlags::AT_SYMLINK_NOFOLLOW,
            )
            .map_err(e("chown"))?;
            // Made just now in the new tmpfs, which nothing else can reach yet: no symlink.
            nix::sys::stat::fchmodat(to, name, perm, FchmodatFlags::FollowSymlink)
                .map_err(e("chmod"))?;
            utimensat(
                to,
                name,
                &atime(st),
                &mtime(st),
                UtimensatFlags::NoFollowSymlink,
            )
            .map_err(e("setting times"))?;
        }
        _ => {
            return Err(Error::refused(
                None,
                "copying",
                format!("unknown file type {:o}", st.st_mode),
            ));
        }
    }
    Ok(())
}

/// The stat of `fd`, which must be the same inode as `st` and of type `kind`: the image may
/// not swap the entry between the lstat and the open.
fn check_same(fd: &OwnedFd, st: &FileStat, kind: SFlag) -> Result<FileStat> {
    let now = fstat(fd).map_err(|e| Error::sys("stat", e))?;
    if now.st_dev != st.st_dev
        || now.st_ino != st.st_ino
        || now.st_mode & SFlag::S_IFMT.bits() != kind.bits()
    {
        return Err(Error::refused(
            None,
            "copying",
            "changed while it was being copied",
        ));
    }
    Ok(now)
}

fn atime(st: &FileStat) -> TimeSpec {
    TimeSpec::new(st.st_atime, st.st_atime_nsec)
}

fn mtime(st: &FileStat) -> TimeSpec {
    TimeSpec::new(st.st_mtime, st.st_mtime_nsec)
}

/// Copies `size` bytes of `src` into `dst`, only its data segments (SEEK_DATA / SEEK_HOLE):
/// a sparse file stays sparse in the tmpfs.
fn copy_data(src: &File, dst: &File, size: i64) -> io::Result<()> {
    use rustix::fs::{SeekFrom, seek};
    let size = u64::try_from(size).unwrap_or(0);
    let mut buf = vec![0u8; 128 * 1024];
    let mut pos = 0u64;
    while pos < size {
        // Where the next data starts, and where it ends; without SEEK_DATA support the whole
        // file is data.
        let start = match seek(src, SeekFrom::Data(pos)) {
            Ok(p) => p,
            Err(rustix::io::Errno::NXIO) => break,
            Err(rustix::io::Errno::INVAL) => pos,
            Err(e) => return Err(e.into()),
        };
        let end = match seek(src, SeekFrom::Hole(start)) {
            Ok(p) => p.min(size),
            Err(_) => size,
        };
        let mut at = start;
        while at < end {
            let want = usize::try_from(end - at)
                .unwrap_or(buf.len())
                .min(buf.len());
            let n = src.read_at(&mut buf[..want], at)?;
            if n == 0 {
                break;
            }
            dst.write_all_at(&buf[..n], at)?;
            at += n as u64;
        }
        pos = at.max(end).max(start + 1);
    }
    rustix::fs::ftruncate(dst, size)?;
    Ok(())
}
