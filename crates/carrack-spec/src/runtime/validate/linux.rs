//! config-linux.md, all but the cgroup resources and seccomp: namespaces, devices, the cgroups
//! path, rootfs propagation, masked and readonly paths, Intel RDT, the memory policy and the
//! personality.

use std::collections::{BTreeSet, HashSet};

use super::resources::check_resources;
use super::seccomp::check_seccomp;
use super::{VALID_VALUES, listed_values};
use crate::rules::{is_abs_posix, is_cpu_list};
use crate::runtime::*;
use crate::validation::{Checker, Rule};

rules! {
    // config-linux.md
    LINUX_NS_TYPE = runtime("config-linux.md", "Namespaces",
        "type (string, REQUIRED) - namespace type. The following namespace types SHOULD be supported: pid … network … mount … ipc … uts … user … cgroup … time")
        because VALID_VALUES;
    LINUX_NS_PATH = runtime("config-linux.md", "Namespaces",
        "This value MUST be an absolute path in the runtime mount namespace.");
    LINUX_NS_DUPLICATE = runtime("config-linux.md", "Namespaces",
        "If a namespaces field contains duplicated namespaces with same type, the runtime MUST generate an error.");
    LINUX_DEVICE_TYPE = runtime("config-linux.md", "Devices",
        "type (string, REQUIRED) - type of device: c, b, u or p.")
        because VALID_VALUES;
    LINUX_DEVICE_PATH = runtime("config-linux.md", "Devices",
        "path (string, REQUIRED) - full path to device inside container.");
    LINUX_DEVICE_NUMBERS = runtime("config-linux.md", "Devices",
        "major, minor (int64, REQUIRED unless type is p) - major, minor numbers for the device.");
    LINUX_DEVICE_DUPLICATE = runtime("config-linux.md", "Devices",
        "The same type, major and minor SHOULD NOT be used for multiple devices.");
    LINUX_CGROUPS_PATH = runtime("config-linux.md", "Cgroups Path",
        "Runtimes MAY consider certain cgroupsPath values to be invalid, and MUST generate an error if this is the case.");
    LINUX_PROPAGATION = runtime("config-linux.md", "Rootfs Mount Propagation",
        "Its value is either shared, slave, private or unbindable.")
        because VALID_VALUES;
    LINUX_MASKED = runtime("config-linux.md", "Masked Paths",
        "The values MUST be absolute paths in the container namespace.");
    LINUX_READONLY = runtime("config-linux.md", "Readonly Paths",
        "The values MUST be absolute paths in the container namespace.");
    LINUX_RDT_L3 = runtime("config-linux.md", "IntelRdt",
        "The value SHOULD start with L3: and SHOULD NOT contain newlines.");
    LINUX_RDT_MB = runtime("config-linux.md", "IntelRdt",
        "The value MUST start with MB: and MUST NOT contain newlines.");
    LINUX_RDT_SCHEMATA = runtime("config-linux.md", "IntelRdt",
        "Each element represents one line in the schemata file. The value MUST NOT contain newlines.");
    LINUX_MEMPOLICY_MODE = runtime("config-linux.md", "Memory policy",
        "mode (string, REQUIRED) - A valid list of constants is shown below.")
        because VALID_VALUES;
    LINUX_MEMPOLICY_NODES = runtime("config-linux.md", "Memory policy",
        "This is a comma-separated list, with dashes to represent ranges.")
        because VALID_VALUES;
    LINUX_MEMPOLICY_FLAGS = runtime("config-linux.md", "Memory policy",
        "flags (array of strings, OPTIONAL) - list of flags to use with set_mempolicy(2). A valid list of constants is shown below.")
        because VALID_VALUES;
    LINUX_PERSONALITY_DOMAIN = runtime("config-linux.md", "Personality",
        "domain (string, REQUIRED) - the execution domain.");
    LINUX_PERSONALITY_DOMAINS = runtime("config-linux.md", "Personality",
        "The valid list of constants is shown below.")
        because VALID_VALUES;
}

