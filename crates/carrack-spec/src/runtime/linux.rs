//! `config.json` → `linux` (runtime-spec `config-linux.md`).

use std::collections::BTreeMap;

use crate::model::{model, open_enum};
use crate::runtime::IdMapping;

model! {
    /// Linux-specific configuration (`linux`).
    ///
    /// ```
    /// use carrack_spec::runtime::{Linux, Namespace, NamespaceType};
    /// let mut linux = Linux::default();
    /// linux.namespaces = Some(vec![Namespace::new(NamespaceType::Pid)]);
    /// ```
    #[derive(Default)]
    pub struct Linux {
        /// Namespaces to create or join.
        namespaces: opt(Vec<Namespace>) = "namespaces",
        /// User namespace uid mappings.
        uid_mappings: opt(Vec<IdMapping>) = "uidMappings",
        /// User namespace gid mappings.
        gid_mappings: opt(Vec<IdMapping>) = "gidMappings",
        /// Offsets of the time namespace's clocks.
        time_offsets: opt(TimeOffsets) = "timeOffsets",
        /// Devices to create in the container.
        devices: opt(Vec<Device>) = "devices",
        /// Network devices to move into the container, by host name.
        net_devices: opt(BTreeMap<String, NetDevice>) = "netDevices",
        /// The cgroup path.
        cgroups_path: opt(String) = "cgroupsPath",
        /// cgroup resource limits.
        resources: opt(Resources) = "resources",
        /// Propagation of the rootfs mount.
        rootfs_propagation: opt(RootfsPropagation) = "rootfsPropagation",
        /// The seccomp filter.
        seccomp: opt(Seccomp) = "seccomp",
        /// Kernel parameters to set.
        sysctl: opt(BTreeMap<String, String>) = "sysctl",
        /// Paths to mask so they cannot be read.
        masked_paths: opt(Vec<String>) = "maskedPaths",
        /// Paths to make read-only.
        readonly_paths: opt(Vec<String>) = "readonlyPaths",
        /// SELinux label for the container's mounts.
        mount_label: opt(String) = "mountLabel",
        /// Intel RDT (resctrl) settings.
        intel_rdt: opt(IntelRdt) = "intelRdt",
        /// NUMA memory policy.
        memory_policy: opt(MemoryPolicy) = "memoryPolicy",
        /// Execution domain, see `personality(2)`.
        personality: opt(Personality) = "personality",
    }
}

model! {
    /// A namespace to create, or to join when `path` is set.
    ///
    /// ```
    /// use carrack_spec::runtime::{Namespace, NamespaceType};
    /// let mut ns = Namespace::new(NamespaceType::Network);
    /// ns.path = Some("/var/run/netns/test".into());
    /// ```
    pub struct Namespace {
        /// The namespace type (`type`).
        kind: req(NamespaceType) = "type",
        /// A namespace file to join.
        path: opt(String) = "path",
    }
}

