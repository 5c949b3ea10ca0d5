//! Mount options as runc 1.2 accepts them (config.md § Linux mount options, § POSIX-platform
//! Mounts; features.md `mountOptions`), each checked from inside the container: its
//! /proc/self/mountinfo, file contents and owners, writes refused on read-only mounts.
#![cfg(target_os = "linux")]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

mod common;
use common::{Env, stdout, text};

/// The per-mount options of the mount at `target` in a mountinfo text (the last one there).
fn mount_options(mountinfo: &str, target: &str) -> Option<Vec<String>> {
    mountinfo
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f.get(4) == Some(&target)).then(|| {
                let mut o: Vec<String> = f[5].split(',').map(str::to_owned).collect();
                // Super options too (after " - TYPE SOURCE").
                if let Some((_, right)) = l.split_once(" - ") {
                    let r: Vec<&str> = right.split(' ').collect();
                    o.insert(0, format!("type={}", r[0]));
                    o.extend(
                        r.get(2)
                            .into_iter()
                            .flat_map(|s| s.split(','))
                            .map(str::to_owned),
                    );
                }
                o
            })
        })
        .next_back()
}

fn has(options: &Option<Vec<String>>, want: &[&str]) -> bool {
    options
        .as_ref()
        .is_some_and(|o| want.iter().all(|w| o.iter().any(|x| x == w)))
}

/// `carrack run` of bundle `b` as container `id`, in a mount namespace of its own (so that the
/// host's mounts stay as they are) after the shell command `prelude`, which gets `arg` as $1.
fn run_after(env: &Env, prelude: &str, arg: &Path, id: &str, b: &Path) -> Output {
    Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg(format!("{prelude} && shift && exec \"$@\""))
        .arg("sh")
        .arg(arg)
        .arg(env!("CARGO_BIN_EXE_carrack"))
        .arg("--root")
        .arg(env.root())
        .args(["run", "--bundle"])
        .arg(b)
        .arg(id)
        .stdin(Stdio::null())
        .output()
        .expect("unshare")
}

fn set_times(path: &Path, secs: i64) {
    use rustix::fs::{AtFlags, CWD, Timestamps, utimensat};
    let t = rustix::fs::Timespec {
        tv_sec: secs,
        tv_nsec: 0,
    };
    utimensat(
        CWD,
        path,
        &Timestamps {
            last_access: t,
            last_modification: t,
        },
        AtFlags::SYMLINK_NOFOLLOW,
    )
    .expect("utimensat");
}

