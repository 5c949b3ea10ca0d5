//! Applying one layer's changeset (image-spec `layer.md`).

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use nix::fcntl::{AtFlags, OFlag, openat};
use nix::sys::stat::{
    FchmodatFlags, Mode, SFlag, UtimensatFlags, fchmod, fchmodat, fstatat, futimens, mkdirat,
    mknodat, utimensat,
};
use nix::sys::time::TimeSpec;
use nix::unistd::{Gid, Uid, UnlinkatFlags, fchown, fchownat, linkat, symlinkat, unlinkat};

use crate::error::{Error, Result};
use crate::idmap::IdMap;
use crate::limits::{LimitExceeded, Limits};
use crate::progress::{Progress, ProgressFn};
use crate::root::{Root, io_err};
use crate::xattrs;

pub(crate) const WHITEOUT: &str = ".wh.";
pub(crate) const OPAQUE: &str = ".wh..wh..opq";
const PAX_XATTR: &str = "SCHILY.xattr.";

/// What applying layers did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LayerStats {
    /// Entries created or replaced.
    pub entries: u64,
    /// Bytes of regular-file content written.
    pub bytes: u64,
    /// Paths removed by whiteouts (a removed directory counts once).
    pub whiteouts: u64,
    /// Device nodes written as empty placeholder files (rootless).
    pub placeholders: u64,
    /// Owners or xattrs that could not be applied without privilege (rootless).
    pub skipped_metadata: u64,
}

/// Options of [`apply_layer`] and [`crate::unpack`].
///
/// ```
/// use carrack_unpack::{ApplyOptions, IdMap};
/// // What `carrack image unpack --rootless` does for a user whose uid and gid are 1000.
/// let opts = ApplyOptions::rootless(IdMap {
///     uids: vec!["0:1000:1".parse()?],
///     gids: vec!["0:1000:1".parse()?],
/// });
/// assert!(opts.rootless && opts.same_owner);
/// # Ok::<(), carrack_unpack::IdMapError>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct ApplyOptions {
    /// Apply owners from the tar headers (through [`ApplyOptions::id_map`] when set); otherwise
    /// everything belongs to the caller. Default: when running as root.
    pub same_owner: bool,
    /// Unpacking without privilege: device nodes become empty placeholder files, owners and
    /// xattrs the caller may not set are skipped (counted in [`LayerStats::skipped_metadata`]),
    /// and directory modes are applied at the end so read-only directories can still be filled.
    pub rootless: bool,
    /// Container ids to host ids; ids outside the map stay the caller's (rootless) or are an
    /// error (as root).
    pub id_map: Option<IdMap>,
    /// Resource limits.
    pub limits: Limits,
    /// Called after every entry and at layer boundaries.
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for ApplyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplyOptions")
            .field("same_owner", &self.same_owner)
            .field("rootless", &self.rootless)
            .field("id_map", &self.id_map)
            .field("limits", &self.limits)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl Default for ApplyOptions {
    fn default() -> Self {
        let root = nix::unistd::geteuid().is_root();
        Self {
            same_owner: root,
            rootless: !root,
            id_map: None,
            limits: Limits::default(),
            progress: None,
        }
    }
}

