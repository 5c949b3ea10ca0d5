//! Windows: carrack-windows's Host Compute Service compute systems (computecore.dll).

use std::path::PathBuf;

use carrack_platform::{Platform, Result, Store};
use carrack_spec::runtime::{Features, Spec};
use carrack_windows::Windows;
use carrack_windows::executor::Hcs;

/// The host's platform with its state under `root`.
pub(crate) fn platform(root: PathBuf) -> Result<Box<dyn Platform>> {
    Ok(Box::new(Windows::new(Store::open(root)?, Hcs)))
}

/// What the host's backend supports, without opening a state store.
pub(crate) fn features() -> Features {
    carrack_windows::features()
}

/// `%ProgramData%\carrack`, beside where the Windows container services keep theirs.
pub(crate) fn default_state_root() -> PathBuf {
    std::env::var_os("ProgramData")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"))
        .join("carrack")
}

/// A Windows config names the image's layer folders and the volume its scratch layer is
/// mounted on, which only the caller that prepared the layers knows.
pub(crate) fn default_spec(_rootless: bool) -> std::result::Result<Spec, String> {
    Err(
        "a Windows config.json names the image's layer folders and its scratch volume \
         (config-windows.md), which the tool that prepared the layers writes; \
         `carrack plan --os windows CONFIG` shows what a config becomes"
            .into(),
    )
}
