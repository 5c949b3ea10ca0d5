//! Applying one layer's changeset (image-spec `layer.md`): the [`Session`] that spans the layers
//! of one unpack and the pieces of an entry's work, by concern —
//!
//! * `entry`: reading a tar entry (name, limits, header, PAX records) and choosing what it is;
//! * `dir`: directories, and their metadata deferred to the end;
//! * `file`: regular files;
//! * `link`: symlinks and hardlinks;
//! * `special`: device nodes and FIFOs (placeholders when rootless);
//! * `whiteout`: `.wh.` and opaque whiteouts, and removing what is in the way;
//! * `meta`: owners, modes and xattrs.
//!
//! Paths are resolved inside the root by [`carrack_fs::InRoot`]; removal and listing go through
//! carrack-fs's descriptor-relative helpers, which never follow a symlink.

mod dir;
mod entry;
mod file;
mod link;
mod meta;
mod special;
mod whiteout;

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use carrack_fs::InRoot;

use crate::error::{Error, Result};
use crate::limits::LimitExceeded;
use crate::progress::Progress;

pub(crate) use crate::options::{ApplyOptions, LayerStats};
pub(crate) use whiteout::WHITEOUT;

use dir::DirMeta;

pub(crate) fn io_err(e: nix::Error) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
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

/// Whether `name` in `dir` is a directory (`None`: it does not exist); symlinks not followed.
fn is_dir(dir: &File, name: &str) -> io::Result<Option<bool>> {
    Ok(carrack_fs::info_at(dir, name)?.map(|i| i.kind == carrack_fs::FileKind::Dir))
}

/// The directory `comps` names inside the root (an `O_PATH` handle); with `create`, missing
/// directories are made (mode 0755) on the way.
fn open_in_root(root: &File, comps: &[String], create: bool) -> io::Result<File> {
    let how = InRoot::new().directory();
    let how = if create { how.create_dirs() } else { how };
    Ok(how.open(root, comps.join("/"))?)
}

/// Where an entry goes: its parent directory, its last component, its components and its name
/// as the tar spells it.
struct At<'e> {
    dir: Rc<File>,
    last: &'e str,
    comps: &'e [String],
    name: &'e str,
}

/// State that spans the layers of one unpack: limits counters, progress, deferred directory
/// metadata, and a cache of the last parent directory.
pub(crate) struct Session<'a> {
    root: File,
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
            root: carrack_fs::open_dir(root)
                .map_err(io::Error::from)
                .map_err(fs(".", "open root"))?,
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
            umask: file::current_umask(),
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
        let dir = Rc::new(open_in_root(&self.root, comps, create)?);
        let setgid = dir.metadata()?.permissions().mode() & 0o2000 != 0;
        self.parent = Some((comps.to_vec(), dir.clone(), setgid));
        Ok(dir)
    }

    /// Whether a new entry in the cached parent already has this owner without a chown.
    fn owned_as(&self, owner: (Option<u32>, Option<u32>)) -> bool {
        owner == (Some(self.ids.0), Some(self.ids.1)) && self.parent.as_ref().is_some_and(|p| !p.2)
    }

    /// Runs `op` to create `at.last` in `at.dir`; if something is in the way, removes it (never
    /// following symlinks) and runs `op` again. Any other type over anything is replaced.
    fn create<T>(
        &mut self,
        at: &At<'_>,
        what: &'static str,
        mut op: impl FnMut(&File) -> nix::Result<T>,
    ) -> Result<T> {
        match op(&at.dir) {
            Err(nix::Error::EEXIST) => {
                self.remove(&at.dir, at.last, at.comps)
                    .map_err(fs(at.name, "replace"))?;
                op(&at.dir).map_err(io_err).map_err(fs(at.name, what))
            }
            r => r.map_err(io_err).map_err(fs(at.name, what)),
        }
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
