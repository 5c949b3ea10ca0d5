//! Applying one layer's changeset (image-spec `layer.md`).

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::path::{Component, Path};

use nix::fcntl::{AtFlags, OFlag, openat};
use nix::sys::stat::{
    FchmodatFlags, Mode, SFlag, UtimensatFlags, fchmodat, fstatat, mkdirat, mknodat, utimensat,
};
use nix::sys::time::TimeSpec;
use nix::unistd::{Gid, Uid, UnlinkatFlags, fchownat, linkat, symlinkat, unlinkat};

use crate::error::{Error, Result};
use crate::root::{Root, io_err};

const WHITEOUT: &str = ".wh.";
const OPAQUE: &str = ".wh..wh..opq";

/// What applying a layer did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LayerStats {
    /// Entries created or replaced.
    pub entries: u64,
    /// Bytes of regular-file content written.
    pub bytes: u64,
    /// Paths removed by whiteouts (a removed directory counts once).
    pub whiteouts: u64,
}

/// Options of [`apply_layer`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApplyOptions {
    /// Apply owners from the tar headers (needs privilege); otherwise files belong to the caller.
    pub same_owner: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            same_owner: nix::unistd::geteuid().is_root(),
        }
    }
}

fn fs<'a>(entry: &'a str, op: &'static str) -> impl FnOnce(io::Error) -> Error + 'a {
    move |source| Error::Fs {
        entry: entry.to_owned(),
        op,
        source,
    }
}

/// Splits an entry name into its components, refusing `..` and anything not a plain name.
fn components(entry: &str, path: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => match n.to_str() {
                Some(s) => out.push(s.to_owned()),
                None => {
                    return Err(Error::BadName {
                        entry: entry.to_owned(),
                        reason: "not UTF-8",
                    });
                }
            },
            Component::CurDir | Component::RootDir => {}
            Component::ParentDir => {
                return Err(Error::BadName {
                    entry: entry.to_owned(),
                    reason: "contains '..' (layer.md: entries stay inside the root)",
                });
            }
            Component::Prefix(_) => {
                return Err(Error::BadName {
                    entry: entry.to_owned(),
                    reason: "has a path prefix",
                });
            }
        }
    }
    Ok(out)
}

/// Removes `name` in `dir`, recursively for a directory, never following symlinks.
fn remove_all(dir: &File, name: &str) -> io::Result<()> {
    let st = match fstatat(dir.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) => st,
        Err(nix::Error::ENOENT) => return Ok(()),
        Err(e) => return Err(io_err(e)),
    };
    if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR {
        let fd = openat(
            dir.as_fd(),
            name,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(io_err)?;
        let sub = File::from(fd);
        for child in list(&sub)? {
            remove_all(&sub, &child)?;
        }
        unlinkat(dir.as_fd(), name, UnlinkatFlags::RemoveDir).map_err(io_err)
    } else {
        unlinkat(dir.as_fd(), name, UnlinkatFlags::NoRemoveDir).map_err(io_err)
    }
}

fn list(dir: &File) -> io::Result<Vec<String>> {
    let fd = openat(
        dir.as_fd(),
        ".",
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(io_err)?;
    let mut d = nix::dir::Dir::from_fd(fd).map_err(io_err)?;
    let mut out = Vec::new();
    for e in d.iter() {
        let e = e.map_err(io_err)?;
        if let Ok(n) = e.file_name().to_str()
            && n != "."
            && n != ".."
        {
            out.push(n.to_owned());
        }
    }
    Ok(out)
}

fn is_dir(dir: &File, name: &str) -> io::Result<Option<bool>> {
    match fstatat(dir.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(
            SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR,
        )),
        Err(nix::Error::ENOENT) => Ok(None),
        Err(e) => Err(io_err(e)),
    }
}

