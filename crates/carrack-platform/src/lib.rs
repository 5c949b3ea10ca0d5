//! What every carrack platform backend shares: the [`Platform`] trait the `carrack` runtime
//! drives, validated [`ContainerId`]s, the [`Store`] of container state under `--root` (a
//! directory per container, atomic writes, a lock per container), the [`hooks`] runner, and
//! typed [`Error`]s whose messages carry the phrases runc's callers match on.

mod error;
pub mod hooks;
mod id;
mod options;
mod platform;
mod state;
mod stats;
#[cfg(unix)]
mod store;

pub use error::{Error, Result};
pub use id::ContainerId;
pub use options::{CreateOptions, ExecOptions, KillOptions};
pub use platform::Platform;
pub use state::{ContainerState, rfc3339_nano};
pub use stats::{
    Blkio, BlkioEntry, CmtNumaNodeStats, Cpu, CpuSet, CpuUsage, Hugetlb, IntelRdt, L3CacheInfo,
    MbmNumaNodeStats, MemBwInfo, Memory, MemoryEntry, NetworkInterface, Pids, Stats, Throttling,
};
#[cfg(unix)]
pub use store::{Locked, Store};
