//! [`HostFacts`]: what the planner needs to know about the host, passed in as data so that
//! planning is pure and is tested on any OS.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which zones implementation the host has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostOs {
    /// Oracle Solaris 11 (11.2 or later: `anet` with `configure-allowed-address`).
    Solaris11,
    /// An illumos distribution (OmniOS, OpenIndiana, SmartOS…): no `anet`; VNICs are made with
    /// `dladm create-vnic` and given to the zone as `net` resources.
    Illumos,
}

impl HostOs {
    /// `solaris` or `illumos`.
    pub fn as_str(self) -> &'static str {
        match self {
            HostOs::Solaris11 => "solaris",
            HostOs::Illumos => "illumos",
        }
    }
}

/// How the zone's root is installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Install {
    /// `zoneadm -z Z install FLAG ROOTFS`: the brand installs the zone from the bundle's root
    /// filesystem (Solaris 11's `solaris` brand: `-d path`, an installed system image in a
    /// directory; illumos' `lx` and `illumos` brands: `-s path`).
    Rootfs {
        /// The flag that names the source (`-d` or `-s`).
        flag: String,
    },
    /// `zoneadm -z Z install [ARGS]`: the brand installs from its own package source (IPS for
    /// `solaris`, `lipkg` and `sparse`, pkgsrc for `pkgsrc`); the bundle's root filesystem is
    /// then not the zone's root (see the crate README's field table).
    Packages {
        /// Extra arguments (`-e pkg`, `-c profile.xml`…).
        args: Vec<String>,
    },
    /// `zoneadm -z Z clone SOURCE`: a copy of an installed template zone (fast on ZFS).
    Clone {
        /// The installed zone to copy.
        source: String,
    },
}

/// The facts about the host the plan depends on.
///
/// ```
/// use carrack_solaris::{HostFacts, HostOs};
/// let h = HostFacts::illumos("/zones").with_lower_link("e1000g0");
/// assert_eq!((h.os, h.brand.as_str()), (HostOs::Illumos, "sparse"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HostFacts {
    /// Solaris 11 or illumos.
    pub os: HostOs,
    /// The zone brand: `solaris` on Solaris 11 (not `solaris-kz`, a kernel zone, nor
    /// `solaris-oci`, which only Oracle's closed `runz` may administer); on illumos one of the
    /// distribution's brands (OmniOS: `sparse`, `lipkg`, `pkgsrc`, `lx`, `illumos`).
    pub brand: String,
    /// The directory zone paths are made under (`zonepath` = this / zone name).
    pub zone_root: PathBuf,
    /// The link VNICs are created over when an `anet` names no `lowerLink` (illumos; Solaris
    /// 11 lets zoneadmd choose, `lower-link=auto`).
    pub default_lower_link: Option<String>,
    /// How zones are installed.
    pub install: Install,
    /// The SMF milestone waited for when the configuration names none.
    pub default_milestone: String,
    /// How long `start` waits for the milestone to come online.
    pub milestone_timeout: Duration,
    /// How often `start` asks `svcs` meanwhile.
    pub poll_interval: Duration,
}

impl HostFacts {
    fn new(os: HostOs, brand: &str, zone_root: PathBuf, install: Install) -> Self {
        Self {
            os,
            brand: brand.to_owned(),
            zone_root,
            default_lower_link: None,
            install,
            default_milestone: "svc:/milestone/multi-user:default".to_owned(),
            milestone_timeout: Duration::from_secs(120),
            poll_interval: Duration::from_millis(250),
        }
    }

    /// Solaris 11: brand `solaris`, installed from the bundle's rootfs with `install -d`.
    pub fn solaris11(zone_root: impl Into<PathBuf>) -> Self {
        let install = Install::Rootfs { flag: "-d".into() };
        Self::new(HostOs::Solaris11, "solaris", zone_root.into(), install)
    }

    /// illumos: brand `sparse` (OmniOS's smallest native brand, which shares the global
    /// zone's `/usr`), installed from packages.
    pub fn illumos(zone_root: impl Into<PathBuf>) -> Self {
        let install = Install::Packages { args: Vec::new() };
        Self::new(HostOs::Illumos, "sparse", zone_root.into(), install)
    }

    /// With this brand.
    pub fn with_brand(mut self, brand: impl Into<String>) -> Self {
        self.brand = brand.into();
        self
    }

    /// With this default lower link for VNICs.
    pub fn with_lower_link(mut self, link: impl Into<String>) -> Self {
        self.default_lower_link = Some(link.into());
        self
    }

    /// With this way of installing zones.
    pub fn with_install(mut self, install: Install) -> Self {
        self.install = install;
        self
    }

    /// With these milestone waiting times.
    pub fn with_milestone_wait(mut self, timeout: Duration, poll: Duration) -> Self {
        self.milestone_timeout = timeout;
        self.poll_interval = poll;
        self
    }
}
