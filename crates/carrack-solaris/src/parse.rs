//! Parsers of what the zone tools print: `zoneadm list -p`, `zonecfg info`, `svcs -H -o state`,
//! `dladm show-vnic -p -o link,over` and `getent passwd`. Every input is untrusted: a bad line
//! is a typed [`ParseError`], never a panic.

use std::fmt;
use std::str::FromStr;

/// Why a tool's output could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// A line has fewer fields than the format has.
    #[error("{tool}: {line:?} has {got} fields, at least {want} expected")]
    Fields {
        /// Which output.
        tool: &'static str,
        /// The line.
        line: String,
        /// Fields found.
        got: usize,
        /// Fields needed.
        want: usize,
    },
    /// A line ends in the middle of a `\` escape.
    #[error("{tool}: {line:?} ends with a lone '\\'")]
    Escape {
        /// Which output.
        tool: &'static str,
        /// The line.
        line: String,
    },
    /// A field has a value its format does not allow.
    #[error("{tool}: {field} {value:?} is not valid")]
    Value {
        /// Which output.
        tool: &'static str,
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
    },
    /// No line where one was expected.
    #[error("{0}: empty output")]
    Empty(&'static str),
}

/// Splits a parsable (`-p`) line at unescaped `:`s, undoing `\:` and `\\`, as zoneadm and
/// dladm write them.
pub fn split_escaped(tool: &'static str, line: &str) -> Result<Vec<String>, ParseError> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e) => fields.last_mut().map_or((), |f| f.push(e)),
                None => {
                    return Err(ParseError::Escape {
                        tool,
                        line: line.to_owned(),
                    });
                }
            },
            ':' => fields.push(String::new()),
            c => fields.last_mut().map_or((), |f| f.push(c)),
        }
    }
    Ok(fields)
}

/// A zone's state (zones(7)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZoneState {
    /// Configured, not installed.
    Configured,
    /// Being installed or uninstalled, or failed midway.
    Incomplete,
    /// Installed, not running.
    Installed,
    /// Virtual platform set up, no user processes (`zoneadm ready`).
    Ready,
    /// Booted.
    Running,
    /// Being halted.
    ShuttingDown,
    /// Halted, some resources not yet released.
    Down,
    /// Mounted for administration (`zoneadm mount`).
    Mounted,
    /// Solaris 11: its storage is not available.
    Unavailable,
}

impl ZoneState {
    /// The name zoneadm prints.
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneState::Configured => "configured",
            ZoneState::Incomplete => "incomplete",
            ZoneState::Installed => "installed",
            ZoneState::Ready => "ready",
            ZoneState::Running => "running",
            ZoneState::ShuttingDown => "shutting_down",
            ZoneState::Down => "down",
            ZoneState::Mounted => "mounted",
            ZoneState::Unavailable => "unavailable",
        }
    }
}

impl fmt::Display for ZoneState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ZoneState {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        use ZoneState::*;
        [
            Configured,
            Incomplete,
            Installed,
            Ready,
            Running,
            ShuttingDown,
            Down,
            Mounted,
            Unavailable,
        ]
        .into_iter()
        .find(|z| z.as_str() == s)
        .ok_or_else(|| ParseError::Value {
            tool: "zoneadm list -p",
            field: "state",
            value: s.to_owned(),
        })
    }
}

/// One line of `zoneadm list -p`: `zoneid:zonename:state:zonepath:uuid:brand:ip-type[:…]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneEntry {
    /// The numeric zone id while it has one (`-` otherwise).
    pub id: Option<u32>,
    /// The zone's name.
    pub name: String,
    /// Its state.
    pub state: ZoneState,
    /// Its zonepath.
    pub path: String,
    /// Its UUID (may be empty).
    pub uuid: String,
    /// Its brand.
    pub brand: String,
    /// `excl` or `shared`.
    pub ip_type: String,
}

/// Parses every line of `zoneadm list -p` (blank lines skipped).
///
/// ```
/// let z = carrack_solaris::parse::zoneadm_list("3:web:running:/zones/web:1a-2b:solaris:excl\n")?;
/// assert_eq!((z[0].id, z[0].state), (Some(3), carrack_solaris::parse::ZoneState::Running));
/// # Ok::<(), carrack_solaris::parse::ParseError>(())
/// ```
pub fn zoneadm_list(out: &str) -> Result<Vec<ZoneEntry>, ParseError> {
    const TOOL: &str = "zoneadm list -p";
    let mut zones = Vec::new();
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let f = split_escaped(TOOL, line)?;
        if f.len() < 7 {
            return Err(ParseError::Fields {
                tool: TOOL,
                line: line.to_owned(),
                got: f.len(),
                want: 7,
            });
        }
        let id = match f[0].as_str() {
            "-" => None,
            n => Some(n.parse().map_err(|_| ParseError::Value {
                tool: TOOL,
                field: "zoneid",
                value: n.to_owned(),
            })?),
        };
        if f[1].is_empty() {
            return Err(ParseError::Value {
                tool: TOOL,
                field: "zonename",
                value: String::new(),
            });
        }
        zones.push(ZoneEntry {
            id,
            name: f[1].clone(),
            state: f[2].parse()?,
            path: f[3].clone(),
            uuid: f[4].clone(),
            brand: f[5].clone(),
            ip_type: f[6].clone(),
        });
    }
    Ok(zones)
}

/// An SMF service state, as `svcs -H -o state` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SvcState {
    /// `online`, `offline`, `maintenance`…
    pub state: SmfState,
    /// A `*` followed it: the service is moving to another state.
    pub transitioning: bool,
}

/// The SMF states (smf(7)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum SmfState {
    Uninitialized,
    Offline,
    Online,
    Degraded,
    Maintenance,
    Disabled,
    LegacyRun,
}