/// Applies one uncompressed layer tar to the root filesystem at `root`.
///
/// Additions and modifications are written; `.wh.<name>` removes `<name>` from lower layers and
/// `.wh..wh..opq` empties its directory of lower-layer entries, wherever they stand in the tar
/// (entries of this same layer are never removed); a directory over a directory keeps its
/// content and takes the new metadata; any other type change removes, then recreates. Owners,
/// then modes (so setuid survives), then times are applied; directory times last.
///
/// ```no_run
/// let layer = std::fs::File::open("layer.tar")?;
/// carrack_unpack::apply_layer("rootfs".as_ref(), layer, &Default::default())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn apply_layer(root: &Path, layer: impl Read, opts: &ApplyOptions) -> Result<LayerStats> {
    let root = Root::open(root).map_err(fs(".", "open root"))?;
    let mut stats = LayerStats::default();
    let mut upper: HashSet<Vec<String>> = HashSet::new();
    let mut dir_times: Vec<(Vec<String>, i64)> = Vec::new();
    let mut archive = tar::Archive::new(layer);
    for entry in archive.entries().map_err(Error::Read)? {
        let mut entry = entry.map_err(Error::Read)?;
        let path = entry.path().map_err(Error::Read)?.into_owned();
        let name = path.to_string_lossy().into_owned();
        let comps = components(&name, &path)?;
        let kind = entry.header().entry_type();

        // Whiteouts.
        if let Some(last) = comps.last()
            && let Some(target) = last.strip_prefix(WHITEOUT)
        {
            let parent = &comps[..comps.len() - 1];
            let dir = match root.dir(parent, false) {
                Ok(d) => d,
                // The parent is missing or became a non-directory: nothing to hide.
                Err(_) => continue,
            };
            if last == OPAQUE {
                for child in list(&reopen_rw(&dir, &name)?).map_err(fs(&name, "list"))? {
                    let mut p = parent.to_vec();
                    p.push(child.clone());
                    if !upper.contains(&p) {
                        remove_all(&dir, &child).map_err(fs(&name, "opaque whiteout"))?;
                        stats.whiteouts += 1;
                    }
                }
                continue;
            }
            if target.is_empty() || target == "." || target == ".." {
                return Err(Error::BadWhiteout(name));
            }
            if target.starts_with(WHITEOUT) {
                continue; // AUFS metadata such as .wh..wh.plnk
            }
            let mut p = parent.to_vec();
            p.push(target.to_owned());
            if !upper.contains(&p) && is_dir(&dir, target).map_err(fs(&name, "stat"))?.is_some() {
                remove_all(&dir, target).map_err(fs(&name, "whiteout"))?;
                stats.whiteouts += 1;
            }
            continue;
        }

        let header = entry.header().clone();
        let mode = header.mode().unwrap_or(0o644) & 0o7777;
        let uid = header.uid().ok().and_then(|u| u32::try_from(u).ok());
        let gid = header.gid().ok().and_then(|g| u32::try_from(g).ok());
        let mtime = header
            .mtime()
            .ok()
            .and_then(|t| i64::try_from(t).ok())
            .unwrap_or(0);

        let Some((last, parent)) = comps.split_last() else {
            // The root itself.
            if !kind.is_dir() {
                return Err(Error::RootType(name));
            }
            chown_chmod(root.fd(), ".", uid, gid, Some(mode), opts, &name)?;
            dir_times.push((Vec::new(), mtime));
            continue;
        };
        let dir = root
            .dir(parent, true)
            .map_err(fs(&name, "resolve parent"))?;
        let existing = is_dir(&dir, last).map_err(fs(&name, "stat"))?;
        match (kind.is_dir(), existing) {
            (true, Some(true)) => {}
            (_, Some(_)) => remove_all(&dir, last).map_err(fs(&name, "replace"))?,
            (_, None) => {}
        }
        let mut set_mode = Some(mode);
        match kind {
            k if k.is_dir() => {
                if existing != Some(true) {
                    mkdirat(dir.as_fd(), last.as_str(), Mode::from_bits_truncate(0o700))
                        .map_err(io_err)
                        .map_err(fs(&name, "mkdir"))?;
                }
                dir_times.push((comps.clone(), mtime));
            }
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                let fd = openat(
                    dir.as_fd(),
                    last.as_str(),
                    OFlag::O_WRONLY
                        | OFlag::O_CREAT
                        | OFlag::O_EXCL
                        | OFlag::O_NOFOLLOW
                        | OFlag::O_CLOEXEC,
                    Mode::from_bits_truncate(0o600),
                )
                .map_err(io_err)
                .map_err(fs(&name, "create"))?;
                let mut file = File::from(fd);
                stats.bytes += io::copy(&mut entry, &mut file).map_err(fs(&name, "write"))?;
                set_times(&dir, last, mtime, &name)?;
            }
            tar::EntryType::Symlink => {
                let target = link_target(&entry)?;
                symlinkat(target.as_path(), dir.as_fd(), last.as_str())
                    .map_err(io_err)
                    .map_err(fs(&name, "symlink"))?;
                set_mode = None;
            }
            tar::EntryType::Link => {
                let target = link_target(&entry)?;
                let tname = target.to_string_lossy().into_owned();
                let tcomps = components(&name, &target)?;
                let Some((tlast, tparent)) = tcomps.split_last() else {
                    return Err(Error::LinkTarget {
                        entry: name,
                        target: tname,
                    });
                };
                let tdir = root.dir(tparent, false).map_err(|_| Error::LinkTarget {
                    entry: name.clone(),
                    target: tname.clone(),
                })?;
                linkat(
                    tdir.as_fd(),
                    tlast.as_str(),
                    dir.as_fd(),
                    last.as_str(),
                    AtFlags::empty(),
                )
                .map_err(|_| Error::LinkTarget {
                    entry: name.clone(),
                    target: tname.clone(),
                })?;
                upper.insert(comps);
                stats.entries += 1;
                continue; // a hardlink shares its target's metadata
            }
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => {
                let (ty, dev) = match kind {
                    tar::EntryType::Char => (SFlag::S_IFCHR, dev(&header)),
                    tar::EntryType::Block => (SFlag::S_IFBLK, dev(&header)),
                    _ => (SFlag::S_IFIFO, 0),
                };
                mknodat(
                    dir.as_fd(),
                    last.as_str(),
                    ty,
                    Mode::from_bits_truncate(0o600),
                    dev,
                )
                .map_err(io_err)
                .map_err(fs(&name, "mknod"))?;
            }
            tar::EntryType::XGlobalHeader
            | tar::EntryType::XHeader
            | tar::EntryType::GNULongName
            | tar::EntryType::GNULongLink => continue,
            other => {
                return Err(Error::Unsupported {
                    entry: name,
                    kind: other.as_byte(),
                });
            }
        }
        chown_chmod(&dir, last, uid, gid, set_mode, opts, &name)?;
        if set_mode.is_none() {
            let ts = TimeSpec::new(mtime, 0);
            let _ = utimensat(
                dir.as_fd(),
                last.as_str(),
                &ts,
                &ts,
                UtimensatFlags::NoFollowSymlink,
            );
        }
        upper.insert(comps);
        stats.entries += 1;
    }
    // Directory times last: writing their content changed them.
    for (comps, mtime) in dir_times.iter().rev() {
        let ts = TimeSpec::new(*mtime, 0);
        match comps.split_last() {
            None => utimensat(
                root.fd().as_fd(),
                ".",
                &ts,
                &ts,
                UtimensatFlags::NoFollowSymlink,
            )
            .map_err(io_err)
            .map_err(fs(".", "utimensat"))?,
            Some((last, parent)) => {
                if let Ok(dir) = root.dir(parent, false) {
                    let _ = utimensat(
                        dir.as_fd(),
                        last.as_str(),
                        &ts,
                        &ts,
                        UtimensatFlags::NoFollowSymlink,
                    );
                }
            }
        }
    }
    Ok(stats)
}

