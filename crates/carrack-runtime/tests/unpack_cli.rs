//! `carrack image unpack|bundle|commit` as users run them, as root and as an unprivileged user
//! (`nobody`, through setpriv) with `--rootless`.
#![cfg(target_os = "linux")]

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

use carrack_spec::Document;

fn carrack(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_carrack"))
        .args(args)
        .output()
        .expect("run carrack")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

/// security.capability granting cap_net_raw (vfs_cap_data revision 2, effective).
const CAP: [u8; 20] = [
    1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

fn entry(b: &mut tar::Builder<Vec<u8>>, name: &str, kind: tar::EntryType, mode: u32, data: &[u8]) {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(data.len() as u64);
    h.set_mtime(1_600_000_000);
    if kind == tar::EntryType::Char {
        h.set_device_major(1).expect("major");
        h.set_device_minor(3).expect("minor");
    }
    b.append_data(&mut h, name, data).expect("append");
}

/// A one-layer image with a device, a read-only directory with content, a setuid file with a
/// file capability and a user xattr, tagged `t` in a layout at `dir`.
fn layout(dir: &Path) -> PathBuf {
    let mut b = tar::Builder::new(Vec::new());
    entry(&mut b, "etc/", tar::EntryType::Directory, 0o755, b"");
    entry(
        &mut b,
        "etc/passwd",
        tar::EntryType::Regular,
        0o644,
        b"root:x:0:0::/root:/bin/sh\n",
    );
    entry(
        &mut b,
        "etc/group",
        tar::EntryType::Regular,
        0o644,
        b"root:x:0:\n",
    );
    entry(&mut b, "dev/null", tar::EntryType::Char, 0o666, b"");
    entry(&mut b, "ro/", tar::EntryType::Directory, 0o555, b"");
    entry(
        &mut b,
        "ro/inside",
        tar::EntryType::Regular,
        0o444,
        b"inside",
    );
    b.append_pax_extensions([
        ("SCHILY.xattr.security.capability", &CAP[..]),
        ("SCHILY.xattr.user.note", &b"hello"[..]),
    ])
    .expect("pax");
    entry(&mut b, "bin/ping", tar::EntryType::Regular, 0o4755, b"ping");
    let tar = b.into_inner().expect("tar");
    common::single_layer_image(dir, &tar, &["/bin/ping"], &[], "t");
    dir.to_path_buf()
}

fn xattr(p: &Path, name: &str) -> Option<Vec<u8>> {
    let mut v = vec![0u8; 256];
    rustix::fs::lgetxattr(p, name, &mut v[..]).ok().map(|n| {
        v.truncate(n);
        v
    })
}

#[test]
fn unpack_refuses_a_non_empty_destination_and_reports_json() {
    let tmp = tempfile::tempdir().expect("tmp");
    let l = layout(&tmp.path().join("layout"));
    let dest = tmp.path().join("rootfs");
    let o = carrack(&[
        "image",
        "unpack",
        "--json",
        &format!("{}:t", s(&l)),
        s(&dest),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["entries"], 7, "{v}");
    assert_eq!(
        std::fs::read(dest.join("ro/inside")).expect("read"),
        b"inside"
    );
    assert_eq!(
        std::fs::metadata(dest.join("ro")).expect("ro").mode() & 0o777,
        0o555
    );
    let o = carrack(&["image", "unpack", &format!("{}:t", s(&l)), s(&dest)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("destination exists and is not empty"),
        "{}",
        text(&o)
    );
    let o = carrack(&[
        "image",
        "unpack",
        &format!("{}:missing", s(&l)),
        s(&tmp.path().join("x")),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!tmp.path().join("x").exists());
}

#[test]
fn bundle_then_commit_then_unpack_round_trips() {
    let tmp = tempfile::tempdir().expect("tmp");
    let l = layout(&tmp.path().join("layout"));
    let b = tmp.path().join("bundle");
    let o = carrack(&["image", "bundle", &format!("{}:t", s(&l)), s(&b)]);
    assert!(o.status.success(), "{}", text(&o));
    let spec = carrack_spec::runtime::Spec::from_slice(
        &std::fs::read(b.join("config.json")).expect("config"),
    )
    .expect("config.json parses");
    assert!(spec.validate().is_valid(), "config.json is valid");
    assert_eq!(
        spec.process.as_ref().and_then(|p| p.args.clone()),
        Some(vec!["/bin/ping".to_owned()])
    );
    let o = carrack(&["validate", s(&b.join("config.json"))]);
    assert!(o.status.success(), "{}", text(&o));
    std::fs::write(b.join("rootfs/etc/motd"), b"committed\n").expect("write");
    std::fs::remove_file(b.join("rootfs/etc/group")).expect("rm");
    let o = carrack(&[
        "image",
        "commit",
        "--json",
        "--tag",
        "t2",
        "--compression",
        "zstd",
        "--comment",
        "a test",
        &format!("{}:t", s(&l)),
        s(&b),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["changes"], 3, "etc, etc/motd, etc/group: {v}");
    let dest = tmp.path().join("again");
    let o = carrack(&["image", "unpack", "-q", &format!("{}:t2", s(&l)), s(&dest)]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        std::fs::read(dest.join("etc/motd")).expect("motd"),
        b"committed\n"
    );
    assert!(!dest.join("etc/group").exists());
    let o = carrack(&["image", "fsck", s(&l)]);
    assert!(o.status.success(), "{}", text(&o));
    // A tree recorded from another image is refused.
    let o = carrack(&["image", "commit", &format!("{}:t2", s(&l)), s(&b)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("recorded from"), "{}", text(&o));
}

#[test]
#[ignore = "needs root: chowns a directory to nobody and switches to it through setpriv"]
fn rootless_unpack_as_nobody_maps_owners_and_makes_placeholders() {
    let tmp = tempfile::tempdir().expect("tmp");
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let l = layout(&tmp.path().join("layout"));
    let bin = tmp.path().join("carrack");
    // Copied by cp(1), not by this process: a file this multi-threaded test process had open
    // for writing could be inherited by a child another test forks at that moment, and then
    // exec'ing the copy fails with ETXTBSY ("Text file busy").
    let cp = Command::new("cp")
        .arg(env!("CARGO_BIN_EXE_carrack"))
        .arg(&bin)
        .status()
        .expect("cp");
    assert!(cp.success(), "copying the binary");
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).expect("work");
    nix::unistd::chown(
        &work,
        Some(nix::unistd::Uid::from_raw(65534)),
        Some(nix::unistd::Gid::from_raw(65534)),
    )
    .expect("chown");
    let dest = work.join("rootfs");
    let o = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(&bin)
        .args([
            "image",
            "unpack",
            "--rootless",
            "--json",
            &format!("{}:t", s(&l)),
            s(&dest),
        ])
        .output()
        .expect("setpriv (util-linux)");
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["placeholders"], 1, "{v}");
    assert!(
        v["skippedMetadata"].as_u64() >= Some(1),
        "security.capability skipped: {v}"
    );
    let null = std::fs::symlink_metadata(dest.join("dev/null")).expect("dev/null");
    assert!(null.is_file() && null.len() == 0, "an empty placeholder");
    for p in ["etc/passwd", "ro", "ro/inside", "bin/ping"] {
        let m = std::fs::symlink_metadata(dest.join(p)).expect(p);
        assert_eq!(
            (m.uid(), m.gid()),
            (65534, 65534),
            "{p}: owned by the caller"
        );
    }
    assert_eq!(
        std::fs::metadata(dest.join("ro")).expect("ro").mode() & 0o7777,
        0o555,
        "mode applied at the end"
    );
    assert_eq!(
        std::fs::read(dest.join("ro/inside")).expect("inside"),
        b"inside"
    );
    let ping = dest.join("bin/ping");
    assert_eq!(
        std::fs::metadata(&ping).expect("ping").mode() & 0o7777,
        0o4755
    );
    assert_eq!(xattr(&ping, "user.note").as_deref(), Some(&b"hello"[..]));
    assert_eq!(
        xattr(&ping, "security.capability"),
        None,
        "not settable without privilege"
    );

    // The same as root: everything honoured.
    let dest = tmp.path().join("as-root");
    let o = carrack(&["image", "unpack", "-q", &format!("{}:t", s(&l)), s(&dest)]);
    assert!(o.status.success(), "{}", text(&o));
    let null = std::fs::symlink_metadata(dest.join("dev/null")).expect("dev/null");
    assert!(std::os::unix::fs::FileTypeExt::is_char_device(
        &null.file_type()
    ));
    assert_eq!(
        xattr(&dest.join("bin/ping"), "security.capability").as_deref(),
        Some(&CAP[..])
    );

    // As root with a uid/gid map, owners are shifted.
    let dest = tmp.path().join("mapped");
    let o = carrack(&[
        "image",
        "unpack",
        "-q",
        "--uid-map",
        "0:100000:65536",
        "--gid-map",
        "0:100000:65536",
        &format!("{}:t", s(&l)),
        s(&dest),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let m = std::fs::metadata(dest.join("etc/passwd")).expect("passwd");
    assert_eq!((m.uid(), m.gid()), (100000, 100000));
    assert_eq!(
        xattr(&dest.join("bin/ping"), "security.capability").as_deref(),
        Some(&CAP[..])
    );
}
