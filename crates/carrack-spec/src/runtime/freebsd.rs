//! `config.json` → `freebsd` (runtime-spec `config-freebsd.md`).

use crate::model::{model, open_enum};

model! {
    /// FreeBSD-specific configuration (`freebsd`).
    ///
    /// ```
    /// let f = carrack_spec::runtime::FreeBsd::default();
    /// ```
    pub struct FreeBsd {
        /// devfs rules.
        devices: opt(Vec<FreeBsdDevice>) = "devices",
        /// Jail parameters.
        jail: opt(Jail) = "jail",
    }
}

model! {
    /// A device made visible in the jail's devfs.
    ///
    /// ```
    /// let d = carrack_spec::runtime::FreeBsdDevice::default()
    ///     .with_path("pf");
    /// ```
    pub struct FreeBsdDevice {
        /// Device path relative to `/dev`, may be a glob.
        path: opt(String) = "path",
        /// File mode.
        mode: opt(u32) = "mode",
    }
}

model! {
    /// Jail parameters (`freebsd.jail`).
    ///
    /// ```
    /// let j = carrack_spec::runtime::Jail::default();
    /// ```
    pub struct Jail {
        /// Parent jail.
        parent: opt(String) = "parent",
        /// UTS namespace sharing.
        host: opt(SharingMode) = "host",
        /// IPv4 sharing.
        ip4: opt(SharingMode) = "ip4",
        /// IPv4 addresses.
        ip4_addr: opt(Vec<String>) = "ip4Addr",
        /// IPv6 sharing.
        ip6: opt(SharingMode) = "ip6",
        /// IPv6 addresses.
        ip6_addr: opt(Vec<String>) = "ip6Addr",
        /// Virtual network stack.
        vnet: opt(SharingMode) = "vnet",
        /// Interface for ip4Addr/ip6Addr.
        interface: opt(String) = "interface",
        /// Interfaces moved into the vnet.
        vnet_interfaces: opt(Vec<String>) = "vnetInterfaces",
        /// System V message queue sharing.
        sysvmsg: opt(SharingMode) = "sysvmsg",
        /// System V semaphore sharing.
        sysvsem: opt(SharingMode) = "sysvsem",
        /// System V shared memory sharing.
        sysvshm: opt(SharingMode) = "sysvshm",
        /// Which mounts `statfs` shows, 0 to 2.
        enforce_statfs: opt(u8) = "enforceStatfs",
        /// Permissions.
        allow: opt(JailAllow) = "allow",
    }
}

open_enum! {
    /// How a jail shares a resource with its parent.
    pub enum SharingMode {
        Disable = "disable",
        New = "new",
        Inherit = "inherit",
    }
}

model! {
    /// Jail permissions (`jail.allow`).
    ///
    /// ```
    /// let a = carrack_spec::runtime::JailAllow::default();
    /// ```
    pub struct JailAllow {
        /// May set the host name.
        set_hostname: opt(bool) = "setHostname",
        /// May use raw sockets.
        raw_sockets: opt(bool) = "rawSockets",
        /// May change file flags.
        chflags: opt(bool) = "chflags",
        /// Filesystem types that may be mounted.
        mount: opt(Vec<String>) = "mount",
        /// May manage quotas.
        quotas: opt(bool) = "quotas",
        /// May use non-IP socket families.
        socket_af: opt(bool) = "socketAf",
        /// May lock memory.
        mlock: opt(bool) = "mlock",
        /// May bind reserved ports.
        reserved_ports: opt(bool) = "reservedPorts",
        /// Root in the jail is privileged.
        suser: opt(bool) = "suser",
    }
}
