//! The [`Platform`] contract as tests any backend runs: each check is one promise of
//! runtime.md's § Operations, quoted in its documentation, and fails with what the backend did
//! instead. A backend gets all of them with [`contract_tests!`](crate::contract_tests):
//!
//! ```ignore
//! carrack_platform::contract_tests! {
//!     #[ignore = "needs root: runs real containers"]
//!     platform: my_backend(),
//!     fixture: my_bundles(),
//! }
//! ```
//!
//! [`crate::fake::Recording`] passes them without an OS behind it (carrack-platform's own
//! tests), and the Linux backend passes the same checks with real containers.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use carrack_spec::runtime::Status;

use crate::error::Error;
use crate::id::ContainerId;
use crate::options::{CreateOptions, KillOptions};
use crate::platform::Platform;
use crate::signal::{Signal, SignalName};

/// What a check asks a container's process to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// Run until a signal ends it (`SIGTERM` and `SIGKILL` must).
    Sleep,
    /// Exit at once with this status.
    Exit(u8),
}

/// Makes the bundles the checks create containers from; each backend provides its own.
pub trait Fixture {
    /// A new bundle directory whose `config.json` runs `program`, or has no `process` at all
    /// when `None`. `name` is unique per call within a check run.
    fn bundle(&self, name: &str, program: Option<Program>) -> PathBuf;
}

/// A check's outcome: `Err` says what the backend did instead of what the contract says.
pub type Outcome = std::result::Result<(), String>;

