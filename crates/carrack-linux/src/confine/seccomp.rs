//! `linux.seccomp` (config-linux.md § Seccomp) → a filter compiled by libseccomp, loaded into the
//! container process, and the notify fd handed to the `listenerPath` agent.
//!
//! libseccomp rather than a BPF compiler of our own: it carries the syscall tables of every
//! architecture the spec names, rewrites multiplexed calls (x86 `socketcall`, `ipc`), splits
//! 64-bit argument comparisons on 32-bit ABIs and orders the filter as a tree; runc, crun and
//! youki use it, so a profile means the same thing under carrack as under them.
//!
//! Where the spec leaves room, carrack follows runc: unknown syscall names are skipped (a newer
//! profile on an older libseccomp), a rule whose action equals the default is skipped, conditions
//! on distinct argument indexes are ANDed in one rule and repeated indexes become one rule per
//! condition, and the filter is loaded without libseccomp setting no_new_privs itself.

use std::io::IoSlice;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;

use carrack_spec::runtime::{
    ContainerProcessState, Seccomp, SeccompAction, SeccompArch, SeccompFlag, SeccompOperator, State,
};
use libseccomp::{
    ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall,
};

use crate::error::{Error, Result as Res};

const RULE: &str = "config-linux.md § Seccomp";

/// A compiled filter, ready to load.
pub(crate) struct Filter {
    ctx: ScmpFilterContext,
    /// The filter has a `SCMP_ACT_NOTIFY` action, so loading it yields a notify fd.
    notify: bool,
    listener_path: Option<String>,
    metadata: Option<String>,
}

/// The connection to the seccomp agent, made before the process leaves the host's mount
/// namespace, and what to tell it once the filter is loaded.
pub(crate) struct Listener {
    stream: UnixStream,
    state: State,
    metadata: Option<String>,
}

impl Listener {
    /// Connects to `filter`'s listener, if it has one and uses `SCMP_ACT_NOTIFY`.
    pub(crate) fn connect(filter: &Filter, state: State) -> Res<Option<Self>> {
        let (true, Some(path)) = (filter.notify, &filter.listener_path) else {
            return Ok(None);
        };
        let stream = UnixStream::connect(path).map_err(|e| {
            Error::sys_at(
                "/linux/seccomp/listenerPath",
                format!("connecting to {path:?}"),
                e,
            )
        })?;
        Ok(Some(Self {
            stream,
            state,
            metadata: filter.metadata.clone(),
        }))
    }

    /// Sends the container process state with the notify fd, then closes the connection.
    fn send(self, pid: i32, fd: &OwnedFd) -> Res<()> {
        let mut msg = ContainerProcessState::new(self.state.oci_version.clone(), pid, self.state);
        msg.fds = Some(vec!["seccompFd".into()]);
        msg.metadata = self.metadata;
        let body = serde_json::to_vec(&msg)
            .map_err(|e| Error::refused(None, "seccomp listener", e.to_string()))?;
        let fds = [fd.as_raw_fd()];
        let cmsg = [nix::sys::socket::ControlMessage::ScmRights(&fds)];
        let mut sent = nix::sys::socket::sendmsg::<()>(
            self.stream.as_raw_fd(),
            &[IoSlice::new(&body)],
            &cmsg,
            nix::sys::socket::MsgFlags::empty(),
            None,
        )
        .map_err(|e| Error::sys("sending the seccomp fd to the listener", e))?;
        while sent < body.len() {
            sent += nix::unistd::write(&self.stream, &body[sent..])
                .map_err(|e| Error::sys("sending the container process state", e))?;
        }
        Ok(())
    }
}

