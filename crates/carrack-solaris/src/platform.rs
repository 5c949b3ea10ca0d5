//! [`Solaris`]: the [`Platform`] of zones, over carrack-platform's [`Store`] and an
//! [`Executor`].

use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use carrack_platform::{
    ContainerId, ContainerState, CreateOptions, Error, ExecOptions, Exit, KillOptions, Platform,
    ResourcesKind, Result, Signal, SignalName, Store,
};
use carrack_spec::Document;
use carrack_spec::runtime::{Features, Process, Spec, Status};
use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::executor::{Executor, Output};
use crate::host::HostFacts;
use crate::parse::{self, SmfState, ZoneState};
use crate::plan::{Placement, Step, ZonePlan, plan};
use crate::process::{self, ProcessPlan};

/// What a container's state keeps besides runc's fields.
#[derive(Debug, Serialize, Deserialize)]
struct Backend {
    plan: ZonePlan,
    started: bool,
    pid_file: Option<PathBuf>,
}

/// The zones backend.
///
/// ```
/// use carrack_platform::{ContainerId, Platform, Store};
/// use carrack_solaris::{HostFacts, Solaris, executor::Recording};
/// let dir = tempfile::tempdir()?;
/// let p = Solaris::new(Store::open(dir.path())?, Recording::new(), HostFacts::illumos("/zones"));
/// assert!(p.state(&ContainerId::new("nobody")?).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Solaris<E: Executor> {
    store: Store,
    exec: E,
    host: HostFacts,
}

fn failed(cmd: &Command, out: &Output) -> Error {
    let why = format!("exit status {}: {}", out.status, out.stderr.trim());
    Error::io(cmd.to_string(), io::Error::other(why))
}

fn backend(s: &ContainerState) -> Result<Backend> {
    serde_json::from_value(s.backend.clone()).map_err(|e| Error::State {
        path: PathBuf::from(&s.bundle),
        reason: format!("the Solaris backend's data: {e}"),
    })
}

fn is_kill(signal: Signal) -> bool {
    matches!(signal, Signal::Named(SignalName::Kill) | Signal::Number(9))
}

impl<E: Executor> Solaris<E> {
    /// A backend keeping state in `store`, running commands with `exec`, on a host `host`.
    pub fn new(store: Store, exec: E, host: HostFacts) -> Self {
        Self { store, exec, host }
    }

    /// The executor (the tests read a recording one's calls).
    pub fn executor(&self) -> &E {
        &self.exec
    }

    fn run(&self, cmd: &Command) -> Result<Output> {
        log::debug!("{cmd}");
        self.exec
            .run(cmd)
            .map_err(|e| Error::io(cmd.to_string(), e))
    }

    fn run_ok(&self, cmd: &Command) -> Result<Output> {
        let out = self.run(cmd)?;
        if out.success() {
            Ok(out)
        } else {
            Err(failed(cmd, &out))
        }
    }

    /// Runs undo commands, best effort, newest first.
    fn undo(&self, done: &[Step]) {
        for u in done.iter().rev().filter_map(|s| s.undo.as_ref()) {
            match self.run(u) {
                Ok(o) if o.success() => {}
                Ok(o) => log::warn!("undo {u}: {}", o.stderr.trim()),
                Err(e) => log::warn!("undo {u}: {e}"),
            }
        }
    }

    /// The zone's state; `None` when no such zone is configured.
    fn zone_state(&self, plan: &ZonePlan) -> Result<Option<ZoneState>> {
        let cmd = plan.list();
        let out = self.run(&cmd)?;
        if !out.success() {
            return if out.stderr.contains("No such zone") {
                Ok(None)
            } else {
                Err(failed(&cmd, &out))
            };
        }
        let zones = parse::zoneadm_list(&out.stdout)
            .map_err(|e| Error::io(cmd.to_string(), io::Error::other(e)))?;
        Ok(zones
            .into_iter()
            .find(|z| z.name == plan.zone)
            .map(|z| z.state))
    }

