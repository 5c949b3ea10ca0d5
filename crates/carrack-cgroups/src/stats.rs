//! The container's statistics as [`carrack_platform::Stats`] (runc's `events --stats` shape),
//! read from its cgroup v1 or v2 files, and the OOM-kill counter `events` watches.

use std::path::PathBuf;

use carrack_platform::{BlkioEntry, Hugetlb, MemoryEntry, Stats};

use crate::resources::{Dirs, Host};

/// `key value` lines (cpu.stat, memory.stat, memory.events, ...) as pairs.
pub(crate) fn flat_keyed(text: &str) -> impl Iterator<Item = (&str, u64)> {
    text.lines().filter_map(|l| {
        let (k, v) = l.split_once(' ')?;
        Some((k, v.trim().parse().ok()?))
    })
}

/// A number, or `max` as `u64::MAX` (v2's "no limit").
fn number_or_max(text: &str) -> Option<u64> {
    match text.trim() {
        "max" => Some(u64::MAX),
        t => t.parse().ok(),
    }
}

/// A cpuset list (`0-3,7`) as the numbers it names.
pub(crate) fn cpu_list(text: &str) -> Vec<u16> {
    let mut out = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(a), Ok(b)) = (a.trim().parse::<u16>(), b.trim().parse::<u16>()) {
            out.extend(a..=b);
        }
    }
    out
}

/// v2's io.stat (`8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...`) as runc reports it: bytes and
/// operations, read and write, per device.
pub(crate) fn io_stat(text: &str) -> (Vec<BlkioEntry>, Vec<BlkioEntry>) {
    let (mut bytes, mut ios) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let mut it = line.split_whitespace();
        let Some((major, minor)) = it.next().and_then(|d| d.split_once(':')) else {
            continue;
        };
        let (Ok(major), Ok(minor)) = (major.parse(), minor.parse()) else {
            continue;
        };
        for kv in it {
            let Some((k, v)) = kv.split_once('=') else {
                continue;
            };
            let Ok(value) = v.parse() else { continue };
            let (list, op) = match k {
                "rbytes" => (&mut bytes, "Read"),
                "wbytes" => (&mut bytes, "Write"),
                "rios" => (&mut ios, "Read"),
                "wios" => (&mut ios, "Write"),
                _ => continue,
            };
            list.push(BlkioEntry {
                major,
                minor,
                op: op.into(),
                value,
            });
        }
    }
    (bytes, ios)
}

/// v1's blkio files (`8:0 Read 4096` lines, and a `Total` line).
pub(crate) fn blkio_v1(text: &str) -> Vec<BlkioEntry> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let [dev, op, value] = f[..] else {
                return None;
            };
            let (major, minor) = dev.split_once(':')?;
            Some(BlkioEntry {
                major: major.parse().ok()?,
                minor: minor.parse().ok()?,
                op: op.to_owned(),
                value: value.parse().ok()?,
            })
        })
        .collect()
}

/// The statistics of the cgroup directories `dirs` (the figures this host exposes; the others
/// stay zero).
///
/// ```no_run
/// let dirs = [std::path::PathBuf::from("/sys/fs/cgroup/carrack/web")];
/// let s = carrack_cgroups::stats(&dirs);
/// println!("{} bytes, {} processes", s.memory.usage.usage, s.pids.current);
/// ```
pub fn stats(dirs: &[PathBuf]) -> Stats {
    read_stats(&Dirs::new(dirs))
}

fn read_stats(d: &Dirs<'_>) -> Stats {
    let mut s = Stats::default();
    let num = |f: &str| d.read(f).and_then(|t| number_or_max(&t));
    if d.v2() {
        v2(d, &mut s);
    } else {
        v1(d, &mut s);
    }
    if let Some(cpus) = d
        .read("cpuset.cpus.effective")
        .or_else(|| d.read("cpuset.cpus"))
    {
        s.cpuset.cpus = cpu_list(&cpus);
    }
    if let Some(mems) = d
        .read("cpuset.mems.effective")
        .or_else(|| d.read("cpuset.mems"))
    {
        s.cpuset.mems = cpu_list(&mems);
    }
    s.pids.current = num("pids.current").unwrap_or(0);
    // runc reports no limit as 0.
    s.pids.limit = num("pids.max").filter(|m| *m != u64::MAX).unwrap_or(0);
    s
}

