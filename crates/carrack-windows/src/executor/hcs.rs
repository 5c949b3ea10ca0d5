//! [`Hcs`]: the [`Executor`] over computecore.dll (Windows 10 1809 / Server 2019 and later),
//! through the `windows` crate's `Win32::System::HostComputeSystem` bindings. Every call takes
//! an `HCS_OPERATION` made for it and waits for its result (`HcsWaitForOperationResult`), as
//! hcsshim's `internal/computecore` does.

#![allow(unsafe_code)]

use std::time::Duration;

use windows::Win32::Foundation::{CloseHandle, HANDLE, HLOCAL, LocalFree};
use windows::Win32::System::HostComputeSystem::{
    HCS_OPERATION, HCS_PROCESS, HCS_PROCESS_INFORMATION, HCS_SYSTEM, HcsCloseComputeSystem,
    HcsCloseOperation, HcsCloseProcess, HcsCreateComputeSystem, HcsCreateOperation,
    HcsCreateProcess, HcsGetComputeSystemProperties, HcsGetProcessProperties,
    HcsModifyComputeSystem, HcsOpenComputeSystem, HcsOpenProcess, HcsPauseComputeSystem,
    HcsResumeComputeSystem, HcsSignalProcess, HcsStartComputeSystem, HcsTerminateComputeSystem,
    HcsTerminateProcess, HcsWaitForOperationResult, HcsWaitForOperationResultAndProcessInfo,
    HcsWaitForProcessExit,
};
use windows::core::{GUID, HRESULT, HSTRING, PCWSTR, PWSTR};

use super::{ExecError, Executor};

/// `GENERIC_ALL`, the access asked for when opening a system or process.
const GENERIC_ALL: u32 = 0x1000_0000;
/// `INFINITE`.
const INFINITE: u32 = u32::MAX;
/// `HCS_E_SYSTEM_NOT_FOUND`.
const HCS_E_SYSTEM_NOT_FOUND: u32 = 0x8037_010D;
/// `HRESULT_FROM_WIN32(ERROR_NOT_FOUND)`.
const E_NOT_FOUND: u32 = 0x8007_0490;
/// `HRESULT_FROM_WIN32(ERROR_TIMEOUT)`.
const E_TIMEOUT: u32 = 0x8007_05B4;

/// The executor over computecore.dll.
#[derive(Debug, Default, Clone, Copy)]
pub struct Hcs;

/// An open compute system.
#[derive(Debug)]
pub struct System(HCS_SYSTEM);

/// An open process, with the standard handles HCS made for it (closed with it).
#[derive(Debug)]
pub struct Process {
    handle: HCS_PROCESS,
    stdio: [HANDLE; 3],
}

fn error(op: &'static str, e: &windows::core::Error, document: String) -> ExecError {
    let code = e.code().0 as u32;
    if code == HCS_E_SYSTEM_NOT_FOUND || code == E_NOT_FOUND {
        return ExecError::NotFound(format!("{op}: {}", e.message()));
    }
    ExecError::Hcs {
        op,
        code,
        message: if document.is_empty() {
            e.message()
        } else {
            document
        },
    }
}

/// Takes a string HCS allocated (with `LocalAlloc`) and frees it.
fn take(p: PWSTR) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: `p` is a non-null, NUL-terminated UTF-16 string HCS returned for us to free; it
    // is read once and then freed once with LocalFree, as computecore.h says.
    unsafe {
        let s = p.to_string().unwrap_or_default();
        let _ = LocalFree(Some(HLOCAL(p.0.cast())));
        s
    }
}

/// One HCS operation, closed when dropped.
struct Operation {
    op: HCS_OPERATION,
    name: &'static str,
}

impl Operation {
    fn new(name: &'static str) -> Result<Self, ExecError> {
        // SAFETY: no context and no completion callback: a synchronous operation whose result
        // is waited for with HcsWaitForOperationResult.
        let op = unsafe { HcsCreateOperation(None, None) };
        if op.is_invalid() {
            return Err(ExecError::Invalid {
                op: name,
                reason: "HcsCreateOperation returned no operation".into(),
            });
        }
        Ok(Self { op, name })
    }

    /// Waits for the call the operation was given to; its result document.
    fn wait(&self) -> Result<String, ExecError> {
        let mut doc = PWSTR::null();
        // SAFETY: `self.op` is a live operation handed to exactly one call; `doc` receives a
        // string HCS allocates (or stays null), which `take` frees.
        let r = unsafe { HcsWaitForOperationResult(self.op, INFINITE, Some(&mut doc)) };
        let text = take(doc);
        r.map(|()| text.clone())
            .map_err(|e| error(self.name, &e, text))
    }

