//! The container's process, made from the process that will exec it (init, or the child of
//! `exec`): rlimits, cwd, user and groups, capabilities, LSM labels,
//! no_new_privs, umask, the program's path, then the exec. In two steps, so that init does all
//! of it before it waits for `start`, and only the exec (with the seccomp filter where it must
//! come last) follows `start`: a signal sent right after `start` then meets the user's program
//! or the kernel's default for it, never a half-made process.

pub(crate) mod caps;
mod sched;

use std::ffi::CString;
use std::os::fd::BorrowedFd;
use std::path::Path;

use carrack_spec::runtime::{Process, RlimitType};
use nix::sys::stat::Mode;

use crate::error::{Error, Result as Res};
use crate::procfs::Proc;

fn err<E: Into<std::io::Error>>(what: &str) -> impl Fn(E) -> Error + '_ {
    move |e| Error::sys(what, e)
}

fn err_at<'a, E: Into<std::io::Error>>(at: &'a str, what: &'a str) -> impl Fn(E) -> Error + 'a {
    move |e| Error::sys_at(at, what, e)
}

/// An argument or variable with a NUL byte, which no C string can hold.
fn nul(at: &str) -> impl Fn(std::ffi::NulError) -> Error + '_ {
    move |_| Error::config(at, "holds a NUL byte")
}

/// What confines the user process beyond its credentials: its capabilities (planned by the
/// runtime, see [`crate::process::caps::plan`]), LSM labels and the seccomp filter (with the agent it
/// hands its notify fd to).
pub(crate) struct Confine<'a> {
    pub(crate) caps: crate::process::caps::Plan,
    pub(crate) labels: crate::confine::lsm::Labels,
    pub(crate) seccomp: Option<&'a crate::confine::seccomp::Filter>,
    pub(crate) listener: Option<crate::confine::seccomp::Listener>,
    /// This process's pid as the runtime sees it, for the seccomp agent.
    pub(crate) pid: i32,
}

impl Confine<'_> {
    fn load_seccomp(&mut self) -> Res<()> {
        match self.seccomp.take() {
            Some(f) => crate::confine::seccomp::load(f, self.listener.take(), self.pid),
            None => Ok(()),
        }
    }
}

/// A process made and ready to exec its program.
pub(crate) struct Ready<'a> {
    path: CString,
    argv: Vec<CString>,
    envp: Vec<CString>,
    cmd: String,
    /// The lowest descriptor the program is not given.
    first_free: i32,
    /// The filter still to load (with no_new_privs: right before the exec).
    late: Confine<'a>,
}

impl Ready<'_> {
    /// Loads the seccomp filter if it comes last, and execs; returns only on failure. With a
    /// `trampoline` ([`crate::spawn::trampoline`]) the program is exec'd through it, and `report` (a
    /// descriptor the runtime reads until it closes) is handed to it to report a failed exec;
    /// without one, `report` just closes on exec.
    pub(crate) fn exec(
        mut self,
        report: Option<BorrowedFd<'_>>,
        trampoline: Option<BorrowedFd<'_>>,
    ) -> Res<std::convert::Infallible> {
        let through = match (trampoline, report) {
            (Some(t), Some(r)) => {
                // A descriptor of the report without close-on-exec, above the ones the program
                // is given (the trampoline marks it close-on-exec before the program's exec).
                let fd = nix::fcntl::fcntl(r, nix::fcntl::FcntlArg::F_DUPFD(self.first_free))
                    .map_err(err("the exec report"))?;
                let mut argv = Vec::with_capacity(self.argv.len() + 2);
                argv.push(CString::new(fd.to_string()).map_err(nul("/process/args"))?);
                argv.push(self.path.clone());
                argv.extend(self.argv.iter().cloned());
                Some((t, argv))
            }
            (Some(t), None) => {
                let mut argv = Vec::with_capacity(self.argv.len() + 2);
                // No report: the trampoline's own stderr takes it.
                argv.push(c"2".to_owned());
                argv.push(self.path.clone());
                argv.extend(self.argv.iter().cloned());
                Some((t, argv))
            }
            (None, _) => None,
        };
        self.late.load_seccomp()?;
        let e = match through {
            Some((t, argv)) => match nix::unistd::execveat(
                t,
                c"",
                &argv,
                &self.envp,
                nix::fcntl::AtFlags::AT_EMPTY_PATH,
            ) {
                Ok(never) => match never {},
                Err(e) => std::io::Error::from(e),
            },
            None => crate::sys::execve(&self.path, &self.argv, &self.envp),
        };
        Err(Error::sys_at(
            "/process/args/0",
            format!("exec {:?}", self.cmd),
            e,
        ))
    }
}

