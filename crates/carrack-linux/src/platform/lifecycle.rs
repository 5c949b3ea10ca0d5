//! `start` and `delete` on a locked container.

use std::fs;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use carrack_platform::{ContainerId, ContainerState, Error, Locked, Result, hooks};
use carrack_spec::runtime::{NamespaceType, Spec, Status};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::{CONFIG, FIFO, Linux, backend, cgroup, io, load_spec};

impl Linux {
    /// `start` on the locked container `c` in state `s`; `spec` is its config when the caller
    /// holds it already (`run`).
    ///
    /// With `until_exec`, returns only once init has run the startContainer hooks and exec'd
    /// the program, or with the error that stopped it (`run`, which waits for the process
    /// anyway, does not wait for that).
    pub(super) fn start_locked(
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
                    if !crate::procfs::alive(pid, b.start_time, b.pid_ns) {
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
            wait_exec(id, &f, spec, &c.path().join(CONFIG))?;
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
    pub(super) fn delete_with(
        &self,
        id: &ContainerId,
        force: bool,
        spec: Option<&Spec>,
    ) -> Result<()> {
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
                let _ = carrack_cgroups::freeze(&b.cgroups, false);
                for p in carrack_cgroups::pids(&b.cgroups) {
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
        if s.status != Status::Stopped
            && !wait_gone(pid, b.start_time, b.pid_ns, Duration::from_secs(10))
        {
            return Err(Error::Init(format!(
                "container {id}: init did not exit after SIGKILL"
            )));
        }
        // Processes left in the cgroup (no pid namespace) go too.
        for p in carrack_cgroups::pids(&b.cgroups) {
            let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
        }
        carrack_cgroups::remove(&b.cgroups).map_err(cgroup("removing the container's cgroups"))?;
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
            // runtime.md: a failing poststop hook is logged, the others still run and the
            // deletion stands.
            for e in hooks::run_all("poststop", h, &stopped.oci()) {
                log::warn!("{e}");
            }
        }
        Ok(())
    }
}

/// After `start` has read init's byte from exec.fifo: waits until no writer is left (init's end
/// closes when it execs the program, or when it exits), and returns the error init wrote there
/// if a startContainer hook or the exec failed.
fn wait_exec(id: &ContainerId, f: &impl AsFd, spec: &Spec, config: &Path) -> Result<()> {
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
    let why = match crate::spawn::trampoline::report(&said) {
        // The exec trampoline's report of a failed exec.
        Some(e) => {
            let program = spec
                .process
                .as_ref()
                .and_then(|p| p.args.as_ref())
                .and_then(|a| a.first())
                .map_or("", String::as_str);
            crate::Error::sys_at("/process/args/0", format!("exec {program:?}"), e)
        }
        None => crate::Error::from(crate::error::Report::from_bytes(&said)),
    };
    // Named after the container, as runc names it.
    Err(match why.into_platform(config, true) {
        Error::Io { what, source } => Error::Io {
            what: match what.strip_prefix("container init: ") {
                Some(what) => format!("container init: container {id}: {what}"),
                None => format!("container {id}: {what}"),
            },
            source,
        },
        Error::Init(why) => Error::Init(format!("container {id}: {why}")),
        other => other,
    })
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

fn wait_gone(pid: i32, started: u64, pid_ns: u64, limit: Duration) -> bool {
    let end = Instant::now() + limit;
    let mut pause = Duration::from_micros(100);
    while crate::procfs::alive(pid, started, pid_ns) {
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