    /// Runs `call` with the operation and waits for it.
    fn run(
        name: &'static str,
        call: impl FnOnce(HCS_OPERATION) -> windows::core::Result<()>,
    ) -> Result<String, ExecError> {
        let op = Self::new(name)?;
        call(op.op).map_err(|e| error(name, &e, String::new()))?;
        op.wait()
    }
}

impl Drop for Operation {
    fn drop(&mut self) {
        // SAFETY: the operation was created by HcsCreateOperation and is closed once, here.
        unsafe { HcsCloseOperation(self.op) }
    }
}

fn wide(s: &str) -> HSTRING {
    HSTRING::from(s)
}

impl Executor for Hcs {
    type System = System;
    type Process = Process;

    fn create_compute_system(&self, id: &str, document: &str) -> Result<System, ExecError> {
        let (id, doc) = (wide(id), wide(document));
        let op = Operation::new("HcsCreateComputeSystem")?;
        // SAFETY: both strings are NUL-terminated and outlive the call; `op.op` is live; no
        // security descriptor is passed.
        let sys = unsafe {
            HcsCreateComputeSystem(PCWSTR(id.as_ptr()), PCWSTR(doc.as_ptr()), op.op, None)
        }
        .map_err(|e| error(op.name, &e, String::new()))?;
        if let Err(e) = op.wait() {
            // SAFETY: `sys` is the handle just returned, closed once.
            unsafe { HcsCloseComputeSystem(sys) };
            return Err(e);
        }
        Ok(System(sys))
    }

    fn open_compute_system(&self, id: &str) -> Result<System, ExecError> {
        let id = wide(id);
        // SAFETY: `id` is NUL-terminated and outlives the call.
        unsafe { HcsOpenComputeSystem(PCWSTR(id.as_ptr()), GENERIC_ALL) }
            .map(System)
            .map_err(|e| error("HcsOpenComputeSystem", &e, String::new()))
    }

    fn start(&self, system: &System) -> Result<(), ExecError> {
        // SAFETY: `system.0` is an open handle; no options.
        Operation::run("HcsStartComputeSystem", |op| unsafe {
            HcsStartComputeSystem(system.0, op, PCWSTR::null())
        })
        .map(drop)
    }

    fn create_process(
        &self,
        system: &System,
        parameters: &str,
    ) -> Result<(u32, Process), ExecError> {
        let params = wide(parameters);
        let op = Operation::new("HcsCreateProcess")?;
        // SAFETY: `system.0` is open, `params` NUL-terminated and alive across the call, `op.op`
        // live; no security descriptor.
        let handle = unsafe { HcsCreateProcess(system.0, PCWSTR(params.as_ptr()), op.op, None) }
            .map_err(|e| error(op.name, &e, String::new()))?;
        let mut info = HCS_PROCESS_INFORMATION::default();
        let mut doc = PWSTR::null();
        // SAFETY: `op.op` was given to HcsCreateProcess; `info` and `doc` are valid out
        // pointers for the duration of the call; `doc` is freed by `take`.
        let r = unsafe {
            HcsWaitForOperationResultAndProcessInfo(
                op.op,
                INFINITE,
                Some(&mut info),
                Some(&mut doc),
            )
        };
        let text = take(doc);
        if let Err(e) = r {
            // SAFETY: `handle` was just returned and is closed once.
            unsafe { HcsCloseProcess(handle) };
            return Err(error(op.name, &e, text));
        }
        let process = Process {
            handle,
            stdio: [info.StdInput, info.StdOutput, info.StdError],
        };
        Ok((info.ProcessId, process))
    }

    fn open_process(&self, system: &System, pid: u32) -> Result<Process, ExecError> {
        // SAFETY: `system.0` is an open handle.
        unsafe { HcsOpenProcess(system.0, pid, GENERIC_ALL) }
            .map(|handle| Process {
                handle,
                stdio: [HANDLE::default(); 3],
            })
            .map_err(|e| error("HcsOpenProcess", &e, String::new()))
    }

    fn signal_process(&self, process: &Process, options: &str) -> Result<(), ExecError> {
        let options = wide(options);
        // SAFETY: `process.handle` is open; `options` is NUL-terminated and outlives the call.
        Operation::run("HcsSignalProcess", |op| unsafe {
            HcsSignalProcess(process.handle, op, PCWSTR(options.as_ptr()))
        })
        .map(drop)
    }

