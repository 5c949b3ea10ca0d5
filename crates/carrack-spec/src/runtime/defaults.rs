//! Ready-made configurations, as `runc spec` writes them.

use std::collections::BTreeMap;

use crate::runtime::{
    Capabilities, Capability, DeviceCgroup, Linux, Mount, Namespace, NamespaceType, Process,
    Resources, Rlimit, RlimitType, Root, Spec, User, VERSION,
};

/// Paths masked in a default Linux container.
pub const DEFAULT_MASKED_PATHS: &[&str] = &[
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
    "/proc/scsi",
];

/// Paths made read-only in a default Linux container.
pub const DEFAULT_READONLY_PATHS: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

fn mount(destination: &str, kind: &str, source: &str, options: &[&str]) -> Mount {
    let mut m = Mount::new(destination);
    m.kind = Some(kind.to_owned());
    m.source = Some(source.to_owned());
    if !options.is_empty() {
        m.options = Some(options.iter().map(|o| (*o).to_owned()).collect());
    }
    m
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

impl Spec {
    /// The configuration `runc spec` writes: `sh` as root in a read-only `rootfs`, with new pid,
    /// network, ipc, uts, mount and cgroup namespaces, a minimal capability set, every device
    /// denied, and the usual masked and read-only paths.
    ///
    /// ```
    /// use carrack_spec::Document;
    /// let spec = carrack_spec::runtime::Spec::default_linux();
    /// assert!(spec.validate().is_empty());
    /// ```
    pub fn default_linux() -> Self {
        let caps = vec![
            Capability::AuditWrite,
            Capability::Kill,
            Capability::NetBindService,
        ];
        let capabilities = Capabilities {
            bounding: Some(caps.clone()),
            effective: Some(caps.clone()),
            permitted: Some(caps),
            ..Capabilities::default()
        };

        let mut process = Process::new("/");
        process.terminal = Some(true);
        process.user = Some(User::posix(0, 0));
        process.args = Some(strings(&["sh"]));
        process.env = Some(strings(&[
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "TERM=xterm",
        ]));
        process.capabilities = Some(capabilities);
        process.rlimits = Some(vec![Rlimit::new(RlimitType::Nofile, 1024, 1024)]);
        process.no_new_privileges = Some(true);

        let mut root = Root::new("rootfs");
        root.readonly = Some(true);

        let mut resources = Resources::default();
        let mut deny_all = DeviceCgroup::new(false);
        deny_all.access = Some("rwm".to_owned());
        resources.devices = Some(vec![deny_all]);

        let linux = Linux {
            resources: Some(resources),
            masked_paths: Some(strings(DEFAULT_MASKED_PATHS)),
            readonly_paths: Some(strings(DEFAULT_READONLY_PATHS)),
            namespaces: Some(
                [
                    NamespaceType::Pid,
                    NamespaceType::Network,
                    NamespaceType::Ipc,
                    NamespaceType::Uts,
                    NamespaceType::Mount,
                    NamespaceType::Cgroup,
                ]
                .into_iter()
                .map(Namespace::new)
                .collect(),
            ),
            ..Linux::default()
        };

        let mut spec = Spec::new(VERSION);
        spec.process = Some(process);
        spec.root = Some(root);
        spec.hostname = Some("carrack".to_owned());
        spec.mounts = Some(vec![
            mount("/proc", "proc", "proc", &[]),
            mount(
                "/dev",
                "tmpfs",
                "tmpfs",
                &["nosuid", "strictatime", "mode=755", "size=65536k"],
            ),
            mount(
                "/dev/pts",
                "devpts",
                "devpts",
                &[
                    "nosuid",
                    "noexec",
                    "newinstance",
                    "ptmxmode=0666",
                    "mode=0620",
                    "gid=5",
                ],
            ),
            mount(
                "/dev/shm",
                "tmpfs",
                "shm",
                &["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
            ),
            mount(
                "/dev/mqueue",
                "mqueue",
                "mqueue",
                &["nosuid", "noexec", "nodev"],
            ),
            mount(
                "/sys",
                "sysfs",
                "sysfs",
                &["nosuid", "noexec", "nodev", "ro"],
            ),
            mount(
                "/sys/fs/cgroup",
                "cgroup",
                "cgroup",
                &["nosuid", "noexec", "nodev", "relatime", "ro"],
            ),
        ]);
        spec.linux = Some(linux);
        spec
    }

    /// The rootless variant, as `runc spec --rootless` writes it for `uid`/`gid`: a user
    /// namespace mapping root to the caller, no network or cgroup namespace, `/sys` bound from
    /// the host, and no cgroup resources.
    ///
    /// ```
    /// use carrack_spec::Document;
    /// let spec = carrack_spec::runtime::Spec::default_linux_rootless(1000, 1000);
    /// assert!(spec.validate().is_valid());
    /// ```
    pub fn default_linux_rootless(uid: u32, gid: u32) -> Self {
        let mut spec = Self::default_linux();
        if let Some(linux) = spec.linux.as_mut() {
            linux.resources = None;
            linux.uid_mappings = Some(vec![crate::runtime::IdMapping::new(0, uid, 1)]);
            linux.gid_mappings = Some(vec![crate::runtime::IdMapping::new(0, gid, 1)]);
            linux.namespaces = Some(
                [
                    NamespaceType::Pid,
                    NamespaceType::Ipc,
                    NamespaceType::Uts,
                    NamespaceType::Mount,
                    NamespaceType::User,
                ]
                .into_iter()
                .map(Namespace::new)
                .collect(),
            );
        }
        if let Some(mounts) = spec.mounts.as_mut() {
            mounts.retain(|m| m.destination != "/sys/fs/cgroup" && m.destination != "/dev/mqueue");
            for m in mounts.iter_mut() {
                if m.destination == "/sys" {
                    *m = mount(
                        "/sys",
                        "none",
                        "/sys",
                        &["rbind", "nosuid", "noexec", "nodev", "ro"],
                    );
                }
                if m.destination == "/dev/pts"
                    && let Some(opts) = m.options.as_mut()
                {
                    opts.retain(|o| o != "gid=5");
                }
            }
        }
        spec.annotations = None::<BTreeMap<String, String>>;
        spec
    }
}
