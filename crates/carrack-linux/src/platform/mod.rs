//! [`Linux`]: the lifecycle (create, start, state, kill, delete, pause, resume, ps) over the
//! state store.

use std::fs;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use carrack_platform::{
    ContainerId, ContainerState, CreateOptions, Error, Exit, KillOptions, Locked, Platform,
    Resources, ResourcesKind, Result, RunOptions, Signal as PlatformSignal, Stats, Store,
};
use carrack_spec::Document;
use carrack_spec::runtime::{Features, Spec, Status};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

mod checks;
mod create;
mod lifecycle;
mod mempolicy;

pub(crate) use mempolicy::MemPolicy;

const FIFO: &str = "exec.fifo";
/// Every status with a process to act on.
const LIVE: [Status; 4] = [
    Status::Creating,
    Status::Created,
    Status::Running,
    Status::Paused,
];
const CONFIG: &str = "config.json";

/// What the Linux backend keeps in a container's state besides runc's fields.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Backend {
    /// Start time of init (ticks after boot), to tell it from a process reusing its pid.
    start_time: u64,
    /// The inode of init's pid namespace, to tell it from a process that reused its pid and
    /// started in the same clock tick (0 in states written before it was kept).
    #[serde(default)]
    pid_ns: u64,
    /// The container's cgroup directories.
    cgroups: Vec<PathBuf>,
}

/// The Linux platform over a state store.
///
/// # Threads
///
/// [`Platform::create`], [`Platform::run`] and [`Platform::exec`] clone the calling process,
/// which is only sound while it has a single thread. They check that first, and from a process
/// with more than one thread they refuse with [`Error::MultiThreaded`], having made nothing. A multi-threaded program (a tokio
/// service, say) runs the `carrack` binary, or makes these calls from a child process that
/// starts no thread (a helper executable of its own). The other operations clone nothing and
/// may be called from any thread.
///
/// ```no_run
/// use carrack_platform::{ContainerId, CreateOptions, Platform};
/// let linux = carrack_linux::Linux::new("/run/carrack")?;
/// let id = ContainerId::new("web")?;
/// linux.create(&id, &CreateOptions::new("/srv/bundle"))?;
/// linux.start(&id)?;
/// # Ok::<(), carrack_platform::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Linux {
    store: Store,
    sealing: crate::Sealing,
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let what = what.into();
    move |e| Error::io(what, e)
}

/// A cgroup error as an I/O one (its message names the file, its kind is the errno's).
fn cgroup(what: impl Into<String>) -> impl FnOnce(carrack_cgroups::Error) -> Error {
    let what = what.into();
    move |e| Error::io(what, e.into())
}

fn backend(state: &ContainerState) -> Backend {
    serde_json::from_value(state.backend.clone()).unwrap_or_default()
}

fn load_spec(path: &Path) -> Result<Spec> {
    load_spec_bytes(path).map(|(spec, _)| spec)
}

/// The config at `path`, parsed, with the bytes it was parsed from.
fn load_spec_bytes(path: &Path) -> Result<(Spec, Vec<u8>)> {
    let bytes = fs::read(path).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let spec = Spec::from_slice(&bytes).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok((spec, bytes))
}

impl Linux {
    /// The Linux platform with its state under `root` (created if missing).
    pub fn new(root: impl Into<PathBuf>) -> Result<Self> {
        Ok(Self {
            store: Store::open(root)?,
            sealing: crate::Sealing::default(),
        })
    }

    /// How `create`, `run` and `exec` keep the calling program's binary out of the
    /// container's reach (CVE-2019-5736); [`Sealing::Require`] by default.
    ///
    /// ```no_run
    /// use carrack_linux::{Linux, Sealing};
    /// let linux = Linux::new("/run/carrack")?.with_sealing(Sealing::ReExec);
    /// # Ok::<(), carrack_platform::Error>(())
    /// ```
    ///
    /// [`Sealing::Require`]: crate::Sealing::Require
    #[must_use]
    pub fn with_sealing(mut self, sealing: crate::Sealing) -> Self {
        self.sealing = sealing;
        self
    }

    /// Makes sure a container built from `spec`, running `process` (`exec`'s, else the
    /// config's), cannot reach this program's binary (see [`crate::spawn::sealed::Plan`]): returns the
    /// sealed exec trampoline its process must exec through, or nothing when none is needed;
    /// re-executes from a sealed view (and does not return) when that is needed and allowed;
    /// fails otherwise.
    fn seal(
        &self,
        spec: &Spec,
        process: Option<&carrack_spec::runtime::Process>,
    ) -> Result<Option<OwnedFd>> {
        use crate::Sealing;
        if self.sealing == Sealing::Off {
            return Ok(None);
        }
        match crate::spawn::sealed::plan(spec, process) {
            crate::spawn::sealed::Plan::Nothing => Ok(None),
            crate::spawn::sealed::Plan::Trampoline => crate::spawn::trampoline::create()
                .map(Some)
                .map_err(io("making the sealed exec trampoline")),
            crate::spawn::sealed::Plan::ReExec if self.sealing == Sealing::ReExec => {
                Err(Error::io(
                    "re-executing from a sealed view of the runtime binary",
                    crate::spawn::sealed::reexec(self.store.root()),
                ))
            }
            crate::spawn::sealed::Plan::ReExec => Err(Error::UnsealedBinary {
                binary: fs::read_link("/proc/self/exe").unwrap_or_default(),
            }),
        }
    }

