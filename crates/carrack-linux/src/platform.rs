//! [`Linux`]: the lifecycle (create, start, state, kill, delete, pause, resume, ps) over the
//! state store.

use std::fs;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use carrack_platform::{
    ContainerId, ContainerState, CreateOptions, Error, KillOptions, Locked, Platform, Result,
    Store, hooks,
};
use carrack_spec::Document;
use carrack_spec::runtime::{Features, NamespaceType, Spec, Status};
use nix::sched::CloneFlags;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use crate::sync::{self, Msg};
use crate::sys::{Cloned, clone_process};

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
    /// The container's cgroup directories.
    cgroups: Vec<PathBuf>,
}

/// The Linux platform over a state store.
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

fn ns_flag(t: &NamespaceType) -> Option<CloneFlags> {
    Some(match t {
        NamespaceType::Pid => CloneFlags::CLONE_NEWPID,
        NamespaceType::Network => CloneFlags::CLONE_NEWNET,
        NamespaceType::Mount => CloneFlags::CLONE_NEWNS,
        NamespaceType::Ipc => CloneFlags::CLONE_NEWIPC,
        NamespaceType::Uts => CloneFlags::CLONE_NEWUTS,
        NamespaceType::User => CloneFlags::CLONE_NEWUSER,
        NamespaceType::Cgroup => CloneFlags::CLONE_NEWCGROUP,
        NamespaceType::Time => CloneFlags::from_bits_retain(libc::CLONE_NEWTIME),
        _ => return None,
    })
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
    /// config's), cannot reach this program's binary (see [`crate::sealed::Plan`]): returns the
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
        match crate::sealed::plan(spec, process) {
            crate::sealed::Plan::Nothing => Ok(None),
            crate::sealed::Plan::Trampoline => crate::trampoline::create()
                .map(Some)
                .map_err(io("making the sealed exec trampoline")),
            crate::sealed::Plan::ReExec if self.sealing == Sealing::ReExec => Err(Error::io(
                "re-executing from a sealed view of the runtime binary",
                crate::sealed::reexec(self.store.root()),
            )),
            crate::sealed::Plan::ReExec => Err(Error::UnsealedBinary {
                binary: fs::read_link("/proc/self/exe").unwrap_or_default(),
            }),
        }
    }

    /// The state store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The container's cgroup statistics in runc's `events --stats` shape.
    pub fn stats(&self, id: &ContainerId) -> Result<serde_json::Value> {
        let (_lock, s) = self.current(id)?;
        Self::expect(id, &s, &LIVE)?;
        Ok(crate::resources::stats(&backend(&s).cgroups))
    }

    /// How many of the container's processes the OOM killer has killed so far (`None` when it
    /// has no memory cgroup); `events` reports an `oom` event whenever this grows.
    ///
    /// ```no_run
    /// # use carrack_platform::ContainerId;
    /// let linux = carrack_linux::Linux::new("/run/carrack")?;
    /// let kills = linux.oom_kills(&ContainerId::new("web")?)?;
    /// # Ok::<(), carrack_platform::Error>(())
    /// ```
    pub fn oom_kills(&self, id: &ContainerId) -> Result<Option<u64>> {
        let (_lock, s) = self.current(id)?;
        Self::expect(id, &s, &LIVE)?;
        Ok(crate::resources::oom_kills(&backend(&s).cgroups))
    }

    /// The process of a container's config.json (the base `exec` starts from).
    pub fn config_process(&self, id: &ContainerId) -> Result<carrack_spec::runtime::Process> {
        let c = self.store.lock(id)?;
        load_spec(&c.path().join(CONFIG))?
            .process
            .ok_or(Error::Unsupported("a container without a process"))
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
        s.status = if !crate::procfs::alive(pid, b.start_time) {
            s.pid = 0;
            Status::Stopped
        } else if s.status == Status::Creating {
            Status::Creating
        } else if c.path().join(FIFO).exists() {
            Status::Created
        } else if crate::cgroups::is_frozen(&b.cgroups) {
            Status::Paused
        } else {
            Status::Running
        };
        s
    }

    /// Creates, starts and (unless `detach`) waits for the container, returning the exit status
    /// of its process (128 + signal when killed) and deleting it afterwards, as `runc run` does.
    pub fn run(&self, id: &ContainerId, opts: &CreateOptions, detach: bool) -> Result<i32> {
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
        if detach {
            return Ok(0);
        }
        let pid = Pid::from_raw(i32::try_from(state.pid).unwrap_or(0));
        let code = loop {
            match nix::sys::wait::waitpid(pid, None) {
                Ok(nix::sys::wait::WaitStatus::Exited(_, c)) => break c,
                Ok(nix::sys::wait::WaitStatus::Signaled(_, s, _)) => break 128 + s as i32,
                Ok(_) => continue,
                Err(nix::Error::EINTR) => continue,
                Err(e) => return Err(Error::io("waiting for the container", e.into())),
            }
        };
        self.delete_with(id, true, Some(&spec))?;
        Ok(code)
    }

    /// `create`, keeping the lock, the state and the config for `run`; `save_created` false
    /// leaves the state saved as `creating`, for the caller to save.
    fn create_kept(
        &self,
        id: &ContainerId,
        opts: &CreateOptions,
        save_created: bool,
    ) -> Result<(Locked, ContainerState, Spec)> {
        let loaded = load_spec_bytes(&opts.bundle.join(CONFIG));
        let trampoline = match &loaded {
            Ok((spec, _)) => self.seal(spec, None)?,
            Err(_) => None,
        };
        let c = self.store.create(id)?;
        match self.create_locked(&c, id, opts, loaded, save_created, trampoline.as_ref()) {
            Ok((s, spec)) => Ok((c, s, spec)),
            Err(e) => {
                let _ = c.remove();
                Err(e)
            }
        }
    }

    /// `start` on the locked container `c` in state `s`; `spec` is its config when the caller
    /// holds it already (`run`).
    /// With `until_exec`, returns only once init has run the startContainer hooks and exec'd
    /// the program, or with the error that stopped it (`run`, which waits for the process
    /// anyway, does not wait for that).
    fn start_locked(
        &self,
        id: &ContainerId,
        c: &Locked,
        s: &ContainerState,
        spec: Option<&Spec>,
        until_exec: bool,
    ) -> Result<()> {
        if s.status != Status::Created {
            return Err(Error::BadStatus {
                id: id.to_string(),
                status: s.status.to_string(),
                op: "start it (only a created container can be started)",
            });
        }
        let loaded;
        let spec = match spec {
            Some(spec) => spec,
            None => {
                loaded = load_spec(&c.path().join(CONFIG))?;
                &loaded
            }
        };
        if spec.process.is_none() {
            return Err(Error::Config {
                path: c.path().join(CONFIG),
                reason: "process is not set, and config.md § Process says of it: \"This property \
                         is REQUIRED when start is called.\""
                    .into(),
            });
        }
        let fifo = c.path().join(FIFO);
        let f = nix::fcntl::open(
            &fifo,
            nix::fcntl::OFlag::O_RDONLY
                | nix::fcntl::OFlag::O_NONBLOCK
                | nix::fcntl::OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        )
        .map_err(|e| Error::io("opening exec.fifo", e.into()))?;
        let b = backend(s);
        let pid = i32::try_from(s.pid).unwrap_or(0);
        let mut buf = [0u8; 1];
        loop {
            match nix::unistd::read(&f, &mut buf) {
                Ok(1) => break,
                Ok(_) | Err(nix::Error::EAGAIN) => {
                    if !crate::procfs::alive(pid, b.start_time) {
                        return Err(Error::NotRunning {
                            id: id.to_string(),
                            status: "stopped".into(),
                        });
                    }
                    // Woken as init writes; a writer that never came (init gone before it
                    // opened the fifo) raises no event, hence the timeout and the check above.
                    let mut fds = [nix::poll::PollFd::new(
                        f.as_fd(),
                        nix::poll::PollFlags::POLLIN,
                    )];
                    match nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(10u8)) {
                        Ok(_) | Err(nix::Error::EINTR) => {}
                        Err(e) => return Err(Error::io("waiting on exec.fifo", e.into())),
                    }
                }
                Err(e) => return Err(Error::io("reading exec.fifo", e.into())),
            }
        }
        let _ = fs::remove_file(&fifo);
        if until_exec {
            wait_exec(id, &f, spec)?;
        }
        if let Some(h) = spec.hooks.as_ref().and_then(|h| h.poststart.as_deref()) {
            let mut running = s.clone();
            running.status = Status::Running;
            // runtime.md: a failing poststart hook is logged, the container keeps running.
            if let Err(e) = hooks::run("poststart", h, &running.oci()) {
                log::warn!("{e}");
            }
        }
        Ok(())
    }

    /// `delete`; `spec` is the container's config when the caller holds it already (`run`).
    fn delete_with(&self, id: &ContainerId, force: bool, spec: Option<&Spec>) -> Result<()> {
        let c = match self.store.lock(id) {
            Ok(c) => c,
            // `delete --force` of a container that is not there has nothing left to do (runc
            // succeeds too; podman and CRI-O clean up that way after a failed create).
            Err(Error::NotFound(_)) if force => return Ok(()),
            Err(e) => return Err(e),
        };
        let s = match c.load() {
            Ok(s) => Self::refresh(&c, s),
            // A create killed before it saved anything: only the directory is left.
            Err(Error::NotFound(_)) if force => return c.remove(),
            Err(e) => return Err(e),
        };
        let b = backend(&s);
        let pid = i32::try_from(s.pid).unwrap_or(0);
        match s.status {
            Status::Stopped => {}
            // runtime.md § Delete: "Attempting to delete a container that is not stopped MUST
            // have no effect on the container and MUST generate an error." Callers that clean
            // up a created container (podman, CRI-O) pass --force.
            Status::Created | Status::Creating if force => {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
            _ if force => {
                let _ = crate::cgroups::freeze(&b.cgroups, false);
                for p in crate::cgroups::pids(&b.cgroups) {
                    let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
                }
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
            other => {
                return Err(Error::BadStatus {
                    id: id.to_string(),
                    status: other.to_string(),
                    op: "delete it without --force (it is not stopped)",
                });
            }
        }
        if s.status != Status::Stopped && !wait_gone(pid, b.start_time, Duration::from_secs(10)) {
            return Err(Error::Init(format!(
                "container {id}: init did not exit after SIGKILL"
            )));
        }
        // Processes left in the cgroup (no pid namespace) go too.
        for p in crate::cgroups::pids(&b.cgroups) {
            let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
        }
        crate::cgroups::remove(&b.cgroups).map_err(io("removing the container's cgroups"))?;
        let loaded = match spec {
            Some(_) => None,
            None => load_spec(&c.path().join(CONFIG)).ok(),
        };
        let spec = spec.or(loaded.as_ref());
        let own_mounts = spec
            .and_then(|s| s.linux.as_ref())
            .and_then(|l| l.namespaces.as_ref())
            .is_some_and(|n| n.iter().any(|n| n.kind == NamespaceType::Mount));
        if spec.is_some() && !own_mounts {
            // Made in the host's mount namespace (no mount namespace of its own): they go too.
            unmount_under(Path::new(&s.rootfs)).map_err(io("unmounting the container's mounts"))?;
        }
        let mut stopped = s.clone();
        stopped.status = Status::Stopped;
        c.remove()?;
        if let Some(h) = spec
            .and_then(|s| s.hooks.as_ref())
            .and_then(|h| h.poststop.as_deref())
        {
            // runtime.md: a failing poststop hook is logged, the deletion stands.
            if let Err(e) = hooks::run("poststop", h, &stopped.oci()) {
                log::warn!("{e}");
            }
        }
        Ok(())
    }

    /// Creates the container `c` from `loaded`, the bundle's config as read by `create`.
    fn create_locked(
        &self,
        c: &Locked,
        id: &ContainerId,
        opts: &CreateOptions,
        loaded: Result<(Spec, Vec<u8>)>,
        save_created: bool,
        trampoline: Option<&OwnedFd>,
    ) -> Result<(ContainerState, Spec)> {
        let bundle = fs::canonicalize(&opts.bundle)
            .map_err(io(format!("bundle {}", opts.bundle.display())))?;
        let config_path = bundle.join(CONFIG);
        let (spec, config_bytes) = loaded?;
        let report = spec.validate();
        if let Some(f) = report.iter().find(|f| f.level == carrack_spec::Level::Must) {
            return Err(Error::Config {
                path: config_path,
                reason: f.to_string(),
            });
        }
        let root = spec.root.as_ref().ok_or_else(|| Error::Config {
            path: config_path.clone(),
            reason: "no root (config.md § Root is REQUIRED on Linux)".into(),
        })?;
        let rootfs = fs::canonicalize(bundle.join(&root.path))
            .map_err(io(format!("rootfs {}", root.path)))?;
        // config.md § Process: "This property is REQUIRED when start is called": `create`
        // makes the container without one, and `start` refuses it.
        let process = spec.process.as_ref();
        let terminal = process.is_some_and(|p| p.terminal == Some(true));
        match (terminal, &opts.console_socket) {
            (true, None) => {
                return Err(Error::Config {
                    path: config_path,
                    reason: "process.terminal is true but no --console-socket was given".into(),
                });
            }
            (false, Some(_)) => {
                return Err(Error::Config {
                    path: config_path,
                    reason: "--console-socket given but process.terminal is false".into(),
                });
            }
            _ => {}
        }
        let console: Option<OwnedFd> = match &opts.console_socket {
            Some(p) => Some(
                UnixStream::connect(p)
                    .map_err(io(format!("console socket {}", p.display())))?
                    .into(),
            ),
            None => None,
        };
        let fifo = c.path().join(FIFO);

        let linux = spec.linux.clone().unwrap_or_default();
        let namespaces = linux.namespaces.clone().unwrap_or_default();
        let mount_namespace = namespaces.iter().any(|n| n.kind == NamespaceType::Mount);
        if !mount_namespace && spec.root.as_ref().and_then(|r| r.readonly) == Some(true) {
            return Err(Error::Config {
                path: config_path,
                reason: "root.readonly without a mount namespace would make a mount of the \
                         host read-only; carrack refuses it"
                    .into(),
            });
        }
        let mut flags = CloneFlags::empty();
        let mut join = Vec::new();
        for n in &namespaces {
            let f = ns_flag(&n.kind).ok_or(Error::Unsupported("this namespace type"))?;
            match &n.path {
                None if f.bits() == libc::CLONE_NEWTIME => {
                    nix::sched::unshare(f)
                        .map_err(|e| Error::io("unshare time namespace", e.into()))?;
                    write_time_offsets(&linux)?;
                }
                None => flags |= f,
                Some(p) if f == CloneFlags::CLONE_NEWPID || f.bits() == libc::CLONE_NEWTIME => {
                    // Both apply to children: join them here, before the clone.
                    let ns = fs::File::open(p).map_err(io(format!("namespace {p}")))?;
                    nix::sched::setns(ns, f)
                        .map_err(|e| Error::io(format!("setns {p}"), e.into()))?;
                }
                Some(p) => join.push((f, PathBuf::from(p))),
            }
        }
        // Join the user namespace first: the others belong to it.
        join.sort_by_key(|(f, _)| *f != CloneFlags::CLONE_NEWUSER);
        let new_userns = flags.contains(CloneFlags::CLONE_NEWUSER);
        // A cgroup namespace is rooted where its creator stands: init unshares it once it has
        // been moved into the container's cgroups, not at the clone.
        let new_cgroupns = flags.contains(CloneFlags::CLONE_NEWCGROUP);
        flags.remove(CloneFlags::CLONE_NEWCGROUP);
        // Only pid (init must be its first process) and user (the id maps are written from
        // here) come with the clone; init unshares the rest itself, in parallel with the
        // cgroup work below.
        let at_clone = CloneFlags::CLONE_NEWPID | CloneFlags::CLONE_NEWUSER;
        let unshare = flags.difference(at_clone);
        flags &= at_clone;
        // A new pid namespace must belong to a user namespace joined by path, or init could
        // not mount its /proc: the cloned process joins first and clones init after (see
        // `init::run_staged`), as runc's nsexec does.
        let staged = flags.contains(CloneFlags::CLONE_NEWPID)
            && join.iter().any(|(f, _)| *f == CloneFlags::CLONE_NEWUSER);
        if staged {
            flags.remove(CloneFlags::CLONE_NEWPID);
        }

        let (labels, seccomp) = match process {
            Some(p) => confinement(&spec, p, &config_path)?,
            None => (crate::lsm::Labels::default(), None),
        };
        let bad = |reason: String| Error::Config {
            path: config_path.clone(),
            reason,
        };
        check_sysctls(&linux).map_err(bad)?;
        let persona = persona(&linux).map_err(bad)?;
        let hierarchies =
            crate::cgroups::hierarchies().map_err(io("reading the host's cgroup mounts"))?;
        crate::mounts::preflight(spec.mounts.as_deref().unwrap_or(&[])).map_err(bad)?;
        let idmapped = crate::mounts::prepare_idmapped(&spec, &bundle).map_err(bad)?;
        let (parent_end, child_end) = sync::pair().map_err(io("socketpair"))?;
        let plan = crate::init::Plan {
            spec: &spec,
            id: id.as_str(),
            bundle: &bundle,
            rootfs: &rootfs,
            fifo: fifo.clone(),
            console,
            preserve_fds: opts.preserve_fds,
            no_pivot: opts.no_pivot,
            no_new_keyring: opts.no_new_keyring,
            new_userns,
            new_cgroupns,
            unshare,
            staged,
            mount_namespace,
            persona,
            join,
            mount_label: linux.mount_label.as_deref(),
            labels,
            caps: crate::caps::plan(process.and_then(|p| p.capabilities.as_ref())),
            trampoline,
            seccomp: seccomp.as_ref(),
            hierarchies: &hierarchies,
            idmapped: &idmapped,
        };
        let lock_fd = c.as_raw_fd();
        let first = match clone_process(flags.bits()).map_err(io("clone"))? {
            Cloned::Child => {
                // Until it execs the user's process, init is the carrack binary: nothing in the
                // container may open it through /proc/PID/exe (CVE-2019-5736). With a new user
                // namespace only once its id maps are written: a process that is not dumpable
                // has its /proc files owned by root, and a rootless parent could not write them.
                if !new_userns {
                    let _ = crate::sys::prctl(libc::PR_SET_DUMPABLE, 0, 0);
                }
                // The store lock belongs to `carrack create`, not to the container.
                let _ = nix::unistd::close(lock_fd);
                drop(parent_end);
                if staged {
                    crate::init::run_staged(plan, child_end)
                }
                crate::init::run(plan, child_end)
            }
            Cloned::Parent(pid) => pid,
        };
        drop(child_end);
        drop(plan);
        // The process a failure stops: the cloned one, then init once a staged clone named it.
        let target = std::cell::Cell::new(first);
        let fail = |e: Error| {
            let pid = Pid::from_raw(target.get());
            let _ = kill(pid, Signal::SIGKILL);
            let _ = nix::sys::wait::waitpid(pid, None);
            e
        };
        if new_userns {
            write_id_maps(first, &linux).map_err(fail)?;
        }
        // From here on init unshares its namespaces (~0.5 ms for a network namespace) while
        // this process makes the fifo and the cgroups and saves the state. Init opens the
        // fifo only after `Go`.
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o622))
            .and_then(|()| {
                // mkfifo applied the umask: init may be another user on the host (the root of
                // a user namespace mapped to one), and must be able to write it.
                nix::sys::stat::fchmodat(
                    nix::fcntl::AT_FDCWD,
                    &fifo,
                    nix::sys::stat::Mode::from_bits_truncate(0o622),
                    nix::sys::stat::FchmodatFlags::FollowSymlink,
                )
            })
            .map_err(|e| fail(Error::io("creating exec.fifo", e.into())))?;
        let crate::cgroups::Placement {
            dirs: cgroups,
            v1: enter_v1,
            skipped,
        } = crate::cgroups::join(
            &hierarchies,
            &crate::cgroups::cgroup_path(linux.cgroups_path.as_deref(), id.as_str()),
            first,
        )
        .map_err(|e| fail(Error::io("joining the container's cgroup", e)))?;
        // From here on a failure stops init and removes its cgroups; `create` then removes the
        // container's directory.
        let undo = |e: Error| {
            let e = fail(e);
            let _ = crate::cgroups::remove(&cgroups);
            e
        };
        if skipped && linux.resources.as_ref().is_some_and(has_limits) {
            return Err(undo(Error::Config {
                path: config_path.clone(),
                reason: "linux.resources: a rootless container can only be limited through \
                         cgroups delegated to its user, and this user has none"
                    .into(),
            }));
        }
        if let Some(p) = process {
            crate::process::write_oom_score_adj(first, p).map_err(|reason| {
                undo(Error::Config {
                    path: config_path.clone(),
                    reason,
                })
            })?;
        }
        let go = if staged {
            // The first process enters the cgroups, joins, unshares and names init, its sibling.
            parent_end
                .send(&Msg::Go(enter_v1))
                .map_err(|e| undo(Error::io("sync", e)))?;
            match parent_end.recv().map_err(|e| undo(Error::io("sync", e)))? {
                Some(Msg::Pid(p)) => {
                    let _ = nix::sys::wait::waitpid(Pid::from_raw(first), None);
                    target.set(p);
                }
                Some(Msg::Error(e)) => return Err(undo(Error::Init(e))),
                other => {
                    return Err(undo(Error::Init(format!(
                        "expected init's pid, got {other:?}"
                    ))));
                }
            }
            // Init is in the cgroups already: it was cloned there.
            Vec::new()
        } else {
            enter_v1
        };
        let pid = target.get();
        let mut state = ContainerState::new(
            id.as_str(),
            Status::Creating,
            &bundle.display().to_string(),
            &rootfs.display().to_string(),
        );
        state.oci_version.clone_from(&spec.oci_version);
        state.pid = u32::try_from(pid).unwrap_or(0);
        state.annotations = spec.annotations.clone().unwrap_or_default();
        state.backend = serde_json::to_value(Backend {
            start_time: crate::procfs::start_time(pid).unwrap_or(0),
            cgroups: cgroups.clone(),
        })
        .unwrap_or_default();
        // Saved as `creating` now, so a create killed from here on leaves enough behind for
        // `delete --force` to find the process and cgroups.
        c.save(&state).map_err(undo)?;
        parent_end
            .send(&Msg::Go(go))
            .map_err(|e| undo(Error::io("sync", e)))?;
        // Init builds the rootfs from here on while the config is kept and the limits and
        // device rules are written, as runc writes them once init has mounted everything.
        // Nothing of the user's runs before `start`, and the hooks below run only after the
        // limits are in place.
        fs::write(c.path().join(CONFIG), &config_bytes)
            .map_err(|e| undo(Error::io("saving config.json", e)))?;
        // Without cgroups of its own a rootless container's device rules have nowhere to go;
        // its user namespace already forbids mknod and bound devices keep the host's modes.
        let resources = linux.resources.clone().map(|mut r| {
            if skipped {
                r.devices = None;
            }
            r
        });
        let resource_error = |reason: String| {
            undo(Error::Config {
                path: config_path.clone(),
                reason,
            })
        };
        if let Some(r) = &resources {
            crate::resources::apply_limits(&cgroups, r).map_err(resource_error)?;
        }
        // The device rules go in once init has made its device nodes: when it asks for the
        // hooks (which run with every limit in place) or says it is ready.
        let mut device_rules = resources.as_ref();
        let mut apply_devices = || match device_rules.take() {
            Some(r) => crate::resources::apply_devices(
                &cgroups,
                r,
                linux.devices.as_deref().unwrap_or(&[]),
            )
            .map_err(resource_error),
            None => Ok(()),
        };
        loop {
            let msg = parent_end.recv().map_err(|e| undo(Error::io("sync", e)))?;
            if matches!(msg, Some(Msg::HooksPlease) | Some(Msg::Ready)) {
                apply_devices()?;
            }
            match msg {
                Some(Msg::HooksPlease) => {
                    let hooks = spec.hooks.clone().unwrap_or_default();
                    let oci = state.oci();
                    hooks::run("prestart", hooks.prestart.as_deref().unwrap_or(&[]), &oci)
                        .and_then(|()| {
                            hooks::run(
                                "createRuntime",
                                hooks.create_runtime.as_deref().unwrap_or(&[]),
                                &oci,
                            )
                        })
                        .map_err(undo)?;
                    parent_end
                        .send(&Msg::HooksDone)
                        .map_err(|e| undo(Error::io("sync", e)))?;
                }
                Some(Msg::Ready) => break,
                Some(Msg::Error(e)) => return Err(undo(Error::Init(e))),
                Some(other) => return Err(undo(Error::Init(format!("unexpected {other:?}")))),
                None => return Err(undo(Error::Init("init exited during setup".into()))),
            }
        }
        state.status = Status::Created;
        if save_created {
            c.save(&state).map_err(undo)?;
        }
        if let Some(p) = &opts.pid_file {
            let tmp = p.with_extension("carrack-tmp");
            fs::write(&tmp, pid.to_string())
                .and_then(|()| fs::rename(&tmp, p))
                .map_err(|e| undo(Error::io(format!("pid file {}", p.display()), e)))?;
        }
        if let Some(sock) = &opts.pidfd_socket {
            crate::handoff::send_pidfd(sock, pid).map_err(|e| undo(Error::Init(e)))?;
        }
        Ok((state, spec))
    }
}

