//! The container's init, in the cloned child: joins namespaces, builds the rootfs (mounts,
//! /dev, pivot_root, masked and read-only paths), waits for `start` on exec.fifo, then becomes
//! the user process (rlimits, user, capabilities, no_new_privs, cwd, closed fds, execve).
//! Errors before the handshake go back to `carrack create` over the sync channel.

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use carrack_spec::runtime::{NamespaceType, Spec, Status};
use nix::fcntl::OFlag;
use nix::sched::CloneFlags;
use nix::sys::stat::Mode;

use crate::error::{Error, Report, Result as Res};
use crate::process::{Confine, Ready};
use crate::procfs::Proc;
use crate::spawn::sync::{Channel, Msg};

/// What init needs, prepared by the parent before the clone.
pub(crate) struct Plan<'a> {
    pub(crate) spec: &'a Spec,
    pub(crate) id: &'a str,
    pub(crate) bundle: &'a Path,
    pub(crate) rootfs: &'a Path,
    pub(crate) fifo: PathBuf,
    pub(crate) console: Option<OwnedFd>,
    pub(crate) preserve_fds: u32,
    pub(crate) no_pivot: bool,
    pub(crate) no_new_keyring: bool,
    pub(crate) new_userns: bool,
    /// Unshare a cgroup namespace once in the container's cgroups (after `Go`).
    pub(crate) new_cgroupns: bool,
    /// New namespaces init makes itself with unshare (mount, uts, ipc, network); pid and user
    /// come with the clone.
    pub(crate) unshare: CloneFlags,
    /// Init is cloned in two steps: `run_staged` joins and unshares everything first.
    pub(crate) staged: bool,
    /// The container has a mount namespace of its own (new or joined); without one, init
    /// mounts in the runtime's and enters the rootfs with chroot.
    pub(crate) mount_namespace: bool,
    /// `linux.personality`, as personality(2) takes it.
    pub(crate) persona: Option<libc::c_ulong>,
    /// `linux.memoryPolicy`, as set_mempolicy(2) takes it.
    pub(crate) mempolicy: Option<crate::platform::MemPolicy>,
    /// Namespaces to join by path (user first), other than pid (joined by the parent), with
    /// their index in `linux.namespaces`.
    pub(crate) join: Vec<crate::namespaces::Join>,
    /// `linux.mountLabel`, checked against the host.
    pub(crate) mount_label: Option<&'a str>,
    /// The process's LSM labels, checked against the host.
    pub(crate) labels: crate::confine::lsm::Labels,
    /// The process's capabilities, as the runtime can grant them.
    pub(crate) caps: crate::process::caps::Plan,
    /// The sealed exec trampoline the program is exec'd through, if one is needed
    /// (CVE-2019-5736, see [`crate::spawn::sealed::Plan`]).
    pub(crate) trampoline: Option<&'a std::os::fd::OwnedFd>,
    /// `linux.seccomp`, compiled.
    pub(crate) seccomp: Option<&'a crate::confine::seccomp::Filter>,
    /// The host's cgroup hierarchies (for cgroup mounts on v1 and hybrid hosts).
    pub(crate) hierarchies: &'a [carrack_cgroups::Hierarchy],
    /// The idmapped trees of `spec.mounts`, by index (see `mounts::prepare_idmapped`).
    pub(crate) idmapped: &'a [Option<OwnedFd>],
}

impl Plan<'_> {
    /// Whether init runs in a user namespace of its own or one joined by path: then it becomes
    /// root there, and binds devices instead of making them (mknod is refused).
    fn in_user_namespace(&self) -> bool {
        self.new_userns || self.joins_user_namespace()
    }

    fn joins_user_namespace(&self) -> bool {
        self.join
            .iter()
            .any(|(kind, _, _)| *kind == CloneFlags::CLONE_NEWUSER)
    }
}

fn err<E: Into<std::io::Error>>(what: &str) -> impl Fn(E) -> Error + '_ {
    move |e| Error::sys(what, e)
}

fn err_at<'a, E: Into<std::io::Error>>(at: &'a str, what: &'a str) -> impl Fn(E) -> Error + 'a {
    move |e| Error::sys_at(at, what, e)
}

/// What the parent sent instead of the message init waits for.
fn unexpected(wanted: &str, got: Option<Msg>) -> Error {
    match got {
        Some(Msg::Error(e)) => Error::from(e),
        other => Error::Protocol(format!("sync: expected {wanted}, got {other:?}")),
    }
}

