//! The container's init, in the cloned child: joins namespaces, builds the rootfs (mounts,
//! /dev, pivot_root, masked and read-only paths), waits for `start` on exec.fifo, then becomes
//! the user process (rlimits, user, capabilities, no_new_privs, cwd, closed fds, execve).
//! Errors before the handshake go back to `carrack create` over the sync channel.

use std::ffi::CString;
use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use carrack_spec::runtime::{NamespaceType, Process, RlimitType, RootfsPropagation, Spec};
use nix::fcntl::OFlag;
use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sched::CloneFlags;
use nix::sys::stat::Mode;

use crate::procfs::Proc;
use crate::sync::{Channel, Msg};

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
    /// `linux.personality`, as personality(2) takes it.
    pub(crate) persona: Option<libc::c_ulong>,
    /// Namespaces to join by path (user first), other than pid (joined by the parent).
    pub(crate) join: Vec<(CloneFlags, PathBuf)>,
    /// `linux.mountLabel`, checked against the host.
    pub(crate) mount_label: Option<&'a str>,
    /// The process's LSM labels, checked against the host.
    pub(crate) labels: crate::lsm::Labels,
    /// `linux.seccomp`, compiled.
    pub(crate) seccomp: Option<&'a crate::seccomp::Filter>,
    /// The host's cgroup hierarchies (for cgroup mounts on v1 and hybrid hosts).
    pub(crate) hierarchies: &'a [crate::cgroups::Hierarchy],
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
            .any(|(kind, _)| *kind == CloneFlags::CLONE_NEWUSER)
    }
}

/// What confines the user process beyond its credentials: LSM labels and the seccomp filter
/// (with the agent it hands its notify fd to).
pub(crate) struct Confine<'a> {
    pub(crate) labels: crate::lsm::Labels,
    pub(crate) seccomp: Option<&'a crate::seccomp::Filter>,
    pub(crate) listener: Option<crate::seccomp::Listener>,
    /// This process's pid as the runtime sees it, for the seccomp agent.
    pub(crate) pid: i32,
}

type Res<T> = Result<T, String>;

fn err<E: std::fmt::Display>(what: &str) -> impl Fn(E) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// The first step of a two-step start, for a new pid namespace in a user namespace joined by
/// path: the pid namespace must belong to the joined user namespace, so it can be made only
/// after the join, and it holds only the children of whoever made it. This process waits for
/// `Go`, enters the cgroups, joins and unshares every namespace, then clones init into the new
/// pid namespace as its own sibling (CLONE_PARENT: `carrack` stays init's parent and can wait
/// for it), sends init's pid and exits. Never returns.
pub(crate) fn run_staged(plan: Plan<'_>, chan: Channel) -> ! {
    let joined = (|| -> Res<()> {
        match chan.recv().map_err(err("sync"))? {
            Some(Msg::Go(v1)) => {
                crate::cgroups::enter_self(&v1).map_err(err("joining the container's cgroup"))?
            }
            Some(Msg::Error(e)) => return Err(e),
            other => return Err(format!("sync: expected go, got {other:?}")),
        }
        join_namespaces(&plan.join)?;
        nix::sched::unshare(plan.unshare | CloneFlags::CLONE_NEWPID)
            .map_err(err("unshare namespaces"))
    })();
    let failure = match joined {
        Ok(()) => match crate::sys::clone_process(libc::CLONE_PARENT) {
            Ok(crate::sys::Cloned::Child) => run(plan, chan),
            Ok(crate::sys::Cloned::Parent(pid)) => {
                let _ = chan.send(&Msg::Pid(pid));
                None
            }
            Err(e) => Some(format!("clone: {e}")),
        },
        Err(e) => Some(e),
    };
    if let Some(e) = failure {
        let _ = chan.send(&Msg::Error(e));
        std::process::exit(1)
    }
    std::process::exit(0)
}

