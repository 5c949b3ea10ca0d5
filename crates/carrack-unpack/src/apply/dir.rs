//! Directory entries, and directory metadata deferred until everything inside was written.

use std::fs::File;
use std::os::fd::AsFd;

use nix::sys::stat::{FchmodatFlags, Mode, UtimensatFlags, fchmodat, mkdirat, utimensat};
use nix::sys::time::TimeSpec;

use super::meta::{Meta, Target};
use super::{At, LayerStats, Session, fs, io_err, is_dir};
use crate::error::Result;

/// Metadata of a directory applied after everything inside it was written.
#[derive(Debug, Clone, Copy)]
pub(super) struct DirMeta {
    pub(super) mode: Option<u32>,
    pub(super) mtime: TimeSpec,
}

impl Session<'_> {
    /// A directory: made, or, over a directory, kept with its content and given the new
    /// metadata; over anything else, what is there is replaced.
    pub(super) fn directory(
        &mut self,
        at: &At<'_>,
        meta: &mut Meta<'_>,
        mode: u32,
        mtime: TimeSpec,
    ) -> Result<()> {
        let last = at.last;
        let mkdir = |d: &File| mkdirat(d.as_fd(), last, Mode::from_bits_truncate(0o700));
        match mkdir(&at.dir) {
            Ok(()) => {}
            // A directory over a directory keeps it and takes the new metadata.
            Err(nix::Error::EEXIST)
                if is_dir(&at.dir, last).map_err(fs(at.name, "stat"))? == Some(true) =>
            {
                meta.fresh = false;
            }
            Err(nix::Error::EEXIST) => {
                self.create(at, "mkdir", mkdir)?;
            }
            Err(e) => return Err(fs(at.name, "mkdir")(io_err(e))),
        }
        if self.opts.rootless {
            meta.mode = Some(0o700);
        }
        self.set_meta(&at.dir, last, Target::Dir, meta, at.name)?;
        self.dirs.insert(
            at.comps.to_vec(),
            DirMeta {
                mode: self.opts.rootless.then_some(mode),
                mtime,
            },
        );
        Ok(())
    }

    /// Applies deferred directory metadata (modes when rootless, and every directory's time),
    /// deepest first so setting a time is not undone by a later change inside.
    pub(crate) fn finish(mut self) -> Result<LayerStats> {
        self.parent = None;
        let dirs = std::mem::take(&mut self.dirs);
        for (comps, meta) in dirs.iter().rev() {
            let (dir, name) = match comps.split_last() {
                None => (self.parent_dir(&[], false), "."),
                Some((last, parent)) => (self.parent_dir(parent, false), last.as_str()),
            };
            let Ok(dir) = dir else { continue };
            if let Some(mode) = meta.mode
                && is_dir(&dir, name).ok().flatten() == Some(true)
            {
                fchmodat(
                    dir.as_fd(),
                    name,
                    Mode::from_bits_truncate(mode),
                    FchmodatFlags::FollowSymlink,
                )
                .map_err(io_err)
                .map_err(fs(name, "chmod"))?;
            }
            let _ = utimensat(
                dir.as_fd(),
                name,
                &meta.mtime,
                &meta.mtime,
                UtimensatFlags::NoFollowSymlink,
            );
        }
        self.report();
        Ok(self.stats)
    }
}