/// podman's `--read-only` /run: a tmpfs with `tmpcopyup` starts with the image's files, their
/// owners, modes, times, symlinks (never followed) and subdirectories; a sparse file stays
/// sparse; with `ro` the copy is there and the tmpfs read-only; nothing written reaches the
/// image. The tmpfs's root has the covered directory's mode unless `mode=` says otherwise, as
/// with runc.
#[test]
#[ignore = "needs root: runs containers with real mounts"]
fn tmpcopyup_keeps_the_images_files_in_a_tmpfs() {
    use std::os::unix::fs::{chown, lchown, symlink};
    let env = Env::new();
    let script = "grep ' /run ' /proc/self/mountinfo | grep -c ' - tmpfs '; \
                  stat -c '%n %a' /run /tmp; \
                  stat -c '%n %a %u:%g %Y' /run/a /run/sub /run/sub/deep/b; \
                  stat -c '%n %a' /run/suid /run/fifo; test -p /run/fifo && echo fifo; \
                  stat -c '%n %u:%g' /run/link; \
                  cat /run/a /run/sub/deep/b; readlink /run/link; readlink /run/out; \
                  busybox tail -c 4 /run/sparse; echo; \
                  touch /run/new && echo run-writable; \
                  cat /tmp/x; touch /tmp/y 2>/dev/null && echo tmp-writable || echo tmp-ro; \
                  grep ' /tmp ' /proc/self/mountinfo | grep -c ' ro,'";
    let b = env.bundle("b", &["sh", "-c", script], |c| {
        let mounts = c["mounts"].as_array_mut().expect("mounts");
        mounts.push(json!({
            "destination": "/run", "type": "tmpfs", "source": "tmpfs",
            "options": ["rw", "nosuid", "nodev", "mode=755", "size=8m", "tmpcopyup"]
        }));
        mounts.push(json!({
            "destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
            "options": ["ro", "tmpcopyup"]
        }));
    });
    let run = b.join("rootfs/run");
    std::fs::create_dir_all(run.join("sub/deep")).expect("run");
    std::fs::write(run.join("a"), "hello\n").expect("a");
    std::fs::set_permissions(run.join("a"), std::fs::Permissions::from_mode(0o604)).expect("a");
    chown(run.join("a"), Some(1234), Some(2345)).expect("chown");
    set_times(&run.join("a"), 1_000_000_000);
    std::fs::write(run.join("sub/deep/b"), "deep\n").expect("b");
    std::fs::set_permissions(
        run.join("sub/deep/b"),
        std::fs::Permissions::from_mode(0o644),
    )
    .expect("b");
    set_times(&run.join("sub/deep/b"), 1_050_000_000);
    std::fs::write(run.join("suid"), "").expect("suid");
    std::fs::set_permissions(run.join("suid"), std::fs::Permissions::from_mode(0o4755))
        .expect("suid");
    nix::unistd::mkfifo(
        &run.join("fifo"),
        nix::sys::stat::Mode::from_bits_truncate(0o620),
    )
    .expect("fifo");
    std::fs::set_permissions(run.join("fifo"), std::fs::Permissions::from_mode(0o620))
        .expect("fifo");
    symlink("a", run.join("link")).expect("link");
    lchown(run.join("link"), Some(5), Some(6)).expect("lchown");
    // A link out of the rootfs stays a link: the copy never follows it.
    symlink("/etc/passwd", run.join("out")).expect("out");
    // 16 MiB apparent, 4 bytes of data: fits the 8 MiB tmpfs only if its hole stays a hole.
    let sparse = std::fs::File::create(run.join("sparse")).expect("sparse");
    sparse.set_len(16 << 20).expect("len");
    std::os::unix::fs::FileExt::write_all_at(&sparse, b"end!", (16 << 20) - 4).expect("end");
    drop(sparse);
    std::fs::set_permissions(run.join("sub"), std::fs::Permissions::from_mode(0o705)).expect("sub");
    chown(run.join("sub"), Some(7), Some(8)).expect("chown");
    set_times(&run.join("sub"), 1_100_000_000);
    // The tmpfs's root takes the mode of the directory it covers, unless its options give one.
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).expect("run");
    std::fs::create_dir_all(b.join("rootfs/tmp")).expect("tmp");
    std::fs::set_permissions(
        b.join("rootfs/tmp"),
        std::fs::Permissions::from_mode(0o1770),
    )
    .expect("tmp");
    std::fs::write(b.join("rootfs/tmp/x"), "x\n").expect("x");

    let o = env.run("c1", &b);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        stdout(&o).lines().collect::<Vec<_>>(),
        [
            "1",
            "/run 755",
            "/tmp 1770",
            "/run/a 604 1234:2345 1000000000",
            "/run/sub 705 7:8 1100000000",
            "/run/sub/deep/b 644 0:0 1050000000",
            "/run/suid 4755",
            "/run/fifo 620",
            "fifo",
            "/run/link 5:6",
            "hello",
            "deep",
            "a",
            "/etc/passwd",
            "end!",
            "run-writable",
            "x",
            "tmp-ro",
            "1",
        ],
        "{}",
        text(&o)
    );
    assert!(!run.join("new").exists(), "the image is untouched");
    assert!(!b.join("rootfs/tmp/y").exists());
}