/// Opens every namespace in `join` first, as runc does (once in another user namespace init
/// may no longer open the /proc/PID/ns files of a process that is not dumpable), then joins
/// them in order, the user namespace first.
fn join_namespaces(join: &[(CloneFlags, PathBuf)]) -> Res<()> {
    let files = join
        .iter()
        .map(|(kind, path)| {
            File::open(path)
                .map(|f| (*kind, path, f))
                .map_err(|e| format!("namespace {}: {e}", path.display()))
        })
        .collect::<Res<Vec<_>>>()?;
    for (kind, path, f) in &files {
        nix::sched::setns(f.as_fd(), *kind)
            .map_err(|e| format!("setns {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Runs init; never returns.
pub(crate) fn run(plan: Plan<'_>, chan: Channel) -> ! {
    match prepare(&plan, &chan) {
        Ok((fifo, confine)) => {
            let code = match wait_and_exec(&plan, fifo, confine) {
                Ok(never) => match never {},
                Err(e) => {
                    let _ = writeln!(std::io::stderr(), "carrack init: {e}");
                    if e.contains("No such file") || e.contains("not found") {
                        127
                    } else {
                        126
                    }
                }
            };
            std::process::exit(code)
        }
        Err(e) => {
            let _ = chan.send(&Msg::Error(e));
            std::process::exit(1)
        }
    }
}

fn open_dir(path: &Path) -> Res<File> {
    nix::fcntl::open(
        path,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map(File::from)
    .map_err(|e| format!("{}: {e}", path.display()))
}

/// Everything up to the handshake; returns the fifo handle, the host /proc to reopen it by and
/// the confinement to apply at exec.
fn prepare<'a>(plan: &Plan<'a>, chan: &Channel) -> Res<((File, Proc), Confine<'a>)> {
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
            crate::cgroups::enter_self(&v1).map_err(err("joining the container's cgroup"))?
        }
        Some(Msg::Error(e)) => return Err(e),
        other => return Err(format!("sync: expected go, got {other:?}")),
    }
    if !plan.staged {
        join_namespaces(&plan.join)?;
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
        crate::handoff::join_session_keyring(plan.id)?;
    }
    let spec = plan.spec;
    let linux = spec.linux.as_ref();
    let propagation = match linux.and_then(|l| l.rootfs_propagation.as_ref()) {
        Some(RootfsPropagation::Shared) => MsFlags::MS_SHARED,
        Some(RootfsPropagation::Private) => MsFlags::MS_PRIVATE,
        Some(RootfsPropagation::Unbindable) => MsFlags::MS_UNBINDABLE,
        _ => MsFlags::MS_SLAVE,
    };
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        propagation | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(err("making / a slave mount"))?;
    mount(
        Some(plan.rootfs),
        plan.rootfs,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(err("binding the rootfs on itself"))?;
    let root = open_dir(plan.rootfs)?;
    let mut fresh_dev = false;
    let cgroups = crate::mounts::CgroupView {
        own: &own_cgroups,
        hierarchies: plan.hierarchies,
    };
    for (i, m) in spec.mounts.iter().flatten().enumerate() {
        let idmapped = plan.idmapped.get(i).and_then(Option::as_ref);
        crate::mounts::mount_one(&root, plan.bundle, m, plan.mount_label, &cgroups, idmapped)?;
        if m.destination.trim_end_matches('/') == "/dev" {
            fresh_dev = true;
        }
    }
    crate::devices::setup(
        &root,
        linux.and_then(|l| l.devices.as_deref()).unwrap_or(&[]),
        fresh_dev,
        plan.in_user_namespace(),
    )?;
    crate::mounts::finish(&root, spec.mounts.as_deref().unwrap_or(&[]))?;

    // prestart and createRuntime hooks run in the runtime's namespaces, by the parent: a round
    // trip only when there are some.
    if has_runtime_hooks(spec) {
        chan.send(&Msg::HooksPlease).map_err(err("sync"))?;
        match chan.recv().map_err(err("sync"))? {
            Some(Msg::HooksDone) => {}
            Some(Msg::Error(e)) => return Err(e),
            other => return Err(format!("sync: expected hooks-done, got {other:?}")),
        }
    }
    if let Some(h) = spec
        .hooks
        .as_ref()
        .and_then(|h| h.create_container.as_deref())
    {
        carrack_platform::hooks::run("createContainer", h, &creating_state(plan))
            .map_err(|e| e.to_string())?;
    }

    // Kept across pivot_root: the fifo `start` opens (reopened through the host's /proc).
    let fifo = nix::fcntl::open(&plan.fifo, OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty())
        .map(File::from)
        .map_err(err("exec.fifo"))?;
    // The seccomp agent's socket is a host path: connect while the host is still reachable.
    let state = creating_state(plan);
    let pid = state.pid.and_then(|p| i32::try_from(p).ok()).unwrap_or(0);
    let listener = match plan.seccomp {
        Some(f) => crate::seccomp::Listener::connect(f, state)?,
        None => None,
    };
    let confine = Confine {
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
        rustix::system::sethostname(h.as_bytes()).map_err(err("sethostname"))?;
    }
    if let Some(d) = &spec.domainname
        && ns(NamespaceType::Uts)
    {
        rustix::system::setdomainname(d.as_bytes()).map_err(err("setdomainname"))?;
    }
    for (k, v) in linux.and_then(|l| l.sysctl.as_ref()).into_iter().flatten() {
        proc.write(&format!("sys/{}", k.replace('.', "/")), v.as_bytes())
            .map_err(|e| format!("sysctl {k}: {e}"))?;
    }
    // Masked and read-only paths, the console and a read-only root are set up before
    // pivot_root, resolved inside the rootfs by descriptor, while /proc/self/fd (by which
    // descriptors are mounted) is still the host's procfs.
    let mut null = None;
    for p in linux.and_then(|l| l.masked_paths.as_deref()).unwrap_or(&[]) {
        mask(&root, p, &mut null)?;
    }
    drop(null);
    for p in linux
        .and_then(|l| l.readonly_paths.as_deref())
        .unwrap_or(&[])
    {
        readonly(&root, p)?;
    }
    if let Some(sock) = &plan.console {
        crate::console::setup(sock, &root, true)?;
    }
    if spec.root.as_ref().and_then(|r| r.readonly) == Some(true) {
        crate::sys::mount_setattr(root.as_raw_fd(), MOUNT_ATTR_RDONLY, 0, false)
            .map_err(err("making / read-only"))?;
    }

    if plan.no_pivot {
        hide_host_proc_and_sys(plan.rootfs)?;
        nix::unistd::chdir(plan.rootfs).map_err(err("chdir rootfs"))?;
        mount(Some("."), "/", None::<&str>, MsFlags::MS_MOVE, None::<&str>)
            .map_err(err("moving the rootfs to /"))?;
        nix::unistd::chroot(".").map_err(err("chroot"))?;
    } else {
        nix::unistd::chdir(plan.rootfs).map_err(err("chdir rootfs"))?;
        nix::unistd::pivot_root(".", ".").map_err(err("pivot_root"))?;
        umount2(".", MntFlags::MNT_DETACH).map_err(err("detaching the old root"))?;
    }
    nix::unistd::chdir("/").map_err(err("chdir /"))?;
    chan.send(&Msg::Ready).map_err(err("sync"))?;
    Ok(((fifo, proc), confine))
}

const MOUNT_ATTR_RDONLY: u64 = 0x1;

/// Without pivot_root the host's mounts stay in the container's mount namespace under its
/// chroot, and a whole procfs or sysfs among them lets a process that makes a user and pid
/// namespace of its own mount a new procfs without the container's masks and read-only
/// /proc/sys (the kernel allows that when a full one is already mounted), then write the host's
/// sysctls through it (runc #2647). So every full procfs and sysfs outside the rootfs is
/// detached first (made a slave so the unmount does not propagate), or covered by a tmpfs
/// where it cannot be.
fn hide_host_proc_and_sys(rootfs: &Path) -> Res<()> {
    let info = crate::procfs::read("/proc/self/mountinfo").map_err(err("mountinfo"))?;
    let mut targets: Vec<PathBuf> = Vec::new();
    for line in info.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let Some(sep) = f.iter().position(|x| *x == "-") else {
            continue;
        };
        let (root, point, fstype) = (f.get(3), f.get(4), f.get(sep + 1));
        if root != Some(&"/") || !matches!(fstype, Some(&"proc") | Some(&"sysfs")) {
            continue;
        }
        let Some(point) = point.map(|p| PathBuf::from(p.replace("\\040", " "))) else {
            continue;
        };
        if !point.starts_with(rootfs) {
            targets.push(point);
        }
    }
    for p in targets {
        match mount(None::<&str>, &p, None::<&str>, MsFlags::MS_SLAVE | MsFlags::MS_REC, None::<&str>) {
            Ok(()) => {}
            // Gone with a parent detached before it.
            Err(nix::Error::ENOENT) | Err(nix::Error::EINVAL) => continue,
            Err(e) => return Err(format!("--no-pivot: hiding {}: {e}", p.display())),
        }
        match umount2(&p, MntFlags::MNT_DETACH) {
            Ok(()) => {}
            Err(nix::Error::EINVAL) | Err(nix::Error::EPERM) => {
                mount(Some("tmpfs"), &p, Some("tmpfs"), MsFlags::empty(), None::<&str>)
                    .map_err(|e| format!("--no-pivot: covering {}: {e}", p.display()))?;
            }
            Err(e) => return Err(format!("--no-pivot: detaching {}: {e}", p.display())),
        }
    }
    Ok(())
}

/// Whether the config has prestart or createRuntime hooks (which the runtime runs between
/// init's mounts and its pivot_root).
fn has_runtime_hooks(spec: &Spec) -> bool {
    spec.hooks.as_ref().is_some_and(|h| {
        h.prestart.as_ref().is_some_and(|v| !v.is_empty())
            || h.create_runtime.as_ref().is_some_and(|v| !v.is_empty())
    })
}

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

/// Hides `path` (inside the rootfs `root`): the container's /dev/null bound over a file
/// (checked to be the real 1:3 device, never followed: CVE-2025-31133), a read-only tmpfs over a
/// directory. A path that does not exist needs no mask; one with a symlink on the way is
/// refused, as the mask would land wherever the link points. `null` keeps the checked
/// /dev/null for the next file.
fn mask(root: &File, path: &str, null: &mut Option<File>) -> Res<()> {
    let Some(target) = existing(root, path).map_err(|e| format!("masking {path}: {e}"))? else {
        return Ok(());
    };
    let is_dir = target.metadata().map(|m| m.is_dir()).unwrap_or(false);
    let tp = crate::mounts::fd_path(&target);
    if is_dir {
        mount(
            Some("tmpfs"),
            &tp,
            Some("tmpfs"),
            MsFlags::MS_RDONLY,
            None::<&str>,
        )
        .map_err(|e| format!("masking {path}: {e}"))
    } else {
        let null = match null {
            Some(n) => n,
            None => null.insert(checked_null(root)?),
        };
        mount(
            Some(&crate::mounts::fd_path(null)),
            &tp,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|e| format!("masking {path}: {e}"))
    }
}

/// `path` inside `root` if it exists, reached through no symlink, and not a symlink itself.
fn existing(root: &File, path: &str) -> Res<Option<File>> {
    let found = match crate::mounts::open_existing(root, path) {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err("a symlink on the way; refusing to follow it".into());
        }
        Err(e) => return Err(e.to_string()),
    };
    if let Some(f) = &found
        && f.metadata().is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err("it is a symlink; refusing to follow it".into());
    }
    Ok(found)
}

