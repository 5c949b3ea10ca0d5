//! Making the container's processes: cloning the caller, made safe (a clone is only sound
//! while the process has a single thread, and [`clone_checked`] checks that first); the channel between the runtime and init ([`sync`]);
//! what is handed to callers ([`handoff`]); and keeping the runtime's binary out of the
//! container's reach (CVE-2019-5736: [`sealed`], [`trampoline`]).

pub(crate) mod handoff;
pub(crate) mod sealed;
pub(crate) mod sync;
pub(crate) mod trampoline;

use crate::error::{Error, Result};
use crate::sys::{Cloned, SingleThreaded};

/// Proof that this process has a single thread, or [`Error::MultiThreaded`]; `op` names the
/// operation refused (`create`, `run`, `exec`).
pub(crate) fn single_threaded(op: &'static str) -> Result<SingleThreaded> {
    match SingleThreaded::check() {
        Ok(Ok(proof)) => Ok(proof),
        Ok(Err(threads)) => Err(Error::MultiThreaded { op, threads }),
        Err(e) => Err(Error::sys("counting this process's threads", e)),
    }
}

/// clone(2) with `flags` (see [`crate::sys::clone`]), after checking that this process has a
/// single thread, as only then is the child's copy of the process sound.
pub(crate) fn clone_checked(op: &'static str, flags: libc::c_int) -> Result<Cloned> {
    clone_checked_into(op, flags, None)
}

/// [`clone_checked`], the child starting in the cgroup2 cgroup `cgroup` when one is given:
/// cloned into it where the kernel can (clone3's `CLONE_INTO_CGROUP`), else cloned and then
/// moved into it. `None` clones without a cgroup.
///
/// Why: a move waits for an RCU grace period in the kernel (19 ms measured on a busy host,
/// see carrack-cgroups' README), a clone into the cgroup does not.
pub(crate) fn clone_checked_into(
    op: &'static str,
    flags: libc::c_int,
    cgroup: Option<&std::path::Path>,
) -> Result<Cloned> {
    let proof = single_threaded(op)?;
    let Some(dir) = cgroup else {
        return crate::sys::clone(&proof, flags).map_err(|e| Error::sys("clone", e));
    };
    let fd = nix::fcntl::open(
        dir,
        nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    );
    if let Ok(fd) = &fd {
        use std::os::fd::AsFd;
        match crate::sys::clone_into_cgroup(&proof, flags, fd.as_fd()) {
            Ok(cloned) => return Ok(cloned),
            Err(e) => log::debug!("clone3 into {}: {e}; cloning, then moving", dir.display()),
        }
    }
    drop(fd);
    match crate::sys::clone(&proof, flags).map_err(|e| Error::sys("clone", e))? {
        Cloned::Parent(pid) => {
            if let Err(e) = carrack_cgroups::move_into(dir, pid) {
                let child = nix::unistd::Pid::from_raw(pid);
                let _ = nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGKILL);
                let _ = nix::sys::wait::waitpid(child, None);
                return Err(Error::sys("joining the container's cgroup", e));
            }
            Ok(Cloned::Parent(pid))
        }
        child => Ok(child),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn refuses_a_process_with_threads_and_counts_them() {
        // The test harness runs this on a thread of its own: at least two already.
        let count = || match super::single_threaded("create") {
            Err(crate::Error::MultiThreaded { threads, op }) => {
                assert_eq!(op, "create");
                threads
            }
            // The harness ran it on the main thread, alone.
            Ok(_) => 1,
            Err(e) => panic!("expected MultiThreaded, got {e:?}"),
        };
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            let _ = rx.recv();
        });
        // This thread and the one just started at least (the harness's other tests come and
        // go on threads of their own, so an exact count would race them).
        assert!(count() >= 2);
        drop(tx);
        t.join().expect("join");
    }
}
