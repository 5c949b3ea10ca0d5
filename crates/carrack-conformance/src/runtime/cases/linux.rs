//! config-linux.md and runtime-linux.md, each case seen from inside the container by the probe
//! or from the host: the default filesystems, /dev's links and the open descriptors here, with
//! the helpers the other files share; namespaces, user namespace mappings and time offsets in
//! `linux_ns.rs`; devices, masked and readonly paths, sysctl, propagation, the mount label,
//! personality and seccomp in `linux_more.rs`; cgroups in `linux_cgroups.rs`; resctrl, the NUMA
//! memory policy and network devices in `linux_host.rs`.

use carrack_spec::{Level, Rule};
use serde_json::{Value, json};

use crate::case::{Case, Verdict, runtime as rule};
use crate::runtime::cases::need_root;
use crate::runtime::{Bundle, Container, Subject};

#[path = "linux_cgroups.rs"]
mod cgroups;
#[path = "linux_host.rs"]
mod host;
#[path = "linux_more.rs"]
mod more;
#[path = "linux_ns.rs"]
mod ns;

const L: &str = "config-linux.md";
const RL: &str = "runtime-linux.md";

/// What makes a property without a MUST of its own binding: a runtime applies it, or refuses.
static APPLY: Rule = rule(
    "runtime.md",
    "Create",
    "If the runtime cannot apply a property as specified in the configuration, it MUST generate an error and a new container MUST NOT be created.",
);

/// `1.0.2-dev` → (1, 0, 2, false): a pre-release sorts before its release.
fn version(v: &str) -> (u64, u64, u64, bool) {
    let (core, release) = v.split_once('-').map_or((v, true), |(c, _)| (c, false));
    let mut n = core.split('.').map(|x| x.parse().unwrap_or(0));
    (
        n.next().unwrap_or(0),
        n.next().unwrap_or(0),
        n.next().unwrap_or(0),
        release,
    )
}

/// Skips unless the bundles' `ociVersion` (the runtime's `ociVersionMax`) has `what`, which
/// came with runtime-spec `min`: to an older runtime it is an unknown property to ignore.
fn need_version(s: &Subject, min: &str, what: &str) -> Result<(), Verdict> {
    if version(s.oci_version()) >= version(min) {
        Ok(())
    } else {
        Err(Verdict::skip(format!(
            "{what} came with runtime-spec {min}; the runtime's ociVersionMax is {}",
            s.oci_version()
        )))
    }
}

/// A created container running the probe with `args`, its bundle edited by `edit`; a refused
/// create fails the case.
fn created<'s>(
    s: &'s Subject,
    case: &str,
    args: &[&str],
    edit: impl FnOnce(&mut Bundle) -> Result<(), Verdict>,
) -> Result<(Container<'s>, Bundle), Verdict> {
    need_root(s)?;
    let mut b = s.bundle(case, args)?;
    edit(&mut b)?;
    let (c, ran) = b.create(s)?;
    if !ran.ok() {
        return Err(Verdict::fail(ran.describe()));
    }
    Ok((c, b))
}

/// Like [`created`], for a property whose only binding is [`APPLY`]: a refused create is a
/// skip (the runtime may refuse what it cannot apply), never a pass.
fn applied<'s>(
    s: &'s Subject,
    case: &str,
    args: &[&str],
    edit: impl FnOnce(&mut Bundle) -> Result<(), Verdict>,
) -> Result<(Container<'s>, Bundle), Verdict> {
    need_root(s)?;
    let mut b = s.bundle(case, args)?;
    edit(&mut b)?;
    let (c, ran) = b.create(s)?;
    if !ran.ok() {
        return Err(Verdict::skip(format!(
            "the runtime refused it (allowed when it cannot apply it): {}",
            ran.describe()
        )));
    }
    Ok((c, b))
}

/// The probe's report from a container made by [`created`].
fn report(
    s: &Subject,
    case: &str,
    args: &[&str],
    edit: impl FnOnce(&mut Bundle) -> Result<(), Verdict>,
) -> Result<Value, Verdict> {
    created(s, case, args, edit)?.0.report()
}

/// A create that should be refused: its exit and whether a container exists afterwards.
fn attempt(
    s: &Subject,
    case: &str,
    edit: impl FnOnce(&mut Bundle) -> Result<(), Verdict>,
) -> Result<Value, Verdict> {
    need_root(s)?;
    let mut b = s.bundle(case, &["exit", "0"])?;
    edit(&mut b)?;
    let (c, ran) = b.create(s)?;
    let exists = s.runtime.state(&c.id).is_ok();
    Ok(json!({"code": ran.code, "said": ran.describe(), "exists": exists}))
}

