//! Layer snapshots: each layer of an image applied once, into a directory named for its ChainID
//! (config.md § Layer ChainID), and a container's root filesystem made as an overlayfs of those
//! directories with a writable upper directory of its own — containerd's overlayfs snapshotter,
//! so a second run of an image unpacks nothing.
//!
//! ```text
//! DIR/lock                 shared while preparing or mounting, exclusive while removing
//! DIR/<16 hex>/fs          one layer's changes, in overlayfs form (whiteouts as 0/0 devices)
//! DIR/<16 hex>/chain       the full ChainID; DIR/<16 hex>/parent the layer below's name
//! DIR/active/<name>/       a container's rootfs (the overlay), upper and work directories, and
//!                          `chains`, the snapshots it stands on
//! DIR/tmp-…                a layer being applied: never used until renamed into place
//! ```
//!
//! Every layer is applied *through* an overlay mount of the layers below it (the first over an
//! empty directory), with carrack-unpack's usual checks: the kernel turns deletions into
//! overlayfs whiteouts in the new directory and refuses an image's own `trusted.overlay.*`
//! attributes. A layer is applied in a `tmp-` directory and renamed to its name with
//! `RENAME_NOREPLACE` only when complete, so a crash leaves nothing a later run would use, and
//! two runs of the same image at once share the first one's directory (the second's is
//! discarded).
//!
//! Overlayfs needs root in the host's user namespace here; [`Snapshots::supported`] says why
//! not, and callers fall back to a full [`unpack`](crate::unpack).

mod active;
mod apply;
mod mount;
mod store;
mod types;

pub use mount::unmount;
pub use store::Snapshots;
pub use types::{
    Active, Durability, Prepared, PruneReport, SnapshotError, SnapshotInfo, Unsupported,
};
