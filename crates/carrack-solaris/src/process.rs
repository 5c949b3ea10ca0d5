//! The container's process as a `zlogin` command line, and the commands that signal it.
//!
//! `zlogin [-l USER] ZONE UTILITY [ARG…]` runs non-interactively when given a utility: it joins
//! the utility and its arguments with blanks and has the user's login shell in the zone run
//! that line with `-c` (like `ssh`). So the plan passes one argument, a POSIX shell line whose
//! every word is single-quoted:
//!
//! ```text
//! cd '/root' && umask 007 && echo $$ >/tmp/.carrack-init.pid && exec /usr/bin/env -i 'PATH=/usr/bin' '/usr/bin/bash'
//! ```
//!
//! * `cd`: `process.cwd`; `umask`: `process.user.umask` (octal);
//! * `ulimit -S`/`-H`: `process.rlimits` that have a unit-free (or KiB) `ulimit` flag in both
//!   ksh93 and bash, the login shells of Solaris 11 and illumos;
//! * `echo $$ >/tmp/.carrack-init.pid` (the container's own process only): its pid, which
//!   `exec` keeps, for `kill` to read inside the zone;
//! * `exec /usr/bin/env -i ENV… ARGS…`: exactly `process.env` (`-i` drops what zlogin set),
//!   `args[0]` looked up in the new `PATH` as `execvp` does.
//!
//! The user: root (uid 0) logs in with no `-l`; another uid is looked up in the zone with
//! `getent passwd UID` at start (zlogin takes a name) and its primary group must be
//! `process.user.gid`.

use carrack_platform::{Signal, SignalName};
use carrack_spec::runtime::{Process, Rlimit};
use serde::{Deserialize, Serialize};

use crate::command::{Command, sh_quote};
use crate::host::HostOs;
use crate::rules::{self, PlanError};

/// Where the container's process writes its pid inside the zone.
pub const PID_FILE: &str = "/tmp/.carrack-init.pid";

/// A process to run in the zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessPlan {
    /// `process.user.uid`.
    pub uid: u32,
    /// `process.user.gid`.
    pub gid: u32,
    /// The shell line zlogin runs.
    pub line: String,
}

impl ProcessPlan {
    /// The zlogin command, as `user` (a name from the zone's passwd; `None` for root).
    pub fn zlogin(&self, zone: &str, user: Option<&str>) -> Command {
        zlogin(zone, user, &self.line)
    }
}

/// `zlogin [-l USER] ZONE LINE`.
pub fn zlogin(zone: &str, user: Option<&str>, line: &str) -> Command {
    let mut args = Vec::new();
    if let Some(u) = user {
        args.extend(["-l".to_owned(), u.to_owned()]);
    }
    args.extend([zone.to_owned(), line.to_owned()]);
    Command::new("zlogin", args)
}

/// `zlogin ZONE /usr/bin/getent passwd UID`: the passwd entry of `uid` in the zone.
pub fn getent_passwd(zone: &str, uid: u32) -> Command {
    let line = format!("/usr/bin/getent passwd {uid}");
    Command::new("zlogin", [zone.to_owned(), line])
}

/// The ulimit flag of a Solaris rlimit and the unit it counts in.
fn ulimit_flag(kind: &str) -> Option<(&'static str, u64)> {
    Some(match kind {
        "RLIMIT_NOFILE" => ("-n", 1),
        "RLIMIT_CPU" => ("-t", 1),
        "RLIMIT_DATA" => ("-d", 1024),
        "RLIMIT_STACK" => ("-s", 1024),
        "RLIMIT_AS" | "RLIMIT_VMEM" => ("-v", 1024),
        _ => return None,
    })
}

fn ulimit(i: usize, r: &Rlimit, os: HostOs) -> Result<String, PlanError> {
    let at = format!("/process/rlimits/{i}");
    let kind = r.kind.as_str();
    let Some((flag, unit)) = ulimit_flag(kind) else {
        let why = match kind {
            "RLIMIT_CORE" | "RLIMIT_FSIZE" => {
                "ksh93 counts it in 512-byte blocks and bash in \
                                               1024-byte ones, so the login shell cannot set it exactly"
            }
            _ => "Solaris and illumos have no such resource limit",
        };
        let _ = os;
        return Err(rules::unmapped_rlimit(at, format!("{kind}: {why}")));
    };
    let value = |v: u64, which: &str| {
        if v == u64::MAX {
            Ok("unlimited".to_owned())
        } else if v.is_multiple_of(unit) {
            Ok((v / unit).to_string())
        } else {
            Err(rules::unmapped_rlimit(
                format!("{at}/{which}"),
                format!("{kind} {v} is not a multiple of {unit}, the unit of ulimit {flag}"),
            ))
        }
    };
    let (soft, hard) = (value(r.soft, "soft")?, value(r.hard, "hard")?);
    // The soft limit first lowered (when it can be), then the hard one, then the soft one:
    // valid whichever way each moves.
    Ok(format!(
        "{{ ulimit -S {flag} {soft} 2>/dev/null; ulimit -H {flag} {hard} && ulimit -S {flag} {soft}; }}"
    ))
}