fn v1(d: &Dirs<'_>, s: &mut Stats) {
    let num = |f: &str| d.read(f).and_then(|t| number_or_max(&t));
    s.cpu.usage.total = num("cpuacct.usage").unwrap_or(0);
    let list = |f: &str| -> Vec<u64> {
        d.read(f)
            .map(|t| {
                t.split_whitespace()
                    .filter_map(|v| v.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    s.cpu.usage.percpu = list("cpuacct.usage_percpu");
    s.cpu.usage.percpu_kernel = list("cpuacct.usage_percpu_sys");
    s.cpu.usage.percpu_user = list("cpuacct.usage_percpu_user");
    if let Some(t) = d.read("cpuacct.stat") {
        // In USER_HZ ticks, which the kernel fixes at 100 a second for user space.
        const NS_PER_TICK: u64 = 1_000_000_000 / 100;
        for (k, v) in flat_keyed(&t) {
            match k {
                "user" => s.cpu.usage.user = v * NS_PER_TICK,
                "system" => s.cpu.usage.kernel = v * NS_PER_TICK,
                _ => {}
            }
        }
    }
    if let Some(t) = d.read("cpu.stat") {
        for (k, v) in flat_keyed(&t) {
            match k {
                "nr_periods" => s.cpu.throttling.periods = v,
                "nr_throttled" => s.cpu.throttling.throttled_periods = v,
                "throttled_time" => s.cpu.throttling.throttled_time = v,
                _ => {}
            }
        }
    }
    let entry = |prefix: &str| MemoryEntry {
        limit: num(&format!("{prefix}limit_in_bytes")).unwrap_or(0),
        usage: num(&format!("{prefix}usage_in_bytes")).unwrap_or(0),
        max: num(&format!("{prefix}max_usage_in_bytes")).unwrap_or(0),
        failcnt: num(&format!("{prefix}failcnt")).unwrap_or(0),
    };
    if d.has("memory.usage_in_bytes") {
        s.memory.usage = entry("memory.");
        s.memory.usage.limit = num("memory.limit_in_bytes").unwrap_or(u64::MAX);
        s.memory.swap = entry("memory.memsw.");
        s.memory.kernel = entry("memory.kmem.");
        s.memory.kernel_tcp = entry("memory.kmem.tcp.");
    }
    if let Some(t) = d.read("memory.stat") {
        s.memory.raw = flat_keyed(&t).map(|(k, v)| (k.to_owned(), v)).collect();
        s.memory.cache = s.memory.raw.get("cache").copied().unwrap_or(0);
    }
    let files = [
        "cpu_exclusive",
        "mem_hardwall",
        "mem_exclusive",
        "memory_migrate",
        "memory_spread_page",
        "memory_spread_slab",
        "memory_pressure",
        "sched_load_balance",
    ];
    for f in files {
        let v = num(&format!("cpuset.{f}")).unwrap_or(0);
        let c = &mut s.cpuset;
        *match f {
            "cpu_exclusive" => &mut c.cpu_exclusive,
            "mem_hardwall" => &mut c.mem_hardwall,
            "mem_exclusive" => &mut c.mem_exclusive,
            "memory_migrate" => &mut c.memory_migrate,
            "memory_spread_page" => &mut c.memory_spread_page,
            "memory_spread_slab" => &mut c.memory_spread_slab,
            "memory_pressure" => &mut c.memory_pressure,
            _ => &mut c.sched_load_balance,
        } = v;
    }
    if let Some(v) = d
        .read("cpuset.sched_relax_domain_level")
        .and_then(|t| t.trim().parse().ok())
    {
        s.cpuset.sched_relax_domain_level = v;
    }
    let blkio = |f: &str| d.read(f).map(|t| blkio_v1(&t)).unwrap_or_default();
    s.blkio.io_service_bytes_recursive = blkio("blkio.throttle.io_service_bytes_recursive");
    s.blkio.io_serviced_recursive = blkio("blkio.throttle.io_serviced_recursive");
    for size in hugepage_sizes() {
        let f = |what: &str| num(&format!("hugetlb.{size}.{what}"));
        if let Some(usage) = f("usage_in_bytes") {
            let h = Hugetlb {
                usage,
                max: f("max_usage_in_bytes").unwrap_or(0),
                failcnt: f("failcnt").unwrap_or(0),
            };
            s.hugetlb.insert(size, h);
        }
    }
}

fn v2(d: &Dirs<'_>, s: &mut Stats) {
    let num = |f: &str| d.read(f).and_then(|t| number_or_max(&t));
    if let Some(t) = d.read("cpu.stat") {
        for (k, v) in flat_keyed(&t) {
            match k {
                "usage_usec" => s.cpu.usage.total = v * 1000,
                "user_usec" => s.cpu.usage.user = v * 1000,
                "system_usec" => s.cpu.usage.kernel = v * 1000,
                "nr_periods" => s.cpu.throttling.periods = v,
                "nr_throttled" => s.cpu.throttling.throttled_periods = v,
                "throttled_usec" => s.cpu.throttling.throttled_time = v * 1000,
                _ => {}
            }
        }
    }
    if let Some(usage) = num("memory.current") {
        s.memory.usage = MemoryEntry {
            limit: num("memory.max").unwrap_or(u64::MAX),
            usage,
            max: num("memory.peak").unwrap_or(0),
            failcnt: 0,
        };
        // As runc: swap is memory + swap, as v1's memsw.
        if let Some(swap) = num("memory.swap.current") {
            s.memory.swap = MemoryEntry {
                limit: num("memory.swap.max")
                    .unwrap_or(u64::MAX)
                    .saturating_add(s.memory.usage.limit),
                usage: swap + usage,
                max: 0,
                failcnt: 0,
            };
        }
    }
    if let Some(t) = d.read("memory.events") {
        s.memory.usage.failcnt = flat_keyed(&t)
            .find(|(k, _)| *k == "max")
            .map_or(0, |(_, v)| v);
    }
    if let Some(t) = d.read("memory.stat") {
        s.memory.raw = flat_keyed(&t).map(|(k, v)| (k.to_owned(), v)).collect();
        s.memory.cache = s.memory.raw.get("file").copied().unwrap_or(0);
    }
    if let Some(t) = d.read("io.stat") {
        let (bytes, ios) = io_stat(&t);
        s.blkio.io_service_bytes_recursive = bytes;
        s.blkio.io_serviced_recursive = ios;
    }
    for size in hugepage_sizes() {
        let f = |what: &str| num(&format!("hugetlb.{size}.{what}"));
        if let Some(usage) = f("current") {
            let failcnt = d
                .read(&format!("hugetlb.{size}.events"))
                .and_then(|t| flat_keyed(&t).find(|(k, _)| *k == "max").map(|(_, v)| v))
                .unwrap_or(0);
            s.hugetlb.insert(
                size,
                Hugetlb {
                    usage,
                    max: 0,
                    failcnt,
                },
            );
        }
    }
}

/// The huge page sizes of the host, named as the hugetlb controller names them (`2MB`, `1GB`).
fn hugepage_sizes() -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/sys/kernel/mm/hugepages") else {
        return Vec::new();
    };
    let mut out: Vec<String> = dir
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let kb: u64 = name
                .strip_prefix("hugepages-")?
                .strip_suffix("kB")?
                .parse()
                .ok()?;
            Some(page_size_name(kb))
        })
        .collect();
    out.sort();
    out
}

