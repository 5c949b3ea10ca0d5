//! Nothing a tree contains can make the primitives reach outside it. These run without root.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)]

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use carrack_fs::{InRoot, open_dir};

const ELOOP: i32 = 40;
const ENOENT: i32 = 2;
const ENOTDIR: i32 = 20;

/// A root and, beside it, an "outside" directory with a canary file that must never change.
struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        let outside = tmp.path().join("outside");
        fs::create_dir(&root).unwrap();
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("canary"), b"alive").unwrap();
        Self {
            _tmp: tmp,
            root,
            outside,
        }
    }

    fn root_fd(&self) -> fs::File {
        open_dir(&self.root).unwrap()
    }

    /// The outside directory holds exactly its canary, unchanged.
    fn assert_outside_untouched(&self) {
        let names: Vec<_> = fs::read_dir(&self.outside)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            names,
            vec![OsStr::new("canary").to_owned()],
            "outside changed"
        );
        assert_eq!(fs::read(self.outside.join("canary")).unwrap(), b"alive");
    }
}

fn same_file(a: &fs::File, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let (a, b) = (a.metadata().unwrap(), fs::metadata(b).unwrap());
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[test]
fn absolute_symlink_is_resolved_inside_the_root() {
    let f = Fixture::new();
    symlink(&f.outside, f.root.join("etc")).unwrap();
    let root = f.root_fd();

    // Reading through it finds nothing: the host path does not exist inside the root.
    assert_eq!(
        carrack_fs::read_in_root(&root, "etc/canary", 100).unwrap(),
        None
    );
    // Creating through it without following dangling links fails, creating nothing outside.
    let e = InRoot::new()
        .create_dirs()
        .open(&root, "etc/new")
        .unwrap_err();
    assert_eq!(e.raw_os_error(), Some(ENOENT), "{e}");
    // Following the dangling link creates its target inside the root.
    let made = InRoot::new()
        .directory()
        .create_dirs()
        .create_dangling_targets()
        .open(&root, "etc/new")
        .unwrap();
    let inside = f
        .root
        .join(f.outside.strip_prefix("/").unwrap())
        .join("new");
    assert!(same_file(&made, &inside));
    f.assert_outside_untouched();
}

#[test]
fn dotdot_never_climbs_above_the_root() {
    let f = Fixture::new();
    let root = f.root_fd();
    let up = InRoot::new()
        .directory()
        .open(&root, "../../../..")
        .unwrap();
    assert!(same_file(&up, &f.root));
    let e = InRoot::new()
        .readable()
        .open(&root, "../outside/canary")
        .unwrap_err();
    assert_eq!(e.raw_os_error(), Some(ENOENT));
    // A relative symlink climbing out lands on the root too.
    symlink("../../../../..", f.root.join("up")).unwrap();
    let up = InRoot::new().directory().open(&root, "up/..").unwrap();
    assert!(same_file(&up, &f.root));
    // Creating with '..' on the way is refused outright.
    let e = InRoot::new()
        .create_dirs()
        .open(&root, "a/../../outside/x")
        .unwrap_err();
    assert!(matches!(e, carrack_fs::Error::ParentDir { .. }), "{e}");
    f.assert_outside_untouched();
}

#[test]
fn symlink_loops_fail_with_eloop() {
    let f = Fixture::new();
    symlink("b", f.root.join("a")).unwrap();
    symlink("/a", f.root.join("b")).unwrap();
    symlink("/self/x", f.root.join("self")).unwrap();
    let root = f.root_fd();
    for how in [
        InRoot::new(),
        InRoot::new().create_dirs(),
        InRoot::new().create_dirs().create_dangling_targets(),
    ] {
        for p in ["a", "a/x", "self/y"] {
            let e = how.open(&root, p).unwrap_err();
            assert_eq!(e.raw_os_error(), Some(ELOOP), "{p}: {e}");
        }
    }
    f.assert_outside_untouched();
}

#[test]
fn creating_through_a_symlinked_component_is_refused_without_symlinks() {
    let f = Fixture::new();
    fs::create_dir(f.root.join("real")).unwrap();
    symlink("real", f.root.join("link")).unwrap();
    symlink(&f.outside, f.root.join("out")).unwrap();
    let root = f.root_fd();
    for p in ["link/new", "out/new", "link/a/b/c"] {
        for how in [
            InRoot::new().no_symlinks().create_dirs(),
            InRoot::new().no_symlinks().create_file(),
        ] {
            let e = how.open(&root, p).unwrap_err();
            assert_eq!(e.raw_os_error(), Some(ELOOP), "{p}: {e}");
        }
    }
    assert_eq!(fs::read_dir(f.root.join("real")).unwrap().count(), 0);
    // Without the restriction the relative link is followed, inside the root.
    let made = InRoot::new()
        .create_file()
        .open(&root, "link/a/file")
        .unwrap();
    assert!(same_file(&made, &f.root.join("real/a/file")));
    assert!(made.metadata().unwrap().is_file());
    f.assert_outside_untouched();
}

/// A component swapped for a symlink to the outside while paths are being created: every
/// step is resolved again from the root with RESOLVE_IN_ROOT, and every write goes through a
/// descriptor, so whichever way each race falls nothing lands outside.
#[test]
fn a_symlink_swapped_in_stays_inside() {
    let f = Fixture::new();
    fs::create_dir(f.root.join("a")).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (root, outside, stop) = (f.root.clone(), f.outside.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut flips = 0u64;
            let targets = [
                outside.clone(),
                PathBuf::from("../../../../..").join(outside.strip_prefix("/").unwrap()),
            ];
            while !stop.load(Ordering::Relaxed) {
                let _ = fs::rename(root.join("a"), root.join("a-moved"));
                let _ = symlink(&targets[(flips % 2) as usize], root.join("a"));
                let _ = fs::remove_file(root.join("a"));
                let _ = fs::rename(root.join("a-moved"), root.join("a"));
                flips += 1;
                // Leave "a" a directory for a moment now and then, so some opens succeed.
                if flips.is_multiple_of(4) {
                    std::thread::sleep(std::time::Duration::from_micros(50));
                }
            }
            flips
        })
    };
    let root = f.root_fd();
    let (mut made, mut refused) = (0, 0);
    for i in 0..3000 {
        match InRoot::new().directory().create_dirs().open(&root, "a/b/c") {
            // The handle is the directory resolved inside the root, whatever "a" is now.
            Ok(dir) => {
                if carrack_fs::create_new(&dir, format!("f{i}"), 0o644).is_ok() {
                    made += 1;
                }
            }
            // "a" was the symlink: its target does not exist inside the root.
            Err(_) => refused += 1,
        }
        let _ = InRoot::new().create_file().open(&root, format!("a/g{i}"));
    }
    stop.store(true, Ordering::Relaxed);
    let flips = swapper.join().unwrap();
    assert!(flips > 100, "the swapper barely ran ({flips} flips)");
    assert!(made > 0, "nothing was created at all ({refused} refused)");
    eprintln!("{flips} swaps; {made} files made inside, {refused} opens met the symlink");
    f.assert_outside_untouched();
}

