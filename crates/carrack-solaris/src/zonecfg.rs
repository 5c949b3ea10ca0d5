//! The zonecfg script of a configuration: global properties, caps, `fs` resources for mounts,
//! `anet` (Solaris 11) or `net` (illumos) resources, and the VNIC commands illumos needs.

use std::path::Path;

use carrack_spec::runtime::{Mount, Solaris, Spec};

use crate::command::{Command, zonecfg_quote};
use crate::host::{HostFacts, HostOs};
use crate::plan::Step;
use crate::rules::{self, PlanError};

/// A zonecfg script being written, one line per subcommand.
struct Script {
    lines: Vec<String>,
}

impl Script {
    fn line(&mut self, l: impl Into<String>) {
        self.lines.push(l.into());
    }

    /// `set NAME=VALUE`, the value quoted for zonecfg; `pointer` names it in errors.
    fn set(&mut self, pointer: &str, name: &str, value: &str) -> Result<(), PlanError> {
        let v = zonecfg_quote(value).map_err(|source| PlanError::Unquotable {
            pointer: pointer.to_owned(),
            source,
        })?;
        self.line(format!("set {name}={v}"));
        Ok(())
    }

    fn set_opt(&mut self, pointer: &str, name: &str, value: Option<&str>) -> Result<(), PlanError> {
        value.map_or(Ok(()), |v| self.set(pointer, name, v))
    }
}

/// The script and the VNIC steps (illumos) of `spec`.
pub(crate) struct Zonecfg {
    pub(crate) script: String,
    pub(crate) vnics: Vec<Step>,
    pub(crate) vnic_names: Vec<String>,
}

/// Writes the zonecfg script of `spec` for a zone at `zonepath`.
pub(crate) fn build(
    spec: &Spec,
    host: &HostFacts,
    zone: &str,
    zonepath: &str,
    bundle: &Path,
) -> Result<Zonecfg, PlanError> {
    let mut s = Script { lines: Vec::new() };
    s.line("create -b");
    s.set("", "brand", &host.brand)?;
    s.set("", "zonepath", zonepath)?;
    s.line("set autoboot=false");
    s.line("set ip-type=exclusive");
    if spec.root.as_ref().and_then(|r| r.readonly) == Some(true) {
        match host.os {
            // An immutable zone: its root is read-only, /var too ("strict").
            HostOs::Solaris11 => s.line("set file-mac-profile=strict"),
            HostOs::Illumos => {
                return Err(PlanError::Unsupported {
                    pointer: "/root/readonly".into(),
                    what: "a read-only root".into(),
                    os: host.os.as_str(),
                    why: "illumos has no immutable zones (Solaris 11's file-mac-profile)",
                });
            }
        }
    }
    let sol = spec.solaris.clone().unwrap_or_default();
    global(&mut s, &sol)?;
    for (i, m) in spec.mounts.iter().flatten().enumerate() {
        fs(&mut s, i, m, bundle, host)?;
    }
    let (vnics, vnic_names) = network(&mut s, &sol, host, zone)?;
    s.line("commit");
    let mut script = s.lines.join("\n");
    script.push('\n');
    Ok(Zonecfg {
        script,
        vnics,
        vnic_names,
    })
}

fn global(s: &mut Script, sol: &Solaris) -> Result<(), PlanError> {
    s.set_opt("/solaris/limitpriv", "limitpriv", sol.limitpriv.as_deref())?;
    if let Some(v) = &sol.max_shm_memory {
        rules::check_scaled("/solaris/maxShmMemory", v)?;
        s.set("/solaris/maxShmMemory", "max-shm-memory", v)?;
    }
    if let Some(cpu) = &sol.capped_cpu {
        rules::check_capped_cpu(cpu)?;
        if let Some(n) = &cpu.ncpus {
            s.line("add capped-cpu");
            s.set("/solaris/cappedCPU/ncpus", "ncpus", n)?;
            s.line("end");
        }
    }
    if let Some(mem) = &sol.capped_memory
        && (mem.physical.is_some() || mem.swap.is_some())
    {
        s.line("add capped-memory");
        for (key, name, v) in [
            ("physical", "physical", &mem.physical),
            ("swap", "swap", &mem.swap),
        ] {
            if let Some(v) = v {
                let pointer = format!("/solaris/cappedMemory/{key}");
                rules::check_scaled(&pointer, v)?;
                s.set(&pointer, name, v)?;
            }
        }
        s.line("end");
    }
    Ok(())
}

