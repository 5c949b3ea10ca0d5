//! The operations after create, as HCS requests: the process `start` runs, what `kill` does
//! with a signal, and the `HcsModifyComputeSystem` requests of `update`.

use std::collections::BTreeMap;

use carrack_platform::{Signal, SignalName};
use carrack_spec::runtime::{Process, WindowsResources};
use serde::{Deserialize, Serialize};

use crate::check::{check_cpu, check_process};
use crate::escape::command_line;
use crate::plan::{HostFacts, memory, processor};
use crate::rules::PlanError;
use crate::schema::{ModifySettingRequest, ProcessParameters, SignalProcessOptions};

/// `HcsCreateProcess` parameters of `p`: `commandLine` as is, else `args` escaped
/// ([`crate::command_line`]); `user.username`; `env` as a map; `terminal` as `EmulateConsole`
/// with `consoleSize` as `[height, width]` ("Runtimes MUST ignore `consoleSize` if `terminal`
/// is `false` or unset"); stdin and stdout pipes, and stderr's unless a console merges it.
///
/// ```
/// use carrack_spec::runtime::Process;
/// let mut p = Process::new(r"C:\");
/// p.args = Some(vec!["cmd".into(), "/c".into(), "echo hi there".into()]);
/// p.env = Some(vec!["A=1".into()]);
/// let pp = carrack_windows::process_parameters(&p)?;
/// assert_eq!(pp.command_line, r#"cmd /c "echo hi there""#);
/// assert_eq!(pp.environment["A"], "1");
/// # Ok::<(), carrack_windows::PlanError>(())
/// ```
pub fn process_parameters(p: &Process) -> Result<ProcessParameters, PlanError> {
    check_process(p)?;
    let command_line = match &p.command_line {
        Some(c) => c.clone(),
        None => command_line(p.args.as_deref().unwrap_or_default()),
    };
    let mut environment = BTreeMap::new();
    for e in p.env.iter().flatten() {
        match e.split_once('=') {
            Some((k, v)) => {
                environment.insert(k.to_owned(), v.to_owned());
            }
            None => log::warn!("process.env entry {e:?} has no '=': ignored"),
        }
    }
    let terminal = p.terminal.unwrap_or(false);
    let console_size = match (&p.console_size, terminal) {
        (Some(s), true) => vec![s.height, s.width],
        _ => Vec::new(),
    };
    Ok(ProcessParameters {
        command_line,
        user: p
            .user
            .as_ref()
            .and_then(|u| u.username.clone())
            .unwrap_or_default(),
        working_directory: p.cwd.clone(),
        environment,
        emulate_console: terminal,
        console_size,
        create_std_in_pipe: true,
        create_std_out_pipe: true,
        create_std_err_pipe: !terminal,
    })
}

/// What `kill` does on Windows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum KillAction {
    /// `HcsSignalProcess` with this console control event.
    Signal(SignalProcessOptions),
    /// `HcsTerminateProcess`.
    Terminate,
}

fn ctrl(event: &str) -> KillAction {
    KillAction::Signal(SignalProcessOptions {
        signal: event.to_owned(),
    })
}

/// The Windows counterpart of `signal`, `None` when it has none: `SIGTERM` → `CtrlShutdown`,
/// `SIGINT` → `CtrlC`, `SIGKILL` → terminate; numbers as hcsshim reads them (0 CtrlC,
/// 1 CtrlBreak, 2 CtrlClose, 5 CtrlLogOff, 6 and 15 CtrlShutdown, 9 terminate).
///
/// ```
/// use carrack_platform::{Signal, SignalName};
/// use carrack_windows::{KillAction, kill_action};
/// assert_eq!(kill_action(Signal::Named(SignalName::Kill)), Some(KillAction::Terminate));
/// assert!(kill_action(Signal::Named(SignalName::Usr1)).is_none());
/// ```
pub fn kill_action(signal: Signal) -> Option<KillAction> {
    Some(match signal {
        Signal::Named(SignalName::Term) => ctrl("CtrlShutdown"),
        Signal::Named(SignalName::Int) => ctrl("CtrlC"),
        Signal::Named(SignalName::Kill) => KillAction::Terminate,
        Signal::Number(1) => ctrl("CtrlBreak"),
        Signal::Number(2) => ctrl("CtrlClose"),
        Signal::Number(5) => ctrl("CtrlLogOff"),
        Signal::Number(6 | 15) => ctrl("CtrlShutdown"),
        Signal::Number(9) => KillAction::Terminate,
        _ => return None,
    })
}

/// The `HcsModifyComputeSystem` requests that apply `r` to a running container: memory on
/// `Container/Memory/SizeInMB`, processors on `Container/Processor` (hcsshim's silo resource
/// paths). Storage QoS and affinity cannot change after create.
///
/// ```
/// use carrack_spec::runtime::{WindowsMemory, WindowsResources};
/// let mut r = WindowsResources::default();
/// r.memory = Some(WindowsMemory::default().with_limit(512 << 20));
/// let reqs = carrack_windows::update_requests(&r, &Default::default())?;
/// assert_eq!(reqs[0].resource_path, "Container/Memory/SizeInMB");
/// assert_eq!(reqs[0].settings, 512);
/// # Ok::<(), carrack_windows::PlanError>(())
/// ```
pub fn update_requests(
    r: &WindowsResources,
    facts: &HostFacts,
) -> Result<Vec<ModifySettingRequest>, PlanError> {
    let mut out = Vec::new();
    if r.storage.is_some() {
        return Err(PlanError::CannotApply {
            what: "windows.resources.storage",
            why: "HCS has no resource path to change a running container's storage QoS".into(),
        });
    }
    if let Some(limit) = r.memory.as_ref().and_then(|m| m.limit) {
        out.push(ModifySettingRequest {
            resource_path: "Container/Memory/SizeInMB".into(),
            request_type: "Update".into(),
            settings: memory(limit)?.size_in_mb.into(),
        });
    }
    if let Some(cpu) = &r.cpu {
        check_cpu(cpu)?;
        if let Some(p) = processor(cpu, facts) {
            out.push(ModifySettingRequest {
                resource_path: "Container/Processor".into(),
                request_type: "Update".into(),
                settings: serde_json::to_value(p).unwrap_or_default(),
            });
        }
    }
    Ok(out)
}
