//! [`Recording`]: a backend with no OS behind it, for tests of code that drives a
//! [`Platform`] (the `carrack` binary's verbs, a container manager) and of the contract itself.
//!
//! It keeps real state in a real [`Store`] and follows the lifecycle exactly as the contract
//! says, but its "processes" are simulated from `process.args` of the bundle's config: `exit N`
//! stops at once with status N, anything else runs until `SIGTERM`, `SIGINT` or `SIGKILL`
//! (other signals are recorded and ignored). Every call is recorded, in order.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use carrack_spec::Document;
use carrack_spec::runtime::{Features, Spec, Status};
use serde::{Deserialize, Serialize};

use crate::contract::{Fixture, Program};
use crate::error::{Error, Result};
use crate::id::ContainerId;
use crate::options::{CreateOptions, KillOptions};
use crate::platform::Platform;
use crate::resources::ResourcesKind;
use crate::signal::{Signal, SignalName};
use crate::state::ContainerState;
use crate::store::Store;

/// One call a [`Recording`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The operation: `create`, `start`, `kill SIGTERM`, `delete --force`…
    pub op: String,
    /// The container it was for (empty for `list`).
    pub id: String,
}

/// What the fake keeps in a container's state besides runc's fields.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Sim {
    /// `Some(n)`: the program exits at once with `n`.
    exits_with: Option<i32>,
    /// The configuration has a process.
    has_process: bool,
    /// How the program ended, once it did.
    exit: Option<i32>,
}

/// A recording fake backend over a [`Store`].
///
/// ```
/// use carrack_platform::{ContainerId, CreateOptions, Platform};
/// use carrack_platform::contract::{Fixture, Program};
/// use carrack_platform::fake::{Bundles, Recording};
/// let dir = tempfile::tempdir()?;
/// let p = Recording::new(dir.path().join("state"))?;
/// let bundles = Bundles::new(dir.path().join("bundles"));
/// let id = ContainerId::new("web")?;
/// p.create(&id, &CreateOptions::new(bundles.bundle("web", Some(Program::Exit(0)))))?;
/// p.start(&id)?;
/// assert_eq!(p.calls().iter().map(|c| c.op.as_str()).collect::<Vec<_>>(), ["create", "start"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Recording {
    store: Store,
    calls: Mutex<Vec<Call>>,
    next_pid: AtomicU32,
}

impl Recording {
    /// A fake with its state under `root`.
    pub fn new(root: impl Into<std::path::PathBuf>) -> Result<Self> {
        Ok(Self {
            store: Store::open(root)?,
            calls: Mutex::new(Vec::new()),
            next_pid: AtomicU32::new(1000),
        })
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    fn record(&self, op: impl Into<String>, id: &str) {
        if let Ok(mut c) = self.calls.lock() {
            c.push(Call {
                op: op.into(),
                id: id.to_owned(),
            });
        }
    }

    fn sim(s: &ContainerState) -> Sim {
        serde_json::from_value(s.backend.clone()).unwrap_or_default()
    }

    fn set_sim(s: &mut ContainerState, sim: &Sim) {
        s.backend = serde_json::to_value(sim).unwrap_or_default();
    }
}

fn stop(s: &mut ContainerState, code: i32) {
    let mut sim = Recording::sim(s);
    sim.exit = Some(code);
    Recording::set_sim(s, &sim);
    s.status = Status::Stopped;
    s.pid = 0;
}

impl Platform for Recording {
    fn features(&self) -> Features {
        Features::new("1.0.0", carrack_spec::runtime::VERSION)
    }

    fn resources_kind(&self) -> ResourcesKind {
        ResourcesKind::Linux
    }