fn reopen_rw(dir: &File, entry: &str) -> Result<File> {
    let fd = openat(
        dir.as_fd(),
        ".",
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(io_err)
    .map_err(fs(entry, "open directory"))?;
    Ok(File::from(fd))
}

/// The link name of a symlink or hardlink entry.
fn link_target<R: Read>(entry: &tar::Entry<'_, R>) -> Result<std::path::PathBuf> {
    Ok(entry
        .link_name()
        .map_err(Error::Read)?
        .unwrap_or_default()
        .into_owned())
}

fn dev(h: &tar::Header) -> u64 {
    let major = h.device_major().ok().flatten().unwrap_or(0);
    let minor = h.device_minor().ok().flatten().unwrap_or(0);
    nix::sys::stat::makedev(u64::from(major), u64::from(minor))
}

fn set_times(dir: &File, name: &str, mtime: i64, entry: &str) -> Result<()> {
    let ts = TimeSpec::new(mtime, 0);
    utimensat(dir.as_fd(), name, &ts, &ts, UtimensatFlags::NoFollowSymlink)
        .map_err(io_err)
        .map_err(fs(entry, "utimensat"))
}

/// Owner first, then mode: chown clears setuid/setgid, so the mode must come after it.
fn chown_chmod(
    dir: &File,
    name: &str,
    uid: Option<u32>,
    gid: Option<u32>,
    mode: Option<u32>,
    opts: &ApplyOptions,
    entry: &str,
) -> Result<()> {
    if opts.same_owner {
        fchownat(
            dir.as_fd(),
            name,
            uid.map(Uid::from_raw),
            gid.map(Gid::from_raw),
            AtFlags::AT_SYMLINK_NOFOLLOW,
        )
        .map_err(io_err)
        .map_err(fs(entry, "chown"))?;
    }
    if let Some(mode) = mode {
        // The entry was created by us just now and is not a symlink, so following is safe.
        fchmodat(
            dir.as_fd(),
            name,
            Mode::from_bits_truncate(mode),
            FchmodatFlags::FollowSymlink,
        )
        .map_err(io_err)
        .map_err(fs(entry, "chmod"))?;
    }
    Ok(())
}
