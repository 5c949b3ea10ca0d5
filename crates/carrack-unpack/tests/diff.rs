//! The other direction: a bundle is changed in every way a container can change it, committed
//! as a new layer, and the new image must unpack to exactly the changed tree.

#![cfg(target_os = "linux")] // what they test is Linux only

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use carrack_image::{Layout, PlatformMatcher};
use carrack_spec::image::{Compression, MediaType};
use carrack_unpack::{
    Base, BundleOptions, CommitOptions, TREE_FILE, Tree, bundle, commit, diff, unpack,
};
use common::{Layer, image, is_root, walk};

fn base_layers() -> Vec<(MediaType, Vec<u8>)> {
    let l = Layer::new()
        .dir("etc/", 0o755)
        .file(
            "etc/passwd",
            b"root:x:0:0::/root:/bin/sh\nweb:x:33:33::/:/bin/false\n",
        )
        .file("etc/group", b"root:x:0:\nweb:x:33:\n")
        .file("etc/hostname", b"base\n")
        .dir("var/", 0o755)
        .dir("var/log/", 0o755)
        .file("var/log/old.log", b"old")
        .dir("srv/", 0o755)
        .file("srv/data", b"data")
        .file("bin-or-dir", b"file")
        .dir("dir-or-file/", 0o755)
        .file("dir-or-file/inner", b"inner")
        .symlink("link", "etc/hostname")
        .file("chmod-me", b"x");
    vec![(MediaType::ImageLayerGzip, l.bytes())]
}

/// Changes the rootfs the way a running container might.
fn mutate(r: &Path) {
    std::fs::write(r.join("etc/hostname"), b"changed\n").expect("modify");
    std::fs::write(r.join("etc/new.conf"), b"new").expect("add");
    std::fs::remove_file(r.join("var/log/old.log")).expect("delete file");
    std::fs::remove_dir_all(r.join("srv")).expect("delete dir");
    std::fs::remove_file(r.join("bin-or-dir")).expect("rm");
    std::fs::create_dir(r.join("bin-or-dir")).expect("file becomes dir");
    std::fs::write(r.join("bin-or-dir/x"), b"x").expect("add");
    std::fs::remove_dir_all(r.join("dir-or-file")).expect("rm");
    std::fs::write(r.join("dir-or-file"), b"now a file").expect("dir becomes file");
    std::fs::remove_file(r.join("link")).expect("rm");
    std::os::unix::fs::symlink("/etc/passwd", r.join("link")).expect("retarget link");
    std::fs::set_permissions(r.join("chmod-me"), std::fs::Permissions::from_mode(0o4750))
        .expect("chmod");
    std::fs::create_dir_all(r.join("opt/app")).expect("mkdir");
    std::fs::write(r.join("opt/app/bin"), vec![9u8; 100_000]).expect("big");
    std::fs::hard_link(r.join("opt/app/bin"), r.join("opt/app/bin.alias")).expect("hardlink");
    rustix::fs::setxattr(
        r.join("opt/app/bin").as_path(),
        "user.origin",
        b"test",
        rustix::fs::XattrFlags::empty(),
    )
    .expect("xattr");
    nix::unistd::mkfifo(
        &r.join("opt/app/fifo"),
        nix::sys::stat::Mode::from_bits_truncate(0o640),
    )
    .expect("fifo");
    if is_root() {
        nix::unistd::chown(
            &r.join("etc/new.conf"),
            Some(nix::unistd::Uid::from_raw(33)),
            Some(nix::unistd::Gid::from_raw(33)),
        )
        .expect("chown");
        nix::sys::stat::mknod(
            &r.join("opt/app/tty"),
            nix::sys::stat::SFlag::S_IFCHR,
            nix::sys::stat::Mode::from_bits_truncate(0o620),
            nix::sys::stat::makedev(5, 0),
        )
        .expect("mknod");
    }
}

fn resolve(layout: &Layout, tag: &str) -> carrack_image::Resolved {
    layout
        .resolve(
            tag,
            &PlatformMatcher::parse("linux/amd64").expect("platform"),
        )
        .expect("resolve")
}

fn layer_names(layout: &Layout, desc: &carrack_spec::image::Descriptor) -> Vec<String> {
    let blob = layout.read_blob(desc).expect("blob");
    let tar: Vec<u8> = match desc.media_type.layer_compression() {
        Some(Compression::Gzip) => {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&blob[..]), &mut out)
                .expect("gunzip");
            out
        }
        Some(Compression::Zstd) => zstd::decode_all(&blob[..]).expect("unzstd"),
        _ => blob,
    };
    tar::Archive::new(&tar[..])
        .entries()
        .expect("entries")
        .map(|e| {
            e.expect("entry")
                .path()
                .expect("path")
                .display()
                .to_string()
        })
        .collect()
}