    /// Brings `s.status` up to date with the zone and the process.
    fn refresh(&self, s: &mut ContainerState) -> Result<Backend> {
        let b = backend(s)?;
        if s.status == Status::Stopped {
            return Ok(b);
        }
        let zone = self.zone_state(&b.plan)?;
        let status = match zone {
            Some(ZoneState::Ready | ZoneState::Running) if !b.started => Status::Created,
            Some(ZoneState::Running) if s.pid != 0 && self.exec.alive(s.pid) => Status::Running,
            _ => Status::Stopped,
        };
        if status == Status::Stopped {
            s.pid = 0;
        }
        s.status = status;
        Ok(b)
    }

    fn wait_milestone(&self, plan: &ZonePlan) -> Result<()> {
        let cmd = plan.wait_milestone();
        let deadline = Instant::now() + self.host.milestone_timeout;
        loop {
            let out = self.run(&cmd)?;
            if out.success() {
                let st = parse::svcs_state(&out.stdout)
                    .map_err(|e| Error::io(cmd.to_string(), io::Error::other(e)))?;
                match st.state {
                    SmfState::Online if !st.transitioning => return Ok(()),
                    SmfState::Maintenance => {
                        let why = format!("{} is in maintenance", plan.milestone);
                        return Err(Error::io(cmd.to_string(), io::Error::other(why)));
                    }
                    _ => {}
                }
            }
            if Instant::now() > deadline {
                let why = format!(
                    "{} not online after {:?}",
                    plan.milestone, self.host.milestone_timeout
                );
                return Err(Error::io(cmd.to_string(), io::Error::other(why)));
            }
            self.exec.pause(self.host.poll_interval);
        }
    }

    /// The zlogin user for `p`: none for root, else the zone's name for the uid, whose
    /// primary group must be the configured gid.
    fn user(&self, zone: &str, p: &ProcessPlan) -> Result<Option<String>> {
        if p.uid == 0 {
            return Ok(None);
        }
        let cmd = process::getent_passwd(zone, p.uid);
        let out = self.run_ok(&cmd)?;
        let pw = parse::passwd(&out.stdout)
            .map_err(|e| Error::io(cmd.to_string(), io::Error::other(e)))?;
        if pw.uid != p.uid || pw.gid != p.gid {
            return Err(Error::Init(format!(
                "process.user {}:{} cannot be applied: the zone's user {} is {}:{}, and zlogin -l \
                 runs a process with its user's own primary group",
                p.uid, p.gid, pw.name, pw.uid, pw.gid
            )));
        }
        Ok(Some(pw.name))
    }

    fn start_process(&self, plan: &ZonePlan, p: &ProcessPlan) -> Result<u32> {
        for cmd in &plan.boot {
            self.run_ok(cmd)?;
        }
        self.wait_milestone(plan)?;
        let user = self.user(&plan.zone, p)?;
        let cmd = p.zlogin(&plan.zone, user.as_deref());
        log::debug!("{cmd}");
        let child = self
            .exec
            .spawn(&cmd)
            .map_err(|e| Error::io(cmd.to_string(), e))?;
        Ok(child.pid())
    }

    fn write_pid(path: &Path, pid: u32) -> Result<()> {
        std::fs::write(path, pid.to_string())
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))
    }
}

impl<E: Executor> Platform for Solaris<E> {
    fn features(&self) -> Features {
        crate::features(&self.host)
    }

    fn resources_kind(&self) -> ResourcesKind {
        ResourcesKind::Solaris
    }

