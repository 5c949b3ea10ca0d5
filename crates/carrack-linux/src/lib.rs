//! The Linux backend of carrack: [`Linux`] implements [`carrack_platform::Platform`] with
//! namespaces (new or joined by path), the rootfs built inside a mount namespace and entered
//! with pivot_root, every mount resolved inside the rootfs and mounted by descriptor, /dev with
//! the default and configured devices, masked and read-only paths, hostname, sysctl, rlimits,
//! users, capabilities set exactly as configured, a terminal sent over `--console-socket`, all
//! six hook kinds, and cgroup placement on v1, v2 and hybrid hosts.
//!
//! `create` clones the container's init straight into its new namespaces (no re-exec of the
//! runtime binary); init blocks on `exec.fifo` in the state directory until `start` opens it.
//! So `create`, `run` and `exec` must be called from a single-threaded process: they check, and
//! refuse otherwise (see [`Linux`] § Threads).
//!
//! Errors inside the backend are [`Error`]s, which name the config field concerned by its JSON
//! pointer and keep the errno; they become [`carrack_platform::Error`]s at [`Linux`]'s methods.

#![cfg(target_os = "linux")]

mod confine;
mod dev;
mod error;
mod exec;
mod init;
mod mounts;
mod namespaces;
mod platform;
mod platform_features;
mod process;
mod procfs;
mod signals;
mod spawn;
mod sys;
mod wait;

pub use carrack_cgroups::cgroup_path;
pub use error::{Error, Result};
pub use platform::Linux;
pub use platform_features::features;
pub use process::caps::{capability_number, known_capabilities};
pub use signals::signal_number;
pub use spawn::sealed::Sealing;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
