//! The host's backend: the one place the binary names it. Every verb drives it through
//! [`Platform`](carrack_platform::Platform); each OS's backend sits behind its own `cfg`
//! (Linux namespaces and cgroups, Windows HCS compute systems, Solaris and illumos zones), and
//! any other OS gets a binary that validates, plans and manages images but runs nothing.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub(crate) use linux::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::*;

#[cfg(any(target_os = "solaris", target_os = "illumos"))]
mod zones;
#[cfg(any(target_os = "solaris", target_os = "illumos"))]
pub(crate) use zones::*;

#[cfg(not(any(
    target_os = "linux",
    windows,
    target_os = "solaris",
    target_os = "illumos"
)))]
mod none;
#[cfg(not(any(
    target_os = "linux",
    windows,
    target_os = "solaris",
    target_os = "illumos"
)))]
pub(crate) use none::*;