impl ApplyOptions {
    /// Rootless unpacking with owners mapped through `map` (as far as the caller may chown).
    pub fn rootless(map: IdMap) -> Self {
        Self {
            same_owner: true,
            rootless: true,
            id_map: Some(map),
            ..Self::default()
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

/// Metadata of a directory applied after everything inside it was written.
#[derive(Debug, Clone, Copy)]
struct DirMeta {
    mode: Option<u32>,
    mtime: TimeSpec,
}

/// State that spans the layers of one unpack: limits counters, progress, deferred directory
/// metadata, and a cache of the last parent directory.
pub(crate) struct Session<'a> {
    root: Root,
    opts: &'a ApplyOptions,
    pub(crate) stats: LayerStats,
    pub(crate) progress: Progress,
    /// Compressed bytes read so far, updated by the decoding thread.
    pub(crate) compressed: Option<Arc<AtomicU64>>,
    declared_bytes: u64,
    dirs: BTreeMap<Vec<String>, DirMeta>,
    /// The last parent directory used: its components, handle, and whether it is setgid.
    parent: Option<(Vec<String>, Rc<File>, bool)>,
    buf: Vec<u8>,
    /// Who new files belong to without a chown, and what the umask takes from new modes.
    ids: (u32, u32),
    umask: u32,
}

impl<'a> Session<'a> {
    pub(crate) fn new(root: &Path, opts: &'a ApplyOptions) -> Result<Self> {
        Ok(Self {
            root: Root::open(root).map_err(fs(".", "open root"))?,
            opts,
            stats: LayerStats::default(),
            progress: Progress::default(),
            compressed: None,
            declared_bytes: 0,
            dirs: BTreeMap::new(),
            parent: None,
            buf: vec![0; 256 * 1024],
            ids: (
                nix::unistd::geteuid().as_raw(),
                nix::unistd::getegid().as_raw(),
            ),
            umask: current_umask(),
        })
    }

    fn report(&mut self) {
        if let Some(p) = &self.opts.progress {
            self.progress.entries = self.stats.entries;
            self.progress.bytes = self.stats.bytes;
            if let Some(c) = &self.compressed {
                self.progress.compressed_bytes = c.load(Ordering::Relaxed);
            }
            p(&self.progress);
        }
    }

    /// Reports progress now (at a layer boundary).
    pub(crate) fn report_now(&mut self) {
        self.report();
    }

    /// The directory `comps` names, from the cache when it is the last one used.
    fn parent_dir(&mut self, comps: &[String], create: bool) -> io::Result<Rc<File>> {
        if let Some((c, f, _)) = &self.parent
            && c.as_slice() == comps
        {
            return Ok(f.clone());
        }
        let dir = Rc::new(self.root.dir(comps, create)?);
        let setgid = dir.metadata()?.permissions().mode() & 0o2000 != 0;
        self.parent = Some((comps.to_vec(), dir.clone(), setgid));
        Ok(dir)
    }

    /// Whether a new entry in the cached parent already has this owner without a chown.
    fn owned_as(&self, owner: (Option<u32>, Option<u32>)) -> bool {
        owner == (Some(self.ids.0), Some(self.ids.1)) && self.parent.as_ref().is_some_and(|p| !p.2)
    }

    /// Runs `op` to create `last` in `dir`; if something is in the way, removes it (never
    /// following symlinks) and runs `op` again. Any other type over anything is replaced.
    fn create<T>(
        &mut self,
        dir: &File,
        last: &str,
        comps: &[String],
        entry: &str,
        what: &'static str,
        mut op: impl FnMut(&File) -> nix::Result<T>,
    ) -> Result<T> {
        match op(dir) {
            Err(nix::Error::EEXIST) => {
                self.remove(dir, last, comps)
                    .map_err(fs(entry, "replace"))?;
                op(dir).map_err(io_err).map_err(fs(entry, what))
            }
            r => r.map_err(io_err).map_err(fs(entry, what)),
        }
    }

    /// Removes `name` in `dir` (path `path`), forgetting whatever was cached or deferred for it.
    fn remove(&mut self, dir: &File, name: &str, path: &[String]) -> io::Result<()> {
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
        if self.opts.rootless {
            // A read-only directory of a lower layer must stay writable until the end.
            make_writable_tree(dir, name)?;
        }
        remove_all(dir, name)
    }

    fn check_name(&self, name: &str, len: usize) -> Result<()> {
        let limit = self.opts.limits.max_path_len;
        if len > limit {
            return Err(Error::Limit {
                entry: name.to_owned(),
                limit: LimitExceeded::PathLen { len, limit },
            });
        }
        Ok(())
    }

    /// Applies one uncompressed layer tar.
    pub(crate) fn apply(&mut self, layer: impl Read) -> Result<()> {
        let mut upper: HashSet<Vec<String>> = HashSet::new();
        let mut archive = tar::Archive::new(layer);
        for entry in archive.entries().map_err(Error::Read)? {
            let mut entry = entry.map_err(Error::Read)?;
            self.entry(&mut entry, &mut upper)?;
            self.report();
        }
        Ok(())
    }

    fn entry<R: Read>(
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
            let dir = self.root.dir(&[], false).map_err(fs(&name, "open root"))?;
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
        let mut meta = Meta {
            uid,
            gid,
            mode: Some(mode),
            xattrs: &xattrs,
            fresh: true,
        };
        match kind {
            k if k.is_dir() => {
                let mkdir =
                    |d: &File| mkdirat(d.as_fd(), last.as_str(), Mode::from_bits_truncate(0o700));
                match mkdir(&dir) {
                    Ok(()) => {}
                    // A directory over a directory keeps it and takes the new metadata.
                    Err(nix::Error::EEXIST)
                        if is_dir(&dir, last).map_err(fs(&name, "stat"))? == Some(true) =>
                    {
                        meta.fresh = false;
                    }
                    Err(nix::Error::EEXIST) => {
                        self.create(&dir, last, &comps, &name, "mkdir", mkdir)?;
                    }
                    Err(e) => return Err(fs(&name, "mkdir")(io_err(e))),
                }
                if self.opts.rootless {
                    meta.mode = Some(0o700);
                }
                self.set_meta(&dir, last, Target::Dir, &meta, &name)?;
                self.dirs.insert(
                    comps.clone(),
                    DirMeta {
                        mode: self.opts.rootless.then_some(mode),
                        mtime,
                    },
                );
            }
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                // Created with its final mode when no chown or special bit needs a chmod after.
                let direct = !self.opts.rootless
                    && mode & 0o7000 == 0
                    && self.owner(&meta, &name)?.is_none_or(|o| self.owned_as(o));
                let create_mode = if direct { mode } else { 0o600 };
                if direct && mode & self.umask == 0 {
                    meta.mode = None;
                }
                let file = self.create(&dir, last, &comps, &name, "create", |d| {
                    create_file(d, last, create_mode)
                })?;
                let file = File::from(file);
                let mut written = 0u64;
                loop {
                    let n = match entry.read(&mut self.buf) {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(Error::Read(e)),
                    };
                    (&file)
                        .write_all(&self.buf[..n])
                        .map_err(fs(&name, "write"))?;
                    written += n as u64;
                }
                self.stats.bytes += written;
                self.set_meta_file(&file, &meta, mtime, &name)?;
            }
            tar::EntryType::Symlink => {
                let target = link.unwrap_or_default();
                self.create(&dir, last, &comps, &name, "symlink", |d| {
                    symlinkat(target.as_path(), d.as_fd(), last.as_str())
                })?;
                meta.mode = None;
                self.set_meta(&dir, last, Target::Path, &meta, &name)?;
                let _ = utimensat(
                    dir.as_fd(),
                    last.as_str(),
                    &mtime,
                    &mtime,
                    UtimensatFlags::NoFollowSymlink,
                );
            }
            tar::EntryType::Link => {
                let target = link.unwrap_or_default();
                let tname = target.to_string_lossy().into_owned();
                let bad_because = |reason| Error::LinkTarget {
                    entry: name.clone(),
                    target: tname.clone(),
                    reason,
                };
                let bad = || bad_because("does not exist inside the root");
                let tcomps = components(&name, &target)?;
                let Some((tlast, tparent)) = tcomps.split_last() else {
                    return Err(bad());
                };
                let tdir = self.root.dir(tparent, false).map_err(|_| bad())?;
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
                        last.as_str(),
                        AtFlags::empty(),
                    )
                };
                match link(&dir) {
                    Ok(()) => {}
                    Err(nix::Error::EEXIST) => {
                        self.remove(&dir, last, &comps)
                            .map_err(fs(&name, "replace"))?;
                        link(&dir).map_err(|_| bad())?;
                    }
                    Err(_) => return Err(bad()),
                }
                // A hardlink shares its target's metadata.
            }
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => {
                let (ty, dev) = match kind {
                    tar::EntryType::Char => (SFlag::S_IFCHR, dev(&header)),
                    tar::EntryType::Block => (SFlag::S_IFBLK, dev(&header)),
                    _ => (SFlag::S_IFIFO, 0),
                };
                if self.opts.rootless && ty != SFlag::S_IFIFO {
                    // No device nodes without privilege: an empty placeholder, as umoci does.
                    let file =
                        self.create(&dir, last, &comps, &name, "create placeholder", |d| {
                            create_file(d, last, 0o600)
                        })?;
                    let file = File::from(file);
                    self.stats.placeholders += 1;
                    self.set_meta_file(&file, &meta, mtime, &name)?;
                } else {
                    self.create(&dir, last, &comps, &name, "mknod", |d| {
                        mknodat(
                            d.as_fd(),
                            last.as_str(),
                            ty,
                            Mode::from_bits_truncate(0o600),
                            dev,
                        )
                    })?;
                    self.set_meta(&dir, last, Target::Path, &meta, &name)?;
                    utimensat(
                        dir.as_fd(),
                        last.as_str(),
                        &mtime,
                        &mtime,
                        UtimensatFlags::NoFollowSymlink,
                    )
                    .map_err(io_err)
                    .map_err(fs(&name, "utimensat"))?;
                }
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

    fn whiteout(
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
            for child in list(&reopen_rw(&dir, name)?).map_err(fs(name, "list"))? {
                let mut p = parent.to_vec();
                p.push(child.clone());
                if !upper.contains(&p) {
                    self.remove(&dir, &child, &p)
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

    /// Owner, then mode (chown clears setuid and file capabilities), then xattrs of an entry
    /// reached through its parent directory.
    fn set_meta(
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

    fn set_meta_file(
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
    fn owner(&self, meta: &Meta<'_>, entry: &str) -> Result<Option<(Option<u32>, Option<u32>)>> {
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

#[derive(Debug, Clone, Copy)]
enum Target {
    /// A directory: xattrs through a descriptor of it.
    Dir,
    /// Anything else reached by path: xattrs through an `O_PATH` descriptor.
    Path,
}

struct Meta<'x> {
    uid: Option<u32>,
    gid: Option<u32>,
    mode: Option<u32>,
    xattrs: &'x [(String, Vec<u8>)],
    /// Created just now in the cached parent (so its owner is known without a stat).
    fresh: bool,
}

fn create_file(dir: &File, name: &str, mode: u32) -> nix::Result<std::os::fd::OwnedFd> {
    openat(
        dir.as_fd(),
        name,
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::from_bits_truncate(mode),
    )
}

/// The process umask, from /proc/self/status (reading it with umask(2) would change it for
/// every thread). Unknown, it is taken to mask everything, so modes are always set explicitly.
fn current_umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o7777)
}

/// Gives the owner rwx on `name` and every directory below it, so an unprivileged caller can
/// remove a read-only tree it unpacked itself.
fn make_writable_tree(dir: &File, name: &str) -> io::Result<()> {
    if is_dir(dir, name)? != Some(true) {
        return Ok(());
    }
    let _ = fchmodat(
        dir.as_fd(),
        name,
        Mode::from_bits_truncate(0o700),
        FchmodatFlags::FollowSymlink,
    );
    let fd = openat(
        dir.as_fd(),
        name,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(io_err)?;
    let sub = File::from(fd);
    for child in list(&sub)? {
        make_writable_tree(&sub, &child)?;
    }
    Ok(())
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

/// Applies one uncompressed layer tar to the root filesystem at `root`.
///
/// Additions and modifications are written; `.wh.<name>` removes `<name>` from lower layers and
/// `.wh..wh..opq` empties its directory of lower-layer entries, wherever they stand in the tar
/// (entries of this same layer are never removed); a directory over a directory keeps its
/// content and takes the new metadata; any other type change removes, then recreates. Owners,
/// then modes (so setuid survives), then xattrs (PAX `SCHILY.xattr.*`, so
/// `security.capability` survives the chown), then times are applied; directory times last.
///
/// ```no_run
/// let layer = std::fs::File::open("layer.tar")?;
/// carrack_unpack::apply_layer("rootfs".as_ref(), layer, &Default::default())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn apply_layer(root: &Path, layer: impl Read, opts: &ApplyOptions) -> Result<LayerStats> {
    let mut session = Session::new(root, opts)?;
    session.apply(layer)?;
    session.finish()
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
