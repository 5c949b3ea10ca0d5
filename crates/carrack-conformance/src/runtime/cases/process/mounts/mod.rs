//! config.md's Root and Mounts, seen in the container's /proc/self/mountinfo: a read-only
//! root, the order of mounts, relative destinations, and Linux mount options.

use carrack_spec::Level;
use serde_json::{Value, json};

use super::{C, need_root, report_args, report_with, since};
use crate::case::{Case, Verdict, runtime as rule};
use crate::runtime::Subject;

const OPTIONS: &str = "Linux mount options";
/// Where the option cases mount.
const AT: &str = "/certify-opt";

/// One line of mountinfo (proc(5)).
#[derive(Debug, PartialEq, Eq)]
struct Mount<'a> {
    id: &'a str,
    parent: &'a str,
    point: &'a str,
    /// Per-mount options (`rw,nosuid,relatime`).
    opts: Vec<&'a str>,
    /// Optional fields (`shared:3`, `master:1`, `unbindable`).
    tags: Vec<&'a str>,
    /// Per-superblock options (`rw,size=1024k,mode=710`).
    sb: Vec<&'a str>,
}

fn parse(line: &str) -> Option<Mount<'_>> {
    let f: Vec<&str> = line.split(' ').collect();
    let dash = f.iter().position(|x| *x == "-")?;
    Some(Mount {
        id: f.first()?,
        parent: f.get(1)?,
        point: f.get(4)?,
        opts: f.get(5)?.split(',').collect(),
        tags: f.get(6..dash)?.to_vec(),
        sb: f.get(dash + 3)?.split(',').collect(),
    })
}

/// The mount on top at `point` in an observation's `mountinfo`.
fn at<'a>(v: &'a Value, point: &str) -> Option<Mount<'a>> {
    v["mountinfo"]
        .as_array()?
        .iter()
        .rev()
        .filter_map(|l| parse(l.as_str()?))
        .find(|m| m.point == point)
}

/// The container's mountinfo with `mounts` added to the default config's.
fn mounted(s: &Subject, case: &str, mounts: Value) -> Result<Value, Verdict> {
    let r = report_with(s, case, |c| add(c, mounts))?;
    Ok(json!({"mountinfo": r["mountinfo"]}))
}

fn add(c: &mut Value, mounts: Value) {
    if let (Some(m), Some(more)) = (c["mounts"].as_array_mut(), mounts.as_array()) {
        m.extend(more.iter().cloned());
    }
}

/// A tmpfs at [`AT`] with `options`.
fn tmpfs(s: &Subject, case: &str, options: Value) -> Result<Value, Verdict> {
    mounted(
        s,
        case,
        json!([{"destination": AT, "type": "tmpfs", "source": "tmpfs", "options": options}]),
    )
}

/// A directory of the bundle holding `file`, bind-mounted at `dest` with `options`; the
/// report reads `dest/file`.
fn bound(s: &Subject, case: &str, dest: &str, options: Value) -> Result<Value, Verdict> {
    let file = format!("{dest}/file");
    let r = report_args(s, case, &["report", "--read", &file], |b| {
        let src = b.dir.join("certify-src");
        std::fs::create_dir_all(&src)
            .and_then(|()| std::fs::write(src.join("file"), "certify bind"))
            .map_err(|e| Verdict::fail(format!("{}: {e}", src.display())))?;
        add(
            &mut b.config,
            json!([{"destination": dest, "type": "none", "source": src, "options": options}]),
        );
        Ok(())
    })?;
    Ok(json!({"mountinfo": r["mountinfo"], "read": r["read"][&file]}))
}

/// The per-mount options at [`AT`] pass `ok`.
fn flags(v: &Value, what: &str, ok: fn(&[&str]) -> bool) -> Verdict {
    match at(v, AT) {
        Some(m) => Verdict::check(
            ok(&m.opts),
            format!("{AT} with {what}: mounted {}", m.opts.join(",")),
        ),
        None => Verdict::fail(format!("no mount at {AT}")),
    }
}

/// The optional fields of the mount at `point` include one starting with `tag`.
fn tagged(v: &Value, point: &str, tag: &str) -> Verdict {
    match at(v, point) {
        Some(m) => Verdict::check(
            m.tags.iter().any(|t| t.starts_with(tag)),
            format!("{point} propagation: [{}]", m.tags.join(" ")),
        ),
        None => Verdict::fail(format!("no mount at {point}")),
    }
}

