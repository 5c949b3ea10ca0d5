//! Applying OCI layer changesets to a root filesystem (image-spec `layer.md`), with nothing an
//! entry says able to reach outside the root.
//!
//! Every path is resolved inside the root with `openat2(RESOLVE_IN_ROOT |
//! RESOLVE_NO_MAGICLINKS)`, the last component is never followed, entries naming `..` are
//! refused, hardlink targets are resolved inside the root, and the root itself can never be
//! replaced by a non-directory (umoci CVE-2021-29136, containerd CVE-2021-32760, moby
//! CVE-2018-15664, tar-rs CVE-2021-38511 / CVE-2026-33056).
//!
//! This crate currently applies uncompressed layer tars ([`apply_layer`]); decompression,
//! DiffID verification, limits, rootless mapping, diffing and bundles are still to come.

#![cfg(target_os = "linux")]

mod apply;
mod error;
mod root;

pub use apply::{ApplyOptions, LayerStats, apply_layer};
pub use error::{Error, Result};