fn rlimit(t: &RlimitType) -> Option<nix::sys::resource::Resource> {
    use nix::sys::resource::Resource as R;
    Some(match t.as_str() {
        "RLIMIT_AS" => R::RLIMIT_AS,
        "RLIMIT_CORE" => R::RLIMIT_CORE,
        "RLIMIT_CPU" => R::RLIMIT_CPU,
        "RLIMIT_DATA" => R::RLIMIT_DATA,
        "RLIMIT_FSIZE" => R::RLIMIT_FSIZE,
        "RLIMIT_LOCKS" => R::RLIMIT_LOCKS,
        "RLIMIT_MEMLOCK" => R::RLIMIT_MEMLOCK,
        "RLIMIT_MSGQUEUE" => R::RLIMIT_MSGQUEUE,
        "RLIMIT_NICE" => R::RLIMIT_NICE,
        "RLIMIT_NOFILE" => R::RLIMIT_NOFILE,
        "RLIMIT_NPROC" => R::RLIMIT_NPROC,
        "RLIMIT_RSS" => R::RLIMIT_RSS,
        "RLIMIT_RTPRIO" => R::RLIMIT_RTPRIO,
        "RLIMIT_RTTIME" => R::RLIMIT_RTTIME,
        "RLIMIT_SIGPENDING" => R::RLIMIT_SIGPENDING,
        "RLIMIT_STACK" => R::RLIMIT_STACK,
        _ => return None,
    })
}

/// The path of `cmd` along `PATH` of `env` (inside the container), as execvp would find it.
fn lookup(cmd: &str, env: &[String]) -> Res<CString> {
    if cmd.contains('/') {
        return CString::new(cmd).map_err(nul("/process/args/0"));
    }
    let path = env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    for dir in path.split(':').filter(|d| !d.is_empty()) {
        let candidate = Path::new(dir).join(cmd);
        if nix::unistd::access(&candidate, nix::unistd::AccessFlags::X_OK).is_ok()
            && candidate.metadata().is_ok_and(|m| m.is_file())
        {
            return CString::new(candidate.as_os_str().as_encoded_bytes())
                .map_err(nul("/process/args/0"));
        }
    }
    Err(Error::refused(
        Some("/process/args/0".into()),
        format!("exec: {cmd:?}"),
        NOT_FOUND,
    ))
}

/// runc's words for a program that is not on `PATH` (docker matches them).
pub(crate) const NOT_FOUND: &str = "executable file not found in $PATH";

/// Whether `e` says the program is missing (exit status 127, as a shell's), rather than that it
/// cannot run (126).
pub(crate) fn missing_program(e: &Error) -> bool {
    e.errno() == Some(libc::ENOENT)
        || matches!(e, Error::Refused { reason, .. } if reason == NOT_FOUND)
}

