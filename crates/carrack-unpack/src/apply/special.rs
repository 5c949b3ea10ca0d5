//! Device nodes and FIFOs; without privilege a device node is an empty placeholder file, as
//! umoci writes it.

use std::fs::File;
use std::os::fd::AsFd;

use nix::sys::stat::{Mode, SFlag, UtimensatFlags, mknodat, utimensat};
use nix::sys::time::TimeSpec;

use super::file::create_file;
use super::meta::{Meta, Target};
use super::{At, Session, fs, io_err};
use crate::error::Result;

impl Session<'_> {
    /// A character or block device or a FIFO (`kind`), its numbers from `header`.
    pub(super) fn special(
        &mut self,
        at: &At<'_>,
        kind: tar::EntryType,
        header: &tar::Header,
        meta: &Meta<'_>,
        mtime: TimeSpec,
    ) -> Result<()> {
        let (ty, dev) = match kind {
            tar::EntryType::Char => (SFlag::S_IFCHR, dev(header)),
            tar::EntryType::Block => (SFlag::S_IFBLK, dev(header)),
            _ => (SFlag::S_IFIFO, 0),
        };
        let last = at.last;
        if self.opts.rootless && ty != SFlag::S_IFIFO {
            // No device nodes without privilege: an empty placeholder, as umoci does.
            let file = self.create(at, "create placeholder", |d| create_file(d, last, 0o600))?;
            let file = File::from(file);
            self.stats.placeholders += 1;
            self.set_meta_file(&file, meta, mtime, at.name)
        } else {
            self.create(at, "mknod", |d| {
                mknodat(d.as_fd(), last, ty, Mode::from_bits_truncate(0o600), dev)
            })?;
            self.set_meta(&at.dir, last, Target::Path, meta, at.name)?;
            utimensat(
                at.dir.as_fd(),
                last,
                &mtime,
                &mtime,
                UtimensatFlags::NoFollowSymlink,
            )
            .map_err(io_err)
            .map_err(fs(at.name, "utimensat"))
        }
    }
}

/// The device number of a device entry.
fn dev(h: &tar::Header) -> u64 {
    let major = h.device_major().ok().flatten().unwrap_or(0);
    let minor = h.device_minor().ok().flatten().unwrap_or(0);
    nix::sys::stat::makedev(u64::from(major), u64::from(minor))
}
