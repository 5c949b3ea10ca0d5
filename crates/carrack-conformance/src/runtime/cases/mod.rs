//! The runtime cases, by chapter.

use crate::case::Case;

use super::Subject;

mod features;
mod hooks;
mod lifecycle;
mod linux;
mod operations;
mod process;

/// Every case, in report order.
pub(crate) fn all() -> Vec<Case<Subject>> {
    let mut v = Vec::new();
    v.extend(lifecycle::cases());
    v.extend(operations::cases());
    v.extend(process::cases());
    v.extend(linux::cases());
    v.extend(hooks::cases());
    v.extend(features::cases());
    v
}