/// Applies `process` to this process, all but the exec. Shared by create and exec; `proc` is
/// the host's procfs (for the LSM labels). `oom_score_adj` is written by the runtime (see
/// [`write_oom_score_adj`]).
///
/// The seccomp filter goes in as runc orders it: without no_new_privs it must be loaded while
/// the process still has CAP_SYS_ADMIN, so before the user and capability switch (the filter
/// then has to allow those calls and what init does until the exec); with no_new_privs as late
/// as possible, right before execve ([`Ready::exec`]).
pub(crate) fn prepare<'a>(
    process: &Process,
    preserve_fds: u32,
    mut confine: Confine<'a>,
    proc: &Proc,
) -> Res<Ready<'a>> {
    let nnp = process.no_new_privileges == Some(true);
    for (i, r) in process.rlimits.iter().flatten().enumerate() {
        let at = format!("/process/rlimits/{i}");
        let res = rlimit(&r.kind)
            .ok_or_else(|| Error::config(&at, format!("unknown rlimit {}", r.kind)))?;
        nix::sys::resource::setrlimit(res, r.soft, r.hard)
            .map_err(|e| Error::sys_at(&at, format!("setrlimit {}", r.kind), e))?;
    }
    // Scheduling and I/O priority while the process still has CAP_SYS_NICE and CAP_SYS_ADMIN.
    if let Some(s) = &process.scheduler {
        let attr = sched::sched_attr(s)?;
        crate::sys::sched_setattr(&attr).map_err(err_at("/process/scheduler", "sched_setattr"))?;
    }
    if let Some(p) = &process.io_priority {
        let (class, level) = sched::io_priority(p)?;
        crate::sys::ioprio_set(class, level)
            .map_err(err_at("/process/ioPriority", "ioprio_set"))?;
    }
    // chdir after pivot_root, and check where we are (CVE-2024-21626); before the filter, which
    // may deny getcwd.
    nix::unistd::chdir(process.cwd.as_str())
        .map_err(|e| Error::sys_at("/process/cwd", format!("chdir to {:?}", process.cwd), e))?;
    let here = nix::unistd::getcwd().map_err(err_at("/process/cwd", "getcwd"))?;
    if !here.is_absolute() || here.starts_with("(unreachable)") {
        return Err(Error::refused(
            Some("/process/cwd".into()),
            format!("cwd {:?}", process.cwd),
            "it is outside the container",
        ));
    }
    if !nnp {
        confine.load_seccomp()?;
    }
    let caps = confine.caps;
    crate::process::caps::drop_bounding(&caps).map_err(err_at(
        "/process/capabilities/bounding",
        "dropping bounding capabilities",
    ))?;
    crate::sys::prctl(libc::PR_SET_KEEPCAPS, 1, 0).map_err(err("PR_SET_KEEPCAPS"))?;
    let user = process.user.clone().unwrap_or_default();
    let (uid, gid) = (user.uid.unwrap_or(0), user.gid.unwrap_or(0));
    let groups: Vec<nix::unistd::Gid> = user
        .additional_gids
        .iter()
        .flatten()
        .map(|g| nix::unistd::Gid::from_raw(*g))
        .collect();
    match nix::unistd::setgroups(&groups) {
        Ok(()) => {}
        // A user namespace with setgroups denied (rootless) allows no groups.
        Err(nix::Error::EPERM) if groups.is_empty() => {}
        Err(e) => {
            return Err(Error::sys_at(
                "/process/user/additionalGids",
                "setgroups",
                e,
            ));
        }
    }
    nix::unistd::setresgid(gid.into(), gid.into(), gid.into())
        .map_err(err_at("/process/user/gid", "setresgid"))?;
    nix::unistd::setresuid(uid.into(), uid.into(), uid.into())
        .map_err(err_at("/process/user/uid", "setresuid"))?;
    // (uid_t)-1 would have left an id unchanged: the runtime refuses it before the clone, and
    // this checks that the switch happened at all.
    let (u, g) = (nix::unistd::getresuid(), nix::unistd::getresgid());
    if let (Ok(u), Ok(g)) = (u, g)
        && (u.real.as_raw() != uid
            || u.effective.as_raw() != uid
            || g.real.as_raw() != gid
            || g.effective.as_raw() != gid)
    {
        return Err(Error::refused(
            Some("/process/user".into()),
            format!("switching to {uid}:{gid}"),
            format!("the process is {}:{}", u.effective, g.effective),
        ));
    }
    crate::process::caps::apply(&caps)
        .map_err(err_at("/process/capabilities", "setting capabilities"))?;
    confine.labels.apply(proc)?;
    if nnp {
        nix::sys::prctl::set_no_new_privs()
            .map_err(err_at("/process/noNewPrivileges", "no_new_privs"))?;
    }
    if let Some(mask) = user.umask {
        nix::sys::stat::umask(Mode::from_bits_truncate(mask));
    }
    let mut env: Vec<String> = process.env.clone().unwrap_or_default();
    if !env.iter().any(|e| e.starts_with("HOME=")) {
        // As runc does (docker and ctr rely on it): HOME from the container's /etc/passwd for
        // the process's uid, else `/`.
        env.push(format!("HOME={}", home_of(uid)));
    }
    let args = process.args.as_deref().unwrap_or_default();
    let Some(cmd) = args.first() else {
        return Err(Error::config(
            "/process/args",
            "empty (config.md § Process: args MUST have one entry)",
        ));
    };
    let path = lookup(cmd, &env)?;
    let argv: Vec<CString> = args
        .iter()
        .map(|a| CString::new(a.as_str()))
        .collect::<Result<_, _>>()
        .map_err(nul("/process/args"))?;
    let envp: Vec<CString> = env
        .iter()
        .map(|a| CString::new(a.as_str()))
        .collect::<Result<_, _>>()
        .map_err(nul("/process/env"))?;
    let listen = std::env::var("LISTEN_FDS")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0);
    let first_free = 3 + i32::try_from(preserve_fds + listen).unwrap_or(0);
    crate::sys::cloexec_from(first_free).map_err(err("closing fds"))?;
    Ok(Ready {
        path,
        argv,
        envp,
        cmd: cmd.clone(),
        first_free,
        late: confine,
    })
}

/// The home directory of `uid` in the container's `/etc/passwd` (read now, from inside the
/// container: a regular file only, at most 1 MiB), or `/`.
fn home_of(uid: u32) -> String {
    use std::io::Read;
    let passwd = nix::fcntl::open(
        "/etc/passwd",
        nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map(std::fs::File::from)
    .ok()
    .filter(|f| f.metadata().is_ok_and(|m| m.is_file()));
    let mut text = String::new();
    if let Some(f) = passwd {
        let _ = f.take(1 << 20).read_to_string(&mut text);
    }
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() >= 7 && f[2].parse::<u32>().ok() == Some(uid)).then(|| f[5].to_owned())
        })
        .find(|h| !h.is_empty())
        .unwrap_or_else(|| "/".to_owned())
}

/// Writes `process.oomScoreAdj` for the process `pid`, from the runtime, through the host's
/// procfs: the container's process may no longer be allowed to (once it is not dumpable in a
/// user namespace, its /proc files belong to the host's root), and nothing in the container can
/// redirect this write.
pub(crate) fn write_oom_score_adj(pid: i32, process: &Process) -> Res<()> {
    let Some(adj) = process.oom_score_adj else {
        return Ok(());
    };
    let proc = Proc::host().map_err(err("opening the host's /proc"))?;
    proc.write(&format!("{pid}/oom_score_adj"), adj.to_string().as_bytes())
        .map_err(err_at("/process/oomScoreAdj", "writing oom_score_adj"))
}
