//! [`plan`]: a configuration and the facts of the host in, the HCS documents out. Pure: no
//! system call, the same answer on every OS.

use std::collections::{BTreeMap, BTreeSet};

use carrack_spec::runtime::{Mount, Spec, Windows};
use serde::Serialize;

use crate::check::{PIPE_PREFIX, check, is_pipe};
use crate::guid::name_to_guid;
use crate::hyperv;
use crate::ops::process_parameters;
use crate::rules::PlanError;
use crate::schema::{
    ComputeSystem, Container, Device, GuestOs, Layer, MappedDirectory, MappedPipe, Memory,
    Networking, ProcessParameters, Processor, Storage, StorageQoS, Version,
};

/// What the planner needs to know of the host, gathered by the caller (on Windows, by
/// [`crate::Windows`] through its executor).
///
/// ```
/// let mut f = carrack_windows::HostFacts::default();
/// f.host_processors = Some(4);
/// assert_eq!(f.owner, "carrack");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HostFacts {
    /// The `Owner` of the compute systems.
    pub owner: String,
    /// Layer ids the host's `NameToGuid` gave, by layer folder; a folder not listed gets
    /// [`crate::name_to_guid`].
    pub layer_ids: BTreeMap<String, String>,
    /// The layer folders that hold a `UtilityVM` directory (see [`HostFacts::probe`]).
    pub utility_vm_layers: BTreeSet<String>,
    /// Logical processors of the host: a larger `cpu.count` is lowered to it, as hcsshim does.
    pub host_processors: Option<u64>,
    /// An HCN namespace the host made for `network.endpointList` (when the config names none).
    pub network_namespace: Option<String>,
    /// `ShouldTerminateOnLastHandleClosed` of the documents (hcsshim: true).
    pub terminate_on_last_handle_closed: bool,
    /// Memory of a utility VM without `memory.limit`, in MiB (hcsshim: 1024).
    pub utility_vm_memory_mb: u64,
    /// Processors of a utility VM without `cpu.count` (hcsshim: 2).
    pub utility_vm_processors: u64,
}

impl Default for HostFacts {
    fn default() -> Self {
        Self {
            owner: "carrack".into(),
            layer_ids: BTreeMap::new(),
            utility_vm_layers: BTreeSet::new(),
            host_processors: None,
            network_namespace: None,
            terminate_on_last_handle_closed: true,
            utility_vm_memory_mb: 1024,
            utility_vm_processors: 2,
        }
    }
}

impl HostFacts {
    /// The defaults, with [`HostFacts::utility_vm_layers`] and [`HostFacts::host_processors`]
    /// read from this host's filesystem and CPU count.
    pub fn probe(spec: &Spec) -> Self {
        let mut f = Self::default();
        for folder in spec.windows.iter().flat_map(|w| &w.layer_folders) {
            if std::path::Path::new(folder).join("UtilityVM").is_dir() {
                f.utility_vm_layers.insert(folder.clone());
            }
        }
        f.host_processors = std::thread::available_parallelism()
            .ok()
            .map(|n| n.get() as u64);
        f
    }

    fn layer_id(&self, folder: &str) -> String {
        self.layer_ids
            .get(folder)
            .cloned()
            .unwrap_or_else(|| name_to_guid(folder))
    }
}

/// The compute systems of one container and the process `start` runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Plan {
    /// The container's compute system id (the container id).
    pub id: String,
    /// Hyper-V isolation: the utility VM, created and started before the container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utility_vm: Option<UtilityVm>,
    /// The container's `HcsCreateComputeSystem` document.
    pub document: ComputeSystem,
    /// The `HcsCreateProcess` parameters of `process`, if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessParameters>,
}

/// A utility VM to create first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct UtilityVm {
    /// Its compute system id (`<container id>@vm`, as hcsshim names it).
    pub id: String,
    /// Its document.
    pub document: ComputeSystem,
}

