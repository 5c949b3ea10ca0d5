//! layer.md rules and containment, checked against the resulting tree.

#![cfg(target_os = "linux")] // what they test is Linux only

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

use carrack_unpack::{ApplyOptions, Error, apply_layer};

/// Builds a tar from entries, writing names verbatim (so hostile names can be expressed).
struct Layer(tar::Builder<Vec<u8>>);

impl Layer {
    fn new() -> Self {
        Self(tar::Builder::new(Vec::new()))
    }
    fn raw(
        mut self,
        name: &str,
        kind: tar::EntryType,
        mode: u32,
        link: Option<&str>,
        data: &[u8],
        owner: (u64, u64),
    ) -> Self {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_uid(owner.0);
        h.set_gid(owner.1);
        h.set_mtime(1_600_000_000);
        let n = name.as_bytes();
        h.as_gnu_mut().expect("gnu").name[..n.len()].copy_from_slice(n);
        if let Some(l) = link {
            let l = l.as_bytes();
            h.as_gnu_mut().expect("gnu").linkname[..l.len()].copy_from_slice(l);
        }
        if matches!(kind, tar::EntryType::Char | tar::EntryType::Block) {
            h.set_device_major(1).expect("major");
            h.set_device_minor(3).expect("minor");
        }
        h.set_cksum();
        self.0.append(&h, data).expect("append");
        self
    }
    fn file(self, name: &str, data: &[u8]) -> Self {
        self.raw(name, tar::EntryType::Regular, 0o644, None, data, (0, 0))
    }
    fn dir(self, name: &str, mode: u32) -> Self {
        self.raw(name, tar::EntryType::Directory, mode, None, b"", (0, 0))
    }
    fn symlink(self, name: &str, target: &str) -> Self {
        self.raw(
            name,
            tar::EntryType::Symlink,
            0o777,
            Some(target),
            b"",
            (0, 0),
        )
    }
    fn hardlink(self, name: &str, target: &str) -> Self {
        self.raw(name, tar::EntryType::Link, 0o644, Some(target), b"", (0, 0))
    }
    fn bytes(self) -> Vec<u8> {
        self.0.into_inner().expect("tar")
    }
}

fn apply(root: &Path, layer: Layer) -> Result<carrack_unpack::LayerStats, Error> {
    apply_layer(root, &layer.bytes()[..], &ApplyOptions::default())
}

#[test]
fn entry_kinds_and_metadata() {
    let root = tempfile::tempdir().expect("tmp");
    let r = root.path();
    let layer = Layer::new()
        .dir("etc/", 0o755)
        .file("etc/hosts", b"127.0.0.1 localhost\n")
        .raw(
            "bin/su",
            tar::EntryType::Regular,
            0o4755,
            None,
            b"#!",
            (1000, 1000),
        )
        .symlink("etc/localtime", "/usr/share/zoneinfo/UTC")
        .hardlink("etc/hosts.bak", "etc/hosts")
        .raw("dev/null", tar::EntryType::Char, 0o666, None, b"", (0, 0))
        .raw("run/fifo", tar::EntryType::Fifo, 0o600, None, b"", (0, 0));
    let stats = apply(r, layer).expect("apply");
    assert_eq!(stats.entries, 7);
    assert_eq!(
        std::fs::read(r.join("etc/hosts")).expect("hosts"),
        b"127.0.0.1 localhost\n"
    );
    let su = std::fs::metadata(r.join("bin/su")).expect("su");
    if nix_is_root() {
        assert_eq!((su.uid(), su.gid()), (1000, 1000));
        assert!(
            std::fs::metadata(r.join("dev/null"))
                .expect("dev")
                .file_type()
                .is_char_device()
        );
    }
    assert_eq!(
        su.permissions().mode() & 0o7777,
        0o4755,
        "setuid survives the chown"
    );
    assert_eq!(su.mtime(), 1_600_000_000);
    assert_eq!(
        std::fs::read_link(r.join("etc/localtime"))
            .expect("link")
            .to_str(),
        Some("/usr/share/zoneinfo/UTC")
    );
    assert_eq!(
        std::fs::metadata(r.join("etc/hosts.bak"))
            .expect("bak")
            .ino(),
        std::fs::metadata(r.join("etc/hosts")).expect("hosts").ino()
    );
    assert!(
        std::fs::symlink_metadata(r.join("run/fifo"))
            .expect("fifo")
            .file_type()
            .is_fifo()
    );
    assert_eq!(
        std::fs::metadata(r.join("etc")).expect("etc").mtime(),
        1_600_000_000,
        "directory times are set last"
    );
}

fn nix_is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