/// The first step of a two-step start, for a new pid namespace in a user namespace joined by
/// path: the pid namespace must belong to the joined user namespace, so it can be made only
/// after the join, and it holds only the children of whoever made it. This process waits for
/// `Go`, enters the cgroups, joins and unshares every namespace, then clones init into the new
/// pid namespace as its own sibling (CLONE_PARENT: `carrack` stays init's parent and can wait
/// for it), sends init's pid and exits. Never returns.
pub(crate) fn run_staged(plan: Plan<'_>, chan: Channel, single: &crate::sys::SingleThreaded) -> ! {
    let joined = (|| -> Res<()> {
        match chan.recv().map_err(err("sync"))? {
            Some(Msg::Go(v1)) => {
                carrack_cgroups::enter_self(&v1).map_err(err("joining the container's cgroup"))?
            }
            other => return Err(unexpected("go", other)),
        }
        crate::namespaces::join(&plan.join)?;
        nix::sched::unshare(plan.unshare | CloneFlags::CLONE_NEWPID)
            .map_err(err("unshare namespaces"))
    })();
    let failure = match joined {
        // This process is the child of a clone (`single` says so): /proc may be the
        // container's by now, and the thread count is not read again.
        Ok(()) => match crate::sys::clone(single, libc::CLONE_PARENT) {
            Ok(crate::sys::Cloned::Child(_)) => run(plan, chan),
            Ok(crate::sys::Cloned::Parent(pid)) => {
                let _ = chan.send(&Msg::Pid(pid));
                None
            }
            Err(e) => Some(Error::sys("clone", e)),
        },
        Err(e) => Some(e),
    };
    if let Some(e) = failure {
        let _ = chan.send(&Msg::Error(Report::from(&e)));
        std::process::exit(1)
    }
    std::process::exit(0)
}

/// Runs init; never returns.
pub(crate) fn run(plan: Plan<'_>, chan: Channel) -> ! {
    match prepare(&plan, &chan) {
        Ok((fifo, proc, ready)) => {
            let code = match wait_and_exec(&plan, fifo, proc, ready) {
                Ok(never) => match never {},
                Err(e) => {
                    // Only `run` gets here with nobody reading the report on exec.fifo; what
                    // runc prints then (on the runtime's stderr, the container's too).
                    let _ = writeln!(std::io::stderr(), "carrack init: {e}");
                    if crate::process::missing_program(&e) {
                        127
                    } else {
                        126
                    }
                }
            };
            std::process::exit(code)
        }
        Err(e) => {
            let _ = chan.send(&Msg::Error(Report::from(&e)));
            std::process::exit(1)
        }
    }
}

