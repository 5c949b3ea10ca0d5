//! The probe itself: what a Linux process sees of its container.

use std::collections::BTreeMap;
use std::fmt::Write as _;

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON value, enough for the report.
enum V {
    S(String),
    N(i64),
    Null,
    List(Vec<V>),
    Map(BTreeMap<String, V>),
}

impl V {
    fn render(&self, out: &mut String) {
        match self {
            V::S(s) => out.push_str(&json_str(s)),
            V::N(n) => {
                let _ = write!(out, "{n}");
            }
            V::Null => out.push_str("null"),
            V::List(l) => {
                out.push('[');
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.render(out);
                }
                out.push(']');
            }
            V::Map(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&json_str(k));
                    out.push(':');
                    v.render(out);
                }
                out.push('}');
            }
        }
    }
}

fn read(path: &str) -> V {
    match std::fs::read_to_string(path) {
        Ok(s) => V::S(s),
        Err(_) => V::Null,
    }
}

/// `Key:\tvalue` lines of /proc/self/status.
fn status() -> BTreeMap<String, V> {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_owned(), V::S(v.trim().to_owned())))
        .collect()
}

const RLIMITS: [(&str, libc::__rlimit_resource_t); 16] = [
    ("RLIMIT_AS", libc::RLIMIT_AS),
    ("RLIMIT_CORE", libc::RLIMIT_CORE),
    ("RLIMIT_CPU", libc::RLIMIT_CPU),
    ("RLIMIT_DATA", libc::RLIMIT_DATA),
    ("RLIMIT_FSIZE", libc::RLIMIT_FSIZE),
    ("RLIMIT_LOCKS", libc::RLIMIT_LOCKS),
    ("RLIMIT_MEMLOCK", libc::RLIMIT_MEMLOCK),
    ("RLIMIT_MSGQUEUE", libc::RLIMIT_MSGQUEUE),
    ("RLIMIT_NICE", libc::RLIMIT_NICE),
    ("RLIMIT_NOFILE", libc::RLIMIT_NOFILE),
    ("RLIMIT_NPROC", libc::RLIMIT_NPROC),
    ("RLIMIT_RSS", libc::RLIMIT_RSS),
    ("RLIMIT_RTPRIO", libc::RLIMIT_RTPRIO),
    ("RLIMIT_RTTIME", libc::RLIMIT_RTTIME),
    ("RLIMIT_SIGPENDING", libc::RLIMIT_SIGPENDING),
    ("RLIMIT_STACK", libc::RLIMIT_STACK),
];

fn limit(v: libc::rlim_t) -> V {
    if v == libc::RLIM_INFINITY {
        V::S("unlimited".into())
    } else {
        V::N(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

fn rlimits() -> BTreeMap<String, V> {
    let mut out = BTreeMap::new();
    for (name, res) in RLIMITS {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes one rlimit into `r`, which lives for the call.
        let rc = unsafe { libc::getrlimit(res, &mut r) };
        let v = if rc == 0 {
            let mut m = BTreeMap::new();
            m.insert("soft".to_owned(), limit(r.rlim_cur));
            m.insert("hard".to_owned(), limit(r.rlim_max));
            V::Map(m)
        } else {
            V::Null
        };
        out.insert(name.to_owned(), v);
    }
    out
}

fn namespaces() -> BTreeMap<String, V> {
    let mut out = BTreeMap::new();
    for ns in ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"] {
        let v = std::fs::read_link(format!("/proc/self/ns/{ns}"))
            .map(|p| V::S(p.display().to_string()))
            .unwrap_or(V::Null);
        out.insert(ns.to_owned(), v);
    }
    out
}

/// /proc/self/mountinfo as objects: mount point, fs type, source, per-mount and super options.
fn mounts() -> Vec<V> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let (left, right) = l.split_once(" - ")?;
            let f: Vec<&str> = left.split(' ').collect();
            let r: Vec<&str> = right.split(' ').collect();
            let mut m = BTreeMap::new();
            m.insert("target".to_owned(), V::S(f.get(4)?.replace("\\040", " ")));
            m.insert("options".to_owned(), V::S((*f.get(5)?).to_owned()));
            m.insert("type".to_owned(), V::S((*r.first()?).to_owned()));
            m.insert("source".to_owned(), V::S((*r.get(1)?).to_owned()));
            m.insert("super".to_owned(), V::S((*r.get(2)?).to_owned()));
            Some(V::Map(m))
        })
        .collect()
}

