//! The Linux backend of carrack: [`Linux`] implements [`carrack_platform::Platform`] with
//! namespaces (new or joined by path), the rootfs built inside a mount namespace and entered
//! with pivot_root, every mount resolved inside the rootfs and mounted by descriptor, /dev with
//! the default and configured devices, masked and read-only paths, hostname, sysctl, rlimits,
//! users, capabilities set exactly as configured, a terminal sent over `--console-socket`, all
//! six hook kinds, and cgroup placement on v1, v2 and hybrid hosts.
//!
//! `create` clones the container's init straight into its new namespaces (no re-exec of the
//! runtime binary); init blocks on `exec.fifo` in the state directory until `start` opens it.

#![cfg(target_os = "linux")]

mod caps;
mod console;
mod devices;
mod exec;
mod handoff;
mod init;
mod lsm;
mod mounts;
mod paths;
mod platform;
mod platform_features;
mod process;
mod procfs;
mod sealed;
#[cfg_attr(not(feature = "seccomp"), path = "seccomp_off.rs")]
mod seccomp;
mod signals;
mod sync;
mod sys;
mod trampoline;
mod wait;

pub use caps::{capability_number, known_capabilities};
pub use carrack_cgroups::cgroup_path;
pub use platform::Linux;
pub use platform_features::features;
pub use sealed::Sealing;
pub use signals::signal_number;
