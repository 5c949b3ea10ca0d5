//! The `Stats` JSON against runc's.

use super::*;
use serde_json::{Value, json};

/// `runc events --stats` (runc 1.1.5, a busybox container with a memory and a pids limit,
/// cgroup v1 host), its `data` field verbatim.
const RUNC: &str = r#"{"cpu":{"usage":{"total":6565813,"percpu":[5648536,917277],
"percpu_kernel":[0,0],"percpu_user":[0,0],"kernel":0,"user":0},"throttling":{}},
"cpuset":{"cpus":[0,1],"cpu_exclusive":0,"mems":[0],"mem_hardwall":0,"mem_exclusive":0,
"memory_migrate":0,"memory_spread_page":0,"memory_spread_slab":0,"memory_pressure":0,
"sched_load_balance":1,"sched_relax_domain_level":-1},
"memory":{"usage":{"limit":99999744,"usage":2768896,"max":2772992,"failcnt":0},
"swap":{"limit":9223372036854771712,"usage":2768896,"max":2772992,"failcnt":0},
"kernel":{"limit":9223372036854771712,"usage":593920,"max":602112,"failcnt":0},
"kernelTCP":{"limit":9223372036854771712,"failcnt":0},
"raw":{"active_anon":0,"cache":0,"hierarchical_memory_limit":99999744,"rss":1773568}},
"pids":{"current":5,"limit":50},"blkio":{},"hugetlb":{},"intel_rdt":{},
"network_interfaces":null}"#;

/// Every key path of a JSON value, with the kind of value there.
fn shape(v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                shape(v, &format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => match a.first() {
            Some(first) => shape(first, &format!("{at}[]"), out),
            None => out.push(format!("{at}[]")),
        },
        Value::Number(_) => out.push(format!("{at}: number")),
        Value::Null => out.push(format!("{at}: null")),
        Value::String(_) => out.push(format!("{at}: string")),
        Value::Bool(_) => out.push(format!("{at}: bool")),
    }
}

#[test]
fn runcs_output_reads_and_serialises_back_unchanged() {
    let runc: Value = serde_json::from_str(RUNC).expect("runc sample");
    let typed: Stats = serde_json::from_value(runc.clone()).expect("parses as Stats");
    assert_eq!(typed.cpuset.sched_relax_domain_level, -1);
    assert_eq!(typed.memory.kernel_tcp.limit, 9223372036854771712);
    // Serialised back: the same keys, the same values, nothing added or left out.
    assert_eq!(serde_json::to_value(&typed).expect("json"), runc);
}

#[test]
fn the_empty_stats_have_runcs_always_present_fields() {
    let v = serde_json::to_value(Stats::default()).expect("json");
    let mut keys = Vec::new();
    shape(&v, "", &mut keys);
    keys.sort();
    let mut want = vec![
        "/blkio",
        "/cpu/throttling",
        "/cpu/usage/kernel: number",
        "/cpu/usage/user: number",
        "/cpuset/cpu_exclusive: number",
        "/cpuset/mem_exclusive: number",
        "/cpuset/mem_hardwall: number",
        "/cpuset/memory_migrate: number",
        "/cpuset/memory_pressure: number",
        "/cpuset/memory_spread_page: number",
        "/cpuset/memory_spread_slab: number",
        "/cpuset/sched_load_balance: number",
        "/cpuset/sched_relax_domain_level: number",
        "/hugetlb",
        "/intel_rdt",
        "/memory/kernel/failcnt: number",
        "/memory/kernel/limit: number",
        "/memory/kernelTCP/failcnt: number",
        "/memory/kernelTCP/limit: number",
        "/memory/swap/failcnt: number",
        "/memory/swap/limit: number",
        "/memory/usage/failcnt: number",
        "/memory/usage/limit: number",
        "/network_interfaces: null",
        "/pids",
    ];
    want.sort();
    // Empty objects have no leaf: list them by hand.
    let mut got: Vec<String> = keys;
    for empty in [
        "/blkio",
        "/cpu/throttling",
        "/hugetlb",
        "/intel_rdt",
        "/pids",
    ] {
        if v.pointer(empty) == Some(&json!({})) {
            got.push(empty.to_owned());
        }
    }
    got.sort();
    assert_eq!(got, want);
}