fn report() -> String {
    let mut top = BTreeMap::new();
    top.insert("status".to_owned(), V::Map(status()));
    top.insert("rlimits".to_owned(), V::Map(rlimits()));
    top.insert("namespaces".to_owned(), V::Map(namespaces()));
    top.insert("mounts".to_owned(), V::List(mounts()));
    top.insert("cgroup".to_owned(), read("/proc/self/cgroup"));
    top.insert("label".to_owned(), read("/proc/self/attr/current"));
    top.insert("oom_score_adj".to_owned(), read("/proc/self/oom_score_adj"));
    top.insert("hostname".to_owned(), read("/proc/sys/kernel/hostname"));
    top.insert(
        "cwd".to_owned(),
        std::env::current_dir()
            .map(|p| V::S(p.display().to_string()))
            .unwrap_or(V::Null),
    );
    top.insert(
        "env".to_owned(),
        V::List(
            std::env::vars_os()
                .map(|(k, v)| V::S(format!("{}={}", k.to_string_lossy(), v.to_string_lossy())))
                .collect(),
        ),
    );
    let fds: Vec<V> = std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| V::S(e.file_name().to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default();
    top.insert("fds".to_owned(), V::List(fds));
    let mut out = String::new();
    V::Map(top).render(&mut out);
    out
}

fn syscall(args: &[String]) -> Result<String, String> {
    let nums: Vec<libc::c_long> = args
        .iter()
        .map(|a| {
            a.parse::<libc::c_long>()
                .or_else(|_| {
                    a.strip_prefix("0x")
                        .ok_or(())
                        .and_then(|h| libc::c_long::from_str_radix(h, 16).map_err(|_| ()))
                })
                .map_err(|()| format!("not a number: {a}"))
        })
        .collect::<Result<_, _>>()?;
    let (&nr, rest) = nums.split_first().ok_or("syscall needs a number")?;
    let a = |i: usize| rest.get(i).copied().unwrap_or(0);
    // SAFETY: a raw syscall with integer arguments the test chose; pointers are never passed
    // (a test passing an address gets EFAULT, not memory corruption of the probe).
    let ret = unsafe { libc::syscall(nr, a(0), a(1), a(2), a(3), a(4), a(5)) };
    let errno = if ret == -1 {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
    } else {
        0
    };
    Ok(format!("{{\"ret\":{ret},\"errno\":{errno}}}"))
}

pub(crate) fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = match args.first().map(String::as_str) {
        Some("report") => Ok(report()),
        Some("syscall") => syscall(&args[1..]),
        Some("read") => {
            let m: BTreeMap<String, V> = args[1..].iter().map(|p| (p.clone(), read(p))).collect();
            let mut s = String::new();
            V::Map(m).render(&mut s);
            Ok(s)
        }
        Some("keyring") => {
            let mut buf = vec![0u8; 512];
            // SAFETY: KEYCTL_DESCRIBE writes at most buf.len() bytes into buf.
            let n = unsafe {
                libc::syscall(
                    libc::SYS_keyctl,
                    6, // KEYCTL_DESCRIBE
                    -3i32, // KEY_SPEC_SESSION_KEYRING
                    buf.as_mut_ptr(),
                    buf.len(),
                    0,
                )
            };
            if n < 0 {
                Err(format!("keyctl: {}", std::io::Error::last_os_error()))
            } else {
                let len = usize::try_from(n).unwrap_or(0).min(buf.len());
                let text = String::from_utf8_lossy(&buf[..len]);
                Ok(text.trim_end_matches('\0').to_owned())
            }
        }
        Some("alloc") => {
            let mib: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
            let mut held: Vec<Vec<u8>> = Vec::new();
            for _ in 0..mib {
                // Touched, so the pages are really charged to the cgroup.
                held.push(vec![1u8; 1 << 20]);
            }
            Ok(format!("ok {}", held.len()))
        }
        Some("sleep") => {
            let secs = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3600);
            std::thread::sleep(std::time::Duration::from_secs(secs));
            Ok(String::new())
        }
        _ => Err(
            "usage: carrack-probe report | syscall NR [ARG..] | read PATH.. | sleep SECS | alloc MIB".into(),
        ),
    };
    match out {
        Ok(s) => println!("{s}"),
        Err(e) => {
            eprintln!("carrack-probe: {e}");
            std::process::exit(2)
        }
    }
}
