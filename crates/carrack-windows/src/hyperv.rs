//! Hyper-V isolation: the utility VM's `VirtualMachine` document and the container hosted in
//! it, shaped as hcsshim's `uvm/create_wcow.go` and `uvm.CreateContainer` (without an external
//! GCS) shape them. Host folders reach the VM as VSMB shares; the hosted container names them
//! by their guest paths.

use std::collections::BTreeMap;

use carrack_spec::runtime::{HyperV, Mount, Windows};

use crate::check::is_pipe;
use crate::plan::{HostFacts, UtilityVm, read_only};
use crate::rules::PlanError;
use crate::schema::{
    Attachment, Chipset, ComputeSystem, Container, Devices, HostedSystem, HvSocket,
    HvSocketSystemConfig, MappedDirectory, Scsi, Topology, Uefi, UefiBootEntry, Version,
    VirtualMachine, VirtualSmb, VirtualSmbShare, VirtualSmbShareOptions, VmMemory, VmProcessor,
};

/// The guest path of VSMB share `name`.
fn vsmb(name: &str) -> String {
    format!(r"\\?\VMSMB\VSMB-{{dcc079ae-60ba-4d07-847c-3493609c0870}}\{name}")
}

/// What the hosted plan needs of the configuration.
pub(crate) struct Context<'a> {
    pub(crate) id: &'a str,
    pub(crate) facts: &'a HostFacts,
    pub(crate) windows: &'a Windows,
    pub(crate) scratch: &'a str,
    pub(crate) image: &'a [String],
    pub(crate) mounts: &'a [Mount],
}

/// Where the utility VM image is: `utilityVMPath`, or the `UtilityVM` directory of the
/// bottom-most layer that has one ("the runtime will search the container filesystem layers
/// from the bottom-most layer upwards, until it locates "UtilityVM"").
fn utility_vm_dir(ctx: &Context<'_>, hv: &HyperV) -> Result<String, PlanError> {
    if let Some(p) = &hv.utility_vm_path {
        return Ok(p.trim_end_matches('\\').to_owned());
    }
    ctx.image
        .iter()
        .rev()
        .find(|f| ctx.facts.utility_vm_layers.contains(*f))
        .map(|f| format!(r"{}\UtilityVM", f.trim_end_matches('\\')))
        .ok_or_else(|| PlanError::CannotApply {
            what: "windows.hyperv.utilityVMPath",
            why: "it is not given, and no layer folder has a UtilityVM directory".into(),
        })
}

fn share(name: String, path: String, read_only: bool) -> VirtualSmbShare {
    VirtualSmbShare {
        name,
        path,
        options: VirtualSmbShareOptions {
            read_only,
            take_backup_privilege: read_only,
            cache_io: read_only,
            share_read: true,
            pseudo_oplocks: true,
        },
    }
}

/// The utility VM and the hosted container document built from `container` (whose storage,
/// resources and networking the caller filled with host paths).
pub(crate) fn plan(
    ctx: &Context<'_>,
    hv: &HyperV,
    mut container: Container,
) -> Result<(UtilityVm, ComputeSystem), PlanError> {
    if ctx.windows.devices.as_ref().is_some_and(|d| !d.is_empty()) {
        return Err(PlanError::CannotApply {
            what: "windows.devices",
            why: "device interface classes are assigned to process-isolated containers only; \
                  a utility VM takes PCI devices, which the spec cannot name"
                .into(),
        });
    }
    let uvm_dir = utility_vm_dir(ctx, hv)?;
    let scratch = ctx.scratch.trim_end_matches('\\');
    let mut shares = vec![share("os".into(), format!(r"{uvm_dir}\Files"), true)];
    if let Some(storage) = container.storage.as_mut() {
        for layer in &mut storage.layers {
            shares.push(share(layer.id.clone(), layer.path.clone(), true));
            layer.path = vsmb(&layer.id);
        }
        storage.path = format!(r"C:\c\{}\scratch", ctx.id);
    }
    for (i, m) in ctx.mounts.iter().enumerate() {
        let source = m.source.clone().unwrap_or_default();
        if is_pipe(&source) {
            return Err(PlanError::CannotApply {
                what: "mounts[].source",
                why: format!(
                    "mounts[{i}].source {source}: named pipes are not mapped into a utility VM here"
                ),
            });
        }
        let name = format!("m{i}");
        let ro = read_only(m);
        shares.push(share(name.clone(), source, ro));
        container.mapped_directories.push(MappedDirectory {
            host_path: vsmb(&name),
            container_path: m.destination.clone(),
            read_only: ro,
        });
    }
    let memory_mb = container
        .memory
        .as_ref()
        .map_or(ctx.facts.utility_vm_memory_mb, |m| m.size_in_mb);
    let processors = container
        .processor
        .as_ref()
        .and_then(|p| p.count)
        .unwrap_or(ctx.facts.utility_vm_processors);
    let disk = |path: String| Attachment {
        kind: "VirtualDisk".into(),
        path,
    };
    let attachments = BTreeMap::from([
        ("0".to_owned(), disk(format!(r"{scratch}\vm\sandbox.vhdx"))),
        ("1".to_owned(), disk(format!(r"{scratch}\sandbox.vhdx"))),
    ]);
    let vm = VirtualMachine {
        stop_on_reset: true,
        chipset: Chipset {
            uefi: Uefi {
                boot_this: UefiBootEntry {
                    device_path: r"\EFI\Microsoft\Boot\bootmgfw.efi".into(),
                    device_type: "VmbFs".into(),
                },
            },
        },
        compute_topology: Topology {
            memory: VmMemory {
                size_in_mb: memory_mb,
                allow_overcommit: true,
            },
            processor: VmProcessor { count: processors },
        },
        devices: Devices {
            scsi: BTreeMap::from([("0".to_owned(), Scsi { attachments })]),
            hv_socket: HvSocket {
                hv_socket_config: HvSocketSystemConfig {
                    default_bind_security_descriptor: "D:P(A;;FA;;;SY)(A;;FA;;;BA)".into(),
                },
            },
            virtual_smb: VirtualSmb { shares },
        },
    };
    let uvm_id = format!("{}@vm", ctx.id);
    let terminate = ctx.facts.terminate_on_last_handle_closed;
    let utility_vm = UtilityVm {
        id: uvm_id.clone(),
        document: ComputeSystem {
            owner: ctx.facts.owner.clone(),
            schema_version: Version::V2_1,
            virtual_machine: Some(vm),
            should_terminate_on_last_handle_closed: terminate,
            ..ComputeSystem::default()
        },
    };
    let hosted = ComputeSystem {
        owner: ctx.facts.owner.clone(),
        schema_version: Version::V2_1,
        hosting_system_id: Some(uvm_id),
        hosted_system: Some(HostedSystem {
            schema_version: Version::V2_1,
            container,
        }),
        should_terminate_on_last_handle_closed: terminate,
        ..ComputeSystem::default()
    };
    Ok((utility_vm, hosted))
}