/// Plans container `id` from `spec`: checks every Windows rule, then builds the documents.
///
/// ```
/// use carrack_spec::runtime::{Root, Spec, Windows};
/// use carrack_windows::{HostFacts, plan};
/// let mut spec = Spec::new("1.3.0");
/// spec.root = Some(Root::new(r"\\?\Volume{ec84d99e-3f02-11e7-ac6c-00155d7682cf}\"));
/// spec.windows = Some(Windows::new(vec![r"C:\l\base".into(), r"C:\l\scratch".into()]));
/// let p = plan("c1", &spec, &HostFacts::default())?;
/// let storage = p.document.container.and_then(|c| c.storage).expect("storage");
/// assert_eq!(storage.layers[0].path, r"C:\l\base");
/// assert_eq!(storage.path, r"\\?\Volume{ec84d99e-3f02-11e7-ac6c-00155d7682cf}\");
/// # Ok::<(), carrack_windows::PlanError>(())
/// ```
pub fn plan(id: &str, spec: &Spec, facts: &HostFacts) -> Result<Plan, PlanError> {
    let w = check(spec)?;
    refuse_what_hcs_cannot_apply(w)?;
    let (scratch, image) = w
        .layer_folders
        .split_last()
        .ok_or(PlanError::NoLayerFolders)?;
    if image.is_empty() {
        return Err(PlanError::CannotApply {
            what: "windows.layerFolders",
            why: "it has only the scratch: a container needs at least one read-only (base) layer"
                .into(),
        });
    }
    if spec.hooks.is_some() {
        log::warn!("hooks are POSIX-platform hooks (config.md): ignored on Windows");
    }
    if spec.domainname.is_some() {
        log::warn!("domainname has no HCS counterpart: ignored");
    }
    let layers: Vec<Layer> = image
        .iter()
        .map(|f| Layer {
            id: facts.layer_id(f),
            path: f.clone(),
        })
        .collect();
    let mut container = Container {
        guest_os: Some(GuestOs {
            host_name: spec.hostname.clone().unwrap_or_default(),
        }),
        storage: Some(Storage {
            layers,
            path: spec
                .root
                .as_ref()
                .map(|r| r.path.clone())
                .unwrap_or_default(),
            qos: storage_qos(w),
        }),
        ..Container::default()
    };
    resources(&mut container, w, facts)?;
    container.networking = networking(w, facts)?;
    let mounts = spec.mounts.as_deref().unwrap_or_default();
    let process = spec.process.as_ref().map(process_parameters).transpose()?;
    if let Some(hv) = &w.hyperv {
        let ctx = hyperv::Context {
            id,
            facts,
            windows: w,
            scratch,
            image,
            mounts,
        };
        let (utility_vm, document) = hyperv::plan(&ctx, hv, container)?;
        return Ok(Plan {
            id: id.to_owned(),
            utility_vm: Some(utility_vm),
            document,
            process,
        });
    }
    map_mounts(&mut container, mounts)?;
    container.assigned_devices = w
        .devices
        .iter()
        .flatten()
        .map(|d| Device {
            kind: "ClassGuid".into(),
            interface_class_guid: d.id.clone(),
        })
        .collect();
    Ok(Plan {
        id: id.to_owned(),
        utility_vm: None,
        document: ComputeSystem {
            owner: facts.owner.clone(),
            schema_version: Version::V2_1,
            container: Some(container),
            should_terminate_on_last_handle_closed: facts.terminate_on_last_handle_closed,
            ..ComputeSystem::default()
        },
        process,
    })
}

/// The fields of `windows` that HCS schema 2.1 has no place for.
fn refuse_what_hcs_cannot_apply(w: &Windows) -> Result<(), PlanError> {
    if w.credential_spec.is_some() {
        return Err(PlanError::CannotApply {
            what: "windows.credentialSpec",
            why: "a gMSA needs a Container Credential Guard instance registered with the host \
                  service, outside the compute system document; this backend registers none"
                .into(),
        });
    }
    if w.servicing == Some(true) {
        return Err(PlanError::CannotApply {
            what: "windows.servicing",
            why: "servicing containers exist only in HCS schema 1 (`Servicing`); schema 2.1 has \
                  no such mode"
                .into(),
        });
    }
    if w.ignore_flushes_during_boot == Some(true) {
        return Err(PlanError::CannotApply {
            what: "windows.ignoreFlushesDuringBoot",
            why: "only HCS schema 1 has `IgnoreFlushesDuringBoot`; schema 2.1 has no such field"
                .into(),
        });
    }
    let storage = w.resources.as_ref().and_then(|r| r.storage.as_ref());
    if storage.is_some_and(|s| s.sandbox_size.is_some()) {
        return Err(PlanError::CannotApply {
            what: "windows.resources.storage.sandboxSize",
            why: "the scratch is sized when it is made (root.path is already a mounted volume); \
                  the compute system document has no size"
                .into(),
        });
    }
    Ok(())
}

