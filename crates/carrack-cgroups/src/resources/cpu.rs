//! `linux.resources.cpu`: v1's cpu and cpuset controllers, or v2's `cpu.*` and `cpuset.*`.

use carrack_spec::runtime::Cpu;

use super::{Host, Planner};

/// v1's cpu.shares (2..262144) on v2's cpu.weight scale (1..10000), as runc converts it.
pub(super) fn shares_to_weight(shares: u64) -> u64 {
    1 + ((shares.clamp(2, 262_144) - 2) * 9999) / 262_142
}

pub(super) fn plan<H: Host + ?Sized>(p: &mut Planner<'_, H>, c: &Cpu) {
    let v2 = p.v2;
    if let Some(s) = c.shares.filter(|s| *s > 0) {
        if v2 {
            p.set("cpu.weight", shares_to_weight(s).to_string(), "cpu.shares");
        } else {
            p.set("cpu.shares", s.to_string(), "cpu.shares");
        }
    }
    if c.quota.is_some() || c.period.is_some() {
        if v2 {
            let quota = c
                .quota
                .filter(|q| *q > 0)
                .map_or_else(|| "max".to_owned(), |q| q.to_string());
            let period = c.period.unwrap_or(100_000);
            p.set("cpu.max", format!("{quota} {period}"), "cpu.quota");
        } else {
            if let Some(period) = c.period {
                p.set("cpu.cfs_period_us", period.to_string(), "cpu.period");
            }
            if let Some(q) = c.quota {
                p.set("cpu.cfs_quota_us", q.to_string(), "cpu.quota");
            }
        }
    }
    if let Some(b) = c.burst {
        let file = if v2 {
            "cpu.max.burst"
        } else {
            "cpu.cfs_burst_us"
        };
        p.set(file, b.to_string(), "cpu.burst");
    }
    if let Some(rt) = c.realtime_period {
        p.set("cpu.rt_period_us", rt.to_string(), "cpu.realtimePeriod");
    }
    if let Some(rt) = c.realtime_runtime {
        p.set("cpu.rt_runtime_us", rt.to_string(), "cpu.realtimeRuntime");
    }
    if let Some(cpus) = c.cpus.as_deref().filter(|s| !s.is_empty()) {
        p.set("cpuset.cpus", cpus, "cpu.cpus");
    }
    if let Some(mems) = c.mems.as_deref().filter(|s| !s.is_empty()) {
        p.set("cpuset.mems", mems, "cpu.mems");
    }
    if let Some(idle) = c.idle {
        p.set("cpu.idle", idle.to_string(), "cpu.idle");
    }
}