/// The container's /dev/null, checked to be the null device (1:3) before anything is masked
/// with it.
fn checked_null(root: &File) -> Res<File> {
    let n = existing(root, "/dev/null")
        .map_err(|e| format!("/dev/null: {e}"))?
        .ok_or("/dev/null: missing")?;
    let md = n.metadata().map_err(|e| format!("/dev/null: {e}"))?;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    if !md.file_type().is_char_device() || md.rdev() != nix::sys::stat::makedev(1, 3) {
        return Err("/dev/null is not the null device (1:3); refusing to mask with it".into());
    }
    Ok(n)
}

fn readonly(root: &File, path: &str) -> Res<()> {
    let Some(target) = existing(root, path).map_err(|e| format!("read-only {path}: {e}"))? else {
        return Ok(());
    };
    let tp = crate::mounts::fd_path(&target);
    mount(
        Some(&tp),
        &tp,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| format!("read-only {path}: {e}"))?;
    let top = existing(root, path)
        .map_err(|e| format!("{path}: {e}"))?
        .ok_or_else(|| format!("{path}: gone after binding it"))?;
    crate::sys::mount_setattr(top.as_raw_fd(), MOUNT_ATTR_RDONLY, 0, true)
        .map_err(|e| format!("read-only {path}: {e}"))
}