fn storage_qos(w: &Windows) -> Option<StorageQoS> {
    let s = w.resources.as_ref()?.storage.as_ref()?;
    (s.iops.is_some() || s.bps.is_some()).then_some(StorageQoS {
        iops_maximum: s.iops,
        bandwidth_maximum: s.bps,
    })
}

/// `Memory` and `Processor` from `windows.resources` (also what `update` sends).
pub(crate) fn resources(
    c: &mut Container,
    w: &Windows,
    facts: &HostFacts,
) -> Result<(), PlanError> {
    let Some(r) = &w.resources else { return Ok(()) };
    if let Some(limit) = r.memory.as_ref().and_then(|m| m.limit) {
        c.memory = Some(memory(limit)?);
    }
    if let Some(cpu) = &r.cpu {
        c.processor = processor(cpu, facts);
    }
    Ok(())
}

/// `memory.limit` in whole MiB, as hcsshim divides it.
pub(crate) fn memory(limit: u64) -> Result<Memory, PlanError> {
    let size_in_mb = limit / (1024 * 1024);
    if size_in_mb == 0 {
        return Err(PlanError::CannotApply {
            what: "windows.resources.memory.limit",
            why: format!("{limit} bytes is less than 1 MiB, and HCS limits memory in whole MiB"),
        });
    }
    Ok(Memory { size_in_mb })
}

/// `Processor` from `cpu`: `count` (lowered to the host's), `maximum`, `shares` as `Weight`.
pub(crate) fn processor(
    cpu: &carrack_spec::runtime::WindowsCpu,
    facts: &HostFacts,
) -> Option<Processor> {
    let count = cpu.count.map(|n| match facts.host_processors {
        Some(host) if n > host => {
            log::warn!("cpu.count {n} is more than the host's {host} processors: using {host}");
            host
        }
        _ => n,
    });
    let p = Processor {
        count,
        maximum: cpu.maximum.map(u64::from),
        weight: cpu.shares.map(u64::from),
    };
    (p != Processor::default()).then_some(p)
}

fn networking(w: &Windows, facts: &HostFacts) -> Result<Option<Networking>, PlanError> {
    let Some(n) = &w.network else { return Ok(None) };
    let namespace = n
        .network_namespace
        .clone()
        .or_else(|| facts.network_namespace.clone());
    let endpoints = n.endpoint_list.as_ref().is_some_and(|e| !e.is_empty());
    if endpoints && namespace.is_none() {
        return Err(PlanError::CannotApply {
            what: "windows.network.endpointList",
            why: "HCS 2.1 attaches endpoints through an HCN namespace, and neither \
                  networkNamespace nor the host (HostFacts::network_namespace) gives one"
                .into(),
        });
    }
    if endpoints && n.network_namespace.is_some() {
        log::info!("network.endpointList: the endpoints are those of networkNamespace");
    }
    let net = Networking {
        namespace: namespace.unwrap_or_default(),
        allow_unqualified_dns_query: n.allow_unqualified_dns_query.unwrap_or(false),
        dns_search_list: n.dns_search_list.clone().unwrap_or_default().join(","),
        network_shared_container_name: n.network_shared_container_name.clone().unwrap_or_default(),
    };
    Ok((net != Networking::default()).then_some(net))
}

/// Whether a mount has the `ro` option.
pub(crate) fn read_only(m: &Mount) -> bool {
    let opts = m.options.as_deref().unwrap_or_default();
    for o in opts.iter().filter(|o| *o != "ro" && *o != "rw") {
        log::warn!(
            "mount {}: option {o:?} has no Windows meaning: ignored",
            m.destination
        );
    }
    if m.kind.is_some() {
        log::warn!(
            "mount {}: type is a POSIX-platform field: ignored",
            m.destination
        );
    }
    opts.iter().any(|o| o == "ro")
}

/// Process isolation: pipes to `MappedPipes`, directories to `MappedDirectories`.
fn map_mounts(c: &mut Container, mounts: &[Mount]) -> Result<(), PlanError> {
    for m in mounts {
        let source = m.source.clone().unwrap_or_default();
        if is_pipe(&source) {
            let name = if is_pipe(&m.destination) {
                &m.destination[PIPE_PREFIX.len()..]
            } else {
                m.destination.as_str()
            };
            c.mapped_pipes.push(MappedPipe {
                container_pipe_name: name.to_owned(),
                host_path: source,
            });
            continue;
        }
        c.mapped_directories.push(MappedDirectory {
            read_only: read_only(m),
            host_path: source,
            container_path: m.destination.clone(),
        });
    }
    Ok(())
}
