//! The [`Platform`] methods of [`Windows`].

use super::*;

fn not_running(s: &ContainerState) -> Error {
    Error::NotRunning {
        id: s.id.clone(),
        status: s.status.to_string(),
    }
}

fn bad_status(s: &ContainerState, op: &'static str) -> Error {
    Error::BadStatus {
        id: s.id.clone(),
        status: s.status.to_string(),
        op,
    }
}

impl<E: Executor> Platform for Windows<E> {
    fn features(&self) -> Features {
        crate::features()
    }

    fn resources_kind(&self) -> ResourcesKind {
        ResourcesKind::Windows
    }

    fn create(&self, id: &ContainerId, opts: &CreateOptions) -> Result<ContainerState> {
        let path = opts.bundle.join("config.json");
        let bad = |reason: String| Error::Config {
            path: path.clone(),
            reason,
        };
        let bytes = std::fs::read(&path).map_err(|e| bad(e.to_string()))?;
        let mut spec = Spec::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        let bundle = std::path::absolute(&opts.bundle)
            .map_err(|e| Error::io(format!("bundle {}", opts.bundle.display()), e))?;
        resolve_sources(&mut spec, &bundle);
        let plan =
            plan(id.as_str(), &spec, &self.facts_for(&spec)).map_err(|e| bad(e.to_string()))?;
        let c = self.store.create(id)?;
        let handles = match self.make_systems(&plan) {
            Ok(h) => h,
            Err(e) => {
                let _ = c.remove();
                return Err(e);
            }
        };
        let rootfs = spec
            .root
            .as_ref()
            .map(|r| r.path.clone())
            .unwrap_or_default();
        let mut s = ContainerState::new(
            id.as_str(),
            Status::Created,
            &bundle.to_string_lossy(),
            &rootfs,
        );
        if let Some(a) = &spec.annotations {
            s.annotations = a.clone();
        }
        let b = Backend {
            utility_vm: plan.utility_vm.map(|u| u.id),
            process: plan.process,
            exit_code: None,
        };
        set_backend(&mut s, &b);
        self.handles().insert(id.to_string(), handles);
        if let Err(e) = c.save(&s) {
            self.tear_down(&s);
            let _ = c.remove();
            return Err(e);
        }
        if let Some(p) = &opts.pid_file {
            log::warn!(
                "{}: no pid before start on Windows: not written",
                p.display()
            );
        }
        Ok(s)
    }

    fn start(&self, id: &ContainerId) -> Result<()> {
        let (c, mut s) = self.current(id)?;
        if s.status != Status::Created {
            return Err(bad_status(&s, "start it (it is not created)"));
        }
        let mut b = backend(&s);
        let Some(process) = &b.process else {
            return Err(Error::Config {
                path: Path::new(&s.bundle).join("config.json"),
                reason: format!("no process to start ({START_NEEDS_PROCESS})"),
            });
        };
        let params = serde_json::to_string(process).unwrap_or_default();
        let pid = self
            .with(&s, |e, h| {
                e.start(&h.system)?;
                let (pid, p) = e.create_process(&h.system, &params)?;
                h.process = Some(p);
                Ok(pid)
            })
            .map_err(|e| hcs(format!("starting {id}"), e))?;
        s.pid = pid;
        s.status = Status::Running;
        b.exit_code = None;
        set_backend(&mut s, &b);
        self.refresh(&mut s)?;
        c.save(&s)
    }

    fn wait(&self, id: &ContainerId) -> Result<Exit> {
        let s = self.state(id)?;
        if s.status == Status::Created {
            return Err(bad_status(&s, "wait for it (it is not started)"));
        }
        if s.status != Status::Stopped {
            self.with(&s, |e, h| match &h.process {
                Some(p) => e.wait_process(p, None).map(drop),
                None => Ok(()),
            })
            .map_err(|e| hcs(format!("waiting for {id}"), e))?;
        }
        let s = self.state(id)?;
        let code = backend(&s).exit_code.unwrap_or(0);
        Ok(Exit::Code(code as i32))
    }

