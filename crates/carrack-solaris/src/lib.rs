//! The Solaris 11 and illumos backend of carrack: an OCI container is a zone.
//!
//! * [`plan`] (pure, tested on every OS) turns a `config.json` and the host's [`HostFacts`]
//!   into a [`ZonePlan`]: the zonecfg script, and every [`Command`] of the zone's life
//!   (VNICs on illumos, `zonecfg -f`, `zoneadm install`/`clone`/`ready`/`boot`/`halt`/
//!   `uninstall`, the milestone wait with `svcs`, the process through `zlogin`);
//! * [`rules`] enforces config-solaris.md, each error quoting its sentence;
//! * [`parse`] reads what the zone tools print, hostile input included;
//! * [`executor`] runs commands: `executor::System` on Solaris and illumos,
//!   [`executor::Recording`] (a simulation of the tools) anywhere;
//! * [`Solaris`] is the [`carrack_platform::Platform`] over them.
//!
//! ```
//! use carrack_solaris::{HostFacts, Placement, plan};
//! use carrack_spec::runtime::{CappedCpu, Process, Root, Solaris, Spec};
//! let spec = Spec::default()
//!     .with_root(Root::new("rootfs"))
//!     .with_process(Process::new("/").with_args(["/usr/bin/sleep", "60"]))
//!     .with_solaris(Solaris::default().with_capped_cpu(CappedCpu::default().with_ncpus("1.5")));
//! let at = Placement { id: "web".into(), bundle: "/b".into(), zonecfg_file: "/s/zonecfg".into() };
//! let p = plan(&spec, &HostFacts::solaris11("/zones"), &at)?;
//! assert!(p.zonecfg.contains("add capped-cpu\nset ncpus=1.5\nend\n"));
//! # Ok::<(), carrack_solaris::PlanError>(())
//! ```

pub mod command;
pub mod executor;
mod host;
pub mod parse;
mod plan;
mod platform;
pub mod process;
pub mod rules;
mod zonecfg;

pub use command::Command;
pub use host::{HostFacts, HostOs, Install};
pub use plan::{Placement, Step, ZonePlan, plan, zone_name};
pub use platform::Solaris;
pub use rules::PlanError;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// What this backend supports on `host` (runtime-spec features.md), the document
/// `carrack features` prints on Solaris and illumos.
///
/// ```
/// let f = carrack_solaris::features(&carrack_solaris::HostFacts::illumos("/zones"));
/// assert_eq!(f.oci_version_max, carrack_spec::runtime::VERSION);
/// ```
pub fn features(host: &HostFacts) -> carrack_spec::runtime::Features {
    use carrack_spec::runtime::Features;
    use std::collections::BTreeMap;

    let mut f = Features::new("1.0.0", carrack_spec::runtime::VERSION);
    f.hooks = Some(Vec::new());
    f.mount_options = Some(
        [
            "bind",
            "rbind",
            "ro",
            "rw",
            "nodevices",
            "devices",
            "nosetuid",
            "setuid",
            "nosuid",
            "suid",
            "noexec",
            "exec",
        ]
        .map(String::from)
        .to_vec(),
    );
    f.annotations = Some(BTreeMap::from([
        (
            "io.github.carrack-oci.solaris.os".to_owned(),
            host.os.as_str().to_owned(),
        ),
        (
            "io.github.carrack-oci.solaris.brand".to_owned(),
            host.brand.clone(),
        ),
    ]));
    f
}
