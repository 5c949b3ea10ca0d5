//! `Linux::create`, `run` and `exec` from a program with more than one thread: refused with a
//! clear error, never a clone of a multi-threaded process (undefined behaviour: the child could
//! inherit a lock another thread held). And once the other threads are gone, the same calls
//! work.
//!
//! Without the libtest harness (it runs each test on a thread of its own): the program starts
//! single-threaded. Needs root (it makes containers, their cgroups and their mounts); without
//! root it says it is ignored.
//!
//! Linux only (the body is `linux.rs` beside this file); elsewhere the test is empty.

#[cfg(target_os = "linux")]
#[path = "threads/linux.rs"]
mod linux;

#[cfg(target_os = "linux")]
fn main() {
    linux::main();
}

#[cfg(not(target_os = "linux"))]
fn main() {}
