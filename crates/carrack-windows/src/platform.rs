//! [`Windows`]: the [`Platform`] over an [`Executor`] and carrack-platform's [`Store`].

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use carrack_platform::{
    ContainerId, ContainerState, CreateOptions, Error, Exit, KillOptions, Locked, Platform,
    Resources, ResourcesKind, Result, Signal, Store,
};
use carrack_spec::Document;
use carrack_spec::runtime::{Features, Spec, Status};
use serde::{Deserialize, Serialize};

use crate::check::is_pipe;
use crate::executor::{ExecError, Executor};
use crate::ops::{KillAction, kill_action, update_requests};
use crate::plan::{HostFacts, Plan, plan};
use crate::rules::{START_NEEDS_PROCESS, is_abs_windows};
use crate::schema::{ComputeSystem, ProcessParameters, ProcessStatus, SystemProperties};

/// What the backend keeps in a container's state besides runc's fields.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Backend {
    /// The utility VM's compute system id (Hyper-V isolation).
    utility_vm: Option<String>,
    /// What `start` runs.
    process: Option<ProcessParameters>,
    /// The init process's exit status, once it exited.
    exit_code: Option<u32>,
}

fn backend(s: &ContainerState) -> Backend {
    serde_json::from_value(s.backend.clone()).unwrap_or_default()
}

fn set_backend(s: &mut ContainerState, b: &Backend) {
    s.backend = serde_json::to_value(b).unwrap_or_default();
}

/// The handles this process holds open, per container.
struct Handles<E: Executor> {
    system: E::System,
    process: Option<E::Process>,
    utility_vm: Option<E::System>,
}

fn hcs(what: impl std::fmt::Display, e: ExecError) -> Error {
    Error::io(what.to_string(), std::io::Error::other(e))
}

/// The OCI status of a container whose compute system HCS reports as `native` and whose init
/// process has `exited` (`None`: no process yet): `Created` → created, `Running` → running
/// until the init process exits, then stopped (the silo outlives it until delete), `Paused` →
/// paused, anything else → stopped.
///
/// ```
/// use carrack_spec::runtime::Status;
/// use carrack_windows::oci_status;
/// assert_eq!(oci_status("Running", Some(false)), Status::Running);
/// assert_eq!(oci_status("Running", Some(true)), Status::Stopped);
/// assert_eq!(oci_status("Created", None), Status::Created);
/// ```
pub fn oci_status(native: &str, exited: Option<bool>) -> Status {
    match (native, exited) {
        ("Created", _) => Status::Created,
        ("Paused", _) => Status::Paused,
        ("Running", Some(true)) => Status::Stopped,
        ("Running", _) => Status::Running,
        _ => Status::Stopped,
    }
}

/// The Windows backend: containers as HCS compute systems, state in a [`Store`].
///
/// ```
/// use carrack_platform::{ContainerId, CreateOptions, Platform, Store};
/// use carrack_platform::contract::{Fixture, Program};
/// use carrack_windows::{Windows, executor::Recording, fixture::Bundles};
/// let dir = tempfile::tempdir()?;
/// let p = Windows::new(Store::open(dir.path().join("state"))?, Recording::new());
/// let bundle = Bundles::new(dir.path().join("b")).bundle("web", Some(Program::Sleep));
/// let id = ContainerId::new("web")?;
/// p.create(&id, &CreateOptions::new(bundle))?;
/// p.start(&id)?;
/// assert_eq!(p.state(&id)?.status.to_string(), "running");
/// p.delete(&id, true)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Windows<E: Executor> {
    store: Store,
    executor: E,
    facts: HostFacts,
    open: Mutex<BTreeMap<String, Handles<E>>>,
}

impl<E: Executor> std::fmt::Debug for Windows<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Windows")
            .field("store", &self.store)
            .field("facts", &self.facts)
            .finish_non_exhaustive()
    }
}

impl<E: Executor> Windows<E> {
    /// The backend over `store`, calling HCS through `executor`, with default [`HostFacts`].
    pub fn new(store: Store, executor: E) -> Self {
        Self {
            store,
            executor,
            facts: HostFacts::default(),
            open: Mutex::new(BTreeMap::new()),
        }
    }

    /// The same backend planning with `facts` (the owner, the defaults of utility VMs…).
    pub fn with_host_facts(mut self, facts: HostFacts) -> Self {
        self.facts = facts;
        self
    }

    /// The executor (a [`crate::executor::Recording`]'s calls, in tests).
    pub fn executor(&self) -> &E {
        &self.executor
    }

    fn handles(&self) -> MutexGuard<'_, BTreeMap<String, Handles<E>>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` with the open handles of `id` (reopened by id and pid when this process has
    /// none).
    fn with<R>(
        &self,
        s: &ContainerState,
        f: impl FnOnce(&E, &mut Handles<E>) -> std::result::Result<R, ExecError>,
    ) -> std::result::Result<R, ExecError> {
        let mut open = self.handles();
        if !open.contains_key(&s.id) {
            let system = self.executor.open_compute_system(&s.id)?;
            open.insert(
                s.id.clone(),
                Handles {
                    system,
                    process: None,
                    utility_vm: None,
                },
            );
        }
        let h = open
            .get_mut(&s.id)
            .ok_or_else(|| ExecError::NotFound(s.id.clone()))?;
        if h.process.is_none() && s.pid != 0 {
            h.process = Some(self.executor.open_process(&h.system, s.pid)?);
        }
        f(&self.executor, h)
    }

