//! The cgroup hierarchies of the host (cgroup v2, v1 and hybrid), as /proc/self/mountinfo
//! describes them, and the cgroup path of a container from `linux.cgroupsPath`.

use std::path::PathBuf;

use crate::{Error, Result};

/// Where the cgroup hierarchies are mounted.
pub(crate) const ROOT: &str = "/sys/fs/cgroup";

/// Whether /sys/fs/cgroup is a cgroup2 mount (a pure v2 host).
///
/// ```no_run
/// if carrack_cgroups::is_v2_host() {
///     println!("unified hierarchy only");
/// }
/// ```
pub fn is_v2_host() -> bool {
    nix::sys::statfs::statfs(ROOT)
        .map(|s| s.filesystem_type() == nix::sys::statfs::CGROUP2_SUPER_MAGIC)
        .unwrap_or(false)
}

/// The relative cgroup path for a container.
///
/// ```
/// use carrack_cgroups::cgroup_path;
/// assert_eq!(cgroup_path(None, "web"), "carrack/web");
/// assert_eq!(cgroup_path(Some("/default/web"), "web"), "default/web");
/// assert_eq!(cgroup_path(Some("machine.slice:libpod:abc"), "abc"), "machine.slice/libpod-abc.scope");
/// assert_eq!(cgroup_path(Some("user-1000.slice:libpod:abc"), "abc"), "user.slice/user-1000.slice/libpod-abc.scope");
/// ```
pub fn cgroup_path(configured: Option<&str>, id: &str) -> String {
    let Some(p) = configured.filter(|p| !p.is_empty()) else {
        return format!("carrack/{id}");
    };
    if let [slice, prefix, name] = p.split(':').collect::<Vec<_>>()[..]
        && !p.starts_with('/')
    {
        // systemd's slice naming: a-b.slice lives in a.slice/a-b.slice.
        let slice = if slice.is_empty() {
            "system.slice"
        } else {
            slice
        };
        let stem = slice.trim_end_matches(".slice");
        let mut parts = Vec::new();
        let mut acc = String::new();
        for piece in stem.split('-') {
            if !acc.is_empty() {
                acc.push('-');
            }
            acc.push_str(piece);
            parts.push(format!("{acc}.slice"));
        }
        let unit = if name.ends_with(".slice") {
            name.to_owned()
        } else if prefix.is_empty() {
            format!("{name}.scope")
        } else {
            format!("{prefix}-{name}.scope")
        };
        parts.push(unit);
        return parts.join("/");
    }
    p.trim_start_matches('/').to_owned()
}

/// One cgroup hierarchy mounted at /sys/fs/cgroup (a cgroup v2 host) or /sys/fs/cgroup/NAME
/// (v1 and hybrid hosts), as /proc/self/mountinfo describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    /// Where it is mounted.
    pub mount_point: PathBuf,
    /// The cgroup this mount shows (mountinfo's root field; `/` outside a cgroup namespace).
    pub root: String,
    /// A cgroup2 mount.
    pub v2: bool,
    /// On v1, the controllers (and `name=…`) bound to it, from the super options.
    pub controllers: Vec<String>,
}

impl Hierarchy {
    /// Whether this v1 hierarchy carries `controller`.
    ///
    /// ```
    /// let h = carrack_cgroups::Hierarchy {
    ///     mount_point: "/sys/fs/cgroup/cpu,cpuacct".into(),
    ///     root: "/".into(),
    ///     v2: false,
    ///     controllers: vec!["cpu".into(), "cpuacct".into()],
    /// };
    /// assert!(h.has("cpu") && !h.has("memory"));
    /// ```
    pub fn has(&self, controller: &str) -> bool {
        self.controllers.iter().any(|c| c == controller)
    }
}

/// The hierarchies the container's cgroup lives in, from one read of /proc/self/mountinfo
/// (rather than a directory listing and a statfs per entry).
///
/// ```no_run
/// for h in carrack_cgroups::hierarchies()? {
///     println!("{} v2={} {:?}", h.mount_point.display(), h.v2, h.controllers);
/// }
/// # Ok::<(), carrack_cgroups::Error>(())
/// ```
pub fn hierarchies() -> Result<Vec<Hierarchy>> {
    const MOUNTINFO: &str = "/proc/self/mountinfo";
    let text = carrack_fs::read_kernel_file(MOUNTINFO).map_err(Error::io(MOUNTINFO))?;
    Ok(parse_mountinfo(&text))
}