    /// The state store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The container, locked, with its state as of now.
    fn current(&self, id: &ContainerId) -> Result<(Locked, ContainerState)> {
        let c = self.store.lock(id)?;
        let s = Self::refresh(&c, c.load()?);
        Ok((c, s))
    }

    /// Fails with "container not running" unless the container is in one of `ok`.
    fn expect(id: &ContainerId, s: &ContainerState, ok: &[Status]) -> Result<()> {
        if ok.contains(&s.status) {
            return Ok(());
        }
        Err(Error::NotRunning {
            id: id.to_string(),
            status: s.status.to_string(),
        })
    }

    /// The status `state` reports now: stopped once init is gone, created while it waits on
    /// exec.fifo, paused when frozen, running otherwise.
    fn refresh(c: &Locked, mut s: ContainerState) -> ContainerState {
        let b = backend(&s);
        let pid = i32::try_from(s.pid).unwrap_or(0);
        s.status = if !crate::procfs::alive(pid, b.start_time, b.pid_ns) {
            s.pid = 0;
            Status::Stopped
        } else if s.status == Status::Creating {
            Status::Creating
        } else if c.path().join(FIFO).exists() {
            Status::Created
        } else if carrack_cgroups::is_frozen(&b.cgroups) {
            Status::Paused
        } else {
            Status::Running
        };
        s
    }
}

impl Platform for Linux {
    fn features(&self) -> Features {
        crate::platform_features::features()
    }

    fn resources_kind(&self) -> ResourcesKind {
        ResourcesKind::Linux
    }

    fn create(&self, id: &ContainerId, opts: &CreateOptions) -> Result<ContainerState> {
        self.create_kept(id, opts, true).map(|(_, s, _)| s)
    }

    fn start(&self, id: &ContainerId) -> Result<()> {
        let (c, s) = self.current(id)?;
        self.start_locked(id, &c, &s, None, true)
    }

    /// Creates, starts and (unless detached) waits for the container as `runc run` does: the
    /// exit status of its process (128 + signal when killed), deleting it afterwards unless
    /// `keep`.
    fn run(&self, id: &ContainerId, opts: &CreateOptions, run: RunOptions) -> Result<Exit> {
        // One command keeps what `create` made: the lock until the process is started, and the
        // state and config in memory, so `start` and `delete` need not read them back. The state
        // is saved as created only after the start (nobody can read it while the lock is held),
        // where the save overlaps the container's start instead of delaying it.
        let (c, state, spec) = self.create_kept(id, opts, false)?;
        if let Err(e) = self
            .start_locked(id, &c, &state, Some(&spec), false)
            .and_then(|()| c.save(&state))
        {
            drop(c);
            let _ = self.delete(id, true);
            return Err(e);
        }
        // Released while the container runs: `kill`, `state` and `ps` must get through.
        drop(c);
        if run.detach {
            return Ok(Exit::Started { pid: state.pid });
        }
        let pid = i32::try_from(state.pid).unwrap_or(0);
        let code =
            crate::wait::exit_code(pid).map_err(|e| Error::io("waiting for the container", e))?;
        if !run.keep {
            self.delete_with(id, true, Some(&spec))?;
        }
        Ok(Exit::Code(code))
    }

    fn wait(&self, id: &ContainerId) -> Result<Exit> {
        // The pid as saved, not as refreshed: a process that already ended is a zombie child of
        // this process until waited for, and `state` reports it stopped, without a pid. Waiting
        // only ever reaps a child of ours, which no other process can have reused the pid of.
        let state = self.store.lock(id)?.load()?;
        let pid = i32::try_from(state.pid).unwrap_or(0);
        if pid <= 0 {
            return Err(Error::NotRunning {
                id: id.to_string(),
                status: state.status.to_string(),
            });
        }
        match crate::wait::exit_code(pid) {
            Ok(code) => Ok(Exit::Code(code)),
            Err(e) if e.raw_os_error() == Some(nix::libc::ECHILD) => Err(Error::Unsupported(
                "wait for a container that another process created",
            )),
            Err(e) => Err(Error::io("waiting for the container", e)),
        }
    }

    fn state(&self, id: &ContainerId) -> Result<ContainerState> {
        let c = self.store.lock(id)?;
        Ok(Self::refresh(&c, c.load()?))
    }