#[test]
fn whiteouts_hide_only_lower_layers_wherever_they_stand() {
    let root = tempfile::tempdir().expect("tmp");
    let r = root.path();
    apply(
        r,
        Layer::new()
            .file("a/old", b"1")
            .file("a/keep", b"1")
            .file("b/x", b"1")
            .file("b/y", b"1"),
    )
    .expect("lower");
    let upper = Layer::new()
        .file("a/new", b"2")
        .raw(
            "a/.wh.old",
            tar::EntryType::Regular,
            0o644,
            None,
            b"",
            (0, 0),
        )
        .raw(
            "a/.wh.new",
            tar::EntryType::Regular,
            0o644,
            None,
            b"",
            (0, 0),
        ) // same layer: ignored
        .file("b/z", b"2")
        .raw(
            "b/.wh..wh..opq",
            tar::EntryType::Regular,
            0o644,
            None,
            b"",
            (0, 0),
        )
        .raw(
            "gone/.wh.nothing",
            tar::EntryType::Regular,
            0o644,
            None,
            b"",
            (0, 0),
        );
    let stats = apply(r, upper).expect("upper");
    assert!(!r.join("a/old").exists());
    assert!(r.join("a/keep").exists() && r.join("a/new").exists());
    assert!(
        !r.join("b/x").exists() && !r.join("b/y").exists(),
        "opaque hides lower entries"
    );
    assert!(
        r.join("b/z").exists(),
        "opaque keeps this layer's entries, even before it"
    );
    assert_eq!(stats.whiteouts, 3);
}

#[test]
fn type_changes_remove_then_recreate_and_dirs_merge() {
    let root = tempfile::tempdir().expect("tmp");
    let r = root.path();
    apply(
        r,
        Layer::new()
            .dir("d/", 0o755)
            .file("d/child", b"1")
            .file("f", b"file")
            .dir("x/", 0o755)
            .file("x/inner", b"1"),
    )
    .expect("lower");
    apply(
        r,
        Layer::new()
            .dir("d/", 0o700)
            .dir("f/", 0o755)
            .file("x", b"now a file"),
    )
    .expect("upper");
    assert!(r.join("d/child").exists(), "dir over dir keeps the content");
    assert_eq!(
        std::fs::metadata(r.join("d"))
            .expect("d")
            .permissions()
            .mode()
            & 0o777,
        0o700,
        "and takes the new metadata"
    );
    assert!(r.join("f").is_dir());
    assert_eq!(std::fs::read(r.join("x")).expect("x"), b"now a file");
}

#[test]
fn symlinks_planted_earlier_are_followed_inside_the_root_only() {
    let outside = tempfile::tempdir().expect("tmp");
    let root = tempfile::tempdir().expect("tmp");
    let r = root.path();
    let o = outside.path().to_str().expect("utf-8").to_owned();
    apply(
        r,
        Layer::new()
            .symlink("evil", "/")
            .symlink("up", "../../../../../..")
            .symlink("abs", &o),
    )
    .expect("lower");
    apply(
        r,
        Layer::new()
            .file("evil/planted", b"x")
            .file("up/planted2", b"x"),
    )
    .expect("upper");
    assert!(
        r.join("planted").exists() && r.join("planted2").exists(),
        "resolved as if the root were /"
    );
    // A parent that is a symlink dangling inside the root is refused (for now), never followed out.
    assert!(apply(r, Layer::new().file("abs/planted3", b"x")).is_err());
    std::fs::create_dir_all(r.join(o.trim_start_matches('/'))).expect("mkdir inside the root");
    apply(r, Layer::new().file("abs/planted3", b"x")).expect("now it resolves inside the root");
    assert!(r.join(o.trim_start_matches('/')).join("planted3").exists());
    assert_eq!(
        std::fs::read_dir(outside.path()).expect("outside").count(),
        0,
        "nothing written outside"
    );
    // chmod through a symlink (tar-rs CVE-2026-33056 shape): a directory entry named like the link.
    apply(r, Layer::new().symlink("to-outside", &o)).expect("link");
    let before = std::fs::metadata(outside.path())
        .expect("outside")
        .permissions()
        .mode();
    apply(r, Layer::new().dir("to-outside/", 0o777)).expect("dir replaces the link");
    assert_eq!(
        std::fs::metadata(outside.path())
            .expect("outside")
            .permissions()
            .mode(),
        before
    );
    assert!(
        std::fs::symlink_metadata(r.join("to-outside"))
            .expect("entry")
            .is_dir()
    );
}

#[test]
fn hardlinks_resolve_inside_the_root() {
    let root = tempfile::tempdir().expect("tmp");
    let r = root.path();
    let err = apply(r, Layer::new().hardlink("passwd", "/etc/passwd"))
        .expect_err("no /etc/passwd inside the root");
    assert!(matches!(err, Error::LinkTarget { .. }), "{err}");
    apply(
        r,
        Layer::new().symlink("etc", "/etc").dir("realetc/", 0o755),
    )
    .expect("lower");
    let err = apply(r, Layer::new().hardlink("x", "etc/passwd"))
        .expect_err("the symlink resolves inside the root");
    assert!(matches!(err, Error::LinkTarget { .. }), "{err}");
}

