//! Symlinks (whatever they point at: they are only ever followed inside the root) and
//! hardlinks (whose targets are resolved inside the root and never a directory or a symlink
//! named as the target).

use std::fs::File;
use std::os::fd::AsFd;
use std::path::PathBuf;

use nix::fcntl::AtFlags;
use nix::sys::stat::{UtimensatFlags, utimensat};
use nix::sys::time::TimeSpec;
use nix::unistd::{linkat, symlinkat};

use super::meta::{Meta, Target};
use super::{At, Session, components, fs, is_dir, open_in_root};
use crate::error::{Error, Result};

impl Session<'_> {
    /// A symlink, with its owner and xattrs (no mode) and its time (best effort).
    pub(super) fn symlink(
        &mut self,
        at: &At<'_>,
        target: PathBuf,
        meta: &mut Meta<'_>,
        mtime: TimeSpec,
    ) -> Result<()> {
        let last = at.last;
        self.create(at, "symlink", |d| {
            symlinkat(target.as_path(), d.as_fd(), last)
        })?;
        meta.mode = None;
        self.set_meta(&at.dir, last, Target::Path, meta, at.name)?;
        let _ = utimensat(
            at.dir.as_fd(),
            last,
            &mtime,
            &mtime,
            UtimensatFlags::NoFollowSymlink,
        );
        Ok(())
    }

    /// A hardlink to `target`, an entry already inside the root. It shares its target's
    /// metadata.
    pub(super) fn hardlink(&mut self, at: &At<'_>, target: PathBuf) -> Result<()> {
        let name = at.name;
        let tname = target.to_string_lossy().into_owned();
        let bad_because = |reason| Error::LinkTarget {
            entry: name.to_owned(),
            target: tname.clone(),
            reason,
        };
        let bad = || bad_because("does not exist inside the root");
        let tcomps = components(name, &target)?;
        let Some((tlast, tparent)) = tcomps.split_last() else {
            return Err(bad());
        };
        let tdir = open_in_root(&self.root, tparent, false).map_err(|_| bad())?;
        // Never link to a directory, and never follow a symlink named as the target.
        match is_dir(&tdir, tlast).ok().flatten() {
            Some(false) => {}
            Some(true) => return Err(bad_because("is a directory")),
            None => return Err(bad()),
        }
        let link = |d: &File| {
            linkat(
                tdir.as_fd(),
                tlast.as_str(),
                d.as_fd(),
                at.last,
                AtFlags::empty(),
            )
        };
        match link(&at.dir) {
            Ok(()) => Ok(()),
            Err(nix::Error::EEXIST) => {
                self.remove(&at.dir, at.last, at.comps)
                    .map_err(fs(name, "replace"))?;
                link(&at.dir).map_err(|_| bad())
            }
            Err(_) => Err(bad()),
        }
    }
}
