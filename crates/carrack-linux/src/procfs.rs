//! What /proc says about a process: alive or not, and its start time (so a reused pid is never
//! mistaken for the container's init); and reading the small files of procfs, sysfs and the
//! cgroup filesystems with as few system calls as they allow.

use std::io;

/// Reads a procfs, sysfs or cgroupfs file whole (see [`carrack_fs::read_kernel_file`]).
pub(crate) use carrack_fs::read_kernel_file as read;

/// The start time (clock ticks after boot, field 22 of /proc/PID/stat) of a live, non-zombie
/// process.
pub(crate) fn start_time(pid: i32) -> Option<u64> {
    let stat = read(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    if matches!(fields.first(), Some(&"Z") | Some(&"X")) {
        return None;
    }
    fields.get(19)?.parse().ok()
}

/// The inode of the pid namespace `pid` is in (0 when it cannot be read).
pub(crate) fn pid_namespace(pid: i32) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(format!("/proc/{pid}/ns/pid")).map_or(0, |m| m.ino())
}

/// Whether `pid` is still the process that started at `started` in the pid namespace `pid_ns`
/// (0: not recorded; a namespace this process may not inspect is not held against it). The
/// start time alone counts in clock ticks, 10 ms apart: a process that
/// took the pid and started in the same tick would pass for the container's init; one in
/// another pid namespace cannot.
pub(crate) fn alive(pid: i32, started: u64, pid_ns: u64) -> bool {
    pid > 0
        && start_time(pid) == Some(started)
        && (pid_ns == 0 || matches!(pid_namespace(pid), 0) || pid_namespace(pid) == pid_ns)
}

/// A handle on procfs that no mount, bind or symlink made by a config or an image can redirect
/// (CVE-2019-16884, CVE-2025-52881): the root of a procfs instance, checked with `fstatfs`, from
/// which every file is opened with `openat2` beneath it, crossing no mount and following no
/// symlink of any kind, and checked again to be on procfs. A file with a mount over it (a bind
/// of some other file onto `/proc/sys/...`) is refused with EXDEV instead of being written.
///
/// `/proc/self` and `/proc/thread-self` are symlinks, so they are read with `readlinkat` (which
/// the kernel answers for the calling process, in the pid namespace of this procfs) and the
/// result opened as above.
#[derive(Debug)]
pub(crate) struct Proc {
    root: std::os::fd::OwnedFd,
}

/// The inode number of a procfs root (`PROC_ROOT_INO`).
const PROC_ROOT_INO: u64 = 1;

fn on_procfs(fd: impl std::os::fd::AsFd) -> io::Result<()> {
    let st = rustix::fs::fstatfs(fd)?;
    if st.f_type as u64 != rustix::fs::PROC_SUPER_MAGIC as u64 {
        return Err(io::Error::other("not on procfs"));
    }
    Ok(())
}

impl Proc {
    /// The procfs mounted at `/proc` in this process's mount namespace, checked to be the root
    /// of a procfs. In the runtime's namespace (before any pivot into a container) that is the
    /// host's own.
    pub(crate) fn host() -> io::Result<Self> {
        use rustix::fs::{Mode, OFlags};
        let root = rustix::fs::open(
            "/proc",
            OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        on_procfs(&root)?;
        if rustix::fs::fstat(&root)?.st_ino != PROC_ROOT_INO {
            return Err(io::Error::other("/proc is not the root of a procfs"));
        }
        Ok(Self { root })
    }

    /// Opens `path` (relative to the procfs root) with `flags`, beneath the root, through no
    /// symlink and across no mount, and checks the result is on procfs.
    pub(crate) fn open(&self, path: &str, flags: rustix::fs::OFlags) -> io::Result<std::fs::File> {
        use rustix::fs::{Mode, OFlags, ResolveFlags};
        let fd = rustix::fs::openat2(
            &self.root,
            path,
            flags | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::empty(),
            ResolveFlags::BENEATH
                | ResolveFlags::NO_SYMLINKS
                | ResolveFlags::NO_MAGICLINKS
                | ResolveFlags::NO_XDEV,
        )
        .map_err(|e| io::Error::new(io::Error::from(e).kind(), format!("/proc/{path}: {e}")))?;
        on_procfs(&fd).map_err(|e| io::Error::new(e.kind(), format!("/proc/{path}: {e}")))?;
        Ok(fd.into())
    }

    /// `path` below the calling thread's own directory (`/proc/thread-self/<path>`).
    pub(crate) fn thread_self(&self, path: &str) -> io::Result<String> {
        let link = rustix::fs::readlinkat(&self.root, "thread-self", Vec::new())?;
        Ok(format!("{}/{path}", link.to_string_lossy()))
    }

    /// `path` below the calling process's own directory (`/proc/self/<path>`).
    pub(crate) fn self_path(&self, path: &str) -> io::Result<String> {
        let link = rustix::fs::readlinkat(&self.root, "self", Vec::new())?;
        Ok(format!("{}/{path}", link.to_string_lossy()))
    }

    /// Writes `data` to the procfs file `path` in one write, as procfs files want it.
    pub(crate) fn write(&self, path: &str, data: &[u8]) -> io::Result<()> {
        use std::io::Write;
        let mut f = self.open(path, rustix::fs::OFlags::WRONLY)?;
        f.write_all(data)
            .map_err(|e| io::Error::new(e.kind(), format!("/proc/{path}: {e}")))
    }

    /// The descriptor of the procfs root (kept across pivot_root by init).
    pub(crate) fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        std::os::fd::AsFd::as_fd(&self.root)
    }
}
