//! Options of create, exec and kill, as runc's command line gives them.

use std::path::PathBuf;

/// Options of [`crate::Platform::create`].
///
/// ```
/// let mut o = carrack_platform::CreateOptions::new("/srv/bundle");
/// o.pid_file = Some("/run/web.pid".into());
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CreateOptions {
    /// The bundle directory.
    pub bundle: PathBuf,
    /// Write the init process's pid here.
    pub pid_file: Option<PathBuf>,
    /// An AF_UNIX socket to send the pty master to (when `process.terminal`).
    pub console_socket: Option<PathBuf>,
    /// Pass fds 3..3+N on to the container process (besides stdio and `$LISTEN_FDS`).
    pub preserve_fds: u32,
    /// Use `MS_MOVE` + chroot instead of pivot_root (for ramfs roots).
    pub no_pivot: bool,
    /// Do not create a new session keyring.
    pub no_new_keyring: bool,
    /// An AF_UNIX socket to send a pidfd of the container's init to (runc's `--pidfd-socket`).
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

/// Options of [`crate::Platform::exec`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ExecOptions {
    /// Write the new process's pid here.
    pub pid_file: Option<PathBuf>,
    /// An AF_UNIX socket to send the pty master to.
    pub console_socket: Option<PathBuf>,
    /// Pass fds 3..3+N on to the process.
    pub preserve_fds: u32,
    /// Return once the process started instead of waiting for it.
    pub detach: bool,
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