/// A handle, once opened, is the directory it named: swapping a symlink in afterwards changes
/// nothing about where writes through it go.
#[test]
fn a_handle_is_not_redirected_by_a_later_swap() {
    let f = Fixture::new();
    let root = f.root_fd();
    let dir = InRoot::new()
        .directory()
        .create_dirs()
        .open(&root, "a/b")
        .unwrap();
    fs::rename(f.root.join("a"), f.root.join("moved")).unwrap();
    symlink(&f.outside, f.root.join("a")).unwrap();
    carrack_fs::create_new(&dir, "file", 0o644).unwrap();
    assert!(f.root.join("moved/b/file").is_file());
    f.assert_outside_untouched();
}

#[test]
fn remove_tree_does_not_follow_symlinks_out() {
    let f = Fixture::new();
    let t = f.root.join("t");
    fs::create_dir_all(t.join("d/e")).unwrap();
    fs::write(t.join("d/e/file"), b"x").unwrap();
    symlink(&f.outside, t.join("abs")).unwrap();
    symlink("../../outside", t.join("d/rel")).unwrap();
    symlink(f.outside.join("canary"), t.join("d/e/to-canary")).unwrap();
    let odd = OsStr::from_bytes(b"not-utf8-\xff");
    fs::write(t.join(odd), b"x").unwrap();
    // Reported by `list` as the bytes they are.
    let names = carrack_fs::list(open_dir(&t).unwrap()).unwrap();
    assert!(names.iter().any(|n| n == odd));

    // `walk` meets every entry once and never descends into a symlink.
    let mut seen = Vec::new();
    carrack_fs::walk(f.root_fd(), "t", &mut |e: &carrack_fs::WalkEntry<'_>| {
        seen.push(e.path.to_path_buf());
        Ok::<(), carrack_fs::Error>(())
    })
    .unwrap();
    assert_eq!(seen.len(), 8, "{seen:?}");
    assert!(!seen.iter().any(|p| p.ends_with("canary")));

    carrack_fs::remove_tree(f.root_fd(), "t").unwrap();
    assert!(!t.exists());
    f.assert_outside_untouched();
    // A missing tree is not an error.
    carrack_fs::remove_tree(f.root_fd(), "t").unwrap();
}