    /// Brings `s` up to date with what HCS reports.
    fn refresh(&self, s: &mut ContainerState) -> Result<()> {
        if s.status == Status::Stopped {
            return Ok(());
        }
        let seen = self.with(s, |e, h| {
            let props: SystemProperties =
                serde_json::from_str(&e.properties(&h.system, "{}")?).unwrap_or_default();
            let status = match &h.process {
                Some(p) => Some(
                    serde_json::from_str::<ProcessStatus>(&e.process_properties(p)?)
                        .unwrap_or_default(),
                ),
                None => None,
            };
            Ok((props.state, status))
        });
        let (native, process) = match seen {
            Ok(x) => x,
            Err(ExecError::NotFound(_)) => ("Stopped".to_owned(), None),
            Err(e) => return Err(hcs(format!("querying {}", s.id), e)),
        };
        s.status = oci_status(&native, process.as_ref().map(|p| p.exited));
        if s.status == Status::Stopped {
            let mut b = backend(s);
            if let Some(p) = process.filter(|p| p.exited) {
                b.exit_code = Some(p.exit_code);
            }
            set_backend(s, &b);
            s.pid = 0;
        }
        Ok(())
    }

    /// Locks, loads and refreshes `id`'s state.
    fn current(&self, id: &ContainerId) -> Result<(Locked, ContainerState)> {
        let c = self.store.lock(id)?;
        let mut s = c.load()?;
        let before = s.status.clone();
        self.refresh(&mut s)?;
        if s.status != before {
            c.save(&s)?;
        }
        Ok((c, s))
    }

    /// Terminates and closes what `s` holds; errors are logged (the system may be gone).
    fn tear_down(&self, s: &ContainerState) {
        let _ = self.with(s, |_, _| Ok(()));
        let handles = self.handles().remove(&s.id);
        let uvm_id = backend(s).utility_vm;
        if let Some(h) = handles {
            if let Err(e) = self.executor.terminate(&h.system) {
                log::debug!("terminating {}: {e}", s.id);
            }
            if let Some(p) = h.process {
                self.executor.close_process(p);
            }
            self.executor.close(h.system);
            let uvm = match (h.utility_vm, &uvm_id) {
                (Some(u), _) => Some(u),
                (None, Some(id)) => self.executor.open_compute_system(id).ok(),
                (None, None) => None,
            };
            if let Some(u) = uvm {
                if let Err(e) = self.executor.terminate(&u) {
                    log::debug!("terminating the utility VM of {}: {e}", s.id);
                }
                self.executor.close(u);
            }
        }
    }

    /// Creates (and, for a utility VM, starts) the compute systems of `plan`; on an error,
    /// what was made is terminated again.
    fn make_systems(&self, plan: &Plan) -> Result<Handles<E>> {
        let json = |d: &ComputeSystem| serde_json::to_string(d).unwrap_or_default();
        let utility_vm = match &plan.utility_vm {
            None => None,
            Some(u) => {
                let what = || format!("creating utility VM {}", u.id);
                let vm = self
                    .executor
                    .create_compute_system(&u.id, &json(&u.document))
                    .map_err(|e| hcs(what(), e))?;
                if let Err(e) = self.executor.start(&vm) {
                    let _ = self.executor.terminate(&vm);
                    self.executor.close(vm);
                    return Err(hcs(what(), e));
                }
                Some(vm)
            }
        };
        match self
            .executor
            .create_compute_system(&plan.id, &json(&plan.document))
        {
            Ok(system) => Ok(Handles {
                system,
                process: None,
                utility_vm,
            }),
            Err(e) => {
                if let Some(vm) = utility_vm {
                    let _ = self.executor.terminate(&vm);
                    self.executor.close(vm);
                }
                Err(hcs(format!("creating {}", plan.id), e))
            }
        }
    }

    fn facts_for(&self, spec: &Spec) -> HostFacts {
        let mut f = self.facts.clone();
        f.utility_vm_layers
            .extend(HostFacts::probe(spec).utility_vm_layers);
        for folder in spec.windows.iter().flat_map(|w| &w.layer_folders) {
            if let Some(id) = self.executor.layer_id(folder) {
                f.layer_ids.insert(folder.clone(), id);
            }
        }
        f
    }
}

/// Relative mount sources are relative to the bundle (config.md § Mounts).
fn resolve_sources(spec: &mut Spec, bundle: &Path) {
    for m in spec.mounts.iter_mut().flatten() {
        if let Some(src) = &m.source
            && !src.is_empty()
            && !is_abs_windows(src)
            && !src.starts_with(r"\\")
            && !is_pipe(src)
        {
            m.source = Some(bundle.join(src).to_string_lossy().into_owned());
        }
    }
}

impl<E: Executor> Drop for Windows<E> {
    fn drop(&mut self) {
        let open = std::mem::take(&mut *self.handles());
        for (_, h) in open {
            if let Some(p) = h.process {
                self.executor.close_process(p);
            }
            self.executor.close(h.system);
            if let Some(u) = h.utility_vm {
                self.executor.close(u);
            }
        }
    }
}

mod imp;
