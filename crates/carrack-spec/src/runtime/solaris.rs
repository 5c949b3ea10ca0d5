//! `config.json` → `solaris` (runtime-spec `config-solaris.md`).

use crate::model::model;

model! {
    /// Solaris-specific configuration (`solaris`).
    ///
    /// ```
    /// let s = carrack_spec::runtime::Solaris::default()
    ///     .with_limitpriv("default");
    /// ```
    pub struct Solaris {
        /// SMF FMRI to wait for before starting.
        milestone: opt(String) = "milestone",
        /// Maximum privileges of the zone's processes.
        limitpriv: opt(String) = "limitpriv",
        /// Maximum System V shared memory.
        max_shm_memory: opt(String) = "maxShmMemory",
        /// CPU cap.
        capped_cpu: opt(CappedCpu) = "cappedCPU",
        /// Memory caps.
        capped_memory: opt(CappedMemory) = "cappedMemory",
        /// Automatic network interfaces.
        anet: opt(Vec<Anet>) = "anet",
    }
}

model! {
    /// A CPU cap (`cappedCPU`).
    ///
    /// ```
    /// let c = carrack_spec::runtime::CappedCpu::default();
    /// ```
    pub struct CappedCpu {
        /// Number of CPUs, as a decimal string.
        ncpus: opt(String) = "ncpus",
    }
}

model! {
    /// Memory caps (`cappedMemory`).
    ///
    /// ```
    /// let c = carrack_spec::runtime::CappedMemory::default();
    /// ```
    pub struct CappedMemory {
        /// Physical memory cap, e.g. `512m`.
        physical: opt(String) = "physical",
        /// Swap cap.
        swap: opt(String) = "swap",
    }
}

model! {
    /// An automatic network interface (`anet[]`).
    ///
    /// ```
    /// let a = carrack_spec::runtime::Anet::default()
    ///     .with_linkname("net0")
    ///     .with_lower_link("net2");
    /// ```
    pub struct Anet {
        /// Link name.
        linkname: opt(String) = "linkname",
        /// Underlying datalink.
        lower_link: opt(String) = "lowerLink",
        /// Allowed IP addresses.
        allowed_address: opt(String) = "allowedAddress",
        /// Whether the allowed address is configured on the interface.
        configure_allowed_address: opt(String) = "configureAllowedAddress",
        /// Default router.
        defrouter: opt(String) = "defrouter",
        /// MAC address.
        mac_address: opt(String) = "macAddress",
        /// Link protection.
        link_protection: opt(String) = "linkProtection",
    }
}
