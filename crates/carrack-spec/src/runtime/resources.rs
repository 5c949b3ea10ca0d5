//! `config.json` → `linux.resources`: cgroup limits (runtime-spec `config-linux.md`
//! § Control groups).

use std::collections::BTreeMap;

use crate::model::model;

model! {
    /// cgroup resource limits (`linux.resources`).
    ///
    /// ```
    /// let r = carrack_spec::runtime::Resources::default()
    ///     .with_pids(carrack_spec::runtime::Pids::new(100));
    /// ```
    pub struct Resources {
        /// Device access rules (v1 `devices` controller, v2 eBPF).
        devices: opt(Vec<DeviceCgroup>) = "devices",
        /// Memory limits.
        memory: opt(Memory) = "memory",
        /// CPU limits.
        cpu: opt(Cpu) = "cpu",
        /// Process count limit.
        pids: opt(Pids) = "pids",
        /// Block I/O limits.
        block_io: opt(BlockIo) = "blockIO",
        /// Huge page limits.
        hugepage_limits: opt(Vec<HugepageLimit>) = "hugepageLimits",
        /// Network class and priorities.
        network: opt(Network) = "network",
        /// RDMA limits, by device name.
        rdma: opt(BTreeMap<String, Rdma>) = "rdma",
        /// Raw cgroup v2 settings, file name → value.
        unified: opt(BTreeMap<String, String>) = "unified",
    }
}

model! {
    /// A device cgroup rule (`linux.resources.devices[]`).
    ///
    /// ```
    /// let deny_all = carrack_spec::runtime::DeviceCgroup::new(false);
    /// ```
    pub struct DeviceCgroup {
        /// Allow (true) or deny (false).
        allow: req(bool) = "allow",
        /// `a`, `b` or `c` (`type`).
        kind: opt(String) = "type",
        /// Major number; absent means all.
        major: opt(i64) = "major",
        /// Minor number; absent means all.
        minor: opt(i64) = "minor",
        /// Access: a combination of `r`, `w` and `m`.
        access: opt(String) = "access",
    }
}

