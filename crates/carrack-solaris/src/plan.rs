//! The pure planner: a configuration and the host's facts in, every command line the zone's
//! life takes out. Nothing here touches the system.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use carrack_spec::runtime::{Spec, Target, ValidateOptions};
use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::host::{HostFacts, Install};
use crate::process::{ProcessPlan, plan_process};
use crate::rules::PlanError;
use crate::zonecfg;

/// Where a container's zone is planned: its id, its bundle, and the file the zonecfg script is
/// written to (in the container's state directory, so a failed create can be read after).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The container id.
    pub id: String,
    /// The bundle directory (absolute).
    pub bundle: PathBuf,
    /// Where the zonecfg script goes.
    pub zonecfg_file: PathBuf,
}

/// A command of `create` and the command that undoes it when a later one fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The command.
    pub run: Command,
    /// Its undo, if it needs one.
    pub undo: Option<Command>,
}

/// Every command of a container's zone, in the order they run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ZonePlan {
    /// The zone's name.
    pub zone: String,
    /// Its zonepath.
    pub zonepath: String,
    /// The zonecfg script.
    pub zonecfg: String,
    /// `create`: VNICs (illumos), `zonecfg -z Z -f FILE`, install or clone, `zoneadm ready`.
    pub create: Vec<Step>,
    /// `start`, before the process: `zoneadm boot`, then the host and domain names.
    pub boot: Vec<Command>,
    /// The SMF milestone that must be online before the process starts.
    pub milestone: String,
    /// The container's process, when the configuration has one.
    pub process: Option<ProcessPlan>,
    /// `zoneadm -z Z halt`.
    pub halt: Command,
    /// `zoneadm -z Z uninstall -F`.
    pub uninstall: Command,
    /// `zonecfg -z Z delete -F`.
    pub unconfigure: Command,
    /// `dladm delete-vnic NAME` for each VNIC `create` made.
    pub delete_vnics: Vec<Command>,
}

impl ZonePlan {
    /// `svcs -z ZONE -H -o state MILESTONE`: the milestone's state (`online` when ready).
    pub fn wait_milestone(&self) -> Command {
        Command::new(
            "svcs",
            ["-z", &self.zone, "-H", "-o", "state", &self.milestone],
        )
    }

    /// `zoneadm -z ZONE list -p`: the zone's line.
    pub fn list(&self) -> Command {
        Command::new("zoneadm", ["-z", &self.zone, "list", "-p"])
    }

    /// The plan as the golden files hold it: the script, then each operation's commands.
    pub fn render(&self) -> String {
        let mut out = format!(
            "# zone {} at {}\n# zonecfg script\n",
            self.zone, self.zonepath
        );
        out.push_str(&self.zonecfg);
        out.push_str("# create\n");
        for s in &self.create {
            let _ = writeln!(out, "{}", s.run);
            if let Some(u) = &s.undo {
                let _ = writeln!(out, "  # undo: {u}");
            }
        }
        out.push_str("# start\n");
        for c in &self.boot {
            let _ = writeln!(out, "{c}");
        }
        let _ = writeln!(out, "{}  # until online", self.wait_milestone());
        match &self.process {
            Some(p) => {
                if p.uid != 0 {
                    let lookup = crate::process::getent_passwd(&self.zone, p.uid);
                    let _ = writeln!(out, "{lookup}  # user name; gid must be {}", p.gid);
                }
                let user = (p.uid != 0).then_some("USER");
                let _ = writeln!(out, "{}", p.zlogin(&self.zone, user));
            }
            None => out.push_str("# (no process: start fails)\n"),
        }
        out.push_str("# delete\n");
        for c in [&self.halt, &self.uninstall, &self.unconfigure]
            .into_iter()
            .chain(&self.delete_vnics)
        {
            let _ = writeln!(out, "{c}");
        }
        out
    }
}

/// FNV-1a, 64 bits: a stable hash for derived names (no dependency, same on every host).
pub(crate) fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The zone's name for container `id`: the id itself when it is a valid zone name (at most 63
/// characters of `[A-Za-z0-9_.-]`, starting with a letter or digit, not `global`, not starting
/// with the reserved `SUNW`); otherwise `c-`, the first 40 valid characters and a hash of the
/// whole id, so every container id has a distinct, valid zone name.
///
/// ```
/// assert_eq!(carrack_solaris::zone_name("web"), "web");
/// assert_eq!(carrack_solaris::zone_name("a+b").len(), 2 + 2 + 1 + 16);
/// ```
pub fn zone_name(id: &str) -> String {
    let ok = |c: char| c.is_ascii_alphanumeric() || "_.-".contains(c);
    let valid = (1..=63).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id.chars().all(ok)
        && id != "global"
        && !id.starts_with("SUNW");
    if valid {
        return id.to_owned();
    }
    let kept: String = id.chars().filter(|&c| ok(c)).take(40).collect();
    format!("c-{kept}-{:016x}", fnv1a(id))
}

