//! What the Linux backend supports (features.md, features-linux.md), as `carrack features`
//! prints it. Only what is implemented is claimed.

use carrack_spec::runtime::{
    CgroupFeatures, Enabled, Features, IntelRdtFeatures, LinuxFeatures, MemoryPolicyFeatures,
    MemoryPolicyFlag, MemoryPolicyMode, MountExtensions, NamespaceType, SeccompFeatures,
};

/// What the Linux backend supports, as `carrack features` prints it.
///
/// ```
/// let f = carrack_linux::features();
/// assert_eq!(f.oci_version_min, "1.0.0");
/// assert!(f.hooks.is_some_and(|h| h.len() == 6));
/// ```
pub fn features() -> Features {
    let mut f = Features::new("1.0.0", carrack_spec::runtime::VERSION);
    f.hooks = Some(carrack_platform::hooks::KINDS.map(String::from).to_vec());
    f.mount_options = Some(
        crate::mounts::known_options()
            .into_iter()
            .map(String::from)
            .collect(),
    );
    let mut l = LinuxFeatures::default();
    l.namespaces = Some(vec![
        NamespaceType::Cgroup,
        NamespaceType::Ipc,
        NamespaceType::Mount,
        NamespaceType::Network,
        NamespaceType::Pid,
        NamespaceType::Time,
        NamespaceType::User,
        NamespaceType::Uts,
    ]);
    l.capabilities = Some(
        crate::process::caps::known_capabilities()
            .iter()
            .take(usize::try_from(crate::process::caps::last_cap()).unwrap_or(40) + 1)
            .map(|c| {
                c.parse()
                    .unwrap_or_else(|_| carrack_spec::runtime::Capability::Other((*c).into()))
            })
            .collect(),
    );
    let mut cg = CgroupFeatures::default();
    cg.v1 = Some(true);
    cg.v2 = Some(true);
    cg.systemd = Some(false);
    cg.systemd_user = Some(false);
    cg.rdma = Some(true);
    l.cgroup = Some(cg);
    let mut sc = SeccompFeatures::default();
    let flags = crate::confine::seccomp::supported_flags();
    sc.enabled = Some(cfg!(feature = "seccomp"));
    if cfg!(feature = "seccomp") {
        use carrack_spec::runtime::{SeccompAction as A, SeccompArch as R, SeccompOperator as O};
        sc.actions = Some(vec![
            A::Allow,
            A::Errno,
            A::Kill,
            A::KillProcess,
            A::KillThread,
            A::Log,
            A::Notify,
            A::Trace,
            A::Trap,
        ]);
        sc.operators = Some(vec![
            O::EqualTo,
            O::GreaterOrEqual,
            O::GreaterThan,
            O::LessOrEqual,
            O::LessThan,
            O::MaskedEqual,
            O::NotEqual,
        ]);
        sc.archs = Some(vec![
            R::X86,
            R::X86_64,
            R::X32,
            R::Arm,
            R::Aarch64,
            R::Mips,
            R::Mips64,
            R::Mips64N32,
            R::Mipsel,
            R::Mipsel64,
            R::Mipsel64N32,
            R::Ppc,
            R::Ppc64,
            R::Ppc64le,
            R::S390,
            R::S390x,
            R::Parisc,
            R::Parisc64,
            R::Riscv64,
        ]);
        sc.known_flags = Some(vec![
            carrack_spec::runtime::SeccompFlag::Tsync,
            carrack_spec::runtime::SeccompFlag::Log,
            carrack_spec::runtime::SeccompFlag::SpecAllow,
            carrack_spec::runtime::SeccompFlag::WaitKillableRecv,
        ]);
        sc.supported_flags = Some(flags);
    }
    l.seccomp = Some(sc);
    let mut on = Enabled::default();
    on.enabled = Some(crate::confine::lsm::apparmor_enabled());
    l.apparmor = Some(on);
    let mut on = Enabled::default();
    on.enabled = Some(crate::confine::lsm::selinux_enabled());
    l.selinux = Some(on);
    let mut off = Enabled::default();
    off.enabled = Some(false);
    l.net_devices = Some(off);
    let mut idmap = Enabled::default();
    idmap.enabled = Some(true);
    let mut ext = MountExtensions::default();
    ext.idmap = Some(idmap);
    l.mount_extensions = Some(ext);
    // set_mempolicy(2) with every mode and flag of config-linux.md § Memory policy.
    let mut mp = MemoryPolicyFeatures::default();
    mp.modes = Some(vec![
        MemoryPolicyMode::Default,
        MemoryPolicyMode::Bind,
        MemoryPolicyMode::Interleave,
        MemoryPolicyMode::WeightedInterleave,
        MemoryPolicyMode::Preferred,
        MemoryPolicyMode::PreferredMany,
        MemoryPolicyMode::Local,
    ]);
    mp.flags = Some(vec![
        MemoryPolicyFlag::NumaBalancing,
        MemoryPolicyFlag::RelativeNodes,
        MemoryPolicyFlag::StaticNodes,
    ]);
    l.memory_policy = Some(mp);
    // No resctrl: a config asking for Intel RDT is refused.
    let mut rdt = IntelRdtFeatures::default();
    rdt.enabled = Some(false);
    l.intel_rdt = Some(rdt);
    f.linux = Some(l);
    f
}
