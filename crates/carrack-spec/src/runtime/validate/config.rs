//! config.md: the platform-neutral rules of `config.json` (version, root, mounts, process,
//! hooks, annotations) and the annotation keys that state and features follow too.

use std::collections::{BTreeMap, HashSet};

use super::listed_values;
use crate::rules::{is_abs_posix, is_abs_windows, is_cpu_list, is_volume_guid_path};
use crate::runtime::*;
use crate::validation::Checker;

rules! {
    // config.md
    VALID_VALUES = runtime("config.md", "Valid values",
        "Runtimes MUST generate an error when invalid or unsupported values are encountered.");
    CONFIG_VERSION = runtime("config.md", "Specification version",
        "ociVersion (string, REQUIRED) MUST be in SemVer v2.0.0 format");
    ROOT_HYPERV = runtime("config.md", "Root",
        "For Hyper-V Containers, this field MUST NOT be set.");
    ROOT_WINDOWS = runtime("config.md", "Root",
        "On Windows, for Windows Server Containers, this field is REQUIRED.");
    ROOT_REQUIRED = runtime("config.md", "Root",
        "On all other platforms, this field is REQUIRED.");
    ROOT_PATH_WINDOWS = runtime("config.md", "Root",
        "On Windows, path MUST be a volume GUID path.");
    ROOT_PATH_CONVENTION = runtime("config.md", "Root",
        "The value SHOULD be the conventional rootfs.");
    ROOT_READONLY_WINDOWS = runtime("config.md", "Root",
        "On Windows, this field MUST be omitted or false.");
    MOUNT_DEST_LINUX = runtime("config.md", "Mounts",
        "Linux: This value SHOULD be an absolute path.");
    MOUNT_DEST_WINDOWS = runtime("config.md", "Mounts",
        "Windows: This value MUST be an absolute path.");
    MOUNT_NESTED_WINDOWS = runtime("config.md", "Mounts",
        "One mount destination MUST NOT be nested within another mount");
    MOUNT_DEST_SOLARIS = runtime("config.md", "Mounts",
        "Solaris: This value MUST be an absolute path.");
    MOUNT_DEST_OTHER = runtime("config.md", "Mounts",
        "For all other platforms: This value MUST be an absolute path.");
    MOUNT_UID_WITH_GID = runtime("config.md", "POSIX-platform Mounts",
        "If specified, it MUST be specified along with gidMappings.");
    MOUNT_GID_WITH_UID = runtime("config.md", "POSIX-platform Mounts",
        "If specified, it MUST be specified along with uidMappings.");
    MOUNT_IDMAP_OPTION = runtime("config.md", "POSIX-platform Mounts",
        "If specified, the options field of the mounts structure SHOULD contain either idmap or ridmap to specify whether the mapping should be applied recursively for rbind mounts, as well as to ensure that older runtimes will not silently ignore this field.");
    PROCESS_FOR_START = runtime("config.md", "Process",
        "This property is REQUIRED when start is called.");
    PROCESS_CWD = runtime("config.md", "Process",
        "cwd (string, REQUIRED) is the working directory that will be set for the executable. This value MUST be an absolute path.");
    PROCESS_ARGS = runtime("config.md", "Process",
        "This specification extends the IEEE standard in that at least one entry is REQUIRED (non-Windows), and that entry is used with the same semantics as execvp's file.");
    PROCESS_ARGS_WINDOWS = runtime("config.md", "Process",
        "This field is OPTIONAL on Windows, and commandLine is REQUIRED if this field is omitted.");
    RLIMIT_TYPE = runtime("config.md", "POSIX process",
        "The runtime MUST generate an error for any values which cannot be mapped to a relevant kernel interface.");
    RLIMIT_DUPLICATE = runtime("config.md", "POSIX process",
        "If rlimits contains duplicated entries with same type, the runtime MUST generate an error.");
    CAPABILITY_UNKNOWN = runtime("config.md", "Linux Process",
        "Any value which cannot be mapped to a relevant kernel interface, or cannot be granted otherwise MUST be logged as a warning by the runtime. Runtimes SHOULD NOT fail if the container configuration requests capabilities that cannot be granted");
    SCHED_POLICY = runtime("config.md", "Linux Process",
        "policy (string, REQUIRED) represents the scheduling policy. A valid list of values is: SCHED_OTHER SCHED_FIFO SCHED_RR SCHED_BATCH SCHED_ISO SCHED_IDLE SCHED_DEADLINE")
        because VALID_VALUES;
    SCHED_FLAGS = runtime("config.md", "Linux Process",
        "flags (array of strings, OPTIONAL) is an array of strings representing scheduling flags. A valid list of values is: SCHED_FLAG_RESET_ON_FORK SCHED_FLAG_RECLAIM SCHED_FLAG_DL_OVERRUN SCHED_FLAG_KEEP_POLICY SCHED_FLAG_KEEP_PARAMS SCHED_FLAG_UTIL_CLAMP_MIN SCHED_FLAG_UTIL_CLAMP_MAX")
        because VALID_VALUES;
    IOPRIO_CLASS = runtime("config.md", "Linux Process",
        "class (string, REQUIRED) specifies the I/O scheduling class. Possible values are IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, and IOPRIO_CLASS_IDLE.")
        because VALID_VALUES;
    EXEC_CPU_AFFINITY = runtime("config.md", "Linux Process",
        "This is a a comma-separated list, with dashes to represent ranges.")
        because VALID_VALUES;
    USER_UID = runtime("config.md", "POSIX-platform User",
        "uid (int, REQUIRED) specifies the user ID in the container namespace.");
    USER_GID = runtime("config.md", "POSIX-platform User",
        "gid (int, REQUIRED) specifies the group ID in the container namespace.");
    HOOK_PATH = runtime("config.md", "POSIX-platform Hooks",
        "This specification extends the IEEE standard in that path MUST be absolute.");
    HOOK_TIMEOUT = runtime("config.md", "POSIX-platform Hooks",
        "If set, timeout MUST be greater than zero.");
    ANNOTATION_KEY_EMPTY = runtime("config.md", "Annotations",
        "Keys MUST NOT be an empty string.");
    ANNOTATION_KEY_DOMAIN = runtime("config.md", "Annotations",
        "Keys SHOULD be named using a reverse domain notation - e.g. com.example.myKey.");
    WINDOWS_REQUIRED = runtime("config.md", "Platform-specific configuration",
        "windows (object, OPTIONAL) Windows-specific configuration. This MUST be set if the target platform of this spec is windows.");
}

