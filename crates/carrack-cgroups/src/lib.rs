//! Linux control groups for carrack, hand-written rather than built on the `cgroups-rs` crate
//! (the README says why, with measurements): the host's hierarchies on cgroup v2, v1 and
//! hybrid hosts ([`hierarchies`]), a container's cgroup created and joined ([`join`],
//! [`enter_self`]), listed, frozen and removed ([`pids`], [`freeze`], [`remove`]); the
//! config-linux.md § Control groups resources written for v1 and v2 ([`apply`], planned by
//! [`resources::plan_limits`]); runc's device rules as v1 lists or a cgroup v2 eBPF program
//! ([`devices`]); and runc-shaped [`stats`].
//!
//! Linux only: on other systems the crate is empty.
//!
//! ```no_run
//! # #[cfg(target_os = "linux")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let hierarchies = carrack_cgroups::hierarchies()?;
//! let rel = carrack_cgroups::cgroup_path(Some("/carrack/web"), "web");
//! let placed = carrack_cgroups::join(&hierarchies, &rel, std::process::id() as i32)?;
//! carrack_cgroups::enter_self(&placed.v1)?;
//! let limits = serde_json::from_str(r#"{"pids": {"limit": 64}}"#)?;
//! carrack_cgroups::apply_limits(&placed.dirs, &limits)?;
//! println!("{}", serde_json::to_string(&carrack_cgroups::stats(&placed.dirs))?);
//! # Ok(()) }
//! # #[cfg(not(target_os = "linux"))] fn main() {}
//! ```

#![cfg(target_os = "linux")]

pub mod devices;
mod error;
mod hierarchy;
mod placement;
pub mod resources;
mod stats;

pub use error::{Error, Result, RuleError};
pub use hierarchy::{Hierarchy, cgroup_path, hierarchies, is_v2_host, parse_mountinfo};
pub use placement::{
    Placement, create, enter_self, freeze, is_frozen, join, move_into, pids, remove,
};
pub use resources::{apply, apply_devices, apply_limits};
pub use stats::{oom_kills, stats};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
