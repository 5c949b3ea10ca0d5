//! Containers whose hooks log what they see. Every hook is a small `/bin/busybox sh` script
//! (the host's static busybox, copied into the rootfs as well) that appends its name to an
//! order log, keeps the state it read on stdin, the links of its namespaces, and, from the
//! container process's root as the state's pid names it, whether `pivot_root` has happened
//! and the mounts are in place. The log directory is the bundle's `hooks/`, bind-mounted at
//! [`MOUNT`] in the container; the case writes `@create`, `@created`, `@start`, … into the
//! same log around each call, so the log orders hooks and operations.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::case::Verdict;
pub(crate) use crate::runtime::cases::need_root;
use crate::runtime::{Bundle, QUICK, Ran, Subject};

/// The hook types of config.md, in lifecycle order.
pub(crate) const TYPES: [&str; 6] = [
    "prestart",
    "createRuntime",
    "createContainer",
    "startContainer",
    "poststart",
    "poststop",
];

/// Where the log directory is in the container.
pub(crate) const MOUNT: &str = "/certify-hooks";
const BUSYBOX: &str = "/bin/busybox";
const NS: [&str; 8] = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"];

/// Which hooks a bundle gets: `entries` of each of `types`, named `TYPE.N`; `fail` exits 1.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan<'a> {
    pub types: &'a [&'a str],
    pub entries: usize,
    pub fail: Option<&'a str>,
}

impl Plan<'_> {
    /// All six types, two entries each, none failing.
    pub(crate) const ALL: Plan<'static> = Plan {
        types: &TYPES,
        entries: 2,
        fail: None,
    };

    fn names(&self) -> Vec<String> {
        self.types
            .iter()
            .flat_map(|t| (1..=self.entries).map(move |i| format!("{t}.{i}")))
            .collect()
    }
}

/// The host's busybox, if it is a static program (it must run inside the rootfs too).
fn busybox() -> Result<(), Verdict> {
    let why = "the hook scripts need a static /bin/busybox on the host (busybox-static)";
    let elf = std::fs::read(BUSYBOX).map_err(|e| Verdict::skip(format!("{why}: {e}")))?;
    if !elf.starts_with(b"\x7fELF") || crate::program::interpreter(&elf).is_some() {
        return Err(Verdict::skip(format!(
            "{why}: {BUSYBOX} is not a static ELF program"
        )));
    }
    Ok(())
}

fn io(what: &str) -> impl FnOnce(std::io::Error) -> Verdict + '_ {
    move |e| Verdict::fail(format!("setting up the hooks ({what}): {e}"))
}

/// The script of hook `name`: logs and exits with `code`.
fn script(log: &Path, bundle: &Path, name: &str, code: i32) -> String {
    let (log, bundle) = (log.display(), bundle.display());
    format!(
        r#"#!/bin/busybox sh
b=/bin/busybox
d='{log}'
[ -d "$d" ] || d={MOUNT}
n='{name}'
echo "$n" >> "$d/order"
$b timeout 5 $b cat > "$d/$n.state"
for t in {ns}; do echo "$t $($b readlink /proc/self/ns/$t)"; done > "$d/$n.ns"
pid=$($b sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p' "$d/$n.state")
if [ -n "$pid" ] && [ -e "/proc/$pid/root{bundle}/config.json" ]; then echo yes > "$d/$n.prepivot"; fi
if [ -n "$pid" ] && [ -e "/proc/$pid/root{bundle}/rootfs{MOUNT}/order" ]; then echo yes > "$d/$n.mounted"; fi
if [ -e '{bundle}/config.json' ]; then echo yes > "$d/$n.ownprepivot"; fi
if [ -e '{bundle}/rootfs{MOUNT}/order' ]; then echo yes > "$d/$n.ownmounted"; fi
exit {code}
"#,
        ns = NS.join(" "),
    )
}

/// A bundle running the probe with `args`, with the hooks of `plan`; returns it and its log.
pub(crate) fn prepare(
    s: &Subject,
    case: &str,
    plan: &Plan<'_>,
    args: &[&str],
) -> Result<(Bundle, PathBuf), Verdict> {
    need_root(s)?;
    busybox()?;
    let mut b = s.bundle(case, args)?;
    let log = b.dir.join("hooks");
    std::fs::create_dir_all(&log).map_err(io("log directory"))?;
    let bin = b.dir.join("rootfs/bin");
    std::fs::create_dir_all(&bin).map_err(io("rootfs/bin"))?;
    std::fs::copy(BUSYBOX, bin.join("busybox")).map_err(io(BUSYBOX))?;
    let mut hooks = Map::new();
    for t in plan.types {
        let mut list = Vec::new();
        for i in 1..=plan.entries {
            let name = format!("{t}.{i}");
            let code = i32::from(plan.fail == Some(name.as_str()));
            let file = log.join(format!("{name}.sh"));
            std::fs::write(&file, script(&log, &b.dir, &name, code)).map_err(io(&name))?;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755))
                .map_err(io(&name))?;
            // startContainer's path resolves in the container; the others' on the host.
            let path = if *t == "startContainer" {
                format!("{MOUNT}/{name}.sh")
            } else {
                file.display().to_string()
            };
            list.push(json!({"path": path}));
        }
        hooks.insert((*t).to_owned(), Value::Array(list));
    }
    b.config["hooks"] = Value::Object(hooks);
    if let Some(m) = b.config["mounts"].as_array_mut() {
        m.push(json!({"destination": MOUNT, "type": "bind", "source": log, "options": ["rbind", "rw"]}));
    }
    Ok((b, log))
}

