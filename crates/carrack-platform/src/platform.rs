//! The trait every backend implements; the `carrack` binary drives one of them.

use carrack_spec::runtime::{Features, Process, Resources};

use crate::error::{Error, Result};
use crate::id::ContainerId;
use crate::options::{CreateOptions, ExecOptions, KillOptions};
use crate::state::ContainerState;

/// A container platform: Linux, Windows, Solaris. Methods take the container id; the backend
/// keeps its state in the store it was built with. Operations a backend cannot do return
/// [`Error::Unsupported`] by default.
///
/// ```no_run
/// use carrack_platform::{ContainerId, CreateOptions, Platform};
/// fn run(p: &dyn Platform) -> carrack_platform::Result<i32> {
///     let id = ContainerId::new("web")?;
///     p.create(&id, &CreateOptions::new("/srv/bundle"))?;
///     p.start(&id)?;
///     let state = p.state(&id)?;
///     println!("{}", state.to_runc_json());
///     p.delete(&id, true)?;
///     Ok(0)
/// }
/// ```
pub trait Platform {
    /// What this platform supports (runtime-spec features.md).
    fn features(&self) -> Features;
    /// Creates the container from its bundle: everything set up, the user process not yet run.
    fn create(&self, id: &ContainerId, opts: &CreateOptions) -> Result<ContainerState>;
    /// Runs the user process of a created container.
    fn start(&self, id: &ContainerId) -> Result<()>;
    /// The container's current state.
    fn state(&self, id: &ContainerId) -> Result<ContainerState>;
    /// Every container in the store.
    fn list(&self) -> Result<Vec<ContainerState>>;
    /// Sends `signal` to the container's init (or every process).
    fn kill(&self, id: &ContainerId, signal: i32, opts: KillOptions) -> Result<()>;
    /// Deletes a stopped (or, with `force`, any) container and every resource it holds.
    fn delete(&self, id: &ContainerId, force: bool) -> Result<()>;
    /// Runs another process in the container; returns its pid (detached) or exit status.
    fn exec(&self, _id: &ContainerId, _process: &Process, _opts: &ExecOptions) -> Result<i32> {
        Err(Error::Unsupported("exec"))
    }
    /// Freezes every process of the container.
    fn pause(&self, _id: &ContainerId) -> Result<()> {
        Err(Error::Unsupported("pause"))
    }
    /// Thaws a paused container.
    fn resume(&self, _id: &ContainerId) -> Result<()> {
        Err(Error::Unsupported("resume"))
    }
    /// Changes the container's resource limits.
    fn update(&self, _id: &ContainerId, _resources: &Resources) -> Result<()> {
        Err(Error::Unsupported("update"))
    }
    /// The pids of the container's processes.
    fn ps(&self, _id: &ContainerId) -> Result<Vec<u32>> {
        Err(Error::Unsupported("ps"))
    }
}