#[test]
fn hostile_names_are_refused() {
    let root = tempfile::tempdir().expect("tmp");
    let r = root.path();
    for bad in ["../escape", "a/../../escape"] {
        assert!(
            matches!(
                apply(r, Layer::new().file(bad, b"x")),
                Err(Error::BadName { .. })
            ),
            "{bad}"
        );
    }
    for wh in ["a/.wh.", "a/.wh..", "a/.wh..."] {
        std::fs::create_dir_all(r.join("a")).expect("a");
        let res = apply(
            r,
            Layer::new().raw(wh, tar::EntryType::Regular, 0o644, None, b"", (0, 0)),
        );
        // `.wh...` names `..` after the prefix is removed: refused like the others.
        assert!(matches!(res, Err(Error::BadWhiteout(_))), "{wh}: {res:?}");
    }
    assert!(
        r.parent()
            .expect("parent")
            .join("escape")
            .exists()
            .eq(&false)
    );
    let err = apply(r, Layer::new().symlink("./", "/etc")).expect_err("root type change");
    assert!(matches!(err, Error::RootType(_)), "{err}");
    assert!(r.is_dir());
    apply(r, Layer::new().dir("./", 0o750)).expect("root metadata");
    assert_eq!(
        std::fs::metadata(r).expect("root").permissions().mode() & 0o777,
        0o750
    );
}

#[test]
#[ignore = "needs root: chowns entries to the group a header names"]
fn new_entries_in_a_setgid_directory_still_get_the_header_group() {
    let root = tempfile::tempdir().expect("tmp");
    let r = root.path();
    apply(
        r,
        Layer::new().raw(
            "shared/",
            tar::EntryType::Directory,
            0o2775,
            None,
            b"",
            (0, 50),
        ),
    )
    .expect("setgid dir");
    apply(
        r,
        Layer::new()
            .raw(
                "shared/file",
                tar::EntryType::Regular,
                0o644,
                None,
                b"x",
                (0, 0),
            )
            .raw(
                "shared/sub/",
                tar::EntryType::Directory,
                0o755,
                None,
                b"",
                (0, 0),
            ),
    )
    .expect("entries");
    for p in ["shared/file", "shared/sub"] {
        let m = std::fs::metadata(r.join(p)).expect(p);
        assert_eq!(
            (m.uid(), m.gid()),
            (0, 0),
            "{p}: the header's group, not the directory's"
        );
    }
    assert_eq!(
        std::fs::metadata(r.join("shared/sub"))
            .expect("sub")
            .permissions()
            .mode()
            & 0o7777,
        0o755,
        "no setgid inherited either"
    );
}

#[test]
fn modes_are_exact_whatever_the_umask() {
    let root = tempfile::tempdir().expect("tmp");
    let r = root.path();
    apply(
        r,
        Layer::new()
            .raw("open", tar::EntryType::Regular, 0o777, None, b"x", (0, 0))
            .raw("closed", tar::EntryType::Regular, 0o000, None, b"x", (0, 0))
            .raw("d/", tar::EntryType::Directory, 0o777, None, b"", (0, 0)),
    )
    .expect("apply");
    for (p, m) in [("open", 0o777), ("closed", 0o000), ("d", 0o777)] {
        assert_eq!(
            std::fs::symlink_metadata(r.join(p))
                .expect(p)
                .permissions()
                .mode()
                & 0o7777,
            m,
            "{p}"
        );
    }
}

/// A name that is not UTF-8 (no layer can write one: entry names must be UTF-8, but the root
/// may hold one already) is still hidden by an opaque whiteout and removed with a directory
/// that an entry replaces.
#[test]
fn names_that_are_not_utf8_are_whited_out_and_replaced_too() {
    use std::os::unix::ffi::OsStrExt;
    let root = tempfile::tempdir().expect("tmp");
    let r = root.path();
    let odd = std::ffi::OsStr::from_bytes(b"odd-\xff");
    std::fs::create_dir_all(r.join("opaque")).expect("mkdir");
    std::fs::write(r.join("opaque").join(odd), b"lower").expect("write");
    std::fs::write(r.join("opaque/plain"), b"lower").expect("write");
    std::fs::create_dir_all(r.join("replaced")).expect("mkdir");
    std::fs::write(r.join("replaced").join(odd), b"lower").expect("write");
    let layer = Layer::new()
        .file("opaque/.wh..wh..opq", b"")
        .file("replaced", b"now a file");
    let stats = apply(r, layer).expect("apply");
    assert_eq!(stats.whiteouts, 2);
    assert_eq!(std::fs::read_dir(r.join("opaque")).expect("ls").count(), 0);
    assert_eq!(
        std::fs::read(r.join("replaced")).expect("read"),
        b"now a file"
    );
}
