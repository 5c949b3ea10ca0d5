//! Device access rules (`linux.resources.devices`): written to cgroup v1's `devices.allow` and
//! `devices.deny` files, or on cgroup v2 compiled into an eBPF program of type
//! `BPF_PROG_TYPE_CGROUP_DEVICE` attached to the container's cgroup ([`program`]).
//!
//! The rules in force are the configured ones, then runc's always-allowed ones, then the
//! config's `linux.devices` ([`device_rules`]).

mod bpf;
mod program;
#[cfg(test)]
mod tests;
mod v1;

use std::fs;
use std::path::Path;

use carrack_spec::runtime::{Device, DeviceCgroup};

pub use program::{BpfInsn, program};
pub use v1::Exceptions;

use crate::{Error, Result, RuleError};

/// One device rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Allow (`devices.allow`) or deny (`devices.deny`).
    pub allow: bool,
    /// `b` or `c`; `None` for all (`a`).
    pub kind: Option<char>,
    /// The major number; `None` for any (`*`).
    pub major: Option<u32>,
    /// The minor number; `None` for any (`*`).
    pub minor: Option<u32>,
    /// Bits of `BPF_DEVCG_ACC_*`: mknod 1, read 2, write 4.
    pub access: u32,
}

impl Rule {
    /// A rule from the spec's fields (`type`, `major`, `minor`, `access`; absent or negative
    /// numbers are wildcards, absent type is `a`, absent access `rwm`).
    ///
    /// ```
    /// use carrack_cgroups::devices::Rule;
    /// let r = Rule::new(true, Some("c"), Some(1), None, Some("rw"))?;
    /// assert_eq!(r.v1_line(), "c 1:* rw");
    /// assert!(Rule::new(true, Some("x"), None, None, None).is_err());
    /// # Ok::<(), carrack_cgroups::RuleError>(())
    /// ```
    pub fn new(
        allow: bool,
        kind: Option<&str>,
        major: Option<i64>,
        minor: Option<i64>,
        access: Option<&str>,
    ) -> Result<Self, RuleError> {
        let kind = match kind.unwrap_or("a") {
            "a" => None,
            "b" => Some('b'),
            "c" => Some('c'),
            k => return Err(RuleError::Type(k.to_owned())),
        };
        let num = |n: Option<i64>, what: &'static str| match n {
            None => Ok(None),
            Some(n) if n < 0 => Ok(None),
            Some(n) => u32::try_from(n)
                .map(Some)
                .map_err(|_| RuleError::Range { what, number: n }),
        };
        let mut bits = 0;
        for c in access.unwrap_or("rwm").chars() {
            bits |= match c {
                'm' => 1,
                'r' => 2,
                'w' => 4,
                c => return Err(RuleError::Access(c)),
            };
        }
        Ok(Self {
            allow,
            kind,
            major: num(major, "major")?,
            minor: num(minor, "minor")?,
            access: bits,
        })
    }

    /// Parses v1's `TYPE MAJOR:MINOR ACCESS` form (`*` for any number).
    ///
    /// ```
    /// use carrack_cgroups::devices::Rule;
    /// let r = Rule::parse(false, "b 8:* m")?;
    /// assert_eq!((r.kind, r.major, r.minor, r.access), (Some('b'), Some(8), None, 1));
    /// # Ok::<(), carrack_cgroups::RuleError>(())
    /// ```
    pub fn parse(allow: bool, s: &str) -> Result<Self, RuleError> {
        let syntax = || RuleError::Syntax(s.to_owned());
        let mut it = s.split_whitespace();
        let (Some(kind), Some(nums), Some(access)) = (it.next(), it.next(), it.next()) else {
            return Err(syntax());
        };
        let (ma, mi) = nums.split_once(':').ok_or_else(syntax)?;
        let n = |x: &str| -> Result<Option<i64>, RuleError> {
            if x == "*" {
                Ok(None)
            } else {
                x.parse().map(Some).map_err(|_| syntax())
            }
        };
        Self::new(allow, Some(kind), n(ma)?, n(mi)?, Some(access))
    }

    /// v1's line for `devices.allow`/`devices.deny`.
    pub fn v1_line(&self) -> String {
        let n = |x: Option<u32>| x.map_or_else(|| "*".to_owned(), |x| x.to_string());
        let mut access = String::new();
        for (bit, c) in [(2, 'r'), (4, 'w'), (1, 'm')] {
            if self.access & bit != 0 {
                access.push(c);
            }
        }
        format!(
            "{} {}:{} {access}",
            self.kind.unwrap_or('a'),
            n(self.major),
            n(self.minor)
        )
    }
}

