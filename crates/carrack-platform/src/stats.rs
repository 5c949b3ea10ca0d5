//! Placeholder until the typed statistics land (carrack-cgroups work).

/// A container's resource usage, as runc's `events --stats` prints it in `data`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Stats(pub serde_json::Value);
