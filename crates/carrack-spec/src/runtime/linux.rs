//! `config.json` → `linux` (runtime-spec `config-linux.md`).

use std::collections::BTreeMap;

use crate::model::{model, open_enum};
use crate::runtime::{IdMapping, Resources, Seccomp};

model! {
    /// Linux-specific configuration (`linux`).
    ///
    /// ```
    /// use carrack_spec::runtime::{IdMapping, Linux, Namespace, NamespaceType};
    /// let linux = Linux::default()
    ///     .with_namespaces([NamespaceType::Pid, NamespaceType::Mount])
    ///     .with_user_namespace(IdMapping::new(0, 1000, 1), IdMapping::new(0, 1000, 1))
    ///     .with_memory_limit(1 << 30)
    ///     .with_cgroups_path("/carrack/web");
    /// assert_eq!(linux.namespaces.map(|n| n.len()), Some(3));
    /// # let _ = Namespace::join(NamespaceType::Network, "/proc/1/ns/net");
    /// ```
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
    /// let ns = Namespace::new(NamespaceType::Network)
    ///     .with_path("/var/run/netns/test");
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
    /// let t = carrack_spec::runtime::TimeOffsets::default()
    ///     .with_monotonic(carrack_spec::runtime::TimeOffset::new(86400, 0));
    /// ```
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
    /// let fuse = Device::new(DeviceType::Char, "/dev/fuse")
    ///     .with_major(10)
    ///     .with_minor(229);
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
    /// let d = carrack_spec::runtime::NetDevice::default()
    ///     .with_name("eth0");
    /// ```
    pub struct NetDevice {
        /// The device's name inside the container.
        name: opt(String) = "name",
    }
}

model! {
    /// Intel RDT settings (`linux.intelRdt`).
    ///
    /// ```
    /// let r = carrack_spec::runtime::IntelRdt::default()
    ///     .with_clos_id("guaranteed");
    /// ```
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
    /// let p = MemoryPolicy::new(MemoryPolicyMode::Interleave)
    ///     .with_nodes("0-1");
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
    /// let p = Personality::default()
    ///     .with_domain(PersonalityDomain::Linux32);
    /// ```
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
