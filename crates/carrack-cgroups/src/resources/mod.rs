//! `linux.resources` (config-linux.md § Control groups) written to the container's cgroups on
//! v1, v2 and hybrid hosts: devices, memory, cpu, cpuset, pids, blockIO (blkio or io), hugepage
//! limits (v1 hugetlb or the cgroup2 one), network (net_cls, net_prio), rdma, and v2 `unified`
//! keys. Anything the host cannot honour is an error naming the field, never silently ignored.
//!
//! Writing is two steps: [`plan_limits`] decides which file gets which value (pure: it asks a
//! [`Host`] which files exist), then the writes are made in order.

mod blkio;
mod cpu;
mod memory;
mod other;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::fs;
use std::path::{Path, PathBuf};

use carrack_spec::runtime::{Device, Resources};

use crate::{Error, Result, devices};

/// What the planner needs to know of the host: the cgroup version and which files the
/// container's cgroup has.
pub trait Host {
    /// Whether the host is a pure cgroup v2 one.
    fn v2(&self) -> bool;
    /// Whether the container's cgroup has `file` (in any of its hierarchies).
    fn has(&self, file: &str) -> bool;
    /// The number in `file`, if it has one (the current memory usage for `checkBeforeUpdate`).
    fn read_u64(&self, file: &str) -> Option<u64>;
}

/// One value to write to one cgroup file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// The cgroup file's name (`memory.max`), found in whichever hierarchy has it.
    pub file: String,
    /// The value.
    pub value: String,
    /// The config field it comes from, below `linux.resources` (`memory.limit`).
    pub field: String,
}

/// Collects the writes in order.
struct Planner<'h, H: Host + ?Sized> {
    host: &'h H,
    v2: bool,
    out: Vec<Write>,
}

impl<H: Host + ?Sized> Planner<'_, H> {
    fn set(&mut self, file: impl Into<String>, value: impl Into<String>, field: impl Into<String>) {
        self.out.push(Write {
            file: file.into(),
            value: value.into(),
            field: field.into(),
        });
    }
}

fn unsupported(field: &str, reason: &'static str) -> Error {
    Error::Unsupported {
        field: field.to_owned(),
        reason,
    }
}

/// The writes for `r` but its device rules, in the order they are made.
///
/// ```
/// use carrack_cgroups::resources::{Host, plan_limits};
/// struct V2;
/// impl Host for V2 {
///     fn v2(&self) -> bool { true }
///     fn has(&self, _: &str) -> bool { true }
///     fn read_u64(&self, _: &str) -> Option<u64> { None }
/// }
/// let r = serde_json::from_str(r#"{"pids": {"limit": -1}, "cpu": {"shares": 1024}}"#)?;
/// let plan = plan_limits(&V2, &r)?;
/// let writes: Vec<_> = plan.iter().map(|w| (w.file.as_str(), w.value.as_str())).collect();
/// assert_eq!(writes, [("cpu.weight", "39"), ("pids.max", "max")]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn plan_limits<H: Host + ?Sized>(host: &H, r: &Resources) -> Result<Vec<Write>> {
    let mut p = Planner {
        host,
        v2: host.v2(),
        out: Vec::new(),
    };
    if let Some(m) = &r.memory {
        memory::plan(&mut p, m)?;
    }
    if let Some(c) = &r.cpu {
        cpu::plan(&mut p, c);
    }
    if let Some(pids) = &r.pids {
        other::pids(&mut p, pids);
    }
    if let Some(u) = &r.unified {
        other::unified(&mut p, u)?;
    }
    if let Some(b) = &r.block_io {
        blkio::plan(&mut p, b)?;
    }
    other::hugetlb(&mut p, r.hugepage_limits.as_deref().unwrap_or(&[]))?;
    if let Some(n) = &r.network {
        other::network(&mut p, n)?;
    }
    if let Some(rdma) = &r.rdma {
        other::rdma(&mut p, rdma);
    }
    Ok(p.out)
}

/// The container's cgroup directories as a [`Host`]: each file is looked for once.
pub(crate) struct Dirs<'a> {
    dirs: &'a [PathBuf],
    v2: std::cell::OnceCell<bool>,
    /// Files already looked for, and the index of the directory holding each.
    found: RefCell<Vec<(String, Option<usize>)>>,
}