pub(super) fn check_linux(c: &mut Checker, l: &Linux) {
    c.opt("namespaces", &l.namespaces, |c, ns| {
        namespaces(
            c,
            ns,
            NamespaceType::KNOWN,
            [LINUX_NS_TYPE, LINUX_NS_PATH, LINUX_NS_DUPLICATE],
        )
    });
    c.opt("devices", &l.devices, |c, devs| {
        let mut seen = HashSet::new();
        for (i, d) in devs.iter().enumerate() {
            c.at(i, |c| {
                if !d.kind.is_known() {
                    c.must_at(
                        "type",
                        LINUX_DEVICE_TYPE,
                        format!("device type {:?} is not one of c, b, u, p", d.kind.as_str()),
                    );
                }
                if !is_abs_posix(&d.path) {
                    c.must_at(
                        "path",
                        LINUX_DEVICE_PATH,
                        format!("device path {:?} is not a full path", d.path),
                    );
                }
                if d.kind != DeviceType::Fifo && d.kind.is_known() {
                    for (name, v) in [("major", d.major), ("minor", d.minor)] {
                        if v.is_none() {
                            c.must(
                                LINUX_DEVICE_NUMBERS,
                                format!("{name} is missing for device type {}", d.kind),
                            );
                        }
                    }
                }
                if let (Some(ma), Some(mi)) = (d.major, d.minor)
                    && !seen.insert((d.kind.as_str(), ma, mi))
                {
                    c.should(
                        LINUX_DEVICE_DUPLICATE,
                        format!("device {} {ma}:{mi} is listed more than once", d.kind),
                    );
                }
            });
        }
    });
    c.opt("cgroupsPath", &l.cgroups_path, |c, p| {
        if p.split('/').any(|s| s == "..") {
            c.must(
                LINUX_CGROUPS_PATH,
                format!(
                    "cgroupsPath {p:?} climbs out of the cgroup hierarchy with '..': carrack considers it invalid"
                ),
            );
        }
    });
    c.opt("resources", &l.resources, check_resources);
    c.opt("rootfsPropagation", &l.rootfs_propagation, |c, p| {
        if !p.is_known() {
            c.must(
                LINUX_PROPAGATION,
                format!(
                    "{:?} is not a rootfs propagation the spec lists",
                    p.as_str()
                ),
            );
        }
    });
    c.opt("seccomp", &l.seccomp, check_seccomp);
    for (name, paths, rule) in [
        ("maskedPaths", &l.masked_paths, LINUX_MASKED),
        ("readonlyPaths", &l.readonly_paths, LINUX_READONLY),
    ] {
        c.opt(name, paths, |c, paths| {
            for (i, p) in paths.iter().enumerate() {
                if !is_abs_posix(p) {
                    c.must_at(i, rule, format!("{p:?} is not an absolute path"));
                }
            }
        });
    }
    c.opt("intelRdt", &l.intel_rdt, |c, r| {
        if let Some(s) = &r.l3_cache_schema
            && (!s.starts_with("L3:") || s.contains('\n'))
        {
            c.should_at(
                "l3CacheSchema",
                LINUX_RDT_L3,
                "l3CacheSchema does not start with \"L3:\" or contains a newline",
            );
        }
        if let Some(s) = &r.mem_bw_schema
            && (!s.starts_with("MB:") || s.contains('\n'))
        {
            c.must_at(
                "memBwSchema",
                LINUX_RDT_MB,
                "memBwSchema does not start with \"MB:\" or contains a newline",
            );
        }
        c.opt("schemata", &r.schemata, |c, s| {
            for (i, line) in s.iter().enumerate() {
                if line.contains('\n') {
                    c.must_at(i, LINUX_RDT_SCHEMATA, "a schemata line contains a newline");
                }
            }
        });
    });
    c.opt("memoryPolicy", &l.memory_policy, |c, m| {
        if !m.mode.is_known() {
            c.must_at(
                "mode",
                LINUX_MEMPOLICY_MODE,
                format!(
                    "{:?} is not a memory policy mode the spec lists",
                    m.mode.as_str()
                ),
            );
        }
        if let Some(nodes) = &m.nodes
            && !is_cpu_list(nodes)
        {
            c.must_at(
                "nodes",
                LINUX_MEMPOLICY_NODES,
                format!("{nodes:?} is not a node list such as 0-3,7"),
            );
        }
        c.opt("flags", &m.flags, |c, f| {
            listed_values(c, f, LINUX_MEMPOLICY_FLAGS, "memory policy flag")
        });
    });
    c.opt("personality", &l.personality, |c, p| match &p.domain {
        None => c.must(LINUX_PERSONALITY_DOMAIN, "personality.domain is missing"),
        Some(d) if !d.is_known() => c.must_at(
            "domain",
            LINUX_PERSONALITY_DOMAINS,
            format!(
                "{:?} is not a personality domain the spec lists",
                d.as_str()
            ),
        ),
        Some(_) => {}
    });
}

/// The namespace rules of a chapter: `[type, path, duplicate]`, for the types it lists.
pub(super) fn namespaces(c: &mut Checker, ns: &[Namespace], listed: &[&str], rules: [Rule; 3]) {
    let [type_rule, path_rule, duplicate_rule] = rules;
    let mut seen = BTreeSet::new();
    for (i, n) in ns.iter().enumerate() {
        c.at(i, |c| {
            if !listed.contains(&n.kind.as_str()) {
                c.must_at(
                    "type",
                    type_rule,
                    format!(
                        "{:?} is not a namespace type the spec lists",
                        n.kind.as_str()
                    ),
                );
            }
            if !seen.insert(n.kind.as_str()) {
                c.must_at(
                    "type",
                    duplicate_rule,
                    format!("namespace type {} is listed more than once", n.kind),
                );
            }
            if let Some(p) = &n.path
                && !is_abs_posix(p)
            {
                c.must_at(
                    "path",
                    path_rule,
                    format!("namespace path {p:?} is not absolute"),
                );
            }
        });
    }
}