/// Directories of the tree swapped for symlinks to the outside, over and over, while the tree
/// is removed: the removal may fail, but never empties the outside.
#[test]
fn remove_tree_racing_a_swap_stays_inside() {
    let f = Fixture::new();
    let t = f.root.join("t");
    for round in 0..20 {
        for d in 0..20 {
            fs::create_dir_all(t.join(format!("sub{d}"))).unwrap();
            for i in 0..50 {
                fs::write(t.join(format!("sub{d}/{i}")), b"x").unwrap();
            }
        }
        let stop = Arc::new(AtomicBool::new(false));
        let swapper = {
            let (t, outside, stop) = (t.clone(), f.outside.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    for d in 0..20 {
                        let (sub, moved) = (t.join(format!("sub{d}")), t.join(format!("m{d}")));
                        if fs::rename(&sub, &moved).is_ok() {
                            let _ = symlink(&outside, &sub);
                            let _ = fs::remove_file(&sub);
                            let _ = fs::rename(&moved, &sub);
                        }
                    }
                }
            })
        };
        let _ = carrack_fs::remove_tree(f.root_fd(), "t");
        stop.store(true, Ordering::Relaxed);
        swapper.join().unwrap();
        f.assert_outside_untouched();
        carrack_fs::remove_tree(f.root_fd(), "t").unwrap();
        assert!(!t.exists(), "round {round}");
    }
}

/// `walk` opens a directory only after its visitor returned: a visitor (standing in for any
/// other process) that swaps the directory for a symlink to the outside right then makes the
/// walk fail rather than descend outside.
#[test]
fn walk_does_not_descend_into_a_directory_swapped_for_a_symlink() {
    let f = Fixture::new();
    let t = f.root.join("t");
    fs::create_dir_all(t.join("sub")).unwrap();
    let mut seen = Vec::new();
    let r = carrack_fs::walk(f.root_fd(), "t", &mut |e: &carrack_fs::WalkEntry<'_>| {
        seen.push(e.path.to_path_buf());
        if e.path == Path::new("t/sub") {
            fs::rename(t.join("sub"), t.join("moved")).unwrap();
            symlink(&f.outside, t.join("sub")).unwrap();
        }
        Ok::<(), carrack_fs::Error>(())
    });
    // O_DIRECTORY | O_NOFOLLOW on a symlink: ENOTDIR (ELOOP on some kernels).
    let e = r.unwrap_err();
    assert!(matches!(e.raw_os_error(), Some(ENOTDIR | ELOOP)), "{e}");
    assert!(!seen.iter().any(|p| p.ends_with("canary")), "{seen:?}");
    f.assert_outside_untouched();
}

#[test]
fn replace_leaves_no_temporary_file_on_failure() {
    let f = Fixture::new();
    let root = f.root_fd();
    carrack_fs::Replace::new()
        .write_at(&root, "state", b"one")
        .unwrap();
    carrack_fs::Replace::new()
        .sync(false)
        .write_at(&root, "state", b"two")
        .unwrap();
    assert_eq!(fs::read(f.root.join("state")).unwrap(), b"two");
    // A non-empty directory in the way: the rename fails, the temporary file goes.
    fs::create_dir_all(f.root.join("busy/x")).unwrap();
    let e = carrack_fs::Replace::new()
        .write_at(&root, "busy", b"three")
        .unwrap_err();
    assert!(e.raw_os_error().is_some(), "{e}");
    let mut names: Vec<_> = fs::read_dir(&f.root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["busy", "state"]);
    // The by-path variant too.
    carrack_fs::Replace::new()
        .write(f.root.join("by-path"), b"four")
        .unwrap();
    assert_eq!(fs::read(f.root.join("by-path")).unwrap(), b"four");
    // By exchange (first with nothing to exchange with), unsynced, as a state store would.
    let fast = carrack_fs::Replace::new().sync(false).exchange(true);
    for (i, bytes) in [&b"five"[..], b"six"].into_iter().enumerate() {
        fast.write(f.root.join("exchanged"), bytes).unwrap();
        fast.write_at(&root, "exchanged-at", bytes).unwrap();
        assert_eq!(fs::read(f.root.join("exchanged")).unwrap(), bytes, "{i}");
        assert_eq!(fs::read(f.root.join("exchanged-at")).unwrap(), bytes, "{i}");
    }
    let mut names: Vec<_> = fs::read_dir(&f.root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["busy", "by-path", "exchanged", "exchanged-at", "state"],
        "no temporary file left"
    );
}