impl<'a> Dirs<'a> {
    pub(crate) fn new(dirs: &'a [PathBuf]) -> Self {
        Dirs {
            dirs,
            v2: std::cell::OnceCell::new(),
            found: RefCell::default(),
        }
    }

    /// As [`Dirs::new`], for a cgroup of the version given rather than the host's.
    #[cfg(test)]
    pub(crate) fn of_version(dirs: &'a [PathBuf], v2: bool) -> Self {
        let d = Self::new(dirs);
        let _ = d.v2.set(v2);
        d
    }

    /// The directory holding `file` (v1: the controller's hierarchy; v2: the one directory).
    pub(crate) fn with(&self, file: &str) -> Option<&'a Path> {
        let known = self
            .found
            .borrow()
            .iter()
            .find(|(f, _)| f == file)
            .map(|(_, at)| *at);
        let at = known.unwrap_or_else(|| {
            let at = self.dirs.iter().position(|d| d.join(file).exists());
            self.found.borrow_mut().push((file.to_owned(), at));
            at
        });
        at.map(|i| self.dirs[i].as_path())
    }

    /// `file`'s content, if the cgroup has it.
    pub(crate) fn read(&self, file: &str) -> Option<String> {
        carrack_fs::read_kernel_file(self.with(file)?.join(file)).ok()
    }

    fn write(&self, w: &Write) -> Result<()> {
        let dir = self.with(&w.file).ok_or_else(|| Error::NoFile {
            field: w.field.clone(),
            file: w.file.clone(),
        })?;
        let file = dir.join(&w.file);
        fs::write(&file, &w.value).map_err(|source| Error::Write {
            field: w.field.clone(),
            file,
            value: w.value.clone(),
            source,
        })
    }
}

impl Host for Dirs<'_> {
    fn v2(&self) -> bool {
        *self.v2.get_or_init(crate::is_v2_host)
    }
    fn has(&self, file: &str) -> bool {
        self.with(file).is_some()
    }
    fn read_u64(&self, file: &str) -> Option<u64> {
        self.read(file)?.trim().parse().ok()
    }
}

/// Applies `r` to the cgroup directories `dirs` (created with the container): the device
/// rules (with the config's `devices`), then the limits.
///
/// ```no_run
/// let dirs = [std::path::PathBuf::from("/sys/fs/cgroup/carrack/web")];
/// let r = serde_json::from_str(r#"{"pids": {"limit": 99}}"#)?;
/// carrack_cgroups::apply(&dirs, &r, &[])?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn apply(dirs: &[PathBuf], r: &Resources, devices: &[Device]) -> Result<()> {
    let d = Dirs::new(dirs);
    if let Some(rules) = &r.devices {
        device_rules(&d, &devices::device_rules(rules, devices)?)?;
    }
    limits(&d, r)
}

/// `linux.resources` but the device rules, which a runtime writes only once init has made its
/// device nodes (on cgroup v1 the rules are written one line at a time, and between the
/// "deny all" and the allow lines no mknod would pass).
pub fn apply_limits(dirs: &[PathBuf], r: &Resources) -> Result<()> {
    limits(&Dirs::new(dirs), r)
}

/// The device rules of `r` alone (see [`apply_limits`]); nothing when `r` has none.
pub fn apply_devices(dirs: &[PathBuf], r: &Resources, devices: &[Device]) -> Result<()> {
    match &r.devices {
        Some(rules) => device_rules(&Dirs::new(dirs), &devices::device_rules(rules, devices)?),
        None => Ok(()),
    }
}

fn limits(d: &Dirs<'_>, r: &Resources) -> Result<()> {
    for w in plan_limits(d, r)? {
        d.write(&w)?;
    }
    Ok(())
}

/// Written to v1's devices controller, or on cgroup v2 compiled into an eBPF program attached
/// to the container's cgroup.
fn device_rules(d: &Dirs<'_>, rules: &[devices::Rule]) -> Result<()> {
    if let Some(dir) = d.with("devices.allow") {
        return devices::write_v1(dir, rules);
    }
    let dir = d
        .with("cgroup.controllers")
        .ok_or(Error::NoDeviceController)?;
    devices::attach(dir, rules)
}
