//! A container's resource statistics in the shape runc's `events --stats` prints in its `data`
//! field (runc's `types.Stats`), so that tools reading runc's output read carrack's: the same
//! field names, the same fields left out when zero or empty, the same always-present ones.
//!
//! Pure data: every backend reports it (a backend without a figure leaves it zero), and it
//! builds on every target.
//!
//! ```
//! use carrack_platform::{Stats, MemoryEntry};
//! let mut s = Stats::default();
//! s.pids.current = 3;
//! s.memory.usage = MemoryEntry { limit: 1 << 20, usage: 4096, ..MemoryEntry::default() };
//! let v = serde_json::to_value(&s)?;
//! assert_eq!(v["pids"], serde_json::json!({"current": 3}));
//! assert_eq!(v["memory"]["usage"], serde_json::json!({"limit": 1048576, "usage": 4096, "failcnt": 0}));
//! assert_eq!(v["network_interfaces"], serde_json::Value::Null);
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

fn zero<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// Everything `events --stats` reports about a container.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Stats {
    /// CPU time and throttling.
    pub cpu: Cpu,
    /// The cpuset the container runs on.
    pub cpuset: CpuSet,
    /// Memory use and limits.
    pub memory: Memory,
    /// Process counts.
    pub pids: Pids,
    /// Block I/O counters.
    pub blkio: Blkio,
    /// Hugepage use per page size (`2MB`, `1GB`, ...).
    pub hugetlb: BTreeMap<String, Hugetlb>,
    /// Intel RDT (resctrl) figures.
    pub intel_rdt: IntelRdt,
    /// The container's network interfaces; `null` when not collected (as runc prints it).
    pub network_interfaces: Option<Vec<NetworkInterface>>,
}

/// CPU statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Cpu {
    /// Time used.
    pub usage: CpuUsage,
    /// CFS bandwidth throttling.
    pub throttling: Throttling,
}

/// CPU time used, in nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CpuUsage {
    /// Total CPU time.
    #[serde(skip_serializing_if = "zero")]
    pub total: u64,
    /// Per CPU.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub percpu: Vec<u64>,
    /// Per CPU, in the kernel.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub percpu_kernel: Vec<u64>,
    /// Per CPU, in user space.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub percpu_user: Vec<u64>,
    /// In the kernel.
    pub kernel: u64,
    /// In user space.
    pub user: u64,
}

/// CFS bandwidth throttling counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Throttling {
    /// Enforcement periods elapsed.
    #[serde(skip_serializing_if = "zero")]
    pub periods: u64,
    /// Periods in which the cgroup was throttled.
    #[serde(rename = "throttledPeriods", skip_serializing_if = "zero")]
    pub throttled_periods: u64,
    /// Time throttled, in nanoseconds.
    #[serde(rename = "throttledTime", skip_serializing_if = "zero")]
    pub throttled_time: u64,
}

/// The cpuset controller's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[allow(missing_docs)] // the cpuset.* file of each name (cgroup-v1/cpusets.rst)
pub struct CpuSet {
    /// The CPUs the container may run on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cpus: Vec<u16>,
    pub cpu_exclusive: u64,
    /// The memory nodes the container may allocate from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mems: Vec<u16>,
    pub mem_hardwall: u64,
    pub mem_exclusive: u64,
    pub memory_migrate: u64,
    pub memory_spread_page: u64,
    pub memory_spread_slab: u64,
    pub memory_pressure: u64,
    pub sched_load_balance: u64,
    pub sched_relax_domain_level: i64,
}

/// Memory statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Memory {
    /// Page cache, in bytes.
    #[serde(skip_serializing_if = "zero")]
    pub cache: u64,
    /// Memory.
    pub usage: MemoryEntry,
    /// Memory and swap together (v1's memsw).
    pub swap: MemoryEntry,
    /// Kernel memory.
    pub kernel: MemoryEntry,
    /// Kernel TCP buffers.
    #[serde(rename = "kernelTCP")]
    pub kernel_tcp: MemoryEntry,
    /// Every counter of `memory.stat`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub raw: BTreeMap<String, u64>,
}

/// One memory counter and its limit, in bytes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemoryEntry {
    /// The limit (`u64::MAX`-like values mean none).
    pub limit: u64,
    /// Current use.
    #[serde(skip_serializing_if = "zero")]
    pub usage: u64,
    /// Highest use seen.
    #[serde(skip_serializing_if = "zero")]
    pub max: u64,
    /// How often the limit was hit.
    pub failcnt: u64,
}

