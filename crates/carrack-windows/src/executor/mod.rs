//! [`Executor`]: the few Host Compute Service calls the backend makes, behind a narrow trait,
//! so that the [`crate::Windows`] platform runs on Windows through computecore.dll
//! (`Hcs`, `cfg(windows)` only) and everywhere else against a simulation ([`Recording`]).
//!
//! # Handles and the lifetime of a process
//!
//! An HCS handle (`HCS_SYSTEM`, `HCS_PROCESS`) belongs to the process that opened it and
//! closes when that process exits. With `ShouldTerminateOnLastHandleClosed` (what hcsshim and
//! [`crate::HostFacts`] default to) the compute system is terminated when its last handle
//! closes, so some process must hold it from create to delete (hcsshim's answer is a shim per
//! container). Each `carrack` command is a process of its own: the state file keeps the system's
//! id and the init process's pid, and every command reopens them
//! ([`Executor::open_compute_system`], [`Executor::open_process`]). A caller that keeps one
//! [`crate::Windows`] alive from create to delete (a shim, a daemon) keeps the handles open in
//! it; a one-shot CLI must plan with `terminate_on_last_handle_closed = false` and delete
//! explicitly.

#[cfg(windows)]
mod hcs;
mod recording;

#[cfg(windows)]
pub use hcs::Hcs;
pub use recording::{ExecCall, Recording, STATUS_CONTROL_C_EXIT};

use std::time::Duration;

/// Why an HCS call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    /// No compute system (or process) of this id.
    #[error("{0}: no such compute system or process")]
    NotFound(String),
    /// The call failed with an HRESULT and HCS's result document.
    #[error("{op}: HRESULT {code:#010x}: {message}")]
    Hcs {
        /// The HCS function.
        op: &'static str,
        /// Its HRESULT.
        code: u32,
        /// The result document, or the system's message.
        message: String,
    },
    /// The call is not valid in the system's (simulated) state.
    #[error("{op}: {reason}")]
    Invalid {
        /// The call.
        op: &'static str,
        /// Why.
        reason: String,
    },
}

/// The HCS calls of the backend. Documents are JSON text ([`crate::schema`]).
pub trait Executor {
    /// An open compute system (`HCS_SYSTEM`).
    type System;
    /// An open process (`HCS_PROCESS`).
    type Process;

    /// `HcsCreateComputeSystem(id, document)`.
    fn create_compute_system(&self, id: &str, document: &str) -> Result<Self::System, ExecError>;
    /// `HcsOpenComputeSystem(id)`: a compute system another process created.
    fn open_compute_system(&self, id: &str) -> Result<Self::System, ExecError>;
    /// `HcsStartComputeSystem`.
    fn start(&self, system: &Self::System) -> Result<(), ExecError>;
    /// `HcsCreateProcess(parameters)`: the new process's pid and handle.
    fn create_process(
        &self,
        system: &Self::System,
        parameters: &str,
    ) -> Result<(u32, Self::Process), ExecError>;
    /// `HcsOpenProcess(pid)`.
    fn open_process(&self, system: &Self::System, pid: u32) -> Result<Self::Process, ExecError>;
    /// `HcsSignalProcess(options)` (a `SignalProcessOptions` document).
    fn signal_process(&self, process: &Self::Process, options: &str) -> Result<(), ExecError>;
    /// `HcsTerminateProcess`.
    fn terminate_process(&self, process: &Self::Process) -> Result<(), ExecError>;
    /// `HcsGetProcessProperties`: a `ProcessStatus` document.
    fn process_properties(&self, process: &Self::Process) -> Result<String, ExecError>;
    /// `HcsWaitForProcessExit`: whether the process exited within `timeout` (`None`: wait).
    fn wait_process(
        &self,
        process: &Self::Process,
        timeout: Option<Duration>,
    ) -> Result<bool, ExecError>;
    /// `HcsTerminateComputeSystem`.
    fn terminate(&self, system: &Self::System) -> Result<(), ExecError>;
    /// `HcsPauseComputeSystem`.
    fn pause(&self, system: &Self::System) -> Result<(), ExecError>;
    /// `HcsResumeComputeSystem`.
    fn resume(&self, system: &Self::System) -> Result<(), ExecError>;
    /// `HcsModifyComputeSystem(request)` (a `ModifySettingRequest` document).
    fn modify(&self, system: &Self::System, request: &str) -> Result<(), ExecError>;
    /// `HcsGetComputeSystemProperties(query)`: a `Properties` document.
    fn properties(&self, system: &Self::System, query: &str) -> Result<String, ExecError>;
    /// `HcsCloseProcess`.
    fn close_process(&self, process: Self::Process);
    /// `HcsCloseComputeSystem`.
    fn close(&self, system: Self::System);
    /// The host's id of a layer folder (vmcompute.dll's `NameToGuid` of its base name), when
    /// the executor can ask; `None` lets the planner derive it ([`crate::name_to_guid`]).
    fn layer_id(&self, folder: &str) -> Option<String> {
        let _ = folder;
        None
    }
}
