//! Mounting and unmounting the overlays snapshots are applied through and containers run on.

use std::io;
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags};

/// The kernel reads mount data into one page.
const MAX_DATA: usize = 4095;

/// The overlay mount data for `lowers` (top first), `upper` and `work`; `None` when it does not
/// fit in a page or a path holds a character overlayfs reads as a separator.
pub(crate) fn overlay_data(lowers: &[PathBuf], upper: &Path, work: &Path) -> Option<String> {
    let text = |p: &Path| {
        let s = p.to_str()?;
        (!s.contains([',', ':', '\\'])).then(|| s.to_owned())
    };
    let lowers: Option<Vec<String>> = lowers.iter().map(|p| text(p)).collect();
    let data = format!(
        "lowerdir={},upperdir={},workdir={}",
        lowers?.join(":"),
        text(upper)?,
        text(work)?
    );
    (data.len() <= MAX_DATA).then_some(data)
}

/// Mounts an overlay of `data` (from [`overlay_data`]) on `target`.
pub(crate) fn mount_overlay(data: &str, target: &Path) -> io::Result<()> {
    nix::mount::mount(
        Some("overlay"),
        target,
        Some("overlay"),
        MsFlags::empty(),
        Some(data),
    )
    .map_err(io::Error::from)
}

/// Unmounts `target`, detaching it lazily if something still holds it (a process of a kept
/// container's that outlived it); a path that is not mounted is not an error.
///
/// ```no_run
/// carrack_unpack::snapshot::unmount("/var/lib/carrack/snapshots/active/web/rootfs".as_ref())?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn unmount(target: &Path) -> io::Result<()> {
    match nix::mount::umount2(target, MntFlags::UMOUNT_NOFOLLOW) {
        Ok(()) => Ok(()),
        Err(nix::Error::EINVAL | nix::Error::ENOENT) => Ok(()),
        Err(nix::Error::EBUSY) => {
            nix::mount::umount2(target, MntFlags::MNT_DETACH | MntFlags::UMOUNT_NOFOLLOW)
                .map_err(io::Error::from)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_lists_lowers_top_first_and_refuses_what_overlayfs_would_misread() {
        let lowers = [PathBuf::from("/s/b/fs"), PathBuf::from("/s/a/fs")];
        assert_eq!(
            overlay_data(&lowers, "/c/upper".as_ref(), "/c/work".as_ref()).as_deref(),
            Some("lowerdir=/s/b/fs:/s/a/fs,upperdir=/c/upper,workdir=/c/work")
        );
        let colon = [PathBuf::from("/s/a:b/fs")];
        assert!(overlay_data(&colon, "/u".as_ref(), "/w".as_ref()).is_none());
        let many = vec![PathBuf::from(format!("/{}", "x".repeat(100))); 50];
        assert!(overlay_data(&many, "/u".as_ref(), "/w".as_ref()).is_none());
    }
}
