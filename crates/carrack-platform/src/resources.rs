//! What `update` changes: the runtime-spec's resources section of the backend's own OS.

use std::path::Path;

use carrack_spec::runtime::{Resources as LinuxResources, Solaris, WindowsResources};

use crate::error::{Error, Result};

/// Which OS's resources section a backend takes (its [`crate::Platform::resources_kind`]), and so
/// which platform its containers are for the spec's platform-specific rules (a Linux container's
/// state must carry a pid; a Windows or Solaris one need not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResourcesKind {
    /// `linux.resources` (config-linux.md § Control groups).
    Linux,
    /// `windows.resources` (config-windows.md § Resources).
    Windows,
    /// The caps of `solaris` (config-solaris.md: `cappedCPU`, `cappedMemory`).
    Solaris,
}

/// New resource limits for a running container, as the spec's section for the backend's OS.
///
/// ```
/// use carrack_platform::{Resources, ResourcesKind};
/// let r = Resources::from_json(ResourcesKind::Linux, br#"{"pids":{"limit":64}}"#, "-".as_ref())?;
/// assert!(matches!(r, Resources::Linux(l) if l.pids.as_ref().map(|p| p.limit) == Some(64)));
/// # Ok::<(), carrack_platform::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Resources {
    /// Linux's cgroup resources.
    Linux(Box<LinuxResources>),
    /// Windows's job object resources.
    Windows(WindowsResources),
    /// Solaris's zone caps (only `cappedCPU` and `cappedMemory` are read).
    Solaris(Solaris),
}

impl Resources {
    /// Parses `json` (read from `source`, named in errors) as the section of `kind`.
    pub fn from_json(kind: ResourcesKind, json: &[u8], source: &Path) -> Result<Self> {
        let bad = |e: serde_json::Error| Error::Config {
            path: source.to_path_buf(),
            reason: format!("not a {kind:?} resources document: {e}"),
        };
        Ok(match kind {
            ResourcesKind::Linux => {
                Resources::Linux(Box::new(serde_json::from_slice(json).map_err(bad)?))
            }
            ResourcesKind::Windows => {
                Resources::Windows(serde_json::from_slice(json).map_err(bad)?)
            }
            ResourcesKind::Solaris => {
                Resources::Solaris(serde_json::from_slice(json).map_err(bad)?)
            }
        })
    }

    /// The kind this is.
    pub fn kind(&self) -> ResourcesKind {
        match self {
            Resources::Linux(_) => ResourcesKind::Linux,
            Resources::Windows(_) => ResourcesKind::Windows,
            Resources::Solaris(_) => ResourcesKind::Solaris,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_parses_its_own_section_and_names_the_source_otherwise() {
        let w = Resources::from_json(
            ResourcesKind::Windows,
            br#"{"memory":{"limit":1024}}"#,
            Path::new("r.json"),
        );
        assert!(matches!(w, Ok(Resources::Windows(_))));
        let s = Resources::from_json(
            ResourcesKind::Solaris,
            br#"{"cappedCPU":{"ncpus":"2"}}"#,
            Path::new("r.json"),
        );
        assert_eq!(s.map(|r| r.kind()).ok(), Some(ResourcesKind::Solaris));
        let e = Resources::from_json(
            ResourcesKind::Linux,
            br#"{"pids":{"limit":"many"}}"#,
            Path::new("r.json"),
        );
        let msg = e.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.starts_with("r.json: not a Linux resources document"),
            "{msg}"
        );
    }
}
