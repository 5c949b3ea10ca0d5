//! The mountinfo parsing and verdicts of the mount cases, on recorded lines.

use super::*;
use crate::runtime::cases::process::tests::judge;

const ROOT_RO: &str = "600 550 254:0 /b/rootfs / ro,relatime - ext4 /dev/vda rw";
const ROOT_RW: &str = "600 550 254:0 /b/rootfs / rw,relatime - ext4 /dev/vda rw";

fn info(lines: &[&str]) -> Value {
    json!({"mountinfo": lines})
}

#[test]
fn mountinfo_lines_are_parsed() {
    let m = parse(
        "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue",
    )
    .expect("line");
    assert_eq!((m.id, m.parent, m.point), ("36", "35", "/mnt2"));
    assert_eq!(m.tags, ["master:1", "shared:2"]);
    assert_eq!(m.sb, ["rw", "errors=continue"]);
    assert!(parse("garbage").is_none());
}

#[test]
fn the_root_is_read_only_only_when_asked() {
    let id = "config/root/readonly";
    assert_eq!(
        judge(
            id,
            json!({"ro": info(&[ROOT_RO]), "default": info(&[ROOT_RW])})
        ),
        "pass"
    );
    assert_eq!(
        judge(
            id,
            json!({"ro": info(&[ROOT_RW]), "default": info(&[ROOT_RW])})
        ),
        "fail"
    );
    assert_eq!(
        judge(
            id,
            json!({"ro": info(&[ROOT_RO]), "default": info(&[ROOT_RO])})
        ),
        "fail"
    );
}

#[test]
fn order_and_destinations_are_judged() {
    let a = "700 600 0:50 / /certify-a rw,relatime - tmpfs tmpfs rw,size=1024k";
    let b_on_a = "701 700 0:51 / /certify-a/b rw,relatime - tmpfs tmpfs rw,size=2048k";
    let b_under_a = "699 600 0:51 / /certify-a/b rw,relatime - tmpfs tmpfs rw,size=2048k";
    assert_eq!(
        judge("config/mounts/order", info(&[ROOT_RW, a, b_on_a])),
        "pass"
    );
    assert_eq!(
        judge("config/mounts/order", info(&[ROOT_RW, b_under_a, a])),
        "fail"
    );
    assert_eq!(judge("config/mounts/order", info(&[ROOT_RW, a])), "fail");
    let rel = "700 600 0:50 / /certify-rel rw,relatime - tmpfs tmpfs rw";
    assert_eq!(
        judge("config/mounts/relative-destination", info(&[rel])),
        "pass"
    );
    assert_eq!(
        judge("config/mounts/relative-destination", info(&[ROOT_RW])),
        "fail"
    );
}

#[test]
fn options_show_in_mountinfo() {
    let with = |o: &str| {
        info(&[&format!(
            "700 600 0:50 / {AT} {o} - tmpfs tmpfs rw,size=1024k,mode=710"
        )])
    };
    for (id, good, bad) in [
        ("config/mounts/option-ro", "ro,relatime", "rw,relatime"),
        (
            "config/mounts/option-nosuid",
            "rw,nosuid,relatime",
            "rw,relatime",
        ),
        (
            "config/mounts/option-nodev",
            "rw,nodev,relatime",
            "rw,relatime",
        ),
        (
            "config/mounts/option-noexec",
            "rw,noexec,relatime",
            "rw,relatime",
        ),
        ("config/mounts/option-noatime", "rw,noatime", "rw,relatime"),
        ("config/mounts/option-strictatime", "rw", "rw,relatime"),
    ] {
        assert_eq!(judge(id, with(good)), "pass", "{id}");
        assert_eq!(judge(id, with(bad)), "fail", "{id}");
        assert_eq!(judge(id, info(&[ROOT_RW])), "fail", "{id}");
    }
    let id = "config/mounts/filesystem-specific-options";
    assert_eq!(judge(id, with("rw")), "pass");
    assert_eq!(
        judge(
            id,
            info(&[&format!("700 600 0:50 / {AT} rw - tmpfs tmpfs rw")])
        ),
        "fail"
    );
}

#[test]
fn binds_and_propagation_are_judged() {
    let bind = "700 600 254:0 /b/certify-src /certify-bind rw,relatime - ext4 /dev/vda rw";
    let mut v = info(&[bind]);
    v["read"] = json!("certify bind");
    assert_eq!(judge("config/mounts/option-bind", v.clone()), "pass");
    v["read"] = Value::Null;
    assert_eq!(judge("config/mounts/option-bind", v), "fail");
    let top = "700 600 0:6 / /certify-rbind rw,nosuid,noexec - devtmpfs devtmpfs rw";
    let shm = "701 700 0:7 / /certify-rbind/shm rw - tmpfs tmpfs rw";
    let mut v = info(&[top, shm]);
    v["sub"] = json!("/certify-rbind/shm");
    assert_eq!(judge("config/mounts/option-rbind", v), "pass");
    let mut v = info(&[top]);
    v["sub"] = json!("/certify-rbind/shm");
    assert_eq!(judge("config/mounts/option-rbind", v), "fail");
    let shared = "700 600 254:0 /s /certify-shared rw shared:40 - ext4 /dev/vda rw";
    let private = "700 600 254:0 /s /certify-shared rw - ext4 /dev/vda rw";
    assert_eq!(
        judge("config/mounts/option-rshared", info(&[shared])),
        "pass"
    );
    assert_eq!(
        judge("config/mounts/option-rshared", info(&[private])),
        "fail"
    );
    let unbindable = "700 600 254:0 /s /certify-unbindable rw unbindable - ext4 /dev/vda rw";
    let slave = "700 600 254:0 /s /certify-unbindable rw master:3 - ext4 /dev/vda rw";
    assert_eq!(
        judge("config/mounts/option-runbindable", info(&[unbindable])),
        "pass"
    );
    assert_eq!(
        judge("config/mounts/option-runbindable", info(&[slave])),
        "fail"
    );
}
