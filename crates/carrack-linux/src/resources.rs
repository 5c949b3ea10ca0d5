//! `linux.resources` written to the container's cgroups on v1, v2 and hybrid hosts: devices
//! (v1 allow/deny lists, with runc's always-allowed defaults), memory, cpu, cpuset, pids,
//! blockIO (blkio or io), hugepage limits (v1 hugetlb or the cgroup2 one), network (net_cls,
//! net_prio), rdma, and v2 `unified` keys. Anything the host cannot honour, or carrack does not apply yet, is an
//! error naming the field, never silently ignored. Also the stats `events --stats` reports.

use std::fs;
use std::path::{Path, PathBuf};

use carrack_spec::runtime::{DeviceCgroup, Resources};

use crate::device_filter::Rule;
use serde_json::{Value, json};

/// Where each controller's files are for this container.
struct Dirs<'a> {
    dirs: &'a [PathBuf],
    /// Files already looked for, and the index of the directory holding each.
    found: std::cell::RefCell<Vec<(String, Option<usize>)>>,
}

impl<'a> Dirs<'a> {
    fn new(dirs: &'a [PathBuf]) -> Self {
        Dirs {
            dirs,
            found: std::cell::RefCell::default(),
        }
    }

    /// The directory holding `file` (v1: the controller's hierarchy; v2: the one directory),
    /// looked for once.
    fn with(&self, file: &str) -> Option<&'a Path> {
        let known = self
            .found
            .borrow()
            .iter()
            .find(|(f, _)| f == file)
            .map(|(_, at)| *at);
        let at = known.unwrap_or_else(|| {
            let at = self.dirs.iter().position(|d| d.join(file).exists());
            self.found.borrow_mut().push((file.to_owned(), at));
            at
        });
        at.map(|i| self.dirs[i].as_path())
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

/// The device rules in force: the configured ones, then runc's always-allowed ones, then the
/// config's devices; written to v1's devices controller, or on cgroup v2 compiled into an eBPF
/// program attached to the container's cgroup.
fn device_rules(
    d: &Dirs<'_>,
    rules: &[DeviceCgroup],
    devices: &[carrack_spec::runtime::Device],
) -> Result<(), String> {
    let mut all = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        all.push(
            Rule::new(
                r.allow,
                r.kind.as_deref(),
                r.major,
                r.minor,
                r.access.as_deref(),
            )
            .map_err(|e| format!("linux.resources.devices[{i}]: {e}"))?,
        );
    }
    for line in ALWAYS {
        all.push(Rule::parse(true, line)?);
    }
    for (i, dev) in devices.iter().enumerate() {
        let kind = match dev.kind.as_str() {
            "u" => "c",
            "p" => continue,
            k => k,
        };
        all.push(
            Rule::new(true, Some(kind), dev.major, dev.minor, Some("rwm"))
                .map_err(|e| format!("linux.devices[{i}]: {e}"))?,
        );
    }
    if let Some(dir) = d.with("devices.allow") {
        // One descriptor per file, one write per rule (the controller takes a rule a write).
        let mut allow = None;
        let mut deny = None;
        for r in &all {
            let (file, slot) = if r.allow {
                ("devices.allow", &mut allow)
            } else {
                ("devices.deny", &mut deny)
            };
            let path = dir.join(file);
            let fail = |e: std::io::Error| {
                format!(
                    "linux.resources.devices: writing {:?} to {}: {e}",
                    r.v1_line(),
                    path.display()
                )
            };
            if slot.is_none() {
                *slot = Some(
                    fs::OpenOptions::new()
                        .write(true)
                        .open(&path)
                        .map_err(fail)?,
                );
            }
            if let Some(f) = slot {
                std::io::Write::write_all(f, r.v1_line().as_bytes()).map_err(fail)?;
            }
        }
        return Ok(());
    }
    let Some(dir) = d.with("cgroup.controllers") else {
        return Err(
            "linux.resources.devices: this host has neither a v1 devices controller \
                    nor cgroup v2 for the container"
                .into(),
        );
    };
    crate::device_filter::attach(dir, &all).map_err(|e| {
        format!(
            "linux.resources.devices: attaching the eBPF device program to {}: {e}",
            dir.display()
        )
    })
}

