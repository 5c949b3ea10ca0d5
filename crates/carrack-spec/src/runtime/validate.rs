//! Validation of runtime-spec documents: config, state and features.

use std::collections::{BTreeSet, HashSet};

use crate::document::{Document, DocumentKind};
use crate::rules::{
    is_abs_posix, is_abs_windows, is_cpu_list, is_hugepage_size, is_semver, is_volume_guid_path,
    semver_core,
};
use crate::runtime::*;
use crate::validation::{Checker, Report, Rule};

const CONFIG_VERSION: Rule = Rule::runtime("config.md", "Specification version");
const CONFIG_ROOT: Rule = Rule::runtime("config.md", "Root");
const CONFIG_MOUNTS: Rule = Rule::runtime("config.md", "Mounts");
const CONFIG_PROCESS: Rule = Rule::runtime("config.md", "Process");
const CONFIG_USER: Rule = Rule::runtime("config.md", "User");
const CONFIG_HOOKS: Rule = Rule::runtime("config.md", "POSIX-platform Hooks");
const CONFIG_ANNOTATIONS: Rule = Rule::runtime("config.md", "Annotations");
const CONFIG_PLATFORM: Rule = Rule::runtime("config.md", "Platform-specific configuration");
const CONFIG_HOSTNAME: Rule = Rule::runtime("config.md", "Hostname");
const LINUX_NS: Rule = Rule::runtime("config-linux.md", "Namespaces");
const LINUX_IDMAP: Rule = Rule::runtime("config-linux.md", "User namespace mappings");
const LINUX_TIME: Rule = Rule::runtime("config-linux.md", "Offset for Time Namespace");
const LINUX_DEVICES: Rule = Rule::runtime("config-linux.md", "Devices");
const LINUX_NETDEV: Rule = Rule::runtime("config-linux.md", "Network Devices");
const LINUX_CGROUPS_PATH: Rule = Rule::runtime("config-linux.md", "Cgroups path");
const LINUX_DEVICE_CGROUP: Rule = Rule::runtime("config-linux.md", "Allowed Device list");
const LINUX_MEMORY: Rule = Rule::runtime("config-linux.md", "Memory");
const LINUX_CPU: Rule = Rule::runtime("config-linux.md", "CPU");
const LINUX_BLKIO: Rule = Rule::runtime("config-linux.md", "Block IO");
const LINUX_HUGEPAGE: Rule = Rule::runtime("config-linux.md", "Huge page limits");
const LINUX_RDMA: Rule = Rule::runtime("config-linux.md", "RDMA");
const LINUX_UNIFIED: Rule = Rule::runtime("config-linux.md", "Unified");
const LINUX_PROPAGATION: Rule = Rule::runtime("config-linux.md", "Rootfs Mount Propagation");
const LINUX_SECCOMP: Rule = Rule::runtime("config-linux.md", "Seccomp");
const LINUX_SYSCTL: Rule = Rule::runtime("config-linux.md", "Sysctl");
const LINUX_MASKED: Rule = Rule::runtime("config-linux.md", "Masked Paths");
const LINUX_READONLY: Rule = Rule::runtime("config-linux.md", "Readonly Paths");
const LINUX_RDT: Rule = Rule::runtime("config-linux.md", "IntelRdt");
const LINUX_MEMPOLICY: Rule = Rule::runtime("config-linux.md", "Memory policy");
const LINUX_PERSONALITY: Rule = Rule::runtime("config-linux.md", "Personality");
const WIN_LAYERS: Rule = Rule::runtime("config-windows.md", "LayerFolders");
const WIN_DEVICES: Rule = Rule::runtime("config-windows.md", "Devices");
const WIN_CPU: Rule = Rule::runtime("config-windows.md", "CPU");
const WIN_HYPERV: Rule = Rule::runtime("config-windows.md", "HyperV");
const SOLARIS_ANET: Rule = Rule::runtime("config-solaris.md", "Network");
const SOLARIS_CAPPED: Rule = Rule::runtime("config-solaris.md", "Capped-cpu");
const VM_HYPERVISOR: Rule = Rule::runtime("config-vm.md", "Hypervisor Object");
const VM_KERNEL: Rule = Rule::runtime("config-vm.md", "Kernel Object");
const VM_IMAGE: Rule = Rule::runtime("config-vm.md", "Image Object");
const ZOS_NS: Rule = Rule::runtime("config-zos.md", "Namespaces");
const FREEBSD_JAIL: Rule = Rule::runtime("config-freebsd.md", "Jail");
const STATE: Rule = Rule::runtime("runtime.md", "State");
const FEATURES: Rule = Rule::runtime("features.md", "Runtime Features");
const FEATURES_LINUX: Rule = Rule::runtime("features-linux.md", "Linux Features");

/// The platform a configuration is meant for; several rules depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Target {
    /// Linux.
    Linux,
    /// Windows.
    Windows,
    /// Solaris or illumos.
    Solaris,
    /// A virtual-machine-based runtime.
    Vm,
    /// z/OS.
    Zos,
    /// FreeBSD.
    FreeBsd,
    /// Unknown: only the platform-neutral rules apply.
    Unknown,
}

impl Target {
    fn is_posix(self) -> bool {
        !matches!(self, Self::Windows)
    }

    /// Infers the target from which platform object the configuration carries.
    ///
    /// ```
    /// use carrack_spec::runtime::{Spec, Target};
    /// assert_eq!(Target::infer(&Spec::new("1.3.0")), Target::Unknown);
    /// ```
    pub fn infer(spec: &Spec) -> Self {
        if spec.windows.is_some() {
            Self::Windows
        } else if spec.solaris.is_some() {
            Self::Solaris
        } else if spec.zos.is_some() {
            Self::Zos
        } else if spec.freebsd.is_some() {
            Self::FreeBsd
        } else if spec.vm.is_some() {
            Self::Vm
        } else if spec.linux.is_some() {
            Self::Linux
        } else {
            Self::Unknown
        }
    }
}

/// Options for [`Spec::validate_with`].
///
/// ```
/// use carrack_spec::runtime::{Spec, Target, ValidateOptions};
/// let mut opts = ValidateOptions::default();
/// opts.target = Some(Target::Linux);
/// let report = Spec::new("1.3.0").validate_with(&opts);
/// assert!(!report.is_valid()); // root is REQUIRED on Linux
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ValidateOptions {
    /// The target platform; inferred from the platform objects when `None`.
    pub target: Option<Target>,
    /// Apply the rules that hold when `start` is called (`process` REQUIRED).
    pub for_start: bool,
}

impl Document for Spec {
    const KIND: DocumentKind = DocumentKind::Config;
    fn validate(&self) -> Report {
        self.validate_with(&ValidateOptions::default())
    }
}

