//! The container lifecycle behind runc's command line: create, start, run, state, kill, delete,
//! list, ps, pause, resume, features, spec. Errors go to stderr and, with `--log`, to the log
//! file as logrus-style JSON lines (`level`, `msg`, `time`), which containerd and podman read.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use carrack_platform::{
    ContainerId, CreateOptions, Event, ExecOverrides, KillOptions, Platform, Resources, RunOptions,
    Signal,
};
use carrack_spec::Document;

mod args;

pub(crate) use args::*;

/// The process `exec` runs: `--process`'s JSON as it is, or the container's own process with
/// the command line's overrides.
fn exec_process(
    p: &dyn Platform,
    a: &ExecArgs,
) -> Result<carrack_spec::runtime::Process, carrack_platform::Error> {
    let bad = |reason: String| carrack_platform::Error::Config {
        path: a.process.clone().unwrap_or_else(|| PathBuf::from("exec")),
        reason,
    };
    let (base, args, terminal) = match &a.process {
        Some(f) => {
            let bytes = std::fs::read(f).map_err(|e| bad(e.to_string()))?;
            let p = serde_json::from_slice::<carrack_spec::runtime::Process>(&bytes)
                .map_err(|e| bad(e.to_string()))?;
            (p, Vec::new(), None)
        }
        None => {
            if a.args.is_empty() {
                return Err(bad("a command or --process is needed".into()));
            }
            (p.process(&id(&a.id)?)?, a.args.clone(), Some(a.tty))
        }
    };
    let mut o = ExecOverrides::new(args);
    o.terminal = terminal;
    o.cwd.clone_from(&a.cwd);
    o.env.clone_from(&a.env);
    o.user.clone_from(&a.user);
    o.additional_gids.clone_from(&a.additional_gids);
    o.caps.clone_from(&a.caps);
    o.no_new_privileges = a.no_new_privs;
    o.selinux_label.clone_from(&a.process_label);
    o.apparmor_profile.clone_from(&a.apparmor);
    o.apply(base)
}

pub(crate) fn state_root(g: &Global) -> PathBuf {
    g.root
        .clone()
        .unwrap_or_else(crate::host::default_state_root)
}

fn log_line(g: &Global, level: &str, msg: &str) {
    let Some(path) = &g.log else { return };
    crate::runtime_log::write(path, g.log_format, level, msg);
}

fn fail(g: &Global, e: &dyn std::fmt::Display) -> ExitCode {
    let msg = e.to_string();
    log_line(g, "error", &msg);
    eprintln!("carrack: {msg}");
    ExitCode::from(1)
}

fn id(s: &str) -> Result<ContainerId, carrack_platform::Error> {
    ContainerId::new(s)
}

/// `p` made absolute against the current directory (the pid file outlives the caller's cwd).
fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

fn create_options(a: &CreateArgs) -> CreateOptions {
    let mut o = CreateOptions::new(&a.bundle);
    o.pid_file = a.pid_file.as_deref().map(absolute);
    o.console_socket.clone_from(&a.console_socket);
    o.preserve_fds = a.preserve_fds;
    o.linux.no_pivot = a.no_pivot;
    o.linux.no_new_keyring = a.no_new_keyring;
    o.linux.pidfd_socket.clone_from(&a.pidfd_socket);
    o
}