/// Appends an operation's mark (`@create` …) to the order log.
pub(crate) fn mark(log: &Path, word: &str) {
    use std::io::Write;
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log.join("order"))
    {
        let _ = writeln!(f, "{word}");
    }
}

fn namespaces(text: &str) -> Value {
    let mut out = Map::new();
    for l in text.lines() {
        if let Some((t, link)) = l.split_once(' ') {
            out.insert(t.to_owned(), json!(link));
        }
    }
    Value::Object(out)
}

/// This process's namespaces: the runtime namespace, which the runtime is run from.
pub(crate) fn own_namespaces() -> Value {
    let mut out = Map::new();
    for t in NS {
        if let Ok(l) = std::fs::read_link(format!("/proc/self/ns/{t}")) {
            out.insert(t.to_owned(), json!(l.to_string_lossy()));
        }
    }
    Value::Object(out)
}

/// What the hooks of `plan` left in `log`: `order` (lines) and, per hook that ran, `state`
/// (parsed, or `{"unparsed": text}`), `ns`, and whether the container process's root (through
/// `/proc/PID/root`: `prepivot`, `mounted`) or the hook's own (`ownPrepivot`, `ownMounted`) was
/// still the host's and had the log directory mounted in the rootfs.
pub(crate) fn collect(log: &Path, plan: &Plan<'_>) -> Value {
    let read = |n: &str| std::fs::read_to_string(log.join(n)).ok();
    let text = read("order").unwrap_or_default();
    let order: Vec<&str> = text.lines().collect();
    let mut hooks = Map::new();
    for name in plan.names() {
        let Some(state) = read(&format!("{name}.state")) else {
            continue;
        };
        let state = serde_json::from_str::<Value>(&state).unwrap_or(json!({"unparsed": state}));
        hooks.insert(
            name.clone(),
            json!({
                "state": state,
                "ns": namespaces(&read(&format!("{name}.ns")).unwrap_or_default()),
                "prepivot": read(&format!("{name}.prepivot")).is_some(),
                "mounted": read(&format!("{name}.mounted")).is_some(),
                "ownPrepivot": read(&format!("{name}.ownprepivot")).is_some(),
                "ownMounted": read(&format!("{name}.ownmounted")).is_some(),
            }),
        );
    }
    json!({"order": order, "hooks": hooks})
}

/// `{"code", "said"}` of a call.
pub(crate) fn code(r: &Ran) -> Value {
    json!({"code": r.code, "said": r.describe()})
}

/// The namespace files (`mnt`, `net` …) of the types the config creates.
fn created(config: &Value) -> Vec<&'static str> {
    let file = |t: &str| match t {
        "mount" => Some("mnt"),
        "network" => Some("net"),
        t => NS.iter().copied().find(|n| *n == t),
    };
    config["linux"]["namespaces"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n.get("path").is_none())
        .filter_map(|n| n["type"].as_str().and_then(file))
        .collect()
}

/// The whole lifecycle with the hooks of `plan`: create, start (the probe reads the order log
/// when it runs), wait until stopped, delete; every step marked in the log.
pub(crate) fn lifecycle(s: &Subject, case: &str, plan: &Plan<'_>) -> Result<Value, Verdict> {
    let order = format!("{MOUNT}/order");
    let (b, log) = prepare(s, case, plan, &["report", "--read", &order])?;
    mark(&log, "@create");
    let (c, ran) = b.create(s)?;
    mark(&log, "@created");
    if !ran.ok() {
        return Err(Verdict::fail(ran.describe()));
    }
    let state = c.state()?;
    mark(&log, "@start");
    let start = c.call(&["start", &c.id])?;
    mark(&log, "@started");
    if !start.ok() {
        return Err(Verdict::fail(start.describe()));
    }
    let report = c.wait_line("pid", QUICK)?;
    c.wait_status("stopped")?;
    mark(&log, "@delete");
    let delete = c.call(&["delete", &c.id])?;
    mark(&log, "@deleted");
    let gone = s.runtime.state(&c.id).is_err();
    let mut v = collect(&log, plan);
    v["id"] = json!(b.id);
    v["bundle"] = json!(b.dir);
    v["statePid"] = state["pid"].clone();
    v["probe"] = json!({
        "pid": report["pid"],
        "ns": report["namespaces"],
        "order": report["read"][&order],
    });
    v["runtimeNs"] = own_namespaces();
    v["created"] = json!(created(&b.config));
    v["delete"] = code(&delete);
    v["gone"] = json!(gone);
    Ok(v)
}

/// `create` with the hooks of `plan`, one of which fails during create: what create said,
/// whether the container is still there afterwards, and what the hooks logged.
pub(crate) fn failing_create(s: &Subject, case: &str, plan: &Plan<'_>) -> Result<Value, Verdict> {
    let (b, log) = prepare(s, case, plan, &["exit", "0"])?;
    mark(&log, "@create");
    let (c, ran) = b.create(s)?;
    mark(&log, "@created");
    let exists = s.runtime.state(&c.id).is_ok();
    let mut v = collect(&log, plan);
    v["create"] = code(&ran);
    v["exists"] = json!(exists);
    Ok(v)
}

/// The position of `line` in the order log.
pub(crate) fn at(v: &Value, line: &str) -> Option<usize> {
    v["order"].as_array()?.iter().position(|l| l == line)
}

/// The order log as one short line.
pub(crate) fn order(v: &Value) -> String {
    v["order"]
        .as_array()
        .map(|o| {
            o.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}