/// The key rules of config.md § Annotations, which state and features annotations follow too.
pub(super) fn annotations(c: &mut Checker, a: &BTreeMap<String, String>) {
    for key in a.keys() {
        if key.is_empty() {
            c.must_at(key, ANNOTATION_KEY_EMPTY, "an annotation key is empty");
        } else if !key.contains('.') {
            c.should_at(
                key,
                ANNOTATION_KEY_DOMAIN,
                format!("annotation key {key:?} is not in reverse domain notation"),
            );
        }
    }
}

impl Spec {
    pub(super) fn check_root(&self, c: &mut Checker, target: Target) {
        let hyperv = self.windows.as_ref().is_some_and(|w| w.hyperv.is_some());
        match (&self.root, target) {
            (Some(_), Target::Windows) if hyperv => {
                c.must_at("root", ROOT_HYPERV, "root is set for a Hyper-V container")
            }
            (None, Target::Windows) if !hyperv => c.must(
                ROOT_WINDOWS,
                "root is missing for a Windows Server container",
            ),
            (None, Target::Windows | Target::Unknown) => {}
            (None, _) => c.must(ROOT_REQUIRED, "root is missing"),
            (Some(root), _) => c.at("root", |c| {
                if target == Target::Windows {
                    if !is_volume_guid_path(&root.path) {
                        c.must_at(
                            "path",
                            ROOT_PATH_WINDOWS,
                            format!(
                                r"root.path {:?} is not a volume GUID path (\\?\Volume{{GUID}}\)",
                                root.path
                            ),
                        );
                    }
                } else if target.is_posix() && root.path != "rootfs" && !is_abs_posix(&root.path) {
                    c.should_at(
                        "path",
                        ROOT_PATH_CONVENTION,
                        format!(
                            "root.path is the relative path {:?}, not the conventional \"rootfs\"",
                            root.path
                        ),
                    );
                }
                if target == Target::Windows && root.readonly == Some(true) {
                    c.must_at(
                        "readonly",
                        ROOT_READONLY_WINDOWS,
                        "root.readonly is true on Windows",
                    );
                }
            }),
        }
    }
}

