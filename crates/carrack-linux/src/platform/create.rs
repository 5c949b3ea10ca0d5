//! `create`: the config checked, init cloned into its namespaces, its id maps, cgroups, limits
//! and state made while it builds the rootfs, the handshake up to `created`.

use std::fs;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use carrack_platform::{ContainerId, ContainerState, CreateOptions, Error, Locked, Result, hooks};
use carrack_spec::Document;
use carrack_spec::runtime::{NamespaceType, Spec, Status};
use nix::sched::CloneFlags;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::namespaces::{write_id_maps, write_time_offsets};
use crate::spawn::sync::{self, Msg};
use crate::sys::Cloned;

use super::checks::{check_sysctls, has_limits, persona};
use super::{Backend, CONFIG, FIFO, Linux, cgroup, io, load_spec_bytes};

impl Linux {
    /// `create`, keeping the lock, the state and the config for `run`; `save_created` false
    /// leaves the state saved as `creating`, for the caller to save.
    pub(super) fn create_kept(
        &self,
        id: &ContainerId,
        opts: &CreateOptions,
        save_created: bool,
    ) -> Result<(Locked, ContainerState, Spec)> {
        // Before anything: the clones below are only sound in a single-threaded process.
        let op = if save_created { "create" } else { "run" };
        crate::spawn::single_threaded(op)?;
        let loaded = load_spec_bytes(&opts.bundle.join(CONFIG));
        let trampoline = match &loaded {
            Ok((spec, _)) => self.seal(spec, None)?,
            Err(_) => None,
        };
        let c = self.store.create(id)?;
        let made = self.create_locked(&c, id, opts, loaded, save_created, trampoline.as_ref());
        match made {
            Ok((s, spec)) => Ok((c, s, spec)),
            Err(e) => {
                let _ = c.remove();
                Err(e)
            }
        }
    }