/// Applies `r` to the cgroup directories `dirs` (created with the container).
pub(crate) fn apply(
    dirs: &[PathBuf],
    r: &Resources,
    devices: &[carrack_spec::runtime::Device],
) -> Result<(), String> {
    let d = Dirs::new(dirs);
    if let Some(rules) = &r.devices {
        device_rules(&d, rules, devices)?;
    }
    limits(&d, r)
}

/// `linux.resources` but the device rules, which `create` writes only once init has made its
/// device nodes (on cgroup v1 the rules are written one line at a time, and between the
/// "deny all" and the allow lines no mknod would pass).
pub(crate) fn apply_limits(dirs: &[PathBuf], r: &Resources) -> Result<(), String> {
    limits(&Dirs::new(dirs), r)
}

/// The device rules of `r` alone (see [`apply_limits`]).
pub(crate) fn apply_devices(
    dirs: &[PathBuf],
    r: &Resources,
    devices: &[carrack_spec::runtime::Device],
) -> Result<(), String> {
    match &r.devices {
        Some(rules) => device_rules(&Dirs::new(dirs), rules, devices),
        None => Ok(()),
    }
}

fn limits(d: &Dirs, r: &Resources) -> Result<(), String> {
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
        if let Some(l) = m.limit
            && l >= 0
            && m.check_before_update == Some(true)
        {
            let usage = read_u64(
                d,
                if v2 {
                    "memory.current"
                } else {
                    "memory.usage_in_bytes"
                },
            )
            .unwrap_or(0);
            if u64::try_from(l).unwrap_or(0) < usage {
                return Err(format!(
                    "linux.resources.memory.limit: {l} is below the current usage {usage} \
                     (checkBeforeUpdate)"
                ));
            }
        }
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
        if m.kernel.is_some() {
            // Kernel memory limits are gone from the kernel (5.16; on later v1 kernels the
            // file takes writes and does nothing) and NOT RECOMMENDED in the spec: ignored with
            // a warning, as runc does.
            log::warn!(
                "linux.resources.memory.kernel: ignored (kernel memory limits were removed from \
                 Linux in 5.16; config-linux.md marks the field NOT RECOMMENDED)"
            );
        }
        if let Some(t) = m.kernel_tcp {
            if v2 {
                return Err(
                    "linux.resources.memory.kernelTCP: not available on cgroup v2 \
                            (tcp memory is part of memory.max there)"
                        .into(),
                );
            }
            d.write(
                "memory.kmem.tcp.limit_in_bytes",
                &bytes(t),
                "memory.kernelTCP",
            )?;
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
    if let Some(b) = &r.block_io {
        block_io(d, b)?;
    }
    for (i, h) in r.hugepage_limits.iter().flatten().enumerate() {
        let field = format!("hugepageLimits[{i}]");
        let size = &h.page_size;
        if size.is_empty() || !size.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!(
                "linux.resources.{field}.pageSize: {size:?} is not a page size like 2MB"
            ));
        }
        // v1 hugetlb hierarchy, else the cgroup2 one (on hybrid hosts hugetlb often lives there).
        let v1 = format!("hugetlb.{size}.limit_in_bytes");
        let v2 = format!("hugetlb.{size}.max");
        let file = if d.with(&v1).is_some() { v1 } else { v2 };
        d.write(&file, &h.limit.to_string(), &field)?;
    }
    if let Some(n) = &r.network {
        if d.is_v2() {
            return Err(
                "linux.resources.network: net_cls and net_prio exist only on cgroup v1 \
                        (config-linux.md § Network)"
                    .into(),
            );
        }
        if let Some(id) = n.class_id {
            d.write("net_cls.classid", &id.to_string(), "network.classID")?;
        }
        for (i, p) in n.priorities.iter().flatten().enumerate() {
            d.write(
                "net_prio.ifpriomap",
                &format!("{} {}", p.name, p.priority),
                &format!("network.priorities[{i}]"),
            )?;
        }
    }
    for (dev, limit) in r.rdma.iter().flatten() {
        let mut v = dev.clone();
        if let Some(h) = limit.hca_handles {
            v.push_str(&format!(" hca_handle={h}"));
        }
        if let Some(o) = limit.hca_objects {
            v.push_str(&format!(" hca_object={o}"));
        }
        if v != *dev {
            d.write("rdma.max", &v, &format!("rdma.{dev}"))?;
        }
    }
    Ok(())
}

