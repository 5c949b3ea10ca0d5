//! The Windows backend of carrack: a runtime-spec configuration planned into Host Compute
//! Service (HCS) schema 2.1 documents — the same documents hcsshim sends — and run through
//! computecore.dll.
//!
//! - [`plan`] (pure, every OS): checks the Windows rules of the spec ([`rules`], each error a
//!   [`PlanError`] quoting its sentence) and builds the `ComputeSystem` document of a
//!   process-isolated container, or a utility VM and the container hosted in it for Hyper-V
//!   isolation ([`schema`]), and the `ProcessParameters` of `process`.
//! - [`process_parameters`], [`command_line`] / [`escape_arg`] (Windows quoting),
//!   [`kill_action`] (signals as console control events), [`update_requests`]
//!   (`HcsModifyComputeSystem` requests), [`name_to_guid`] (layer ids).
//! - [`executor::Executor`]: the HCS calls, real on Windows (`executor::Hcs`, on Windows only), simulated
//!   and recorded everywhere ([`executor::Recording`]).
//! - [`Windows`]: the [`carrack_platform::Platform`] over an executor and a
//!   [`carrack_platform::Store`]; [`fixture::Bundles`] are its contract tests' bundles.

mod check;
mod escape;
pub mod executor;
pub mod fixture;
mod guid;
mod hyperv;
mod ops;
mod plan;
mod platform;
pub mod rules;
pub mod schema;

pub use escape::{command_line, escape_arg};
pub use guid::{LAYER_NAMESPACE, name_to_guid, uuid_v5};
pub use ops::{KillAction, kill_action, process_parameters, update_requests};
pub use plan::{HostFacts, Plan, UtilityVm, plan};
pub use platform::{Windows, oci_status};
pub use rules::PlanError;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// What this backend supports (runtime-spec features.md), the document `carrack features`
/// prints on Windows; the same on every host, as it describes the backend and not the machine.
///
/// ```
/// let f = carrack_windows::features();
/// assert_eq!(f.oci_version_max, carrack_spec::runtime::VERSION);
/// ```
pub fn features() -> carrack_spec::runtime::Features {
    use carrack_spec::runtime::Features;
    use std::collections::BTreeMap;

    let mut f = Features::new("1.0.0", carrack_spec::runtime::VERSION);
    f.hooks = Some(Vec::new());
    f.mount_options = Some(vec!["ro".into()]);
    f.annotations = Some(BTreeMap::from([
        (
            "io.github.carrack-oci.windows.hcsSchema".into(),
            "2.1".into(),
        ),
        (
            "io.github.carrack-oci.windows.isolation".into(),
            "process,hyperv".into(),
        ),
    ]));
    f
}