impl Document for State {
    const KIND: DocumentKind = DocumentKind::State;
    fn validate(&self) -> Report {
        let mut c = Checker::new();
        version(&mut c, "ociVersion", &self.oci_version, STATE);
        if self.id.is_empty() {
            c.must_at("id", STATE, "id must not be empty");
        }
        if !is_abs_posix(&self.bundle) && !is_abs_windows(&self.bundle) {
            c.must_at(
                "bundle",
                STATE,
                format!("bundle {:?} must be an absolute path", self.bundle),
            );
        }
        if matches!(self.status, Status::Created | Status::Running) && self.pid.is_none() {
            c.must(
                STATE,
                format!(
                    "pid is REQUIRED on Linux when status is {:?}",
                    self.status.as_str()
                ),
            );
        }
        c.opt("annotations", &self.annotations, |c, a| {
            annotations(c, a, STATE)
        });
        c.finish()
    }
}

impl Document for Features {
    const KIND: DocumentKind = DocumentKind::Features;
    fn validate(&self) -> Report {
        let mut c = Checker::new();
        version(&mut c, "ociVersionMin", &self.oci_version_min, FEATURES);
        version(&mut c, "ociVersionMax", &self.oci_version_max, FEATURES);
        if let (Some(min), Some(max)) = (
            semver_core(&self.oci_version_min),
            semver_core(&self.oci_version_max),
        ) && min > max
        {
            c.must(
                FEATURES,
                "ociVersionMin must not be greater than ociVersionMax",
            );
        }
        c.opt("hooks", &self.hooks, |c, hooks| {
            const KNOWN: [&str; 6] = [
                "prestart",
                "createRuntime",
                "createContainer",
                "startContainer",
                "poststart",
                "poststop",
            ];
            for (i, h) in hooks.iter().enumerate() {
                if !KNOWN.contains(&h.as_str()) {
                    c.should_at(i, FEATURES, format!("unknown hook kind {h:?}"));
                }
            }
        });
        c.opt("annotations", &self.annotations, |c, a| {
            annotations(c, a, FEATURES)
        });
        c.opt("linux", &self.linux, |c, l| {
            c.opt("namespaces", &l.namespaces, |c, v| {
                unknown_values(c, v, FEATURES_LINUX, "namespace type")
            });
            c.opt("capabilities", &l.capabilities, |c, v| {
                unknown_values(c, v, FEATURES_LINUX, "capability")
            });
            c.opt("seccomp", &l.seccomp, |c, s| {
                c.opt("actions", &s.actions, |c, v| {
                    unknown_values(c, v, FEATURES_LINUX, "seccomp action")
                });
                c.opt("operators", &s.operators, |c, v| {
                    unknown_values(c, v, FEATURES_LINUX, "seccomp operator")
                });
                c.opt("archs", &s.archs, |c, v| {
                    unknown_values(c, v, FEATURES_LINUX, "seccomp architecture")
                });
                c.opt("knownFlags", &s.known_flags, |c, v| {
                    unknown_values(c, v, FEATURES_LINUX, "seccomp flag")
                });
                if let (Some(known), Some(supported)) = (&s.known_flags, &s.supported_flags) {
                    c.at("supportedFlags", |c| {
                        for (i, f) in supported.iter().enumerate() {
                            if !known.contains(f) {
                                c.must_at(
                                    i,
                                    FEATURES_LINUX,
                                    format!("supported flag {f} is not in knownFlags"),
                                );
                            }
                        }
                    });
                }
            });
            c.opt("memoryPolicy", &l.memory_policy, |c, m| {
                c.opt("modes", &m.modes, |c, v| {
                    unknown_values(c, v, FEATURES_LINUX, "memory policy mode")
                });
                c.opt("flags", &m.flags, |c, v| {
                    unknown_values(c, v, FEATURES_LINUX, "memory policy flag")
                });
            });
        });
        c.finish()
    }
}

/// A value of an open enumeration: known or not.
trait OpenValue {
    fn known(&self) -> bool;
    fn text(&self) -> &str;
}

macro_rules! open_value {
    ($($t:ty),*) => {$(
        impl OpenValue for $t {
            fn known(&self) -> bool { self.is_known() }
            fn text(&self) -> &str { self.as_str() }
        }
    )*};
}
open_value!(
    NamespaceType,
    Capability,
    SeccompAction,
    SeccompOperator,
    SeccompArch,
    SeccompFlag,
    MemoryPolicyMode,
    MemoryPolicyFlag,
    SchedulerFlag
);

/// SHOULD findings for every unknown value of a list (the runtime will not recognise them).
fn unknown_values<T: OpenValue>(c: &mut Checker, values: &[T], rule: Rule, what: &str) {
    for (i, v) in values.iter().enumerate() {
        if !v.known() {
            c.should_at(i, rule, format!("unknown {what} {:?}", v.text()));
        }
    }
}

/// MUST findings for every unknown value of a list.
fn known_values<T: OpenValue>(c: &mut Checker, values: &[T], rule: Rule, what: &str) {
    for (i, v) in values.iter().enumerate() {
        if !v.known() {
            c.must_at(i, rule, format!("unknown {what} {:?}", v.text()));
        }
    }
}

fn version(c: &mut Checker, member: &str, v: &str, rule: Rule) {
    if !is_semver(v) {
        c.must_at(
            member,
            rule,
            format!("{member} {v:?} is not a SemVer 2.0.0 version"),
        );
    }
}

fn annotations(c: &mut Checker, a: &std::collections::BTreeMap<String, String>, rule: Rule) {
    for key in a.keys() {
        if key.is_empty() {
            c.must_at(key, rule, "annotation keys must not be empty");
        } else if !key.contains('.') {
            c.should_at(
                key,
                rule,
                format!("annotation key {key:?} should use reverse domain notation"),
            );
        }
    }
}

fn env(c: &mut Checker, env: &[String], rule: Rule) {
    for (i, e) in env.iter().enumerate() {
        match e.split_once('=') {
            Some((k, _)) if !k.is_empty() => {}
            _ => c.should_at(
                i,
                rule,
                format!("environment entry {e:?} is not of the form KEY=value"),
            ),
        }
    }
}

