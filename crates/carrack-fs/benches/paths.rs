//! `cargo bench -p carrack-fs --bench paths`: open-inside-a-root against a plain open, and
//! remove-tree against `std::fs::remove_dir_all`, each the median of several runs.

#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Duration;
#[cfg(target_os = "linux")]
use std::time::Instant;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[cfg(target_os = "linux")]
fn main() {
    use carrack_fs::InRoot;

    let tmp = tempfile::tempdir().unwrap();
    let root_path = tmp.path().join("root");
    std::fs::create_dir_all(root_path.join("usr/lib/x86_64-linux-gnu")).unwrap();
    std::fs::write(root_path.join("usr/lib/x86_64-linux-gnu/libc.so.6"), b"x").unwrap();
    let root = carrack_fs::open_dir(&root_path).unwrap();
    let rel = "usr/lib/x86_64-linux-gnu/libc.so.6";
    let full = root_path.join(rel);
    const OPENS: u32 = 100_000;
    let (mut plain, mut inroot) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..OPENS {
            drop(std::fs::File::open(&full).unwrap());
        }
        plain.push(t.elapsed() / OPENS);
        let t = Instant::now();
        for _ in 0..OPENS {
            drop(InRoot::new().readable().open(&root, rel).unwrap());
        }
        inroot.push(t.elapsed() / OPENS);
    }
    println!(
        "open {rel} ({OPENS} times, median of 5): std::fs::File::open {:?} per open, InRoot::open {:?} per open",
        median(plain),
        median(inroot)
    );

    const DIRS: u32 = 10;
    const FILES: u32 = 1_000;
    let make = |name: &str| {
        let t = tmp.path().join(name);
        for d in 0..DIRS {
            let dir = t.join(format!("d{d}"));
            std::fs::create_dir_all(&dir).unwrap();
            for f in 0..FILES {
                std::fs::write(dir.join(format!("f{f}")), b"").unwrap();
            }
        }
        t
    };
    let top = carrack_fs::open_dir(tmp.path()).unwrap();
    let (mut std_rm, mut ours) = (Vec::new(), Vec::new());
    for round in 0..6 {
        // Both trees made first, then removed one after the other, in alternating order.
        let t = make("std");
        make("ours");
        let mut std_once = || {
            let start = Instant::now();
            std::fs::remove_dir_all(&t).unwrap();
            std_rm.push(start.elapsed());
        };
        let mut ours_once = || {
            let start = Instant::now();
            carrack_fs::remove_tree(&top, "ours").unwrap();
            ours.push(start.elapsed());
        };
        if round % 2 == 0 {
            std_once();
            ours_once();
        } else {
            ours_once();
            std_once();
        }
    }
    println!(
        "remove a tree of {} files in {DIRS} directories (median of 6): std::fs::remove_dir_all {:?}, carrack_fs::remove_tree {:?}",
        DIRS * FILES,
        median(std_rm),
        median(ours)
    );
}

#[cfg(not(target_os = "linux"))]
fn main() {
    let _ = median(vec![Duration::ZERO]);
    println!("the benchmark is Linux-only (openat2)");
}