/// One check: its name and its body.
pub type Check = (&'static str, fn(&dyn Platform, &dyn Fixture) -> Outcome);

/// Every check, by name.
pub const ALL: &[Check] = &[
    (
        "create_makes_a_created_container",
        create_makes_a_created_container,
    ),
    ("create_refuses_a_used_id", create_refuses_a_used_id),
    (
        "create_of_a_bad_bundle_creates_nothing",
        create_of_a_bad_bundle_creates_nothing,
    ),
    ("start_runs_the_program", start_runs_the_program),
    (
        "start_of_a_started_container_fails",
        start_of_a_started_container_fails,
    ),
    (
        "start_without_a_process_fails",
        start_without_a_process_fails,
    ),
    (
        "state_of_an_unknown_container_fails",
        state_of_an_unknown_container_fails,
    ),
    ("kill_sends_the_signal", kill_sends_the_signal),
    ("kill_of_a_created_container", kill_of_a_created_container),
    (
        "kill_of_a_stopped_container_fails",
        kill_of_a_stopped_container_fails,
    ),
    (
        "delete_of_a_running_container_fails",
        delete_of_a_running_container_fails,
    ),
    ("delete_frees_the_id", delete_frees_the_id),
    (
        "delete_force_removes_a_running_container",
        delete_force_removes_a_running_container,
    ),
    ("list_shows_every_container", list_shows_every_container),
];

/// The contract's checks as one `#[test]` each, for a backend's test file. `platform` and
/// `fixture` are evaluated afresh in each test; attributes given first (an `#[ignore]` with
/// the reason a test needs privileges) go on every test.
#[macro_export]
macro_rules! contract_tests {
    ($(#[$m:meta])* platform: $p:expr, fixture: $f:expr $(,)?) => {
        $crate::contract_tests!(@each [$(#[$m])*] ($p) ($f)
            create_makes_a_created_container create_refuses_a_used_id
            create_of_a_bad_bundle_creates_nothing start_runs_the_program
            start_of_a_started_container_fails start_without_a_process_fails
            state_of_an_unknown_container_fails kill_sends_the_signal
            kill_of_a_created_container kill_of_a_stopped_container_fails
            delete_of_a_running_container_fails delete_frees_the_id
            delete_force_removes_a_running_container list_shows_every_container);
    };
    (@each [$($m:tt)*] ($p:expr) ($f:expr) $name:ident $($rest:ident)*) => {
        #[test]
        $($m)*
        fn $name() {
            let platform = $p;
            let fixture = $f;
            if let Err(e) = $crate::contract::$name(&platform, &fixture) {
                panic!("{}: {e}", stringify!($name));
            }
        }
        $crate::contract_tests!(@each [$($m)*] ($p) ($f) $($rest)*);
    };
    (@each [$($m:tt)*] ($p:expr) ($f:expr)) => {};
}

fn id(check: &str, n: u32) -> ContainerId {
    // Unique per check and process: checks of one backend run in parallel on one host.
    let text = format!("contract-{check}-{n}-{}", std::process::id());
    match ContainerId::new(&text) {
        Ok(id) => id,
        Err(e) => unreachable!("{text}: {e}"),
    }
}

fn status(p: &dyn Platform, id: &ContainerId) -> std::result::Result<Status, String> {
    p.state(id)
        .map(|s| s.status)
        .map_err(|e| format!("state {id}: {e}"))
}

/// Waits up to ten seconds for `id` to reach `want` (a process ends asynchronously).
fn wait_for(p: &dyn Platform, id: &ContainerId, want: Status) -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = status(p, id)?;
        if now == want {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("{id} is still {now}, not {want}, after 10 s"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn expect(what: &str, got: Status, want: Status) -> Outcome {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: the container is {got}, not {want}"))
    }
}

/// Creates `id` from a bundle running `program`, failing the check if create fails.
fn created(p: &dyn Platform, f: &dyn Fixture, id: &ContainerId, program: Program) -> Outcome {
    let bundle = f.bundle(id.as_str(), Some(program));
    p.create(id, &CreateOptions::new(bundle))
        .map(drop)
        .map_err(|e| format!("create {id}: {e}"))
}

/// Creates and starts `id` running [`Program::Sleep`].
fn running(p: &dyn Platform, f: &dyn Fixture, id: &ContainerId) -> Outcome {
    created(p, f, id, Program::Sleep)?;
    p.start(id).map_err(|e| format!("start {id}: {e}"))?;
    expect("after start", status(p, id)?, Status::Running)
}

/// Removes what a check made, whatever state it is in.
fn cleanup(p: &dyn Platform, ids: &[&ContainerId]) {
    for id in ids {
        let _ = p.delete(id, true);
    }
}

/// Runs `body`, then removes the containers it names, whatever happened.
fn with(p: &dyn Platform, ids: &[&ContainerId], body: impl FnOnce() -> Outcome) -> Outcome {
    let r = body();
    cleanup(p, ids);
    r
}

/// create: "This operation MUST create a new container. […] `process.args` MUST NOT be applied
/// until triggered by the `start` operation": the state is `created`, with the id asked for, an
/// absolute bundle path, and (on Linux, where it is REQUIRED) the pid.
pub fn create_makes_a_created_container(p: &dyn Platform, f: &dyn Fixture) -> Outcome {
    let c = id("create", 0);
    with(p, &[&c], || {
        let bundle = f.bundle(c.as_str(), Some(Program::Exit(0)));
        let s = p
            .create(&c, &CreateOptions::new(&bundle))
            .map_err(|e| format!("create: {e}"))?;
        expect("create's own answer", s.status, Status::Created)?;
        let s = p.state(&c).map_err(|e| format!("state: {e}"))?;
        expect("state after create", s.status, Status::Created)?;
        if s.id != c.as_str() {
            return Err(format!("state's id is {:?}, not {c}", s.id));
        }
        if !std::path::Path::new(&s.bundle).is_absolute() {
            return Err(format!("state's bundle {:?} is not absolute", s.bundle));
        }
        // state.md: pid is "REQUIRED when status is created or running on Linux, OPTIONAL on
        // other platforms" -- the container's platform, which the backend names.
        if p.resources_kind() == crate::ResourcesKind::Linux && s.pid == 0 {
            return Err("no pid in a created Linux container's state (REQUIRED on Linux)".into());
        }
        Ok(())
    })
}

/// create: "If the ID provided is not unique across all containers within the scope of the
/// runtime […] the implementation MUST generate an error and a new container MUST NOT be
/// created." The first container is left as it was.
pub fn create_refuses_a_used_id(p: &dyn Platform, f: &dyn Fixture) -> Outcome {
    let c = id("dup", 0);
    with(p, &[&c], || {
        created(p, f, &c, Program::Sleep)?;
        let before = p.state(&c).map_err(|e| format!("state: {e}"))?;
        let again = f.bundle(&format!("{c}-again"), Some(Program::Exit(0)));
        match p.create(&c, &CreateOptions::new(again)) {
            Err(Error::Exists(_)) => {}
            Err(e) => return Err(format!("a second create failed, but not as Exists: {e}")),
            Ok(_) => return Err("a second create with the same id succeeded".into()),
        }
        let after = p.state(&c).map_err(|e| format!("state: {e}"))?;
        if (after.pid, &after.bundle, &after.status) != (before.pid, &before.bundle, &before.status)
        {
            return Err(format!(
                "the refused create changed the first: {before:?} -> {after:?}"
            ));
        }
        Ok(())
    })
}

/// create: "If the runtime cannot apply a property as specified in the configuration, it MUST
/// generate an error and a new container MUST NOT be created"; errors "MUST leave the state of
/// the environment as if the operation were never attempted": a bundle whose config.json is
/// missing leaves no container behind.
pub fn create_of_a_bad_bundle_creates_nothing(p: &dyn Platform, f: &dyn Fixture) -> Outcome {
    let c = id("bad", 0);
    with(p, &[&c], || {
        let bundle = f.bundle(c.as_str(), Some(Program::Exit(0)));
        std::fs::remove_file(bundle.join("config.json"))
            .map_err(|e| format!("fixture: removing config.json: {e}"))?;
        if p.create(&c, &CreateOptions::new(&bundle)).is_ok() {
            return Err("create succeeded without a config.json".into());
        }
        match p.state(&c) {
            Err(Error::NotFound(_)) => {}
            Err(e) => return Err(format!("state after a failed create: {e}, not NotFound")),
            Ok(s) => return Err(format!("a failed create left a {} container", s.status)),
        }
        if p.list()
            .map_err(|e| e.to_string())?
            .iter()
            .any(|s| s.id == c.as_str())
        {
            return Err("a failed create left the id in list".into());
        }
        Ok(())
    })
}

/// start: "This operation MUST run the user-specified program as specified by `process`": a
/// program that exits leaves the container `stopped`; one that sleeps, `running`.
pub fn start_runs_the_program(p: &dyn Platform, f: &dyn Fixture) -> Outcome {
    let (quick, slow) = (id("start", 0), id("start", 1));
    with(p, &[&quick, &slow], || {
        created(p, f, &quick, Program::Exit(3))?;
        p.start(&quick).map_err(|e| format!("start: {e}"))?;
        wait_for(p, &quick, Status::Stopped)?;
        running(p, f, &slow)
    })
}

/// start: "Attempting to `start` a container that is not `created` MUST have no effect on the
/// container and MUST generate an error."
pub fn start_of_a_started_container_fails(p: &dyn Platform, f: &dyn Fixture) -> Outcome {
    let c = id("restart", 0);
    with(p, &[&c], || {
        running(p, f, &c)?;
        let pid = p.state(&c).map_err(|e| e.to_string())?.pid;
        if p.start(&c).is_ok() {
            return Err("a second start succeeded".into());
        }
        let s = p.state(&c).map_err(|e| e.to_string())?;
        expect("after the refused start", s.status, Status::Running)?;
        if s.pid != pid {
            return Err(format!(
                "the refused start changed the pid {pid} -> {}",
                s.pid
            ));
        }
        Ok(())
    })
}

/// start: "This operation MUST generate an error if `process` was not set." (A backend may
/// refuse such a configuration at create already.)
pub fn start_without_a_process_fails(p: &dyn Platform, f: &dyn Fixture) -> Outcome {
    let c = id("noproc", 0);
    with(p, &[&c], || {
        let bundle = f.bundle(c.as_str(), None);
        if p.create(&c, &CreateOptions::new(bundle)).is_err() {
            return Ok(());
        }
        if p.start(&c).is_ok() {
            return Err("start succeeded for a configuration without process".into());
        }
        Ok(())
    })
}

/// state: "Attempting to query a container that does not exist MUST generate an error."
pub fn state_of_an_unknown_container_fails(p: &dyn Platform, _f: &dyn Fixture) -> Outcome {
    match p.state(&id("nobody", 0)) {
        Err(Error::NotFound(_)) => Ok(()),
        Err(e) => Err(format!(
            "state of an unknown id failed, but not as NotFound: {e}"
        )),
        Ok(s) => Err(format!("state of an unknown id answered {}", s.status)),
    }
}

/// kill: "This operation MUST send the specified signal to the container process": SIGTERM
/// ends the sleeping program, and the container is `stopped`.
pub fn kill_sends_the_signal(p: &dyn Platform, f: &dyn Fixture) -> Outcome {
    let c = id("kill", 0);
    with(p, &[&c], || {
        running(p, f, &c)?;
        // Sent again until it lands: a program that is its pid namespace's init gets only the
        // signals it handles, and `start` may return before the program set its handler.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let sent = p.kill(&c, Signal::Named(SignalName::Term), KillOptions::default());
            for _ in 0..20 {
                if status(p, &c)? == Status::Stopped {
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            sent.map_err(|e| format!("kill TERM of a running container: {e}"))?;
            if Instant::now() > deadline {
                return Err(format!("{c} is still running 10 s after SIGTERM"));
            }
        }
    })
}

/// kill: a container that is `created` may be signalled ("neither `created` nor `running`" is
/// what MUST fail): SIGKILL stops it before its program ever ran.
pub fn kill_of_a_created_container(p: &dyn Platform, f: &dyn Fixture) -> Outcome {
    let c = id("killc", 0);
    with(p, &[&c], || {
        created(p, f, &c, Program::Sleep)?;
        p.kill(&c, Signal::Named(SignalName::Kill), KillOptions::default())
            .map_err(|e| format!("kill KILL of a created container: {e}"))?;
        wait_for(p, &c, Status::Stopped)
    })
}

/// kill: "Attempting to send a signal to a container that is neither `created` nor `running`
/// MUST have no effect on the container and MUST generate an error."
pub fn kill_of_a_stopped_container_fails(p: &dyn Platform, f: &dyn Fixture) -> Outcome {
    let c = id("kills", 0);
    with(p, &[&c], || {
        created(p, f, &c, Program::Exit(0))?;
        p.start(&c).map_err(|e| format!("start: {e}"))?;
        wait_for(p, &c, Status::Stopped)?;
        if p.kill(&c, Signal::Named(SignalName::Kill), KillOptions::default())
            .is_ok()
        {
            return Err("kill of a stopped container succeeded".into());
        }
        expect("after the refused kill", status(p, &c)?, Status::Stopped)
    })
}

/// delete: "Attempting to `delete` a container that is not `stopped` MUST have no effect on the
/// container and MUST generate an error."
pub fn delete_of_a_running_container_fails(p: &dyn Platform, f: &dyn Fixture) -> Outcome {
    let c = id("delr", 0);
    with(p, &[&c], || {
        running(p, f, &c)?;
        if p.delete(&c, false).is_ok() {
            return Err("delete of a running container succeeded".into());
        }
        expect("after the refused delete", status(p, &c)?, Status::Running)
    })
}

/// delete: "Deleting a container MUST delete the resources that were created during the
/// `create` step. […] Once a container is deleted its ID MAY be used by a subsequent
/// container": after delete, state fails and a new container of the same id can be created.
pub fn delete_frees_the_id(p: &dyn Platform, f: &dyn Fixture) -> Outcome {
    let c = id("del", 0);
    with(p, &[&c], || {
        created(p, f, &c, Program::Exit(0))?;
        p.start(&c).map_err(|e| format!("start: {e}"))?;
        wait_for(p, &c, Status::Stopped)?;
        p.delete(&c, false).map_err(|e| format!("delete: {e}"))?;
        match p.state(&c) {
            Err(Error::NotFound(_)) => {}
            other => return Err(format!("state after delete: {other:?}")),
        }
        created(p, f, &c, Program::Exit(0)).map_err(|e| format!("reusing the id: {e}"))
    })
}

/// delete --force (runc's): a running container is killed and removed.
pub fn delete_force_removes_a_running_container(p: &dyn Platform, f: &dyn Fixture) -> Outcome {
    let c = id("delf", 0);
    with(p, &[&c], || {
        running(p, f, &c)?;
        p.delete(&c, true)
            .map_err(|e| format!("delete --force: {e}"))?;
        match p.state(&c) {
            Err(Error::NotFound(_)) => Ok(()),
            other => Err(format!("state after delete --force: {other:?}")),
        }
    })
}

/// list: every container of the store, each with the status state reports.
pub fn list_shows_every_container(p: &dyn Platform, f: &dyn Fixture) -> Outcome {
    let (a, b) = (id("list", 0), id("list", 1));
    with(p, &[&a, &b], || {
        created(p, f, &a, Program::Sleep)?;
        running(p, f, &b)?;
        let all = p.list().map_err(|e| format!("list: {e}"))?;
        for (c, want) in [(&a, Status::Created), (&b, Status::Running)] {
            match all.iter().find(|s| s.id == c.as_str()) {
                None => return Err(format!("list misses {c}")),
                Some(s) => expect(&format!("{c} in list"), s.status.clone(), want)?,
            }
        }
        Ok(())
    })
}
