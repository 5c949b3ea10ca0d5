//! `carrack-probe`: the test probe. Built statically (`-C target-feature=+crt-static`) by the
//! integration tests and copied into a container's rootfs, it reports what the process inside
//! sees, so the tests compare the container with its config from the inside.
//!
//! ```text
//! carrack-probe report              one JSON object: credentials, capability sets, seccomp
//!                                   mode, no_new_privs, rlimits, namespaces, mounts,
//!                                   cgroups, LSM label, hostname, cwd, umask, oom_score_adj
//! carrack-probe syscall NR [ARG..]  makes raw syscall NR; prints {"ret":R,"errno":E}
//! carrack-probe read PATH..         prints {"PATH":"contents"|null, ...}
//! carrack-probe sleep SECONDS       sleeps (a long-running container process)
//! carrack-probe alloc MIB           allocates and touches MIB mebibytes, then prints "ok"
//! carrack-probe keyring             prints the session keyring's description (type;uid;gid;perm;name)
//! ```
//!
//! It reads Linux interfaces only (`/proc`, raw syscalls); on another OS it says so and exits 2.
#![allow(unsafe_code)]

#[cfg(target_os = "linux")]
mod linux;

#[cfg(target_os = "linux")]
fn main() {
    linux::main();
}

#[cfg(not(target_os = "linux"))]
fn main() -> std::process::ExitCode {
    eprintln!("carrack-probe reports what a Linux container's process sees; it runs on Linux only");
    std::process::ExitCode::from(2)
}
