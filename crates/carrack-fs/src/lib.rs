//! The safe-path primitives of carrack, in one place:
//!
//! * [`InRoot`] (Linux) opens a path *inside* a root directory with `openat2(RESOLVE_IN_ROOT |
//!   RESOLVE_NO_MAGICLINKS)`: every symlink, absolute or relative, and every `..` is resolved as
//!   if the root were `/`, so nothing a hostile tree contains can name a file outside it.
//!   Missing directories (and a last empty file) can be created on the way, each step resolved
//!   again from the root, so a symlink swapped in between two steps is still followed inside it.
//! * [`list`], [`walk`] and [`remove_tree`] (Unix) work relative to directory descriptors and
//!   never follow a symlink: a tree can be listed, visited and removed even when it holds
//!   symlinks pointing anywhere. Names are [`OsStr`](std::ffi::OsStr), `EINTR` is retried.
//! * [`Replace`] writes a file atomically: a temporary file beside it, written, synced,
//!   renamed over it, the directory synced.
//!
//! Errors are [`Error`]: they name the path and the operation and keep the `errno`
//! ([`Error::raw_os_error`]); `From<Error> for std::io::Error` gives back the OS error itself.
//!
//! The crate builds on every OS: on one without the Unix parts only [`Error`], [`Replace`]
//! (by path) and [`temp_name`] are there.
//!
//! ```
//! # #[cfg(target_os = "linux")] {
//! use carrack_fs::InRoot;
//! let dir = tempfile::tempdir()?;
//! let root = carrack_fs::open_dir(dir.path())?;
//! std::os::unix::fs::symlink("/host-etc", dir.path().join("etc"))?;
//! // Inside the root, the absolute link names the root's own /host-etc: that is where the
//! // directories are made, never on the host.
//! InRoot::new().create_dirs().create_dangling_targets().open(&root, "etc/carrack")?;
//! assert!(dir.path().join("host-etc/carrack").is_dir());
//! assert!(!std::path::Path::new("/host-etc").exists());
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod atomic;
#[cfg(unix)]
mod dir;
mod error;
mod kernel;
#[cfg(target_os = "linux")]
mod root;

pub use atomic::{Replace, temp_name};
#[cfg(unix)]
pub use dir::{
    FileInfo, FileKind, WalkEntry, create_new, ensure_dir, info_at, list, open_dir, open_dir_at,
    open_file_at, open_or_create, remove_tree, rename_at, unlink_at, walk,
};
pub use error::{Error, Result};
pub use kernel::read_kernel_file;
#[cfg(target_os = "linux")]
pub use root::{InRoot, clean, read_in_root};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