/// `ro` on a tmpfs takes effect once the rootfs is built, as with runc: a read-only /dev still
/// gets its devices and /dev/pts.
#[test]
#[ignore = "needs root: runs containers with real mounts"]
fn a_read_only_tmpfs_is_filled_first() {
    let env = Env::new();
    let script = "test -c /dev/null && test -d /dev/pts && echo devices; \
                  touch /dev/x 2>/dev/null && echo writable || echo read-only; \
                  grep ' /dev ' /proc/self/mountinfo | grep -c ' ro,'";
    let b = env.bundle("b", &["sh", "-c", script], |c| {
        for m in c["mounts"].as_array_mut().expect("mounts") {
            if m["destination"] == "/dev" {
                m["options"]
                    .as_array_mut()
                    .expect("options")
                    .push(json!("ro"));
            }
        }
    });
    let o = env.run("c1", &b);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        stdout(&o).lines().collect::<Vec<_>>(),
        ["devices", "read-only", "1"],
        "{}",
        text(&o)
    );
}

/// A hostile image cannot turn the copy against the host: a /run that is a symlink out of the
/// rootfs resolves inside it, and nothing outside is read or written.
#[test]
#[ignore = "needs root: runs containers with real mounts"]
fn tmpcopyup_stays_inside_the_rootfs() {
    let env = Env::new();
    let outside = env.dir.path().join("outside");
    std::fs::create_dir(&outside).expect("outside");
    std::fs::write(outside.join("secret"), "host secret\n").expect("secret");
    let b = env.bundle(
        "b",
        &[
            "sh",
            "-c",
            "ls /run; cat /run/secret 2>/dev/null || echo no-secret",
        ],
        |c| {
            c["mounts"].as_array_mut().expect("mounts").push(json!({
                "destination": "/run", "type": "tmpfs", "source": "tmpfs",
                "options": ["tmpcopyup"]
            }));
        },
    );
    std::os::unix::fs::symlink(&outside, b.join("rootfs/run")).expect("planted link");
    let o = env.run("c1", &b);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(stdout(&o).trim(), "no-secret", "{}", text(&o));
    assert_eq!(
        std::fs::read_dir(&outside).expect("outside").count(),
        1,
        "nothing written outside"
    );
}

/// `rro`, `rnosuid`, `rnodev`, `rnoexec`, `rnoatime`, `rnosymfollow` on an rbind reach its
/// submounts (mount_setattr AT_RECURSIVE); `ro` and `nosuid` on an rbind set only its top
/// mount, as runc does.
#[test]
#[ignore = "needs root: runs containers with real mounts"]
fn recursive_options_reach_submounts() {
    let env = Env::new();
    let script = "cat /proc/self/mountinfo; \
                  touch /rec/sub/x 2>/dev/null && echo rec-sub-writable || echo rec-sub-ro; \
                  touch /top/x 2>/dev/null && echo top-writable || echo top-ro; \
                  touch /top/sub/x && echo top-sub-writable";
    let b = env.bundle("b", &["sh", "-c", script], |c| {
        let mounts = c["mounts"].as_array_mut().expect("mounts");
        // The submount: a tmpfs inside the directory bound below (as init sees the rootfs).
        mounts.push(json!({"destination": "/srcdir/sub", "type": "tmpfs", "source": "tmpfs"}));
        mounts.push(json!({
            "destination": "/rec", "type": "bind", "source": "rootfs/srcdir",
            "options": ["rbind", "rro", "rnosuid", "rnodev", "rnoexec", "rnoatime", "rnosymfollow"]
        }));
        mounts.push(json!({
            "destination": "/top", "type": "bind", "source": "rootfs/srcdir",
            "options": ["rbind", "ro", "nosuid"]
        }));
    });
    std::fs::create_dir_all(b.join("rootfs/srcdir/sub")).expect("srcdir");
    let o = env.run("c1", &b);
    assert!(o.status.success(), "{}", text(&o));
    let out = stdout(&o);
    let all = ["ro", "nosuid", "nodev", "noexec", "noatime", "nosymfollow"];
    for t in ["/rec", "/rec/sub"] {
        let got = mount_options(&out, t);
        assert!(has(&got, &all), "{t}: {got:?}\n{out}");
    }
    assert!(
        has(&mount_options(&out, "/top"), &["ro", "nosuid"]),
        "{out}"
    );
    let sub = mount_options(&out, "/top/sub");
    assert!(has(&sub, &["rw"]) && !has(&sub, &["nosuid"]), "{sub:?}");
    let tail: Vec<&str> = out.lines().rev().take(3).collect();
    assert_eq!(
        tail,
        ["top-sub-writable", "top-ro", "rec-sub-ro"],
        "{}",
        text(&o)
    );
}