    fn create(&self, id: &ContainerId, opts: &CreateOptions) -> Result<ContainerState> {
        self.record("create", id.as_str());
        let path = opts.bundle.join("config.json");
        let bad = |reason: String| Error::Config {
            path: path.clone(),
            reason,
        };
        // Everything that can fail is checked before the store is touched.
        let bytes = std::fs::read(&path).map_err(|e| bad(e.to_string()))?;
        let spec = Spec::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        let bundle = std::path::absolute(&opts.bundle)
            .map_err(|e| Error::io(format!("bundle {}", opts.bundle.display()), e))?;
        let args = spec
            .process
            .as_ref()
            .and_then(|p| p.args.clone())
            .unwrap_or_default();
        let sim = Sim {
            exits_with: match args.as_slice() {
                [exit, n] if exit == "exit" => n.parse().ok(),
                _ => None,
            },
            has_process: spec.process.is_some(),
            exit: None,
        };
        let c = self.store.create(id)?;
        let rootfs = bundle.join(spec.root.as_ref().map_or("rootfs", |r| r.path.as_str()));
        let mut s = ContainerState::new(
            id.as_str(),
            Status::Created,
            &bundle.to_string_lossy(),
            &rootfs.to_string_lossy(),
        );
        s.pid = self.next_pid.fetch_add(1, Ordering::Relaxed);
        if let Some(a) = &spec.annotations {
            s.annotations = a.clone();
        }
        Self::set_sim(&mut s, &sim);
        if let Err(e) = c.save(&s) {
            let _ = c.remove();
            return Err(e);
        }
        Ok(s)
    }

    fn start(&self, id: &ContainerId) -> Result<()> {
        self.record("start", id.as_str());
        let c = self.store.lock(id)?;
        let mut s = c.load()?;
        if s.status != Status::Created {
            return Err(Error::BadStatus {
                id: id.to_string(),
                status: s.status.to_string(),
                op: "start it (it is not created)",
            });
        }
        let sim = Self::sim(&s);
        if !sim.has_process {
            return Err(Error::Config {
                path: Path::new(&s.bundle).join("config.json"),
                reason: "no process to start (runtime.md § start)".into(),
            });
        }
        match sim.exits_with {
            Some(code) => stop(&mut s, code),
            None => s.status = Status::Running,
        }
        c.save(&s)
    }

    fn state(&self, id: &ContainerId) -> Result<ContainerState> {
        self.record("state", id.as_str());
        self.store.lock(id)?.load()
    }

    fn list(&self) -> Result<Vec<ContainerState>> {
        self.record("list", "");
        let mut out = Vec::new();
        for id in self.store.ids()? {
            if let Ok(c) = self.store.lock(&id)
                && let Ok(mut s) = c.load()
            {
                s.owner = self.store.owner(&id);
                out.push(s);
            }
        }
        Ok(out)
    }

    fn kill(&self, id: &ContainerId, signal: Signal, opts: KillOptions) -> Result<()> {
        let all = if opts.all { " --all" } else { "" };
        self.record(format!("kill{all} {signal}"), id.as_str());
        let c = self.store.lock(id)?;
        let mut s = c.load()?;
        if s.status != Status::Created && s.status != Status::Running {
            return Err(Error::NotRunning {
                id: id.to_string(),
                status: s.status.to_string(),
            });
        }
        let fatal = [SignalName::Term, SignalName::Int, SignalName::Kill];
        if let Signal::Named(n) = signal
            && fatal.contains(&n)
        {
            stop(&mut s, 128 + if n == SignalName::Kill { 9 } else { 15 });
            c.save(&s)?;
        }
        Ok(())
    }