/// Device rules runc always allows after the configured ones (mknod of anything, and the
/// default devices, the console and ptys).
pub const ALWAYS: [&str; 11] = [
    "c *:* m",
    "b *:* m",
    "c 1:3 rwm",
    "c 1:8 rwm",
    "c 1:7 rwm",
    "c 5:0 rwm",
    "c 1:5 rwm",
    "c 1:9 rwm",
    "c 5:1 rwm",
    "c 136:* rwm",
    "c 5:2 rwm",
];

/// The device rules in force, in order: the configured ones (`rules`), then runc's
/// always-allowed ones ([`ALWAYS`]), then an allow rule for each of the config's `devices`
/// (fifos need none).
///
/// ```
/// use carrack_spec::runtime::DeviceCgroup;
/// let deny_all: DeviceCgroup = serde_json::from_str(r#"{"allow": false, "access": "rwm"}"#)?;
/// let rules = carrack_cgroups::devices::device_rules(&[deny_all], &[])?;
/// assert_eq!(rules[0].v1_line(), "a *:* rwm");
/// assert_eq!(rules.len(), 1 + carrack_cgroups::devices::ALWAYS.len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn device_rules(rules: &[DeviceCgroup], devices: &[Device]) -> Result<Vec<Rule>> {
    let mut all = Vec::with_capacity(rules.len() + ALWAYS.len() + devices.len());
    for (i, r) in rules.iter().enumerate() {
        all.push(
            Rule::new(
                r.allow,
                r.kind.as_deref(),
                r.major,
                r.minor,
                r.access.as_deref(),
            )
            .map_err(|source| Error::Rule {
                field: format!("linux.resources.devices[{i}]"),
                source,
            })?,
        );
    }
    for line in ALWAYS {
        all.push(Rule::parse(true, line).map_err(|source| Error::Rule {
            field: "runc's default device rules".into(),
            source,
        })?);
    }
    for (i, dev) in devices.iter().enumerate() {
        let kind = match dev.kind.as_str() {
            "u" => "c",
            "p" => continue,
            k => k,
        };
        all.push(
            Rule::new(true, Some(kind), dev.major, dev.minor, Some("rwm")).map_err(|source| {
                Error::Rule {
                    field: format!("linux.devices[{i}]"),
                    source,
                }
            })?,
        );
    }
    Ok(all)
}

/// Writes `rules` to the v1 devices controller directory `dir`, one rule per write (the
/// controller takes one a write), through one descriptor per file.
pub(crate) fn write_v1(dir: &Path, rules: &[Rule]) -> Result<()> {
    let mut allow = None;
    let mut deny = None;
    for r in rules {
        let (file, slot) = if r.allow {
            ("devices.allow", &mut allow)
        } else {
            ("devices.deny", &mut deny)
        };
        let path = dir.join(file);
        let fail = |source| Error::Write {
            field: "devices".into(),
            file: path.clone(),
            value: r.v1_line(),
            source,
        };
        if slot.is_none() {
            *slot = Some(
                fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(fail)?,
            );
        }
        if let Some(f) = slot {
            std::io::Write::write_all(f, r.v1_line().as_bytes()).map_err(fail)?;
        }
    }
    Ok(())
}

/// Loads the program for `rules` and attaches it to the cgroup2 directory `dir`, then detaches
/// the device programs that were there before (an update replaces, never adds).
///
/// ```no_run
/// use carrack_cgroups::devices::{Rule, attach};
/// let rules = [Rule::parse(false, "a *:* rwm")?, Rule::parse(true, "c 1:3 rwm")?];
/// attach(std::path::Path::new("/sys/fs/cgroup/carrack/web"), &rules)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn attach(dir: &Path, rules: &[Rule]) -> Result<()> {
    use std::os::fd::AsRawFd;
    let fail = |source| Error::DeviceProgram {
        dir: dir.to_path_buf(),
        source,
    };
    let cgroup = fs::File::open(dir).map_err(fail)?;
    let before = bpf::query_device(cgroup.as_raw_fd()).unwrap_or_default();
    let prog = bpf::load_device_program(&program(rules)).map_err(fail)?;
    bpf::attach_device(cgroup.as_raw_fd(), prog.as_raw_fd()).map_err(fail)?;
    for id in before {
        bpf::detach_device(cgroup.as_raw_fd(), id).map_err(fail)?;
    }
    Ok(())
}

/// The ids of the device programs attached to the cgroup2 directory `dir`.
///
/// ```no_run
/// let ids = carrack_cgroups::devices::attached(std::path::Path::new("/sys/fs/cgroup/carrack/web"))?;
/// assert!(ids.len() <= 1, "attach replaces, never adds");
/// # Ok::<(), carrack_cgroups::Error>(())
/// ```
pub fn attached(dir: &Path) -> Result<Vec<u32>> {
    use std::os::fd::AsRawFd;
    let cgroup = fs::File::open(dir).map_err(Error::io(dir))?;
    bpf::query_device(cgroup.as_raw_fd()).map_err(Error::io(dir))
}
