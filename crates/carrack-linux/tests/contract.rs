//! The Platform contract (carrack_platform::contract) against the Linux backend, with real
//! containers of a static busybox.
//!
//! Not under libtest: libtest runs tests on threads, and the Linux backend refuses to clone
//! containers from a multi-threaded process (see `Linux`'s safety contract). This binary runs
//! every check in turn from its single main thread and prints libtest's lines. Like the
//! workspace's other root-only tests it runs with `--include-ignored` as root, and reports each
//! check as ignored, with the reason, otherwise.
//!
//! Linux only (the body is `linux.rs` beside this file); elsewhere the test is empty.

#[cfg(target_os = "linux")]
#[path = "contract/linux.rs"]
mod linux;

#[cfg(target_os = "linux")]
fn main() {
    linux::main();
}

#[cfg(not(target_os = "linux"))]
fn main() {}
