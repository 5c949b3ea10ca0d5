//! `features`: what a runtime implements (runtime-spec `features.md`, `features-linux.md`).

use std::collections::BTreeMap;

use crate::model::model;
use crate::runtime::{
    Capability, MemoryPolicyFlag, MemoryPolicyMode, NamespaceType, SeccompAction, SeccompArch,
    SeccompFlag, SeccompOperator,
};

model! {
    /// The output of `runtime features`.
    ///
    /// ```
    /// let f = carrack_spec::runtime::Features::new("1.0.0", "1.3.0");
    /// assert_eq!(f.oci_version_max, "1.3.0");
    /// ```
    pub struct Features {
        /// Lowest runtime-spec version supported.
        oci_version_min: req(String) = "ociVersionMin",
        /// Highest runtime-spec version supported.
        oci_version_max: req(String) = "ociVersionMax",
        /// Hook kinds recognised.
        hooks: opt(Vec<String>) = "hooks",
        /// Mount options recognised.
        mount_options: opt(Vec<String>) = "mountOptions",
        /// Implementation-specific facts.
        annotations: opt(BTreeMap<String, String>) = "annotations",
        /// Config annotations that may change the runtime's behaviour in unsafe ways.
        potentially_unsafe_config_annotations: opt(Vec<String>) = "potentiallyUnsafeConfigAnnotations",
        /// Linux features.
        linux: opt(LinuxFeatures) = "linux",
    }
}

impl Features {
    /// Features for the version range `min..=max`.
    pub fn new(min: impl Into<String>, max: impl Into<String>) -> Self {
        Self {
            oci_version_min: min.into(),
            oci_version_max: max.into(),
            hooks: None,
            mount_options: None,
            annotations: None,
            potentially_unsafe_config_annotations: None,
            linux: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// Linux features (`linux`).
    ///
    /// ```
    /// let f = carrack_spec::runtime::LinuxFeatures::default();
    /// ```
    pub struct LinuxFeatures {
        /// Namespace types recognised.
        namespaces: opt(Vec<NamespaceType>) = "namespaces",
        /// Capabilities recognised.
        capabilities: opt(Vec<Capability>) = "capabilities",
        /// cgroup support.
        cgroup: opt(CgroupFeatures) = "cgroup",
        /// seccomp support.
        seccomp: opt(SeccompFeatures) = "seccomp",
        /// AppArmor support.
        apparmor: opt(Enabled) = "apparmor",
        /// SELinux support.
        selinux: opt(Enabled) = "selinux",
        /// Intel RDT support.
        intel_rdt: opt(IntelRdtFeatures) = "intelRdt",
        /// Memory policy support.
        memory_policy: opt(MemoryPolicyFeatures) = "memoryPolicy",
        /// Mount extensions.
        mount_extensions: opt(MountExtensions) = "mountExtensions",
        /// `linux.netDevices` support.
        net_devices: opt(Enabled) = "netDevices",
    }
}

model! {
    /// Whether a feature is implemented.
    ///
    /// ```
    /// let e = carrack_spec::runtime::Enabled::default()
    ///     .with_enabled(true);
    /// ```
    pub struct Enabled {
        /// Implemented.
        enabled: opt(bool) = "enabled",
    }
}

model! {
    /// cgroup support.
    ///
    /// ```
    /// let c = carrack_spec::runtime::CgroupFeatures::default();
    /// ```
    pub struct CgroupFeatures {
        /// cgroup v1.
        v1: opt(bool) = "v1",
        /// cgroup v2.
        v2: opt(bool) = "v2",
        /// systemd cgroup driver.
        systemd: opt(bool) = "systemd",
        /// systemd user cgroup driver.
        systemd_user: opt(bool) = "systemdUser",
        /// RDMA controller.
        rdma: opt(bool) = "rdma",
    }
}

model! {
    /// seccomp support.
    ///
    /// ```
    /// let s = carrack_spec::runtime::SeccompFeatures::default();
    /// ```
    pub struct SeccompFeatures {
        /// seccomp is implemented.
        enabled: opt(bool) = "enabled",
        /// Actions recognised.
        actions: opt(Vec<SeccompAction>) = "actions",
        /// Operators recognised.
        operators: opt(Vec<SeccompOperator>) = "operators",
        /// Architectures recognised.
        archs: opt(Vec<SeccompArch>) = "archs",
        /// Flags recognised.
        known_flags: opt(Vec<SeccompFlag>) = "knownFlags",
        /// Flags recognised and supported here.
        supported_flags: opt(Vec<SeccompFlag>) = "supportedFlags",
    }
}

model! {
    /// Intel RDT support.
    ///
    /// ```
    /// let r = carrack_spec::runtime::IntelRdtFeatures::default();
    /// ```
    pub struct IntelRdtFeatures {
        /// Intel RDT is implemented.
        enabled: opt(bool) = "enabled",
        /// `linux.intelRdt.schemata` is supported.
        schemata: opt(bool) = "schemata",
        /// `linux.intelRdt.enableMonitoring` is supported.
        monitoring: opt(bool) = "monitoring",
    }
}

model! {
    /// Memory policy support.
    ///
    /// ```
    /// let m = carrack_spec::runtime::MemoryPolicyFeatures::default();
    /// ```
    pub struct MemoryPolicyFeatures {
        /// Modes recognised.
        modes: opt(Vec<MemoryPolicyMode>) = "modes",
        /// Flags recognised.
        flags: opt(Vec<MemoryPolicyFlag>) = "flags",
    }
}

model! {
    /// Mount extensions.
    ///
    /// ```
    /// let m = carrack_spec::runtime::MountExtensions::default();
    /// ```
    pub struct MountExtensions {
        /// Idmapped mounts.
        idmap: opt(Enabled) = "idmap",
    }
}
