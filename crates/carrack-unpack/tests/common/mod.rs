//! Test helpers: a tar builder that can express anything (hostile names, PAX xattrs, devices),
//! images in a temporary layout, and an independent walk of a resulting tree.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use carrack_image::Layout;
use carrack_spec::image::{
    Arch, Descriptor, Digest, ImageConfiguration, ImageManifest, MediaType, Os, RootFs,
};
use sha2::Digest as _;

/// One entry to put in a layer.
pub struct Entry {
    pub name: String,
    pub kind: tar::EntryType,
    pub mode: u32,
    pub owner: (u64, u64),
    pub link: Option<String>,
    pub data: Vec<u8>,
    pub dev: (u32, u32),
    pub pax: Vec<(String, Vec<u8>)>,
    pub mtime: u64,
}

/// Builds a layer tar. Short names are written verbatim into the header (so hostile names
/// survive); long ones go through GNU long-name records.
#[derive(Default)]
pub struct Layer(pub Vec<Entry>);

impl Layer {
    pub fn new() -> Self {
        Self(Vec::new())
    }
    pub fn entry(mut self, name: &str, kind: tar::EntryType, mode: u32) -> Self {
        self.0.push(Entry {
            name: name.into(),
            kind,
            mode,
            owner: (0, 0),
            link: None,
            data: Vec::new(),
            dev: (0, 0),
            pax: Vec::new(),
            mtime: 1_600_000_000,
        });
        self
    }
    fn last(&mut self) -> &mut Entry {
        self.0.last_mut().expect("an entry first")
    }
    pub fn owner(mut self, uid: u64, gid: u64) -> Self {
        self.last().owner = (uid, gid);
        self
    }
    pub fn data(mut self, d: &[u8]) -> Self {
        self.last().data = d.to_vec();
        self
    }
    pub fn pax(mut self, k: &str, v: &[u8]) -> Self {
        self.last().pax.push((k.into(), v.to_vec()));
        self
    }
    pub fn xattr(self, k: &str, v: &[u8]) -> Self {
        self.pax(&format!("SCHILY.xattr.{k}"), v)
    }
    pub fn mtime(mut self, t: u64) -> Self {
        self.last().mtime = t;
        self
    }
    pub fn file(self, name: &str, data: &[u8]) -> Self {
        self.entry(name, tar::EntryType::Regular, 0o644).data(data)
    }
    pub fn dir(self, name: &str, mode: u32) -> Self {
        self.entry(name, tar::EntryType::Directory, mode)
    }
    pub fn symlink(mut self, name: &str, target: &str) -> Self {
        self = self.entry(name, tar::EntryType::Symlink, 0o777);
        self.last().link = Some(target.into());
        self
    }
    pub fn hardlink(mut self, name: &str, target: &str) -> Self {
        self = self.entry(name, tar::EntryType::Link, 0o644);
        self.last().link = Some(target.into());
        self
    }
    pub fn device(mut self, name: &str, kind: tar::EntryType, major: u32, minor: u32) -> Self {
        self = self.entry(name, kind, 0o666);
        self.last().dev = (major, minor);
        self
    }
    pub fn whiteout(self, name: &str) -> Self {
        self.entry(name, tar::EntryType::Regular, 0o644)
    }
    pub fn bytes(self) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for e in self.0 {
            if !e.pax.is_empty() {
                b.append_pax_extensions(e.pax.iter().map(|(k, v)| (k.as_str(), v.as_slice())))
                    .expect("pax");
            }
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(e.kind);
            h.set_size(e.data.len() as u64);
            h.set_mode(e.mode);
            h.set_uid(e.owner.0);
            h.set_gid(e.owner.1);
            h.set_mtime(e.mtime);
            if matches!(e.kind, tar::EntryType::Char | tar::EntryType::Block) {
                h.set_device_major(e.dev.0).expect("major");
                h.set_device_minor(e.dev.1).expect("minor");
            }
            let short = e.name.len() < 100 && e.link.as_ref().is_none_or(|l| l.len() < 100);
            if short {
                let n = e.name.as_bytes();
                h.as_gnu_mut().expect("gnu").name[..n.len()].copy_from_slice(n);
                if let Some(l) = &e.link {
                    let l = l.as_bytes();
                    h.as_gnu_mut().expect("gnu").linkname[..l.len()].copy_from_slice(l);
                }
                h.set_cksum();
                b.append(&h, &e.data[..]).expect("append");
            } else if let Some(l) = &e.link {
                b.append_link(&mut h, &e.name, l).expect("append link");
            } else {
                b.append_data(&mut h, &e.name, &e.data[..])
                    .expect("append long");
            }
        }
        b.into_inner().expect("tar")
    }
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

