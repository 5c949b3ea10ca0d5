//! The state `carrack state` prints: runtime.md's state plus what runc adds (`rootfs`,
//! `created`, `owner`), with backend-private data kept beside it in the store.

use std::collections::BTreeMap;

use carrack_spec::runtime::{State, Status};
use serde::{Deserialize, Serialize};

/// Now as RFC 3339 with nanoseconds (runc's `created`).
pub fn rfc3339_nano() -> String {
    carrack_spec::time::now()
}

/// A container's state as runc reports it.
///
/// ```
/// use carrack_platform::ContainerState;
/// use carrack_spec::runtime::Status;
/// let s = ContainerState::new("web", Status::Created, "/srv/bundle", "/srv/bundle/rootfs");
/// let json = s.to_runc_json();
/// assert!(json.contains(r#""status": "created""#) && !json.contains("backend"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContainerState {
    /// The runtime-spec version of the configuration.
    #[serde(rename = "ociVersion")]
    pub oci_version: String,
    /// The container id.
    pub id: String,
    /// The init process id; 0 once stopped.
    pub pid: u32,
    /// created, running, paused or stopped.
    pub status: Status,
    /// The bundle directory (absolute).
    pub bundle: String,
    /// The root filesystem (absolute).
    pub rootfs: String,
    /// When the container was created (RFC 3339, nanoseconds).
    pub created: String,
    /// The configuration's annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Who created it (a user name in `list`, empty in `state`, as runc does).
    #[serde(default)]
    pub owner: String,
    /// Backend-private data (init start time, cgroup paths…); never printed.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub backend: serde_json::Value,
}

impl ContainerState {
    /// A new state, created now.
    pub fn new(id: &str, status: Status, bundle: &str, rootfs: &str) -> Self {
        Self {
            oci_version: carrack_spec::runtime::VERSION.to_owned(),
            id: id.to_owned(),
            pid: 0,
            status,
            bundle: bundle.to_owned(),
            rootfs: rootfs.to_owned(),
            created: rfc3339_nano(),
            annotations: BTreeMap::new(),
            owner: String::new(),
            backend: serde_json::Value::Null,
        }
    }

    /// The JSON `carrack state` prints (pretty, without backend data), as runc does.
    pub fn to_runc_json(&self) -> String {
        let mut public = self.clone();
        public.backend = serde_json::Value::Null;
        serde_json::to_string_pretty(&public).unwrap_or_default()
    }

    /// The runtime-spec state (runtime.md § State), as hooks receive it on stdin.
    pub fn oci(&self) -> State {
        let mut s = State::new(
            self.oci_version.clone(),
            self.id.clone(),
            self.status.clone(),
            self.bundle.clone(),
        );
        s.pid = (self.pid != 0).then_some(self.pid);
        s.annotations = (!self.annotations.is_empty()).then(|| self.annotations.clone());
        s
    }
}
