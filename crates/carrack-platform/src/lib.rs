//! What every carrack platform backend shares: the [`Platform`] trait the `carrack` runtime
//! drives and its written contract ([`contract`] tests it against any backend), validated
//! [`ContainerId`]s, named [`Signal`]s each backend maps, the [`Store`] of container state
//! under `--root` (a directory per container, atomic writes, a lock per container, on every
//! OS), the [`hooks`] runner, the process an `exec` runs ([`ExecOverrides`]), [`events`], and
//! typed [`Error`]s whose messages carry the phrases runc's callers match on.

pub mod contract;
mod error;
pub mod events;
mod exec_process;
pub mod fake;
pub mod hooks;
mod id;
mod options;
mod platform;
mod resources;
mod signal;
mod state;
mod stats;
mod store;

pub use error::{Error, Result};
pub use events::Event;
pub use exec_process::ExecOverrides;
pub use id::ContainerId;
pub use options::{
    CreateOptions, ExecOptions, Exit, KillOptions, LinuxCreateOptions, LinuxExecOptions, RunOptions,
};
pub use platform::Platform;
pub use resources::{Resources, ResourcesKind};
pub use signal::{Signal, SignalName};
pub use state::{ContainerState, rfc3339_nano};
pub use stats::{
    Blkio, BlkioEntry, CmtNumaNodeStats, Cpu, CpuSet, CpuUsage, Hugetlb, IntelRdt, L3CacheInfo,
    MbmNumaNodeStats, MemBwInfo, Memory, MemoryEntry, NetworkInterface, Pids, Stats, Throttling,
};
pub use store::{Locked, Store};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