/// Process counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pids {
    /// Processes (tasks) in the cgroup.
    #[serde(skip_serializing_if = "zero")]
    pub current: u64,
    /// The limit; 0 for none.
    #[serde(skip_serializing_if = "zero")]
    pub limit: u64,
}

/// Block I/O counters, per device and operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[allow(missing_docs)] // the blkio.* file of each name (cgroup-v1/blkio-controller.rst)
pub struct Blkio {
    #[serde(
        rename = "ioServiceBytesRecursive",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub io_service_bytes_recursive: Vec<BlkioEntry>,
    #[serde(rename = "ioServicedRecursive", skip_serializing_if = "Vec::is_empty")]
    pub io_serviced_recursive: Vec<BlkioEntry>,
    #[serde(rename = "ioQueueRecursive", skip_serializing_if = "Vec::is_empty")]
    pub io_queued_recursive: Vec<BlkioEntry>,
    #[serde(
        rename = "ioServiceTimeRecursive",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub io_service_time_recursive: Vec<BlkioEntry>,
    #[serde(rename = "ioWaitTimeRecursive", skip_serializing_if = "Vec::is_empty")]
    pub io_wait_time_recursive: Vec<BlkioEntry>,
    #[serde(rename = "ioMergedRecursive", skip_serializing_if = "Vec::is_empty")]
    pub io_merged_recursive: Vec<BlkioEntry>,
    #[serde(rename = "ioTimeRecursive", skip_serializing_if = "Vec::is_empty")]
    pub io_time_recursive: Vec<BlkioEntry>,
    #[serde(rename = "sectorsRecursive", skip_serializing_if = "Vec::is_empty")]
    pub sectors_recursive: Vec<BlkioEntry>,
}

/// One block I/O counter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlkioEntry {
    /// The device's major number.
    #[serde(skip_serializing_if = "zero")]
    pub major: u64,
    /// The device's minor number.
    #[serde(skip_serializing_if = "zero")]
    pub minor: u64,
    /// `Read`, `Write`, `Sync`, `Async`, `Discard` or `Total`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub op: String,
    /// The count.
    #[serde(skip_serializing_if = "zero")]
    pub value: u64,
}

/// Hugepage use of one page size, in bytes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Hugetlb {
    /// Current use.
    #[serde(skip_serializing_if = "zero")]
    pub usage: u64,
    /// Highest use seen.
    #[serde(skip_serializing_if = "zero")]
    pub max: u64,
    /// How often the limit was hit.
    pub failcnt: u64,
}

/// Intel RDT (resctrl) figures; carrack's Linux backend does not collect them yet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[allow(missing_docs)] // resctrl's files of each name (Documentation/arch/x86/resctrl.rst)
pub struct IntelRdt {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l3_cache_info: Option<L3CacheInfo>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub l3_cache_schema_root: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub l3_cache_schema: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_bw_info: Option<MemBwInfo>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mem_bw_schema_root: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mem_bw_schema: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mbm_stats: Option<Vec<MbmNumaNodeStats>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cmt_stats: Option<Vec<CmtNumaNodeStats>>,
}

/// resctrl's `info/L3`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct L3CacheInfo {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cbm_mask: String,
    #[serde(skip_serializing_if = "zero")]
    pub min_cbm_bits: u64,
    #[serde(skip_serializing_if = "zero")]
    pub num_closids: u64,
}

/// resctrl's `info/MB`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct MemBwInfo {
    #[serde(skip_serializing_if = "zero")]
    pub bandwidth_gran: u64,
    #[serde(skip_serializing_if = "zero")]
    pub delay_linear: u64,
    #[serde(skip_serializing_if = "zero")]
    pub min_bandwidth: u64,
    #[serde(skip_serializing_if = "zero")]
    pub num_closids: u64,
}

/// Memory bandwidth monitoring of one NUMA node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct MbmNumaNodeStats {
    pub mbm_total_bytes: u64,
    pub mbm_local_bytes: u64,
}

/// Cache monitoring of one NUMA node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct CmtNumaNodeStats {
    pub llc_occupancy: u64,
}

/// One network interface's counters (runc prints Go's field names: `Name`, `RxBytes`, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct NetworkInterface {
    pub name: String,
    pub rx_bytes: u64,
    pub rx_packets: u64,
    pub rx_errors: u64,
    pub rx_dropped: u64,
    pub tx_bytes: u64,
    pub tx_packets: u64,
    pub tx_errors: u64,
    pub tx_dropped: u64,
}

#[cfg(test)]
mod tests;
