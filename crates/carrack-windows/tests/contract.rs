//! carrack-platform's contract, against [`Windows`] over the recording executor: every check
//! of `contract::ALL` as its own test, on any host.

use carrack_platform::Store;
use carrack_windows::Windows;
use carrack_windows::executor::Recording;
use carrack_windows::fixture::Bundles;

/// A directory that outlives the test (the platform and the fixture are built separately).
fn dir(what: &str) -> std::path::PathBuf {
    tempfile::Builder::new()
        .prefix(what)
        .tempdir()
        .expect("tmp")
        .keep()
}

fn platform() -> Windows<Recording> {
    Windows::new(Store::open(dir("state")).expect("store"), Recording::new())
}

carrack_platform::contract_tests! {
    platform: platform(),
    fixture: Bundles::new(dir("bundles")),
}