fn write_spec(bundle: &Path, rootless: bool) -> Result<(), String> {
    let path = bundle.join("config.json");
    let spec = crate::host::default_spec(rootless)?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| {
            format!(
                "{}: {e} (refusing to overwrite an existing config.json)",
                path.display()
            )
        })?;
    f.write_all(spec.to_string_pretty().as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs a lifecycle command.
pub(crate) fn run(g: &Global, cmd: Command) -> ExitCode {
    crate::runtime_log::install(g);
    if g.debug {
        log_line(g, "debug", &format!("{cmd:?}"));
    }
    if let Command::Spec { bundle, rootless } = &cmd {
        return match write_spec(bundle, *rootless) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(g, &e),
        };
    }
    if let Command::Features { os } = &cmd {
        // Described, not probed: no state store is needed.
        let f = os.map_or_else(crate::host::features, crate::plan::features);
        println!("{}", f.to_string_pretty());
        return ExitCode::SUCCESS;
    }
    let platform = match crate::host::platform(state_root(g)) {
        Ok(p) => p,
        Err(e) => return fail(g, &e),
    };
    let p: &dyn Platform = platform.as_ref();
    let r: Result<ExitCode, carrack_platform::Error> = (|| {
        match cmd {
            Command::Create(a) => {
                p.create(&id(&a.id)?, &create_options(&a))?;
            }
            Command::Start { id: i } => p.start(&id(&i)?)?,
            Command::Run {
                create,
                detach,
                keep,
            } => {
                let mut run = RunOptions::default();
                run.detach = detach;
                run.keep = keep;
                let exit = p.run(&id(&create.id)?, &create_options(&create), run)?;
                return Ok(ExitCode::from(u8::try_from(exit.code()).unwrap_or(1)));
            }
            Command::State { id: i } => println!("{}", p.state(&id(&i)?)?.to_runc_json()),
            Command::Kill { all, id: i, signal } => {
                let sig: Signal = signal.parse()?;
                let mut o = KillOptions::default();
                o.all = all;
                p.kill(&id(&i)?, sig, o)?;
            }
            Command::Delete { force, id: i } => p.delete(&id(&i)?, force)?,
            Command::List { format, quiet } => {
                let all = p.list()?;
                if quiet {
                    for s in &all {
                        println!("{}", s.id);
                    }
                } else if format == "json" {
                    let rows: Vec<serde_json::Value> = all
                        .iter()
                        .map(|s| serde_json::from_str(&s.to_runc_json()).unwrap_or_default())
                        .collect();
                    println!("{}", serde_json::to_string(&rows).unwrap_or_default());
                } else {
                    println!(
                        "{:<20} {:<8} {:<10} {:<40} {:<32} OWNER",
                        "ID", "PID", "STATUS", "BUNDLE", "CREATED"
                    );
                    for s in &all {
                        println!(
                            "{:<20} {:<8} {:<10} {:<40} {:<32} {}",
                            s.id,
                            s.pid,
                            s.status.to_string(),
                            s.bundle,
                            s.created,
                            s.owner
                        );
                    }
                }
            }
            Command::Ps {
                format,
                id: i,
                ps_args,
            } => {
                let pids = p.ps(&id(&i)?)?;
                if format == "json" {
                    println!("{}", serde_json::to_string(&pids).unwrap_or_default());
                } else {
                    let mut cmd = std::process::Command::new("ps");
                    cmd.args(if ps_args.is_empty() {
                        vec!["-ef".to_owned()]
                    } else {
                        ps_args
                    });
                    let out = cmd
                        .output()
                        .map_err(|e| carrack_platform::Error::io("ps", e))?;
                    let text = String::from_utf8_lossy(&out.stdout);
                    let mut lines = text.lines();
                    if let Some(h) = lines.next() {
                        println!("{h}");
                        let col = h.split_whitespace().position(|c| c == "PID").unwrap_or(1);
                        for l in lines {
                            let p = l
                                .split_whitespace()
                                .nth(col)
                                .and_then(|p| p.parse::<u32>().ok());
                            if p.is_some_and(|p| pids.contains(&p)) {
                                println!("{l}");
                            }
                        }
                    }
                }
            }
            Command::Exec(a) => {
                let process = exec_process(p, &a)?;
                let mut o = carrack_platform::ExecOptions::default();
                o.detach = a.detach;
                o.pid_file = a.pid_file.as_deref().map(absolute);
                o.console_socket.clone_from(&a.console_socket);
                o.preserve_fds = a.preserve_fds;
                o.linux.pidfd_socket.clone_from(&a.pidfd_socket);
                let exit = p.exec(&id(&a.id)?, &process, &o)?;
                return Ok(ExitCode::from(u8::try_from(exit.code()).unwrap_or(1)));
            }
            Command::Update { resources, id: i } => {
                let bytes = if resources.as_os_str() == "-" {
                    let mut v = Vec::new();
                    std::io::Read::read_to_end(&mut std::io::stdin(), &mut v).map_err(|e| {
                        carrack_platform::Error::io("reading --resources from stdin", e)
                    })?;
                    v
                } else {
                    std::fs::read(&resources).map_err(|e| {
                        carrack_platform::Error::io(format!("{}", resources.display()), e)
                    })?
                };
                let r = Resources::from_json(p.resources_kind(), &bytes, &resources)?;
                p.update(&id(&i)?, &r)?;
            }
            Command::Events {
                stats,
                interval,
                id: i,
            } => {
                let i = id(&i)?;
                let secs: f64 = interval.trim_end_matches('s').parse().unwrap_or(5.0);
                let every = std::time::Duration::from_secs_f64(secs.max(0.1));
                if stats {
                    let e = Event::Stats(Box::new(p.stats(&i)?));
                    println!("{}", e.to_runc_json(&i));
                    return Ok(ExitCode::SUCCESS);
                }
                // Streaming, as runc: stats every interval, an `oom` event as soon as the OOM
                // killer strikes (its counter is polled every 100 ms), until the container stops.
                let poll = std::time::Duration::from_millis(100);
                carrack_platform::events::watch(p, &i, every, poll, |e| {
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "{}", e.to_runc_json(&i)).is_ok() && out.flush().is_ok()
                })?;
            }
            Command::Pause { id: i } => p.pause(&id(&i)?)?,
            Command::Resume { id: i } => p.resume(&id(&i)?)?,
            Command::Features { .. } | Command::Spec { .. } => {}
        }
        Ok(ExitCode::SUCCESS)
    })();
    match r {
        Ok(c) => c,
        Err(e) => fail(g, &e),
    }
}
