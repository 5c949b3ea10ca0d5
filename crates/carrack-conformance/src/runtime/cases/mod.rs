//! The runtime cases, by chapter.

use crate::case::{Case, Verdict};

use super::Subject;

/// Every case that creates a container needs root here: without it, a skip saying so.
pub(crate) fn need_root(s: &Subject) -> Result<(), Verdict> {
    if s.host.root {
        Ok(())
    } else {
        Err(Verdict::skip("creating containers needs root on this host"))
    }
}

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
