//! Diffing a rootfs and writing the changes as a layer (Linux: the tree is recorded with Linux's
//! `stat` and xattrs, files are opened with `O_NOFOLLOW`).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::{Base, Change, ChangeKind, Diff, DiffError, LayerOptions};
use crate::apply::WHITEOUT;
use crate::tree::{Kind, Tree};

fn parent_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(p, _)| p)
}

/// Whether two regular files hold the same bytes (false when either cannot be read as one:
/// a file that cannot be compared is written into the layer).
fn same_content(a: &Path, b: &Path) -> bool {
    use std::io::Read;
    let open = |p: &Path| {
        OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(p)
    };
    let (Ok(mut a), Ok(mut b)) = (open(a), open(b)) else {
        return false;
    };
    let (mut x, mut y) = (vec![0u8; 64 << 10], vec![0u8; 64 << 10]);
    loop {
        let n = match a.read(&mut x) {
            Ok(n) => n,
            Err(_) => return false,
        };
        if b.read_exact(&mut y[..n]).is_err() || x[..n] != y[..n] {
            return false;
        }
        if n == 0 {
            // Both at their end: `b` must have nothing more either.
            return matches!(b.read(&mut y[..1]), Ok(0));
        }
    }
}

/// Compares `rootfs` with `base`.
///
/// ```
/// use carrack_unpack::{Base, ChangeKind, Tree, diff};
/// let root = tempfile::tempdir()?;
/// std::fs::write(root.path().join("old"), b"1")?;
/// let base = Tree::record(root.path())?;
/// std::fs::remove_file(root.path().join("old"))?;
/// std::fs::write(root.path().join("new"), b"2")?;
/// let d = diff(Base::Tree(&base), root.path())?;
/// let kinds: Vec<_> = d.changes.iter().map(|c| (c.path.as_str(), c.kind)).collect();
/// assert_eq!(kinds, [("new", ChangeKind::Added), ("old", ChangeKind::Deleted)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn diff(base: Base<'_>, rootfs: &Path) -> Result<Diff, DiffError> {
    let upper = Tree::record(rootfs)?;
    let recorded;
    let (lower, strict, lower_dir) = match base {
        Base::Dir(dir) => {
            recorded = Tree::record(dir)?;
            (&recorded, false, Some(dir))
        }
        Base::Tree(t) => (t, true, None),
    };
    let mut changes = Vec::new();
    for (path, e) in &upper.entries {
        if path.is_empty() {
            continue; // the root itself is not part of a changeset
        }
        match lower.entries.get(path) {
            None => changes.push(Change {
                path: path.clone(),
                kind: ChangeKind::Added,
            }),
            Some(b) => {
                let same = if strict {
                    b.untouched(e)
                } else {
                    // Two directories' files can agree in size and mtime (the kernel's clock
                    // ticks in milliseconds) and still differ: the bytes decide.
                    b.same_metadata(e)
                        && (e.kind != Kind::File
                            || lower_dir.is_none_or(|dir| {
                                same_content(&dir.join(path), &rootfs.join(path))
                            }))
                };
                if !same {
                    changes.push(Change {
                        path: path.clone(),
                        kind: ChangeKind::Modified,
                    });
                }
            }
        }
    }
    for path in lower.entries.keys() {
        if path.is_empty() || upper.entries.contains_key(path) {
            continue;
        }
        // Only the topmost: a path whose parent is still a directory in the rootfs.
        if upper.entries.get(parent_of(path)).map(|p| p.kind) == Some(Kind::Dir)
            && lower.entries.get(parent_of(path)).map(|p| p.kind) == Some(Kind::Dir)
        {
            changes.push(Change {
                path: path.clone(),
                kind: ChangeKind::Deleted,
            });
        }
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Diff { changes, upper })
}