    fn create(&self, id: &ContainerId, opts: &CreateOptions) -> Result<ContainerState> {
        let path = opts.bundle.join("config.json");
        let bad = |reason: String| Error::Config {
            path: path.clone(),
            reason,
        };
        let bytes = std::fs::read(&path).map_err(|e| bad(e.to_string()))?;
        let spec = Spec::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        let bundle = std::path::absolute(&opts.bundle)
            .map_err(|e| Error::io(format!("bundle {}", opts.bundle.display()), e))?;
        let root = std::path::absolute(self.store.root())
            .map_err(|e| Error::io("the state root".to_owned(), e))?;
        let at = Placement {
            id: id.to_string(),
            bundle: bundle.clone(),
            zonecfg_file: root.join(id.as_str()).join("zonecfg"),
        };
        let plan = plan(&spec, &self.host, &at).map_err(|e| bad(e.to_string()))?;
        if self.zone_state(&plan)?.is_some() {
            return Err(Error::Exists(format!(
                "{id} (its zone {} exists)",
                plan.zone
            )));
        }
        let c = self.store.create(id)?;
        let r = std::fs::write(&at.zonecfg_file, &plan.zonecfg)
            .map_err(|e| Error::io(format!("writing {}", at.zonecfg_file.display()), e));
        if let Err(e) = r {
            let _ = c.remove();
            return Err(e);
        }
        for (i, step) in plan.create.iter().enumerate() {
            if let Err(e) = self.run_ok(&step.run) {
                self.undo(&plan.create[..i]);
                let _ = c.remove();
                return Err(e);
            }
        }
        let rootfs = bundle.join(spec.root.as_ref().map_or("rootfs", |r| r.path.as_str()));
        let mut s = ContainerState::new(
            id.as_str(),
            Status::Created,
            &bundle.to_string_lossy(),
            &rootfs.to_string_lossy(),
        );
        s.annotations = spec.annotations.clone().unwrap_or_default();
        let b = Backend {
            plan,
            started: false,
            pid_file: opts.pid_file.clone(),
        };
        s.backend = serde_json::to_value(&b).unwrap_or_default();
        if let Err(e) = c.save(&s) {
            self.undo(&b.plan.create);
            let _ = c.remove();
            return Err(e);
        }
        log::info!("created {id} as zone {}", b.plan.zone);
        Ok(s)
    }

    fn start(&self, id: &ContainerId) -> Result<()> {
        let c = self.store.lock(id)?;
        let mut s = c.load()?;
        let mut b = self.refresh(&mut s)?;
        if s.status != Status::Created {
            return Err(Error::BadStatus {
                id: id.to_string(),
                status: s.status.to_string(),
                op: "start it (it is not created)",
            });
        }
        let Some(p) = b.plan.process.clone() else {
            return Err(Error::Config {
                path: Path::new(&s.bundle).join("config.json"),
                reason: "no process to start (runtime.md § start: \"This operation MUST \
                         generate an error if `process` was not set.\")"
                    .into(),
            });
        };
        match self.start_process(&b.plan, &p) {
            Ok(pid) => {
                s.pid = pid;
                s.status = Status::Running;
                b.started = true;
                if let Some(f) = &b.pid_file {
                    Self::write_pid(f, pid)?;
                }
                s.backend = serde_json::to_value(&b).unwrap_or_default();
                c.save(&s)
            }
            Err(e) => {
                // Back to `created`: halted, then made ready again.
                let _ = self.run(&b.plan.halt);
                if let Some(ready) = b.plan.create.last() {
                    let _ = self.run(&ready.run);
                }
                Err(e)
            }
        }
    }

    fn state(&self, id: &ContainerId) -> Result<ContainerState> {
        let c = self.store.lock(id)?;
        let mut s = c.load()?;
        let before = (s.status.clone(), s.pid);
        self.refresh(&mut s)?;
        if (s.status.clone(), s.pid) != before {
            c.save(&s)?;
        }
        Ok(s)
    }

    fn list(&self) -> Result<Vec<ContainerState>> {
        let mut out = Vec::new();
        for id in self.store.ids()? {
            if let Ok(mut s) = self.state(&id) {
                s.owner = self.store.owner(&id);
                out.push(s);
            }
        }
        Ok(out)
    }

