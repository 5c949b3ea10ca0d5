//! `carrack inside`: what a process sees of its container — the program the embedded default
//! image of `carrack image run` runs. Everything is read from /proc and system calls, so the
//! report shows what the runtime really made.

use std::process::ExitCode;

/// Capability names by bit (linux/capability.h).
const CAPS: &[&str] = &[
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

fn status_field(status: &str, key: &str) -> String {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| "?".into())
}

fn caps(mask_hex: &str) -> String {
    let Ok(mask) = u64::from_str_radix(mask_hex, 16) else {
        return format!("? ({mask_hex})");
    };
    let names: Vec<&str> = CAPS
        .iter()
        .enumerate()
        .filter(|(bit, _)| mask & (1u64 << bit) != 0)
        .map(|(_, n)| *n)
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        format!("{} ({})", names.len(), names.join(" "))
    }
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| format!("? ({path}: {e})"))
}

/// Prints the report on stdout.
pub(crate) fn run() -> ExitCode {
    let status = read("/proc/self/status");
    let mut out = Vec::new();
    out.push((
        "hostname",
        read("/proc/sys/kernel/hostname").trim().to_owned(),
    ));
    out.push(("pid", std::process::id().to_string()));
    let uid = status_field(&status, "Uid:");
    let gid = status_field(&status, "Gid:");
    out.push((
        "uid gid",
        format!(
            "{} {}",
            uid.split_whitespace().next().unwrap_or("?"),
            gid.split_whitespace().next().unwrap_or("?")
        ),
    ));
    out.push(("capabilities", caps(&status_field(&status, "CapEff:"))));
    out.push((
        "no_new_privs",
        status_field(&status, "NoNewPrivs:")
            .replace('1', "yes")
            .replace('0', "no"),
    ));
    out.push((
        "seccomp",
        match status_field(&status, "Seccomp:").as_str() {
            "0" => "off".to_owned(),
            "1" => "strict".to_owned(),
            "2" => "filter".to_owned(),
            other => other.to_owned(),
        },
    ));
    let mounts: Vec<String> = read("/proc/self/mountinfo")
        .lines()
        .filter_map(|l| {
            let fields: Vec<&str> = l.split(' ').collect();
            let dash = fields.iter().position(|f| *f == "-")?;
            Some(format!("{} ({})", fields.get(4)?, fields.get(dash + 1)?))
        })
        .collect();
    out.push(("mounts", format!("{}: {}", mounts.len(), mounts.join(", "))));
    out.push((
        "cgroup",
        read("/proc/self/cgroup")
            .lines()
            .filter(|l| l.starts_with("0::") || l.contains(":memory:") || l.contains(":pids:"))
            .collect::<Vec<_>>()
            .join(" "),
    ));
    let ns: Vec<String> = ["pid", "mnt", "uts", "ipc", "net", "user", "cgroup"]
        .iter()
        .map(|n| {
            let link = std::fs::read_link(format!("/proc/self/ns/{n}"))
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| "?".into());
            link.replace(":[", " ").replace(']', "")
        })
        .collect();
    out.push(("namespaces", ns.join(", ")));
    let mut text = String::new();
    for (k, v) in out {
        text.push_str(&format!("{k:<13} {v}\n"));
    }
    match std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}
