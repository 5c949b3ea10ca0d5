//! `exec`: another process in a running container. The runtime forks; the child enters the
//! container's v1 cgroups by itself, joins its namespaces (user first) and forks again so the
//! process is inside the pid namespace; the parent moves it into the cgroup2 one, if any,
//! before letting it run, then waits for it (the runtime is its subreaper) or, detached,
//! returns once it exec'd.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;

use carrack_platform::{Error, ExecOptions, Exit, Result};
use carrack_spec::runtime::{Process, Spec};
use nix::sched::CloneFlags;
use nix::unistd::Pid;

use crate::error::Report;
use crate::sys::Cloned;

/// Errors of `exec` name its process's fields (`/process/...`), not a config file's.
const PROCESS: &str = "process";

fn bad(e: crate::Error) -> Error {
    e.into_platform(std::path::Path::new(PROCESS), false)
}

/// Writes `e` to the report pipe, for the runtime to read back with its errno and pointer.
fn send_report(to: &mut File, e: &crate::Error) {
    let _ = to.write_all(&Report::from(e).to_bytes());
}

fn os(what: &str) -> impl FnOnce(nix::Error) -> Error + '_ {
    move |e| Error::io(what, e.into())
}

/// Runs `process` in the container whose init is `pid`, in the namespaces `spec` lists and the
/// cgroups `cgroups`; returns the exit status (0 once started when detached).
pub(crate) fn exec(
    pid: i32,
    state: &carrack_spec::runtime::State,
    spec: &Spec,
    cgroups: &[std::path::PathBuf],
    process: &Process,
    opts: &ExecOptions,
    trampoline: Option<&OwnedFd>,
) -> Result<Exit> {
    let mut namespaces: Vec<(CloneFlags, File)> = Vec::new();
    for n in spec
        .linux
        .as_ref()
        .and_then(|l| l.namespaces.as_ref())
        .into_iter()
        .flatten()
    {
        let Some((name, flag)) = crate::namespaces::proc_name(&n.kind) else {
            continue;
        };
        let path = format!("/proc/{pid}/ns/{name}");
        let f = File::open(&path).map_err(|e| Error::io(path.clone(), e))?;
        namespaces.push((flag, f));
    }
    // User first (it owns the others), mount before pid so /proc stays the host's meanwhile.
    namespaces.sort_by_key(|(f, _)| match *f {
        CloneFlags::CLONE_NEWUSER => 0,
        CloneFlags::CLONE_NEWPID => 2,
        _ => 1,
    });
    let (labels, seccomp) = crate::confine::check(spec, process).map_err(bad)?;
    let listener = match &seccomp {
        Some(f) => crate::confine::seccomp::Listener::connect(f, state.clone()).map_err(bad)?,
        None => None,
    };
    let confine = crate::process::Confine {
        caps: crate::process::caps::plan(process.capabilities.as_ref()),
        labels,
        seccomp: seccomp.as_ref(),
        listener,
        pid: 0,
    };
    let terminal = process.terminal == Some(true);
    let console: Option<OwnedFd> = match (&opts.console_socket, terminal) {
        (Some(p), true) => Some(
            UnixStream::connect(p)
                .map_err(|e| Error::io(format!("console socket {}", p.display()), e))?
                .into(),
        ),
        (None, true) if opts.detach => {
            return Err(Error::Config {
                path: "process".into(),
                reason: "a terminal for a detached exec needs --console-socket".into(),
            });
        }
        _ => None,
    };
    // go: parent → process (after the cgroup join); report: process → parent (exec errors;
    // closed on a successful exec); pid: intermediate → parent.
    let (go_r, go_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(os("pipe"))?;
    let (rep_r, rep_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(os("pipe"))?;
    let (pid_r, pid_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(os("pipe"))?;
    // The host's procfs: the exec'd process writes its oom_score_adj and LSM labels through it,
    // never through the container's /proc (see procfs::Proc).
    let proc = crate::procfs::Proc::host().map_err(|e| Error::io("opening the host's /proc", e))?;
    // Without a mount namespace of its own the container shares the host's, and its root is
    // init's chroot: the process enters the same one.
    let chroot = if namespaces
        .iter()
        .any(|(f, _)| *f == CloneFlags::CLONE_NEWNS)
    {
        None
    } else {
        Some(
            nix::fcntl::openat(
                proc.as_fd(),
                format!("{pid}/root").as_str(),
                nix::fcntl::OFlag::O_PATH
                    | nix::fcntl::OFlag::O_DIRECTORY
                    | nix::fcntl::OFlag::O_CLOEXEC,
                nix::sys::stat::Mode::empty(),
            )
            .map(File::from)
            .map_err(|e| Error::io("the container's root", e.into()))?,
        )
    };
    crate::sys::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0).map_err(|e| Error::io("subreaper", e))?;
    // The v1 cgroups (those with a `tasks` file) the middle process enters itself before it
    // forks the process, which so starts in them; the middle process is cloned into the
    // cgroup2 one (see carrack_cgroups::create for why).
    let (v1, v2): (Vec<_>, Vec<_>) = cgroups
        .iter()
        .cloned()
        .partition(|d| d.join("tasks").exists());
    let v2 = v2.into_iter().find(|d| d.join("cgroup.procs").exists());
    let middle = match crate::spawn::clone_checked_into("exec", 0, v2.as_deref()).map_err(bad)? {
        Cloned::Child(single) => {
            // Joining a running container: its processes must not reach this binary through
            // /proc/PID/exe before the exec (CVE-2019-5736). execve makes the process dumpable
            // again for its own binary.
            let _ = crate::sys::prctl(libc::PR_SET_DUMPABLE, 0, 0);
            drop(go_w);
            drop(rep_r);
            drop(pid_r);
            let code = middle_child(
                Entry {
                    v1_cgroups: &v1,
                    namespaces,
                    chroot,
                    trampoline,
                    single,
                },
                Pipes {
                    go: go_r,
                    report: rep_w,
                    pid_out: pid_w,
                },
                console,
                process,
                opts.preserve_fds,
                confine,
                &proc,
            );
            std::process::exit(code)
        }
        Cloned::Parent(p) => p,
    };
    drop(go_r);
    drop(rep_w);
    drop(pid_w);
    drop(namespaces);
    let mut buf = [0u8; 4];
    let mut pid_file = File::from(pid_r);
    let got = pid_file.read_exact(&mut buf);
    let _ = nix::sys::wait::waitpid(Pid::from_raw(middle), None);
    let mut rep_r = File::from(rep_r);
    if got.is_err() {
        // The middle process said why it stopped, or at least that it did.
        let mut why = Vec::new();
        let _ = rep_r.read_to_end(&mut why);
        if why.is_empty() {
            return Err(Error::Init(
                "exec: could not enter the container's namespaces".into(),
            ));
        }
        return Err(from_child(&why));
    }
    let child = i32::from_le_bytes(buf);
    if let Err(e) = crate::process::write_oom_score_adj(child, process) {
        let _ = nix::sys::signal::kill(Pid::from_raw(child), nix::sys::signal::Signal::SIGKILL);
        let _ = nix::sys::wait::waitpid(Pid::from_raw(child), None);
        return Err(bad(e));
    }
    // The go message is the process's pid as the runtime sees it (for a seccomp agent).
    File::from(go_w)
        .write_all(&child.to_le_bytes())
        .map_err(|e| Error::io("sync", e))?;
    let mut said = Vec::new();
    let _ = rep_r.read_to_end(&mut said);
    if !said.is_empty() {
        let _ = nix::sys::wait::waitpid(Pid::from_raw(child), None);
        return Err(match crate::spawn::trampoline::report(&said) {
            // The exec trampoline's report of a failed exec.
            Some(e) => {
                let program = process
                    .args
                    .as_ref()
                    .and_then(|a| a.first())
                    .map_or("", String::as_str);
                bad(crate::Error::sys_at(
                    "/process/args/0",
                    format!("exec {program:?}"),
                    e,
                ))
            }
            None => from_child(&said),
        });
    }
    if let Some(p) = &opts.pid_file {
        let tmp = p.with_extension("carrack-tmp");
        std::fs::write(&tmp, child.to_string())
            .and_then(|()| std::fs::rename(&tmp, p))
            .map_err(|e| Error::io(format!("pid file {}", p.display()), e))?;
    }
    if let Some(sock) = &opts.linux.pidfd_socket {
        crate::spawn::handoff::send_pidfd(sock, child).map_err(bad)?;
    }
    if opts.detach {
        return Ok(Exit::Started {
            pid: u32::try_from(child).unwrap_or(0),
        });
    }
    crate::wait::exit_code(child)
        .map(Exit::Code)
        .map_err(|e| Error::io("waiting for the exec'd process", e))
}

/// The child's ends: `go` (pid from the parent once it may run), `report` (errors before exec),
/// `pid_out` (the grandchild's pid, from the intermediate process).
struct Pipes {
    go: OwnedFd,
    report: OwnedFd,
    pid_out: OwnedFd,
}

/// How the middle process enters the container: its v1 cgroups, its namespaces (opened), and
/// its root when it has no mount namespace of its own.
struct Entry<'a> {
    v1_cgroups: &'a [std::path::PathBuf],
    namespaces: Vec<(CloneFlags, File)>,
    chroot: Option<File>,
    /// The sealed exec trampoline, if the program must be exec'd through one.
    trampoline: Option<&'a OwnedFd>,
    /// The middle process is the child of a clone, with a single thread.
    single: crate::sys::SingleThreaded,
}

fn middle_child(
    Entry {
        v1_cgroups,
        namespaces,
        chroot,
        trampoline,
        single,
    }: Entry<'_>,
    Pipes {
        go,
        report,
        pid_out,
    }: Pipes,
    console: Option<OwnedFd>,
    process: &Process,
    preserve_fds: u32,
    mut confine: crate::process::Confine<'_>,
    proc: &crate::procfs::Proc,
) -> i32 {
    let mut out = File::from(report);
    if let Err(e) = carrack_cgroups::enter_self(v1_cgroups) {
        send_report(
            &mut out,
            &crate::Error::sys("joining the container's cgroup", e),
        );
        return 1;
    }
    for (flag, f) in &namespaces {
        if let Err(e) = nix::sched::setns(f, *flag) {
            send_report(&mut out, &crate::Error::sys(format!("setns {flag:?}"), e));
            return 1;
        }
    }
    drop(namespaces);
    if let Some(root) = chroot {
        let entered = nix::unistd::fchdir(&root)
            .and_then(|()| nix::unistd::chroot("."))
            .and_then(|()| nix::unistd::chdir("/"));
        if let Err(e) = entered {
            send_report(
                &mut out,
                &crate::Error::sys("entering the container's root", e),
            );
            return 1;
        }
    }
    // /proc is the container's by now: the proof of a single thread came with the clone.
    match crate::sys::clone(&single, 0) {
        Ok(Cloned::Child(_)) => {
            drop(pid_out);
            let mut go = File::from(go);
            let mut b = [0u8; 4];
            if go.read_exact(&mut b).is_err() {
                std::process::exit(1);
            }
            confine.pid = i32::from_le_bytes(b);
            let r = (|| -> crate::Result<std::convert::Infallible> {
                if let Some(sock) = &console {
                    // setns into the mount namespace made its root this process's root.
                    let root = nix::fcntl::open(
                        "/",
                        nix::fcntl::OFlag::O_PATH
                            | nix::fcntl::OFlag::O_DIRECTORY
                            | nix::fcntl::OFlag::O_CLOEXEC,
                        nix::sys::stat::Mode::empty(),
                    )
                    .map(File::from)
                    .map_err(|e| crate::Error::sys("/", e))?;
                    crate::dev::console::setup(sock, &root, false)?;
                }
                drop(console);
                crate::process::prepare(process, preserve_fds, confine, proc)?.exec(
                    Some(std::os::fd::AsFd::as_fd(&out)),
                    trampoline.map(std::os::fd::AsFd::as_fd),
                )
            })();
            let e = match r {
                Ok(never) => match never {},
                Err(e) => e,
            };
            send_report(&mut out, &e);
            std::process::exit(127)
        }
        Ok(Cloned::Parent(child)) => {
            let _ = File::from(pid_out).write_all(&child.to_le_bytes());
            0
        }
        Err(e) => {
            send_report(
                &mut out,
                &crate::Error::sys("fork inside the pid namespace", e),
            );
            1
        }
    }
}

/// What the process (or the middle one) reported before it could exec, as the runtime reports
/// it.
fn from_child(bytes: &[u8]) -> Error {
    crate::Error::from(Report::from_bytes(bytes)).into_platform(std::path::Path::new(PROCESS), true)
}