pub fn compress(media_type: &MediaType, tar: &[u8]) -> Vec<u8> {
    match media_type.layer_compression() {
        Some(carrack_spec::image::Compression::Gzip) => gzip(tar),
        Some(carrack_spec::image::Compression::Zstd) => zstd::encode_all(tar, 3).expect("zstd"),
        _ => tar.to_vec(),
    }
}

/// Writes an image of `layers` (uncompressed tars with the media type to store them as) to a
/// new layout at `dir`, tagged `tag`; returns the layout and the manifest.
pub fn image(dir: &Path, tag: &str, layers: &[(MediaType, Vec<u8>)]) -> (Layout, ImageManifest) {
    let layout = Layout::create(dir).expect("layout");
    let descs: Vec<Descriptor> = layers
        .iter()
        .map(|(m, t)| {
            layout
                .write_blob_bytes(m.clone(), &compress(m, t))
                .expect("blob")
        })
        .collect();
    let diff_ids: Vec<Digest> = layers.iter().map(|(_, t)| Digest::sha256_of(t)).collect();
    let config = layout
        .write_document(
            MediaType::ImageConfig,
            &ImageConfiguration::new(Arch::Amd64, Os::Linux, RootFs::layers(diff_ids)),
        )
        .expect("config");
    let manifest = ImageManifest::new(config, descs);
    let desc = layout
        .write_document(MediaType::ImageManifest, &manifest)
        .expect("manifest");
    let mut desc = desc;
    desc.platform = Some(carrack_spec::image::Platform::new(Arch::Amd64, Os::Linux));
    layout.tag(tag, desc).expect("tag");
    (layout, manifest)
}

/// What one path of a tree is, as seen by an independent walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// f, d, l, c, b, p, s
    pub kind: char,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Content hash (files).
    pub sha256: Option<String>,
    pub size: u64,
    pub link: Option<String>,
    pub rdev: Option<(u64, u64)>,
    pub xattrs: BTreeMap<String, Vec<u8>>,
    /// The first path (in sorted order) of this file's hard-link group, if it has others.
    pub hardlink_of: Option<String>,
}

impl Node {
    pub fn file(mode: u32, content: &[u8]) -> Self {
        Self {
            kind: 'f',
            mode,
            uid: 0,
            gid: 0,
            sha256: Some(hex::encode(sha2::Sha256::digest(content))),
            size: content.len() as u64,
            link: None,
            rdev: None,
            xattrs: BTreeMap::new(),
            hardlink_of: None,
        }
    }
    pub fn dir(mode: u32) -> Self {
        Self {
            kind: 'd',
            sha256: None,
            size: 0,
            ..Self::file(mode, b"")
        }
    }
    pub fn symlink(target: &str) -> Self {
        Self {
            kind: 'l',
            mode: 0o777,
            sha256: None,
            size: 0,
            link: Some(target.into()),
            ..Self::file(0, b"")
        }
    }
    pub fn dev(kind: char, mode: u32, major: u64, minor: u64) -> Self {
        Self {
            kind,
            sha256: None,
            size: 0,
            rdev: Some((major, minor)),
            ..Self::file(mode, b"")
        }
    }
    pub fn fifo(mode: u32) -> Self {
        Self {
            kind: 'p',
            sha256: None,
            size: 0,
            ..Self::file(mode, b"")
        }
    }
    pub fn owner(mut self, uid: u32, gid: u32) -> Self {
        self.uid = uid;
        self.gid = gid;
        self
    }
    pub fn xattr(mut self, k: &str, v: &[u8]) -> Self {
        self.xattrs.insert(k.into(), v.to_vec());
        self
    }
    pub fn hardlink_of(mut self, first: &str) -> Self {
        self.hardlink_of = Some(first.into());
        self
    }
}

