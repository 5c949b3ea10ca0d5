//! The HCS schema 2.1 documents this backend sends, as typed serde structs with the field
//! names of Microsoft's HCS schema reference and hcsshim's `internal/hcs/schema2` (PascalCase;
//! absent members are left out, as Go's `omitempty` does). Only the members the planner fills
//! are modelled.
//!
//! ```
//! use carrack_windows::schema::{ComputeSystem, Version};
//! let doc = ComputeSystem { owner: "carrack".into(), schema_version: Version::V2_1, ..Default::default() };
//! assert_eq!(
//!     serde_json::to_string(&doc)?,
//!     r#"{"Owner":"carrack","SchemaVersion":{"Major":2,"Minor":1}}"#
//! );
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

fn is_false(b: &bool) -> bool {
    !*b
}

/// A schema version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Version {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
}

impl Version {
    /// Schema 2.1 (Windows Server 2019 / 1809 and later).
    pub const V2_1: Version = Version { major: 2, minor: 1 };
}

impl Default for Version {
    fn default() -> Self {
        Self::V2_1
    }
}

/// The document of `HcsCreateComputeSystem`: a container, a utility VM, or a container hosted
/// in a utility VM.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ComputeSystem {
    /// Who owns the system (shown by `hcsdiag list`).
    pub owner: String,
    /// The schema version.
    pub schema_version: Version,
    /// For a hosted container: the id of the utility VM hosting it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosting_system_id: Option<String>,
    /// For a hosted container: its document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosted_system: Option<HostedSystem>,
    /// A process-isolated container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<Container>,
    /// A utility VM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_machine: Option<VirtualMachine>,
    /// Terminate the system when its last handle closes.
    #[serde(default, skip_serializing_if = "is_false")]
    pub should_terminate_on_last_handle_closed: bool,
}

/// A container hosted in a utility VM (Hyper-V isolation).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostedSystem {
    /// The schema version.
    pub schema_version: Version,
    /// The container, with paths as the utility VM sees them.
    pub container: Container,
}

/// A container (`Container` of the schema).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Container {
    /// The guest OS settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guest_os: Option<GuestOs>,
    /// The layers and the scratch volume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<Storage>,
    /// Host directories mapped in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mapped_directories: Vec<MappedDirectory>,
    /// Host named pipes mapped in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mapped_pipes: Vec<MappedPipe>,
    /// Memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
    /// Processor limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processor: Option<Processor>,
    /// Networking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub networking: Option<Networking>,
    /// Registry values set in the container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry_changes: Option<RegistryChanges>,
    /// Devices assigned to the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assigned_devices: Vec<Device>,
}

/// `GuestOs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GuestOs {
    /// The container's host name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host_name: String,
}

/// `Storage`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Storage {
    /// The read-only layers, topmost first.
    pub layers: Vec<Layer>,
    /// The mounted scratch volume (`\\?\Volume{GUID}\`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Storage quality of service.
    #[serde(rename = "QoS", skip_serializing_if = "Option::is_none")]
    pub qos: Option<StorageQoS>,
}

/// `Layer`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Layer {
    /// The layer's GUID (see [`crate::name_to_guid`]).
    pub id: String,
    /// The layer's folder.
    pub path: String,
}

/// `StorageQoS`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StorageQoS {
    /// IO operations per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iops_maximum: Option<u64>,
    /// Bytes per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bandwidth_maximum: Option<u64>,
}

/// `MappedDirectory`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MappedDirectory {
    /// The host directory.
    pub host_path: String,
    /// Where it appears in the container.
    pub container_path: String,
    /// Read-only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
}

/// `MappedPipe`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MappedPipe {
    /// The pipe's name in the container (without `\\.\pipe\`).
    pub container_pipe_name: String,
    /// The host pipe (`\\.\pipe\…`).
    pub host_path: String,
}

/// `Memory` of a container.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Memory {
    /// Limit in MiB.
    #[serde(rename = "SizeInMB")]
    pub size_in_mb: u64,
}

/// `Processor` of a container: one of the three is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Processor {
    /// Number of processors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Cycles per 10,000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum: Option<u64>,
    /// Relative weight, 0 to 10,000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<u64>,
}

/// `Networking`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Networking {
    /// The HCN namespace GUID.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Allow unqualified DNS queries.
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_unqualified_dns_query: bool,
    /// DNS suffixes, comma-separated.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dns_search_list: String,
    /// The container whose network stack is shared.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub network_shared_container_name: String,
}

/// `Device` (an assigned device).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Device {
    /// `ClassGuid`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// The device interface class GUID.
    pub interface_class_guid: String,
}

/// `RegistryChanges`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegistryChanges {
    /// Values to add.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_values: Vec<RegistryValue>,
}

/// `RegistryValue`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegistryValue {
    /// The key.
    pub key: RegistryKey,
    /// The value's name.
    pub name: String,
    /// `String`, `DWord`, …
    #[serde(rename = "Type")]
    pub kind: String,
    /// A string value.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub string_value: String,
    /// A DWORD value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub d_word_value: Option<u32>,
}

/// `RegistryKey`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegistryKey {
    /// `System`, `Software`, …
    pub hive: String,
    /// The key's path in the hive.
    pub name: String,
}

