//! Snapshots: an overlay of per-layer snapshots must show exactly the tree a full unpack makes,
//! a second prepare applies nothing, concurrent prepares share, interrupted layers are never
//! used, and rm/prune/release keep what is in use. Overlay mounts need root.
#![cfg(target_os = "linux")]

mod common;

use std::collections::HashSet;
use std::path::Path;

use carrack_image::PlatformMatcher;
use carrack_spec::image::MediaType;
use carrack_unpack::snapshot::{Durability, SnapshotError, Snapshots};
use carrack_unpack::unpack;
use common::{Layer, image, walk};

/// Three layers that delete, replace, hide under an opaque directory, hard-link across layers
/// and change modes: everything overlayfs must express with whiteouts and copy-ups.
fn layers() -> Vec<(MediaType, Vec<u8>)> {
    let base = Layer::new()
        .dir("etc/", 0o755)
        .file("etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
        .file("etc/motd", b"hello\n")
        .dir("opaque/", 0o755)
        .file("opaque/old", b"old")
        .dir("opaque/sub/", 0o700)
        .file("opaque/sub/deep", b"deep")
        .file("gone", b"gone")
        .file("linked", b"shared")
        .symlink("link", "etc/motd")
        .dir("mode/", 0o755);
    let middle = Layer::new()
        .whiteout("gone")
        .file("etc/motd", b"replaced\n")
        .dir("opaque/", 0o750)
        .file("opaque/.wh..wh..opq", b"")
        .file("opaque/new", b"new")
        .hardlink("hard", "linked")
        .dir("mode/", 0o700);
    let top = Layer::new()
        .file("gone", b"back again")
        .whiteout("link")
        .dir("fresh/", 0o755)
        .file("fresh/file", b"fresh");
    vec![
        (MediaType::ImageLayerGzip, base.bytes()),
        (MediaType::ImageLayerZstd, middle.bytes()),
        (MediaType::ImageLayer, top.bytes()),
    ]
}

fn resolve(layout: &carrack_image::Layout) -> carrack_image::Resolved {
    layout
        .resolve(
            "img",
            &PlatformMatcher::parse("linux/amd64").expect("platform"),
        )
        .expect("resolve")
}

#[test]
#[ignore = "needs root: overlay mounts"]
fn an_overlay_of_snapshots_is_the_unpacked_tree_and_a_second_prepare_applies_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (layout, _) = image(&tmp.path().join("layout"), "img", &layers());
    let image = resolve(&layout);
    let full = tmp.path().join("full");
    unpack(&layout, &image.manifest, &full, &Default::default()).expect("unpack");

    let store = Snapshots::open(&tmp.path().join("snap")).expect("store");
    let first = store
        .prepare(&layout, &image.manifest, &Default::default())
        .expect("prepare");
    assert_eq!((first.applied, first.reused), (3, 0));
    let again = store
        .prepare(&layout, &image.manifest, &Default::default())
        .expect("prepare again");
    assert_eq!((again.applied, again.reused), (0, 3));
    assert_eq!(first.snapshots, again.snapshots);

    let active = store.activate("c1", &again).expect("activate");
    let merged = walk(&active.rootfs);
    let expected = walk(&full);
    let differs: Vec<_> = expected
        .keys()
        .chain(merged.keys())
        .collect::<HashSet<_>>()
        .into_iter()
        .filter(|k| expected.get(*k) != merged.get(*k))
        .map(|k| (k.clone(), expected.get(k).cloned(), merged.get(k).cloned()))
        .collect();
    assert!(differs.is_empty(), "{differs:#?}");
    // The container writes to its own upper directory only.
    std::fs::write(active.rootfs.join("etc/motd"), b"written").expect("write");
    let second = store.activate("c2", &again).expect("activate c2");
    assert_eq!(
        std::fs::read(second.rootfs.join("etc/motd")).expect("read"),
        b"replaced\n"
    );
    store.release("c1").expect("release");
    store.release("c2").expect("release");
    assert!(!active.dir.exists() && !second.dir.exists());
    assert!(!mounted(&active.rootfs));
}

/// The super block options of the mount at `path` (mountinfo's last field), if mounted.
fn super_options(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    let p = path.display().to_string();
    text.lines()
        .find(|l| l.split(' ').nth(4) == Some(p.as_str()))
        .and_then(|l| l.rsplit(' ').next().map(str::to_owned))
}

