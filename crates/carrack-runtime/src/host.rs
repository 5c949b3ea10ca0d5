//! The host's backend: the one place the binary names it. Every verb drives it through
//! [`Platform`]; another OS's backend goes in beside this one behind its `cfg`.

use std::path::PathBuf;

use carrack_platform::{Platform, Result};
use carrack_spec::runtime::Features;

#[cfg(target_os = "linux")]
use carrack_linux as backend;

/// The host's platform with its state under `root`. The binary re-executes itself from a
/// sealed view before it clones anything into a container that could otherwise reach it
/// (CVE-2019-5736).
pub(crate) fn platform(root: PathBuf) -> Result<Box<dyn Platform>> {
    Ok(Box::new(
        backend::Linux::new(root)?.with_sealing(backend::Sealing::ReExec),
    ))
}

/// What the host's backend supports, without opening a state store.
pub(crate) fn features() -> Features {
    backend::features()
}
