//! Capabilities: names to numbers, and applying the five sets exactly as configured (nothing
//! implied: CVE-2022-29162).

use std::io;

use carrack_spec::runtime::{Capabilities, Capability};

use crate::sys::{self, CapSets};

const NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// The number of a capability name (`CAP_NET_RAW` → 13), for the capabilities this build knows.
///
/// ```
/// assert_eq!(carrack_linux::capability_number("CAP_NET_RAW"), Some(13));
/// assert_eq!(carrack_linux::capability_number("CAP_NOPE"), None);
/// ```
pub fn capability_number(name: &str) -> Option<u32> {
    NAMES
        .iter()
        .position(|n| *n == name)
        .and_then(|p| u32::try_from(p).ok())
}

/// Every capability name this build knows, in number order.
pub fn known_capabilities() -> &'static [&'static str] {
    &NAMES
}

/// The highest capability the running kernel knows (read once per process).
pub(crate) fn last_cap() -> u32 {
    static LAST: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *LAST.get_or_init(|| {
        crate::procfs::read("/proc/sys/kernel/cap_last_cap")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(40)
    })
}

fn mask(list: Option<&Vec<Capability>>) -> Result<u64, String> {
    let mut m = 0u64;
    for c in list.into_iter().flatten() {
        let n = capability_number(c.as_str())
            .ok_or_else(|| format!("unknown capability {c} (config.md § capabilities)"))?;
        m |= 1 << n;
    }
    Ok(m)
}

/// The sets to apply: the configured ones, as masks.
pub(crate) struct Plan {
    bounding: u64,
    sets: CapSets,
    ambient: u64,
}

/// Turns the configured sets into masks; an unknown name is an error, as runc's is a warning
/// only for names the kernel does not know.
pub(crate) fn plan(caps: Option<&Capabilities>) -> Result<Plan, String> {
    let Some(c) = caps else {
        return Ok(Plan {
            bounding: 0,
            sets: CapSets::default(),
            ambient: 0,
        });
    };
    let last = last_cap();
    let limit = if last >= 63 {
        u64::MAX
    } else {
        (1u64 << (last + 1)) - 1
    };
    Ok(Plan {
        bounding: mask(c.bounding.as_ref())? & limit,
        sets: CapSets {
            effective: mask(c.effective.as_ref())? & limit,
            permitted: mask(c.permitted.as_ref())? & limit,
            inheritable: mask(c.inheritable.as_ref())? & limit,
        },
        ambient: mask(c.ambient.as_ref())? & limit,
    })
}

/// Drops everything outside the bounding set (needs CAP_SETPCAP, so before switching user).
pub(crate) fn drop_bounding(p: &Plan) -> io::Result<()> {
    for cap in 0..=last_cap() {
        if p.bounding & (1 << cap) == 0 {
            match sys::prctl(libc::PR_CAPBSET_DROP, libc::c_ulong::from(cap), 0) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// Sets effective, permitted and inheritable exactly, then raises the ambient ones.
pub(crate) fn apply(p: &Plan) -> io::Result<()> {
    sys::capset(p.sets)?;
    let _ = sys::prctl(
        libc::PR_CAP_AMBIENT,
        libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
        0,
    );
    for cap in 0..=last_cap() {
        if p.ambient & (1 << cap) != 0 {
            // The kernel holds an ambient capability only when it is both permitted and
            // inheritable; like runc, one that is not is reported and left out.
            if let Err(e) = sys::prctl(
                libc::PR_CAP_AMBIENT,
                libc::PR_CAP_AMBIENT_RAISE as libc::c_ulong,
                libc::c_ulong::from(cap),
            ) {
                eprintln!(
                    "carrack: warning: ambient capability {} not raised ({e}): it must also be permitted and inheritable",
                    NAMES.get(cap as usize).copied().unwrap_or("?")
                );
            }
        }
    }
    Ok(())
}
