//! One tar entry: its name and the limits, its header and PAX records, and which kind of
//! entry it is.

use std::collections::HashSet;
use std::io::Read;

use nix::sys::time::TimeSpec;

use super::dir::DirMeta;
use super::meta::{Meta, Target};
use super::whiteout::WHITEOUT;
use super::{At, Session, components, fs, open_in_root};
use crate::error::{Error, Result};
use crate::limits::LimitExceeded;

const PAX_XATTR: &str = "SCHILY.xattr.";

impl Session<'_> {
    pub(super) fn entry<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        upper: &mut HashSet<Vec<String>>,
    ) -> Result<()> {
        let limits = self.opts.limits;
        let raw_name = entry.path_bytes();
        let name = String::from_utf8_lossy(&raw_name).into_owned();
        self.check_name(&name, raw_name.len())?;
        let path = entry.path().map_err(Error::Read)?.into_owned();
        let comps = components(&name, &path)?;
        let kind = entry.header().entry_type();
        if matches!(
            kind,
            tar::EntryType::XGlobalHeader
                | tar::EntryType::XHeader
                | tar::EntryType::GNULongName
                | tar::EntryType::GNULongLink
        ) {
            return Ok(());
        }
        if self.stats.entries + self.stats.whiteouts >= limits.max_entries {
            return Err(Error::Limit {
                entry: name,
                limit: LimitExceeded::Entries {
                    limit: limits.max_entries,
                },
            });
        }
        let size = entry.size();
        if size > limits.max_entry_bytes {
            return Err(Error::Limit {
                entry: name,
                limit: LimitExceeded::EntryBytes {
                    size,
                    limit: limits.max_entry_bytes,
                },
            });
        }
        self.declared_bytes = self.declared_bytes.saturating_add(size);
        if self.declared_bytes > limits.max_total_bytes {
            return Err(Error::Limit {
                entry: name,
                limit: LimitExceeded::TotalBytes {
                    limit: limits.max_total_bytes,
                },
            });
        }

        // Whiteouts.
        if let Some(last) = comps.last()
            && let Some(target) = last.strip_prefix(WHITEOUT)
        {
            return self.whiteout(&name, &comps, target, upper);
        }

        let header = entry.header().clone();
        let mode = header.mode().unwrap_or(0o644) & 0o7777;
        // An empty (all-NUL) numeric field means 0, as GNU tar and Go's archive/tar read it.
        let uid = u32::try_from(header.uid().unwrap_or(0)).ok();
        let gid = u32::try_from(header.gid().unwrap_or(0)).ok();
        let mut mtime = TimeSpec::new(
            header
                .mtime()
                .ok()
                .and_then(|t| i64::try_from(t).ok())
                .unwrap_or(0),
            0,
        );
        let mut xattrs: Vec<(String, Vec<u8>)> = Vec::new();
        if let Some(exts) = entry.pax_extensions().map_err(Error::Read)? {
            for ext in exts {
                let ext = ext.map_err(Error::Read)?;
                let Ok(key) = ext.key() else { continue };
                if let Some(attr) = key.strip_prefix(PAX_XATTR) {
                    xattrs.push((attr.to_owned(), ext.value_bytes().to_vec()));
                } else if key == "mtime"
                    && let Some(t) = ext.value().ok().and_then(pax_time)
                {
                    mtime = t;
                }
            }
        }
        let link = match kind {
            tar::EntryType::Symlink | tar::EntryType::Link => {
                let raw = entry.link_name_bytes().unwrap_or_default();
                self.check_name(&name, raw.len())?;
                Some(link_target(entry)?)
            }
            _ => None,
        };

        let Some((last, parent)) = comps.split_last() else {
            // The root itself.
            if !kind.is_dir() {
                return Err(Error::RootType(name));
            }
            let meta = Meta {
                uid,
                gid,
                mode: (!self.opts.rootless).then_some(mode),
                xattrs: &xattrs,
                fresh: false,
            };
            let dir = open_in_root(&self.root, &[], false).map_err(fs(&name, "open root"))?;
            self.set_meta(&dir, ".", Target::Dir, &meta, &name)?;
            self.dirs.insert(
                Vec::new(),
                DirMeta {
                    mode: self.opts.rootless.then_some(mode),
                    mtime,
                },
            );
            self.stats.entries += 1;
            return Ok(());
        };
        let dir = self
            .parent_dir(parent, true)
            .map_err(fs(&name, "resolve parent"))?;
        let at = At {
            dir,
            last,
            comps: &comps,
            name: &name,
        };
        let mut meta = Meta {
            uid,
            gid,
            mode: Some(mode),
            xattrs: &xattrs,
            fresh: true,
        };
        match kind {
            k if k.is_dir() => self.directory(&at, &mut meta, mode, mtime)?,
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                self.regular(&at, entry, &mut meta, mode, mtime)?;
            }
            tar::EntryType::Symlink => {
                self.symlink(&at, link.unwrap_or_default(), &mut meta, mtime)?;
            }
            tar::EntryType::Link => self.hardlink(&at, link.unwrap_or_default())?,
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => {
                self.special(&at, kind, &header, &meta, mtime)?;
            }
            other => {
                return Err(Error::Unsupported {
                    entry: name,
                    kind: other.as_byte(),
                });
            }
        }
        upper.insert(comps);
        self.stats.entries += 1;
        Ok(())
    }
}

/// A PAX time, `seconds[.fraction]`.
fn pax_time(v: &str) -> Option<TimeSpec> {
    let (s, frac) = v.split_once('.').unwrap_or((v, ""));
    let secs: i64 = s.parse().ok()?;
    let digits: String = frac.chars().take(9).collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let nanos: i64 = if digits.is_empty() {
        0
    } else {
        format!("{digits:0<9}").parse().ok()?
    };
    // A negative time with a fraction counts back from the whole second.
    Some(if secs < 0 && nanos > 0 {
        TimeSpec::new(secs - 1, 1_000_000_000 - nanos)
    } else {
        TimeSpec::new(secs, nanos)
    })
}

/// The link name of a symlink or hardlink entry.
fn link_target<R: Read>(entry: &tar::Entry<'_, R>) -> Result<std::path::PathBuf> {
    Ok(entry
        .link_name()
        .map_err(Error::Read)?
        .unwrap_or_default()
        .into_owned())
}
