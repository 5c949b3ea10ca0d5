//! Placing the container in its cgroups on cgroup v2, v1 and hybrid hosts: the path from
//! `linux.cgroupsPath` (absolute, relative, or systemd's `slice:prefix:name`), created in every
//! hierarchy and joined before the user process runs; removed on delete. Resource limits are
//! the resources issue's work.

use std::fs;
use std::io;
use std::path::PathBuf;

const ROOT: &str = "/sys/fs/cgroup";

/// Whether /sys/fs/cgroup is a cgroup2 mount (a pure v2 host).
pub(crate) fn is_v2_host() -> bool {
    nix::sys::statfs::statfs(ROOT)
        .map(|s| s.filesystem_type() == nix::sys::statfs::CGROUP2_SUPER_MAGIC)
        .unwrap_or(false)
}

/// The relative cgroup path for a container.
///
/// ```
/// use carrack_linux::cgroup_path;
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
pub(crate) struct Hierarchy {
    /// Where it is mounted.
    pub(crate) mount_point: PathBuf,
    /// The cgroup this mount shows (mountinfo's root field; `/` outside a cgroup namespace).
    pub(crate) root: String,
    /// A cgroup2 mount.
    pub(crate) v2: bool,
    /// On v1, the controllers (and `name=…`) bound to it, from the super options.
    pub(crate) controllers: Vec<String>,
}

impl Hierarchy {
    /// Whether this v1 hierarchy carries `controller`.
    pub(crate) fn has(&self, controller: &str) -> bool {
        self.controllers.iter().any(|c| c == controller)
    }
}

/// The hierarchies the container's cgroup lives in, from one read of /proc/self/mountinfo
/// (rather than a directory listing and a statfs per entry).
pub(crate) fn hierarchies() -> io::Result<Vec<Hierarchy>> {
    Ok(parse_mountinfo(&crate::procfs::read(
        "/proc/self/mountinfo",
    )?))
}

/// The cgroup mounts of a mountinfo text (proc(5)): `/sys/fs/cgroup` itself when it is cgroup2,
/// else its direct children of type cgroup or cgroup2; a mount point listed twice keeps its
/// topmost (last) mount. Sorted by mount point.
pub(crate) fn parse_mountinfo(text: &str) -> Vec<Hierarchy> {
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

/// Where a new container's cgroups are: created in every hierarchy before its init runs.
#[derive(Debug, Default)]
pub(crate) struct Placement {
    /// Every directory of the container's cgroup (what the state records).
    pub(crate) dirs: Vec<PathBuf>,
    /// The cgroup v1 ones, which init enters itself ([`enter_self`]) rather than being moved.
    pub(crate) v1: Vec<PathBuf>,
    /// Whether a hierarchy was skipped (rootless, not delegated).
    pub(crate) skipped: bool,
}

/// Creates the cgroup in every hierarchy, moving `pid` into the cgroup2 ones; the v1 ones are
/// left for the process to enter by itself ([`enter_self`]).
///
/// Why: moving another process (`cgroup.procs`) write-locks the kernel's cgroup threadgroup
/// lock, which after an idle moment waits for an RCU grace period (8–16 ms on this project's CI
/// machine, most of a cold start), while a v1 hierarchy lets a single-threaded process move
/// itself through `tasks` without that lock (0.3 ms). On cgroup2 only clone3's
/// `CLONE_INTO_CGROUP` would avoid it; not used yet.
///
/// A caller that is not root (a rootless container) gets the hierarchies delegated to it and
/// skips the others, as runc's rootless cgroup manager does; `skipped` tells whether any was,
/// so resources that would need them can be refused.
pub(crate) fn join(hierarchies: &[Hierarchy], rel: &str, pid: i32) -> io::Result<Placement> {
    let rootless = !nix::unistd::geteuid().is_root();
    let mut out = Placement::default();
    let pid = pid.to_string();
    for h in hierarchies {
        match join_one(h, rel, &pid, rootless) {
            Ok(dir) => {
                if !h.v2 {
                    out.v1.push(dir.clone());
                }
                out.dirs.push(dir);
            }
            Err(e)
                if rootless
                    && (e.kind() == io::ErrorKind::PermissionDenied
                        || e.raw_os_error() == Some(libc::EROFS)) =>
            {
                out.skipped = true;
            }
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("{}: {e}", h.mount_point.display()),
                ));
            }
        }
    }
    Ok(out)
}

fn join_one(h: &Hierarchy, rel: &str, pid: &str, rootless: bool) -> io::Result<PathBuf> {
    let dir = h.mount_point.join(rel);
    // One mkdir when the parent exists (the usual case), the whole path otherwise.
    let fresh = match fs::create_dir(&dir) {
        Ok(()) => true,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
        Err(_) => {
            fs::create_dir_all(&dir)?;
            true
        }
    };
    if !fresh {
        // A cgroup that exists already must hold no process: the container's `kill --all` and
        // `delete` act on every process in it, and must never reach one that is not the
        // container's (runc refuses the same way).
        let procs = crate::procfs::read(dir.join("cgroup.procs")).unwrap_or_default();
        let n = procs.lines().filter(|l| !l.trim().is_empty()).count();
        if n > 0 {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "container's cgroup {} is not empty: {n} process(es) found",
                    dir.display()
                ),
            ));
        }
    }
    if h.v2 {
        enable_controllers(&h.mount_point, rel);
        fs::write(dir.join("cgroup.procs"), pid)?;
        return Ok(dir);
    }
    if h.has("cpuset") {
        inherit_cpuset(&h.mount_point, rel, fresh)?;
    }
    // A rootless process may enter only what is delegated to it.
    if rootless {
        nix::unistd::access(&dir.join("tasks"), nix::unistd::AccessFlags::W_OK)?;
    }
    Ok(dir)
}