pub(super) fn check_mounts(c: &mut Checker, mounts: &[Mount], target: Target) {
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
                let not_absolute = format!("destination {d:?} is not an absolute path");
                match target {
                    Target::Linux if !is_abs_posix(d) => c.should(MOUNT_DEST_LINUX, not_absolute),
                    Target::Windows => {
                        if !is_abs_windows(d) {
                            c.must(MOUNT_DEST_WINDOWS, not_absolute);
                        }
                        let me = &win_dests[i];
                        if let Some(j) = win_dests.iter().enumerate().position(|(j, other)| {
                            j != i
                                && me.starts_with(other.as_str())
                                && me.as_bytes().get(other.len()) == Some(&b'\\')
                        }) {
                            c.must(
                                MOUNT_NESTED_WINDOWS,
                                format!("destination {d:?} is nested within mount {j}"),
                            );
                        }
                    }
                    Target::Solaris if !is_abs_posix(d) => {
                        c.must(MOUNT_DEST_SOLARIS, not_absolute)
                    }
                    Target::Linux | Target::Unknown | Target::Solaris => {}
                    _ if !is_abs_posix(d) => c.must(MOUNT_DEST_OTHER, not_absolute),
                    _ => {}
                }
            });
            match (&m.uid_mappings, &m.gid_mappings) {
                (Some(_), None) => c.must_at(
                    "uidMappings",
                    MOUNT_UID_WITH_GID,
                    "uidMappings is set without gidMappings",
                ),
                (None, Some(_)) => c.must_at(
                    "gidMappings",
                    MOUNT_GID_WITH_UID,
                    "gidMappings is set without uidMappings",
                ),
                (Some(_), Some(_)) => {
                    let idmap = m
                        .options
                        .as_ref()
                        .is_some_and(|o| o.iter().any(|o| o == "idmap" || o == "ridmap"));
                    if !idmap {
                        c.should(
                            MOUNT_IDMAP_OPTION,
                            "the mount has uidMappings and gidMappings but neither the idmap nor the ridmap option",
                        );
                    }
                }
                (None, None) => {}
            }
        });
    }
}

pub(super) fn check_process(c: &mut Checker, p: &Process, target: Target) {
    let cwd_ok = if target == Target::Windows {
        is_abs_windows(&p.cwd)
    } else {
        is_abs_posix(&p.cwd) || (target == Target::Unknown && is_abs_windows(&p.cwd))
    };
    if !cwd_ok {
        c.must_at(
            "cwd",
            PROCESS_CWD,
            format!("cwd {:?} is not an absolute path", p.cwd),
        );
    }
    let no_args = p.args.as_ref().is_none_or(Vec::is_empty);
    if target == Target::Windows {
        if no_args && p.command_line.is_none() {
            c.must(
                PROCESS_ARGS_WINDOWS,
                "neither args nor commandLine is given",
            );
        }
    } else if no_args {
        c.must(PROCESS_ARGS, "args has no entry");
    }
    c.opt("rlimits", &p.rlimits, |c, rlimits| {
        let mut seen = HashSet::new();
        for (i, r) in rlimits.iter().enumerate() {
            c.at(i, |c| {
                if !r.kind.is_known() && target == Target::Linux {
                    c.must_at(
                        "type",
                        RLIMIT_TYPE,
                        format!(
                            "{:?} is not a Linux resource limit (getrlimit(2))",
                            r.kind.as_str()
                        ),
                    );
                }
                if !seen.insert(r.kind.as_str()) {
                    c.must_at(
                        "type",
                        RLIMIT_DUPLICATE,
                        format!("rlimit type {} is listed more than once", r.kind),
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
                for (i, cap) in v.iter().enumerate() {
                    if !cap.is_known() {
                        c.should_at(
                            i,
                            CAPABILITY_UNKNOWN,
                            format!(
                                "unknown capability {:?}: a runtime logs a warning and should not fail",
                                cap.as_str()
                            ),
                        );
                    }
                }
            });
        }
    });
    c.opt("scheduler", &p.scheduler, |c, s| {
        if !s.policy.is_known() {
            c.must_at(
                "policy",
                SCHED_POLICY,
                format!(
                    "{:?} is not a scheduling policy the spec lists",
                    s.policy.as_str()
                ),
            );
        }
        c.opt("flags", &s.flags, |c, f| {
            listed_values(c, f, SCHED_FLAGS, "scheduler flag")
        });
    });
    c.opt("ioPriority", &p.io_priority, |c, io| {
        if !io.class.is_known() {
            c.must_at(
                "class",
                IOPRIO_CLASS,
                format!(
                    "{:?} is not an I/O priority class the spec lists",
                    io.class.as_str()
                ),
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
                    EXEC_CPU_AFFINITY,
                    format!("{v:?} is not a CPU list such as 0-3,7"),
                );
            }
        }
    });
    c.opt("user", &p.user, |c, u| {
        if target.is_posix() && target != Target::Unknown {
            if u.uid.is_none() {
                c.must(USER_UID, "user.uid is missing");
            }
            if u.gid.is_none() {
                c.must(USER_GID, "user.gid is missing");
            }
        }
    });
}

pub(super) fn check_hooks(c: &mut Checker, hooks: &Hooks) {
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
                    HOOK_PATH,
                    format!("hook path {:?} is not absolute", h.path),
                );
            }
            if let Some(t) = h.timeout
                && t <= 0
            {
                c.must_at(
                    "timeout",
                    HOOK_TIMEOUT,
                    format!("timeout {t} is not greater than zero"),
                );
            }
        });
    }
}
