//! Solaris 11 and illumos: carrack-solaris's zones (zonecfg, zoneadm, zlogin).

use std::path::PathBuf;

use carrack_platform::{Platform, Result, Store};
use carrack_solaris::executor::System;
use carrack_solaris::{HostFacts, Solaris};
use carrack_spec::runtime::{Features, Spec};

/// The host: zone paths under `$CARRACK_ZONE_ROOT` (else `/zones`), the brand
/// `$CARRACK_ZONE_BRAND` (else the OS's default), VNICs over `$CARRACK_LOWER_LINK` (illumos).
fn facts() -> HostFacts {
    let root = std::env::var_os("CARRACK_ZONE_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/zones"));
    let mut host = if cfg!(target_os = "illumos") {
        HostFacts::illumos(root)
    } else {
        HostFacts::solaris11(root)
    };
    if let Ok(brand) = std::env::var("CARRACK_ZONE_BRAND") {
        host = host.with_brand(brand);
    }
    if let Ok(link) = std::env::var("CARRACK_LOWER_LINK") {
        host = host.with_lower_link(link);
    }
    host
}

/// The host's platform with its state under `root`.
pub(crate) fn platform(root: PathBuf) -> Result<Box<dyn Platform>> {
    Ok(Box::new(Solaris::new(Store::open(root)?, System, facts())))
}

/// What the host's backend supports, without opening a state store.
pub(crate) fn features() -> Features {
    carrack_solaris::features(&facts())
}

/// `/var/run/carrack` (Solaris has no `/run`).
pub(crate) fn default_state_root() -> PathBuf {
    if nix::unistd::geteuid().is_root() {
        PathBuf::from("/var/run/carrack")
    } else {
        std::env::temp_dir().join(format!("carrack-{}", nix::unistd::geteuid()))
    }
}

/// A zone's config: the spec's Solaris example shape, with the root at `rootfs`.
pub(crate) fn default_spec(_rootless: bool) -> std::result::Result<Spec, String> {
    Err(
        "no default Solaris config yet: write one after config-solaris.md; \
         `carrack plan --os solaris CONFIG` shows what it becomes"
            .into(),
    )
}
