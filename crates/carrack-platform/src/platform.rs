//! The trait every backend implements; the `carrack` binary drives one of them.

use std::path::Path;

use carrack_spec::Document;
use carrack_spec::runtime::{Features, Process, Spec};

use crate::error::{Error, Result};
use crate::id::ContainerId;
use crate::options::{CreateOptions, ExecOptions, Exit, KillOptions, RunOptions};
use crate::resources::{Resources, ResourcesKind};
use crate::signal::Signal;
use crate::state::ContainerState;
use crate::stats::Stats;

/// A container platform: Linux, Windows, Solaris. Methods take the container id; the backend
/// keeps its state in the store it was built with.
///
/// # The contract
///
/// Every backend keeps these promises, each one a sentence of the runtime-spec's runtime.md
/// (§ Operations, § Errors); [`crate::contract`] tests them against any backend, once.
///
/// - [`create`](Self::create): "If the ID provided is not unique across all containers within
///   the scope of the runtime, or is not valid in any other way, the implementation MUST
///   generate an error and a new container MUST NOT be created." "All of the properties
///   configured in `config.json` except for `process` MUST be applied. `process.args` MUST NOT
///   be applied until triggered by the `start` operation." After it, the state is `created`.
/// - [`start`](Self::start): "Attempting to `start` a container that is not `created` MUST have
///   no effect on the container and MUST generate an error." "This operation MUST run the
///   user-specified program as specified by `process`." "This operation MUST generate an error
///   if `process` was not set."
/// - [`state`](Self::state): "Attempting to query a container that does not exist MUST generate
///   an error." "This operation MUST return the state of a container as specified in the State
///   section": `created`, `running`, `stopped` (and `paused`, which this project adds as runc
///   does), with the pid while `created` or `running`.
/// - [`kill`](Self::kill): "Attempting to send a signal to a container that is neither
///   `created` nor `running` MUST have no effect on the container and MUST generate an error."
///   "This operation MUST send the specified signal to the container process."
/// - [`delete`](Self::delete): "Attempting to `delete` a container that is not `stopped` MUST
///   have no effect on the container and MUST generate an error" (unless forced, as runc's
///   `delete --force` kills it first). "Deleting a container MUST delete the resources that
///   were created during the `create` step." "Once a container is deleted its ID MAY be used by
///   a subsequent container."
/// - Errors: "Unless otherwise stated, generating an error MUST leave the state of the
///   environment as if the operation were never attempted."
///
/// Operations a backend cannot do return [`Error::Unsupported`] by default.
///
/// ```no_run
/// use carrack_platform::{ContainerId, CreateOptions, Platform, Signal};
/// fn run(p: &dyn Platform) -> carrack_platform::Result<()> {
///     let id = ContainerId::new("web")?;
///     p.create(&id, &CreateOptions::new("/srv/bundle"))?;
///     p.start(&id)?;
///     println!("{}", p.state(&id)?.to_runc_json());
///     p.kill(&id, Signal::default(), Default::default())?;
///     p.delete(&id, true)
/// }
/// ```
pub trait Platform {
    /// What this platform supports (runtime-spec features.md).
    fn features(&self) -> Features;
    /// Which OS's resources section [`update`](Self::update) takes.
    fn resources_kind(&self) -> ResourcesKind;
    /// Creates the container from its bundle: everything set up, the user process not yet run.
    fn create(&self, id: &ContainerId, opts: &CreateOptions) -> Result<ContainerState>;
    /// Runs the user process of a created container.
    fn start(&self, id: &ContainerId) -> Result<()>;
    /// Creates and starts the container; unless `run.detach`, waits for its process and returns
    /// how it ended, deleting the container afterwards unless `run.keep` (runc's `run`).
    ///
    /// The default creates and starts, and supports only `detach` (waiting for a process needs
    /// the backend); a backend that can wait overrides it.
    fn run(&self, id: &ContainerId, opts: &CreateOptions, run: RunOptions) -> Result<Exit> {
        if !run.detach {
            return Err(Error::Unsupported("run without --detach"));
        }
        let state = self.create(id, opts)?;
        if let Err(e) = self.start(id) {
            let _ = self.delete(id, true);
            return Err(e);
        }
        Ok(Exit::Started { pid: state.pid })
    }
    /// Waits for the process of a started container to end and returns how it ended (its
    /// status, or 128 + the signal that ended it), leaving the container stopped for
    /// [`delete`](Self::delete). A backend can wait only for a container this process created;
    /// the default supports none.
    fn wait(&self, id: &ContainerId) -> Result<Exit> {
        let _ = id;
        Err(Error::Unsupported("wait"))
    }
    /// The container's current state.
    fn state(&self, id: &ContainerId) -> Result<ContainerState>;
    /// Every container in the store, with its owner.
    fn list(&self) -> Result<Vec<ContainerState>>;
    /// Sends `signal` to the container's init (or every process).
    fn kill(&self, id: &ContainerId, signal: Signal, opts: KillOptions) -> Result<()>;
    /// Deletes a stopped (or, with `force`, any) container and every resource it holds.
    fn delete(&self, id: &ContainerId, force: bool) -> Result<()>;
    /// The container's own process (config.md § process), which `exec` builds on.
    ///
    /// The default reads it from the bundle's `config.json` that the state names.
    fn process(&self, id: &ContainerId) -> Result<Process> {
        let state = self.state(id)?;
        let path = Path::new(&state.bundle).join("config.json");
        let bad = |reason: String| Error::Config {
            path: path.clone(),
            reason,
        };
        let bytes = std::fs::read(&path).map_err(|e| bad(e.to_string()))?;
        let spec = Spec::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        spec.process
            .ok_or_else(|| bad("the configuration has no process".into()))
    }
    /// Runs another process in the container; returns how it ended, or, detached, its pid.
    fn exec(&self, _id: &ContainerId, _process: &Process, _opts: &ExecOptions) -> Result<Exit> {
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
    /// Changes the container's resource limits (the section of [`resources_kind`]).
    ///
    /// [`resources_kind`]: Self::resources_kind
    fn update(&self, _id: &ContainerId, _resources: &Resources) -> Result<()> {
        Err(Error::Unsupported("update"))
    }
    /// The pids of the container's processes.
    fn ps(&self, _id: &ContainerId) -> Result<Vec<u32>> {
        Err(Error::Unsupported("ps"))
    }
    /// The container's resource usage, as runc's `events --stats` reports it.
    fn stats(&self, _id: &ContainerId) -> Result<Stats> {
        Err(Error::Unsupported("stats"))
    }
    /// How many times the OOM killer struck in the container so far (`None`: not counted
    /// here). `events` reports an `oom` event when it grows.
    fn oom_kills(&self, _id: &ContainerId) -> Result<Option<u64>> {
        Ok(None)
    }
}
