//! The syscall edge: the few calls nix does not wrap safely. Everything unsafe in carrack-linux
//! is here.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::RawFd;

/// Proof that this process has a single thread, the one holding it: the precondition of
/// [`clone`]. Made by [`SingleThreaded::check`], or handed to the child of a clone, which has
/// only the thread that cloned it. Neither `Send` nor `Sync`; whoever holds one starts no
/// thread (carrack-linux starts none).
#[derive(Debug)]
pub(crate) struct SingleThreaded(std::marker::PhantomData<*const ()>);

impl SingleThreaded {
    /// The proof, if this process has a single thread now; else how many it has. No other
    /// thread can appear afterwards but one the calling thread starts.
    pub(crate) fn check() -> io::Result<Result<Self, usize>> {
        let stat = crate::procfs::read("/proc/self/stat")?;
        // The command name may hold spaces and parentheses: fields start after the last ')';
        // num_threads is field 20.
        let threads: usize = stat
            .rfind(')')
            .and_then(|i| stat.get(i + 2..))
            .and_then(|rest| rest.split(' ').nth(17))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| io::Error::other("/proc/self/stat: no thread count"))?;
        Ok(if threads == 1 {
            Ok(Self(std::marker::PhantomData))
        } else {
            Err(threads)
        })
    }
}

/// What a fork-like clone returned.
pub(crate) enum Cloned {
    /// In the parent: the child's pid.
    Parent(libc::pid_t),
    /// In the child, which has a single thread.
    Child(SingleThreaded),
}

/// clone(2) with `flags` and no new stack, like fork(2) but able to create namespaces (the
/// child is pid 1 of a new pid namespace when `CLONE_NEWPID` is given). The proof of a single
/// thread makes it sound (see [`clone_process`]).
pub(crate) fn clone(_single: &SingleThreaded, flags: libc::c_int) -> io::Result<Cloned> {
    // SAFETY: `SingleThreaded` proves that the calling thread is the process's only one.
    unsafe { clone_process(flags) }
}

/// [`clone`], the child starting in the cgroup2 cgroup `cgroup` (an open directory of it):
/// clone3(2) with `CLONE_INTO_CGROUP` (Linux 5.7), which places the child as it is made,
/// where moving it afterwards through `cgroup.procs` waits for an RCU grace period. An error
/// (a kernel without clone3 or the flag, a cgroup that cannot take the process) made no child;
/// the caller falls back to [`clone`] and a move, which reports what is wrong with the cgroup.
pub(crate) fn clone_into_cgroup(
    _single: &SingleThreaded,
    flags: libc::c_int,
    cgroup: std::os::fd::BorrowedFd<'_>,
) -> io::Result<Cloned> {
    use std::os::fd::AsRawFd;
    // SAFETY: `SingleThreaded` proves that the calling thread is the process's only one; the
    // fd is borrowed, so open for the duration of the call.
    unsafe { clone3_process(flags, cgroup.as_raw_fd()) }
}

/// `struct clone_args` of clone3(2), up to `cgroup` (CLONE_ARGS_SIZE_VER2, 88 bytes).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

/// clone3's flag to start the child in the cgroup `clone_args.cgroup` names.
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// The raw clone3(2) behind [`clone_into_cgroup`].
///
/// # Safety
///
/// As for [`clone_process`]: the calling process must have a single thread. `cgroup` must be
/// an open file descriptor.
unsafe fn clone3_process(flags: libc::c_int, cgroup: RawFd) -> io::Result<Cloned> {
    let mut args = CloneArgs {
        flags: u64::from(flags.cast_unsigned()) | CLONE_INTO_CGROUP,
        exit_signal: u64::from(libc::SIGCHLD.cast_unsigned()),
        cgroup: u64::try_from(cgroup).unwrap_or(u64::MAX),
        ..CloneArgs::default()
    };
    // SAFETY: a NULL stack with stack_size 0 makes clone3 behave like fork(2); `args` is a
    // valid clone_args of the size passed, alive across the call; the caller guarantees the
    // process is single-threaded, so the child holds no lock another thread owned.
    let r = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &raw mut args,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    match r {
        -1 => Err(io::Error::last_os_error()),
        0 => Ok(Cloned::Child(SingleThreaded(std::marker::PhantomData))),
        pid => Ok(Cloned::Parent(libc::pid_t::try_from(pid).unwrap_or(-1))),
    }
}

/// The raw clone(2) behind [`clone`].
///
/// # Safety
///
/// The calling process must have a single thread (the calling one). The child continues on a
/// copy of the caller's memory with only the calling thread: a lock another thread held at the
/// clone (the allocator's, stdio's, the environment's) would stay locked in the child forever,
/// and the child would deadlock or see half-updated data the first time it takes one.
unsafe fn clone_process(flags: libc::c_int) -> io::Result<Cloned> {
    // SAFETY: raw clone with a NULL stack behaves like fork(2); the caller guarantees the
    // process is single-threaded, so the child holds no lock another thread owned.
    let r = unsafe {
        libc::syscall(
            libc::SYS_clone,
            libc::c_ulong::try_from(flags | libc::SIGCHLD).unwrap_or(0),
            std::ptr::null_mut::<libc::c_void>(),
            std::ptr::null_mut::<libc::c_int>(),
            std::ptr::null_mut::<libc::c_int>(),
            0_u64,
        )
    };
    match r {
        -1 => Err(io::Error::last_os_error()),
        0 => Ok(Cloned::Child(SingleThreaded(std::marker::PhantomData))),
        pid => Ok(Cloned::Parent(libc::pid_t::try_from(pid).unwrap_or(-1))),
    }
}