/// A mount as an `fs` resource: destination → dir, source → special, type → type, options →
/// options. A bind mount (`bind`/`rbind` in the options, config.md) is a `lofs` mount whose
/// relative source is relative to the bundle; `bind` and `rbind` themselves are not lofs
/// options and are dropped (lofs is always recursive).
fn fs(
    s: &mut Script,
    i: usize,
    m: &Mount,
    bundle: &Path,
    host: &HostFacts,
) -> Result<(), PlanError> {
    let at = |k: &str| format!("/mounts/{i}/{k}");
    if m.uid_mappings.is_some() || m.gid_mappings.is_some() {
        return Err(PlanError::Unsupported {
            pointer: at("uidMappings"),
            what: "an idmapped mount".into(),
            os: host.os.as_str(),
            why: "zonecfg's fs resource has no id mapping",
        });
    }
    let opts = m.options.clone().unwrap_or_default();
    let bind = opts.iter().any(|o| o == "bind" || o == "rbind");
    let kind = if bind {
        Some("lofs")
    } else {
        m.kind.as_deref()
    };
    s.line("add fs");
    s.set(&at("destination"), "dir", &m.destination)?;
    if let Some(src) = &m.source {
        let special = if bind && !src.starts_with('/') {
            bundle.join(src).to_string_lossy().into_owned()
        } else {
            src.clone()
        };
        s.set(&at("source"), "special", &special)?;
    }
    s.set_opt(&at("type"), "type", kind)?;
    let kept: Vec<&String> = opts
        .iter()
        .filter(|o| *o != "bind" && *o != "rbind")
        .collect();
    if !kept.is_empty() {
        let mut quoted = Vec::new();
        for (j, o) in kept.iter().enumerate() {
            quoted.push(zonecfg_quote(o).map_err(|source| PlanError::Unquotable {
                pointer: format!("/mounts/{i}/options/{j}"),
                source,
            })?);
        }
        s.line(format!("add options [{}]", quoted.join(",")));
    }
    s.line("end");
    Ok(())
}

/// A VNIC name for `anet[i]` when it names no `linkname`: datalink names start with a letter,
/// end with a digit and have at most 31 characters, so it is derived from a hash of the zone.
fn vnic_name(zone: &str, i: usize) -> String {
    format!("crk{:08x}n{i}", crate::plan::fnv1a(zone) as u32)
}

fn network(
    s: &mut Script,
    sol: &Solaris,
    host: &HostFacts,
    zone: &str,
) -> Result<(Vec<Step>, Vec<String>), PlanError> {
    let (mut steps, mut names) = (Vec::new(), Vec::new());
    for (i, a) in sol.anet.iter().flatten().enumerate() {
        let at = |k: &str| format!("/solaris/anet/{i}/{k}");
        let configure = rules::configure_allowed_address(i, a)?;
        rules::check_mac(i, a)?;
        let protection = rules::link_protection(i, a)?.map(|v| v.join(","));
        match host.os {
            HostOs::Solaris11 => {
                s.line("add anet");
                s.set_opt(&at("linkname"), "linkname", a.linkname.as_deref())?;
                s.set_opt(&at("lowerLink"), "lower-link", a.lower_link.as_deref())?;
                let allowed = a.allowed_address.as_deref();
                s.set_opt(&at("allowedAddress"), "allowed-address", allowed)?;
                let conf = configure.map(|c| if c { "true" } else { "false" });
                s.set_opt(
                    &at("configureAllowedAddress"),
                    "configure-allowed-address",
                    conf,
                )?;
                s.set_opt(&at("defrouter"), "defrouter", a.defrouter.as_deref())?;
                s.set_opt(&at("macAddress"), "mac-address", a.mac_address.as_deref())?;
                s.set_opt(
                    &at("linkProtection"),
                    "link-protection",
                    protection.as_deref(),
                )?;
                s.line("end");
            }
            HostOs::Illumos => {
                if configure == Some(false) {
                    return Err(PlanError::Unsupported {
                        pointer: at("configureAllowedAddress"),
                        what: "configureAllowedAddress \"false\"".into(),
                        os: "illumos",
                        why: "illumos zonecfg has no configure-allowed-address: the zone \
                              configures its allowed-address at boot",
                    });
                }
                let lower = a
                    .lower_link
                    .clone()
                    .or_else(|| host.default_lower_link.clone())
                    .ok_or(PlanError::Host {
                        pointer: at("lowerLink"),
                        what: "no lowerLink, and the host facts name no default link for VNICs",
                    })?;
                let name = a.linkname.clone().unwrap_or_else(|| vnic_name(zone, i));
                let mut create = vec!["create-vnic".to_owned(), "-l".into(), lower];
                if let Some(mac) = &a.mac_address {
                    create.extend(["-m".to_owned(), mac.clone()]);
                }
                create.push(name.clone());
                steps.push(Step {
                    run: Command::new("dladm", create),
                    undo: Some(Command::new("dladm", ["delete-vnic", name.as_str()])),
                });
                if let Some(p) = &protection {
                    let prop = format!("protection={p}");
                    let args = ["set-linkprop", "-p", prop.as_str(), name.as_str()];
                    steps.push(Step {
                        run: Command::new("dladm", args),
                        undo: None,
                    });
                }
                s.line("add net");
                s.set(&at("linkname"), "physical", &name)?;
                let allowed = a.allowed_address.as_deref();
                s.set_opt(&at("allowedAddress"), "allowed-address", allowed)?;
                s.set_opt(&at("defrouter"), "defrouter", a.defrouter.as_deref())?;
                s.line("end");
                names.push(name);
            }
        }
    }
    Ok((steps, names))
}
