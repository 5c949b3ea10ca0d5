//! Capabilities: names to numbers, and applying the five sets exactly as configured (nothing
//! implied: CVE-2022-29162).

use std::io;

use carrack_spec::runtime::{Capabilities, Capability};

use crate::sys::{self, CapSets};

/// Capability names by number: carrack-spec's list is in `linux/capability.h`'s order.
const NAMES: &[&str] = Capability::KNOWN;

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
    NAMES
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

/// The sets to apply: the configured ones, as masks, less what cannot be granted.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Plan {
    bounding: u64,
    sets: CapSets,
    ambient: u64,
}

/// Whether capability `n` is in this process's bounding set (what it can grant at all), asked
/// of the kernel once per capability the config names, whatever the number of sets naming it.
struct Grantable {
    asked: u64,
    held: u64,
}

impl Grantable {
    fn holds(&mut self, n: u32) -> bool {
        let bit = 1u64 << n;
        if self.asked & bit == 0 {
            self.asked |= bit;
            if sys::prctl_read(libc::PR_CAPBSET_READ, libc::c_ulong::from(n)) == Some(1) {
                self.held |= bit;
            }
        }
        self.held & bit != 0
    }
}

/// Turns the configured sets into masks. config.md § Linux Process: "Any value which cannot be
/// mapped to a relevant kernel interface, or cannot be granted otherwise MUST be logged as a
/// warning by the runtime. Runtimes SHOULD NOT fail if the container configuration requests
/// capabilities that cannot be granted". So a name this build or the kernel does not know, a
/// capability outside this process's own bounding set, and an ambient capability that is not
/// both permitted and inheritable (the kernel holds no other) are left out, each with a
/// warning. Computed by the runtime before anything is cloned, so the warnings go to its log,
/// never to the container's stderr.
pub(crate) fn plan(caps: Option<&Capabilities>) -> Plan {
    let Some(c) = caps else {
        return Plan::default();
    };
    let last = last_cap();
    let mut grantable = Grantable { asked: 0, held: 0 };
    let mut unknown: Vec<String> = Vec::new();
    let mut ungranted: Vec<String> = Vec::new();
    let mut mask = |set: &str, list: Option<&Vec<Capability>>| {
        let mut m = 0u64;
        for cap in list.into_iter().flatten() {
            match capability_number(cap.as_str()).filter(|n| *n <= last) {
                None => unknown.push(format!("{set}: {cap}")),
                Some(n) if !grantable.holds(n) => ungranted.push(format!("{set}: {cap}")),
                Some(n) => m |= 1 << n,
            }
        }
        m
    };
    let mut p = Plan {
        bounding: mask("bounding", c.bounding.as_ref()),
        sets: CapSets {
            effective: mask("effective", c.effective.as_ref()),
            permitted: mask("permitted", c.permitted.as_ref()),
            inheritable: mask("inheritable", c.inheritable.as_ref()),
        },
        ambient: mask("ambient", c.ambient.as_ref()),
    };
    if !unknown.is_empty() {
        log::warn!(
            "process.capabilities: ignoring capabilities this kernel does not know: {} \
             (config.md § Linux Process)",
            unknown.join(", ")
        );
    }
    if !ungranted.is_empty() {
        log::warn!(
            "process.capabilities: ignoring capabilities the runtime cannot grant (not in its \
             own bounding set): {} (config.md § Linux Process)",
            ungranted.join(", ")
        );
    }
    let holdable = p.sets.permitted & p.sets.inheritable;
    if p.ambient & !holdable != 0 {
        let names: Vec<&str> = (0..=last)
            .filter(|c| p.ambient & !holdable & (1 << c) != 0)
            .map(|c| NAMES.get(c as usize).copied().unwrap_or("?"))
            .collect();
        log::warn!(
            "process.capabilities.ambient: not raising {} (an ambient capability must also be \
             permitted and inheritable)",
            names.join(", ")
        );
        p.ambient &= holdable;
    }
    p
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

/// Sets effective, permitted and inheritable exactly, then raises the ambient ones (the plan
/// holds only ambient capabilities that are permitted and inheritable).
pub(crate) fn apply(p: &Plan) -> io::Result<()> {
    sys::capset(p.sets)?;
    let _ = sys::prctl(
        libc::PR_CAP_AMBIENT,
        libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
        0,
    );
    for cap in 0..=last_cap() {
        if p.ambient & (1 << cap) != 0 {
            sys::prctl(
                libc::PR_CAP_AMBIENT,
                libc::PR_CAP_AMBIENT_RAISE as libc::c_ulong,
                libc::c_ulong::from(cap),
            )?;
        }
    }
    Ok(())
}
