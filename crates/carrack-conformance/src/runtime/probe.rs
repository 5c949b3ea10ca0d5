//! The probe: what runs inside each case's container. The certifying binary hosts it (carrack
//! runs it as `carrack probe …`), so a bundle needs nothing but that binary and its libraries.
//!
//! ```text
//! probe report [--stat PATH]… [--read PATH]…   one JSON object of what the process sees
//! probe signals SIG…                           blocks SIG…, prints {"ready":true}, waits for
//!                                              one, prints {"signal":N} and exits 0
//! probe exit N                                 exits with N
//! probe sleep SECONDS                          sleeps
//! ```
//! Everything is read from /proc and the file system, so the report shows what the runtime
//! made, not what the probe asked for.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt};

use serde_json::{Value, json};

fn text(path: &str) -> Value {
    std::fs::read_to_string(path).map_or(Value::Null, |s| Value::String(s.trim_end().to_owned()))
}

/// `/proc/self/status` as key → value.
fn status() -> BTreeMap<String, String> {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_owned(), v.trim().to_owned()))
        .collect()
}

/// `/proc/self/limits` as name (`Max open files`) → [soft, hard] (`unlimited` as null).
fn limits() -> Value {
    let text = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let mut out = serde_json::Map::new();
    for line in text.lines().skip(1) {
        // "Max open files            1024                 1048576              files"
        let name = line.get(..26).unwrap_or("").trim();
        let rest: Vec<&str> = line.get(26..).unwrap_or("").split_whitespace().collect();
        let num = |s: Option<&&str>| {
            s.and_then(|s| s.parse::<u64>().ok())
                .map_or(Value::Null, Value::from)
        };
        if !name.is_empty() {
            out.insert(
                name.to_owned(),
                json!([num(rest.first()), num(rest.get(1))]),
            );
        }
    }
    Value::Object(out)
}

fn namespaces() -> Value {
    let mut out = serde_json::Map::new();
    for ns in ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"] {
        let link = std::fs::read_link(format!("/proc/self/ns/{ns}"));
        out.insert(
            ns.into(),
            link.map_or(Value::Null, |l| {
                Value::String(l.to_string_lossy().into_owned())
            }),
        );
    }
    Value::Object(out)
}

fn stat(path: &str) -> Value {
    let Ok(m) = std::fs::symlink_metadata(path) else {
        return Value::Null;
    };
    let t = m.file_type();
    let kind = if t.is_dir() {
        "dir"
    } else if t.is_symlink() {
        "symlink"
    } else if t.is_char_device() {
        "char"
    } else if t.is_block_device() {
        "block"
    } else if t.is_fifo() {
        "fifo"
    } else if t.is_socket() {
        "socket"
    } else {
        "file"
    };
    let rdev = m.rdev();
    json!({
        "type": kind,
        "mode": m.mode() & 0o7777,
        "uid": m.uid(),
        "gid": m.gid(),
        "major": nix::sys::stat::major(rdev),
        "minor": nix::sys::stat::minor(rdev),
        "target": std::fs::read_link(path).ok().map(|l| l.to_string_lossy().into_owned()),
    })
}

/// This process's I/O priority as `[class, level]` (`ioprio_get(2)`; class 0 is none set),
/// or null where the call fails.
#[allow(unsafe_code)]
fn io_priority() -> Value {
    const IOPRIO_WHO_PROCESS: nix::libc::c_long = 1;
    // SAFETY: ioprio_get(which, who) takes two integers and touches no memory of ours; who 0
    // is the calling process.
    let v = unsafe { nix::libc::syscall(nix::libc::SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0) };
    if v < 0 {
        Value::Null
    } else {
        json!([v >> 13, v & 0x1fff])
    }
}

/// The open file descriptors (`/proc/self/fd`) as number → what each links to, leaving out
/// the one this listing itself holds.
fn fds() -> Value {
    let listing = format!("/proc/{}/fd", std::process::id());
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir("/proc/self/fd")
        .into_iter()
        .flatten()
        .flatten()
    {
        let target = std::fs::read_link(e.path())
            .map(|l| l.to_string_lossy().into_owned())
            .unwrap_or_default();
        if target != listing {
            out.insert(e.file_name().to_string_lossy().into_owned(), target);
        }
    }
    json!(out)
}

