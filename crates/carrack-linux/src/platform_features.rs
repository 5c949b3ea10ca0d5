//! What the Linux backend supports (features.md, features-linux.md), as `carrack features`
//! prints it. Only what is implemented is claimed.

use carrack_spec::runtime::{
    CgroupFeatures, Enabled, Features, LinuxFeatures, NamespaceType, SeccompFeatures,
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
    f.hooks = Some(
        [
            "prestart",
            "createRuntime",
            "createContainer",
            "startContainer",
            "poststart",
            "poststop",
        ]
        .map(String::from)
        .to_vec(),
    );
    f.mount_options = Some(
        [
            "async",
            "atime",
            "bind",
            "defaults",
            "dev",
            "diratime",
            "dirsync",
            "exec",
            "lazytime",
            "loud",
            "mand",
            "noatime",
            "nodev",
            "nodiratime",
            "noexec",
            "nolazytime",
            "nomand",
            "norelatime",
            "nostrictatime",
            "nosuid",
            "private",
            "rbind",
            "relatime",
            "remount",
            "ro",
            "rprivate",
            "rro",
            "rshared",
            "rslave",
            "runbindable",
            "rw",
            "shared",
            "silent",
            "slave",
            "strictatime",
            "suid",
            "sync",
            "unbindable",
        ]
        .map(String::from)
        .to_vec(),
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
        crate::caps::known_capabilities()
            .iter()
            .take(usize::try_from(crate::caps::last_cap()).unwrap_or(40) + 1)
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
    cg.rdma = Some(false);
    l.cgroup = Some(cg);
    let mut sc = SeccompFeatures::default();
    sc.enabled = Some(false);
    l.seccomp = Some(sc);
    let mut off = Enabled::default();
    off.enabled = Some(false);
    l.apparmor = Some(off.clone());
    l.selinux = Some(off.clone());
    l.net_devices = Some(off);
    f.linux = Some(l);
    f
}