impl DeviceCgroup {
    /// A rule that allows or denies every device.
    pub fn new(allow: bool) -> Self {
        Self {
            allow,
            kind: None,
            major: None,
            minor: None,
            access: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// Memory limits, in bytes (`linux.resources.memory`).
    ///
    /// ```
    /// let m = carrack_spec::runtime::Memory::default()
    ///     .with_limit(512 << 20);
    /// ```
    pub struct Memory {
        /// Memory limit.
        limit: opt(i64) = "limit",
        /// Soft limit.
        reservation: opt(i64) = "reservation",
        /// Memory plus swap limit.
        swap: opt(i64) = "swap",
        /// Kernel memory limit (deprecated).
        kernel: opt(i64) = "kernel",
        /// Kernel TCP buffer limit (deprecated).
        kernel_tcp: opt(i64) = "kernelTCP",
        /// Swappiness, 0 to 100.
        swappiness: opt(u64) = "swappiness",
        /// Whether the OOM killer is disabled.
        disable_oom_killer: opt(bool) = "disableOOMKiller",
        /// Hierarchical accounting (v1).
        use_hierarchy: opt(bool) = "useHierarchy",
        /// Check usage before lowering the limit on update.
        check_before_update: opt(bool) = "checkBeforeUpdate",
    }
}

model! {
    /// CPU limits (`linux.resources.cpu`).
    ///
    /// ```
    /// let c = carrack_spec::runtime::Cpu::default()
    ///     .with_quota(50_000)
    ///     .with_period(100_000);
    /// ```
    pub struct Cpu {
        /// Relative share of CPU time.
        shares: opt(u64) = "shares",
        /// Time, in µs, the cgroup may run per period.
        quota: opt(i64) = "quota",
        /// Accumulated unused quota, in µs.
        burst: opt(u64) = "burst",
        /// The period, in µs.
        period: opt(u64) = "period",
        /// Real-time runtime, in µs.
        realtime_runtime: opt(i64) = "realtimeRuntime",
        /// Real-time period, in µs.
        realtime_period: opt(u64) = "realtimePeriod",
        /// CPUs the container may use, as a cpu list.
        cpus: opt(String) = "cpus",
        /// Memory nodes the container may use, as a list.
        mems: opt(String) = "mems",
        /// SCHED_IDLE for the cgroup (v2).
        idle: opt(i64) = "idle",
    }
}

model! {
    /// Process count limit (`linux.resources.pids`).
    ///
    /// ```
    /// assert_eq!(carrack_spec::runtime::Pids::new(32).limit, 32);
    /// ```
    pub struct Pids {
        /// Maximum number of tasks; 0 or less is no limit.
        limit: req(i64) = "limit",
    }
}

impl Pids {
    /// A limit of `limit` tasks.
    pub fn new(limit: i64) -> Self {
        Self {
            limit,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// Block I/O limits (`linux.resources.blockIO`).
    ///
    /// ```
    /// let b = carrack_spec::runtime::BlockIo::default()
    ///     .with_weight(500);
    /// ```
    pub struct BlockIo {
        /// Per-cgroup weight, 10 to 1000.
        weight: opt(u16) = "weight",
        /// Weight for the cgroup's tasks while competing with its children, 10 to 1000.
        leaf_weight: opt(u16) = "leafWeight",
        /// Per-device weights.
        weight_device: opt(Vec<WeightDevice>) = "weightDevice",
        /// Per-device read rate limits, bytes per second.
        throttle_read_bps_device: opt(Vec<ThrottleDevice>) = "throttleReadBpsDevice",
        /// Per-device write rate limits, bytes per second.
        throttle_write_bps_device: opt(Vec<ThrottleDevice>) = "throttleWriteBpsDevice",
        /// Per-device read rate limits, operations per second.
        throttle_read_iops_device: opt(Vec<ThrottleDevice>) = "throttleReadIOPSDevice",
        /// Per-device write rate limits, operations per second.
        throttle_write_iops_device: opt(Vec<ThrottleDevice>) = "throttleWriteIOPSDevice",
    }
}

model! {
    /// A per-device weight (`blockIO.weightDevice[]`).
    ///
    /// ```
    /// let w = carrack_spec::runtime::WeightDevice::new(8, 0)
    ///     .with_weight(300);
    /// ```
    pub struct WeightDevice {
        /// Major number.
        major: req(i64) = "major",
        /// Minor number.
        minor: req(i64) = "minor",
        /// Weight, 10 to 1000.
        weight: opt(u16) = "weight",
        /// Leaf weight, 10 to 1000.
        leaf_weight: opt(u16) = "leafWeight",
    }
}

impl WeightDevice {
    /// A weight entry for device `major:minor`.
    pub fn new(major: i64, minor: i64) -> Self {
        Self {
            major,
            minor,
            weight: None,
            leaf_weight: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// A per-device rate limit (`blockIO.throttle*Device[]`).
    ///
    /// ```
    /// let t = carrack_spec::runtime::ThrottleDevice::new(8, 0, 1 << 20);
    /// assert_eq!(t.rate, Some(1 << 20));
    /// ```
    pub struct ThrottleDevice {
        /// Major number.
        major: req(i64) = "major",
        /// Minor number.
        minor: req(i64) = "minor",
        /// The rate (REQUIRED by config-linux.md, optional in the schema).
        rate: opt(u64) = "rate",
    }
}

impl ThrottleDevice {
    /// A limit of `rate` for device `major:minor`.
    pub fn new(major: i64, minor: i64, rate: u64) -> Self {
        Self {
            major,
            minor,
            rate: Some(rate),
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// A huge page limit (`hugepageLimits[]`).
    ///
    /// ```
    /// let h = carrack_spec::runtime::HugepageLimit::new("2MB", 1 << 30);
    /// ```
    pub struct HugepageLimit {
        /// Page size, as in the cgroup file names (`2MB`, `1GB`, `64KB`).
        page_size: req(String) = "pageSize",
        /// Limit in bytes.
        limit: req(u64) = "limit",
    }
}

impl HugepageLimit {
    /// A limit of `limit` bytes of `page_size` pages.
    pub fn new(page_size: impl Into<String>, limit: u64) -> Self {
        Self {
            page_size: page_size.into(),
            limit,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// Network class and priorities (`linux.resources.network`).
    ///
    /// ```
    /// let n = carrack_spec::runtime::Network::default()
    ///     .with_class_id(0x100001);
    /// ```
    pub struct Network {
        /// Class id for packets (net_cls).
        class_id: opt(u32) = "classID",
        /// Per-interface priorities (net_prio).
        priorities: opt(Vec<InterfacePriority>) = "priorities",
    }
}

model! {
    /// A per-interface priority.
    ///
    /// ```
    /// let p = carrack_spec::runtime::InterfacePriority::new("eth0", 5);
    /// ```
    pub struct InterfacePriority {
        /// Interface name.
        name: req(String) = "name",
        /// Priority.
        priority: req(u32) = "priority",
    }
}

impl InterfacePriority {
    /// Priority `priority` for interface `name`.
    pub fn new(name: impl Into<String>, priority: u32) -> Self {
        Self {
            name: name.into(),
            priority,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// RDMA limits of one device (`linux.resources.rdma.<device>`).
    ///
    /// ```
    /// let r = carrack_spec::runtime::Rdma::default()
    ///     .with_hca_handles(3);
    /// ```
    pub struct Rdma {
        /// Maximum HCA handles.
        hca_handles: opt(u32) = "hcaHandles",
        /// Maximum HCA objects.
        hca_objects: opt(u32) = "hcaObjects",
    }
}