#[test]
#[ignore = "needs root: overlay mounts"]
fn a_volatile_container_is_mounted_volatile_and_a_kept_one_is_not() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (layout, _) = image(&tmp.path().join("layout"), "img", &layers());
    let image = resolve(&layout);
    let store = Snapshots::open(&tmp.path().join("snap")).expect("store");
    let p = store
        .prepare(&layout, &image.manifest, &Default::default())
        .expect("prepare");
    let gone = store
        .activate_with("gone", &p, Durability::Volatile)
        .expect("activate volatile");
    let kept = store.activate("kept", &p).expect("activate");
    let opts = super_options(&gone.rootfs).expect("mounted");
    // Linux 5.10 and later take the option; an older kernel mounts without it and says so.
    // Kernels from 6.12 show it as `fsync=volatile`.
    let is_volatile = |o: &str| {
        o.split(',')
            .any(|o| o == "volatile" || o == "fsync=volatile")
    };
    assert_eq!(gone.volatile, is_volatile(&opts), "{opts}");
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").expect("osrelease");
    let mut v = release
        .split(['.', '-'])
        .map(|x| x.parse::<u32>().unwrap_or(0));
    let (major, minor) = (v.next().unwrap_or(0), v.next().unwrap_or(0));
    assert_eq!(gone.volatile, (major, minor) >= (5, 10), "{release}");
    assert!(!kept.volatile);
    let kept_opts = super_options(&kept.rootfs).expect("mounted");
    assert!(!is_volatile(&kept_opts), "{kept_opts}");
    // Both are ordinary overlays otherwise.
    std::fs::write(gone.rootfs.join("etc/motd"), b"scratch").expect("write");
    assert_eq!(
        std::fs::read(kept.rootfs.join("etc/motd")).expect("read"),
        b"replaced\n"
    );
    store.release("gone").expect("release");
    store.release("kept").expect("release");
    assert!(!mounted(&gone.rootfs) && !gone.dir.exists());
}

fn mounted(path: &Path) -> bool {
    let text = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    let p = path.display().to_string();
    text.lines()
        .any(|l| l.split(' ').nth(4) == Some(p.as_str()))
}

#[test]
#[ignore = "needs root: overlay mounts"]
fn concurrent_prepares_share_one_snapshot_per_layer() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (layout, _) = image(&tmp.path().join("layout"), "img", &layers());
    let image = resolve(&layout);
    let dir = tmp.path().join("snap");
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    Snapshots::open(&dir)
                        .and_then(|st| st.prepare(&layout, &image.manifest, &Default::default()))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let prepared: Vec<_> = results.into_iter().map(|r| r.expect("prepare")).collect();
    for p in &prepared[1..] {
        assert_eq!(p.snapshots, prepared[0].snapshots);
    }
    let store = Snapshots::open(&dir).expect("store");
    assert_eq!(store.list().expect("list").len(), 3);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
#[ignore = "needs root: overlay mounts"]
fn interrupted_layers_are_never_used_and_rm_prune_keep_what_is_in_use() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (layout, _) = image(&tmp.path().join("layout"), "img", &layers());
    let image = resolve(&layout);
    let dir = tmp.path().join("snap");
    let store = Snapshots::open(&dir).expect("store");
    // What a crash mid-layer leaves: a tmp- directory with a partial tree.
    let crashed = dir.join("tmp-1-0-0");
    std::fs::create_dir_all(crashed.join("fs/etc")).expect("crash");
    std::fs::write(crashed.join("fs/etc/motd"), b"half").expect("crash");
    let p = store
        .prepare(&layout, &image.manifest, &Default::default())
        .expect("prepare");
    assert_eq!(p.applied, 3);
    let active = store.activate("busy", &p).expect("activate");
    assert_eq!(
        std::fs::read(active.rootfs.join("etc/motd")).expect("motd"),
        b"replaced\n"
    );

    let top = p.snapshots[2].chain_id.to_string();
    let bottom = p.snapshots[0].chain_id.to_string();
    assert!(matches!(
        store.remove(&top),
        Err(SnapshotError::InUse { .. })
    ));
    assert!(matches!(
        store.remove(&bottom),
        Err(SnapshotError::InUse { .. })
    ));
    assert!(matches!(
        store.remove("sha256:ffff"),
        Err(SnapshotError::Unknown(_))
    ));

    // Nothing to keep, but a container stands on all three: only the left-over goes.
    let report = store.prune(&HashSet::new()).expect("prune");
    assert_eq!((report.removed.len(), report.kept, report.stale), (0, 3, 1));
    assert!(!crashed.exists());
    store.release("busy").expect("release");
    // Kept by the image's ChainIDs.
    let keep: HashSet<_> = p.snapshots.iter().map(|s| s.chain_id.clone()).collect();
    assert_eq!(store.prune(&keep).expect("prune").removed.len(), 0);
    // Top first, then the rest go one by one.
    store.remove(&top[..20]).expect("rm top by prefix");
    assert_eq!(
        store.prune(&HashSet::new()).expect("prune").removed.len(),
        2
    );
    assert!(store.list().expect("list").is_empty());
}

#[test]
fn container_names_that_are_no_plain_directory_name_are_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Snapshots::open(&tmp.path().join("snap")).expect("store");
    let (layout, _) = image(&tmp.path().join("layout"), "img", &[]);
    let image = resolve(&layout);
    let empty = carrack_unpack::snapshot::Prepared::clone(&match store.prepare(
        &layout,
        &image.manifest,
        &Default::default(),
    ) {
        Ok(p) => p,
        Err(e) => panic!("an image without layers prepares nothing: {e}"),
    });
    for bad in ["", "../x", "a/b", ".hidden", &"x".repeat(65)] {
        assert!(
            matches!(store.activate(bad, &empty), Err(SnapshotError::BadName(_))),
            "{bad:?}"
        );
    }
    assert!(!tmp.path().join("x").exists());
}
