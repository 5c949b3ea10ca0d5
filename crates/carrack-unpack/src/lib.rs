//! Applying OCI layer changesets to a root filesystem (image-spec `layer.md`), with nothing an
//! entry says able to reach outside the root.
//!
//! Every path is resolved inside the root with `openat2(RESOLVE_IN_ROOT |
//! RESOLVE_NO_MAGICLINKS)`, the last component is never followed, entries naming `..` are
//! refused, hardlink targets are resolved inside the root, and the root itself can never be
//! replaced by a non-directory (umoci CVE-2021-29136, containerd CVE-2021-32760, moby
//! CVE-2018-15664, tar-rs CVE-2021-38511 / CVE-2026-33056).
//!
//! [`unpack`] applies an image's layers from a layout (tar, gzip or zstd, as the media type
//! says) with every blob verified against its descriptor and every uncompressed stream against
//! its diff_id, in a staging directory renamed into place only on success. [`apply_layer`]
//! applies one uncompressed tar. Around them:
//!
//! * [`Limits`] bound total and per-entry bytes, entries, name length and the compression
//!   ratio, checked while the stream is read ([`LimitExceeded`] names the one hit);
//!   [`Progress`] reports entries and bytes as they go.
//! * Rootless unpacking ([`ApplyOptions::rootless`], owners mapped through an [`IdMap`]):
//!   device nodes become empty placeholders, owners and xattrs the caller may not set are
//!   skipped and counted, read-only directories get their modes at the end.
//! * xattrs from PAX `SCHILY.xattr.*` records are set after the owner, so
//!   `security.capability` survives.
//! * The other direction: [`Tree`] records an unpacked rootfs, [`diff`] finds what changed
//!   against a [`Base`] (a directory or a recorded tree), [`write_layer`] writes that as a
//!   reproducible layer.md changeset, and [`commit`] adds it to a layout as a new image.
//! * [`bundle`] turns an image into an OCI runtime bundle (`rootfs/`, a `config.json` converted
//!   from the image configuration, and the [`TREE_FILE`] record), as `umoci unpack` does.
//!
//! The safe-path primitives underneath (open inside the root, list, remove a tree) are
//! [`carrack_fs`]'s.
//!
//! # Platforms
//!
//! What touches the filesystem the way layer.md needs — [`apply_layer`], [`unpack`],
//! [`bundle`], [`diff`], [`write_layer`], [`commit`], [`Tree::record`] — is Linux only: it
//! rests on `openat2(RESOLVE_IN_ROOT)`, `mknodat`, `fchownat`, xattrs and Linux's `stat`.
//! Everything else builds on every OS: [`read_layer`] (decompress, limit and hash a layer
//! blob), the options, limits, id maps, progress, tree records ([`Tree::load`],
//! [`Tree::save`]), the diff and bundle types, and the errors. zstd is the C library on Linux
//! and pure Rust elsewhere (the README's Platforms section says why, with figures).

#[cfg(target_os = "linux")]
mod apply;
mod bundle;
mod codec;
mod commit;
mod diff;
mod error;
mod idmap;
#[cfg(target_os = "linux")]
mod image;
mod layer;
mod limits;
mod options;
mod pipeline;
mod progress;
#[cfg(target_os = "linux")]
pub mod snapshot;
mod tree;
#[cfg(target_os = "linux")]
mod xattrs;
#[cfg(any(not(target_os = "linux"), test))]
mod zstd_pure;

#[cfg(target_os = "linux")]
pub use apply::apply_layer;
#[cfg(target_os = "linux")]
pub use bundle::bundle;
pub use bundle::{Bundle, BundleError, BundleOptions, TREE_FILE};
pub use commit::{CommitError, CommitOptions, Committed};
#[cfg(target_os = "linux")]
pub use commit::{LayerWriter, StoredLayer, commit, store_layer};
pub use diff::{Base, Change, ChangeKind, Diff, DiffError, LayerOptions};
#[cfg(target_os = "linux")]
pub use diff::{diff, write_layer};
pub use error::{Error, Result, UnpackError};
pub use idmap::{IdMap, IdMapError, IdRange};
#[cfg(target_os = "linux")]
pub use image::unpack;
pub use layer::{ReadLayerError, read_layer};
pub use limits::{LimitExceeded, Limits};
pub use options::{ApplyOptions, LayerStats};
pub use progress::{Progress, ProgressFn};
pub use tree::{Kind, Tree, TreeEntry, TreeError};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
