//! `carrack image run`: the embedded default image runs, reports from inside its container,
//! exits with its process's status, and leaves nothing behind; the second run reuses its
//! snapshot; `--keep` leaves a container whose `delete` lets go of its root filesystem.
#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::{Command, Output};

fn carrack(data: &Path, state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_carrack"))
        .arg("--root")
        .arg(state)
        .args(args)
        .env("CARRACK_DATA_DIR", data)
        .output()
        .expect("carrack")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn leftovers(data: &Path, state: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for dir in [
        data.join("snapshots/active"),
        data.join("bundles"),
        state.to_path_buf(),
    ] {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            out.extend(entries.flatten().map(|e| e.path().display().to_string()));
        }
    }
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    let prefix = data.display().to_string();
    out.extend(
        mounts
            .lines()
            .filter_map(|l| l.split(' ').nth(4))
            .filter(|m| m.starts_with(&prefix))
            .map(|m| format!("mount {m}")),
    );
    out
}

#[test]
#[ignore = "needs root: containers and overlay mounts"]
fn the_embedded_image_runs_twice_the_second_time_from_its_snapshot() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (data, state) = (tmp.path().join("data"), tmp.path().join("state"));
    let o = carrack(&data, &state, &["image", "run", "--name", "inside-1"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    for want in [
        "hostname      inside-1",
        "pid           1",
        "uid gid       0 0",
        "/ (overlay)",
    ] {
        assert!(out.contains(want), "{want}: {}", text(&o));
    }
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("snapshot (1 applied, 0 reused)"),
        "{}",
        text(&o)
    );
    for stage in ["image", "validate", "create", "start", "exit", "delete"] {
        assert!(err.contains(&format!("{stage} ")), "{stage}: {}", text(&o));
    }
    assert_eq!(leftovers(&data, &state), Vec::<String>::new());

    let o = carrack(&data, &state, &["image", "run", "--name", "inside-2"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("snapshot (0 applied, 1 reused)"),
        "{}",
        text(&o)
    );

    // The process's status is the command's.
    let o = carrack(
        &data,
        &state,
        &["image", "run", "--", "/carrack", "--bogus"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(leftovers(&data, &state), Vec::<String>::new());

    // Kept: the container stays until `delete`, whose poststop hook unmounts its rootfs.
    let o = carrack(&data, &state, &["image", "run", "--keep", "--name", "kept"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(data.join("snapshots/active/kept/rootfs/carrack").exists());
    let o = carrack(&data, &state, &["delete", "--force", "kept"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(leftovers(&data, &state), Vec::<String>::new());

    // The old image's snapshot is unused; prune with the layout keeps the current one.
    let layout = data.join("inside-image");
    let o = carrack(
        &data,
        &state,
        &[
            "image",
            "snapshots",
            "prune",
            "--snapshots",
            &data.join("snapshots").display().to_string(),
            &layout.display().to_string(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("0 removed, 1 kept"),
        "{}",
        text(&o)
    );
}

#[test]
#[ignore = "needs root: containers"]
fn without_snapshots_the_image_is_unpacked_and_removed_and_a_missing_platform_fails() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (data, state) = (tmp.path().join("data"), tmp.path().join("state"));
    let o = carrack(&data, &state, &["image", "run", "--no-snapshots"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("| unpack "),
        "{}",
        text(&o)
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("pid           1"),
        "{}",
        text(&o)
    );
    assert_eq!(leftovers(&data, &state), Vec::<String>::new());

    let o = carrack(
        &data,
        &state,
        &["image", "run", "--platform", "linux/s390x"],
    );
    assert_eq!(o.status.code(), Some(125), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no manifest for platform linux/s390x"),
        "{}",
        text(&o)
    );
}
