//! Attacks through paths the runtime resolves in a hostile rootfs: symlinked /proc, /sys and
//! /dev, mount destinations through symlinks, a fake /dev/null or /dev/console, and a cwd that
//! leads out through a leaked descriptor.

use std::os::unix::fs::symlink;
use std::path::Path;

use serde_json::json;

use crate::cases::combine;
use crate::common::{Env, text};
use crate::harness::*;

/// Host mount points under `dir` (none may appear: a container's mounts stay in its namespace).
fn mounts_under(dir: &Path) -> Option<String> {
    let d = dir.display().to_string();
    let found: Vec<String> = host_mount_points()
        .into_iter()
        .filter(|m| m.starts_with(&d))
        .collect();
    (!found.is_empty()).then(|| format!("host mounts appeared under {d}: {found:?}"))
}

/// Adds busybox applets to a bundle's rootfs.
pub fn applets(b: &Path, names: &[&str]) {
    for n in names {
        let _ = symlink("busybox", b.join("rootfs/bin").join(n));
    }
}

/// The relative path from / of an absolute path (for `cd /; touch that`).
fn from_root(p: &Path) -> String {
    p.strip_prefix("/").expect("absolute").display().to_string()
}

// CVE-2019-19921, CVE-2023-27561, CVE-2023-28642 (runc), CVE-2025-54867 (youki): /proc or /sys in
// the rootfs is a symlink, so procfs and sysfs (and the masks over them) land wherever it
// points. Absolute, relative and host-path targets.
pub fn cve_2019_19921_proc_and_sys_as_symlinks(rt: &Rt, env: &Env) -> Verdict {
    let canary = CanaryDir::new(env, &format!("{}-19921", rt.name), &[]);
    let mut parts = Vec::new();
    for dir in ["proc", "sys"] {
        for (i, (kind, target)) in [
            ("absolute", "/elsewhere".to_owned()),
            ("relative", "elsewhere".to_owned()),
            ("host path", canary.path.display().to_string()),
        ]
        .into_iter()
        .enumerate()
        {
            let b = bundle(env, rt, &format!("l19921-{dir}-{i}"), &["true"], |_| {});
            std::fs::create_dir_all(b.join("rootfs/elsewhere")).expect("dir");
            let _ = std::fs::remove_dir(b.join("rootfs").join(dir));
            symlink(&target, b.join("rootfs").join(dir)).expect("planted link");
            let r = run_once(rt, &cid(rt, &format!("l19921-{dir}-{i}")), &b);
            let label = if dir == "proc" { "/proc" } else { "/sys" };
            parts.push((
                label,
                judge(
                    &[canary.changed(), mounts_under(&canary.path)],
                    r,
                    &format!("{kind} link: mounted inside the rootfs"),
                ),
            ));
        }
    }
    combine(parts)
}

// CVE-2019-16884 (runc, crun 0.10): a fake /proc over the real one (an image VOLUME at /proc),
// so the runtime's label and sysctl writes land in plain files it then trusts.
pub fn cve_2019_16884_a_fake_proc_over_the_real_one(rt: &Rt, env: &Env) -> Verdict {
    let b = bundle(env, rt, "f16884", &["true"], |c| {
        mounts(c).push(json!({
            "destination": "/proc", "type": "bind", "source": "fakeproc", "options": ["rbind"]
        }));
        c["linux"]["sysctl"] = json!({ "net.ipv4.ip_unprivileged_port_start": "77" });
    });
    let fake = b.join("fakeproc");
    for f in [
        "self/attr/exec",
        "self/attr/apparmor/exec",
        "thread-self/attr/exec",
        "sys/net/ipv4/ip_unprivileged_port_start",
    ] {
        std::fs::create_dir_all(fake.join(f).parent().expect("parent")).expect("dirs");
        std::fs::write(fake.join(f), "0\n").expect("fake file");
    }
    let canary = CanaryDir::watch(&fake);
    let r = run_once(rt, &cid(rt, "f16884"), &b);
    judge(&[canary.changed()], r, "the fake /proc was not written")
}