/// The cgroup mounts of a mountinfo text (proc(5)): `/sys/fs/cgroup` itself when it is cgroup2,
/// else its direct children of type cgroup or cgroup2; a mount point listed twice keeps its
/// topmost (last) mount. Sorted by mount point.
///
/// ```
/// let text = "70 69 0:24 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n\
///             72 69 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n";
/// let h = carrack_cgroups::parse_mountinfo(text);
/// assert!(h[0].has("cpuacct") && !h[0].v2);
/// assert!(h[1].v2);
/// ```
pub fn parse_mountinfo(text: &str) -> Vec<Hierarchy> {
    let mut out: Vec<Hierarchy> = Vec::new();
    for line in text.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let f: Vec<&str> = left.split(' ').collect();
        let r: Vec<&str> = right.split(' ').collect();
        let (Some(root), Some(point), Some(fstype), Some(sup)) =
            (f.get(3), f.get(4), r.first(), r.get(2))
        else {
            continue;
        };
        let v2 = match *fstype {
            "cgroup2" => true,
            "cgroup" => false,
            _ => {
                // Something mounted over a hierarchy hides it.
                out.retain(|h| h.mount_point.as_os_str() != *point);
                continue;
            }
        };
        let direct = point
            .strip_prefix(ROOT)
            .is_some_and(|rest| match rest.strip_prefix('/') {
                Some(name) => !name.is_empty() && !name.contains('/'),
                None => rest.is_empty() && v2,
            });
        if !direct {
            continue;
        }
        out.retain(|h| h.mount_point.as_os_str() != *point);
        out.push(Hierarchy {
            mount_point: PathBuf::from(point),
            root: (*root).to_owned(),
            v2,
            controllers: if v2 {
                Vec::new()
            } else {
                sup.split(',')
                    .filter(|o| !matches!(*o, "rw" | "ro") && !o.contains("xattr"))
                    .map(str::to_owned)
                    .collect()
            },
        });
    }
    // A v2 host's hierarchy is /sys/fs/cgroup alone.
    if let Some(top) = out.iter().position(|h| h.mount_point.as_os_str() == ROOT) {
        let top = out.swap_remove(top);
        return vec![top];
    }
    out.sort_by(|a, b| a.mount_point.cmp(&b.mount_point));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "\
65 58 254:0 / / rw,relatime - ext4 /dev/vda rw
68 65 0:22 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw
69 68 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec - tmpfs tmpfs ro,mode=755
70 69 0:24 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate
71 69 0:25 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,xattr,name=systemd
72 69 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,cpu,cpuacct
73 69 0:27 /kubepods /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,cpuset,clone_children
74 73 0:28 / /sys/fs/cgroup/cpuset/deeper rw - cgroup cgroup rw,memory
75 69 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
76 69 0:30 / /sys/fs/cgroup/memory rw - tmpfs tmpfs rw
";

    #[test]
    fn hybrid_hosts_list_each_direct_hierarchy_with_its_controllers() {
        let h = parse_mountinfo(HYBRID);
        let points: Vec<_> = h
            .iter()
            .map(|h| h.mount_point.display().to_string())
            .collect();
        // Nested mounts are not hierarchies; a hierarchy mounted over is gone.
        assert_eq!(
            points,
            [
                "/sys/fs/cgroup/cpu,cpuacct",
                "/sys/fs/cgroup/cpuset",
                "/sys/fs/cgroup/systemd",
                "/sys/fs/cgroup/unified"
            ]
        );
        assert!(h[0].has("cpu") && h[0].has("cpuacct") && !h[0].v2);
        assert!(h[1].has("cpuset") && h[1].root == "/kubepods");
        assert!(h[2].has("name=systemd") && !h[2].has("xattr"));
        assert!(h[3].v2 && h[3].controllers.is_empty());
    }

    #[test]
    fn a_cgroup_v2_host_has_one_hierarchy() {
        let text = "\
65 58 254:0 / / rw - ext4 /dev/vda rw
69 68 0:23 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
70 69 0:24 / /sys/fs/cgroup/odd rw - cgroup cgroup rw,pids
";
        let h = parse_mountinfo(text);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].mount_point, PathBuf::from("/sys/fs/cgroup"));
        assert!(h[0].v2);
        assert!(parse_mountinfo("garbage\n\n1 2 3\n").is_empty());
    }
}
