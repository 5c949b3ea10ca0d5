//! An OS carrack has no backend for: the binary validates, plans and manages images, and
//! says so when asked to run a container.

use std::path::PathBuf;

use carrack_platform::{Error, Platform, Result};
use carrack_spec::runtime::{Features, Spec};

/// Always an error: there is no backend for this OS.
pub(crate) fn platform(_root: PathBuf) -> Result<Box<dyn Platform>> {
    Err(Error::Unsupported(
        "running containers (carrack has backends for Linux, Windows, Solaris and illumos)",
    ))
}

/// The features of a runtime that runs nothing.
pub(crate) fn features() -> Features {
    Features::new("1.0.0", carrack_spec::runtime::VERSION)
}

/// A state directory, though nothing is ever stored in it.
pub(crate) fn default_state_root() -> PathBuf {
    std::env::temp_dir().join("carrack")
}

/// runc's default config, for a Linux host to run.
pub(crate) fn default_spec(_rootless: bool) -> std::result::Result<Spec, String> {
    Ok(Spec::default_linux())
}