// CVE-2021-30465 (runc), crun CVE-2019-18837, CVE-2024-45310 (runc): mount destinations through
// symlinks in the rootfs that point at the host, absolute and relative with `..`; a bind
// mount's missing file target and a tmpfs's missing directory are made where the link points.
pub fn cve_2021_30465_mount_destinations_through_symlinks(rt: &Rt, env: &Env) -> Verdict {
    let canary = CanaryDir::new(env, &format!("{}-30465", rt.name), &[]);
    let b = bundle(env, rt, "m30465", &["true"], |c| {
        for d in ["data", "data2"] {
            mounts(c).push(json!({
                "destination": format!("/{d}/x"), "type": "tmpfs", "source": "tmpfs"
            }));
            mounts(c).push(json!({
                "destination": format!("/{d}/y/z"), "type": "bind", "source": "file",
                "options": ["bind"]
            }));
        }
    });
    std::fs::write(b.join("file"), "bind source\n").expect("file");
    symlink(&canary.path, b.join("rootfs/data")).expect("absolute link");
    let up = "../".repeat(20);
    symlink(
        format!("{up}{}", from_root(&canary.path)),
        b.join("rootfs/data2"),
    )
    .expect("relative link");
    let r = run_once(rt, &cid(rt, "m30465"), &b);
    judge(
        &[canary.changed(), mounts_under(&canary.path)],
        r,
        "every mount landed inside the rootfs",
    )
}

// CVE-2025-31133 (runc), CVE-2025-62161 (youki): the image's /dev/null is a symlink to a host
// sysctl file (vm.swappiness, which no namespace covers); a runtime that masks /proc files by
// binding "/dev/null" binds that file, writable, over /proc/timer_list, and the container
// writes the host's sysctl through it.
pub fn cve_2025_31133_dev_null_as_a_symlink(rt: &Rt, env: &Env) -> Verdict {
    let swappiness = HostSysctl::new("vm.swappiness");
    let value = if swappiness.before.trim() == "37" {
        "38"
    } else {
        "37"
    };
    let script = format!("echo {value} > /proc/timer_list; echo {value} > /proc/kcore; true");
    let b = bundle(env, rt, "n31133", &["sh", "-c", &script], without_dev_tmpfs);
    std::fs::create_dir_all(b.join("rootfs/dev")).expect("dev");
    symlink("/proc/sys/vm/swappiness", b.join("rootfs/dev/null")).expect("link");
    let r = run_once(rt, &cid(rt, "n31133"), &b);
    judge(&[swappiness.changed()], r, "host vm.swappiness unchanged")
}

