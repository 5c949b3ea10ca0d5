//! `linux.resources` written to the container's cgroups on v1, v2 and hybrid hosts: devices
//! (v1 allow/deny lists, with runc's always-allowed defaults), memory, cpu, cpuset, pids, and
//! v2 `unified` keys. Anything the host cannot honour, or carrack does not apply yet, is an
//! error naming the field, never silently ignored. Also the stats `events --stats` reports.

use std::fs;
use std::path::{Path, PathBuf};

use carrack_spec::runtime::{DeviceCgroup, Resources};
use serde_json::{Value, json};

/// Where each controller's files are for this container.
struct Dirs<'a>(&'a [PathBuf]);

impl Dirs<'_> {
    /// The directory holding `file` (v1: the controller's hierarchy; v2: the one directory).
    fn with(&self, file: &str) -> Option<&Path> {
        self.0
            .iter()
            .find(|d| d.join(file).exists())
            .map(PathBuf::as_path)
    }
    fn write(&self, file: &str, value: &str, field: &str) -> Result<(), String> {
        let dir = self.with(file).ok_or_else(|| {
            format!("linux.resources.{field}: this host has no {file} for the container's cgroup")
        })?;
        fs::write(dir.join(file), value).map_err(|e| {
            format!(
                "linux.resources.{field}: writing {value:?} to {}: {e}",
                dir.join(file).display()
            )
        })
    }
    fn is_v2(&self) -> bool {
        crate::cgroups::is_v2_host()
    }
}

/// Device rules runc always allows after the configured ones (mknod of anything, and the
/// default devices, the console and ptys).
const ALWAYS: [&str; 11] = [
    "c *:* m",
    "b *:* m",
    "c 1:3 rwm",
    "c 1:8 rwm",
    "c 1:7 rwm",
    "c 5:0 rwm",
    "c 1:5 rwm",
    "c 1:9 rwm",
    "c 5:1 rwm",
    "c 136:* rwm",
    "c 5:2 rwm",
];

fn device_rule(d: &DeviceCgroup) -> String {
    let num = |n: Option<i64>| {
        n.filter(|n| *n >= 0)
            .map_or_else(|| "*".to_owned(), |n| n.to_string())
    };
    format!(
        "{} {}:{} {}",
        d.kind.as_deref().unwrap_or("a"),
        num(d.major),
        num(d.minor),
        d.access.as_deref().unwrap_or("rwm")
    )
}

/// Applies `r` to the cgroup directories `dirs` (created with the container).
pub(crate) fn apply(
    dirs: &[PathBuf],
    r: &Resources,
    devices: &[carrack_spec::runtime::Device],
) -> Result<(), String> {
    let d = Dirs(dirs);
    if let Some(rules) = &r.devices {
        if d.is_v2() {
            return Err(
                "linux.resources.devices: cgroup v2 device filtering (eBPF) is not implemented yet"
                    .into(),
            );
        }
        for rule in rules {
            let file = if rule.allow {
                "devices.allow"
            } else {
                "devices.deny"
            };
            d.write(file, &device_rule(rule), "devices")?;
        }
        for rule in ALWAYS {
            d.write("devices.allow", rule, "devices")?;
        }
        for dev in devices {
            let kind = match dev.kind.as_str() {
                "u" => "c",
                k => k,
            };
            let rule = format!(
                "{kind} {}:{} rwm",
                dev.major.unwrap_or(0),
                dev.minor.unwrap_or(0)
            );
            if kind != "p" {
                d.write("devices.allow", &rule, "devices")?;
            }
        }
    }
    if let Some(m) = &r.memory {
        let v2 = d.is_v2();
        let bytes = |n: i64| {
            if n < 0 {
                if v2 {
                    "max".to_owned()
                } else {
                    "-1".to_owned()
                }
            } else {
                n.to_string()
            }
        };
        if let Some(l) = m.limit {
            d.write(
                if v2 {
                    "memory.max"
                } else {
                    "memory.limit_in_bytes"
                },
                &bytes(l),
                "memory.limit",
            )?;
        }
        if let Some(s) = m.reservation {
            d.write(
                if v2 {
                    "memory.low"
                } else {
                    "memory.soft_limit_in_bytes"
                },
                &bytes(s),
                "memory.reservation",
            )?;
        }
        if let Some(s) = m.swap {
            if v2 {
                let swap = match (s, m.limit) {
                    (s, _) if s < 0 => "max".to_owned(),
                    (s, Some(l)) if l >= 0 => (s - l).max(0).to_string(),
                    (s, _) => s.to_string(),
                };
                d.write("memory.swap.max", &swap, "memory.swap")?;
            } else {
                d.write("memory.memsw.limit_in_bytes", &bytes(s), "memory.swap")?;
            }
        }
        if let Some(s) = m.swappiness {
            if v2 {
                return Err("linux.resources.memory.swappiness: not available on cgroup v2".into());
            }
            d.write("memory.swappiness", &s.to_string(), "memory.swappiness")?;
        }
        if m.disable_oom_killer == Some(true) {
            if v2 {
                return Err(
                    "linux.resources.memory.disableOOMKiller: not available on cgroup v2".into(),
                );
            }
            d.write("memory.oom_control", "1", "memory.disableOOMKiller")?;
        }
        if m.kernel.is_some() || m.kernel_tcp.is_some() {
            return Err("linux.resources.memory.kernel/kernelTCP: kernel memory limits are not supported (deprecated by the kernel)".into());
        }
        if m.use_hierarchy == Some(true) && !v2 {
            d.write("memory.use_hierarchy", "1", "memory.useHierarchy")?;
        }
    }
    if let Some(c) = &r.cpu {
        let v2 = d.is_v2();
        if let Some(s) = c.shares.filter(|s| *s > 0) {
            if v2 {
                let weight = 1 + ((s.clamp(2, 262_144) - 2) * 9999) / 262_142;
                d.write("cpu.weight", &weight.to_string(), "cpu.shares")?;
            } else {
                d.write("cpu.shares", &s.to_string(), "cpu.shares")?;
            }
        }
        if c.quota.is_some() || c.period.is_some() {
            if v2 {
                let quota = c
                    .quota
                    .filter(|q| *q > 0)
                    .map_or_else(|| "max".to_owned(), |q| q.to_string());
                let period = c.period.unwrap_or(100_000);
                d.write("cpu.max", &format!("{quota} {period}"), "cpu.quota")?;
            } else {
                if let Some(p) = c.period {
                    d.write("cpu.cfs_period_us", &p.to_string(), "cpu.period")?;
                }
                if let Some(q) = c.quota {
                    d.write("cpu.cfs_quota_us", &q.to_string(), "cpu.quota")?;
                }
            }
        }
        if let Some(b) = c.burst {
            d.write(
                if v2 {
                    "cpu.max.burst"
                } else {
                    "cpu.cfs_burst_us"
                },
                &b.to_string(),
                "cpu.burst",
            )?;
        }
        if let Some(rt) = c.realtime_period {
            d.write("cpu.rt_period_us", &rt.to_string(), "cpu.realtimePeriod")?;
        }
        if let Some(rt) = c.realtime_runtime {
            d.write("cpu.rt_runtime_us", &rt.to_string(), "cpu.realtimeRuntime")?;
        }
        if let Some(cpus) = c.cpus.as_deref().filter(|s| !s.is_empty()) {
            d.write("cpuset.cpus", cpus, "cpu.cpus")?;
        }
        if let Some(mems) = c.mems.as_deref().filter(|s| !s.is_empty()) {
            d.write("cpuset.mems", mems, "cpu.mems")?;
        }
        if let Some(idle) = c.idle {
            d.write("cpu.idle", &idle.to_string(), "cpu.idle")?;
        }
    }
    if let Some(p) = &r.pids {
        let v = if p.limit <= 0 {
            "max".to_owned()
        } else {
            p.limit.to_string()
        };
        d.write("pids.max", &v, "pids.limit")?;
    }
    if let Some(u) = &r.unified {
        if !d.is_v2() {
            return Err(
                "linux.resources.unified: cgroup v2 keys on a v1 host (config-linux.md § Unified)"
                    .into(),
            );
        }
        for (k, v) in u {
            if k.contains('/') || k.starts_with('.') {
                return Err(format!(
                    "linux.resources.unified: {k:?} is not a cgroup file name"
                ));
            }
            d.write(k, v, &format!("unified.{k}"))?;
        }
    }
    for (present, field) in [
        (r.block_io.is_some(), "blockIO"),
        (
            r.hugepage_limits.as_ref().is_some_and(|h| !h.is_empty()),
            "hugepageLimits",
        ),
        (r.network.is_some(), "network"),
        (r.rdma.as_ref().is_some_and(|m| !m.is_empty()), "rdma"),
    ] {
        if present {
            return Err(format!(
                "linux.resources.{field}: not implemented by carrack yet"
            ));
        }
    }
    Ok(())
}