impl Spec {
    /// Validates against the rules of `config.md` and the chapter of the target platform.
    ///
    /// ```
    /// use carrack_spec::runtime::{Spec, ValidateOptions};
    /// let spec: Spec = serde_json::from_str(r#"{"ociVersion":"1.3.0","root":{"path":"rootfs"},
    ///   "linux":{"namespaces":[{"type":"pid"},{"type":"pid"}]}}"#).unwrap();
    /// let report = spec.validate_with(&ValidateOptions::default());
    /// assert_eq!(report.musts().next().map(|f| f.pointer.as_str()), Some("/linux/namespaces/1/type"));
    /// ```
    pub fn validate_with(&self, opts: &ValidateOptions) -> Report {
        let target = opts.target.unwrap_or_else(|| Target::infer(self));
        let mut c = Checker::new();
        version(&mut c, "ociVersion", &self.oci_version, CONFIG_VERSION);
        self.check_root(&mut c, target);
        c.opt("mounts", &self.mounts, |c, mounts| {
            check_mounts(c, mounts, target)
        });
        match &self.process {
            Some(p) => c.at("process", |c| check_process(c, p, target)),
            None if opts.for_start => {
                c.must(CONFIG_PROCESS, "process is REQUIRED when start is called")
            }
            None => {}
        }
        if self.hostname.is_some() && target == Target::Linux {
            let has_uts = self
                .linux
                .as_ref()
                .and_then(|l| l.namespaces.as_ref())
                .is_some_and(|ns| ns.iter().any(|n| n.kind == NamespaceType::Uts));
            if !has_uts {
                c.should_at(
                    "hostname",
                    CONFIG_HOSTNAME,
                    "setting hostname needs a new UTS namespace",
                );
            }
        }
        c.opt("hooks", &self.hooks, check_hooks);
        c.opt("annotations", &self.annotations, |c, a| {
            annotations(c, a, CONFIG_ANNOTATIONS)
        });
        match target {
            Target::Windows if self.windows.is_none() => c.must(
                CONFIG_PLATFORM,
                "windows MUST be set when the target platform is Windows",
            ),
            Target::Linux | Target::Unknown => {}
            _ => {}
        }
        c.opt("linux", &self.linux, |c, l| check_linux(c, l, self));
        c.opt("windows", &self.windows, check_windows);
        c.opt("solaris", &self.solaris, check_solaris);
        c.opt("vm", &self.vm, check_vm);
        c.opt("zos", &self.zos, check_zos);
        c.opt("freebsd", &self.freebsd, check_freebsd);
        c.finish()
    }

    fn check_root(&self, c: &mut Checker, target: Target) {
        let hyperv = self.windows.as_ref().is_some_and(|w| w.hyperv.is_some());
        match (&self.root, target) {
            (Some(_), Target::Windows) if hyperv => c.must_at(
                "root",
                CONFIG_ROOT,
                "root MUST NOT be set for Hyper-V containers",
            ),
            (None, Target::Windows) if !hyperv => c.must(
                CONFIG_ROOT,
                "root is REQUIRED for Windows Server containers",
            ),
            (None, Target::Windows | Target::Unknown) => {}
            (None, _) => c.must(CONFIG_ROOT, "root is REQUIRED on this platform"),
            (Some(root), _) => c.at("root", |c| {
                if root.path.is_empty() {
                    c.must_at("path", CONFIG_ROOT, "root.path must not be empty");
                } else if target == Target::Windows {
                    if !is_volume_guid_path(&root.path) {
                        c.must_at(
                            "path",
                            CONFIG_ROOT,
                            r"on Windows root.path MUST be a volume GUID path (\\?\Volume{GUID}\)",
                        );
                    }
                } else if target.is_posix() && root.path != "rootfs" && !is_abs_posix(&root.path) {
                    c.should_at(
                        "path",
                        CONFIG_ROOT,
                        format!(
                            "a relative root.path SHOULD be the conventional \"rootfs\", not {:?}",
                            root.path
                        ),
                    );
                }
                if target == Target::Windows && root.readonly == Some(true) {
                    c.must_at(
                        "readonly",
                        CONFIG_ROOT,
                        "on Windows root.readonly MUST be omitted or false",
                    );
                }
            }),
        }
    }
}

fn check_mounts(c: &mut Checker, mounts: &[Mount], target: Target) {
    let win_dests: Vec<String> = mounts
        .iter()
        .map(|m| {
            m.destination
                .to_ascii_lowercase()
                .replace('/', "\\")
                .trim_end_matches('\\')
                .to_owned()
        })
        .collect();
    for (i, m) in mounts.iter().enumerate() {
        c.at(i, |c| {
            c.at("destination", |c| {
                let d = &m.destination;
                match target {
                    Target::Linux if !is_abs_posix(d) => {
                        c.should(CONFIG_MOUNTS, format!("destination {d:?} SHOULD be an absolute path"))
                    }
                    Target::Windows => {
                        if !is_abs_windows(d) {
                            c.must(CONFIG_MOUNTS, format!("destination {d:?} MUST be an absolute path on Windows"));
                        }
                        let me = &win_dests[i];
                        if let Some(j) = win_dests
                            .iter()
                            .enumerate()
                            .position(|(j, other)| j != i && me.starts_with(other.as_str()) && me.as_bytes().get(other.len()) == Some(&b'\\'))
                        {
                            c.must(CONFIG_MOUNTS, format!("destination {d:?} is nested within mount {j}"));
                        }
                    }
                    Target::Linux | Target::Unknown => {}
                    _ if !is_abs_posix(d) => {
                        c.must(CONFIG_MOUNTS, format!("destination {d:?} MUST be an absolute path"))
                    }
                    _ => {}
                }
            });
            match (&m.uid_mappings, &m.gid_mappings) {
                (Some(_), None) => c.must_at("uidMappings", CONFIG_MOUNTS, "uidMappings MUST be specified along with gidMappings"),
                (None, Some(_)) => c.must_at("gidMappings", CONFIG_MOUNTS, "gidMappings MUST be specified along with uidMappings"),
                (Some(u), Some(g)) => {
                    c.at("uidMappings", |c| id_mappings(c, u, CONFIG_MOUNTS));
                    c.at("gidMappings", |c| id_mappings(c, g, CONFIG_MOUNTS));
                    let idmap = m.options.as_ref().is_some_and(|o| o.iter().any(|o| o == "idmap" || o == "ridmap"));
                    if !idmap {
                        c.should(CONFIG_MOUNTS, "a mount with uidMappings/gidMappings SHOULD have the idmap or ridmap option");
                    }
                }
                (None, None) => {}
            }
        });
    }
}

fn id_mappings(c: &mut Checker, maps: &[IdMapping], rule: Rule) {
    if maps.len() > 340 {
        c.should(
            rule,
            format!("{} mappings: the kernel accepts at most 340", maps.len()),
        );
    }
    for (i, m) in maps.iter().enumerate() {
        if m.size == 0 {
            c.must_at(
                i,
                rule,
                "a mapping of size 0 maps nothing and is refused by the kernel",
            );
        }
        for (what, start) in [("containerID", m.container_id), ("hostID", m.host_id)] {
            if u64::from(start) + u64::from(m.size) > 1 << 32 {
                c.must_at(
                    i,
                    rule,
                    format!(
                        "{what} {start} + size {} overflows the 32-bit id space",
                        m.size
                    ),
                );
            }
        }
        for (j, o) in maps.iter().enumerate().take(i) {
            let overlap = |a: u32, b: u32| {
                let (a, b) = (u64::from(a), u64::from(b));
                a < b + u64::from(o.size) && b < a + u64::from(m.size)
            };
            if overlap(m.container_id, o.container_id) {
                c.must_at(i, rule, format!("container id range overlaps mapping {j}"));
            }
            if overlap(m.host_id, o.host_id) {
                c.must_at(i, rule, format!("host id range overlaps mapping {j}"));
            }
        }
    }
}