// CVE-2025-52565 (runc), crun CVE-2026-88264: the image's /dev/console is a symlink (to a host
// path here), and the runtime creates or mounts the console wherever it points.
pub fn cve_2025_52565_dev_console_as_a_symlink(rt: &Rt, env: &Env) -> Verdict {
    let canary = CanaryDir::new(env, &format!("{}-52565", rt.name), &[]);
    let b = bundle(env, rt, "c52565", &["sleep", "1"], |c| {
        without_dev_tmpfs(c);
        c["process"]["terminal"] = json!(true);
    });
    std::fs::create_dir_all(b.join("rootfs/dev/pts")).expect("dev");
    symlink(canary.path.join("console"), b.join("rootfs/dev/console")).expect("link");
    let sock = env.dir.path().join(format!("{}-52565.sock", rt.name));
    let receiver = console_receiver(&sock);
    let id = cid(rt, "c52565");
    let o = rt.cmd(&[
        "create",
        "--bundle",
        path_str(&b),
        "--console-socket",
        path_str(&sock),
        &id,
    ]);
    let r = if o.status.success() {
        rt.cmd(&["start", &id]);
        Ok(())
    } else {
        // Nothing connected: let the receiver go.
        let _ = std::os::unix::net::UnixStream::connect(&sock);
        Err(text(&o))
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let canaries = [canary.changed(), mounts_under(&canary.path)];
    rt.delete(&id);
    let _ = receiver.join();
    judge(&canaries, r, "the console stayed inside the rootfs")
}

// CVE-2026-41579 (runc), CVE-2026-47766 (crun): /dev in the image is a symlink to a host
// directory (absolute, or relative with `..`), and the runtime creates its device nodes and
// /dev symlinks there (and removes what is in the way, such as a host file named ptmx).
pub fn cve_2026_41579_dev_as_a_symlink(rt: &Rt, env: &Env) -> Verdict {
    let canary = CanaryDir::new(env, &format!("{}-41579", rt.name), &["ptmx"]);
    let mut parts = Vec::new();
    for (label, tmpfs, relative) in [
        ("absolute, no /dev tmpfs", false, false),
        ("relative, no /dev tmpfs", false, true),
        ("absolute, /dev tmpfs", true, false),
    ] {
        let name = format!("d41579-{}{}", u8::from(tmpfs), u8::from(relative));
        let b = bundle(env, rt, &name, &["true"], |c| {
            if !tmpfs {
                without_dev_tmpfs(c);
            }
        });
        let target = if relative {
            format!("{}{}", "../".repeat(20), from_root(&canary.path))
        } else {
            canary.path.display().to_string()
        };
        let _ = std::fs::remove_dir_all(b.join("rootfs/dev"));
        symlink(target, b.join("rootfs/dev")).expect("link");
        let r = run_once(rt, &cid(rt, &name), &b);
        parts.push((
            label,
            judge(
                &[canary.changed(), mounts_under(&canary.path)],
                r,
                "nothing made outside the rootfs",
            ),
        ));
    }
    combine(parts)
}

// CVE-2024-21626 (runc; crun and youki hardened): a runtime descriptor left open into the
// container (runc 1.1 leaked one to the host's /sys/fs/cgroup) makes `cwd: /proc/self/fd/N` a
// directory of the host, from which `..` reaches the host's root. Also a descriptor the caller
// leaked to the runtime (fd 9, the host's /), and the same through `exec --cwd`.
pub fn cve_2024_21626_cwd_through_a_leaked_descriptor(rt: &Rt, env: &Env) -> Verdict {
    let canary = CanaryDir::new(env, &format!("{}-21626", rt.name), &[]);
    let escape = |n: u32| {
        format!(
            "cd ../../../../../../../../../.. && touch {}/fd-{n} 2>/dev/null; true",
            from_root(&canary.path)
        )
    };
    let mut parts = Vec::new();
    let mut refusals = Vec::new();
    for n in 3..=10 {
        let script = escape(n);
        let b = bundle(
            env,
            rt,
            &format!("w21626-{n}"),
            &["sh", "-c", &script],
            |c| {
                c["process"]["cwd"] = json!(format!("/proc/self/fd/{n}"));
            },
        );
        let id = cid(rt, &format!("w21626-{n}"));
        let o = rt.cmd_leaking_root_fd(&["run", "--bundle", path_str(&b), &id]);
        rt.delete(&id);
        if !o.status.success() {
            refusals.push(n);
        }
    }
    parts.push((
        "process.cwd",
        judge(
            &[canary.changed()],
            if refusals.len() == 8 {
                Err("every cwd refused".into())
            } else {
                Ok(())
            },
            &format!("no host path reached (cwd refused for fds {refusals:?})"),
        ),
    ));
    // exec --cwd into a running container.
    let b = bundle(env, rt, "x21626", &["sleep", "20"], |_| {});
    let id = cid(rt, "x21626");
    match rt.create_start(&id, &b) {
        Err(e) => parts.push(("exec --cwd", Verdict::Refused(e))),
        Ok(()) => {
            for n in 3..=10 {
                let script = escape(100 + n);
                let cwd = format!("/proc/self/fd/{n}");
                rt.cmd_leaking_root_fd(&["exec", "--cwd", &cwd, &id, "sh", "-c", &script]);
            }
            rt.delete(&id);
            parts.push((
                "exec --cwd",
                judge(&[canary.changed()], Ok(()), "no host path reached"),
            ));
        }
    }
    combine(parts)
}