/// `nosymfollow` (MS_NOSYMFOLLOW): symlinks on the mount are not followed; a later `symfollow`
/// undoes it.
#[test]
#[ignore = "needs root: runs containers with real mounts"]
fn nosymfollow_stops_symlinks() {
    let env = Env::new();
    let script = "for d in /nsf /sf; do busybox ln -s /bin/busybox $d/l; \
                  cat $d/l >/dev/null 2>&1 && echo $d-followed || echo $d-refused; \
                  readlink $d/l; done; cat /proc/self/mountinfo";
    let b = env.bundle("b", &["sh", "-c", script], |c| {
        let mounts = c["mounts"].as_array_mut().expect("mounts");
        mounts.push(json!({
            "destination": "/nsf", "type": "tmpfs", "source": "tmpfs", "options": ["nosymfollow"]
        }));
        mounts.push(json!({
            "destination": "/sf", "type": "tmpfs", "source": "tmpfs",
            "options": ["nosymfollow", "symfollow"]
        }));
    });
    let o = env.run("c1", &b);
    assert!(o.status.success(), "{}", text(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().take(4).collect();
    assert_eq!(
        lines,
        [
            "/nsf-refused",
            "/bin/busybox",
            "/sf-followed",
            "/bin/busybox"
        ],
        "{}",
        text(&o)
    );
    assert!(has(&mount_options(&out, "/nsf"), &["nosymfollow"]), "{out}");
    assert!(!has(&mount_options(&out, "/sf"), &["nosymfollow"]), "{out}");
}

/// An option carrack does not know is an error naming it: on a bind mount before anything is
/// mounted, on a new filesystem with the filesystem's own words for the data it refused (never a
/// bare EINVAL). `x-*` hints for userspace are accepted and dropped.
#[test]
#[ignore = "needs root: runs containers with real mounts"]
fn unknown_options_are_named() {
    let env = Env::new();
    let with = |name: &str, m: Value| {
        env.bundle(name, &["true"], move |c| {
            c["mounts"].as_array_mut().expect("mounts").push(m);
        })
    };
    let b = with(
        "bind",
        json!({"destination": "/x", "type": "bind", "source": "rootfs/bin",
               "options": ["rbind", "bogus-option"]}),
    );
    let o = env.run("c1", &b);
    assert!(!o.status.success());
    let e = text(&o);
    assert!(e.contains("\"bogus-option\"") && e.contains("/x"), "{e}");
    let b = with(
        "tmpfs",
        json!({"destination": "/x", "type": "tmpfs", "source": "tmpfs",
               "options": ["nosuid", "size=1m", "sizee=64m", "mode=755"]}),
    );
    let o = env.run("c2", &b);
    assert!(!o.status.success());
    let e = text(&o);
    assert!(
        e.contains("\"sizee=64m\"")
            && e.contains("Unknown parameter")
            && !e.contains("\"size=1m\""),
        "{e}"
    );
    let b = with(
        "hints",
        json!({"destination": "/x", "type": "tmpfs", "source": "tmpfs",
               "options": ["x-systemd.automount", "x-podman.foo=bar", "size=1m"]}),
    );
    let o = env.run("c3", &b);
    assert!(o.status.success(), "{}", text(&o));
}

/// runc 1.2's option names, as `runc features` lists them.
const RUNC_OPTIONS: [&str; 62] = [
    "async",
    "atime",
    "bind",
    "defaults",
    "dev",
    "diratime",
    "dirsync",
    "exec",
    "iversion",
    "lazytime",
    "loud",
    "mand",
    "noatime",
    "nodev",
    "nodiratime",
    "noexec",
    "noiversion",
    "nolazytime",
    "nomand",
    "norelatime",
    "nostrictatime",
    "nosuid",
    "nosymfollow",
    "private",
    "ratime",
    "rbind",
    "rdev",
    "rdiratime",
    "relatime",
    "remount",
    "rexec",
    "rnoatime",
    "rnodev",
    "rnodiratime",
    "rnoexec",
    "rnorelatime",
    "rnostrictatime",
    "rnosuid",
    "rnosymfollow",
    "ro",
    "rprivate",
    "rrelatime",
    "rro",
    "rrw",
    "rshared",
    "rslave",
    "rstrictatime",
    "rsuid",
    "rsymfollow",
    "runbindable",
    "rw",
    "shared",
    "silent",
    "slave",
    "strictatime",
    "suid",
    "symfollow",
    "sync",
    "tmpcopyup",
    "unbindable",
    "idmap",
    "ridmap",
];

/// `carrack features` lists runc's options and idmap/ridmap, no more, and every one of them is
/// accepted on a mount.
#[test]
#[ignore = "needs root: runs containers with real mounts"]
fn every_listed_option_is_accepted() {
    let env = Env::new();
    let o = env.carrack(&["features"]);
    assert!(o.status.success(), "{}", text(&o));
    let f: Value = serde_json::from_slice(&o.stdout).expect("json");
    let mut listed: Vec<String> = f["mountOptions"]
        .as_array()
        .expect("mountOptions")
        .iter()
        .map(|v| v.as_str().expect("string").to_owned())
        .collect();
    listed.sort();
    let mut want: Vec<String> = RUNC_OPTIONS.iter().map(|s| (*s).to_owned()).collect();
    want.sort();
    assert_eq!(listed, want);
    assert_eq!(
        f["linux"]["mountExtensions"]["idmap"]["enabled"],
        json!(true)
    );
    // One tmpfs per option (those that make other kinds of mounts are tested on their own).
    let skip = ["bind", "rbind", "remount", "tmpcopyup", "idmap", "ridmap"];
    let b = env.bundle("b", &["sh", "-c", "ls /o | wc -l"], |c| {
        let mounts = c["mounts"].as_array_mut().expect("mounts");
        for opt in listed.iter().filter(|o| !skip.contains(&o.as_str())) {
            mounts.push(json!({
                "destination": format!("/o/{opt}"), "type": "tmpfs", "source": "tmpfs",
                "options": [opt]
            }));
        }
    });
    let o = env.run("c1", &b);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(stdout(&o).trim(), (want.len() - skip.len()).to_string());
    // bind, rbind and remount on a bind mount: remount makes the bound mount read-only in place.
    let script = "touch /r/x 2>/dev/null && echo writable || echo read-only";
    let b = env.bundle("b2", &["sh", "-c", script], |c| {
        let mounts = c["mounts"].as_array_mut().expect("mounts");
        mounts.push(
            json!({"destination": "/r", "type": "bind", "source": "rootfs/bin",
                           "options": ["bind"]}),
        );
        mounts.push(
            json!({"destination": "/r", "type": "bind", "source": "rootfs/bin",
                           "options": ["rbind", "remount", "ro"]}),
        );
    });
    let o = env.run("c2", &b);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(stdout(&o).trim(), "read-only", "{}", text(&o));
}

/// Idmapped binds (`uidMappings`/`gidMappings` on the mount, `idmap`/`ridmap`): a file owned
/// by id N on disk shows as the host id N maps to; `ridmap` maps the submounts too.
#[test]
#[ignore = "needs root: runs containers with real mounts"]
fn idmap_shows_the_mapped_owner() {
    use std::os::unix::fs::chown;
    let env = Env::new();
    let src = env.dir.path().join("idsrc");
    std::fs::create_dir_all(src.join("sub")).expect("src");
    std::fs::write(src.join("f"), "").expect("f");
    std::fs::write(src.join("g"), "").expect("g");
    chown(src.join("g"), Some(3), Some(4)).expect("chown");
    let maps = |m: Value| {
        let mut m = m;
        m["uidMappings"] = json!([{"containerID": 0, "hostID": 1000, "size": 10}]);
        m["gidMappings"] = json!([{"containerID": 0, "hostID": 2000, "size": 10}]);
        m
    };
    let script = "stat -c '%n %u:%g' /mapped/f /mapped/g /plain/f /r/f; cat /proc/self/mountinfo";
    let b = env.bundle("b", &["sh", "-c", script], |c| {
        let mounts = c["mounts"].as_array_mut().expect("mounts");
        mounts.push(maps(json!({"destination": "/mapped", "type": "bind",
                                "source": src, "options": ["rbind", "idmap"]})));
        // Mappings alone (no option) map too, as with runc.
        mounts.push(maps(json!({"destination": "/r", "type": "bind",
                                "source": src, "options": ["bind"]})));
        mounts.push(
            json!({"destination": "/plain", "type": "bind", "source": src,
                           "options": ["rbind"]}),
        );
    });
    let o = env.run("c1", &b);
    assert!(o.status.success(), "{}", text(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().take(4).collect();
    assert_eq!(
        lines,
        [
            "/mapped/f 1000:2000",
            "/mapped/g 1003:2004",
            "/plain/f 0:0",
            "/r/f 1000:2000"
        ],
        "{out}"
    );
    assert!(has(&mount_options(&out, "/mapped"), &["idmapped"]), "{out}");
    assert!(!has(&mount_options(&out, "/plain"), &["idmapped"]), "{out}");

    // Without mappings of its own and without a user namespace, idmap is an error naming them.
    let b = env.bundle("b2", &["true"], |c| {
        c["mounts"].as_array_mut().expect("mounts").push(json!({
            "destination": "/mapped", "type": "bind", "source": src, "options": ["rbind", "idmap"]
        }));
    });
    let o = env.run("c2", &b);
    assert!(!o.status.success());
    assert!(text(&o).contains("uidMappings"), "{}", text(&o));
    // Idmapped mounts are binds only, as with runc.
    let b = env.bundle("b3", &["true"], |c| {
        c["mounts"]
            .as_array_mut()
            .expect("mounts")
            .push(maps(json!({
                "destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"]
            })));
    });
    let o = env.run("c3", &b);
    assert!(!o.status.success());
    assert!(text(&o).contains("bind"), "{}", text(&o));
}

/// `ridmap` idmaps the submounts of an rbind too; `idmap` only its top mount.
#[test]
#[ignore = "needs root: runs containers with real mounts"]
fn ridmap_reaches_submounts() {
    let env = Env::new();
    let src = env.dir.path().join("idsrc");
    std::fs::create_dir_all(src.join("sub")).expect("src");
    std::fs::write(src.join("f"), "").expect("f");
    let maps = json!({
        "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 10}],
        "gidMappings": [{"containerID": 0, "hostID": 2000, "size": 10}]
    });
    let script = "stat -c '%n %u:%g' /r/f /r/sub/g /i/f /i/sub/g";
    let b = env.bundle("b", &["sh", "-c", script], |c| {
        let mounts = c["mounts"].as_array_mut().expect("mounts");
        for (dest, opt) in [("/r", "ridmap"), ("/i", "idmap")] {
            let mut m = maps.clone();
            m["destination"] = json!(dest);
            m["type"] = json!("bind");
            m["source"] = json!(src);
            m["options"] = json!(["rbind", opt]);
            mounts.push(m);
        }
    });
    // The submount: a tmpfs on idsrc/sub.
    let o = run_after(
        &env,
        "mount -t tmpfs tmpfs \"$1\" && touch \"$1/g\"",
        &src.join("sub"),
        "c1",
        &b,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        stdout(&o).lines().collect::<Vec<_>>(),
        [
            "/r/f 1000:2000",
            "/r/sub/g 1000:2000",
            "/i/f 1000:2000",
            "/i/sub/g 0:0"
        ],
        "{}",
        text(&o)
    );
}

/// In a container with a user namespace, `idmap` without mappings of its own takes the
/// container's: the host's root-owned files show as the container's root, where a plain bind
/// shows them as nobody.
#[test]
#[ignore = "needs root: runs containers with real mounts"]
fn idmap_takes_the_containers_user_namespace() {
    let env = Env::new();
    // The container's root (host uid 100000) walks the bundle's path before pivot_root, and
    // the state root's to reach exec.fifo (made 0700 when carrack makes it).
    std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    std::fs::create_dir(env.root()).expect("state root");
    std::fs::set_permissions(env.root(), std::fs::Permissions::from_mode(0o711)).expect("chmod");
    let src = env.dir.path().join("idsrc");
    std::fs::create_dir_all(&src).expect("src");
    std::fs::write(src.join("f"), "").expect("f");
    let script = "stat -c '%n %u:%g' /mapped/f /plain/f";
    let b = env.bundle("b", &["sh", "-c", script], |c| {
        c["linux"]["namespaces"]
            .as_array_mut()
            .expect("namespaces")
            .push(json!({"type": "user"}));
        c["linux"]["uidMappings"] = json!([{"containerID": 0, "hostID": 100000, "size": 65536}]);
        c["linux"]["gidMappings"] = json!([{"containerID": 0, "hostID": 100000, "size": 65536}]);
        let mounts = c["mounts"].as_array_mut().expect("mounts");
        mounts.push(
            json!({"destination": "/mapped", "type": "bind", "source": src,
                           "options": ["rbind", "idmap"]}),
        );
        mounts.push(
            json!({"destination": "/plain", "type": "bind", "source": src,
                           "options": ["rbind"]}),
        );
    });
    // The container's root owns its rootfs, to make its mount points.
    let o = Command::new("chown")
        .args(["-hR", "100000:100000"])
        .arg(b.join("rootfs"))
        .output()
        .expect("chown");
    assert!(o.status.success(), "{}", text(&o));
    // carrack makes exec.fifo 0622 less its umask, and the container's root is not the host's:
    // run it with umask 0 so that init may open the fifo.
    let o = run_after(&env, "umask 0", &src, "c1", &b);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        stdout(&o).lines().collect::<Vec<_>>(),
        ["/mapped/f 0:0", "/plain/f 65534:65534"],
        "{}",
        text(&o)
    );
}

/// A bind's own flags are set as runc sets them, exactly those named: in a user namespace the
/// source's locked flags (nosuid, nodev, its access time) are kept, and options that would clear
/// one are an error naming it.
#[test]
#[ignore = "needs root: runs containers with real mounts"]
fn bind_flags_keep_the_sources_locked_flags() {
    let env = Env::new();
    let src = env.dir.path().join("locked");
    std::fs::create_dir(&src).expect("src");
    let bundle = |name: &str, options: Value| {
        env.bundle(name, &["cat", "/proc/self/mountinfo"], |c| {
            c["linux"]["namespaces"]
                .as_array_mut()
                .expect("namespaces")
                .push(json!({"type": "user"}));
            c["linux"]["uidMappings"] = json!([{"containerID": 0, "hostID": 0, "size": 65536}]);
            c["linux"]["gidMappings"] = json!([{"containerID": 0, "hostID": 0, "size": 65536}]);
            c["mounts"].as_array_mut().expect("mounts").push(json!({
                "destination": "/b", "type": "bind", "source": src, "options": options
            }));
        })
    };
    let prelude = "mount -t tmpfs -o nosuid,nodev,noatime tmpfs \"$1\"";
    let b = bundle("b", json!(["rbind", "ro"]));
    let o = run_after(&env, prelude, &src, "c1", &b);
    assert!(o.status.success(), "{}", text(&o));
    let got = mount_options(&stdout(&o), "/b");
    assert!(has(&got, &["ro", "nosuid", "nodev", "noatime"]), "{got:?}");
    let b = bundle("b2", json!(["rbind", "ro", "suid"]));
    let o = run_after(&env, prelude, &src, "c2", &b);
    assert!(!o.status.success());
    assert!(text(&o).contains("clear nosuid"), "{}", text(&o));
}