/// Whether `r` asks for anything (runc's rootless spec carries an empty `resources` or only
/// the devices rules, which a user namespace enforces by itself: no mknod).
fn has_limits(r: &carrack_spec::runtime::Resources) -> bool {
    r.memory.is_some()
        || r.cpu.is_some()
        || r.pids.is_some()
        || r.block_io.is_some()
        || r.hugepage_limits.as_ref().is_some_and(|h| !h.is_empty())
        || r.network.is_some()
        || r.rdma.as_ref().is_some_and(|m| !m.is_empty())
        || r.unified.as_ref().is_some_and(|m| !m.is_empty())
}

/// The process's LSM labels and the compiled seccomp filter, checked before anything is cloned
/// so a config the host cannot honour fails `create` cleanly.
pub(crate) fn confinement(
    spec: &Spec,
    process: &carrack_spec::runtime::Process,
    config_path: &Path,
) -> Result<(crate::lsm::Labels, Option<crate::seccomp::Filter>)> {
    let linux = spec.linux.as_ref();
    let bad = |reason: String| Error::Config {
        path: config_path.to_path_buf(),
        reason,
    };
    if let Some(u) = &process.user {
        // (uid_t)-1 is no id: setresuid(2) takes it as "leave unchanged" and the process would
        // stay root (the CVE-2024-40635 class).
        let ids = u
            .uid
            .iter()
            .chain(&u.gid)
            .chain(u.additional_gids.iter().flatten());
        if let Some(id) = ids.into_iter().find(|id| **id == u32::MAX) {
            return Err(bad(format!(
                "process.user: {id} is (uid_t)-1, which set*id(2) read as \"unchanged\", not an id"
            )));
        }
    }
    let labels = crate::lsm::Labels::check(process, linux.and_then(|l| l.mount_label.as_deref()))
        .map_err(bad)?;
    let seccomp = match linux.and_then(|l| l.seccomp.as_ref()) {
        Some(s) => Some(crate::seccomp::compile(s).map_err(bad)?),
        None => None,
    };
    Ok((labels, seccomp))
}