impl Namespace {
    /// A new namespace of `kind`.
    pub fn new(kind: NamespaceType) -> Self {
        Self {
            kind,
            path: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// Clock offsets of a time namespace (`timeOffsets`).
    ///
    /// ```
    /// let mut t = carrack_spec::runtime::TimeOffsets::default();
    /// t.monotonic = Some(carrack_spec::runtime::TimeOffset::new(86400, 0));
    /// ```
    #[derive(Default)]
    pub struct TimeOffsets {
        /// Offset of `CLOCK_BOOTTIME`.
        boottime: opt(TimeOffset) = "boottime",
        /// Offset of `CLOCK_MONOTONIC`.
        monotonic: opt(TimeOffset) = "monotonic",
    }
}

model! {
    /// One clock offset.
    ///
    /// ```
    /// let t = carrack_spec::runtime::TimeOffset::new(-10, 500);
    /// assert_eq!(t.secs, Some(-10));
    /// ```
    #[derive(Default)]
    pub struct TimeOffset {
        /// Seconds.
        secs: opt(i64) = "secs",
        /// Nanoseconds.
        nanosecs: opt(u32) = "nanosecs",
    }
}

impl TimeOffset {
    /// An offset of `secs` seconds and `nanosecs` nanoseconds.
    pub fn new(secs: i64, nanosecs: u32) -> Self {
        Self {
            secs: Some(secs),
            nanosecs: Some(nanosecs),
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// A device node to create (`linux.devices[]`).
    ///
    /// ```
    /// use carrack_spec::runtime::{Device, DeviceType};
    /// let mut fuse = Device::new(DeviceType::Char, "/dev/fuse");
    /// fuse.major = Some(10);
    /// fuse.minor = Some(229);
    /// ```
    pub struct Device {
        /// Device type (`type`): `c`, `b`, `u` or `p`.
        kind: req(DeviceType) = "type",
        /// Full path in the container.
        path: req(String) = "path",
        /// Major number (not for `p`).
        major: opt(i64) = "major",
        /// Minor number (not for `p`).
        minor: opt(i64) = "minor",
        /// File mode.
        file_mode: opt(u32) = "fileMode",
        /// Owner uid in the container namespace.
        uid: opt(u32) = "uid",
        /// Owner gid in the container namespace.
        gid: opt(u32) = "gid",
    }
}

impl Device {
    /// A device of `kind` at `path`.
    pub fn new(kind: DeviceType, path: impl Into<String>) -> Self {
        Self {
            kind,
            path: path.into(),
            major: None,
            minor: None,
            file_mode: None,
            uid: None,
            gid: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// A network device moved into the container (`linux.netDevices.<host name>`).
    ///
    /// ```
    /// let mut d = carrack_spec::runtime::NetDevice::default();
    /// d.name = Some("eth0".into());
    /// ```
    #[derive(Default)]
    pub struct NetDevice {
        /// The device's name inside the container.
        name: opt(String) = "name",
    }
}

model! {
    /// cgroup resource limits (`linux.resources`).
    ///
    /// ```
    /// let mut r = carrack_spec::runtime::Resources::default();
    /// r.pids = Some(carrack_spec::runtime::Pids::new(100));
    /// ```
    #[derive(Default)]
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
    /// let mut m = carrack_spec::runtime::Memory::default();
    /// m.limit = Some(512 << 20);
    /// ```
    #[derive(Default)]
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
    /// let mut c = carrack_spec::runtime::Cpu::default();
    /// c.quota = Some(50_000);
    /// c.period = Some(100_000);
    /// ```
    #[derive(Default)]
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
    /// let mut b = carrack_spec::runtime::BlockIo::default();
    /// b.weight = Some(500);
    /// ```
    #[derive(Default)]
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
    /// let mut w = carrack_spec::runtime::WeightDevice::new(8, 0);
    /// w.weight = Some(300);
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
    /// let mut n = carrack_spec::runtime::Network::default();
    /// n.class_id = Some(0x100001);
    /// ```
    #[derive(Default)]
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
    /// let mut r = carrack_spec::runtime::Rdma::default();
    /// r.hca_handles = Some(3);
    /// ```
    #[derive(Default)]
    pub struct Rdma {
        /// Maximum HCA handles.
        hca_handles: opt(u32) = "hcaHandles",
        /// Maximum HCA objects.
        hca_objects: opt(u32) = "hcaObjects",
    }
}

model! {
    /// A seccomp filter (`linux.seccomp`).
    ///
    /// ```
    /// use carrack_spec::runtime::{Seccomp, SeccompAction};
    /// let s = Seccomp::new(SeccompAction::Allow);
    /// ```
    pub struct Seccomp {
        /// Action when no rule matches.
        default_action: req(SeccompAction) = "defaultAction",
        /// errno for `SCMP_ACT_ERRNO`/`SCMP_ACT_TRACE` default actions.
        default_errno_ret: opt(u32) = "defaultErrnoRet",
        /// Architectures the filter applies to.
        architectures: opt(Vec<SeccompArch>) = "architectures",
        /// Flags for `seccomp(2)`.
        flags: opt(Vec<SeccompFlag>) = "flags",
        /// UNIX socket the notify fd is sent to.
        listener_path: opt(String) = "listenerPath",
        /// Opaque data passed to the listener.
        listener_metadata: opt(String) = "listenerMetadata",
        /// Rules.
        syscalls: opt(Vec<Syscall>) = "syscalls",
    }
}

impl Seccomp {
    /// A filter whose default action is `default_action`.
    pub fn new(default_action: SeccompAction) -> Self {
        Self {
            default_action,
            default_errno_ret: None,
            architectures: None,
            flags: None,
            listener_path: None,
            listener_metadata: None,
            syscalls: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// A seccomp rule (`seccomp.syscalls[]`).
    ///
    /// ```
    /// use carrack_spec::runtime::{SeccompAction, Syscall};
    /// let s = Syscall::new(vec!["getcwd".into()], SeccompAction::Errno);
    /// ```
    pub struct Syscall {
        /// Syscall names; at least one.
        names: req(Vec<String>) = "names",
        /// Action when the rule matches.
        action: req(SeccompAction) = "action",
        /// errno for `SCMP_ACT_ERRNO`/`SCMP_ACT_TRACE`.
        errno_ret: opt(u32) = "errnoRet",
        /// Argument conditions.
        args: opt(Vec<SeccompArg>) = "args",
    }
}

impl Syscall {
    /// A rule applying `action` to `names`.
    pub fn new(names: Vec<String>, action: SeccompAction) -> Self {
        Self {
            names,
            action,
            errno_ret: None,
            args: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// A seccomp argument condition (`syscalls[].args[]`).
    ///
    /// ```
    /// use carrack_spec::runtime::{SeccompArg, SeccompOperator};
    /// let a = SeccompArg::new(0, 1, SeccompOperator::EqualTo);
    /// ```
    pub struct SeccompArg {
        /// Argument index, 0 to 5.
        index: req(u32) = "index",
        /// Value to compare with.
        value: req(u64) = "value",
        /// Second value, for `SCMP_CMP_MASKED_EQ`.
        value_two: opt(u64) = "valueTwo",
        /// Comparison operator.
        op: req(SeccompOperator) = "op",
    }
}

impl SeccompArg {
    /// Compares argument `index` with `value` using `op`.
    pub fn new(index: u32, value: u64, op: SeccompOperator) -> Self {
        Self {
            index,
            value,
            value_two: None,
            op,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// Intel RDT settings (`linux.intelRdt`).
    ///
    /// ```
    /// let mut r = carrack_spec::runtime::IntelRdt::default();
    /// r.clos_id = Some("guaranteed".into());
    /// ```
    #[derive(Default)]
    pub struct IntelRdt {
        /// resctrl class of service.
        clos_id: opt(String) = "closID",
        /// Lines to write to the `schemata` file.
        schemata: opt(Vec<String>) = "schemata",
        /// L3 cache schema.
        l3_cache_schema: opt(String) = "l3CacheSchema",
        /// Memory bandwidth schema.
        mem_bw_schema: opt(String) = "memBwSchema",
        /// Whether resctrl monitoring is enabled.
        enable_monitoring: opt(bool) = "enableMonitoring",
    }
}

model! {
    /// NUMA memory policy (`linux.memoryPolicy`), see `set_mempolicy(2)`.
    ///
    /// ```
    /// use carrack_spec::runtime::{MemoryPolicy, MemoryPolicyMode};
    /// let mut p = MemoryPolicy::new(MemoryPolicyMode::Interleave);
    /// p.nodes = Some("0-1".into());
    /// ```
    pub struct MemoryPolicy {
        /// Policy mode.
        mode: req(MemoryPolicyMode) = "mode",
        /// Node list.
        nodes: opt(String) = "nodes",
        /// Mode flags.
        flags: opt(Vec<MemoryPolicyFlag>) = "flags",
    }
}

impl MemoryPolicy {
    /// A policy of `mode`.
    pub fn new(mode: MemoryPolicyMode) -> Self {
        Self {
            mode,
            nodes: None,
            flags: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// Execution domain (`linux.personality`).
    ///
    /// ```
    /// use carrack_spec::runtime::{Personality, PersonalityDomain};
    /// let mut p = Personality::default();
    /// p.domain = Some(PersonalityDomain::Linux32);
    /// ```
    #[derive(Default)]
    pub struct Personality {
        /// The domain.
        domain: opt(PersonalityDomain) = "domain",
        /// Additional flags (none are defined yet).
        flags: opt(Vec<String>) = "flags",
    }
}

open_enum! {
    /// A Linux namespace type.
    pub enum NamespaceType {
        Pid = "pid",
        Network = "network",
        Mount = "mount",
        Ipc = "ipc",
        Uts = "uts",
        User = "user",
        Cgroup = "cgroup",
        Time = "time",
    }
}

open_enum! {
    /// A device node type.
    pub enum DeviceType {
        Char = "c",
        Block = "b",
        Unbuffered = "u",
        Fifo = "p",
    }
}

open_enum! {
    /// Mount propagation of the rootfs.
    pub enum RootfsPropagation {
        Private = "private",
        Shared = "shared",
        Slave = "slave",
        Unbindable = "unbindable",
    }
}

open_enum! {
    /// A seccomp action.
    pub enum SeccompAction {
        Kill = "SCMP_ACT_KILL",
        KillProcess = "SCMP_ACT_KILL_PROCESS",
        KillThread = "SCMP_ACT_KILL_THREAD",
        Trap = "SCMP_ACT_TRAP",
        Errno = "SCMP_ACT_ERRNO",
        Trace = "SCMP_ACT_TRACE",
        Allow = "SCMP_ACT_ALLOW",
        Log = "SCMP_ACT_LOG",
        Notify = "SCMP_ACT_NOTIFY",
    }
}

open_enum! {
    /// A seccomp architecture.
    pub enum SeccompArch {
        X86 = "SCMP_ARCH_X86",
        X86_64 = "SCMP_ARCH_X86_64",
        X32 = "SCMP_ARCH_X32",
        Arm = "SCMP_ARCH_ARM",
        Aarch64 = "SCMP_ARCH_AARCH64",
        Loongarch64 = "SCMP_ARCH_LOONGARCH64",
        M68k = "SCMP_ARCH_M68K",
        Mips = "SCMP_ARCH_MIPS",
        Mips64 = "SCMP_ARCH_MIPS64",
        Mips64N32 = "SCMP_ARCH_MIPS64N32",
        Mipsel = "SCMP_ARCH_MIPSEL",
        Mipsel64 = "SCMP_ARCH_MIPSEL64",
        Mipsel64N32 = "SCMP_ARCH_MIPSEL64N32",
        Ppc = "SCMP_ARCH_PPC",
        Ppc64 = "SCMP_ARCH_PPC64",
        Ppc64le = "SCMP_ARCH_PPC64LE",
        S390 = "SCMP_ARCH_S390",
        S390x = "SCMP_ARCH_S390X",
        Sh = "SCMP_ARCH_SH",
        Sheb = "SCMP_ARCH_SHEB",
        Parisc = "SCMP_ARCH_PARISC",
        Parisc64 = "SCMP_ARCH_PARISC64",
        Riscv64 = "SCMP_ARCH_RISCV64",
    }
}

open_enum! {
    /// A seccomp filter flag.
    pub enum SeccompFlag {
        Tsync = "SECCOMP_FILTER_FLAG_TSYNC",
        Log = "SECCOMP_FILTER_FLAG_LOG",
        SpecAllow = "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        WaitKillableRecv = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    }
}

open_enum! {
    /// A seccomp argument comparison.
    pub enum SeccompOperator {
        NotEqual = "SCMP_CMP_NE",
        LessThan = "SCMP_CMP_LT",
        LessOrEqual = "SCMP_CMP_LE",
        EqualTo = "SCMP_CMP_EQ",
        GreaterOrEqual = "SCMP_CMP_GE",
        GreaterThan = "SCMP_CMP_GT",
        MaskedEqual = "SCMP_CMP_MASKED_EQ",
    }
}

open_enum! {
    /// A NUMA memory policy mode.
    pub enum MemoryPolicyMode {
        Default = "MPOL_DEFAULT",
        Bind = "MPOL_BIND",
        Interleave = "MPOL_INTERLEAVE",
        WeightedInterleave = "MPOL_WEIGHTED_INTERLEAVE",
        Preferred = "MPOL_PREFERRED",
        PreferredMany = "MPOL_PREFERRED_MANY",
        Local = "MPOL_LOCAL",
    }
}

open_enum! {
    /// A NUMA memory policy flag.
    pub enum MemoryPolicyFlag {
        NumaBalancing = "MPOL_F_NUMA_BALANCING",
        RelativeNodes = "MPOL_F_RELATIVE_NODES",
        StaticNodes = "MPOL_F_STATIC_NODES",
    }
}

open_enum! {
    /// An execution domain.
    pub enum PersonalityDomain {
        Linux = "LINUX",
        Linux32 = "LINUX32",
    }
}
