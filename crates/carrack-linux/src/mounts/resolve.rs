//! Destinations resolved inside the rootfs by descriptor, never leaving it (CVE-2021-30465):
//! the mount code's spelling of [`carrack_fs::InRoot`], where the resolution itself lives.

use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;

use carrack_fs::InRoot;

pub(crate) use carrack_fs::clean;

/// How a destination is resolved: symlinks followed inside the root, or (`no_symlinks`, for
/// /proc and /sys: CVE-2019-19921) none at all.
fn how(no_symlinks: bool) -> InRoot {
    if no_symlinks {
        InRoot::new().no_symlinks()
    } else {
        InRoot::new()
    }
}

/// Opens `dest` inside `root` as an `O_PATH` handle, creating it (a directory, or an empty file
/// when `file`) and its missing parents, never leaving the root; a dangling symlink met on the
/// way has its target created inside the root, as runc does. With `no_symlinks`, no component
/// may be a symlink.
pub(crate) fn open_inside(
    root: &File,
    dest: &str,
    file: bool,
    no_symlinks: bool,
) -> io::Result<File> {
    let how = how(no_symlinks).create_dangling_targets();
    let how = if file {
        how.create_file()
    } else {
        how.create_dirs()
    };
    Ok(how.open(root, dest)?)
}

/// The mode bits (set-id and sticky bits too) of `dest` inside `root`, if it exists and is a
/// directory; resolved as [`open_inside`] resolves it, creating nothing.
pub(crate) fn existing_dir_mode(root: &File, dest: &str, no_symlinks: bool) -> Option<u32> {
    let meta = how(no_symlinks).open(root, dest).ok()?.metadata().ok()?;
    meta.is_dir().then_some(meta.mode() & 0o7777)
}

/// Opens an existing `path` inside `root` (`O_PATH`) through no symlink at all; `None` if it
/// does not exist. A symlink on the way fails with ELOOP; one as the last component is opened
/// itself.
pub(crate) fn open_existing(root: &File, path: &str) -> io::Result<Option<File>> {
    match InRoot::new().no_symlinks().nofollow().open(root, path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}