/// `linux.personality` as personality(2) takes it: LINUX or LINUX32, and no flags (none are
/// defined), as runc accepts.
fn persona(
    linux: &carrack_spec::runtime::Linux,
) -> std::result::Result<Option<libc::c_ulong>, String> {
    use carrack_spec::runtime::PersonalityDomain;
    let Some(p) = &linux.personality else {
        return Ok(None);
    };
    if let Some(f) = p.flags.as_ref().and_then(|f| f.first()) {
        return Err(format!(
            "linux.personality.flags: {f:?} is not a flag carrack knows (config-linux.md § \
             Personality defines none)"
        ));
    }
    match &p.domain {
        None => Ok(None),
        Some(PersonalityDomain::Linux) => Ok(Some(0x0000)),
        Some(PersonalityDomain::Linux32) => Ok(Some(0x0008)),
        Some(other) => Err(format!(
            "linux.personality.domain: {other} is not LINUX or LINUX32 (config-linux.md § \
             Personality)"
        )),
    }
}

/// `linux.sysctl` may only reach namespaced keys in namespaces the container does not share
/// with the host, as runc checks: `net.*` needs a network namespace other than the host's, the
/// SysV IPC and `fs.mqueue.*` keys an ipc namespace, `kernel.hostname` and `kernel.domainname`
/// a uts namespace. Anything else would change the host.
fn check_sysctls(linux: &carrack_spec::runtime::Linux) -> std::result::Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    const IPC: [&str; 8] = [
        "kernel.msgmax",
        "kernel.msgmnb",
        "kernel.msgmni",
        "kernel.sem",
        "kernel.shmall",
        "kernel.shmmax",
        "kernel.shmmni",
        "kernel.shm_rmid_forced",
    ];
    let namespaces = linux.namespaces.as_deref().unwrap_or(&[]);
    let own = |kind: NamespaceType, host: &str| {
        namespaces
            .iter()
            .find(|n| n.kind == kind)
            .is_some_and(|n| match &n.path {
                None => true,
                // Joined by path: not the host's own.
                Some(p) => {
                    fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
                        != fs::metadata(host).ok().map(|m| (m.dev(), m.ino()))
                }
            })
    };
    for key in linux.sysctl.as_ref().into_iter().flatten().map(|(k, _)| k) {
        // Dots separate the components, as sysctl(8) writes them: a slash, an empty or a `..`
        // component would name some other file under /proc/sys.
        if key.contains(['/', '\0']) || key.split('.').any(str::is_empty) {
            return Err(format!(
                "linux.sysctl: {key:?} is not a sysctl name (dot-separated, non-empty components)"
            ));
        }
        let (kind, name, host) = if key.starts_with("net.") {
            (NamespaceType::Network, "network", "/proc/self/ns/net")
        } else if IPC.contains(&key.as_str()) || key.starts_with("fs.mqueue.") {
            (NamespaceType::Ipc, "ipc", "/proc/self/ns/ipc")
        } else if key == "kernel.hostname" || key == "kernel.domainname" {
            (NamespaceType::Uts, "uts", "/proc/self/ns/uts")
        } else {
            return Err(format!(
                "linux.sysctl: {key:?} is not namespaced: setting it would change the host \
                 (config-linux.md § Sysctl)"
            ));
        };
        if !own(kind, host) {
            return Err(format!(
                "linux.sysctl: {key:?} needs a {name} namespace of the container's own, and \
                 the config shares the host's (config-linux.md § Sysctl)"
            ));
        }
    }
    Ok(())
}

