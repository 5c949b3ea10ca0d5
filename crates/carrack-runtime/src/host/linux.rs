//! Linux: carrack-linux's namespaces, cgroups and seccomp.

use std::path::PathBuf;

use carrack_platform::{Platform, Result};
use carrack_spec::runtime::{Features, Spec};

/// The host's platform with its state under `root`. The binary re-executes itself from a
/// sealed view before it clones anything into a container that could otherwise reach it
/// (CVE-2019-5736).
pub(crate) fn platform(root: PathBuf) -> Result<Box<dyn Platform>> {
    Ok(Box::new(
        carrack_linux::Linux::new(root)?.with_sealing(carrack_linux::Sealing::ReExec),
    ))
}

/// What the host's backend supports, without opening a state store.
pub(crate) fn features() -> Features {
    carrack_linux::features()
}

/// runc's state directory: `/run/carrack` for root, else under `$XDG_RUNTIME_DIR`.
pub(crate) fn default_state_root() -> PathBuf {
    let euid = nix::unistd::geteuid();
    if euid.is_root() {
        return PathBuf::from("/run/carrack");
    }
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(|d| PathBuf::from(d).join("carrack"))
        .unwrap_or_else(|| std::env::temp_dir().join(format!("carrack-{euid}")))
}

/// `carrack spec`'s config: runc's default, or its rootless variant for this user.
pub(crate) fn default_spec(rootless: bool) -> std::result::Result<Spec, String> {
    Ok(if rootless {
        Spec::default_linux_rootless(
            nix::unistd::geteuid().as_raw(),
            nix::unistd::getegid().as_raw(),
        )
    } else {
        Spec::default_linux()
    })
}