fn action(a: &SeccompAction, errno: Option<u32>, at: &str) -> Res<ScmpAction> {
    let code = |e: Option<u32>| -> Res<i32> {
        i32::try_from(e.unwrap_or(libc::EPERM as u32))
            .map_err(|_| Error::config(at, format!("errno {e:?} is out of range ({RULE})")))
    };
    if errno.is_some() && !matches!(a, SeccompAction::Errno | SeccompAction::Trace) {
        return Err(Error::config(
            at,
            format!(
                "{} takes no errno; errnoRet is only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE ({RULE})",
                a.as_str()
            ),
        ));
    }
    Ok(match a {
        SeccompAction::Kill | SeccompAction::KillThread => ScmpAction::KillThread,
        SeccompAction::KillProcess => ScmpAction::KillProcess,
        SeccompAction::Trap => ScmpAction::Trap,
        SeccompAction::Errno => ScmpAction::Errno(code(errno)?),
        SeccompAction::Trace => ScmpAction::Trace(u16::try_from(code(errno)?).map_err(|_| {
            Error::config(
                at,
                format!("SCMP_ACT_TRACE message must fit 16 bits ({RULE})"),
            )
        })?),
        SeccompAction::Allow => ScmpAction::Allow,
        SeccompAction::Log => ScmpAction::Log,
        SeccompAction::Notify => ScmpAction::Notify,
        other => {
            return Err(Error::config(
                at,
                format!("unknown action {:?} ({RULE})", other.as_str()),
            ));
        }
    })
}

fn arch(a: &SeccompArch, at: &str) -> Res<ScmpArch> {
    a.as_str().parse::<ScmpArch>().map_err(|_| {
        Error::config(
            at,
            format!("unknown architecture {:?} ({RULE})", a.as_str()),
        )
    })
}

fn condition(
    index: u32,
    op: &SeccompOperator,
    value: u64,
    two: Option<u64>,
    at: &str,
) -> Res<ScmpArgCompare> {
    if index > 5 {
        return Err(Error::config(
            format!("{at}/index"),
            format!("{index} is not an argument index 0..=5 ({RULE})"),
        ));
    }
    let op = match op {
        SeccompOperator::NotEqual => ScmpCompareOp::NotEqual,
        SeccompOperator::LessThan => ScmpCompareOp::Less,
        SeccompOperator::LessOrEqual => ScmpCompareOp::LessOrEqual,
        SeccompOperator::EqualTo => ScmpCompareOp::Equal,
        SeccompOperator::GreaterOrEqual => ScmpCompareOp::GreaterEqual,
        SeccompOperator::GreaterThan => ScmpCompareOp::Greater,
        // As runc: value is the mask, valueTwo the value the masked argument must equal.
        SeccompOperator::MaskedEqual => {
            return Ok(ScmpArgCompare::new(
                index,
                ScmpCompareOp::MaskedEqual(value),
                two.unwrap_or(0),
            ));
        }
        other => {
            return Err(Error::config(
                format!("{at}/op"),
                format!("unknown operator {:?} ({RULE})", other.as_str()),
            ));
        }
    };
    Ok(ScmpArgCompare::new(index, op, value))
}