/// blkio (v1) or io (v2). v1 weights go to `blkio.weight`, or BFQ's `blkio.bfq.weight` where the
/// kernel only has that (as runc does); v2 weights are converted from the 10..1000 blkio scale
/// to io's 1..10000.
fn block_io(d: &Dirs<'_>, b: &carrack_spec::runtime::BlockIo) -> Result<(), String> {
    let v2 = d.is_v2();
    let first = |names: &[&'static str]| names.iter().copied().find(|f| d.with(f).is_some());
    let to_v2 = |w: u16| 1 + (u64::from(w.clamp(10, 1000)) - 10) * 9999 / 990;
    // One weight: `dev` is None for the cgroup's default, `maj:min` for one device.
    let weight = |dev: Option<&str>, w: u16, field: &str| -> Result<(), String> {
        let line = |x: String| dev.map_or_else(|| x.clone(), |d| format!("{d} {x}"));
        if v2 {
            if first(&["io.bfq.weight", "io.weight"]) == Some("io.bfq.weight") {
                d.write("io.bfq.weight", &line(w.to_string()), field)
            } else {
                let key = dev.unwrap_or("default");
                d.write("io.weight", &format!("{key} {}", to_v2(w)), field)
            }
        } else {
            let files = if dev.is_some() {
                ["blkio.weight_device", "blkio.bfq.weight_device"]
            } else {
                ["blkio.weight", "blkio.bfq.weight"]
            };
            let file = first(&files).unwrap_or(files[0]);
            d.write(file, &line(w.to_string()), field)
        }
    };
    // 0 is "not set": docker writes `"weight": 0` into every config, and runc skips it (the
    // kernel would refuse it).
    if let Some(w) = b.weight.filter(|w| *w != 0) {
        weight(None, w, "blockIO.weight")?;
    }
    if let Some(w) = b.leaf_weight.filter(|w| *w != 0) {
        if v2 {
            return Err("linux.resources.blockIO.leafWeight: not available on cgroup v2".into());
        }
        d.write("blkio.leaf_weight", &w.to_string(), "blockIO.leafWeight")?;
    }
    for (i, wd) in b.weight_device.iter().flatten().enumerate() {
        let field = format!("blockIO.weightDevice[{i}]");
        let dev = format!("{}:{}", wd.major, wd.minor);
        if let Some(w) = wd.weight.filter(|w| *w != 0) {
            weight(Some(&dev), w, &field)?;
        }
        if let Some(w) = wd.leaf_weight.filter(|w| *w != 0) {
            if v2 {
                return Err(format!(
                    "linux.resources.{field}.leafWeight: not available on cgroup v2"
                ));
            }
            d.write("blkio.leaf_weight_device", &format!("{dev} {w}"), &field)?;
        }
    }
    let throttles = [
        (
            &b.throttle_read_bps_device,
            "read_bps_device",
            "rbps",
            "throttleReadBpsDevice",
        ),
        (
            &b.throttle_write_bps_device,
            "write_bps_device",
            "wbps",
            "throttleWriteBpsDevice",
        ),
        (
            &b.throttle_read_iops_device,
            "read_iops_device",
            "riops",
            "throttleReadIOPSDevice",
        ),
        (
            &b.throttle_write_iops_device,
            "write_iops_device",
            "wiops",
            "throttleWriteIOPSDevice",
        ),
    ];
    for (list, v1_file, v2_key, name) in throttles {
        for (i, t) in list.iter().flatten().enumerate() {
            let field = format!("blockIO.{name}[{i}]");
            let rate = t.rate.unwrap_or(0);
            let dev = format!("{}:{}", t.major, t.minor);
            if v2 {
                let rate = if rate == 0 {
                    "max".to_owned()
                } else {
                    rate.to_string()
                };
                d.write("io.max", &format!("{dev} {v2_key}={rate}"), &field)?;
            } else {
                d.write(
                    &format!("blkio.throttle.{v1_file}"),
                    &format!("{dev} {rate}"),
                    &field,
                )?;
            }
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
    let d = Dirs::new(dirs);
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
    let d = Dirs::new(dirs);
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