/// The report `probe report` prints.
pub fn report(stats: &[String], reads: &[String]) -> Value {
    let st = status();
    let get = |k: &str| st.get(k).cloned().unwrap_or_default();
    let ids = |k: &str| -> Vec<u64> {
        get(k)
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect()
    };
    let mountinfo: Vec<Value> = std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .map(|l| Value::String(l.to_owned()))
        .collect();
    // First, before anything else is opened.
    let fds = fds();
    json!({
        "pid": std::process::id(),
        "args": std::env::args().collect::<Vec<_>>(),
        "env": std::env::vars_os()
            .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
            .collect::<Vec<_>>(),
        "cwd": std::env::current_dir().ok().map(|p| p.to_string_lossy().into_owned()),
        // The errno of getcwd(2), which a seccomp filter may make fail.
        "cwdErrno": std::env::current_dir().err().and_then(|e| e.raw_os_error()),
        "fds": fds,
        "uid": ids("Uid"),
        "gid": ids("Gid"),
        "groups": ids("Groups"),
        "umask": get("Umask"),
        "caps": {
            "inheritable": get("CapInh"), "permitted": get("CapPrm"), "effective": get("CapEff"),
            "bounding": get("CapBnd"), "ambient": get("CapAmb"),
        },
        "noNewPrivs": get("NoNewPrivs"),
        "seccomp": get("Seccomp"),
        "hostname": nix::unistd::gethostname().ok().map(|h| h.to_string_lossy().into_owned()),
        "domainname": text("/proc/sys/kernel/domainname"),
        "rlimits": limits(),
        "namespaces": namespaces(),
        "mountinfo": mountinfo,
        "cgroup": text("/proc/self/cgroup"),
        "oomScoreAdj": text("/proc/self/oom_score_adj"),
        "personality": text("/proc/self/personality"),
        "ioPriority": io_priority(),
        "label": text("/proc/self/attr/current"),
        "timensOffsets": text("/proc/self/timens_offsets"),
        "sched": text("/proc/self/sched"),
        "stat": stats.iter().map(|p| (p.clone(), stat(p))).collect::<BTreeMap<_, _>>(),
        "read": reads.iter().map(|p| (p.clone(), text(p))).collect::<BTreeMap<_, _>>(),
    })
}

fn signals(names: &[String]) -> Result<(), String> {
    use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
    let mut set = SigSet::empty();
    for n in names {
        let s: Signal = n.parse().map_err(|e| format!("{n}: {e}"))?;
        set.add(s);
    }
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None).map_err(|e| e.to_string())?;
    say(&json!({"ready": true}))?;
    let got = set.wait().map_err(|e| e.to_string())?;
    say(&json!({"signal": got as i32, "name": got.as_str()}))
}

fn say(v: &Value) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{v}")
        .and_then(|()| out.flush())
        .map_err(|e| e.to_string())
}

/// Runs the probe with `args` (after the word that chose it); returns the exit status.
pub fn main(args: &[String]) -> i32 {
    let r = match args.first().map(String::as_str) {
        Some("report") => {
            let (mut stats, mut reads) = (Vec::new(), Vec::new());
            let mut it = args[1..].iter();
            while let Some(a) = it.next() {
                match (a.as_str(), it.next()) {
                    ("--stat", Some(p)) => stats.push(p.clone()),
                    ("--read", Some(p)) => reads.push(p.clone()),
                    _ => return usage(),
                }
            }
            say(&report(&stats, &reads))
        }
        Some("signals") => signals(&args[1..]),
        Some("exit") => return args.get(1).and_then(|n| n.parse().ok()).unwrap_or(2),
        Some("sleep") => {
            let secs = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(3600);
            std::thread::sleep(std::time::Duration::from_secs(secs));
            Ok(())
        }
        _ => return usage(),
    };
    match r {
        Ok(()) => 0,
        Err(e) => {
            let _ = say(&json!({"error": e}));
            1
        }
    }
}

fn usage() -> i32 {
    let _ = say(&json!({"error": "usage: probe report|signals|exit|sleep …"}));
    2
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_report_of_this_process_is_complete() {
        let r = super::report(&["/dev/null".into()], &["/proc/sys/kernel/ostype".into()]);
        assert!(r["pid"].as_u64().is_some());
        assert_eq!(r["stat"]["/dev/null"]["type"], "char");
        assert_eq!(r["stat"]["/dev/null"]["major"], 1);
        assert_eq!(r["read"]["/proc/sys/kernel/ostype"], "Linux");
        assert_eq!(r["uid"].as_array().map(Vec::len), Some(4));
        assert!(r["fds"].is_object(), "{}", r["fds"]);
        assert!(r["cwdErrno"].is_null());
        assert!(
            r["rlimits"]["Max open files"][0].is_u64(),
            "{}",
            r["rlimits"]
        );
        assert!(
            r["namespaces"]["pid"]
                .as_str()
                .is_some_and(|s| s.starts_with("pid:["))
        );
        assert!(r["ioPriority"][0].is_i64(), "{}", r["ioPriority"]);
    }
}