/// Marks every fd from `first` up close-on-exec (CVE-2024-21626: no host fd may reach the
/// container process).
pub(crate) fn cloexec_from(first: RawFd) -> io::Result<()> {
    let first = libc::c_uint::try_from(first).unwrap_or(3);
    // SAFETY: close_range only changes fd flags; the arguments are plain integers.
    let r = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    };
    if r == 0 {
        return Ok(());
    }
    // Kernels before 5.11: walk /proc/self/fd.
    for entry in std::fs::read_dir("/proc/self/fd")? {
        let Ok(fd) = entry?.file_name().to_string_lossy().parse::<RawFd>() else {
            continue;
        };
        if fd >= RawFd::try_from(first).unwrap_or(3) {
            let _ = nix::fcntl::fcntl(
                // SAFETY: the fd is open (listed in /proc/self/fd) for the duration of the call.
                unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) },
                nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
            );
        }
    }
    Ok(())
}

/// The three capability sets capset(2) sets, effective, permitted and inheritable, as 64-bit
/// masks (bit n is capability n). The other two of the five sets are not set here: the bounding
/// set is dropped capability by capability with `PR_CAPBSET_DROP`, and the ambient set cleared
/// and raised with `PR_CAP_AMBIENT` (both through [`prctl`]; see `caps::drop_bounding` and
/// `caps::apply`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CapSets {
    pub(crate) effective: u64,
    pub(crate) permitted: u64,
    pub(crate) inheritable: u64,
}