/// `2048` (kB) as `2MB`, `1048576` as `1GB`, `64` as `64KB`.
pub(crate) fn page_size_name(kb: u64) -> String {
    if kb >= 1 << 20 && kb.is_multiple_of(1 << 20) {
        format!("{}GB", kb >> 20)
    } else if kb >= 1 << 10 && kb.is_multiple_of(1 << 10) {
        format!("{}MB", kb >> 10)
    } else {
        format!("{kb}KB")
    }
}

/// How many processes the kernel's OOM killer has killed in the container's memory cgroup
/// (`oom_kill` of memory.events on v2, of memory.oom_control on v1); `None` without one.
///
/// ```no_run
/// let dirs = [std::path::PathBuf::from("/sys/fs/cgroup/carrack/web")];
/// if let Some(kills) = carrack_cgroups::oom_kills(&dirs) {
///     println!("{kills} OOM kills");
/// }
/// ```
pub fn oom_kills(dirs: &[PathBuf]) -> Option<u64> {
    let d = Dirs::new(dirs);
    let file = if d.v2() {
        "memory.events"
    } else {
        "memory.oom_control"
    };
    oom_kill_count(&d.read(file)?)
}

/// The `oom_kill` counter of memory.events or memory.oom_control text.
pub(crate) fn oom_kill_count(text: &str) -> Option<u64> {
    flat_keyed(text)
        .find(|(k, _)| *k == "oom_kill")
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers_read_the_kernels_formats() {
        assert_eq!(cpu_list("0-3,7\n"), [0, 1, 2, 3, 7]);
        assert_eq!(cpu_list(""), Vec::<u16>::new());
        assert_eq!(number_or_max("max\n"), Some(u64::MAX));
        assert_eq!(number_or_max("42\n"), Some(42));
        let (bytes, ios) = io_stat("8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n");
        assert_eq!(bytes.len(), 2);
        assert_eq!(
            (bytes[0].major, bytes[0].op.as_str(), bytes[0].value),
            (8, "Read", 4096)
        );
        assert_eq!((ios[0].minor, ios[0].value), (0, 1));
        let v1 = blkio_v1("8:0 Read 512\n8:0 Write 0\nTotal 512\n");
        assert_eq!(v1.len(), 2);
        assert_eq!(v1[0].op, "Read");
        assert_eq!(
            oom_kill_count("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"),
            Some(3)
        );
        assert_eq!(oom_kill_count("low 0\nhigh 0\nmax 2\noom 1\n"), None);
        assert_eq!(page_size_name(2048), "2MB");
        assert_eq!(page_size_name(1 << 20), "1GB");
        assert_eq!(page_size_name(64), "64KB");
    }

    #[test]
    fn v1_files_fill_runcs_fields() {
        let t = tempfile::tempdir().expect("tmp");
        let w = |f: &str, v: &str| std::fs::write(t.path().join(f), v).expect("w");
        w("memory.usage_in_bytes", "2768896\n");
        w("memory.limit_in_bytes", "99999744\n");
        w("memory.max_usage_in_bytes", "2772992\n");
        w("memory.failcnt", "0\n");
        w("memory.stat", "cache 5\nrss 7\n");
        w("pids.current", "5\n");
        w("pids.max", "max\n");
        w("cpuacct.usage", "6565813\n");
        w("cpuacct.usage_percpu", "5648536 917277 \n");
        w("cpuacct.usage_percpu_sys", "0 0\n");
        w("cpuacct.stat", "user 3\nsystem 1\n");
        w(
            "memory.oom_control",
            "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
        );
        let dirs = [t.path().to_path_buf()];
        let s = read_stats(&Dirs::of_version(&dirs, false));
        assert_eq!(s.memory.usage.usage, 2768896);
        assert_eq!(s.memory.usage.limit, 99999744);
        assert_eq!(s.memory.usage.max, 2772992);
        assert_eq!((s.memory.cache, s.memory.raw.len()), (5, 2));
        assert_eq!((s.pids.current, s.pids.limit), (5, 0));
        assert_eq!(s.cpu.usage.percpu, [5648536, 917277]);
        assert_eq!(s.cpu.usage.percpu_kernel, [0, 0]);
        assert!(s.cpu.usage.percpu_user.is_empty());
        assert_eq!(
            (s.cpu.usage.user, s.cpu.usage.kernel),
            (30_000_000, 10_000_000)
        );
        let d = Dirs::of_version(&dirs, false);
        assert_eq!(
            d.read("memory.oom_control")
                .as_deref()
                .and_then(oom_kill_count),
            Some(1)
        );
    }

    #[test]
    fn v2_files_fill_runcs_fields() {
        let t = tempfile::tempdir().expect("tmp");
        let w = |f: &str, v: &str| std::fs::write(t.path().join(f), v).expect("w");
        w(
            "cpu.stat",
            "usage_usec 10\nuser_usec 6\nsystem_usec 4\nnr_periods 3\nnr_throttled 1\nthrottled_usec 2\n",
        );
        w("memory.current", "4096\n");
        w("memory.max", "max\n");
        w("memory.swap.current", "0\n");
        w("memory.swap.max", "0\n");
        w("memory.stat", "anon 1\nfile 9\n");
        w("memory.events", "low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n");
        w("pids.current", "1\n");
        w("pids.max", "10\n");
        w("io.stat", "8:0 rbytes=4096 wbytes=0 rios=1 wios=0\n");
        let dirs = [t.path().to_path_buf()];
        let s = read_stats(&Dirs::of_version(&dirs, true));
        assert_eq!(
            (s.cpu.usage.total, s.cpu.usage.user, s.cpu.usage.kernel),
            (10_000, 6_000, 4_000)
        );
        assert_eq!(
            (s.cpu.throttling.periods, s.cpu.throttling.throttled_time),
            (3, 2_000)
        );
        assert_eq!(
            (
                s.memory.usage.usage,
                s.memory.usage.limit,
                s.memory.usage.failcnt
            ),
            (4096, u64::MAX, 2)
        );
        assert_eq!((s.memory.swap.usage, s.memory.cache), (4096, 9));
        assert_eq!((s.pids.current, s.pids.limit), (1, 10));
        assert_eq!(s.blkio.io_serviced_recursive.len(), 2);
    }
}
