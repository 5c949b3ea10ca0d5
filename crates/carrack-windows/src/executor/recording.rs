//! [`Recording`]: an [`Executor`] with no HCS behind it. It records every call with its
//! document and simulates compute systems: created → running (start) → paused/running →
//! stopped (terminate), with processes whose command line decides what they do — one ending
//! in `exit N` exits at once with status N, any other runs until a console control event
//! (it exits with `STATUS_CONTROL_C_EXIT`) or until it is terminated (status 1).

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use super::{ExecError, Executor};
use crate::schema::{ProcessParameters, ProcessStatus, SignalProcessOptions, SystemProperties};

/// The exit status of a process ended by a console control event.
pub const STATUS_CONTROL_C_EXIT: u32 = 0xC000_013A;

/// One call a [`Recording`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecCall {
    /// The HCS function, e.g. `HcsCreateComputeSystem`.
    pub op: &'static str,
    /// The compute system's id.
    pub id: String,
    /// The JSON document of the call (empty when it takes none).
    pub document: String,
}

#[derive(Debug)]
struct SimProcess {
    exit: Option<u32>,
}

#[derive(Debug)]
struct SimSystem {
    state: &'static str,
    processes: BTreeMap<u32, SimProcess>,
}

#[derive(Debug, Default)]
struct Sim {
    systems: BTreeMap<String, SimSystem>,
    calls: Vec<ExecCall>,
    next_pid: u32,
}

/// A recording, simulating executor.
///
/// ```
/// use carrack_windows::executor::{Executor, Recording};
/// let x = Recording::new();
/// let sys = x.create_compute_system("c1", "{}")?;
/// x.start(&sys)?;
/// let (_pid, p) = x.create_process(&sys, r#"{"CommandLine":"cmd /c exit 3","WorkingDirectory":"C:\\"}"#)?;
/// assert!(x.process_properties(&p)?.contains(r#""ExitCode":3"#));
/// assert_eq!(x.calls()[0].op, "HcsCreateComputeSystem");
/// # Ok::<(), carrack_windows::executor::ExecError>(())
/// ```
#[derive(Debug, Default)]
pub struct Recording {
    sim: Mutex<Sim>,
}

impl Recording {
    /// An executor with no compute system.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<ExecCall> {
        self.lock().calls.clone()
    }

    /// The ids of the compute systems that exist now.
    pub fn systems(&self) -> Vec<String> {
        self.lock().systems.keys().cloned().collect()
    }

    fn lock(&self) -> MutexGuard<'_, Sim> {
        self.sim.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a call and runs `f` on the system `id`.
    fn on<T>(
        &self,
        op: &'static str,
        id: &str,
        document: &str,
        f: impl FnOnce(&mut SimSystem, &mut u32) -> Result<T, ExecError>,
    ) -> Result<T, ExecError> {
        let mut sim = self.lock();
        sim.calls.push(ExecCall {
            op,
            id: id.to_owned(),
            document: document.to_owned(),
        });
        let Sim {
            systems, next_pid, ..
        } = &mut *sim;
        let sys = systems
            .get_mut(id)
            .ok_or_else(|| ExecError::NotFound(id.to_owned()))?;
        f(sys, next_pid)
    }
}

fn invalid(op: &'static str, reason: impl Into<String>) -> ExecError {
    ExecError::Invalid {
        op,
        reason: reason.into(),
    }
}

fn process(sys: &mut SimSystem, pid: u32) -> Result<&mut SimProcess, ExecError> {
    sys.processes
        .get_mut(&pid)
        .ok_or_else(|| ExecError::NotFound(format!("process {pid}")))
}

impl Executor for Recording {
    type System = String;
    type Process = (String, u32);

    fn create_compute_system(&self, id: &str, document: &str) -> Result<String, ExecError> {
        let mut sim = self.lock();
        sim.calls.push(ExecCall {
            op: "HcsCreateComputeSystem",
            id: id.to_owned(),
            document: document.to_owned(),
        });
        if sim.systems.contains_key(id) {
            return Err(invalid("HcsCreateComputeSystem", format!("{id} exists")));
        }
        serde_json::from_str::<serde_json::Value>(document)
            .map_err(|e| invalid("HcsCreateComputeSystem", e.to_string()))?;
        sim.systems.insert(
            id.to_owned(),
            SimSystem {
                state: "Created",
                processes: BTreeMap::new(),
            },
        );
        Ok(id.to_owned())
    }

    fn open_compute_system(&self, id: &str) -> Result<String, ExecError> {
        self.on("HcsOpenComputeSystem", id, "", |_, _| Ok(id.to_owned()))
    }

    fn start(&self, system: &String) -> Result<(), ExecError> {
        self.on("HcsStartComputeSystem", system, "", |s, _| match s.state {
            "Created" => {
                s.state = "Running";
                Ok(())
            }
            other => Err(invalid(
                "HcsStartComputeSystem",
                format!("system is {other}"),
            )),
        })
    }

