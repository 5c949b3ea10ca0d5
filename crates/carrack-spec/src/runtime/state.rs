//! `state`: what `runtime state` reports (runtime-spec `runtime.md` § State).

use std::collections::BTreeMap;

use crate::model::{model, open_enum};

model! {
    /// A container's state.
    ///
    /// ```
    /// use carrack_spec::Document;
    /// use carrack_spec::runtime::{State, Status};
    /// let s = State::new("1.3.0", "web", Status::Created, "/bundles/web")
    ///     .with_pid(4242);
    /// assert!(s.to_string_pretty().contains("\"status\": \"created\""));
    /// ```
    pub struct State {
        /// The runtime-spec version.
        oci_version: req(String) = "ociVersion",
        /// The container id.
        id: req(String) = "id",
        /// The runtime status.
        status: req(Status) = "status",
        /// The container process id on the host (when created or running).
        pid: opt(u32) = "pid",
        /// Absolute path of the bundle.
        bundle: req(String) = "bundle",
        /// The config's annotations.
        annotations: opt(BTreeMap<String, String>) = "annotations",
    }
}

impl State {
    /// A state with the required members.
    pub fn new(
        oci_version: impl Into<String>,
        id: impl Into<String>,
        status: Status,
        bundle: impl Into<String>,
    ) -> Self {
        Self {
            oci_version: oci_version.into(),
            id: id.into(),
            status,
            pid: None,
            bundle: bundle.into(),
            annotations: None,
            extra: crate::Extra::new(),
        }
    }
}

open_enum! {
    /// A container's runtime status. `paused` is runc's extension, kept as a known value.
    pub enum Status {
        Creating = "creating",
        Created = "created",
        Running = "running",
        Stopped = "stopped",
        Paused = "paused",
    }
}

model! {
    /// What a runtime sends to a seccomp agent on `linux.seccomp.listenerPath`
    /// (config-linux.md § The Container Process State), alongside the fds it names.
    ///
    /// ```
    /// use carrack_spec::runtime::{ContainerProcessState, State, Status};
    /// let state = State::new("1.3.0", "web", Status::Creating, "/bundles/web");
    /// let s = ContainerProcessState::new("1.3.0", 4242, state)
    ///     .with_fds(["seccompFd"]);
    /// let json = serde_json::to_string(&s).unwrap();
    /// assert!(json.contains(r#""fds":["seccompFd"]"#));
    /// ```
    pub struct ContainerProcessState {
        /// The runtime-spec version.
        oci_version: req(String) = "ociVersion",
        /// Names of the fds sent with `SCM_RIGHTS`, in the same order.
        fds: opt(Vec<String>) = "fds",
        /// The container process id, as the runtime sees it.
        pid: req(i32) = "pid",
        /// `listenerMetadata`, passed through.
        metadata: opt(String) = "metadata",
        /// The container's state.
        state: req(State) = "state",
    }
}

impl ContainerProcessState {
    /// A container process state with the required members.
    pub fn new(oci_version: impl Into<String>, pid: i32, state: State) -> Self {
        Self {
            oci_version: oci_version.into(),
            fds: None,
            pid,
            metadata: None,
            state,
            extra: crate::Extra::new(),
        }
    }
}