/// Writes `diff` as an uncompressed layer tar into `out`, reading content from `rootfs`.
/// Entries are sorted by path, owners are numeric only, no access or change times are stored,
/// and the second and later paths of a hard-link group become links to the first.
///
/// ```
/// use carrack_unpack::{Base, LayerOptions, Tree, diff, write_layer};
/// let root = tempfile::tempdir()?;
/// let base = Tree::record(root.path())?;
/// std::fs::write(root.path().join("new"), b"2")?;
/// let d = diff(Base::Tree(&base), root.path())?;
/// let tar = write_layer(&d, root.path(), Vec::new(), &LayerOptions::default())?;
/// let mut a = tar::Archive::new(&tar[..]);
/// let names: Vec<String> = a.entries()?.map(|e| e.unwrap().path().unwrap().display().to_string()).collect();
/// assert_eq!(names, ["new"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_layer<W: Write>(
    diff: &Diff,
    rootfs: &Path,
    out: W,
    opts: &LayerOptions,
) -> Result<W, DiffError> {
    let mut tar = tar::Builder::new(out);
    tar.follow_symlinks(false);
    let mut first_of: HashMap<(u64, u64), &str> = HashMap::new();
    let time = |t: i64| -> u64 {
        let t = opts.clamp_mtime.map_or(t, |c| t.min(c));
        u64::try_from(t).unwrap_or(0)
    };
    for change in &diff.changes {
        let path = change.path.as_str();
        let werr = |source| DiffError::Write {
            path: path.to_owned(),
            source,
        };
        if change.kind == ChangeKind::Deleted {
            let parent = parent_of(path);
            let name = path.rsplit('/').next().unwrap_or(path);
            let wh = if parent.is_empty() {
                format!("{WHITEOUT}{name}")
            } else {
                format!("{parent}/{WHITEOUT}{name}")
            };
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Regular);
            h.set_mode(0o644);
            h.set_uid(0);
            h.set_gid(0);
            h.set_size(0);
            h.set_mtime(time(opts.clamp_mtime.unwrap_or(0)));
            tar.append_data(&mut h, &wh, io::empty()).map_err(werr)?;
            continue;
        }
        let Some(e) = diff.upper.entries.get(path) else {
            continue;
        };
        if e.kind == Kind::Socket {
            continue;
        }
        let mut h = tar::Header::new_gnu();
        h.set_mode(e.mode);
        let (uid, gid) = match &opts.id_map {
            Some(m) => (
                m.uid_back(e.uid).unwrap_or(e.uid),
                m.gid_back(e.gid).unwrap_or(e.gid),
            ),
            None => (e.uid, e.gid),
        };
        h.set_uid(u64::from(uid));
        h.set_gid(u64::from(gid));
        h.set_mtime(time(e.mtime));
        h.set_size(0);
        if !e.xattrs.is_empty() {
            let values: Vec<(String, Vec<u8>)> = e
                .xattrs
                .iter()
                .map(|(k, v)| {
                    (
                        format!("SCHILY.xattr.{k}"),
                        hex::decode(v).unwrap_or_default(),
                    )
                })
                .collect();
            tar.append_pax_extensions(values.iter().map(|(k, v)| (k.as_str(), v.as_slice())))
                .map_err(werr)?;
        }
        match e.kind {
            Kind::Dir => {
                h.set_entry_type(tar::EntryType::Directory);
                tar.append_data(&mut h, path, io::empty()).map_err(werr)?;
            }
            Kind::Symlink => {
                h.set_entry_type(tar::EntryType::Symlink);
                let target = e.link.as_deref().unwrap_or_default();
                tar.append_link(&mut h, path, target).map_err(werr)?;
            }
            Kind::File => {
                if e.nlink > 1 {
                    if let Some(first) = first_of.get(&(e.dev, e.ino)) {
                        h.set_entry_type(tar::EntryType::Link);
                        tar.append_link(&mut h, path, first).map_err(werr)?;
                        continue;
                    }
                    first_of.insert((e.dev, e.ino), path);
                }
                h.set_entry_type(tar::EntryType::Regular);
                let full = rootfs.join(path);
                let file = open_nofollow(&full).map_err(werr)?;
                let len = file.metadata().map_err(werr)?.len();
                if len != e.size {
                    return Err(DiffError::Changed(full));
                }
                h.set_size(len);
                tar.append_data(&mut h, path, io::Read::take(file, len))
                    .map_err(werr)?;
            }
            Kind::Char | Kind::Block | Kind::Fifo => {
                h.set_entry_type(match e.kind {
                    Kind::Char => tar::EntryType::Char,
                    Kind::Block => tar::EntryType::Block,
                    _ => tar::EntryType::Fifo,
                });
                if e.kind != Kind::Fifo {
                    let major = u32::try_from(nix::sys::stat::major(e.rdev)).unwrap_or(0);
                    let minor = u32::try_from(nix::sys::stat::minor(e.rdev)).unwrap_or(0);
                    h.set_device_major(major).map_err(werr)?;
                    h.set_device_minor(minor).map_err(werr)?;
                }
                tar.append_data(&mut h, path, io::empty()).map_err(werr)?;
            }
            Kind::Socket => {}
        }
    }
    tar.into_inner().map_err(|source| DiffError::Write {
        path: String::new(),
        source,
    })
}

fn open_nofollow(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
        .open(path)
}