    fn terminate_process(&self, process: &Process) -> Result<(), ExecError> {
        // SAFETY: `process.handle` is open; no options.
        Operation::run("HcsTerminateProcess", |op| unsafe {
            HcsTerminateProcess(process.handle, op, PCWSTR::null())
        })
        .map(drop)
    }

    fn process_properties(&self, process: &Process) -> Result<String, ExecError> {
        // SAFETY: `process.handle` is open; a null query asks for the process status.
        Operation::run("HcsGetProcessProperties", |op| unsafe {
            HcsGetProcessProperties(process.handle, op, PCWSTR::null())
        })
    }

    fn wait_process(
        &self,
        process: &Process,
        timeout: Option<Duration>,
    ) -> Result<bool, ExecError> {
        let ms = timeout.map_or(INFINITE, |t| {
            u32::try_from(t.as_millis()).unwrap_or(INFINITE - 1)
        });
        let mut doc = PWSTR::null();
        // SAFETY: `process.handle` is open; `doc` is a valid out pointer, freed by `take`.
        let r = unsafe { HcsWaitForProcessExit(process.handle, ms, Some(&mut doc)) };
        let text = take(doc);
        match r {
            Ok(()) => Ok(true),
            Err(e) if e.code().0 as u32 == E_TIMEOUT => Ok(false),
            Err(e) => Err(error("HcsWaitForProcessExit", &e, text)),
        }
    }

    fn terminate(&self, system: &System) -> Result<(), ExecError> {
        // SAFETY: `system.0` is open; no options.
        Operation::run("HcsTerminateComputeSystem", |op| unsafe {
            HcsTerminateComputeSystem(system.0, op, PCWSTR::null())
        })
        .map(drop)
    }

    fn pause(&self, system: &System) -> Result<(), ExecError> {
        // SAFETY: `system.0` is open; no options.
        Operation::run("HcsPauseComputeSystem", |op| unsafe {
            HcsPauseComputeSystem(system.0, op, PCWSTR::null())
        })
        .map(drop)
    }

    fn resume(&self, system: &System) -> Result<(), ExecError> {
        // SAFETY: `system.0` is open; no options.
        Operation::run("HcsResumeComputeSystem", |op| unsafe {
            HcsResumeComputeSystem(system.0, op, PCWSTR::null())
        })
        .map(drop)
    }

    fn modify(&self, system: &System, request: &str) -> Result<(), ExecError> {
        let request = wide(request);
        // SAFETY: `system.0` is open; `request` is NUL-terminated and outlives the call; no
        // identity handle.
        Operation::run("HcsModifyComputeSystem", |op| unsafe {
            HcsModifyComputeSystem(system.0, op, PCWSTR(request.as_ptr()), None)
        })
        .map(drop)
    }

    fn properties(&self, system: &System, query: &str) -> Result<String, ExecError> {
        let query = wide(query);
        // SAFETY: `system.0` is open; `query` is NUL-terminated and outlives the call.
        Operation::run("HcsGetComputeSystemProperties", |op| unsafe {
            HcsGetComputeSystemProperties(system.0, op, PCWSTR(query.as_ptr()))
        })
    }

    fn close_process(&self, process: Process) {
        for h in process.stdio.into_iter().filter(|h| !h.is_invalid()) {
            // SAFETY: each standard handle HCS gave us is closed once, here.
            let _ = unsafe { CloseHandle(h) };
        }
        // SAFETY: the process handle is closed once, here (it is consumed).
        unsafe { HcsCloseProcess(process.handle) }
    }

    fn close(&self, system: System) {
        // SAFETY: the system handle is closed once, here (it is consumed).
        unsafe { HcsCloseComputeSystem(system.0) }
    }

    fn layer_id(&self, folder: &str) -> Option<String> {
        windows::core::link!("vmcompute.dll" "system" fn NameToGuid(name: PCWSTR, guid: *mut GUID) -> HRESULT);
        let name = wide(crate::guid::base_name(folder));
        let mut guid = GUID::zeroed();
        // SAFETY: `name` is NUL-terminated and outlives the call; `guid` is a valid out
        // pointer; vmcompute.dll's NameToGuid only writes the GUID.
        let hr = unsafe { NameToGuid(PCWSTR(name.as_ptr()), &mut guid) };
        hr.is_ok().then(|| format!("{guid:?}").to_lowercase())
    }
}