fn check_process(c: &mut Checker, p: &Process, target: Target) {
    let cwd_ok = if target == Target::Windows {
        is_abs_windows(&p.cwd)
    } else {
        is_abs_posix(&p.cwd) || (target == Target::Unknown && is_abs_windows(&p.cwd))
    };
    if !cwd_ok {
        c.must_at(
            "cwd",
            CONFIG_PROCESS,
            format!("cwd {:?} MUST be an absolute path", p.cwd),
        );
    }
    let no_args = p.args.as_ref().is_none_or(Vec::is_empty);
    if target == Target::Windows {
        if no_args && p.command_line.is_none() {
            c.must(
                CONFIG_PROCESS,
                "on Windows either args or commandLine is REQUIRED",
            );
        }
    } else if no_args {
        c.must(CONFIG_PROCESS, "args MUST have at least one entry");
    }
    if target.is_posix() && target != Target::Unknown && p.command_line.is_some() {
        c.should_at(
            "commandLine",
            CONFIG_PROCESS,
            "commandLine is only meaningful on Windows",
        );
    }
    c.opt("env", &p.env, |c, e| env(c, e, CONFIG_PROCESS));
    c.opt("rlimits", &p.rlimits, |c, rlimits| {
        let mut seen = HashSet::new();
        for (i, r) in rlimits.iter().enumerate() {
            c.at(i, |c| {
                if !r.kind.is_known() && target == Target::Linux {
                    c.must_at(
                        "type",
                        CONFIG_PROCESS,
                        format!(
                            "{:?} cannot be mapped to a Linux resource limit",
                            r.kind.as_str()
                        ),
                    );
                } else if !r.kind.as_str().starts_with("RLIMIT_") {
                    c.must_at(
                        "type",
                        CONFIG_PROCESS,
                        format!(
                            "rlimit type {:?} is not of the form RLIMIT_*",
                            r.kind.as_str()
                        ),
                    );
                }
                if !seen.insert(r.kind.as_str()) {
                    c.must_at(
                        "type",
                        CONFIG_PROCESS,
                        format!("duplicated rlimit type {}", r.kind),
                    );
                }
                if r.soft > r.hard {
                    c.must_at(
                        "soft",
                        CONFIG_PROCESS,
                        format!("soft limit {} exceeds hard limit {}", r.soft, r.hard),
                    );
                }
            });
        }
    });
    c.opt("capabilities", &p.capabilities, |c, caps| {
        for (name, set) in [
            ("bounding", &caps.bounding),
            ("effective", &caps.effective),
            ("inheritable", &caps.inheritable),
            ("permitted", &caps.permitted),
            ("ambient", &caps.ambient),
        ] {
            c.opt(name, set, |c, v| {
                unknown_values(c, v, CONFIG_PROCESS, "capability")
            });
        }
    });
    c.opt("oomScoreAdj", &p.oom_score_adj, |c, v| {
        if !(-1000..=1000).contains(v) {
            c.should(
                CONFIG_PROCESS,
                format!("oomScoreAdj {v} is outside the kernel's range -1000..=1000"),
            );
        }
    });
    c.opt("scheduler", &p.scheduler, |c, s| {
        if !s.policy.is_known() {
            c.must_at(
                "policy",
                CONFIG_PROCESS,
                format!("unknown scheduling policy {:?}", s.policy.as_str()),
            );
        }
        if let Some(n) = s.nice
            && !(-20..=19).contains(&n)
        {
            c.must_at(
                "nice",
                CONFIG_PROCESS,
                format!("nice {n} is outside -20..=19"),
            );
        }
        let realtime = matches!(s.policy, SchedulerPolicy::Fifo | SchedulerPolicy::Rr);
        if let Some(p) = s.priority {
            if realtime && !(1..=99).contains(&p) {
                c.must_at(
                    "priority",
                    CONFIG_PROCESS,
                    format!("priority {p} is outside 1..=99 for {}", s.policy),
                );
            } else if !realtime && p != 0 && s.policy.is_known() {
                c.must_at(
                    "priority",
                    CONFIG_PROCESS,
                    format!("priority must be 0 for {}", s.policy),
                );
            }
        }
        if s.policy != SchedulerPolicy::Deadline {
            for (name, v) in [
                ("runtime", s.runtime),
                ("deadline", s.deadline),
                ("period", s.period),
            ] {
                if v.is_some() {
                    c.should_at(
                        name,
                        CONFIG_PROCESS,
                        format!("{name} only applies to SCHED_DEADLINE"),
                    );
                }
            }
        }
        c.opt("flags", &s.flags, |c, f| {
            known_values(c, f, CONFIG_PROCESS, "scheduler flag")
        });
    });
    c.opt("ioPriority", &p.io_priority, |c, io| {
        if !io.class.is_known() {
            c.must_at(
                "class",
                CONFIG_PROCESS,
                format!("unknown I/O priority class {:?}", io.class.as_str()),
            );
        }
        if let Some(prio) = io.priority
            && !(0..=7).contains(&prio)
        {
            c.should_at(
                "priority",
                CONFIG_PROCESS,
                format!("I/O priority {prio} should be within 0..=7"),
            );
        }
    });
    c.opt("execCPUAffinity", &p.exec_cpu_affinity, |c, a| {
        for (name, v) in [("initial", &a.initial), ("final", &a.final_)] {
            if let Some(v) = v
                && !is_cpu_list(v)
            {
                c.must_at(
                    name,
                    CONFIG_PROCESS,
                    format!("{v:?} is not a cpu list such as 0-3,7"),
                );
            }
        }
    });
    c.opt("user", &p.user, |c, u| {
        if target.is_posix() && target != Target::Unknown {
            if u.uid.is_none() {
                c.must(CONFIG_USER, "user.uid is REQUIRED on POSIX platforms");
            }
            if u.gid.is_none() {
                c.must(CONFIG_USER, "user.gid is REQUIRED on POSIX platforms");
            }
        }
        if let Some(m) = u.umask
            && m > 0o777
        {
            c.should_at(
                "umask",
                CONFIG_USER,
                format!("umask {m:#o} has bits beyond 0777"),
            );
        }
    });
}

