//! Whiteouts (`.wh.<name>` and the opaque `.wh..wh..opq`), and removing whatever is in an
//! entry's way, never following a symlink.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::File;
use std::io;

use nix::sys::stat::{FchmodatFlags, Mode, fchmodat};

use super::{Session, fs, is_dir};
use crate::error::{Error, Result};

pub(crate) const WHITEOUT: &str = ".wh.";
pub(crate) const OPAQUE: &str = ".wh..wh..opq";

impl Session<'_> {
    /// The whiteout `name` (components `comps`) hiding `target` (what follows `.wh.`) from the
    /// layers below; entries of this layer (`upper`) are never removed.
    pub(super) fn whiteout(
        &mut self,
        name: &str,
        comps: &[String],
        target: &str,
        upper: &HashSet<Vec<String>>,
    ) -> Result<()> {
        let parent = &comps[..comps.len() - 1];
        let dir = match self.parent_dir(parent, false) {
            Ok(d) => d,
            // The parent is missing or became a non-directory: nothing to hide.
            Err(_) => return Ok(()),
        };
        if target == &OPAQUE[WHITEOUT.len()..] {
            let children = carrack_fs::list(&*dir)
                .map_err(io::Error::from)
                .map_err(fs(name, "list"))?;
            for child in children {
                let Some(utf8) = child.to_str() else {
                    // No entry of any layer has this name (entry names are UTF-8): it cannot
                    // be in this layer, so it goes.
                    self.parent = None;
                    self.remove_path(&dir, &child)
                        .map_err(fs(name, "opaque whiteout"))?;
                    self.stats.whiteouts += 1;
                    continue;
                };
                let mut p = parent.to_vec();
                p.push(utf8.to_owned());
                if !upper.contains(&p) {
                    self.remove(&dir, utf8, &p)
                        .map_err(fs(name, "opaque whiteout"))?;
                    self.stats.whiteouts += 1;
                }
            }
            return Ok(());
        }
        if target.is_empty() || target == "." || target == ".." {
            return Err(Error::BadWhiteout(name.to_owned()));
        }
        if target.starts_with(WHITEOUT) {
            return Ok(()); // AUFS metadata such as .wh..wh.plnk
        }
        let mut p = parent.to_vec();
        p.push(target.to_owned());
        if !upper.contains(&p) && is_dir(&dir, target).map_err(fs(name, "stat"))?.is_some() {
            self.remove(&dir, target, &p)
                .map_err(fs(name, "whiteout"))?;
            self.stats.whiteouts += 1;
        }
        Ok(())
    }

    /// Removes `name` in `dir` (path `path`), forgetting whatever was cached or deferred for it.
    pub(super) fn remove(&mut self, dir: &File, name: &str, path: &[String]) -> io::Result<()> {
        self.parent = None;
        let doomed: Vec<Vec<String>> = self
            .dirs
            .range(path.to_vec()..)
            .take_while(|(k, _)| k.starts_with(path))
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            self.dirs.remove(&k);
        }
        self.remove_path(dir, OsStr::new(name))
    }

    /// Removes `name` in `dir` and everything below it, never following a symlink.
    fn remove_path(&self, dir: &File, name: &OsStr) -> io::Result<()> {
        if self.opts.rootless {
            // A read-only directory of a lower layer must stay writable until the end.
            make_writable_tree(dir, name)?;
        }
        Ok(carrack_fs::remove_tree(dir, name)?)
    }
}

/// Gives the owner rwx on `name` and every directory below it, so an unprivileged caller can
/// remove a read-only tree it unpacked itself.
fn make_writable_tree(dir: &File, name: &OsStr) -> io::Result<()> {
    carrack_fs::walk(dir, name, &mut |e: &carrack_fs::WalkEntry<'_>| {
        if e.kind == carrack_fs::FileKind::Dir {
            let _ = fchmodat(
                e.parent,
                e.name,
                Mode::from_bits_truncate(0o700),
                FchmodatFlags::FollowSymlink,
            );
        }
        Ok::<(), carrack_fs::Error>(())
    })?;
    Ok(())
}