/// Judges an [`attempt`] of `what`: an error, and no container.
fn refusal(v: &Value, what: &str) -> Verdict {
    let refused = v["code"] != json!(0);
    Verdict::check(
        refused && v["exists"] == false,
        format!(
            "create with {what}: {}; a container {}",
            v["said"].as_str().unwrap_or_default(),
            if v["exists"] == true {
                "exists"
            } else {
                "was not made"
            }
        ),
    )
}

/// Writes `text` at `path` (absolute inside the container) in the bundle's rootfs.
fn put(b: &Bundle, path: &str, text: &str) -> Result<(), Verdict> {
    let to = b.dir.join("rootfs").join(path.trim_start_matches('/'));
    let fail = |e: std::io::Error| Verdict::fail(format!("writing {path} in the rootfs: {e}"));
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    std::fs::write(&to, text).map_err(fail)
}

/// Edits `linux.namespaces` (an empty list if there is none).
fn with_ns(b: &mut Bundle, f: impl FnOnce(&mut Vec<Value>)) {
    let ns = &mut b.config["linux"]["namespaces"];
    let mut list = match ns.take() {
        Value::Array(v) => v,
        _ => Vec::new(),
    };
    f(&mut list);
    *ns = Value::Array(list);
}

/// The namespaces of `pid` (`self` for the certifier: the runtime's namespaces), as the links
/// of /proc/PID/ns.
fn ns_of(pid: &str) -> Value {
    let mut out = serde_json::Map::new();
    for ns in ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"] {
        let link = std::fs::read_link(format!("/proc/{pid}/ns/{ns}"));
        out.insert(
            ns.into(),
            link.map_or(Value::Null, |l| l.to_string_lossy().into_owned().into()),
        );
    }
    Value::Object(out)
}

/// A new user namespace mapping root to host uid 100000 and gid 200000 (65536 ids each).
fn user_ns(b: &mut Bundle) {
    with_ns(b, |n| n.push(json!({"type": "user"})));
    b.config["linux"]["uidMappings"] =
        json!([{"containerID": 0, "hostID": 100_000, "size": 65536}]);
    b.config["linux"]["gidMappings"] =
        json!([{"containerID": 0, "hostID": 200_000, "size": 65536}]);
}

/// One line of /proc/PID/mountinfo: mount point, per-mount options, optional fields, fs type.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mount {
    point: String,
    options: Vec<String>,
    tags: Vec<String>,
    fstype: String,
}

fn mounts(report: &Value) -> Vec<Mount> {
    let lines = report["mountinfo"].as_array().into_iter().flatten();
    lines
        .filter_map(Value::as_str)
        .filter_map(|l| {
            let (left, right) = l.split_once(" - ")?;
            let f: Vec<&str> = left.split(' ').collect();
            Some(Mount {
                point: (*f.get(4)?).to_owned(),
                options: f.get(5)?.split(',').map(str::to_owned).collect(),
                tags: f.get(6..)?.iter().map(|t| (*t).to_owned()).collect(),
                fstype: right.split(' ').next()?.to_owned(),
            })
        })
        .collect()
}

/// The last mount at `point` (the one on top).
fn mount_at(report: &Value, point: &str) -> Option<Mount> {
    mounts(report).into_iter().rev().find(|m| m.point == point)
}