/// Parses the first line of `svcs -H -o state FMRI`.
///
/// ```
/// use carrack_solaris::parse::{svcs_state, SmfState};
/// assert_eq!(svcs_state("online\n")?.state, SmfState::Online);
/// assert!(svcs_state("offline*\n")?.transitioning);
/// # Ok::<(), carrack_solaris::parse::ParseError>(())
/// ```
pub fn svcs_state(out: &str) -> Result<SvcState, ParseError> {
    let line = out.lines().map(str::trim).find(|l| !l.is_empty());
    let line = line.ok_or(ParseError::Empty("svcs -H -o state"))?;
    let (word, transitioning) = match line.strip_suffix('*') {
        Some(w) => (w, true),
        None => (line, false),
    };
    use SmfState::*;
    let state = match word {
        "uninitialized" => Uninitialized,
        "offline" => Offline,
        "online" => Online,
        "degraded" => Degraded,
        "maintenance" => Maintenance,
        "disabled" => Disabled,
        "legacy_run" => LegacyRun,
        other => {
            return Err(ParseError::Value {
                tool: "svcs -H -o state",
                field: "state",
                value: other.to_owned(),
            });
        }
    };
    Ok(SvcState {
        state,
        transitioning,
    })
}

/// Parses `dladm show-vnic -p -o link,over`: `(vnic, lower link)` pairs.
pub fn dladm_vnics(out: &str) -> Result<Vec<(String, String)>, ParseError> {
    const TOOL: &str = "dladm show-vnic -p -o link,over";
    let mut v = Vec::new();
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let f = split_escaped(TOOL, line)?;
        match f.as_slice() {
            [link, over] if !link.is_empty() => v.push((link.clone(), over.clone())),
            _ => {
                return Err(ParseError::Fields {
                    tool: TOOL,
                    line: line.to_owned(),
                    got: f.len(),
                    want: 2,
                });
            }
        }
    }
    Ok(v)
}

/// A `getent passwd` entry: `name:password:uid:gid:gecos:home:shell`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passwd {
    /// The login name.
    pub name: String,
    /// The user id.
    pub uid: u32,
    /// The primary group id.
    pub gid: u32,
}

/// Parses the first line of `getent passwd UID`.
pub fn passwd(out: &str) -> Result<Passwd, ParseError> {
    const TOOL: &str = "getent passwd";
    let line = out.lines().find(|l| !l.trim().is_empty());
    let line = line.ok_or(ParseError::Empty(TOOL))?;
    let f: Vec<&str> = line.split(':').collect();
    if f.len() < 7 {
        return Err(ParseError::Fields {
            tool: TOOL,
            line: line.to_owned(),
            got: f.len(),
            want: 7,
        });
    }
    let num = |field: &'static str, v: &str| {
        v.parse().map_err(|_| ParseError::Value {
            tool: TOOL,
            field,
            value: v.to_owned(),
        })
    };
    let name_ok = !f[0].is_empty() && !f[0].starts_with('-') && !f[0].contains(char::is_whitespace);
    if !name_ok {
        return Err(ParseError::Value {
            tool: TOOL,
            field: "name",
            value: f[0].to_owned(),
        });
    }
    Ok(Passwd {
        name: f[0].to_owned(),
        uid: num("uid", f[2])?,
        gid: num("gid", f[3])?,
    })
}

/// What `zonecfg -z Z info` says: its global properties and its resources.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZoneInfo {
    /// Global properties (`zonename`, `zonepath`, `brand`, `ip-type`, `limitpriv`…), in order.
    pub properties: Vec<(String, String)>,
    /// Resources (`fs`, `net`, `anet`, `capped-cpu`…), each with its properties, in order.
    pub resources: Vec<(String, Vec<(String, String)>)>,
}

impl ZoneInfo {
    /// A global property.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The resource types of zonecfg(8) on Solaris 11 and illumos.
const RESOURCES: &[&str] = &[
    "fs",
    "net",
    "anet",
    "device",
    "rctl",
    "attr",
    "dataset",
    "dedicated-cpu",
    "capped-cpu",
    "capped-memory",
    "admin",
    "security-flags",
    "virtual-cpu",
    "rootzpool",
    "zpool",
];

/// Parses `zonecfg -z Z info`: unindented `key: value` lines are global properties (`key:`
/// alone too, an empty one), an unindented resource name with `:` starts a resource, indented `key: value` lines (Solaris writes some as
/// `[key: value]`) are the resource's.
pub fn zonecfg_info(out: &str) -> Result<ZoneInfo, ParseError> {
    const TOOL: &str = "zonecfg info";
    let mut info = ZoneInfo::default();
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let indented = line.starts_with([' ', '\t']);
        let body = line.trim();
        let body = body
            .strip_prefix('[')
            .and_then(|b| b.strip_suffix(']'))
            .unwrap_or(body);
        let Some((key, value)) = body.split_once(':') else {
            return Err(ParseError::Fields {
                tool: TOOL,
                line: line.to_owned(),
                got: 1,
                want: 2,
            });
        };
        let (key, value) = (key.trim().to_owned(), value.trim().to_owned());
        if key.is_empty() {
            return Err(ParseError::Value {
                tool: TOOL,
                field: "property name",
                value: line.to_owned(),
            });
        }
        match (indented, info.resources.last_mut()) {
            (true, Some((_, props))) => props.push((key, value)),
            (true, None) => {
                return Err(ParseError::Value {
                    tool: TOOL,
                    field: "resource property outside a resource",
                    value: line.to_owned(),
                });
            }
            (false, _) if value.is_empty() && RESOURCES.contains(&key.as_str()) => {
                info.resources.push((key, Vec::new()))
            }
            (false, _) => info.properties.push((key, value)),
        }
    }
    Ok(info)
}