    fn state(&self, id: &ContainerId) -> Result<ContainerState> {
        self.current(id).map(|(_, s)| s)
    }

    fn list(&self) -> Result<Vec<ContainerState>> {
        let mut out = Vec::new();
        for id in self.store.ids()? {
            if let Ok((_, mut s)) = self.current(&id) {
                s.owner = self.store.owner(&id);
                out.push(s);
            }
        }
        Ok(out)
    }

    fn kill(&self, id: &ContainerId, signal: Signal, opts: KillOptions) -> Result<()> {
        let (c, mut s) = self.current(id)?;
        if s.status != Status::Created && s.status != Status::Running {
            return Err(not_running(&s));
        }
        let action = kill_action(signal)
            .ok_or_else(|| Error::UnknownSignal(format!("{signal} (no Windows counterpart)")))?;
        let created = s.status == Status::Created;
        self.with(&s, |e, h| match (&action, &h.process) {
            // No process yet, or every process: the compute system itself ends.
            (_, None) => e.terminate(&h.system),
            (KillAction::Terminate, Some(_)) if opts.all => e.terminate(&h.system),
            (KillAction::Terminate, Some(p)) => e.terminate_process(p),
            (KillAction::Signal(o), Some(p)) => {
                e.signal_process(p, &serde_json::to_string(o).unwrap_or_default())
            }
        })
        .map_err(|e| match e {
            ExecError::NotFound(_) => Error::NoSuchProcess(id.to_string()),
            e => hcs(format!("signalling {id}"), e),
        })?;
        if created {
            s.status = Status::Stopped;
            s.pid = 0;
        }
        self.refresh(&mut s)?;
        c.save(&s)
    }

    fn delete(&self, id: &ContainerId, force: bool) -> Result<()> {
        let (c, s) = self.current(id)?;
        if s.status != Status::Stopped && !force {
            return Err(bad_status(
                &s,
                "delete it (it is not stopped; --force kills it)",
            ));
        }
        self.tear_down(&s);
        c.remove()
    }

    fn pause(&self, id: &ContainerId) -> Result<()> {
        let (c, mut s) = self.current(id)?;
        if s.status != Status::Running {
            return Err(not_running(&s));
        }
        self.with(&s, |e, h| e.pause(&h.system))
            .map_err(|e| hcs(format!("pausing {id}"), e))?;
        s.status = Status::Paused;
        c.save(&s)
    }

    fn resume(&self, id: &ContainerId) -> Result<()> {
        let (c, mut s) = self.current(id)?;
        if s.status != Status::Paused {
            return Err(bad_status(&s, "resume it (it is not paused)"));
        }
        self.with(&s, |e, h| e.resume(&h.system))
            .map_err(|e| hcs(format!("resuming {id}"), e))?;
        s.status = Status::Running;
        self.refresh(&mut s)?;
        c.save(&s)
    }

    fn update(&self, id: &ContainerId, resources: &Resources) -> Result<()> {
        let Resources::Windows(r) = resources else {
            return Err(Error::Unsupported(
                "update with a non-Windows resources section",
            ));
        };
        let (_c, s) = self.current(id)?;
        if s.status == Status::Stopped {
            return Err(not_running(&s));
        }
        let requests = update_requests(r, &self.facts).map_err(|e| Error::Config {
            path: "update".into(),
            reason: e.to_string(),
        })?;
        self.with(&s, |e, h| {
            for r in &requests {
                e.modify(&h.system, &serde_json::to_string(r).unwrap_or_default())?;
            }
            Ok(())
        })
        .map_err(|e| hcs(format!("updating {id}"), e))
    }

    fn ps(&self, id: &ContainerId) -> Result<Vec<u32>> {
        let s = self.state(id)?;
        Ok(if s.pid != 0 { vec![s.pid] } else { Vec::new() })
    }
}