    /// Creates the container `c` from `loaded`, the bundle's config as read by `create`.
    pub(super) fn create_locked(
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
        let bad = |e: crate::Error| e.into_platform(&config_path, false);
        for (i, n) in namespaces.iter().enumerate() {
            let f = crate::namespaces::flag(&n.kind)
                .ok_or(Error::Unsupported("this namespace type"))?;
            match &n.path {
                None if f.bits() == libc::CLONE_NEWTIME => {
                    nix::sched::unshare(f)
                        .map_err(|e| Error::io("unshare time namespace", e.into()))?;
                    write_time_offsets(&linux).map_err(bad)?;
                }
                None => flags |= f,
                Some(p) if f == CloneFlags::CLONE_NEWPID || f.bits() == libc::CLONE_NEWTIME => {
                    // Both apply to children: join them here, before the clone.
                    let ns = fs::File::open(p).map_err(io(format!("namespace {p}")))?;
                    nix::sched::setns(ns, f)
                        .map_err(|e| Error::io(format!("setns {p}"), e.into()))?;
                }
                Some(p) => join.push((f, PathBuf::from(p), i)),
            }
        }
        // Join the user namespace first: the others belong to it.
        join.sort_by_key(|(f, _, _)| *f != CloneFlags::CLONE_NEWUSER);
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
            && join.iter().any(|(f, _, _)| *f == CloneFlags::CLONE_NEWUSER);
        if staged {
            flags.remove(CloneFlags::CLONE_NEWPID);
        }

        let (labels, seccomp) = match process {
            Some(p) => crate::confine::check(&spec, p).map_err(bad)?,
            None => (crate::confine::lsm::Labels::default(), None),
        };
        check_sysctls(&linux).map_err(bad)?;
        let persona = persona(&linux).map_err(bad)?;
        let mempolicy = super::mempolicy::mempolicy(&linux).map_err(bad)?;
        super::mempolicy::refuse_intel_rdt(&linux).map_err(bad)?;
        let hierarchies =
            carrack_cgroups::hierarchies().map_err(cgroup("reading the host's cgroup mounts"))?;
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
            no_pivot: opts.linux.no_pivot,
            no_new_keyring: opts.linux.no_new_keyring,
            new_userns,
            new_cgroupns,
            unshare,
            staged,
            mount_namespace,
            persona,
            mempolicy,
            join,
            mount_label: linux.mount_label.as_deref(),
            labels,
            caps: crate::process::caps::plan(process.and_then(|p| p.capabilities.as_ref())),
            trampoline,
            seccomp: seccomp.as_ref(),
            hierarchies: &hierarchies,
            idmapped: &idmapped,
        };
        let lock_fd = c.as_raw_fd();
        let op = if save_created { "create" } else { "run" };
        // The cgroups are made before the clone, so that the first process starts in the
        // cgroup2 one (see carrack_cgroups::create for why) and enters the v1 ones itself.
        let carrack_cgroups::Placement {
            dirs: cgroups,
            v1: enter_v1,
            v2,
            skipped,
        } = carrack_cgroups::create(
            &hierarchies,
            &carrack_cgroups::cgroup_path(linux.cgroups_path.as_deref(), id.as_str()),
        )
        .map_err(cgroup("creating the container's cgroup"))?;
        let cloned = crate::spawn::clone_checked_into(op, flags.bits(), v2.as_deref());
        let cloned = match cloned {
            Ok(cloned) => cloned,
            Err(e) => {
                let _ = carrack_cgroups::remove(&cgroups);
                return Err(bad(e));
            }
        };
        let first = match cloned {
            Cloned::Child(single) => {
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
                    crate::init::run_staged(plan, child_end, &single)
                }
                crate::init::run(plan, child_end)
            }
            Cloned::Parent(pid) => pid,
        };
        drop(child_end);
        drop(plan);
        // The process a failure stops: the cloned one, then init once a staged clone named it.
        let target = std::cell::Cell::new(first);
        // From here on a failure stops init and removes its cgroups; `create` then removes the
        // container's directory.
        let undo = |e: Error| {
            let pid = Pid::from_raw(target.get());
            let _ = kill(pid, Signal::SIGKILL);
            let _ = nix::sys::wait::waitpid(pid, None);
            let _ = carrack_cgroups::remove(&cgroups);
            e
        };
        if new_userns {
            write_id_maps(first, &linux).map_err(|e| undo(bad(e)))?;
        }
        // From here on init unshares its namespaces (~0.5 ms for a network namespace) while
        // this process makes the fifo and saves the state. Init opens the
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
            .map_err(|e| undo(Error::io("creating exec.fifo", e.into())))?;
        if skipped && linux.resources.as_ref().is_some_and(has_limits) {
            return Err(undo(Error::Config {
                path: config_path.clone(),
                reason: "linux.resources: a rootless container can only be limited through \
                         cgroups delegated to its user, and this user has none"
                    .into(),
            }));
        }
        if let Some(p) = process {
            crate::process::write_oom_score_adj(first, p).map_err(|e| undo(bad(e)))?;
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
                Some(Msg::Error(e)) => return Err(undo(from_init(e, &config_path))),
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
            pid_ns: crate::procfs::pid_namespace(pid),
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
        let resource_error = |e: carrack_cgroups::Error| {
            undo(Error::Config {
                path: config_path.clone(),
                reason: e.to_string(),
            })
        };
        if let Some(r) = &resources {
            carrack_cgroups::apply_limits(&cgroups, r).map_err(resource_error)?;
        }
        // The device rules go in once init has made its device nodes: when it asks for the
        // hooks (which run with every limit in place) or says it is ready.
        let mut device_rules = resources.as_ref();
        let mut apply_devices = || match device_rules.take() {
            Some(r) => {
                carrack_cgroups::apply_devices(&cgroups, r, linux.devices.as_deref().unwrap_or(&[]))
                    .map_err(resource_error)
            }
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
                    let ran =
                        hooks::run("prestart", hooks.prestart.as_deref().unwrap_or(&[]), &oci)
                            .and_then(|()| {
                                hooks::run(
                                    "createRuntime",
                                    hooks.create_runtime.as_deref().unwrap_or(&[]),
                                    &oci,
                                )
                            });
                    if let Err(e) = ran {
                        let e = undo(e);
                        poststop_after_failure(&spec, &state);
                        return Err(e);
                    }
                    parent_end
                        .send(&Msg::HooksDone)
                        .map_err(|e| undo(Error::io("sync", e)))?;
                }
                Some(Msg::Ready) => break,
                Some(Msg::Error(e)) => {
                    let e = undo(from_init(e, &config_path));
                    if matches!(e, Error::Hook { .. }) {
                        // A createContainer hook failed.
                        poststop_after_failure(&spec, &state);
                    }
                    return Err(e);
                }
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
        if let Some(sock) = &opts.linux.pidfd_socket {
            crate::spawn::handoff::send_pidfd(sock, pid).map_err(|e| undo(bad(e)))?;
        }
        Ok((state, spec))
    }
}

/// What init reported over the sync channel, as the runtime reports it.
/// runtime.md § Lifecycle: when a prestart, createRuntime or createContainer hook fails, "the
/// runtime MUST generate an error, stop the container, and continue the lifecycle at step 12":
/// the container is destroyed (by the caller), then the poststop hooks run (step 13), each
/// failure only a warning.
fn poststop_after_failure(spec: &Spec, state: &ContainerState) {
    let Some(h) = spec.hooks.as_ref().and_then(|h| h.poststop.as_deref()) else {
        return;
    };
    let mut stopped = state.clone();
    stopped.status = Status::Stopped;
    for e in hooks::run_all("poststop", h, &stopped.oci()) {
        log::warn!("{e}");
    }
}

fn from_init(report: crate::error::Report, config: &std::path::Path) -> Error {
    crate::Error::from(report).into_platform(config, true)
}
