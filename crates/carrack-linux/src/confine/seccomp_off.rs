//! `linux.seccomp` when carrack-linux is built without its `seccomp` feature: a config that asks
//! for a filter is refused, never run unfiltered.

use carrack_spec::runtime::{Seccomp, SeccompFlag, State};

use crate::error::{Error, Result as Res};

/// A compiled filter; none can exist in this build.
pub(crate) enum Filter {}

/// A connection to a seccomp agent; none can exist in this build.
pub(crate) enum Listener {}

impl Listener {
    pub(crate) fn connect(filter: &Filter, _state: State) -> Res<Option<Self>> {
        match *filter {}
    }
}

/// Refuses: this build has no seccomp support.
pub(crate) fn compile(_s: &Seccomp) -> Res<Filter> {
    Err(Error::config(
        "/linux/seccomp",
        "this carrack was built without the `seccomp` feature (libseccomp); refusing to run \
         the container unfiltered",
    ))
}

pub(crate) fn load(filter: &Filter, _listener: Option<Listener>, _pid: i32) -> Res<()> {
    match *filter {}
}

pub(crate) fn supported_flags() -> Vec<SeccompFlag> {
    Vec::new()
}
