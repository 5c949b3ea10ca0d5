//! The contract's checks, one `#[test]` each through `contract_tests!`, against the recording
//! fake: what a new backend's test file looks like. The tests share one store, as containers of
//! one runtime do, and run in parallel.

use std::path::Path;
use std::sync::OnceLock;

use carrack_platform::fake::{Bundles, Recording};

fn dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("tmp")).path()
}

carrack_platform::contract_tests! {
    platform: Recording::new(dir().join("state")).expect("store"),
    fixture: Bundles::new(dir().join("bundles")),
}
