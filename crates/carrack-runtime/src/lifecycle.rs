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
use carrack_spec::runtime::Spec;

/// Global options, given before the subcommand as runc takes them.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct Global {
    /// Directory for container state (default /run/carrack, or $XDG_RUNTIME_DIR/carrack when
    /// not root).
    #[arg(long, value_name = "DIR")]
    pub(crate) root: Option<PathBuf>,
    /// Append errors and debug messages to this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) log: Option<PathBuf>,
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
    /// Log debug messages too.
    #[arg(long)]
    pub(crate) debug: bool,
    /// Accepted for runc compatibility: cgroupsPath in slice:prefix:name form is mapped onto the
    /// systemd hierarchy's directories.
    #[arg(long)]
    pub(crate) systemd_cgroup: bool,
    /// Accepted for runc compatibility (true, false or auto).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub(crate) rootless: Option<String>,
}

/// Log formats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Options shared by create and run.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct CreateArgs {
    /// The container id.
    pub(crate) id: String,
    /// The bundle directory (default: the current directory).
    #[arg(long, short, value_name = "DIR", default_value = ".")]
    pub(crate) bundle: PathBuf,
    /// Write the container's init pid to this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) pid_file: Option<PathBuf>,
    /// AF_UNIX socket to receive the pty master when process.terminal is true.
    #[arg(long, value_name = "PATH")]
    pub(crate) console_socket: Option<PathBuf>,
    /// Pass N more fds (3..3+N) to the container process.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) preserve_fds: u32,
    /// Do not use pivot_root (for a rootfs on ramfs).
    #[arg(long)]
    pub(crate) no_pivot: bool,
    /// Do not create a new session keyring.
    #[arg(long)]
    pub(crate) no_new_keyring: bool,
    /// AF_UNIX socket to receive a pidfd of the container's init.
    #[arg(long, value_name = "PATH")]
    pub(crate) pidfd_socket: Option<PathBuf>,
}

/// Options of exec, as runc takes them.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ExecArgs {
    /// The process as JSON (config.md § process); otherwise the container's process with ARGS.
    #[arg(long, short, value_name = "FILE")]
    process: Option<PathBuf>,
    /// Return once the process started.
    #[arg(long, short)]
    detach: bool,
    /// Write the process's pid here.
    #[arg(long, value_name = "FILE")]
    pid_file: Option<PathBuf>,
    /// AF_UNIX socket to receive the pty master.
    #[arg(long, value_name = "PATH")]
    console_socket: Option<PathBuf>,
    /// Allocate a terminal.
    #[arg(long, short)]
    tty: bool,
    /// Working directory in the container.
    #[arg(long, value_name = "DIR")]
    cwd: Option<String>,
    /// Set an environment variable (KEY=VALUE, repeatable).
    #[arg(long, short, value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// The user to run as: UID or UID:GID.
    #[arg(long, short, value_name = "UID[:GID]")]
    user: Option<String>,
    /// Additional group ids (repeatable).
    #[arg(long, short = 'g', value_name = "GID")]
    additional_gids: Vec<u32>,
    /// Add a capability to the bounding, effective and permitted sets (never inheritable or
    /// ambient: CVE-2022-29162).
    #[arg(long = "cap", short = 'c', value_name = "CAP")]
    caps: Vec<String>,
    /// Set no_new_privs.
    #[arg(long)]
    no_new_privs: bool,
    /// Pass N more fds (3..3+N) to the process.
    #[arg(long, value_name = "N", default_value_t = 0)]
    preserve_fds: u32,
    /// The SELinux label the process runs with.
    #[arg(long, value_name = "LABEL")]
    process_label: Option<String>,
    /// The AppArmor profile the process runs under.
    #[arg(long, value_name = "PROFILE")]
    apparmor: Option<String>,
    /// AF_UNIX socket to receive a pidfd of the new process.
    #[arg(long, value_name = "PATH")]
    pidfd_socket: Option<PathBuf>,
    /// The container id.
    id: String,
    /// The command and its arguments (without --process).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

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