/// Everything up to the handshake; returns the fifo handle, the host /proc to reopen it by and
/// the confinement to apply at exec.
fn prepare<'a>(plan: &Plan<'a>, chan: &Channel) -> Res<(File, Proc, Option<Ready<'a>>)> {
    // The host's procfs, opened while this process is still in the host's mount namespace:
    // every procfs file init writes goes through it (see procfs::Proc), never through a /proc a
    // config or image could have covered.
    let proc = Proc::host().map_err(err("opening the host's /proc"))?;
    // The new namespaces are made now, while the parent makes the cgroups and saves the state
    // (a network namespace alone takes ~0.5 ms), unless a user namespace is joined by path:
    // then they are made after the joins, so that they belong to it.
    let early = !plan.joins_user_namespace();
    let unshared = if early {
        nix::sched::unshare(plan.unshare).map_err(err("unshare namespaces"))
    } else {
        Ok(())
    };
    match chan.recv().map_err(err("sync"))? {
        Some(Msg::Go(v1)) => {
            if plan.new_userns {
                // The id maps are written: see platform.rs where the clone returns.
                crate::sys::prctl(libc::PR_SET_DUMPABLE, 0, 0).map_err(err("PR_SET_DUMPABLE"))?;
            }
            carrack_cgroups::enter_self(&v1).map_err(err("joining the container's cgroup"))?
        }
        other => return Err(unexpected("go", other)),
    }
    // The fifo `start` opens, held from now on: once init is the root of a user namespace it
    // may be an id on the host that cannot search the state directory.
    let fifo = nix::fcntl::open(&plan.fifo, OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty())
        .map(File::from)
        .map_err(err("exec.fifo"))?;
    if !plan.staged {
        crate::namespaces::join(&plan.join)?;
        unshared?;
        if !early {
            nix::sched::unshare(plan.unshare).map_err(err("unshare namespaces"))?;
        }
    }
    // Read before the cgroup namespace narrows the paths: cgroup mounts bind these.
    let own_cgroups = crate::procfs::read("/proc/self/cgroup").unwrap_or_default();
    if plan.new_cgroupns {
        nix::sched::unshare(CloneFlags::CLONE_NEWCGROUP)
            .map_err(err("unshare cgroup namespace"))?;
    }
    if plan.in_user_namespace() {
        nix::unistd::setresgid(0.into(), 0.into(), 0.into())
            .map_err(err("setresgid in the user namespace"))?;
        nix::unistd::setresuid(0.into(), 0.into(), 0.into())
            .map_err(err("setresuid in the user namespace"))?;
    }
    if !plan.no_new_keyring {
        crate::spawn::handoff::join_session_keyring(plan.id)?;
    }
    let spec = plan.spec;
    let linux = spec.linux.as_ref();
    let own_mounts = plan.mount_namespace;
    let propagation = linux.and_then(|l| l.rootfs_propagation.as_ref());
    if own_mounts {
        crate::mounts::root::isolate(plan.rootfs, propagation)?;
    }
    let root = crate::mounts::root::open(plan.rootfs)?;
    let mut fresh_dev = false;
    let cgroups = crate::mounts::CgroupView {
        own: &own_cgroups,
        hierarchies: plan.hierarchies,
    };
    for (i, m) in spec.mounts.iter().flatten().enumerate() {
        let idmapped = plan.idmapped.get(i).and_then(Option::as_ref);
        crate::mounts::mount_one(
            &root,
            plan.bundle,
            (i, m),
            plan.mount_label,
            &cgroups,
            idmapped,
        )?;
        if m.destination.trim_end_matches('/') == "/dev" {
            fresh_dev = true;
        }
    }
    crate::dev::setup(
        &root,
        linux.and_then(|l| l.devices.as_deref()).unwrap_or(&[]),
        fresh_dev,
        plan.in_user_namespace(),
    )?;
    // A working directory the image lacks is made, as runc does (a Dockerfile WORKDIR never
    // created, `ctr run --cwd`), inside the rootfs and by descriptor.
    if let Some(p) = &spec.process {
        crate::mounts::open_inside(&root, &p.cwd, false, false)
            .map_err(|e| Error::sys_at("/process/cwd", format!("cwd {:?}", p.cwd), e))?;
    }
    crate::mounts::finish(&root, spec.mounts.as_deref().unwrap_or(&[]))?;

    // prestart and createRuntime hooks run in the runtime's namespaces, by the parent: a round
    // trip only when there are some.
    if has_runtime_hooks(spec) {
        chan.send(&Msg::HooksPlease).map_err(err("sync"))?;
        match chan.recv().map_err(err("sync"))? {
            Some(Msg::HooksDone) => {}
            other => return Err(unexpected("hooks-done", other)),
        }
    }
    if let Some(h) = spec
        .hooks
        .as_ref()
        .and_then(|h| h.create_container.as_deref())
    {
        carrack_platform::hooks::run("createContainer", h, &hook_state(plan, Status::Creating))
            .map_err(|e| Error::Hook(Box::new(e)))?;
    }

    // The seccomp agent's socket is a host path: connect while the host is still reachable.
    let state = creating_state(plan);
    let pid = state.pid.and_then(|p| i32::try_from(p).ok()).unwrap_or(0);
    let listener = match plan.seccomp {
        Some(f) => crate::confine::seccomp::Listener::connect(f, state)?,
        None => None,
    };
    let confine = Confine {
        caps: plan.caps,
        labels: plan.labels.clone(),
        seccomp: plan.seccomp,
        listener,
        pid,
    };

    // Hostname and domainname by system call, sysctls through the host's procfs (the opener's
    // namespaces decide what a /proc/sys file sets, not the procfs instance).
    let ns = |t: NamespaceType| {
        linux
            .and_then(|l| l.namespaces.as_ref())
            .is_some_and(|n| n.iter().any(|n| n.kind == t))
    };
    if let Some(h) = &spec.hostname
        && ns(NamespaceType::Uts)
    {
        rustix::system::sethostname(h.as_bytes()).map_err(err_at("/hostname", "sethostname"))?;
    }
    if let Some(d) = &spec.domainname
        && ns(NamespaceType::Uts)
    {
        rustix::system::setdomainname(d.as_bytes())
            .map_err(err_at("/domainname", "setdomainname"))?;
    }
    for (k, v) in linux.and_then(|l| l.sysctl.as_ref()).into_iter().flatten() {
        proc.write(&format!("sys/{}", k.replace('.', "/")), v.as_bytes())
            .map_err(|e| {
                Error::sys_at(
                    format!("/linux/sysctl/{}", crate::error::token(k)),
                    format!("sysctl {k}"),
                    e,
                )
            })?;
    }
    // Masked and read-only paths, the console and a read-only root are set up before
    // pivot_root, resolved inside the rootfs by descriptor, while /proc/self/fd (by which
    // descriptors are mounted) is still the host's procfs.
    let mut null = None;
    for (i, p) in linux
        .and_then(|l| l.masked_paths.as_deref())
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        crate::mounts::paths::mask(&root, p, &format!("/linux/maskedPaths/{i}"), &mut null)?;
    }
    drop(null);
    for (i, p) in linux
        .and_then(|l| l.readonly_paths.as_deref())
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        crate::mounts::paths::readonly(&root, p, &format!("/linux/readonlyPaths/{i}"))?;
    }
    if let Some(sock) = &plan.console {
        crate::dev::console::setup(sock, &root, true)?;
    }
    if spec.root.as_ref().and_then(|r| r.readonly) == Some(true) {
        // `root` is the rootfs bound on itself: the flag goes on that mount alone (without a
        // mount namespace of its own there is no such mount; create refuses that case).
        crate::sys::mount_setattr(
            root.as_raw_fd(),
            crate::mounts::paths::MOUNT_ATTR_RDONLY,
            0,
            false,
        )
        .map_err(err_at("/root/readonly", "making / read-only"))?;
    }

    crate::mounts::root::enter(plan.rootfs, own_mounts, plan.no_pivot, propagation)?;
    // All of the process but its exec, before `create` returns: errors go back to it, and only
    // the exec follows `start`.
    // Without a process (which only `start` needs) init waits for a `start` that refuses it.
    let ready = match &spec.process {
        Some(process) => Some(crate::process::prepare(
            process,
            plan.preserve_fds,
            confine,
            &proc,
        )?),
        None => None,
    };
    chan.send(&Msg::Ready).map_err(err("sync"))?;
    Ok((fifo, proc, ready))
}