fn check_hooks(c: &mut Checker, hooks: &Hooks) {
    if hooks.prestart.as_ref().is_some_and(|h| !h.is_empty()) {
        c.should_at(
            "prestart",
            CONFIG_HOOKS,
            "prestart hooks are deprecated; use createRuntime, createContainer or startContainer",
        );
    }
    for (name, list) in [
        ("prestart", &hooks.prestart),
        ("createRuntime", &hooks.create_runtime),
        ("createContainer", &hooks.create_container),
        ("startContainer", &hooks.start_container),
        ("poststart", &hooks.poststart),
        ("poststop", &hooks.poststop),
    ] {
        let Some(list) = list else { continue };
        c.each(name, list, |c, h| {
            if !is_abs_posix(&h.path) && !is_abs_windows(&h.path) {
                c.must_at(
                    "path",
                    CONFIG_HOOKS,
                    format!("hook path {:?} MUST be absolute", h.path),
                );
            }
            if let Some(t) = h.timeout
                && t <= 0
            {
                c.must_at(
                    "timeout",
                    CONFIG_HOOKS,
                    format!("timeout {t} MUST be greater than zero"),
                );
            }
            c.opt("env", &h.env, |c, e| env(c, e, CONFIG_HOOKS));
        });
    }
}

fn check_linux(c: &mut Checker, l: &Linux, spec: &Spec) {
    let ns_types: HashSet<&str> = l
        .namespaces
        .iter()
        .flatten()
        .map(|n| n.kind.as_str())
        .collect();
    c.opt("namespaces", &l.namespaces, |c, ns| {
        namespaces(c, ns, LINUX_NS, NamespaceType::KNOWN)
    });
    let user_ns = ns_types.contains("user");
    for (name, maps) in [
        ("uidMappings", &l.uid_mappings),
        ("gidMappings", &l.gid_mappings),
    ] {
        c.opt(name, maps, |c, m| {
            id_mappings(c, m, LINUX_IDMAP);
            if !user_ns {
                c.must(
                    LINUX_IDMAP,
                    format!("{name} need a user namespace in linux.namespaces"),
                );
            }
        });
    }
    if user_ns && l.uid_mappings.is_none() != l.gid_mappings.is_none() {
        c.must(
            LINUX_IDMAP,
            "uidMappings and gidMappings must be given together",
        );
    }
    c.opt("timeOffsets", &l.time_offsets, |c, t| {
        if !ns_types.contains("time") {
            c.must(
                LINUX_TIME,
                "timeOffsets need a time namespace in linux.namespaces",
            );
        }
        for (name, off) in [("boottime", &t.boottime), ("monotonic", &t.monotonic)] {
            c.opt(name, off, |c, o| {
                if o.nanosecs.is_some_and(|n| n >= 1_000_000_000) {
                    c.must_at("nanosecs", LINUX_TIME, "nanosecs must be below 1000000000");
                }
            });
        }
    });
    c.opt("devices", &l.devices, |c, devs| {
        let mut seen = HashSet::new();
        for (i, d) in devs.iter().enumerate() {
            c.at(i, |c| {
                if !d.kind.is_known() {
                    c.must_at(
                        "type",
                        LINUX_DEVICES,
                        format!("device type {:?} is not one of c, b, u, p", d.kind.as_str()),
                    );
                }
                if !is_abs_posix(&d.path) {
                    c.must_at(
                        "path",
                        LINUX_DEVICES,
                        format!("device path {:?} must be absolute", d.path),
                    );
                }
                let fifo = d.kind == DeviceType::Fifo;
                for (name, v) in [("major", d.major), ("minor", d.minor)] {
                    match (fifo, v) {
                        (false, None) if d.kind.is_known() => c.must(
                            LINUX_DEVICES,
                            format!("{name} is REQUIRED for device type {}", d.kind),
                        ),
                        (true, Some(_)) => c.must_at(
                            name,
                            LINUX_DEVICES,
                            format!("{name} MUST NOT be set for a FIFO"),
                        ),
                        _ => {}
                    }
                }
                if d.file_mode.is_some_and(|m| m > 0o7777) {
                    c.must_at("fileMode", LINUX_DEVICES, "fileMode has bits beyond 07777");
                }
                if let (Some(ma), Some(mi)) = (d.major, d.minor)
                    && !seen.insert((d.kind.as_str(), ma, mi))
                {
                    c.should(
                        LINUX_DEVICES,
                        format!("device {} {ma}:{mi} is listed more than once", d.kind),
                    );
                }
            });
        }
    });
    c.opt("netDevices", &l.net_devices, |c, devs| {
        if !ns_types.contains("network") {
            c.should(LINUX_NETDEV, "netDevices can only be moved into a new network namespace; none is in linux.namespaces");
        }
        for (host, d) in devs {
            c.at(host, |c| {
                if !is_ifname(host) {
                    c.must(LINUX_NETDEV, format!("{host:?} is not a valid interface name"));
                }
                if let Some(n) = &d.name
                    && !is_ifname(n)
                {
                    c.must_at("name", LINUX_NETDEV, format!("{n:?} is not a valid interface name"));
                }
            });
        }
    });
    c.opt("cgroupsPath", &l.cgroups_path, |c, p| {
        if p.split('/').any(|s| s == "..") {
            c.must(
                LINUX_CGROUPS_PATH,
                format!("cgroupsPath {p:?} must not contain '..'"),
            );
        }
    });
    c.opt("resources", &l.resources, check_resources);
    c.opt("rootfsPropagation", &l.rootfs_propagation, |c, p| {
        if !p.is_known() {
            c.must(
                LINUX_PROPAGATION,
                format!("unknown rootfs propagation {:?}", p.as_str()),
            );
        }
    });
    c.opt("seccomp", &l.seccomp, check_seccomp);
    c.opt("sysctl", &l.sysctl, |c, s| {
        for key in s.keys() {
            if key.is_empty() || key.contains("..") || key.starts_with(['/', '.']) {
                c.must_at(key, LINUX_SYSCTL, format!("{key:?} is not a sysctl name"));
            }
        }
    });
    for (name, paths, rule) in [
        ("maskedPaths", &l.masked_paths, LINUX_MASKED),
        ("readonlyPaths", &l.readonly_paths, LINUX_READONLY),
    ] {
        c.opt(name, paths, |c, paths| {
            for (i, p) in paths.iter().enumerate() {
                if !is_abs_posix(p) {
                    c.must_at(i, rule, format!("{p:?} MUST be an absolute path"));
                }
            }
        });
    }
    c.opt("intelRdt", &l.intel_rdt, |c, r| {
        if let Some(id) = &r.clos_id
            && id != "/"
            && (id.is_empty() || id.contains('/') || id == "." || id == "..")
        {
            c.must_at(
                "closID",
                LINUX_RDT,
                format!("closID {id:?} must be a directory name or \"/\""),
            );
        }
        if let Some(s) = &r.l3_cache_schema {
            if !s.starts_with("L3:") {
                c.should_at(
                    "l3CacheSchema",
                    LINUX_RDT,
                    "l3CacheSchema SHOULD start with \"L3:\"",
                );
            }
            if s.contains('\n') {
                c.should_at(
                    "l3CacheSchema",
                    LINUX_RDT,
                    "l3CacheSchema SHOULD NOT contain newlines",
                );
            }
        }
        if let Some(s) = &r.mem_bw_schema
            && (!s.starts_with("MB:") || s.contains('\n'))
        {
            c.must_at(
                "memBwSchema",
                LINUX_RDT,
                "memBwSchema MUST start with \"MB:\" and MUST NOT contain newlines",
            );
        }
        c.opt("schemata", &r.schemata, |c, s| {
            for (i, line) in s.iter().enumerate() {
                if line.contains('\n') {
                    c.must_at(i, LINUX_RDT, "schemata lines MUST NOT contain newlines");
                }
            }
        });
    });
    c.opt("memoryPolicy", &l.memory_policy, |c, m| {
        if !m.mode.is_known() {
            c.must_at(
                "mode",
                LINUX_MEMPOLICY,
                format!("unknown memory policy mode {:?}", m.mode.as_str()),
            );
        }
        let nodes = m.nodes.as_deref().map(str::trim).unwrap_or("");
        match m.mode {
            MemoryPolicyMode::Default | MemoryPolicyMode::Local if !nodes.is_empty() => c.must_at(
                "nodes",
                LINUX_MEMPOLICY,
                format!("{} takes no nodes", m.mode),
            ),
            MemoryPolicyMode::Bind
            | MemoryPolicyMode::Interleave
            | MemoryPolicyMode::WeightedInterleave
            | MemoryPolicyMode::PreferredMany
                if nodes.is_empty() =>
            {
                c.must(
                    LINUX_MEMPOLICY,
                    format!("{} needs at least one node", m.mode),
                )
            }
            _ => {}
        }
        if !is_cpu_list(nodes) {
            c.must_at(
                "nodes",
                LINUX_MEMPOLICY,
                format!("{nodes:?} is not a node list such as 0-3,7"),
            );
        }
        c.opt("flags", &m.flags, |c, f| {
            known_values(c, f, LINUX_MEMPOLICY, "memory policy flag")
        });
    });
    c.opt("personality", &l.personality, |c, p| match &p.domain {
        None => c.must(LINUX_PERSONALITY, "personality.domain is REQUIRED"),
        Some(d) if !d.is_known() => c.must_at(
            "domain",
            LINUX_PERSONALITY,
            format!("unknown personality domain {:?}", d.as_str()),
        ),
        Some(_) => {}
    });
    let _ = spec;
}