/// Lifecycle commands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Create a container: everything set up, the process waiting for `start`.
    Create(CreateArgs),
    /// Start the process of a created container.
    Start {
        /// The container id.
        id: String,
    },
    /// Create and start a container; wait for it and delete it unless --detach.
    Run {
        #[command(flatten)]
        create: CreateArgs,
        /// Return once started.
        #[arg(long, short)]
        detach: bool,
        /// Keep the container's state after it exits.
        #[arg(long)]
        keep: bool,
    },
    /// Print a container's state as JSON.
    State {
        /// The container id.
        id: String,
    },
    /// Send a signal (name or number, default SIGTERM) to a container's init.
    Kill {
        /// Signal every process of the container.
        #[arg(long, short)]
        all: bool,
        /// The container id.
        id: String,
        /// The signal.
        #[arg(default_value = "SIGTERM")]
        signal: String,
    },
    /// Delete a container and every resource it holds.
    Delete {
        /// Kill it first if it is running.
        #[arg(long, short)]
        force: bool,
        /// The container id.
        id: String,
    },
    /// List containers.
    List {
        /// table or json.
        #[arg(long, short, default_value = "table")]
        format: String,
        /// Print only the ids.
        #[arg(long, short)]
        quiet: bool,
    },
    /// List the processes of a container.
    Ps {
        /// table or json.
        #[arg(long, short, default_value = "table")]
        format: String,
        /// The container id.
        id: String,
        /// Arguments for ps(1) in table format.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        ps_args: Vec<String>,
    },
    /// Run another process in a running container.
    Exec(ExecArgs),
    /// Change a running container's resource limits.
    Update {
        /// LinuxResources JSON (config-linux.md § Control groups); `-` reads standard input.
        #[arg(long, short, value_name = "FILE")]
        resources: PathBuf,
        /// The container id.
        id: String,
    },
    /// Print the container's cgroup statistics as runc's events do.
    Events {
        /// Print the statistics once and exit.
        #[arg(long)]
        stats: bool,
        /// Seconds between statistics when streaming (default 5).
        #[arg(long, default_value = "5s")]
        interval: String,
        /// The container id.
        id: String,
    },
    /// Freeze every process of a container.
    Pause {
        /// The container id.
        id: String,
    },
    /// Thaw a paused container.
    Resume {
        /// The container id.
        id: String,
    },
    /// Print what this runtime supports (runtime-spec features.md).
    Features,
    /// Write a default config.json (refusing to overwrite one).
    Spec {
        /// Where to write config.json.
        #[arg(long, short, value_name = "DIR", default_value = ".")]
        bundle: PathBuf,
        /// A config for an unprivileged user (user namespace, no cgroups).
        #[arg(long)]
        rootless: bool,
    },
}

pub(crate) fn state_root(g: &Global) -> PathBuf {
    if let Some(r) = &g.root {
        return r.clone();
    }
    if nix::unistd::geteuid().is_root() {
        PathBuf::from("/run/carrack")
    } else {
        std::env::var_os("XDG_RUNTIME_DIR")
            .map(|d| PathBuf::from(d).join("carrack"))
            .unwrap_or_else(|| {
                std::env::temp_dir().join(format!("carrack-{}", nix::unistd::geteuid()))
            })
    }
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
    let spec = if rootless {
        Spec::default_linux_rootless(
            nix::unistd::geteuid().as_raw(),
            nix::unistd::getegid().as_raw(),
        )
    } else {
        Spec::default_linux()
    };
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
    let platform = match crate::host::platform(state_root(g)) {
        Ok(p) => p,
        Err(e) => return fail(g, &e),
    };
    let linux: &dyn Platform = platform.as_ref();
    let r: Result<ExitCode, carrack_platform::Error> = (|| {
        match cmd {
            Command::Create(a) => {
                linux.create(&id(&a.id)?, &create_options(&a))?;
            }
            Command::Start { id: i } => linux.start(&id(&i)?)?,
            Command::Run {
                create,
                detach,
                keep,
            } => {
                let mut run = RunOptions::default();
                run.detach = detach;
                run.keep = keep;
                let exit = linux.run(&id(&create.id)?, &create_options(&create), run)?;
                return Ok(ExitCode::from(u8::try_from(exit.code()).unwrap_or(1)));
            }
            Command::State { id: i } => println!("{}", linux.state(&id(&i)?)?.to_runc_json()),
            Command::Kill { all, id: i, signal } => {
                let sig: Signal = signal.parse()?;
                let mut o = KillOptions::default();
                o.all = all;
                linux.kill(&id(&i)?, sig, o)?;
            }
            Command::Delete { force, id: i } => linux.delete(&id(&i)?, force)?,
            Command::List { format, quiet } => {
                let all = linux.list()?;
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
                let pids = linux.ps(&id(&i)?)?;
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
                let process = exec_process(linux, &a)?;
                let mut o = carrack_platform::ExecOptions::default();
                o.detach = a.detach;
                o.pid_file = a.pid_file.as_deref().map(absolute);
                o.console_socket.clone_from(&a.console_socket);
                o.preserve_fds = a.preserve_fds;
                o.linux.pidfd_socket.clone_from(&a.pidfd_socket);
                let exit = linux.exec(&id(&a.id)?, &process, &o)?;
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
                let r = Resources::from_json(linux.resources_kind(), &bytes, &resources)?;
                linux.update(&id(&i)?, &r)?;
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
                    let e = Event::Stats(Box::new(linux.stats(&i)?));
                    println!("{}", e.to_runc_json(&i));
                    return Ok(ExitCode::SUCCESS);
                }
                // Streaming, as runc: stats every interval, an `oom` event as soon as the OOM
                // killer strikes (its counter is polled every 100 ms), until the container stops.
                let poll = std::time::Duration::from_millis(100);
                carrack_platform::events::watch(linux, &i, every, poll, |e| {
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "{}", e.to_runc_json(&i)).is_ok() && out.flush().is_ok()
                })?;
            }
            Command::Pause { id: i } => linux.pause(&id(&i)?)?,
            Command::Resume { id: i } => linux.resume(&id(&i)?)?,
            Command::Features => println!("{}", linux.features().to_string_pretty()),
            Command::Spec { .. } => {}
        }
        Ok(ExitCode::SUCCESS)
    })();
    match r {
        Ok(c) => c,
        Err(e) => fail(g, &e),
    }
}
