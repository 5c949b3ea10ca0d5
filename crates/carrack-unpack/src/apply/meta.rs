//! An entry's metadata: owner, then mode (a chown clears setuid and file capabilities), then
//! xattrs, then (for files) the time.

use std::fs::File;
use std::io;
use std::os::fd::AsFd;

use nix::fcntl::{AtFlags, OFlag, openat};
use nix::sys::stat::{FchmodatFlags, Mode, fchmod, fchmodat, futimens};
use nix::sys::time::TimeSpec;
use nix::unistd::{Gid, Uid, fchown, fchownat};

use super::{Session, fs, io_err};
use crate::error::{Error, Result};
use crate::xattrs;

/// How an entry reached through its parent gets its xattrs.
#[derive(Debug, Clone, Copy)]
pub(super) enum Target {
    /// A directory: xattrs through a descriptor of it.
    Dir,
    /// Anything else reached by path: xattrs through an `O_PATH` descriptor.
    Path,
}

/// The metadata a tar entry asks for.
pub(super) struct Meta<'x> {
    pub(super) uid: Option<u32>,
    pub(super) gid: Option<u32>,
    pub(super) mode: Option<u32>,
    pub(super) xattrs: &'x [(String, Vec<u8>)],
    /// Created just now in the cached parent (so its owner is known without a stat).
    pub(super) fresh: bool,
}

impl Session<'_> {
    /// Owner, then mode (chown clears setuid and file capabilities), then xattrs of an entry
    /// reached through its parent directory.
    pub(super) fn set_meta(
        &mut self,
        dir: &File,
        name: &str,
        target: Target,
        meta: &Meta<'_>,
        entry: &str,
    ) -> Result<()> {
        if let Some((uid, gid)) = self.owner(meta, entry)?
            && !(meta.fresh && self.owned_as((uid, gid)))
        {
            let r = fchownat(
                dir.as_fd(),
                name,
                uid.map(Uid::from_raw),
                gid.map(Gid::from_raw),
                AtFlags::AT_SYMLINK_NOFOLLOW,
            );
            self.tolerate(r.map_err(io_err), entry, "chown")?;
        }
        if let Some(mode) = meta.mode {
            // Only what this entry just created or checked to be a directory reaches here,
            // never a symlink (those get no mode), so following is safe.
            fchmodat(
                dir.as_fd(),
                name,
                Mode::from_bits_truncate(mode),
                FchmodatFlags::FollowSymlink,
            )
            .map_err(io_err)
            .map_err(fs(entry, "chmod"))?;
        }
        if !meta.xattrs.is_empty() {
            let (flags, is_dir) = match target {
                Target::Dir => (OFlag::O_RDONLY | OFlag::O_DIRECTORY, true),
                Target::Path => (OFlag::O_PATH, false),
            };
            let fd = openat(
                dir.as_fd(),
                name,
                flags | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map_err(io_err)
            .map_err(fs(entry, "open for xattrs"))?;
            let f = File::from(fd);
            for (k, v) in meta.xattrs {
                let r = if is_dir {
                    xattrs::set_fd(&f, k, v)
                } else {
                    xattrs::set_opath(&f, k, v)
                };
                self.tolerate(r, entry, "setxattr")?;
            }
        }
        Ok(())
    }

    /// Owner, mode, xattrs and time of a file through its open descriptor.
    pub(super) fn set_meta_file(
        &mut self,
        file: &File,
        meta: &Meta<'_>,
        mtime: TimeSpec,
        entry: &str,
    ) -> Result<()> {
        if let Some((uid, gid)) = self.owner(meta, entry)?
            && !(meta.fresh && self.owned_as((uid, gid)))
        {
            let r = fchown(file, uid.map(Uid::from_raw), gid.map(Gid::from_raw));
            self.tolerate(r.map_err(io_err), entry, "chown")?;
        }
        if let Some(mode) = meta.mode {
            fchmod(file, Mode::from_bits_truncate(mode))
                .map_err(io_err)
                .map_err(fs(entry, "chmod"))?;
        }
        for (k, v) in meta.xattrs {
            let r = xattrs::set_fd(file, k, v);
            self.tolerate(r, entry, "setxattr")?;
        }
        futimens(file, &mtime, &mtime)
            .map_err(io_err)
            .map_err(fs(entry, "futimens"))
    }

    /// The owner to set, if any: the header's ids, through the map when there is one.
    pub(super) fn owner(
        &self,
        meta: &Meta<'_>,
        entry: &str,
    ) -> Result<Option<(Option<u32>, Option<u32>)>> {
        if !self.opts.same_owner {
            return Ok(None);
        }
        let Some(map) = &self.opts.id_map else {
            return Ok(Some((meta.uid, meta.gid)));
        };
        let uid = meta.uid.and_then(|u| map.uid(u));
        let gid = meta.gid.and_then(|g| map.gid(g));
        if !self.opts.rootless
            && (uid.is_none() != meta.uid.is_none() || gid.is_none() != meta.gid.is_none())
        {
            return Err(Error::Unmapped {
                entry: entry.to_owned(),
                uid: meta.uid.unwrap_or(0),
                gid: meta.gid.unwrap_or(0),
            });
        }
        Ok(Some((uid, gid)))
    }

    /// A failed chown or setxattr: an error as root, counted and skipped when rootless.
    fn tolerate(&mut self, r: io::Result<()>, entry: &str, op: &'static str) -> Result<()> {
        match r {
            Ok(()) => Ok(()),
            Err(e) if self.opts.rootless && xattrs::tolerable_rootless(&e) => {
                self.stats.skipped_metadata += 1;
                Ok(())
            }
            Err(e) => Err(fs(entry, op)(e)),
        }
    }
}
