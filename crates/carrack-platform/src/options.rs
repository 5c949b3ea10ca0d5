//! Options of create, run, exec and kill, as the OCI runtime command line gives them: a part
//! every backend understands, and a part per backend that the others ignore.

use std::path::PathBuf;

/// Options of [`crate::Platform::create`] and [`crate::Platform::run`].
///
/// ```
/// let mut o = carrack_platform::CreateOptions::new("/srv/bundle");
/// o.pid_file = Some("/run/web.pid".into());
/// o.linux.no_pivot = true;
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CreateOptions {
    /// The bundle directory.
    pub bundle: PathBuf,
    /// Write the init process's pid here.
    pub pid_file: Option<PathBuf>,
    /// An AF_UNIX socket (a named pipe on Windows) to send the terminal to, when the
    /// configuration asks for one (`process.terminal`).
    pub console_socket: Option<PathBuf>,
    /// Pass descriptors 3..3+N on to the container process (besides stdio and `$LISTEN_FDS`).
    pub preserve_fds: u32,
    /// What only the Linux backend reads.
    pub linux: LinuxCreateOptions,
}

/// The Linux part of [`CreateOptions`] (runc's flags of the same names).
///
/// ```
/// let mut l = carrack_platform::LinuxCreateOptions::default();
/// l.pidfd_socket = Some("/run/pidfd.sock".into());
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct LinuxCreateOptions {
    /// Use `MS_MOVE` + chroot instead of pivot_root (for a root filesystem on ramfs).
    pub no_pivot: bool,
    /// Do not create a new session keyring.
    pub no_new_keyring: bool,
    /// An AF_UNIX socket to send a pidfd of the container's init to (`--pidfd-socket`).
    pub pidfd_socket: Option<PathBuf>,
}

impl CreateOptions {
    /// Options for `bundle`, everything else default.
    pub fn new(bundle: impl Into<PathBuf>) -> Self {
        Self {
            bundle: bundle.into(),
            ..Self::default()
        }
    }
}

/// Options of [`crate::Platform::run`] beyond those of create.
///
/// ```
/// let mut r = carrack_platform::RunOptions::default();
/// r.keep = true;
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct RunOptions {
    /// Return once the process started, leaving the container running.
    pub detach: bool,
    /// Keep the container (stopped) after its process exits instead of deleting it.
    pub keep: bool,
}

/// Options of [`crate::Platform::exec`].
///
/// ```
/// let mut o = carrack_platform::ExecOptions::default();
/// o.detach = true;
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ExecOptions {
    /// Write the new process's pid here.
    pub pid_file: Option<PathBuf>,
    /// An AF_UNIX socket (a named pipe on Windows) to send the terminal to.
    pub console_socket: Option<PathBuf>,
    /// Pass descriptors 3..3+N on to the process.
    pub preserve_fds: u32,
    /// Return once the process started instead of waiting for it.
    pub detach: bool,
    /// What only the Linux backend reads.
    pub linux: LinuxExecOptions,
}

/// The Linux part of [`ExecOptions`].
///
/// ```
/// let mut l = carrack_platform::LinuxExecOptions::default();
/// l.pidfd_socket = Some("/run/pidfd.sock".into());
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct LinuxExecOptions {
    /// An AF_UNIX socket to send a pidfd of the new process to.
    pub pidfd_socket: Option<PathBuf>,
}

/// Options of [`crate::Platform::kill`].
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct KillOptions {
    /// Signal every process of the container, not only its init.
    pub all: bool,
}

/// How a process the platform waited for ended, as a shell and runc report it: its exit code,
/// or 128 + the signal's number when a signal ended it; or, detached, that it was started.
///
/// ```
/// use carrack_platform::Exit;
/// assert_eq!(Exit::Code(3).code(), 3);
/// assert_eq!(Exit::Started { pid: 42 }.code(), 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Exit {
    /// The process ended with this status (128 + signal when a signal ended it).
    Code(i32),
    /// Detached: the process started and runs on; its pid as the host sees it.
    Started {
        /// The process id.
        pid: u32,
    },
}

impl Exit {
    /// The status a command line reports: the exit code, 0 for a detached start.
    pub fn code(self) -> i32 {
        match self {
            Exit::Code(c) => c,
            Exit::Started { .. } => 0,
        }
    }
}