/// Compiles `s`; every error names the JSON path.
pub(crate) fn compile(s: &Seccomp) -> Res<Filter> {
    let at = "/linux/seccomp";
    let default = action(
        &s.default_action,
        s.default_errno_ret,
        &format!("{at}/defaultAction"),
    )?;
    let lib =
        |what: String| move |e: libseccomp::error::SeccompError| Error::config(what, e.to_string());
    let mut ctx = ScmpFilterContext::new(default).map_err(lib(format!("{at}/defaultAction")))?;
    // no_new_privs is the config's to set (process.noNewPrivileges), not libseccomp's.
    ctx.set_ctl_nnp(false)
        .map_err(lib(format!("{at}: libseccomp")))?;
    for (i, a) in s.architectures.iter().flatten().enumerate() {
        let path = format!("{at}/architectures/{i}");
        let a = arch(a, &path)?;
        match ctx.add_arch(a) {
            Ok(_) => {}
            Err(e) if e.errno() == Some(libseccomp::error::SeccompErrno::EEXIST) => {}
            Err(e) => return Err(Error::config(path, e.to_string())),
        }
    }
    for (i, f) in s.flags.iter().flatten().enumerate() {
        let path = format!("{at}/flags/{i}");
        let r = match f {
            SeccompFlag::Tsync => ctx.set_ctl_tsync(true),
            SeccompFlag::Log => ctx.set_ctl_log(true),
            SeccompFlag::SpecAllow => ctx.set_ctl_ssb(true),
            SeccompFlag::WaitKillableRecv => ctx.set_ctl_waitkill(true),
            other => {
                return Err(Error::config(
                    path,
                    format!("unknown flag {:?} ({RULE})", other.as_str()),
                ));
            }
        };
        r.map_err(|e| {
            Error::config(
                &path,
                format!(
                    "{} is not supported by this libseccomp or kernel: {e}",
                    f.as_str()
                ),
            )
        })?;
    }
    let mut notify = matches!(s.default_action, SeccompAction::Notify);
    for (i, rule) in s.syscalls.iter().flatten().enumerate() {
        let path = format!("{at}/syscalls/{i}");
        let act = action(&rule.action, rule.errno_ret, &format!("{path}/action"))?;
        if act == default {
            continue;
        }
        notify |= matches!(rule.action, SeccompAction::Notify);
        let conds: Vec<ScmpArgCompare> = rule
            .args
            .iter()
            .flatten()
            .enumerate()
            .map(|(j, a)| {
                condition(
                    a.index,
                    &a.op,
                    a.value,
                    a.value_two,
                    &format!("{path}/args/{j}"),
                )
            })
            .collect::<Res<_>>()?;
        let mut indexes: Vec<u32> = rule.args.iter().flatten().map(|a| a.index).collect();
        indexes.sort_unstable();
        let repeated = indexes.windows(2).any(|w| w[0] == w[1]);
        for (j, name) in rule.names.iter().enumerate() {
            let Ok(nr) = ScmpSyscall::from_name(name) else {
                // Unknown to this libseccomp: skipped, as runc does.
                continue;
            };
            let add = |ctx: &mut ScmpFilterContext, c: &[ScmpArgCompare]| {
                ctx.add_rule_conditional(act, nr, c)
                    .map(|_| ())
                    .map_err(|e| {
                        Error::config(format!("{path}/names/{j}"), format!("{name:?}: {e}"))
                    })
            };
            if repeated {
                for c in &conds {
                    add(&mut ctx, std::slice::from_ref(c))?;
                }
            } else {
                add(&mut ctx, &conds)?;
            }
        }
    }
    if s.listener_path.is_none() && s.listener_metadata.is_some() {
        return Err(Error::config(
            format!("{at}/listenerMetadata"),
            format!("must not be set without listenerPath ({RULE})"),
        ));
    }
    if notify && s.listener_path.is_none() {
        return Err(Error::config(
            at,
            format!("SCMP_ACT_NOTIFY needs a listenerPath ({RULE})"),
        ));
    }
    Ok(Filter {
        ctx,
        notify,
        listener_path: s.listener_path.clone(),
        metadata: s.listener_metadata.clone(),
    })
}

/// Loads `filter` into this process and, when it notifies, hands the fd to the agent; `pid` is
/// this process as the runtime sees it.
pub(crate) fn load(filter: &Filter, listener: Option<Listener>, pid: i32) -> Res<()> {
    filter
        .ctx
        .load()
        .map_err(|e| seccomp_sys("loading the seccomp filter", &e))?;
    if !filter.notify {
        return Ok(());
    }
    let raw = filter
        .ctx
        .get_notify_fd()
        .map_err(|e| seccomp_sys("the seccomp notify fd", &e))?;
    // libseccomp keeps the kernel's notify fd for us and never closes it.
    let fd = crate::sys::adopt_fd(raw);
    match listener {
        Some(l) => l.send(pid, &fd),
        None => Err(Error::refused(
            Some("/linux/seccomp/listenerPath".into()),
            "seccomp",
            "the filter notifies but no listener is connected",
        )),
    }
}

/// A failure of libseccomp while it talks to the kernel, with the kernel's errno when it has
/// one.
fn seccomp_sys(what: &str, e: &libseccomp::error::SeccompError) -> Error {
    let source = match e.sysrawrc() {
        Some(rc) if rc < 0 => std::io::Error::from_raw_os_error(-rc),
        _ => std::io::Error::other(e.to_string()),
    };
    Error::sys_at("/linux/seccomp", what, source)
}

/// Which of the spec's seccomp flags this host's libseccomp and kernel accept.
pub(crate) fn supported_flags() -> Vec<SeccompFlag> {
    let Ok(mut ctx) = ScmpFilterContext::new(ScmpAction::Allow) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if ctx.set_ctl_tsync(true).is_ok() {
        out.push(SeccompFlag::Tsync);
    }
    if ctx.set_ctl_log(true).is_ok() {
        out.push(SeccompFlag::Log);
    }
    if ctx.set_ctl_ssb(true).is_ok() {
        out.push(SeccompFlag::SpecAllow);
    }
    if ctx.set_ctl_waitkill(true).is_ok() {
        out.push(SeccompFlag::WaitKillableRecv);
    }
    out
}