fn is_ifname(n: &str) -> bool {
    !n.is_empty()
        && n.len() < 16
        && n != "."
        && n != ".."
        && !n.contains(['/', ':'])
        && !n.chars().any(char::is_whitespace)
}

fn namespaces(c: &mut Checker, ns: &[Namespace], rule: Rule, known: &[&str]) {
    let mut seen = BTreeSet::new();
    for (i, n) in ns.iter().enumerate() {
        c.at(i, |c| {
            if !known.contains(&n.kind.as_str()) {
                c.must_at(
                    "type",
                    rule,
                    format!("unknown namespace type {:?}", n.kind.as_str()),
                );
            }
            if !seen.insert(n.kind.as_str()) {
                c.must_at(
                    "type",
                    rule,
                    format!("namespace type {} is duplicated", n.kind),
                );
            }
            if let Some(p) = &n.path
                && !is_abs_posix(p)
            {
                c.must_at(
                    "path",
                    rule,
                    format!("namespace path {p:?} MUST be absolute"),
                );
            }
        });
    }
}

fn check_resources(c: &mut Checker, r: &Resources) {
    c.opt("devices", &r.devices, |c, devs| {
        for (i, d) in devs.iter().enumerate() {
            c.at(i, |c| {
                if let Some(t) = &d.kind
                    && !matches!(t.as_str(), "a" | "b" | "c")
                {
                    c.must_at(
                        "type",
                        LINUX_DEVICE_CGROUP,
                        format!("device type {t:?} is not one of a, b, c"),
                    );
                }
                if let Some(a) = &d.access
                    && (a.is_empty() || !a.chars().all(|ch| matches!(ch, 'r' | 'w' | 'm')))
                {
                    c.must_at(
                        "access",
                        LINUX_DEVICE_CGROUP,
                        format!("access {a:?} is not a combination of r, w, m"),
                    );
                }
            });
        }
    });
    c.opt("memory", &r.memory, |c, m| {
        if m.swappiness.is_some_and(|s| s > 100) {
            c.must_at(
                "swappiness",
                LINUX_MEMORY,
                "swappiness must be within 0..=100",
            );
        }
        if let (Some(limit), Some(swap)) = (m.limit, m.swap)
            && limit > 0
            && swap > 0
            && swap < limit
        {
            c.should_at(
                "swap",
                LINUX_MEMORY,
                format!("swap {swap} (memory plus swap) is below limit {limit}"),
            );
        }
        if let (Some(limit), Some(res)) = (m.limit, m.reservation)
            && limit > 0
            && res > limit
        {
            c.should_at(
                "reservation",
                LINUX_MEMORY,
                format!("reservation {res} exceeds limit {limit}"),
            );
        }
        for (name, v) in [("kernel", m.kernel), ("kernelTCP", m.kernel_tcp)] {
            if v.is_some() {
                c.should_at(
                    name,
                    LINUX_MEMORY,
                    format!("{name} is deprecated and ignored by current kernels"),
                );
            }
        }
    });
    c.opt("cpu", &r.cpu, |c, cpu| {
        for (name, v) in [("cpus", &cpu.cpus), ("mems", &cpu.mems)] {
            if let Some(v) = v
                && !is_cpu_list(v)
            {
                c.must_at(
                    name,
                    LINUX_CPU,
                    format!("{v:?} is not a list such as 0-3,7"),
                );
            }
        }
        if let (Some(quota), Some(burst)) = (cpu.quota, cpu.burst)
            && quota > 0
            && u64::try_from(quota).is_ok_and(|q| q < burst)
        {
            c.must_at(
                "burst",
                LINUX_CPU,
                format!("burst {burst} MUST be no larger than quota {quota}"),
            );
        }
        if cpu.period == Some(0) {
            c.must_at("period", LINUX_CPU, "period must be greater than zero");
        }
        if cpu.idle.is_some_and(|i| i != 0 && i != 1) {
            c.must_at("idle", LINUX_CPU, "idle must be 0 or 1");
        }
    });
    c.opt("blockIO", &r.block_io, |c, b| {
        blkio_weights(c, b.weight, b.leaf_weight);
        c.opt("weightDevice", &b.weight_device, |c, devs| {
            for (i, d) in devs.iter().enumerate() {
                c.at(i, |c| {
                    if d.weight.is_none() && d.leaf_weight.is_none() {
                        c.must(
                            LINUX_BLKIO,
                            "at least one of weight or leafWeight MUST be specified",
                        );
                    }
                    blkio_weights(c, d.weight, d.leaf_weight);
                });
            }
        });
        for (name, list) in [
            ("throttleReadBpsDevice", &b.throttle_read_bps_device),
            ("throttleWriteBpsDevice", &b.throttle_write_bps_device),
            ("throttleReadIOPSDevice", &b.throttle_read_iops_device),
            ("throttleWriteIOPSDevice", &b.throttle_write_iops_device),
        ] {
            if let Some(list) = list {
                c.each(name, list, |c, d| {
                    if d.rate.is_none() {
                        c.must(LINUX_BLKIO, "rate is REQUIRED");
                    }
                });
            }
        }
    });
    c.opt("hugepageLimits", &r.hugepage_limits, |c, limits| {
        let mut seen = HashSet::new();
        for (i, h) in limits.iter().enumerate() {
            if !is_hugepage_size(&h.page_size) {
                c.must_at(
                    i,
                    LINUX_HUGEPAGE,
                    format!(
                        "pageSize {:?} is not of the form <size><unit>B, e.g. 2MB",
                        h.page_size
                    ),
                );
            }
            if !seen.insert(h.page_size.as_str()) {
                c.must_at(
                    i,
                    LINUX_HUGEPAGE,
                    format!("pageSize {} is listed more than once", h.page_size),
                );
            }
        }
    });
    c.opt("rdma", &r.rdma, |c, rdma| {
        for (dev, limits) in rdma {
            if limits.hca_handles.is_none() && limits.hca_objects.is_none() {
                c.must_at(
                    dev,
                    LINUX_RDMA,
                    "at least one of hcaHandles or hcaObjects MUST be specified",
                );
            }
        }
    });
    c.opt("unified", &r.unified, |c, u| {
        for key in u.keys() {
            if key.is_empty() || key.contains('/') || !key.contains('.') {
                c.must_at(
                    key,
                    LINUX_UNIFIED,
                    format!("{key:?} is not a cgroup v2 interface file name (controller.key)"),
                );
            }
        }
    });
}

