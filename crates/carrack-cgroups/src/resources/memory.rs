//! `linux.resources.memory`: v1's memory controller files, or v2's `memory.*`.

use carrack_spec::runtime::Memory;

use super::{Host, Planner, unsupported};
use crate::{Error, Result};

pub(super) fn plan<H: Host + ?Sized>(p: &mut Planner<'_, H>, m: &Memory) -> Result<()> {
    let v2 = p.v2;
    // Negative is "no limit": v2's `max`, v1's -1.
    let bytes = |n: i64| {
        if n < 0 {
            if v2 { "max" } else { "-1" }.to_owned()
        } else {
            n.to_string()
        }
    };
    if let Some(limit) = m.limit
        && limit >= 0
        && m.check_before_update == Some(true)
    {
        let usage = p
            .host
            .read_u64(if v2 {
                "memory.current"
            } else {
                "memory.usage_in_bytes"
            })
            .unwrap_or(0);
        if u64::try_from(limit).unwrap_or(0) < usage {
            return Err(Error::BelowUsage { limit, usage });
        }
    }
    if let Some(l) = m.limit {
        let file = if v2 {
            "memory.max"
        } else {
            "memory.limit_in_bytes"
        };
        p.set(file, bytes(l), "memory.limit");
    }
    if let Some(s) = m.reservation {
        let file = if v2 {
            "memory.low"
        } else {
            "memory.soft_limit_in_bytes"
        };
        p.set(file, bytes(s), "memory.reservation");
    }
    if let Some(s) = m.swap {
        if v2 {
            // The spec's swap is memory + swap (v1's memsw); v2's memory.swap.max is swap alone.
            let swap = match (s, m.limit) {
                (s, _) if s < 0 => "max".to_owned(),
                (s, Some(l)) if l >= 0 => (s - l).max(0).to_string(),
                (s, _) => s.to_string(),
            };
            p.set("memory.swap.max", swap, "memory.swap");
        } else {
            p.set("memory.memsw.limit_in_bytes", bytes(s), "memory.swap");
        }
    }
    if let Some(s) = m.swappiness {
        if v2 {
            return Err(unsupported(
                "memory.swappiness",
                "not available on cgroup v2",
            ));
        }
        p.set("memory.swappiness", s.to_string(), "memory.swappiness");
    }
    if m.disable_oom_killer == Some(true) {
        if v2 {
            return Err(unsupported(
                "memory.disableOOMKiller",
                "not available on cgroup v2",
            ));
        }
        p.set("memory.oom_control", "1", "memory.disableOOMKiller");
    }
    if m.kernel.is_some() {
        // Kernel memory limits are gone from the kernel (5.16; on later v1 kernels the file
        // takes writes and does nothing) and NOT RECOMMENDED in the spec: ignored with a
        // warning, as runc does.
        log::warn!(
            "linux.resources.memory.kernel: ignored (kernel memory limits were removed from \
             Linux in 5.16; config-linux.md marks the field NOT RECOMMENDED)"
        );
    }
    if let Some(t) = m.kernel_tcp {
        if v2 {
            return Err(unsupported(
                "memory.kernelTCP",
                "not available on cgroup v2 (tcp memory is part of memory.max there)",
            ));
        }
        p.set(
            "memory.kmem.tcp.limit_in_bytes",
            bytes(t),
            "memory.kernelTCP",
        );
    }
    if m.use_hierarchy == Some(true) && !v2 {
        p.set("memory.use_hierarchy", "1", "memory.useHierarchy");
    }
    Ok(())
}