pub(crate) fn cases() -> Vec<Case<Subject>> {
    let fs: Vec<Case<Subject>> = vec![
        Case {
            id: "linux/default-filesystems",
            rule: rule(
                L,
                "Default Filesystems",
                "The following filesystems SHOULD be made available in each container's filesystem:",
            ),
            level: Level::Should,
            observe: |s| report(s, "defaultfs", &["report"], |_| Ok(())),
            judge: |v| {
                let want = [
                    ("/proc", "proc"),
                    ("/sys", "sysfs"),
                    ("/dev/pts", "devpts"),
                    ("/dev/shm", "tmpfs"),
                ];
                let got: Vec<String> = want
                    .iter()
                    .map(|(p, _)| {
                        let fs = mount_at(v, p).map_or_else(|| "nothing".into(), |m| m.fstype);
                        format!("{p} {fs}")
                    })
                    .collect();
                let ok = want
                    .iter()
                    .all(|(p, t)| mount_at(v, p).is_some_and(|m| m.fstype == *t));
                Verdict::check(ok, got.join(", "))
            },
        },
        Case {
            id: "runtime-linux/dev-symlinks",
            rule: rule(
                RL,
                "Dev symbolic links",
                "While creating the container (step 2 in the lifecycle), runtimes MUST create the following symlinks if the source file exists after processing mounts:",
            ),
            level: Level::Must,
            observe: |s| {
                let mut args = vec!["report"];
                for p in ["/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr"] {
                    args.extend(["--stat", p]);
                }
                Ok(report(s, "devlinks", &args, |_| Ok(()))?["stat"].clone())
            },
            judge: |v| {
                let want = [
                    ("/dev/fd", "/proc/self/fd"),
                    ("/dev/stdin", "/proc/self/fd/0"),
                    ("/dev/stdout", "/proc/self/fd/1"),
                    ("/dev/stderr", "/proc/self/fd/2"),
                ];
                let ok = want
                    .iter()
                    .all(|(p, t)| v[p]["type"] == "symlink" && v[p]["target"] == *t);
                let seen: Vec<String> = want
                    .iter()
                    .map(|(p, _)| match v[p]["target"].as_str() {
                        Some(t) => format!("{p} -> {t}"),
                        None => format!("{p}: {}", v[p]["type"].as_str().unwrap_or("missing")),
                    })
                    .collect();
                Verdict::check(ok, seen.join(", "))
            },
        },
        Case {
            id: "runtime-linux/file-descriptors",
            rule: rule(
                RL,
                "File descriptors",
                "By default, only the stdin, stdout and stderr file descriptors are kept open for the application by the runtime.",
            ),
            level: Level::Must,
            observe: |s| Ok(report(s, "fds", &["report"], |_| Ok(()))?["fds"].clone()),
            judge: |v| {
                let fds: Vec<&String> = v
                    .as_object()
                    .map(|o| o.keys().collect())
                    .unwrap_or_default();
                Verdict::check(fds == ["0", "1", "2"], format!("open descriptors: {v}"))
            },
        },
    ];
    let mut v = ns::cases();
    v.extend(fs);
    v.extend(more::cases());
    v.extend(cgroups::cases());
    v.extend(host::cases());
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Judges `pass` and `fail` with case `id`'s judge and checks the words.
    pub(super) fn check(id: &str, pass: Value, fail: Value) {
        let all = cases();
        let case = all.iter().find(|c| c.id == id).expect(id);
        assert_eq!((case.judge)(&pass).word(), "pass", "{id}: {pass}");
        assert_eq!((case.judge)(&fail).word(), "fail", "{id}: {fail}");
    }

    #[test]
    fn versions_order_pre_releases_first() {
        assert!(version("1.0.2-dev") < version("1.0.2"));
        assert!(version("1.0.2") < version("1.1.0"));
        assert!(version("1.3.0") >= version("1.3.0"));
    }

    #[test]
    fn the_file_system_is_judged() {
        let line = |p: &str, t: &str| format!("1 2 0:3 / {p} rw,nosuid shared:4 - {t} {t} rw");
        let all = json!({"mountinfo": [line("/proc", "proc"), line("/sys", "sysfs"),
            line("/dev/pts", "devpts"), line("/dev/shm", "tmpfs")]});
        let none = json!({"mountinfo": [line("/proc", "proc"), line("/dev/shm", "devpts")]});
        check("linux/default-filesystems", all.clone(), none);
        let link = |t: &str| json!({"type": "symlink", "target": t});
        check(
            "runtime-linux/dev-symlinks",
            json!({"/dev/fd": link("/proc/self/fd"), "/dev/stdin": link("/proc/self/fd/0"),
                "/dev/stdout": link("/proc/self/fd/1"), "/dev/stderr": link("/proc/self/fd/2")}),
            json!({"/dev/fd": link("/proc/self/fd"), "/dev/stdin": null}),
        );
        check(
            "runtime-linux/file-descriptors",
            json!({"0": "/dev/null", "1": "/b/out", "2": "/b/err"}),
            json!({"0": "/dev/null", "1": "/b/out", "2": "/b/err", "5": "socket:[9]"}),
        );
        let m = mount_at(&all, "/dev/pts").expect("a mount");
        assert_eq!(m.tags, ["shared:4"]);
        assert_eq!(m.options, ["rw", "nosuid"]);
    }
}