fn blkio_weights(c: &mut Checker, weight: Option<u16>, leaf_weight: Option<u16>) {
    for (name, v) in [("weight", weight), ("leafWeight", leaf_weight)] {
        if let Some(w) = v
            && !(10..=1000).contains(&w)
        {
            c.must_at(
                name,
                LINUX_BLKIO,
                format!("{name} {w} is outside 10..=1000"),
            );
        }
    }
}

fn check_seccomp(c: &mut Checker, s: &Seccomp) {
    if !s.default_action.is_known() {
        c.must_at(
            "defaultAction",
            LINUX_SECCOMP,
            format!("unknown seccomp action {:?}", s.default_action.as_str()),
        );
    }
    let errno_action = |a: &SeccompAction| matches!(a, SeccompAction::Errno | SeccompAction::Trace);
    if s.default_errno_ret.is_some() && !errno_action(&s.default_action) {
        c.must_at(
            "defaultErrnoRet",
            LINUX_SECCOMP,
            format!("{} does not take an errno", s.default_action),
        );
    }
    if s.default_action == SeccompAction::Notify {
        c.must_at(
            "defaultAction",
            LINUX_SECCOMP,
            "SCMP_ACT_NOTIFY cannot be the default action",
        );
    }
    c.opt("architectures", &s.architectures, |c, a| {
        known_values(c, a, LINUX_SECCOMP, "seccomp architecture")
    });
    c.opt("flags", &s.flags, |c, f| {
        known_values(c, f, LINUX_SECCOMP, "seccomp flag")
    });
    if s.listener_metadata.is_some() && s.listener_path.is_none() {
        c.must_at(
            "listenerMetadata",
            LINUX_SECCOMP,
            "listenerMetadata MUST NOT be set if listenerPath is not set",
        );
    }
    if let Some(p) = &s.listener_path
        && !is_abs_posix(p)
    {
        c.must_at(
            "listenerPath",
            LINUX_SECCOMP,
            format!("listenerPath {p:?} must be an absolute path"),
        );
    }
    let mut notify = false;
    c.opt("syscalls", &s.syscalls, |c, calls| {
        for (i, call) in calls.iter().enumerate() {
            c.at(i, |c| {
                if call.names.is_empty() {
                    c.must_at(
                        "names",
                        LINUX_SECCOMP,
                        "names MUST contain at least one entry",
                    );
                }
                for (j, n) in call.names.iter().enumerate() {
                    if n.is_empty() {
                        c.must_at("names", LINUX_SECCOMP, format!("name {j} is empty"));
                    }
                }
                if !call.action.is_known() {
                    c.must_at(
                        "action",
                        LINUX_SECCOMP,
                        format!("unknown seccomp action {:?}", call.action.as_str()),
                    );
                }
                notify |= call.action == SeccompAction::Notify;
                if call.errno_ret.is_some() && !errno_action(&call.action) {
                    c.must_at(
                        "errnoRet",
                        LINUX_SECCOMP,
                        format!("{} does not take an errno", call.action),
                    );
                }
                c.opt("args", &call.args, |c, args| {
                    for (k, a) in args.iter().enumerate() {
                        c.at(k, |c| {
                            if a.index > 5 {
                                c.must_at(
                                    "index",
                                    LINUX_SECCOMP,
                                    format!("argument index {} is beyond 5", a.index),
                                );
                            }
                            if !a.op.is_known() {
                                c.must_at(
                                    "op",
                                    LINUX_SECCOMP,
                                    format!("unknown seccomp operator {:?}", a.op.as_str()),
                                );
                            }
                        });
                    }
                });
            });
        }
    });
    if notify && s.listener_path.is_none() {
        c.must(
            LINUX_SECCOMP,
            "SCMP_ACT_NOTIFY is used but listenerPath is not set",
        );
    }
}