/// Blocks until `start`, then becomes the user process.
fn wait_and_exec(
    plan: &Plan<'_>,
    (fifo, proc): (File, Proc),
    confine: Confine<'_>,
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
    drop(w);
    drop(fifo);

    let spec = plan.spec;
    let process = spec.process.as_ref().ok_or("config.json has no process")?;
    if let Some(h) = spec
        .hooks
        .as_ref()
        .and_then(|h| h.start_container.as_deref())
    {
        carrack_platform::hooks::run("startContainer", h, &creating_state(plan))
            .map_err(|e| e.to_string())?;
    }
    if let Some(p) = plan.persona {
        crate::sys::personality(p).map_err(err("personality"))?;
    }
    become_process(process, plan.preserve_fds, confine, &proc)
}

fn rlimit(t: &RlimitType) -> Option<nix::sys::resource::Resource> {
    use nix::sys::resource::Resource as R;
    Some(match t.as_str() {
        "RLIMIT_AS" => R::RLIMIT_AS,
        "RLIMIT_CORE" => R::RLIMIT_CORE,
        "RLIMIT_CPU" => R::RLIMIT_CPU,
        "RLIMIT_DATA" => R::RLIMIT_DATA,
        "RLIMIT_FSIZE" => R::RLIMIT_FSIZE,
        "RLIMIT_LOCKS" => R::RLIMIT_LOCKS,
        "RLIMIT_MEMLOCK" => R::RLIMIT_MEMLOCK,
        "RLIMIT_MSGQUEUE" => R::RLIMIT_MSGQUEUE,
        "RLIMIT_NICE" => R::RLIMIT_NICE,
        "RLIMIT_NOFILE" => R::RLIMIT_NOFILE,
        "RLIMIT_NPROC" => R::RLIMIT_NPROC,
        "RLIMIT_RSS" => R::RLIMIT_RSS,
        "RLIMIT_RTPRIO" => R::RLIMIT_RTPRIO,
        "RLIMIT_RTTIME" => R::RLIMIT_RTTIME,
        "RLIMIT_SIGPENDING" => R::RLIMIT_SIGPENDING,
        "RLIMIT_STACK" => R::RLIMIT_STACK,
        _ => return None,
    })
}