    fn list(&self) -> Result<Vec<ContainerState>> {
        let mut out = Vec::new();
        for id in self.store.ids()? {
            if let Ok(c) = self.store.lock(&id)
                && let Ok(s) = c.load()
            {
                let mut s = Self::refresh(&c, s);
                s.owner = self.store.owner(&id);
                out.push(s);
            }
        }
        Ok(out)
    }

    fn kill(&self, id: &ContainerId, signal: PlatformSignal, opts: KillOptions) -> Result<()> {
        let sig = crate::signals::signal_number(signal)
            .and_then(|n| Signal::try_from(n).ok())
            .ok_or_else(|| Error::UnknownSignal(signal.to_string()))?;
        let (_lock, s) = self.current(id)?;
        Self::expect(id, &s, &LIVE)?;
        let b = backend(&s);
        if opts.all {
            for p in carrack_cgroups::pids(&b.cgroups) {
                let _ = kill(Pid::from_raw(p), sig);
            }
            return Ok(());
        }
        match kill(Pid::from_raw(i32::try_from(s.pid).unwrap_or(0)), sig) {
            Ok(()) => Ok(()),
            Err(nix::Error::ESRCH) => Err(Error::NoSuchProcess(id.to_string())),
            Err(e) => Err(Error::io("kill", e.into())),
        }
    }

    fn delete(&self, id: &ContainerId, force: bool) -> Result<()> {
        self.delete_with(id, force, None)
    }

    fn exec(
        &self,
        id: &ContainerId,
        process: &carrack_spec::runtime::Process,
        opts: &carrack_platform::ExecOptions,
    ) -> Result<Exit> {
        // Before anything: the clones of `exec` are only sound in a single-threaded process.
        crate::spawn::single_threaded("exec")?;
        let (pid, state, spec, cgroups) = {
            let (c, s) = self.current(id)?;
            Self::expect(id, &s, &[Status::Running, Status::Created])?;
            let spec = load_spec(&c.path().join(CONFIG))?;
            (
                i32::try_from(s.pid).unwrap_or(0),
                s.oci(),
                spec,
                backend(&s).cgroups,
            )
            // The lock is released here: a long exec must not block other commands.
        };
        let trampoline = self.seal(&spec, Some(process))?;
        crate::exec::exec(
            pid,
            &state,
            &spec,
            &cgroups,
            process,
            opts,
            trampoline.as_ref(),
        )
    }

    fn pause(&self, id: &ContainerId) -> Result<()> {
        let (_lock, s) = self.current(id)?;
        Self::expect(id, &s, &[Status::Running])?;
        carrack_cgroups::freeze(&backend(&s).cgroups, true).map_err(cgroup("freezing"))
    }

    fn resume(&self, id: &ContainerId) -> Result<()> {
        let (_lock, s) = self.current(id)?;
        if s.status != Status::Paused {
            return Err(Error::BadStatus {
                id: id.to_string(),
                status: s.status.to_string(),
                op: "resume it (it is not paused)",
            });
        }
        carrack_cgroups::freeze(&backend(&s).cgroups, false).map_err(cgroup("thawing"))
    }

    fn process(&self, id: &ContainerId) -> Result<carrack_spec::runtime::Process> {
        // The config as create saved it: later edits of the bundle's must not count.
        let c = self.store.lock(id)?;
        load_spec(&c.path().join(CONFIG))?
            .process
            .ok_or(Error::Unsupported("exec in a container without a process"))
    }

    fn update(&self, id: &ContainerId, resources: &Resources) -> Result<()> {
        let Resources::Linux(resources) = resources else {
            return Err(Error::Unsupported("update with another OS's resources"));
        };
        let (_lock, s) = self.current(id)?;
        Self::expect(id, &s, &LIVE)?;
        carrack_cgroups::apply(&backend(&s).cgroups, resources, &[]).map_err(|reason| {
            Error::Config {
                path: "--resources".into(),
                reason: reason.to_string(),
            }
        })
    }

    fn stats(&self, id: &ContainerId) -> Result<Stats> {
        let (_lock, s) = self.current(id)?;
        Self::expect(id, &s, &LIVE)?;
        Ok(carrack_cgroups::stats(&backend(&s).cgroups))
    }

    /// How many of the container's processes the OOM killer has killed so far (`None` when it
    /// has no memory cgroup).
    fn oom_kills(&self, id: &ContainerId) -> Result<Option<u64>> {
        let (_lock, s) = self.current(id)?;
        Self::expect(id, &s, &LIVE)?;
        Ok(carrack_cgroups::oom_kills(&backend(&s).cgroups))
    }

    fn ps(&self, id: &ContainerId) -> Result<Vec<u32>> {
        let c = self.store.lock(id)?;
        let s = c.load()?;
        Ok(carrack_cgroups::pids(&backend(&s).cgroups)
            .into_iter()
            .filter_map(|p| u32::try_from(p).ok())
            .collect())
    }
}