fn check_windows(c: &mut Checker, w: &Windows) {
    c.at("layerFolders", |c| {
        if w.layer_folders.is_empty() {
            c.must(WIN_LAYERS, "layerFolders MUST contain at least one entry");
        }
        for (i, f) in w.layer_folders.iter().enumerate() {
            if !is_abs_windows(f) {
                c.must_at(
                    i,
                    WIN_LAYERS,
                    format!("layer folder {f:?} must be an absolute path"),
                );
            }
        }
    });
    c.opt("devices", &w.devices, |c, devs| {
        for (i, d) in devs.iter().enumerate() {
            if !d.id_type.is_known() {
                c.must_at(
                    i,
                    WIN_DEVICES,
                    format!("unknown device idType {:?}", d.id_type.as_str()),
                );
            }
        }
    });
    if let Some(cpu) = w.resources.as_ref().and_then(|r| r.cpu.as_ref()) {
        c.at("resources", |c| {
            c.at("cpu", |c| {
                let set = [
                    cpu.count.is_some(),
                    cpu.shares.is_some(),
                    cpu.maximum.is_some(),
                ];
                if set.iter().filter(|s| **s).count() > 1 {
                    c.must(WIN_CPU, "count, shares and maximum are mutually exclusive");
                }
                if cpu.shares.is_some_and(|s| s > 10_000) {
                    c.must_at("shares", WIN_CPU, "shares must be within 0..=10000");
                }
                if cpu.maximum.is_some_and(|m| m == 0 || m > 10_000) {
                    c.must_at("maximum", WIN_CPU, "maximum must be within 1..=10000");
                }
            });
        });
    }
    c.opt("hyperv", &w.hyperv, |c, h| {
        if let Some(p) = &h.utility_vm_path
            && !is_abs_windows(p)
        {
            c.must_at(
                "utilityVMPath",
                WIN_HYPERV,
                format!("{p:?} must be an absolute path"),
            );
        }
    });
}

fn check_solaris(c: &mut Checker, s: &Solaris) {
    c.opt("cappedCPU", &s.capped_cpu, |c, cpu| {
        if let Some(n) = &cpu.ncpus
            && n.parse::<f64>().map_or(true, |v| v.is_nan() || v <= 0.0)
        {
            c.must_at(
                "ncpus",
                SOLARIS_CAPPED,
                format!("ncpus {n:?} is not a positive number"),
            );
        }
    });
    c.opt("anet", &s.anet, |c, anets| {
        let mut names = HashSet::new();
        for (i, a) in anets.iter().enumerate() {
            c.at(i, |c| {
                if let Some(n) = &a.linkname
                    && !names.insert(n.as_str())
                {
                    c.must_at(
                        "linkname",
                        SOLARIS_ANET,
                        format!("linkname {n:?} is used twice"),
                    );
                }
                if let Some(v) = &a.configure_allowed_address
                    && v != "true"
                    && v != "false"
                {
                    c.must_at(
                        "configureAllowedAddress",
                        SOLARIS_ANET,
                        format!("{v:?} is not \"true\" or \"false\""),
                    );
                }
                if a.configure_allowed_address.as_deref() == Some("true")
                    && a.allowed_address.is_none()
                {
                    c.should(
                        SOLARIS_ANET,
                        "configureAllowedAddress is true but allowedAddress is not set",
                    );
                }
                if let Some(m) = &a.mac_address
                    && !is_mac_or_keyword(m)
                {
                    c.should_at(
                        "macAddress",
                        SOLARIS_ANET,
                        format!("{m:?} is neither a unicast MAC address nor a keyword"),
                    );
                }
                if let Some(p) = &a.link_protection {
                    for item in p.split(',').map(str::trim) {
                        if !matches!(
                            item,
                            "mac-nospoof" | "ip-nospoof" | "dhcp-nospoof" | "restricted" | ""
                        ) {
                            c.should_at(
                                "linkProtection",
                                SOLARIS_ANET,
                                format!("unknown link protection {item:?}"),
                            );
                        }
                    }
                }
            });
        }
    });
}

fn is_mac_or_keyword(m: &str) -> bool {
    if matches!(m, "factory" | "random" | "auto" | "default")
        || m.starts_with("random")
        || m.starts_with("factory")
    {
        return true;
    }
    let parts: Vec<&str> = m.split(':').collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|p| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_hexdigit()))
        && u8::from_str_radix(parts[0], 16).is_ok_and(|b| b & 1 == 0)
}

fn check_vm(c: &mut Checker, vm: &Vm) {
    c.opt("hypervisor", &vm.hypervisor, |c, h| {
        if !is_abs_posix(&h.path) {
            c.must_at(
                "path",
                VM_HYPERVISOR,
                format!("{:?} MUST be an absolute path", h.path),
            );
        }
    });
    c.at("kernel", |c| {
        if !is_abs_posix(&vm.kernel.path) {
            c.must_at(
                "path",
                VM_KERNEL,
                format!("{:?} MUST be an absolute path", vm.kernel.path),
            );
        }
        if let Some(i) = &vm.kernel.initrd
            && !is_abs_posix(i)
        {
            c.must_at(
                "initrd",
                VM_KERNEL,
                format!("{i:?} MUST be an absolute path"),
            );
        }
    });
    c.opt("image", &vm.image, |c, i| {
        if !is_abs_posix(&i.path) {
            c.must_at(
                "path",
                VM_IMAGE,
                format!("{:?} MUST be an absolute path", i.path),
            );
        }
        if !i.format.is_known() {
            c.must_at(
                "format",
                VM_IMAGE,
                format!("unknown image format {:?}", i.format.as_str()),
            );
        }
    });
}

fn check_zos(c: &mut Checker, z: &Zos) {
    c.opt("namespaces", &z.namespaces, |c, ns| {
        namespaces(c, ns, ZOS_NS, &["pid", "mount", "ipc", "uts"])
    });
}

fn check_freebsd(c: &mut Checker, f: &FreeBsd) {
    c.opt("devices", &f.devices, |c, devs| {
        for (i, d) in devs.iter().enumerate() {
            if d.path.as_deref().is_none_or(str::is_empty) {
                c.must_at(i, FREEBSD_JAIL, "device path is REQUIRED");
            }
        }
    });
    c.opt("jail", &f.jail, |c, j| {
        for (name, v) in [("host", &j.host), ("vnet", &j.vnet)] {
            if v.as_ref() == Some(&SharingMode::Disable) {
                c.must_at(
                    name,
                    FREEBSD_JAIL,
                    format!("{name} may only be \"new\" or \"inherit\""),
                );
            }
        }
        for (name, v) in [
            ("host", &j.host),
            ("ip4", &j.ip4),
            ("ip6", &j.ip6),
            ("vnet", &j.vnet),
            ("sysvmsg", &j.sysvmsg),
            ("sysvsem", &j.sysvsem),
            ("sysvshm", &j.sysvshm),
        ] {
            if let Some(v) = v
                && !v.is_known()
            {
                c.must_at(
                    name,
                    FREEBSD_JAIL,
                    format!("unknown sharing mode {:?}", v.as_str()),
                );
            }
        }
        if j.enforce_statfs.is_some_and(|e| e > 2) {
            c.must_at(
                "enforceStatfs",
                FREEBSD_JAIL,
                "enforceStatfs must be 0, 1 or 2",
            );
        }
        if j.vnet == Some(SharingMode::New)
            && (j.ip4 == Some(SharingMode::Inherit) || j.ip6 == Some(SharingMode::Inherit))
        {
            c.should(
                FREEBSD_JAIL,
                "a jail with its own vnet SHOULD leave ip4 and ip6 unchanged",
            );
        }
    });
}