fn option(
    id: &'static str,
    row: &'static str,
    observe: fn(&Subject) -> Result<Value, Verdict>,
    judge: fn(&Value) -> Verdict,
) -> Case<Subject> {
    Case {
        id,
        rule: rule(C, OPTIONS, row),
        level: Level::Must,
        observe,
        judge,
    }
}

/// A mount of the host's /dev below which the host has another mount (`/dev/shm`, …).
fn host_submount() -> Option<String> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    info.lines()
        .filter_map(|l| l.split(' ').nth(4))
        .find_map(|p| {
            p.strip_prefix("/dev/")
                .filter(|r| !r.contains('/'))
                .map(str::to_owned)
        })
}

pub(super) fn cases() -> Vec<Case<Subject>> {
    vec![
        Case {
            id: "config/root/readonly",
            rule: rule(
                C,
                "Root",
                "readonly (bool, OPTIONAL) If true then the root filesystem MUST be read-only inside the container, defaults to false.",
            ),
            level: Level::Must,
            observe: |s| {
                let ro = report_with(s, "rootro", |c| c["root"]["readonly"] = json!(true))?;
                let default = report_with(s, "rootdefault", |c| {
                    if let Some(r) = c["root"].as_object_mut() {
                        r.remove("readonly");
                    }
                })?;
                Ok(
                    json!({"ro": {"mountinfo": ro["mountinfo"]}, "default": {"mountinfo": default["mountinfo"]}}),
                )
            },
            judge: |v| {
                let opts = |k: &str| at(&v[k], "/").map(|m| m.opts.join(","));
                let (ro, default) = (opts("ro"), opts("default"));
                let has_ro = |o: &Option<String>| {
                    o.as_deref()
                        .is_some_and(|o| o.split(',').any(|x| x == "ro"))
                };
                let show = |o: &Option<String>| o.clone().unwrap_or_else(|| "(no / mount)".into());
                Verdict::check(
                    has_ro(&ro) && default.is_some() && !has_ro(&default),
                    format!(
                        "/ mounted {} with readonly true, {} without it",
                        show(&ro),
                        show(&default)
                    ),
                )
            },
        },
        Case {
            id: "config/mounts/order",
            rule: rule(
                C,
                "Mounts",
                "The runtime MUST mount entries in the listed order.",
            ),
            level: Level::Must,
            observe: |s| {
                mounted(
                    s,
                    "order",
                    json!([
                        {"destination": "/certify-a", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
                        {"destination": "/certify-a/b", "type": "tmpfs", "source": "tmpfs", "options": ["size=2m"]},
                    ]),
                )
            },
            judge: |v| match (at(v, "/certify-a"), at(v, "/certify-a/b")) {
                (Some(a), Some(b)) => Verdict::check(
                    b.parent == a.id,
                    format!(
                        "/certify-a/b (listed second) is on mount {}; /certify-a is mount {}",
                        b.parent, a.id
                    ),
                ),
                (a, b) => Verdict::fail(format!(
                    "/certify-a {}, /certify-a/b {}",
                    if a.is_some() { "mounted" } else { "missing" },
                    if b.is_some() { "mounted" } else { "missing" }
                )),
            },
        },
        Case {
            id: "config/mounts/relative-destination",
            rule: rule(
                C,
                "Mounts",
                "For compatibility with old tools and configurations, it MAY be a relative path, in which case it MUST be interpreted as relative to \"/\".",
            ),
            level: Level::Must,
            observe: |s| {
                since(s, (1, 2, 0), "relative mount destinations")?;
                mounted(
                    s,
                    "reldest",
                    json!([{"destination": "certify-rel", "type": "tmpfs", "source": "tmpfs"}]),
                )
            },
            judge: |v| {
                let m = at(v, "/certify-rel");
                Verdict::check(
                    m.is_some(),
                    format!(
                        "destination \"certify-rel\": {}",
                        if m.is_some() {
                            "mounted at /certify-rel"
                        } else {
                            "nothing at /certify-rel"
                        }
                    ),
                )
            },
        },
        option(
            "config/mounts/option-ro",
            "ro | MUST | [^1]",
            |s| tmpfs(s, "optro", json!(["ro"])),
            |v| flags(v, "ro", |o| o.contains(&"ro")),
        ),
        option(
            "config/mounts/option-nosuid",
            "nosuid | MUST | [^1]",
            |s| tmpfs(s, "optnosuid", json!(["nosuid"])),
            |v| flags(v, "nosuid", |o| o.contains(&"nosuid")),
        ),
        option(
            "config/mounts/option-nodev",
            "nodev | MUST | [^1]",
            |s| tmpfs(s, "optnodev", json!(["nodev"])),
            |v| flags(v, "nodev", |o| o.contains(&"nodev")),
        ),
        option(
            "config/mounts/option-noexec",
            "noexec | MUST | [^1]",
            |s| tmpfs(s, "optnoexec", json!(["noexec"])),
            |v| flags(v, "noexec", |o| o.contains(&"noexec")),
        ),
        option(
            "config/mounts/option-noatime",
            "noatime | MUST | [^1]",
            |s| tmpfs(s, "optnoatime", json!(["noatime"])),
            |v| flags(v, "noatime", |o| o.contains(&"noatime")),
        ),
        option(
            "config/mounts/option-strictatime",
            "strictatime | MUST | [^1]",
            |s| tmpfs(s, "optstrict", json!(["strictatime"])),
            // Strict atime shows as neither relatime nor noatime.
            |v| {
                flags(v, "strictatime", |o| {
                    !o.contains(&"relatime") && !o.contains(&"noatime")
                })
            },
        ),
        option(
            "config/mounts/option-bind",
            "bind | MUST | Bind mount [^2]",
            |s| bound(s, "optbind", "/certify-bind", json!(["bind"])),
            |v| {
                let ok = at(v, "/certify-bind").is_some() && v["read"] == "certify bind";
                Verdict::check(
                    ok,
                    format!(
                        "/certify-bind/file reads {} (the bundle's file says \"certify bind\")",
                        v["read"]
                    ),
                )
            },
        ),
        option(
            "config/mounts/option-rbind",
            "rbind | MUST | Recursive bind mount [^2]",
            |s| {
                need_root(s)?;
                let Some(sub) = host_submount() else {
                    return Err(Verdict::skip(
                        "the host has no mount below /dev to bind recursively",
                    ));
                };
                let mut v = mounted(
                    s,
                    "optrbind",
                    json!([
                        {"destination": "/certify-rbind", "type": "none", "source": "/dev", "options": ["rbind", "nosuid", "noexec"]}
                    ]),
                )?;
                v["sub"] = json!(format!("/certify-rbind/{sub}"));
                Ok(v)
            },
            |v| {
                let sub = v["sub"].as_str().unwrap_or_default();
                let ok = at(v, "/certify-rbind").is_some() && at(v, sub).is_some();
                Verdict::check(
                    ok,
                    format!(
                        "host /dev bound recursively at /certify-rbind: {sub} {}",
                        if ok { "mounted" } else { "missing" }
                    ),
                )
            },
        ),
        option(
            "config/mounts/option-rshared",
            "rshared | MUST | Bind mount propagation [^2]",
            |s| {
                bound(
                    s,
                    "optrshared",
                    "/certify-shared",
                    json!(["rbind", "rshared"]),
                )
            },
            |v| tagged(v, "/certify-shared", "shared:"),
        ),
        option(
            "config/mounts/option-runbindable",
            "runbindable | MUST | Bind mount propagation [^2]",
            |s| {
                bound(
                    s,
                    "optrunbind",
                    "/certify-unbindable",
                    json!(["rbind", "runbindable"]),
                )
            },
            |v| tagged(v, "/certify-unbindable", "unbindable"),
        ),
        Case {
            id: "config/mounts/filesystem-specific-options",
            rule: rule(
                C,
                OPTIONS,
                "Runtimes SHOULD treat unknown options as filesystem-specific ones) and pass those as a comma-separated string to the fifth (const void *data) argument of mount(2).",
            ),
            level: Level::Should,
            observe: |s| tmpfs(s, "optdata", json!(["size=1m", "mode=710"])),
            judge: |v| match at(v, AT) {
                Some(m) => Verdict::check(
                    m.sb.contains(&"size=1024k") && m.sb.contains(&"mode=710"),
                    format!(
                        "tmpfs with size=1m, mode=710: superblock {}",
                        m.sb.join(",")
                    ),
                ),
                None => Verdict::fail(format!("no mount at {AT}")),
            },
        },
    ]
}

#[cfg(test)]
mod tests;