#[test]
fn every_field_uses_runcs_name() {
    let mut s = Stats::default();
    s.cpu.usage = CpuUsage {
        total: 1,
        percpu: vec![1],
        percpu_kernel: vec![1],
        percpu_user: vec![1],
        kernel: 1,
        user: 1,
    };
    s.cpu.throttling = Throttling {
        periods: 1,
        throttled_periods: 1,
        throttled_time: 1,
    };
    s.cpuset.cpus = vec![0];
    s.cpuset.mems = vec![0];
    s.memory.cache = 1;
    s.memory.raw.insert("cache".into(), 1);
    s.memory.usage = MemoryEntry {
        limit: 1,
        usage: 1,
        max: 1,
        failcnt: 1,
    };
    s.pids = Pids {
        current: 1,
        limit: 1,
    };
    let e = BlkioEntry {
        major: 8,
        minor: 1,
        op: "Read".into(),
        value: 1,
    };
    s.blkio = Blkio {
        io_service_bytes_recursive: vec![e.clone()],
        io_serviced_recursive: vec![e.clone()],
        io_queued_recursive: vec![e.clone()],
        io_service_time_recursive: vec![e.clone()],
        io_wait_time_recursive: vec![e.clone()],
        io_merged_recursive: vec![e.clone()],
        io_time_recursive: vec![e.clone()],
        sectors_recursive: vec![e],
    };
    s.hugetlb.insert(
        "2MB".into(),
        Hugetlb {
            usage: 1,
            max: 1,
            failcnt: 1,
        },
    );
    s.intel_rdt = IntelRdt {
        l3_cache_info: Some(L3CacheInfo {
            cbm_mask: "f".into(),
            min_cbm_bits: 1,
            num_closids: 1,
        }),
        l3_cache_schema_root: "L3:0=f".into(),
        l3_cache_schema: "L3:0=f".into(),
        mem_bw_info: Some(MemBwInfo {
            bandwidth_gran: 1,
            delay_linear: 1,
            min_bandwidth: 1,
            num_closids: 1,
        }),
        mem_bw_schema_root: "MB:0=100".into(),
        mem_bw_schema: "MB:0=100".into(),
        mbm_stats: Some(vec![MbmNumaNodeStats {
            mbm_total_bytes: 1,
            mbm_local_bytes: 1,
        }]),
        cmt_stats: Some(vec![CmtNumaNodeStats { llc_occupancy: 1 }]),
    };
    s.network_interfaces = Some(vec![NetworkInterface {
        name: "eth0".into(),
        ..NetworkInterface::default()
    }]);
    let mut keys = Vec::new();
    shape(&serde_json::to_value(&s).expect("json"), "", &mut keys);
    let keys = keys.join("\n");
    // The names of runc's types/events.go json tags (and Go field names where untagged).
    for name in [
        "/cpu/usage/total",
        "/cpu/usage/percpu[]",
        "/cpu/usage/percpu_kernel[]",
        "/cpu/usage/percpu_user[]",
        "/cpu/throttling/periods",
        "/cpu/throttling/throttledPeriods",
        "/cpu/throttling/throttledTime",
        "/cpuset/cpus[]",
        "/cpuset/mems[]",
        "/memory/cache",
        "/memory/raw/cache",
        "/memory/usage/max",
        "/pids/current",
        "/pids/limit",
        "/blkio/ioServiceBytesRecursive[]/major",
        "/blkio/ioServiceBytesRecursive[]/minor",
        "/blkio/ioServiceBytesRecursive[]/op",
        "/blkio/ioServiceBytesRecursive[]/value",
        "/blkio/ioServicedRecursive[]",
        "/blkio/ioQueueRecursive[]",
        "/blkio/ioServiceTimeRecursive[]",
        "/blkio/ioWaitTimeRecursive[]",
        "/blkio/ioMergedRecursive[]",
        "/blkio/ioTimeRecursive[]",
        "/blkio/sectorsRecursive[]",
        "/hugetlb/2MB/usage",
        "/hugetlb/2MB/max",
        "/hugetlb/2MB/failcnt",
        "/intel_rdt/l3_cache_info/cbm_mask",
        "/intel_rdt/l3_cache_info/min_cbm_bits",
        "/intel_rdt/l3_cache_info/num_closids",
        "/intel_rdt/l3_cache_schema_root",
        "/intel_rdt/l3_cache_schema",
        "/intel_rdt/mem_bw_info/bandwidth_gran",
        "/intel_rdt/mem_bw_info/delay_linear",
        "/intel_rdt/mem_bw_info/min_bandwidth",
        "/intel_rdt/mem_bw_info/num_closids",
        "/intel_rdt/mem_bw_schema_root",
        "/intel_rdt/mem_bw_schema",
        "/intel_rdt/mbm_stats[]/mbm_total_bytes",
        "/intel_rdt/mbm_stats[]/mbm_local_bytes",
        "/intel_rdt/cmt_stats[]/llc_occupancy",
        "/network_interfaces[]/Name",
        "/network_interfaces[]/RxBytes",
        "/network_interfaces[]/RxPackets",
        "/network_interfaces[]/RxErrors",
        "/network_interfaces[]/RxDropped",
        "/network_interfaces[]/TxBytes",
        "/network_interfaces[]/TxPackets",
        "/network_interfaces[]/TxErrors",
        "/network_interfaces[]/TxDropped",
    ] {
        assert!(
            keys.lines().any(|k| k.starts_with(name)),
            "{name} missing from:\n{keys}"
        );
    }
}

#[test]
fn carracks_earlier_shape_still_reads() {
    // What `carrack events --stats` printed before the type existed.
    let old = json!({"cpu": {"usage": {"total": 5}},
                     "memory": {"usage": {"usage": 1, "limit": 2, "max": 3}},
                     "pids": {"current": 1, "limit": 77}});
    let s: Stats = serde_json::from_value(old.clone()).expect("reads");
    let new = serde_json::to_value(&s).expect("json");
    for p in [
        "/cpu/usage/total",
        "/memory/usage/usage",
        "/memory/usage/limit",
        "/memory/usage/max",
        "/pids/current",
        "/pids/limit",
    ] {
        assert_eq!(new.pointer(p), old.pointer(p), "{p}");
    }
}