/// Whether the config has prestart or createRuntime hooks (which the runtime runs between
/// init's mounts and its pivot_root).
fn has_runtime_hooks(spec: &Spec) -> bool {
    spec.hooks.as_ref().is_some_and(|h| {
        h.prestart.as_ref().is_some_and(|v| !v.is_empty())
            || h.create_runtime.as_ref().is_some_and(|v| !v.is_empty())
    })
}

/// The state a hook run by init gets (createContainer during create, startContainer once
/// `start` came): config.md's "For hooks executed in the container namespace, it is the pid as
/// seen by the container", which getpid(2) gives (glibc caches no pid since 2.25).
fn hook_state(plan: &Plan<'_>, status: Status) -> carrack_spec::runtime::State {
    let mut s = creating_state(plan);
    s.status = status;
    s.pid = u32::try_from(nix::unistd::getpid().as_raw()).ok();
    s
}

/// The state with the pid as the runtime's namespace sees it (init's /proc/self before it
/// mounts the container's /proc), for the seccomp agent on the host.
fn creating_state(plan: &Plan<'_>) -> carrack_spec::runtime::State {
    let mut s = carrack_spec::runtime::State::new(
        plan.spec.oci_version.clone(),
        plan.id,
        carrack_spec::runtime::Status::Creating,
        plan.bundle.display().to_string(),
    );
    s.pid = std::fs::read_link("/proc/self")
        .ok()
        .and_then(|p| p.to_str().and_then(|p| p.parse().ok()));
    s.annotations = plan.spec.annotations.clone();
    s
}

/// Blocks until `start`, then runs the startContainer hooks and execs the user's program. The
/// fifo stays open for writing until the exec closes it (close-on-exec): `start` reads the byte
/// that says it began, then waits for the end of the fifo, and so returns once the program runs,
/// or with the error written here when a hook or the exec failed.
fn wait_and_exec(
    plan: &Plan<'_>,
    fifo: File,
    proc: Proc,
    ready: Option<Ready<'_>>,
) -> Res<std::convert::Infallible> {
    let mut w = nix::fcntl::openat(
        proc.as_fd(),
        format!("thread-self/fd/{}", fifo.as_raw_fd()).as_str(),
        OFlag::O_WRONLY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map(File::from)
    .map_err(err("opening exec.fifo"))?;
    w.write_all(b"0").map_err(err("exec.fifo"))?;
    drop(fifo);
    drop(proc);
    let r = (|| {
        let ready = ready
            .ok_or_else(|| Error::config("/process", "config.json has no process to start"))?;
        if let Some(h) = plan
            .spec
            .hooks
            .as_ref()
            .and_then(|h| h.start_container.as_deref())
        {
            carrack_platform::hooks::run("startContainer", h, &hook_state(plan, Status::Created))
                .map_err(|e| Error::Hook(Box::new(e)))?;
        }
        if let Some(p) = plan.persona {
            crate::sys::personality(p).map_err(err_at("/linux/personality", "personality"))?;
        }
        if let Some(m) = &plan.mempolicy {
            crate::sys::set_mempolicy(m.mode, &m.nodes)
                .map_err(err_at("/linux/memoryPolicy", "set_mempolicy"))?;
        }
        ready.exec(Some(w.as_fd()), plan.trampoline.map(|t| t.as_fd()))
    })();
    if let Err(e) = &r {
        let _ = w.write_all(&Report::from(e).to_bytes());
    }
    r
}