/// The path of `cmd` along `PATH` of `env` (inside the container), as execvp would find it.
fn lookup(cmd: &str, env: &[String]) -> Res<CString> {
    if cmd.contains('/') {
        return CString::new(cmd).map_err(err("args[0]"));
    }
    let path = env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    for dir in path.split(':').filter(|d| !d.is_empty()) {
        let candidate = Path::new(dir).join(cmd);
        if nix::unistd::access(&candidate, nix::unistd::AccessFlags::X_OK).is_ok()
            && candidate.metadata().is_ok_and(|m| m.is_file())
        {
            return CString::new(candidate.as_os_str().as_encoded_bytes()).map_err(err("args[0]"));
        }
    }
    Err(format!("exec: {cmd:?}: executable file not found in $PATH"))
}

/// Applies the process settings to this process and execs it. Shared by create and exec.
///
/// The seccomp filter goes in as runc orders it: without no_new_privs it must be loaded while
/// the process still has CAP_SYS_ADMIN, so before the user and capability switch (the filter
/// then has to allow those calls); with no_new_privs as late as possible, right before execve.
pub(crate) fn become_process(
    process: &Process,
    preserve_fds: u32,
    mut confine: Confine<'_>,
    proc: &Proc,
) -> Res<std::convert::Infallible> {
    let nnp = process.no_new_privileges == Some(true);
    fn load_seccomp(confine: &mut Confine<'_>) -> Res<()> {
        match confine.seccomp.take() {
            Some(f) => crate::seccomp::load(f, confine.listener.take(), confine.pid),
            None => Ok(()),
        }
    }
    for r in process.rlimits.iter().flatten() {
        let res = rlimit(&r.kind).ok_or_else(|| format!("unknown rlimit {}", r.kind))?;
        nix::sys::resource::setrlimit(res, r.soft, r.hard)
            .map_err(|e| format!("setrlimit {}: {e}", r.kind))?;
    }
    if let Some(adj) = process.oom_score_adj {
        proc.self_path("oom_score_adj")
            .and_then(|p| proc.write(&p, adj.to_string().as_bytes()))
            .map_err(err("oom_score_adj"))?;
    }
    let caps = crate::caps::plan(process.capabilities.as_ref())?;
    // chdir after pivot_root, and check where we are (CVE-2024-21626); before the filter, which
    // may deny getcwd.
    nix::unistd::chdir(process.cwd.as_str())
        .map_err(|e| format!("chdir to cwd {:?}: {e}", process.cwd))?;
    let here = nix::unistd::getcwd().map_err(err("getcwd"))?;
    if !here.is_absolute() || here.starts_with("(unreachable)") {
        return Err(format!("cwd {:?} is outside the container", process.cwd));
    }
    if !nnp {
        load_seccomp(&mut confine)?;
    }
    crate::caps::drop_bounding(&caps).map_err(err("dropping bounding capabilities"))?;
    crate::sys::prctl(libc::PR_SET_KEEPCAPS, 1, 0).map_err(err("PR_SET_KEEPCAPS"))?;
    let user = process.user.clone().unwrap_or_default();
    let (uid, gid) = (user.uid.unwrap_or(0), user.gid.unwrap_or(0));
    // (uid_t)-1 is no id: setresuid and setresgid take it as "leave unchanged", which would
    // leave the process root (the CVE-2024-40635 class).
    if uid == u32::MAX || gid == u32::MAX || user.additional_gids.iter().flatten().any(|g| *g == u32::MAX) {
        return Err(format!(
            "process.user: 4294967295 is (uid_t)-1, not an id (uid {uid}, gid {gid})"
        ));
    }
    let groups: Vec<nix::unistd::Gid> = user
        .additional_gids
        .iter()
        .flatten()
        .map(|g| nix::unistd::Gid::from_raw(*g))
        .collect();
    match nix::unistd::setgroups(&groups) {
        Ok(()) => {}
        // A user namespace with setgroups denied (rootless) allows no groups.
        Err(nix::Error::EPERM) if groups.is_empty() => {}
        Err(e) => return Err(format!("setgroups: {e}")),
    }
    nix::unistd::setresgid(gid.into(), gid.into(), gid.into()).map_err(err("setresgid"))?;
    nix::unistd::setresuid(uid.into(), uid.into(), uid.into()).map_err(err("setresuid"))?;
    let ids = (nix::unistd::getresuid(), nix::unistd::getresgid());
    if let (Ok(u), Ok(g)) = ids
        && (u.real.as_raw() != uid || u.effective.as_raw() != uid || g.effective.as_raw() != gid)
    {
        return Err(format!("process.user: asked for {uid}:{gid}, got {u:?} {g:?}"));
    }
    crate::caps::apply(&caps).map_err(err("setting capabilities"))?;
    confine.labels.apply(proc)?;
    if nnp {
        nix::sys::prctl::set_no_new_privs().map_err(err("no_new_privs"))?;
    }
    if let Some(mask) = user.umask {
        nix::sys::stat::umask(Mode::from_bits_truncate(mask));
    }
    let env: Vec<String> = process.env.clone().unwrap_or_default();
    let args = process.args.as_deref().unwrap_or_default();
    let Some(cmd) = args.first() else {
        return Err("process.args is empty (config.md § Process: args MUST have one entry)".into());
    };
    let path = lookup(cmd, &env)?;
    let argv: Vec<CString> = args
        .iter()
        .map(|a| CString::new(a.as_str()))
        .collect::<Result<_, _>>()
        .map_err(err("args"))?;
    let envp: Vec<CString> = env
        .iter()
        .map(|a| CString::new(a.as_str()))
        .collect::<Result<_, _>>()
        .map_err(err("env"))?;
    let listen = std::env::var("LISTEN_FDS")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0);
    crate::sys::cloexec_from(3 + i32::try_from(preserve_fds + listen).unwrap_or(0))
        .map_err(err("closing fds"))?;
    load_seccomp(&mut confine)?;
    let e = crate::sys::execve(&path, &argv, &envp);
    Err(format!("exec {cmd:?}: {e}"))
}