fn xattrs_of(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut names = vec![0u8; 4096];
    let Ok(n) = rustix::fs::llistxattr(path, &mut names[..]) else {
        return out;
    };
    for raw in names[..n].split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let name = String::from_utf8_lossy(raw).into_owned();
        // The kernel's own labels are not content.
        if name.starts_with("security.selinux") {
            continue;
        }
        let mut v = vec![0u8; 4096];
        if let Ok(k) = rustix::fs::lgetxattr(path, name.as_str(), &mut v[..]) {
            v.truncate(k);
            out.insert(name, v);
        }
    }
    out
}

/// Walks `root` with std::fs (no carrack code), keyed by path relative to it (`.` excluded).
pub fn walk(root: &Path) -> BTreeMap<String, Node> {
    let mut out = BTreeMap::new();
    let mut inodes: BTreeMap<(u64, u64), Vec<String>> = BTreeMap::new();
    let mut stack = vec![String::new()];
    while let Some(rel) = stack.pop() {
        let dir = if rel.is_empty() {
            root.to_path_buf()
        } else {
            root.join(&rel)
        };
        let mut children: Vec<_> = std::fs::read_dir(&dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        children.sort();
        for name in children {
            let crel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let path = root.join(&crel);
            let md = std::fs::symlink_metadata(&path).expect("lstat");
            let ft = md.file_type();
            let kind = if ft.is_dir() {
                'd'
            } else if ft.is_symlink() {
                'l'
            } else if ft.is_char_device() {
                'c'
            } else if ft.is_block_device() {
                'b'
            } else if ft.is_fifo() {
                'p'
            } else if ft.is_socket() {
                's'
            } else {
                'f'
            };
            let node = Node {
                kind,
                mode: if kind == 'l' {
                    0o777
                } else {
                    md.mode() & 0o7777
                },
                uid: md.uid(),
                gid: md.gid(),
                sha256: (kind == 'f').then(|| {
                    hex::encode(sha2::Sha256::digest(std::fs::read(&path).expect("read")))
                }),
                size: if kind == 'f' { md.size() } else { 0 },
                link: (kind == 'l').then(|| {
                    std::fs::read_link(&path)
                        .expect("readlink")
                        .to_string_lossy()
                        .into_owned()
                }),
                rdev: matches!(kind, 'c' | 'b').then(|| {
                    (
                        nix::sys::stat::major(md.rdev()),
                        nix::sys::stat::minor(md.rdev()),
                    )
                }),
                xattrs: xattrs_of(&path),
                hardlink_of: None,
            };
            if kind == 'f' && md.nlink() > 1 {
                inodes
                    .entry((md.dev(), md.ino()))
                    .or_default()
                    .push(crel.clone());
            }
            if kind == 'd' {
                stack.push(crel.clone());
            }
            out.insert(crel, node);
        }
    }
    for mut group in inodes.into_values() {
        if group.len() < 2 {
            continue;
        }
        group.sort();
        for p in &group[1..] {
            if let Some(n) = out.get_mut(p) {
                n.hardlink_of = Some(group[0].clone());
            }
        }
    }
    out
}

/// Asserts that `root` holds exactly `expected`, listing every difference.
pub fn assert_tree(root: &Path, expected: &BTreeMap<String, Node>) {
    let actual = walk(root);
    let mut problems = Vec::new();
    for (p, e) in expected {
        match actual.get(p) {
            None => problems.push(format!("missing {p}")),
            Some(a) if a != e => problems.push(format!("{p}:\n  expected {e:?}\n  actual   {a:?}")),
            Some(_) => {}
        }
    }
    for p in actual.keys() {
        if !expected.contains_key(p) {
            problems.push(format!("unexpected {p}: {:?}", actual[p]));
        }
    }
    assert!(
        problems.is_empty(),
        "tree differs:\n{}",
        problems.join("\n")
    );
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// A directory outside the root with a canary file, and a snapshot of everything around.
pub struct Outside {
    pub dir: tempfile::TempDir,
}

impl Outside {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("canary"), b"alive").expect("canary");
        std::fs::create_dir(dir.path().join("victim-dir")).expect("victim");
        std::fs::write(dir.path().join("victim-dir/file"), b"alive").expect("victim");
        Self { dir }
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn snapshot(&self) -> BTreeMap<String, Node> {
        walk(self.dir.path())
    }
}