fn write_id_maps(pid: i32, linux: &carrack_spec::runtime::Linux) -> Result<()> {
    let fmt = |m: Option<&Vec<carrack_spec::runtime::IdMapping>>| {
        m.into_iter()
            .flatten()
            .map(|m| format!("{} {} {}\n", m.container_id, m.host_id, m.size))
            .collect::<String>()
    };
    let uid = fmt(linux.uid_mappings.as_ref());
    let gid = fmt(linux.gid_mappings.as_ref());
    let proc = crate::procfs::Proc::host().map_err(io("opening the host's /proc"))?;
    if !nix::unistd::geteuid().is_root() {
        // Without privilege, setgroups must be denied before gid_map can be written.
        let _ = proc.write(&format!("{pid}/setgroups"), b"deny");
    }
    if !uid.is_empty() {
        proc.write(&format!("{pid}/uid_map"), uid.as_bytes())
            .map_err(io("writing uid_map"))?;
    }
    if !gid.is_empty() {
        proc.write(&format!("{pid}/gid_map"), gid.as_bytes())
            .map_err(io("writing gid_map"))?;
    }
    Ok(())
}

fn write_time_offsets(linux: &carrack_spec::runtime::Linux) -> Result<()> {
    let Some(t) = &linux.time_offsets else {
        return Ok(());
    };
    let mut out = String::new();
    for (name, o) in [("monotonic", &t.monotonic), ("boottime", &t.boottime)] {
        if let Some(o) = o {
            out.push_str(&format!(
                "{name} {} {}\n",
                o.secs.unwrap_or(0),
                o.nanosecs.unwrap_or(0)
            ));
        }
    }
    if out.is_empty() {
        return Ok(());
    }
    let proc = crate::procfs::Proc::host().map_err(io("opening the host's /proc"))?;
    proc.self_path("timens_offsets")
        .and_then(|p| proc.write(&p, out.as_bytes()))
        .map_err(io("writing timens_offsets"))
}

