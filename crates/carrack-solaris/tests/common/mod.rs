//! What the integration tests share: a host's facts, bundles, a platform over the recording
//! executor.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU32, Ordering};

use carrack_platform::Store;
use carrack_platform::contract::{Fixture, Program};
use carrack_solaris::executor::Recording;
use carrack_solaris::{HostFacts, Solaris};
use carrack_spec::Document;
use carrack_spec::runtime::{Process, Root, Solaris as SolarisConfig, Spec, User};

static ROOT: LazyLock<tempfile::TempDir> =
    LazyLock::new(|| tempfile::tempdir().expect("a temporary directory"));
static NEXT: AtomicU32 = AtomicU32::new(0);

/// A new directory under the test process's temporary root.
pub fn fresh_dir(what: &str) -> PathBuf {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let d = ROOT.path().join(format!("{what}-{n}"));
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

/// The illumos host the tests plan for.
pub fn illumos() -> HostFacts {
    HostFacts::illumos("/zones").with_lower_link("e1000g0")
}

/// A platform over a fresh store and a fresh recording executor.
pub fn platform(host: HostFacts) -> Solaris<Recording> {
    let store = Store::open(fresh_dir("state")).expect("store");
    Solaris::new(store, Recording::new(), host)
}

/// A configuration for Solaris running `args`.
pub fn spec(args: &[&str]) -> Spec {
    Spec::default()
        .with_root(Root::new("rootfs"))
        .with_process(
            Process::new("/")
                .with_args(args.iter().copied())
                .with_env(["PATH=/usr/bin:/usr/sbin"])
                .with_user(User::posix(0, 0)),
        )
        .with_solaris(SolarisConfig::default().with_limitpriv("default"))
}

/// Writes `spec` as a bundle in `dir`.
pub fn write_bundle(dir: &Path, spec: &Spec) -> PathBuf {
    std::fs::create_dir_all(dir.join("rootfs")).expect("rootfs");
    std::fs::write(dir.join("config.json"), spec.to_string_pretty()).expect("config.json");
    dir.to_path_buf()
}

/// The contract's bundles: `exit N` or `sleep`.
pub struct Bundles(pub PathBuf);

impl Fixture for Bundles {
    fn bundle(&self, name: &str, program: Option<Program>) -> PathBuf {
        let mut s = spec(&["sleep"]);
        match program {
            None => s.process = None,
            Some(Program::Exit(n)) => s = spec(&["exit", &n.to_string()]),
            Some(Program::Sleep) => {}
        }
        write_bundle(&self.0.join(name), &s)
    }
}
