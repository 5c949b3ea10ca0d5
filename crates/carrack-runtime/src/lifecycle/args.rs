//! The lifecycle commands' arguments: runc's global flags and verbs, as clap parses them.

use std::path::PathBuf;

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
    pub(crate) process: Option<PathBuf>,
    /// Return once the process started.
    #[arg(long, short)]
    pub(crate) detach: bool,
    /// Write the process's pid here.
    #[arg(long, value_name = "FILE")]
    pub(crate) pid_file: Option<PathBuf>,
    /// AF_UNIX socket to receive the pty master.
    #[arg(long, value_name = "PATH")]
    pub(crate) console_socket: Option<PathBuf>,
    /// Allocate a terminal.
    #[arg(long, short)]
    pub(crate) tty: bool,
    /// Working directory in the container.
    #[arg(long, value_name = "DIR")]
    pub(crate) cwd: Option<String>,
    /// Set an environment variable (KEY=VALUE, repeatable).
    #[arg(long, short, value_name = "KEY=VALUE")]
    pub(crate) env: Vec<String>,
    /// The user to run as: UID or UID:GID.
    #[arg(long, short, value_name = "UID[:GID]")]
    pub(crate) user: Option<String>,
    /// Additional group ids (repeatable).
    #[arg(long, short = 'g', value_name = "GID")]
    pub(crate) additional_gids: Vec<u32>,
    /// Add a capability to the bounding, effective and permitted sets (never inheritable or
    /// ambient: CVE-2022-29162).
    #[arg(long = "cap", short = 'c', value_name = "CAP")]
    pub(crate) caps: Vec<String>,
    /// Set no_new_privs.
    #[arg(long)]
    pub(crate) no_new_privs: bool,
    /// Pass N more fds (3..3+N) to the process.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) preserve_fds: u32,
    /// The SELinux label the process runs with.
    #[arg(long, value_name = "LABEL")]
    pub(crate) process_label: Option<String>,
    /// The AppArmor profile the process runs under.
    #[arg(long, value_name = "PROFILE")]
    pub(crate) apparmor: Option<String>,
    /// AF_UNIX socket to receive a pidfd of the new process.
    #[arg(long, value_name = "PATH")]
    pub(crate) pidfd_socket: Option<PathBuf>,
    /// The container id.
    pub(crate) id: String,
    /// The command and its arguments (without --process).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub(crate) args: Vec<String>,
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
    Features {
        /// Another backend's document instead of this host's (on any host).
        #[arg(long, value_enum)]
        os: Option<crate::plan::Os>,
    },
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