/// After `start` has read init's byte from exec.fifo: waits until no writer is left (init's end
/// closes when it execs the program, or when it exits), and returns the error init wrote there
/// if a startContainer hook or the exec failed.
fn wait_exec(id: &ContainerId, f: &impl AsFd, spec: &Spec) -> Result<()> {
    let mut said = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        match nix::unistd::read(f, &mut buf) {
            Ok(0) => break,
            Ok(n) => said.extend_from_slice(&buf[..n]),
            Err(nix::Error::EAGAIN) | Err(nix::Error::EINTR) => {
                let mut fds = [nix::poll::PollFd::new(
                    f.as_fd(),
                    nix::poll::PollFlags::POLLIN,
                )];
                match nix::poll::poll(&mut fds, nix::poll::PollTimeout::NONE) {
                    Ok(_) | Err(nix::Error::EINTR) => {}
                    Err(e) => return Err(Error::io("waiting on exec.fifo", e.into())),
                }
            }
            Err(e) => return Err(Error::io("reading exec.fifo", e.into())),
        }
    }
    if said.is_empty() {
        return Ok(());
    }
    let why = match crate::trampoline::report(&said) {
        // The exec trampoline's report of a failed exec.
        Some(e) => {
            let program = spec
                .process
                .as_ref()
                .and_then(|p| p.args.as_ref())
                .and_then(|a| a.first())
                .map_or("", String::as_str);
            format!("exec {program:?}: {e}")
        }
        None => String::from_utf8_lossy(&said).into_owned(),
    };
    Err(Error::Init(format!("container {id}: {why}")))
}