    fn kill(&self, id: &ContainerId, signal: Signal, opts: KillOptions) -> Result<()> {
        let c = self.store.lock(id)?;
        let mut s = c.load()?;
        let b = self.refresh(&mut s)?;
        if s.status != Status::Created && s.status != Status::Running {
            return Err(Error::NotRunning {
                id: id.to_string(),
                status: s.status.to_string(),
            });
        }
        let word =
            process::signal_word(signal).ok_or_else(|| Error::UnknownSignal(signal.to_string()))?;
        let zone = &b.plan.zone;
        if is_kill(signal) || (s.status == Status::Created && !process::ignored_by_default(signal))
        {
            // SIGKILL, or a signal whose default action ends a process that does not exist
            // yet: the whole zone goes down.
            self.run_ok(&b.plan.halt)?;
        } else if s.status == Status::Created {
            return Ok(());
        } else {
            let cmd = if opts.all {
                process::kill_all(zone, &word)
            } else {
                process::kill_init(zone, &word)
            };
            let out = self.run(&cmd)?;
            if !out.success() {
                log::debug!("{cmd}: {}", out.stderr.trim());
                return Err(Error::NoSuchProcess(id.to_string()));
            }
        }
        self.refresh(&mut s)?;
        c.save(&s)
    }

    fn delete(&self, id: &ContainerId, force: bool) -> Result<()> {
        let c = self.store.lock(id)?;
        let mut s = c.load()?;
        let b = self.refresh(&mut s)?;
        if s.status != Status::Stopped && !force {
            return Err(Error::BadStatus {
                id: id.to_string(),
                status: s.status.to_string(),
                op: "delete it (it is not stopped; --force kills it)",
            });
        }
        use ZoneState::*;
        let mut zone = self.zone_state(&b.plan)?;
        if matches!(zone, Some(Ready | Running | ShuttingDown | Down)) {
            self.run_ok(&b.plan.halt)?;
            zone = Some(Installed);
        }
        if matches!(zone, Some(Installed | Incomplete | Unavailable)) {
            self.run_ok(&b.plan.uninstall)?;
        }
        if zone.is_some() {
            self.run_ok(&b.plan.unconfigure)?;
        }
        if !b.plan.delete_vnics.is_empty() {
            let list = Command::new("dladm", ["show-vnic", "-p", "-o", "link,over"]);
            let out = self.run_ok(&list)?;
            let vnics = parse::dladm_vnics(&out.stdout)
                .map_err(|e| Error::io(list.to_string(), io::Error::other(e)))?;
            for cmd in &b.plan.delete_vnics {
                let name = cmd.args.last().map(String::as_str).unwrap_or_default();
                if vnics.iter().any(|(l, _)| l == name) {
                    self.run_ok(cmd)?;
                }
            }
        }
        c.remove()
    }

    fn exec(&self, id: &ContainerId, process: &Process, opts: &ExecOptions) -> Result<Exit> {
        let s = self.state(id)?;
        if s.status != Status::Running {
            return Err(Error::NotRunning {
                id: id.to_string(),
                status: s.status.to_string(),
            });
        }
        let b = backend(&s)?;
        let p = process::plan_process(process, self.host.os, false).map_err(|e| Error::Config {
            path: PathBuf::from("process"),
            reason: e.to_string(),
        })?;
        let user = self.user(&b.plan.zone, &p)?;
        let cmd = p.zlogin(&b.plan.zone, user.as_deref());
        let mut child = self
            .exec
            .spawn(&cmd)
            .map_err(|e| Error::io(cmd.to_string(), e))?;
        if let Some(f) = &opts.pid_file {
            Self::write_pid(f, child.pid())?;
        }
        if opts.detach {
            return Ok(Exit::Started { pid: child.pid() });
        }
        child
            .wait()
            .map(Exit::Code)
            .map_err(|e| Error::io(cmd.to_string(), e))
    }
}