fn read_u64(d: &Dirs<'_>, file: &str) -> Option<u64> {
    let dir = d.with(file)?;
    fs::read_to_string(dir.join(file)).ok()?.trim().parse().ok()
}

/// Stats in runc's `events --stats` shape (the fields this host exposes).
pub(crate) fn stats(dirs: &[PathBuf]) -> Value {
    let d = Dirs(dirs);
    let v2 = d.is_v2();
    let mut out = serde_json::Map::new();
    let cpu_total = if v2 {
        d.with("cpu.stat").and_then(|dir| {
            fs::read_to_string(dir.join("cpu.stat")).ok().and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("usage_usec "))
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(|us| us * 1000)
            })
        })
    } else {
        read_u64(&d, "cpuacct.usage")
    };
    if let Some(total) = cpu_total {
        out.insert("cpu".into(), json!({"usage": {"total": total}}));
    }
    let (usage, limit, max) = if v2 {
        (
            read_u64(&d, "memory.current"),
            read_u64(&d, "memory.max"),
            read_u64(&d, "memory.peak"),
        )
    } else {
        (
            read_u64(&d, "memory.usage_in_bytes"),
            read_u64(&d, "memory.limit_in_bytes"),
            read_u64(&d, "memory.max_usage_in_bytes"),
        )
    };
    if let Some(u) = usage {
        out.insert(
            "memory".into(),
            json!({"usage": {"usage": u, "limit": limit.unwrap_or(u64::MAX), "max": max.unwrap_or(0)}}),
        );
    }
    if let Some(c) = read_u64(&d, "pids.current") {
        let limit = d
            .with("pids.max")
            .and_then(|dir| fs::read_to_string(dir.join("pids.max")).ok())
            .and_then(|s| s.trim().parse::<u64>().ok())
            .unwrap_or(0);
        out.insert("pids".into(), json!({"current": c, "limit": limit}));
    }
    Value::Object(out)
}

/// How many processes the kernel's OOM killer has killed in the container's memory cgroup
/// (`oom_kill` of memory.events on v2, of memory.oom_control on v1); `None` without one.
pub(crate) fn oom_kills(dirs: &[PathBuf]) -> Option<u64> {
    let d = Dirs(dirs);
    let file = if d.is_v2() {
        "memory.events"
    } else {
        "memory.oom_control"
    };
    let dir = d.with(file)?;
    fs::read_to_string(dir.join(file))
        .ok()?
        .lines()
        .find_map(|l| {
            l.strip_prefix("oom_kill ")
                .and_then(|v| v.trim().parse().ok())
        })
}