/// Moves the calling process into the v1 cgroups `dirs` by writing 0 (itself) to each `tasks`
/// file; it must be single-threaded (a container's init before exec is). See [`join`].
pub(crate) fn enter_self(dirs: &[PathBuf]) -> io::Result<()> {
    for d in dirs {
        fs::write(d.join("tasks"), "0")
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", d.display())))?;
    }
    Ok(())
}

/// On a cgroup2 hierarchy a controller's files appear in a cgroup only when its parent lists
/// the controller in `cgroup.subtree_control`: enable, from the hierarchy's root down to the
/// container's parent, every controller each level offers (as runc does). A controller a level
/// refuses (a parent with processes of its own, a threaded subtree) is left off; a resource that
/// needs it then fails naming the file it could not find.
fn enable_controllers(hierarchy: &std::path::Path, rel: &str) {
    let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    let mut dir = hierarchy.to_path_buf();
    for part in parts
        .iter()
        .take(parts.len().saturating_sub(1))
        .copied()
        .chain([""])
    {
        let offered = crate::procfs::read(dir.join("cgroup.controllers")).unwrap_or_default();
        let enabled = crate::procfs::read(dir.join("cgroup.subtree_control")).unwrap_or_default();
        for c in offered.split_whitespace() {
            if !enabled.split_whitespace().any(|e| e == c) {
                let _ = fs::write(dir.join("cgroup.subtree_control"), format!("+{c}"));
            }
        }
        if part.is_empty() {
            break;
        }
        dir.push(part);
    }
}

/// A new v1 cpuset cgroup starts with no cpus and mems, and refuses tasks (ENOSPC) until they
/// are set: copy them down from the parent, level by level. `fresh`: the last level was just
/// created, so it is known to be empty.
fn inherit_cpuset(hierarchy: &std::path::Path, rel: &str, fresh: bool) -> io::Result<()> {
    let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    for file in ["cpuset.cpus", "cpuset.mems"] {
        // Usually the parent is set up already: copy its value into the new cgroup.
        if fresh && parts.len() > 1 {
            let parent = hierarchy.join(parts[..parts.len() - 1].join("/"));
            let up = crate::procfs::read(parent.join(file)).unwrap_or_default();
            if !up.trim().is_empty() {
                fs::write(hierarchy.join(rel).join(file), up.trim())?;
                continue;
            }
        }
        let mut dir = hierarchy.to_path_buf();
        let mut above = crate::procfs::read(dir.join(file))?.trim().to_owned();
        for (i, part) in parts.iter().enumerate() {
            dir.push(part);
            let current = if fresh && i + 1 == parts.len() {
                String::new()
            } else {
                crate::procfs::read(dir.join(file))
                    .unwrap_or_default()
                    .trim()
                    .to_owned()
            };
            if current.is_empty() {
                fs::write(dir.join(file), &above)?;
            } else {
                above = current;
            }
        }
    }
    Ok(())
}

/// The pids in the container's cgroup (from its first hierarchy).
pub(crate) fn pids(dirs: &[PathBuf]) -> Vec<i32> {
    dirs.iter()
        .find_map(|d| crate::procfs::read(d.join("cgroup.procs")).ok())
        .map(|s| s.lines().filter_map(|l| l.trim().parse().ok()).collect())
        .unwrap_or_default()
}

/// Removes the cgroup directories (once empty), retrying briefly while exiting processes leave.
pub(crate) fn remove(dirs: &[PathBuf]) -> io::Result<()> {
    for d in dirs {
        let mut tries = 0;
        loop {
            match fs::remove_dir(d) {
                Ok(()) => break,
                Err(e) if e.kind() == io::ErrorKind::NotFound => break,
                Err(e) if tries < 100 && e.raw_os_error() == Some(libc::EBUSY) => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", d.display()))),
            }
        }
    }
    Ok(())
}

/// Freezes or thaws the container's processes (cgroup v2 `cgroup.freeze`, v1 freezer).
pub(crate) fn freeze(dirs: &[PathBuf], frozen: bool) -> io::Result<()> {
    for d in dirs {
        if d.join("cgroup.freeze").exists() {
            return fs::write(d.join("cgroup.freeze"), if frozen { "1" } else { "0" });
        }
        if d.join("freezer.state").exists() {
            return fs::write(
                d.join("freezer.state"),
                if frozen { "FROZEN" } else { "THAWED" },
            );
        }
    }
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no freezer controller for this container",
    ))
}

/// Whether the container's cgroup is frozen.
pub(crate) fn is_frozen(dirs: &[PathBuf]) -> bool {
    dirs.iter().any(|d| {
        fs::read_to_string(d.join("cgroup.freeze")).is_ok_and(|s| s.trim() == "1")
            || fs::read_to_string(d.join("freezer.state")).is_ok_and(|s| s.trim() == "FROZEN")
    })
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