    fn create_process(
        &self,
        system: &String,
        parameters: &str,
    ) -> Result<(u32, Self::Process), ExecError> {
        let params: ProcessParameters = serde_json::from_str(parameters)
            .map_err(|e| invalid("HcsCreateProcess", e.to_string()))?;
        self.on("HcsCreateProcess", system, parameters, |s, next| {
            if s.state != "Running" {
                return Err(invalid(
                    "HcsCreateProcess",
                    format!("system is {}", s.state),
                ));
            }
            *next += 1;
            let pid = 1000 + *next;
            let words: Vec<&str> = params.command_line.split_whitespace().collect();
            let exit = match words.as_slice() {
                [.., "exit", n] => n.parse().ok(),
                _ => None,
            };
            s.processes.insert(pid, SimProcess { exit });
            Ok((pid, (system.clone(), pid)))
        })
    }

    fn open_process(&self, system: &String, pid: u32) -> Result<Self::Process, ExecError> {
        self.on("HcsOpenProcess", system, "", |s, _| {
            process(s, pid).map(|_| (system.clone(), pid))
        })
    }

    fn signal_process(&self, (id, pid): &Self::Process, options: &str) -> Result<(), ExecError> {
        let o: SignalProcessOptions = serde_json::from_str(options)
            .map_err(|e| invalid("HcsSignalProcess", e.to_string()))?;
        self.on("HcsSignalProcess", id, options, |s, _| {
            let p = process(s, *pid)?;
            if p.exit.is_some() {
                return Err(invalid("HcsSignalProcess", "the process exited"));
            }
            if o.signal.starts_with("Ctrl") {
                p.exit = Some(STATUS_CONTROL_C_EXIT);
            }
            Ok(())
        })
    }

    fn terminate_process(&self, (id, pid): &Self::Process) -> Result<(), ExecError> {
        self.on("HcsTerminateProcess", id, "", |s, _| {
            let p = process(s, *pid)?;
            p.exit.get_or_insert(1);
            Ok(())
        })
    }

    fn process_properties(&self, (id, pid): &Self::Process) -> Result<String, ExecError> {
        self.on("HcsGetProcessProperties", id, "", |s, _| {
            let p = process(s, *pid)?;
            let status = ProcessStatus {
                process_id: *pid,
                exited: p.exit.is_some(),
                exit_code: p.exit.unwrap_or(0),
            };
            serde_json::to_string(&status)
                .map_err(|e| invalid("HcsGetProcessProperties", e.to_string()))
        })
    }

    fn wait_process(
        &self,
        (id, pid): &Self::Process,
        timeout: Option<Duration>,
    ) -> Result<bool, ExecError> {
        // A simulated process never ends on its own: it has exited already or waits forever.
        let exited = self.on("HcsWaitForProcessExit", id, "", |s, _| {
            Ok(process(s, *pid)?.exit.is_some())
        })?;
        if !exited && timeout.is_none() {
            return Err(invalid(
                "HcsWaitForProcessExit",
                "the simulated process never exits",
            ));
        }
        Ok(exited)
    }

    fn terminate(&self, system: &String) -> Result<(), ExecError> {
        self.on("HcsTerminateComputeSystem", system, "", |s, _| {
            s.state = "Stopped";
            for p in s.processes.values_mut() {
                p.exit.get_or_insert(1);
            }
            Ok(())
        })
    }

    fn pause(&self, system: &String) -> Result<(), ExecError> {
        self.on("HcsPauseComputeSystem", system, "", |s, _| match s.state {
            "Running" => {
                s.state = "Paused";
                Ok(())
            }
            other => Err(invalid(
                "HcsPauseComputeSystem",
                format!("system is {other}"),
            )),
        })
    }

    fn resume(&self, system: &String) -> Result<(), ExecError> {
        self.on("HcsResumeComputeSystem", system, "", |s, _| match s.state {
            "Paused" => {
                s.state = "Running";
                Ok(())
            }
            other => Err(invalid(
                "HcsResumeComputeSystem",
                format!("system is {other}"),
            )),
        })
    }

    fn modify(&self, system: &String, request: &str) -> Result<(), ExecError> {
        self.on("HcsModifyComputeSystem", system, request, |s, _| {
            match s.state {
                "Running" | "Paused" | "Created" => Ok(()),
                other => Err(invalid(
                    "HcsModifyComputeSystem",
                    format!("system is {other}"),
                )),
            }
        })
    }

    fn properties(&self, system: &String, query: &str) -> Result<String, ExecError> {
        self.on("HcsGetComputeSystemProperties", system, query, |s, _| {
            let p = SystemProperties {
                state: s.state.to_owned(),
                stopped: s.state == "Stopped",
            };
            serde_json::to_string(&p)
                .map_err(|e| invalid("HcsGetComputeSystemProperties", e.to_string()))
        })
    }

    fn close_process(&self, (id, _): Self::Process) {
        self.lock().calls.push(ExecCall {
            op: "HcsCloseProcess",
            id,
            document: String::new(),
        });
    }

    fn close(&self, system: String) {
        let mut sim = self.lock();
        sim.calls.push(ExecCall {
            op: "HcsCloseComputeSystem",
            id: system.clone(),
            document: String::new(),
        });
        // A closed system that stopped is gone (HCS forgets it with its last handle).
        if sim
            .systems
            .get(&system)
            .is_some_and(|s| s.state == "Stopped")
        {
            sim.systems.remove(&system);
        }
    }
}
