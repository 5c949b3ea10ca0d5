//! What the host can exercise: a case that needs what is missing is skipped, with the reason.

use std::path::{Path, PathBuf};

/// The host's facts, detected once per run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Host {
    /// Running as root (most cases create containers, which needs it here).
    pub root: bool,
    /// `/sys/fs/cgroup` is a cgroup2 mount (a pure v2 host).
    pub cgroup_v2: bool,
    /// The kernel has time namespaces (`/proc/self/ns/time`).
    pub time_namespace: bool,
    /// AppArmor is enabled.
    pub apparmor: bool,
    /// SELinux is enabled.
    pub selinux: bool,
}

impl Host {
    /// Reads the facts of this host.
    pub fn detect() -> Self {
        let statfs_v2 = nix::sys::statfs::statfs("/sys/fs/cgroup")
            .is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::CGROUP2_SUPER_MAGIC);
        Self {
            root: nix::unistd::geteuid().is_root(),
            cgroup_v2: statfs_v2,
            time_namespace: Path::new("/proc/self/ns/time").exists(),
            apparmor: std::fs::read_to_string("/sys/module/apparmor/parameters/enabled")
                .is_ok_and(|s| s.trim() == "Y"),
            selinux: Path::new("/sys/fs/selinux/enforce").exists(),
        }
    }
}

/// Cgroup directories (at most four levels down in each hierarchy) whose name contains `tag`.
pub(crate) fn cgroups_named(tag: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, tag: &str, depth: u32, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            if !e.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let p = e.path();
            if e.file_name().to_string_lossy().contains(tag) {
                out.push(p);
            } else if depth > 0 {
                walk(&p, tag, depth - 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(Path::new("/sys/fs/cgroup"), tag, 4, &mut out);
    out
}