#[test]
fn committed_changes_unpack_to_the_changed_tree() {
    for compression in [Compression::Gzip, Compression::Zstd, Compression::None] {
        let tmp = tempfile::tempdir().expect("tmp");
        let (layout, _) = image(&tmp.path().join("layout"), "base", &base_layers());
        let base = resolve(&layout, "base");
        let b = tmp.path().join("bundle");
        bundle(&layout, &base, &b, &BundleOptions::default()).expect("bundle");
        let rootfs = b.join("rootfs");
        mutate(&rootfs);
        let recorded = Tree::load(&b.join(TREE_FILE)).expect("tree");
        assert_eq!(
            recorded.manifest.as_deref(),
            Some(base.descriptor.digest.as_str())
        );
        let d = diff(Base::Tree(&recorded), &rootfs).expect("diff");
        let mut opts = CommitOptions::default();
        opts.compression = compression;
        opts.tag = Some("next".into());
        opts.created = Some(1_700_000_000);
        let done = commit(&layout, &base, &d, &rootfs, &opts).expect("commit");

        let names = layer_names(&layout, &done.layer);
        // Sorted by the path they change (a whiteout stands where the deleted path would).
        let keys: Vec<String> = names.iter().map(|n| n.replace(".wh.", "")).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "entries are sorted");
        assert!(
            !names.iter().any(|n| n == "srv/.wh.data"),
            "only the topmost deleted path gets a whiteout"
        );
        assert!(names.iter().any(|n| n == ".wh.srv"), "{names:?}");
        assert!(
            names.iter().any(|n| n == "var/log/.wh.old.log"),
            "{names:?}"
        );
        assert!(
            !names.iter().any(|n| n.starts_with("etc/passwd")),
            "unchanged files stay out"
        );

        let next = resolve(&layout, "next");
        assert_eq!(next.manifest.layers.len(), 2);
        let again = tmp.path().join("again");
        unpack(&layout, &next.manifest, &again, &Default::default()).expect("unpack next");
        let (want, got) = (walk(&rootfs), walk(&again));
        let diffs: Vec<_> = want
            .iter()
            .filter(|(k, v)| got.get(*k) != Some(v))
            .map(|(k, v)| format!("{k}: want {v:?}, got {:?}", got.get(k)))
            .chain(
                got.keys()
                    .filter(|k| !want.contains_key(*k))
                    .map(|k| format!("extra {k}")),
            )
            .collect();
        assert!(diffs.is_empty(), "{compression:?}:\n{}", diffs.join("\n"));
        let fsck = layout.fsck().expect("fsck");
        assert!(fsck.is_empty(), "{fsck:?}");
    }
}

#[test]
fn commits_are_reproducible() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (layout, _) = image(&tmp.path().join("layout"), "base", &base_layers());
    let base = resolve(&layout, "base");
    let mut digests = Vec::new();
    for i in 0..2 {
        let b = tmp.path().join(format!("bundle{i}"));
        bundle(&layout, &base, &b, &BundleOptions::default()).expect("bundle");
        let rootfs = b.join("rootfs");
        mutate(&rootfs);
        let recorded = Tree::load(&b.join(TREE_FILE)).expect("tree");
        let d = diff(Base::Tree(&recorded), &rootfs).expect("diff");
        let mut opts = CommitOptions::default();
        opts.layer.clamp_mtime = Some(1_700_000_000);
        opts.created = Some(1_700_000_000);
        let done = commit(&layout, &base, &d, &rootfs, &opts).expect("commit");
        digests.push((done.layer.digest, done.manifest.digest));
    }
    assert_eq!(
        digests[0], digests[1],
        "same changes, same clamp: same bytes"
    );
}

#[test]
fn diff_against_a_base_directory_finds_the_same_changes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (layout, manifest) = image(&tmp.path().join("layout"), "base", &base_layers());
    let lower = tmp.path().join("lower");
    let upper = tmp.path().join("upper");
    unpack(&layout, &manifest, &lower, &Default::default()).expect("lower");
    unpack(&layout, &manifest, &upper, &Default::default()).expect("upper");
    mutate(&upper);
    let by_dir = diff(Base::Dir(&lower), &upper).expect("diff dir");
    let paths: Vec<_> = by_dir
        .changes
        .iter()
        .map(|c| (c.path.as_str(), c.kind))
        .collect();
    use carrack_unpack::ChangeKind::{Added as A, Deleted as D, Modified as M};
    let mut want = vec![
        ("bin-or-dir", M),
        ("bin-or-dir/x", A),
        ("chmod-me", M),
        ("dir-or-file", M),
        ("etc", M),
        ("etc/hostname", M),
        ("etc/new.conf", A),
        ("link", M),
        ("opt", A),
        ("opt/app", A),
        ("opt/app/bin", A),
        ("opt/app/bin.alias", A),
        ("opt/app/fifo", A),
        ("srv", D),
        ("var/log", M),
        ("var/log/old.log", D),
    ];
    if is_root() {
        want.push(("opt/app/tty", A));
        want.sort_by_key(|w| w.0);
    }
    assert_eq!(paths, want);
}

#[test]
fn two_directories_whose_file_differs_only_in_content_differ() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let when = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    for (dir, body, same) in [(&a, "aa\n", "x"), (&b, "bb\n", "x")] {
        std::fs::create_dir(dir).expect("dir");
        for (name, text) in [("motd", body), ("same", same)] {
            let f = std::fs::File::create(dir.join(name)).expect("create");
            std::io::Write::write_all(&mut &f, text.as_bytes()).expect("write");
            f.set_modified(when).expect("mtime");
        }
    }
    let d = diff(Base::Dir(&a), &b).expect("diff");
    let changed: Vec<&str> = d.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(changed, ["motd"], "same size and mtime, other bytes");
}