/// Detaches every mount at or below `dir`, deepest first.
fn unmount_under(dir: &Path) -> std::io::Result<()> {
    let info = crate::procfs::read("/proc/self/mountinfo")?;
    let mut points: Vec<PathBuf> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|p| PathBuf::from(p.replace("\\040", " ")))
        .filter(|p| p.starts_with(dir))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for p in points {
        match nix::mount::umount2(&p, nix::mount::MntFlags::MNT_DETACH) {
            Ok(()) | Err(nix::Error::EINVAL) | Err(nix::Error::ENOENT) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

fn wait_gone(pid: i32, started: u64, limit: Duration) -> bool {
    let end = Instant::now() + limit;
    let mut pause = Duration::from_micros(100);
    while crate::procfs::alive(pid, started) {
        if Instant::now() > end {
            return false;
        }
        // Reap it if it is our child (run, or a test harness).
        let _ = nix::sys::wait::waitpid(
            Pid::from_raw(pid),
            Some(nix::sys::wait::WaitPidFlag::WNOHANG),
        );
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(10));
    }
    true
}

impl Platform for Linux {
    fn features(&self) -> Features {
        crate::platform_features::features()
    }

    fn create(&self, id: &ContainerId, opts: &CreateOptions) -> Result<ContainerState> {
        self.create_kept(id, opts, true).map(|(_, s, _)| s)
    }

    fn start(&self, id: &ContainerId) -> Result<()> {
        let (c, s) = self.current(id)?;
        self.start_locked(id, &c, &s, None, true)
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
                out.push(Self::refresh(&c, s));
            }
        }
        Ok(out)
    }

    fn kill(&self, id: &ContainerId, signal: i32, opts: KillOptions) -> Result<()> {
        let (_lock, s) = self.current(id)?;
        Self::expect(id, &s, &LIVE)?;
        let sig = Signal::try_from(signal).map_err(|_| Error::UnknownSignal(signal.to_string()))?;
        let b = backend(&s);
        if opts.all {
            for p in crate::cgroups::pids(&b.cgroups) {
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
    ) -> Result<i32> {
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
        crate::cgroups::freeze(&backend(&s).cgroups, true).map_err(io("freezing"))
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
        crate::cgroups::freeze(&backend(&s).cgroups, false).map_err(io("thawing"))
    }

    fn update(&self, id: &ContainerId, resources: &carrack_spec::runtime::Resources) -> Result<()> {
        let (_lock, s) = self.current(id)?;
        Self::expect(id, &s, &LIVE)?;
        crate::resources::apply(&backend(&s).cgroups, resources, &[]).map_err(|reason| {
            Error::Config {
                path: "--resources".into(),
                reason,
            }
        })
    }

    fn ps(&self, id: &ContainerId) -> Result<Vec<u32>> {
        let c = self.store.lock(id)?;
        let s = c.load()?;
        Ok(crate::cgroups::pids(&backend(&s).cgroups)
            .into_iter()
            .filter_map(|p| u32::try_from(p).ok())
            .collect())
    }
}