/// `VirtualMachine`: the utility VM of a Hyper-V isolated container, as hcsshim's
/// `uvm/create_wcow.go` shapes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VirtualMachine {
    /// Stop the VM when it resets.
    pub stop_on_reset: bool,
    /// The firmware.
    pub chipset: Chipset,
    /// Memory and processors.
    pub compute_topology: Topology,
    /// Devices.
    pub devices: Devices,
}

/// `Chipset`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Chipset {
    /// UEFI boot.
    pub uefi: Uefi,
}

/// `Uefi`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Uefi {
    /// The boot entry.
    pub boot_this: UefiBootEntry,
}

/// `UefiBootEntry`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UefiBootEntry {
    /// The boot loader's path on the device.
    pub device_path: String,
    /// `VmbFs`: the VSMB share of the utility VM image.
    pub device_type: String,
}

/// `Topology`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Topology {
    /// Memory.
    pub memory: VmMemory,
    /// Processors.
    pub processor: VmProcessor,
}

/// `Memory2` of a VM.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VmMemory {
    /// Size in MiB.
    #[serde(rename = "SizeInMB")]
    pub size_in_mb: u64,
    /// Back the memory with host virtual memory.
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_overcommit: bool,
}

/// `Processor2` of a VM.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VmProcessor {
    /// Virtual processors.
    pub count: u64,
}

/// `Devices` of a VM.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Devices {
    /// SCSI controllers by name, each with attachments by LUN.
    pub scsi: BTreeMap<String, Scsi>,
    /// Hyper-V sockets.
    pub hv_socket: HvSocket,
    /// VSMB shares.
    pub virtual_smb: VirtualSmb,
}

/// `Scsi`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Scsi {
    /// Attachments by LUN.
    pub attachments: BTreeMap<String, Attachment>,
}

/// `Attachment`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attachment {
    /// `VirtualDisk`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// The VHDX.
    pub path: String,
}

/// `HvSocket2`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HvSocket {
    /// The system-wide configuration.
    pub hv_socket_config: HvSocketSystemConfig,
}

/// `HvSocketSystemConfig`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HvSocketSystemConfig {
    /// SDDL of who may bind.
    pub default_bind_security_descriptor: String,
}

/// `VirtualSmb`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VirtualSmb {
    /// The shares.
    pub shares: Vec<VirtualSmbShare>,
}

/// `VirtualSmbShare`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VirtualSmbShare {
    /// The share's name (`\\?\VMSMB\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\<Name>` in
    /// the guest).
    pub name: String,
    /// The host directory.
    pub path: String,
    /// Options.
    pub options: VirtualSmbShareOptions,
}

/// `VirtualSmbShareOptions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VirtualSmbShareOptions {
    /// Read-only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
    /// Use the backup privilege (read any file of a layer).
    #[serde(default, skip_serializing_if = "is_false")]
    pub take_backup_privilege: bool,
    /// Cache reads.
    #[serde(default, skip_serializing_if = "is_false")]
    pub cache_io: bool,
    /// Share read access.
    #[serde(default, skip_serializing_if = "is_false")]
    pub share_read: bool,
    /// Pseudo oplocks.
    #[serde(default, skip_serializing_if = "is_false")]
    pub pseudo_oplocks: bool,
}

/// `ProcessParameters` of `HcsCreateProcess`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessParameters {
    /// The command line (escaped `args`, or `commandLine` as is).
    pub command_line: String,
    /// The user name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// The working directory.
    pub working_directory: String,
    /// The environment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    /// Give the process a console (pseudo console): `process.terminal`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub emulate_console: bool,
    /// `[height, width]` of the console.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub console_size: Vec<u64>,
    /// Create a pipe for stdin.
    #[serde(default, skip_serializing_if = "is_false")]
    pub create_std_in_pipe: bool,
    /// Create a pipe for stdout.
    #[serde(default, skip_serializing_if = "is_false")]
    pub create_std_out_pipe: bool,
    /// Create a pipe for stderr (not with a console).
    #[serde(default, skip_serializing_if = "is_false")]
    pub create_std_err_pipe: bool,
}

/// `ModifySettingRequest` of `HcsModifyComputeSystem`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifySettingRequest {
    /// The resource, e.g. `Container/Memory/SizeInMB`.
    pub resource_path: String,
    /// `Update`, `Add`, `Remove`.
    pub request_type: String,
    /// The new settings.
    pub settings: serde_json::Value,
}

/// `SignalProcessOptions` of `HcsSignalProcess`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignalProcessOptions {
    /// `CtrlC`, `CtrlBreak`, `CtrlClose`, `CtrlLogOff`, `CtrlShutdown`.
    pub signal: String,
}

/// The part of `Properties` (of `HcsGetComputeSystemProperties`) this backend reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SystemProperties {
    /// `Created`, `Running`, `Paused`, `Stopped`, …
    #[serde(default)]
    pub state: String,
    /// Whether the system stopped.
    #[serde(default)]
    pub stopped: bool,
}

/// The part of `ProcessStatus` (of `HcsGetProcessProperties`) this backend reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessStatus {
    /// The process id.
    #[serde(default)]
    pub process_id: u32,
    /// Whether it exited.
    #[serde(default)]
    pub exited: bool,
    /// Its exit code, once exited.
    #[serde(default)]
    pub exit_code: u32,
}