    fn delete(&self, id: &ContainerId, force: bool) -> Result<()> {
        self.record(if force { "delete --force" } else { "delete" }, id.as_str());
        let c = self.store.lock(id)?;
        let s = c.load()?;
        if s.status != Status::Stopped && !force {
            return Err(Error::BadStatus {
                id: id.to_string(),
                status: s.status.to_string(),
                op: "delete it (it is not stopped; --force kills it)",
            });
        }
        c.remove()
    }
}

/// The fake's bundles for [`crate::contract`]: a `config.json` whose `process.args` is
/// `["exit", "N"]` or `["sleep"]`, under a directory of the caller's.
#[derive(Debug)]
pub struct Bundles {
    dir: std::path::PathBuf,
}

impl Bundles {
    /// Bundles under `dir` (created when needed).
    pub fn new(dir: impl Into<std::path::PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
}

impl Fixture for Bundles {
    fn bundle(&self, name: &str, program: Option<Program>) -> std::path::PathBuf {
        let dir = self.dir.join(name);
        let mut spec = Spec::default_linux();
        match program {
            None => spec.process = None,
            Some(prog) => {
                if let Some(p) = spec.process.as_mut() {
                    p.args = Some(match prog {
                        Program::Sleep => vec!["sleep".into()],
                        Program::Exit(n) => vec!["exit".into(), n.to_string()],
                    });
                }
            }
        }
        // A fixture that cannot write its bundle leaves create to report the missing file.
        let _ = std::fs::create_dir_all(dir.join("rootfs"));
        let _ = std::fs::write(dir.join("config.json"), spec.to_string_pretty());
        dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Setup {
        _dir: tempfile::TempDir,
        platform: Recording,
        bundles: Bundles,
    }

    fn setup() -> Setup {
        let dir = tempfile::tempdir().expect("tmp");
        let platform = Recording::new(dir.path().join("state")).expect("store");
        let bundles = Bundles::new(dir.path().join("bundles"));
        Setup {
            _dir: dir,
            platform,
            bundles,
        }
    }

    #[test]
    fn every_contract_check_passes_against_the_fake() {
        let s = setup();
        let mut failed = Vec::new();
        for (name, check) in crate::contract::ALL {
            if let Err(e) = check(&s.platform, &s.bundles) {
                failed.push(format!("{name}: {e}"));
            }
        }
        assert!(failed.is_empty(), "{failed:#?}");
    }

    /// The checks are not vacuous: a fake that breaks one promise fails the check for it.
    #[test]
    fn a_backend_that_breaks_the_contract_fails_its_checks() {
        struct Lenient(Recording);
        impl Platform for Lenient {
            fn features(&self) -> Features {
                self.0.features()
            }
            fn resources_kind(&self) -> ResourcesKind {
                self.0.resources_kind()
            }
            fn create(&self, id: &ContainerId, o: &CreateOptions) -> Result<ContainerState> {
                self.0.create(id, o)
            }
            fn start(&self, id: &ContainerId) -> Result<()> {
                // Broken: a second start is silently accepted.
                match self.0.start(id) {
                    Err(Error::BadStatus { .. }) => Ok(()),
                    r => r,
                }
            }
            fn state(&self, id: &ContainerId) -> Result<ContainerState> {
                self.0.state(id)
            }
            fn list(&self) -> Result<Vec<ContainerState>> {
                self.0.list()
            }
            fn kill(&self, id: &ContainerId, s: Signal, o: KillOptions) -> Result<()> {
                self.0.kill(id, s, o)
            }
            fn delete(&self, id: &ContainerId, _force: bool) -> Result<()> {
                // Broken: delete always forces.
                self.0.delete(id, true)
            }
        }
        let s = setup();
        let lenient = Lenient(s.platform);
        let failing: Vec<&str> = crate::contract::ALL
            .iter()
            .filter(|(_, check)| check(&lenient, &s.bundles).is_err())
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(
            failing,
            [
                "start_of_a_started_container_fails",
                "delete_of_a_running_container_fails"
            ]
        );
    }

    #[test]
    fn calls_are_recorded_in_order() {
        let s = setup();
        let id = ContainerId::new("rec").expect("id");
        let b = s.bundles.bundle("rec", Some(Program::Sleep));
        s.platform
            .create(&id, &CreateOptions::new(b))
            .expect("create");
        s.platform.start(&id).expect("start");
        s.platform
            .kill(&id, Signal::Number(10), KillOptions::default())
            .expect("kill");
        assert_eq!(
            s.platform.state(&id).map(|s| s.status).ok(),
            Some(Status::Running)
        );
        s.platform.delete(&id, true).expect("delete");
        let ops: Vec<String> = s.platform.calls().into_iter().map(|c| c.op).collect();
        assert_eq!(
            ops,
            ["create", "start", "kill 10", "state", "delete --force"]
        );
    }
}