/// The shell line running `p`; `init`: it is the container's own process (writes its pid).
pub fn plan_process(p: &Process, os: HostOs, init: bool) -> Result<ProcessPlan, PlanError> {
    let unsupported = |pointer: &str, what: &str, why: &'static str| PlanError::Unsupported {
        pointer: pointer.into(),
        what: what.into(),
        os: os.as_str(),
        why,
    };
    if p.terminal == Some(true) {
        return Err(unsupported(
            "/process/terminal",
            "a terminal",
            "this backend passes the container's stdio through zlogin's pipes",
        ));
    }
    let user = p.user.clone().unwrap_or_default();
    if user.additional_gids.as_ref().is_some_and(|g| !g.is_empty()) {
        return Err(unsupported(
            "/process/user/additionalGids",
            "additionalGids",
            "zlogin -l gives the process the groups the zone's group database lists for the user",
        ));
    }
    if user.uid.unwrap_or(0) == 0 && user.gid.unwrap_or(0) != 0 {
        return Err(unsupported(
            "/process/user/gid",
            "a gid other than 0 for uid 0",
            "zlogin runs root's processes with root's own primary group, 0",
        ));
    }
    // env(1) takes an entry without '=' for the program to run, and one starting with '-' for
    // an option of its own: either would change what runs.
    for (i, e) in p.env.iter().flatten().enumerate() {
        if !e.contains('=') || e.starts_with('-') {
            return Err(rules::invalid(
                format!("/process/env/{i}"),
                format!(
                    "{e:?}: an environ entry is NAME=VALUE, and env(1) would read this one as a program or an option"
                ),
            ));
        }
    }
    let args = p.args.clone().unwrap_or_default();
    if args.first().is_some_and(|a| a.contains('=')) {
        return Err(rules::invalid(
            "/process/args/0".into(),
            format!(
                "{:?}: env(1) would take an args[0] containing '=' for a variable",
                args[0]
            ),
        ));
    }
    let mut parts = vec![format!("cd {}", sh_quote(&p.cwd))];
    if let Some(mask) = user.umask {
        parts.push(format!("umask {mask:03o}"));
    }
    for (i, r) in p.rlimits.iter().flatten().enumerate() {
        parts.push(ulimit(i, r, os)?);
    }
    if init {
        parts.push(format!("echo $$ >{PID_FILE}"));
    }
    let mut exec = String::from("exec /usr/bin/env -i");
    for word in p.env.iter().flatten().chain(&args) {
        exec.push(' ');
        exec.push_str(&sh_quote(word));
    }
    parts.push(exec);
    Ok(ProcessPlan {
        uid: user.uid.unwrap_or(0),
        gid: user.gid.unwrap_or(0),
        line: parts.join(" && "),
    })
}

/// The signal as `kill -SIG` and `pkill -SIG` take it on Solaris and illumos.
pub fn signal_word(signal: Signal) -> Option<String> {
    Some(match signal {
        // Linux's stack fault signal has no Solaris counterpart.
        Signal::Named(SignalName::Stkflt) => return None,
        Signal::Named(n) => n.as_str().trim_start_matches("SIG").to_owned(),
        Signal::RtMin(0) => "RTMIN".into(),
        Signal::RtMin(n) => format!("RTMIN+{n}"),
        Signal::RtMax(0) => "RTMAX".into(),
        Signal::RtMax(n) => format!("RTMAX-{n}"),
        Signal::Number(n) => n.to_string(),
        _ => return None,
    })
}

/// `zlogin ZONE 'kill -SIG "$(cat PID_FILE)"'`: the signal to the container's process, sent
/// from inside its zone (the pid file is the zone's, so nothing outside it can be named).
pub fn kill_init(zone: &str, word: &str) -> Command {
    let line = format!("kill -{word} \"$(cat {PID_FILE})\"");
    Command::new("zlogin", [zone.to_owned(), line])
}

/// `pkill -SIG -z ZONE`: the signal to every process of the zone (`kill --all`).
pub fn kill_all(zone: &str, word: &str) -> Command {
    Command::new(
        "pkill",
        [format!("-{word}"), "-z".to_owned(), zone.to_owned()],
    )
}

/// Signals whose default action is to be ignored (signal.h(3HEAD)): sent to a `created`
/// container, which has no process yet, they change nothing.
pub fn ignored_by_default(signal: Signal) -> bool {
    use SignalName::*;
    matches!(signal, Signal::Named(Chld | Cont | Urg | Winch | Pwr))
}