/// Plans the zone of a configuration: checks it (carrack-spec's config.md rules for Solaris
/// and this crate's [`rules`](crate::rules)), then writes every command of its life.
///
/// ```
/// use carrack_solaris::{HostFacts, Placement, plan};
/// use carrack_spec::runtime::{Process, Root, Solaris, Spec};
/// let spec = Spec::default()
///     .with_root(Root::new("rootfs"))
///     .with_process(Process::new("/").with_args(["/usr/bin/true"]))
///     .with_solaris(Solaris::default().with_limitpriv("default"));
/// let at = Placement {
///     id: "web".into(),
///     bundle: "/b".into(),
///     zonecfg_file: "/run/carrack/web/zonecfg".into(),
/// };
/// let p = plan(&spec, &HostFacts::solaris11("/zones"), &at)?;
/// assert!(p.zonecfg.contains("set limitpriv=default\n"));
/// # Ok::<(), carrack_solaris::PlanError>(())
/// ```
pub fn plan(spec: &Spec, host: &HostFacts, at: &Placement) -> Result<ZonePlan, PlanError> {
    let mut opts = ValidateOptions::default();
    opts.target = Some(Target::Solaris);
    let report = spec.validate_with(&opts);
    let musts: Vec<String> = report.musts().map(ToString::to_string).collect();
    if !musts.is_empty() {
        return Err(PlanError::Spec(musts.join("; ")));
    }
    if spec.hooks.is_some() {
        return Err(PlanError::Unsupported {
            pointer: "/hooks".into(),
            what: "hooks".into(),
            os: host.os.as_str(),
            why: "this backend does not run hooks yet",
        });
    }
    let zone = zone_name(&at.id);
    let zonepath = host.zone_root.join(&zone).to_string_lossy().into_owned();
    let cfg = zonecfg::build(spec, host, &zone, &zonepath, &at.bundle)?;
    let adm = |args: &[&str]| {
        let mut v = vec!["-z", zone.as_str()];
        v.extend_from_slice(args);
        Command::new("zoneadm", v)
    };
    let halt = adm(&["halt"]);
    let uninstall = adm(&["uninstall", "-F"]);
    let unconfigure = Command::new("zonecfg", ["-z", zone.as_str(), "delete", "-F"]);
    let rootfs = rootfs(spec, &at.bundle);
    let install = match &host.install {
        Install::Rootfs { flag } => adm(&["install", flag, &rootfs]),
        Install::Packages { args } => {
            let mut v = vec!["install"];
            v.extend(args.iter().map(String::as_str));
            adm(&v)
        }
        Install::Clone { source } => adm(&["clone", source]),
    };
    let file = at.zonecfg_file.to_string_lossy();
    let mut create = cfg.vnics;
    create.extend([
        Step {
            run: Command::new("zonecfg", ["-z", zone.as_str(), "-f", &file]),
            undo: Some(unconfigure.clone()),
        },
        Step {
            run: install,
            undo: Some(uninstall.clone()),
        },
        Step {
            run: adm(&["ready"]),
            undo: Some(halt.clone()),
        },
    ]);
    let mut boot = vec![adm(&["boot"])];
    for (name, tool) in [
        (&spec.hostname, "hostname"),
        (&spec.domainname, "domainname"),
    ] {
        if let Some(n) = name {
            let line = format!("/usr/bin/{tool} {}", crate::command::sh_quote(n));
            boot.push(crate::process::zlogin(&zone, None, &line));
        }
    }
    let milestone = spec
        .solaris
        .as_ref()
        .and_then(|s| s.milestone.clone())
        .unwrap_or_else(|| host.default_milestone.clone());
    let process = match &spec.process {
        Some(p) => Some(plan_process(p, host.os, true)?),
        None => None,
    };
    Ok(ZonePlan {
        delete_vnics: cfg
            .vnic_names
            .iter()
            .map(|n| Command::new("dladm", ["delete-vnic", n.as_str()]))
            .collect(),
        zone,
        zonepath,
        zonecfg: cfg.script,
        create,
        boot,
        milestone,
        process,
        halt,
        uninstall,
        unconfigure,
    })
}

/// The root filesystem: `root.path`, relative to the bundle unless absolute.
fn rootfs(spec: &Spec, bundle: &Path) -> String {
    let path = spec.root.as_ref().map_or("rootfs", |r| r.path.as_str());
    bundle.join(path).to_string_lossy().into_owned()
}