/// capset(2) for the calling thread (version 3: 64-bit sets).
pub(crate) fn capset(sets: CapSets) -> io::Result<()> {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: libc::c_int,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    let mut header = Header {
        version: 0x2008_0522,
        pid: 0,
    };
    let lo = |m: u64| u32::try_from(m & 0xffff_ffff).unwrap_or(0);
    let hi = |m: u64| u32::try_from(m >> 32).unwrap_or(0);
    let data = [
        Data {
            effective: lo(sets.effective),
            permitted: lo(sets.permitted),
            inheritable: lo(sets.inheritable),
        },
        Data {
            effective: hi(sets.effective),
            permitted: hi(sets.permitted),
            inheritable: hi(sets.inheritable),
        },
    ];
    // SAFETY: header and data are valid, correctly laid out (linux/capability.h, version 3
    // takes two Data elements) and live for the call.
    let r = unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// prctl(2) with integer arguments.
pub(crate) fn prctl(op: libc::c_int, a: libc::c_ulong, b: libc::c_ulong) -> io::Result<()> {
    // SAFETY: the prctl operations used here (PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_SET_KEEPCAPS)
    // take integer arguments only.
    let r = unsafe { libc::prctl(op, a, b, 0 as libc::c_ulong, 0 as libc::c_ulong) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// prctl(2) for an operation that reads a value (returns it, or `None` on error).
pub(crate) fn prctl_read(op: libc::c_int, a: libc::c_ulong) -> Option<libc::c_int> {
    // SAFETY: the read operations used here (PR_CAPBSET_READ) take integer arguments only.
    let r = unsafe {
        libc::prctl(
            op,
            a,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    (r >= 0).then_some(r)
}

/// personality(2): sets the calling process's execution domain.
pub(crate) fn personality(persona: libc::c_ulong) -> io::Result<()> {
    // SAFETY: personality takes an integer and changes only this process's execution domain.
    let r = unsafe { libc::personality(persona) };
    if r == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Makes `fd` the controlling terminal of the calling session.
pub(crate) fn set_controlling_tty(fd: RawFd) -> io::Result<()> {
    // SAFETY: TIOCSCTTY takes an integer argument; fd is an open terminal.
    let r = unsafe { libc::ioctl(fd, libc::TIOCSCTTY, 0) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// execve(2); returns only on failure.
pub(crate) fn execve(
    path: &std::ffi::CStr,
    argv: &[std::ffi::CString],
    envp: &[std::ffi::CString],
) -> io::Error {
    match nix::unistd::execve(path, argv, envp) {
        Ok(never) => match never {},
        Err(e) => io::Error::from(e),
    }
}

/// mount_setattr(2) on the mount `fd` refers to (its root): sets and clears `MOUNT_ATTR_*`
/// flags, over the whole tree with `recursive`.
pub(crate) fn mount_setattr(fd: RawFd, set: u64, clear: u64, recursive: bool) -> io::Result<()> {
    setattr(fd, set, clear, 0, recursive)
}

/// mount_setattr(2) setting `MOUNT_ATTR_IDMAP` on the detached mount `fd` (from open_tree), with
/// the id mappings of the user namespace `userns`, over the whole tree with `recursive`.
pub(crate) fn mount_setattr_idmap(fd: RawFd, userns: RawFd, recursive: bool) -> io::Result<()> {
    const MOUNT_ATTR_IDMAP: u64 = 0x0010_0000;
    let userns = u64::try_from(userns).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?;
    setattr(fd, MOUNT_ATTR_IDMAP, 0, userns, recursive)
}

fn setattr(fd: RawFd, set: u64, clear: u64, userns_fd: u64, recursive: bool) -> io::Result<()> {
    #[repr(C)]
    struct MountAttr {
        attr_set: u64,
        attr_clr: u64,
        propagation: u64,
        userns_fd: u64,
    }
    let attr = MountAttr {
        attr_set: set,
        attr_clr: clear,
        propagation: 0,
        userns_fd,
    };
    let flags = libc::AT_EMPTY_PATH | if recursive { libc::AT_RECURSIVE } else { 0 };
    // SAFETY: `attr` is a valid struct mount_attr (linux/mount.h, size 32) living for the call;
    // the path is the empty C string, used with AT_EMPTY_PATH on `fd`.
    let r = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            fd,
            c"".as_ptr(),
            flags,
            &attr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Takes ownership of a descriptor a C library returned and will not close itself.
#[cfg(feature = "seccomp")]
pub(crate) fn adopt_fd(raw: RawFd) -> std::os::fd::OwnedFd {
    use std::os::fd::FromRawFd;
    // SAFETY: the caller passes a descriptor it was handed ownership of and uses nowhere else.
    unsafe { std::os::fd::OwnedFd::from_raw_fd(raw) }
}

/// pidfd_open(2): a descriptor referring to process `pid`.
pub(crate) fn pidfd_open(pid: i32) -> io::Result<std::os::fd::OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let r = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    use std::os::fd::FromRawFd;
    // SAFETY: the descriptor was just created for us and nothing else owns it.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(r as RawFd) })
}

/// keyctl(2) with integer arguments and one optional C string as the second argument.
pub(crate) fn keyctl(
    op: libc::c_int,
    arg2: Option<&std::ffi::CStr>,
    arg2_int: libc::c_ulong,
    arg3: libc::c_ulong,
) -> io::Result<libc::c_long> {
    let a2 = arg2.map_or(arg2_int, |s| s.as_ptr() as libc::c_ulong);
    // SAFETY: keyctl reads at most the NUL-terminated string passed as arg2 (alive for the
    // call); the other arguments are plain integers for the operations carrack uses.
    let r = unsafe { libc::syscall(libc::SYS_keyctl, op, a2, arg3, 0, 0) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// `struct sched_attr` of sched_setattr(2), its first version (48 bytes).
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SchedAttr {
    pub(crate) size: u32,
    pub(crate) policy: u32,
    pub(crate) flags: u64,
    pub(crate) nice: i32,
    pub(crate) priority: u32,
    pub(crate) runtime: u64,
    pub(crate) deadline: u64,
    pub(crate) period: u64,
}

/// sched_setattr(2) for the calling thread.
pub(crate) fn sched_setattr(attr: &SchedAttr) -> io::Result<()> {
    let mut attr = *attr;
    attr.size = std::mem::size_of::<SchedAttr>() as u32;
    // SAFETY: `attr` is a valid, initialised sched_attr of the size it states, alive for the
    // call; pid 0 is the calling thread; the flags argument must be 0.
    let r = unsafe {
        libc::syscall(
            libc::SYS_sched_setattr,
            0 as libc::pid_t,
            &attr as *const SchedAttr,
            0 as libc::c_uint,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// ioprio_set(2) for the calling process (`IOPRIO_WHO_PROCESS`, 0).
pub(crate) fn ioprio_set(class: u32, level: u32) -> io::Result<()> {
    const IOPRIO_WHO_PROCESS: libc::c_int = 1;
    let prio = (class << 13) | (level & 0x1fff);
    // SAFETY: ioprio_set takes integers only and changes only this process's I/O priority.
    let r = unsafe {
        libc::syscall(
            libc::SYS_ioprio_set,
            IOPRIO_WHO_PROCESS,
            0 as libc::c_int,
            prio as libc::c_int,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// set_mempolicy(2) for the calling thread (inherited by its children and kept across execve).
pub(crate) fn set_mempolicy(mode: libc::c_int, nodes: &[libc::c_ulong]) -> io::Result<()> {
    // The kernel reads maxnode - 1 bits (numactl passes bits + 1).
    let maxnode = if nodes.is_empty() {
        0
    } else {
        nodes.len() as libc::c_ulong * libc::c_ulong::from(libc::c_ulong::BITS) + 1
    };
    let mask = if nodes.is_empty() {
        std::ptr::null()
    } else {
        nodes.as_ptr()
    };
    // SAFETY: `mask` is null with maxnode 0, or points to `nodes`, which holds maxnode - 1
    // bits and outlives the call; the kernel only reads it.
    let r = unsafe { libc::syscall(libc::SYS_set_mempolicy, mode, mask, maxnode) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
