//! Running hooks (runtime-spec config.md § POSIX-platform Hooks): the container's state JSON on
//! stdin, `args` as argv (argv\[0\] included), `env` as the whole environment, and `timeout`
//! seconds before the hook is killed and counted as failed.

use std::io::Write;
#[cfg(unix)]
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use carrack_spec::Document;
use carrack_spec::runtime::{Hook, State};

use crate::error::{Error, Result};

/// The six hook kinds of config.md § POSIX-platform Hooks, in lifecycle order.
///
/// ```
/// assert_eq!(carrack_platform::hooks::KINDS[0], "prestart");
/// ```
pub const KINDS: [&str; 6] = [
    "prestart",
    "createRuntime",
    "createContainer",
    "startContainer",
    "poststart",
    "poststop",
];

/// Runs `hooks` in order with `state` on stdin; the first failure stops and is returned.
///
/// ```
/// use carrack_spec::runtime::{Hook, State, Status};
/// let mut ok = Hook::new("/bin/sh");
/// ok.args = Some(vec!["sh".into(), "-c".into(), "grep -q '\"id\":\"web\"'".into()]);
/// let state = State::new("1.3.0", "web", Status::Creating, "/b");
/// carrack_platform::hooks::run("prestart", &[ok], &state)?;
/// # Ok::<(), carrack_platform::Error>(())
/// ```
pub fn run(kind: &'static str, hooks: &[Hook], state: &State) -> Result<()> {
    let input = state.to_vec();
    for hook in hooks {
        run_one(kind, hook, &input)?;
    }
    Ok(())
}

/// Runs every hook of `hooks` with `state` on stdin, whatever the others did, and returns the
/// failures: for poststop hooks, of which runtime.md § Lifecycle says "If any poststop hook
/// fails, the runtime MUST log a warning, but the remaining hooks and lifecycle continue as if
/// the hook had succeeded."
///
/// ```
/// use carrack_spec::runtime::{Hook, State, Status};
/// let fails = Hook::new("/bin/false");
/// let ok = Hook::new("/bin/true");
/// let state = State::new("1.3.0", "web", Status::Stopped, "/b");
/// let failed = carrack_platform::hooks::run_all("poststop", &[fails, ok], &state);
/// assert_eq!(failed.len(), 1);
/// ```
pub fn run_all(kind: &'static str, hooks: &[Hook], state: &State) -> Vec<Error> {
    let input = state.to_vec();
    hooks
        .iter()
        .filter_map(|hook| run_one(kind, hook, &input).err())
        .collect()
}

fn run_one(kind: &'static str, hook: &Hook, input: &[u8]) -> Result<()> {
    let fail = |reason: String| Error::Hook {
        kind,
        path: hook.path.clone(),
        reason,
    };
    let mut cmd = Command::new(&hook.path);
    if let Some((argv0, rest)) = hook.args.as_deref().and_then(<[String]>::split_first) {
        // POSIX hooks get args[0] as argv[0]; Windows has no separate argv[0] to set.
        #[cfg(unix)]
        cmd.arg0(argv0);
        #[cfg(not(unix))]
        let _ = argv0;
        cmd.args(rest);
    }
    cmd.env_clear();
    for e in hook.env.iter().flatten() {
        if let Some((k, v)) = e.split_once('=') {
            cmd.env(k, v);
        }
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().map_err(|e| fail(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A hook that does not read its stdin is not an error.
        let _ = stdin.write_all(input);
    }
    let deadline = hook
        .timeout
        .and_then(|t| u64::try_from(t).ok())
        .map(|t| Instant::now() + Duration::from_secs(t));
    if deadline.is_none() {
        // No timeout: wait for exactly as long as the hook runs.
        return match child.wait() {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => Err(fail(format!("exited with {status}"))),
            Err(e) => Err(fail(e.to_string())),
        };
    }
    // A timeout: poll, the pause growing to at most 2 ms, so a hook is waited for at most 2 ms
    // longer than it runs (no thread is started: carrack-linux's callers must stay
    // single-threaded).
    let mut pause = Duration::from_micros(100);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(fail(format!("exited with {status}"))),
            Ok(None) => {}
            Err(e) => return Err(fail(e.to_string())),
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(fail(format!(
                "timed out after {}s",
                hook.timeout.unwrap_or_default()
            )));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(2));
    }
}
