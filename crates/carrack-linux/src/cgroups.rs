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

/// Every hierarchy directory the container's cgroup lives in.
pub(crate) fn hierarchies() -> Vec<PathBuf> {
    if is_v2_host() {
        return vec![PathBuf::from(ROOT)];
    }
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(ROOT) else {
        return out;
    };
    for e in entries.flatten() {
        let path = e.path();
        // Skip the cpu -> cpu,cpuacct style symlinks and anything not a cgroup mount.
        if e.file_type().map(|t| t.is_symlink()).unwrap_or(true) {
            continue;
        }
        let Ok(st) = nix::sys::statfs::statfs(&path) else {
            continue;
        };
        let t = st.filesystem_type();
        if t == nix::sys::statfs::CGROUP_SUPER_MAGIC || t == nix::sys::statfs::CGROUP2_SUPER_MAGIC {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Creates the cgroup in every hierarchy and moves `pid` into it; returns the directories.
///
/// A caller that is not root (a rootless container) gets the hierarchies delegated to it and
/// skips the others, as runc's rootless cgroup manager does; the second value tells whether any
/// was skipped, so resources that would need them can be refused.
pub(crate) fn join(rel: &str, pid: i32) -> io::Result<(Vec<PathBuf>, bool)> {
    let rootless = !nix::unistd::geteuid().is_root();
    let mut dirs = Vec::new();
    let mut skipped = false;
    for h in hierarchies() {
        match join_one(&h, rel, pid) {
            Ok(Some(dir)) => dirs.push(dir),
            Ok(None) => {}
            Err(e)
                if rootless
                    && (e.kind() == io::ErrorKind::PermissionDenied
                        || e.raw_os_error() == Some(libc::EROFS)) =>
            {
                skipped = true;
            }
            Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", h.display()))),
        }
    }
    Ok((dirs, skipped))
}

fn join_one(h: &std::path::Path, rel: &str, pid: i32) -> io::Result<Option<PathBuf>> {
    let dir = h.join(rel);
    fs::create_dir_all(&dir)?;
    if h.join("cpuset.cpus").exists() {
        inherit_cpuset(h, rel)?;
    }
    if h.join("cgroup.controllers").exists() {
        enable_controllers(h, rel);
    }
    if !dir.join("cgroup.procs").exists() {
        return Ok(None);
    }
    fs::write(dir.join("cgroup.procs"), pid.to_string())?;
    Ok(Some(dir))
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
        let offered = fs::read_to_string(dir.join("cgroup.controllers")).unwrap_or_default();
        let enabled = fs::read_to_string(dir.join("cgroup.subtree_control")).unwrap_or_default();
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
/// are set: copy them down from the parent, level by level.
fn inherit_cpuset(hierarchy: &std::path::Path, rel: &str) -> io::Result<()> {
    let mut parent = hierarchy.to_path_buf();
    for part in rel.split('/').filter(|p| !p.is_empty()) {
        let child = parent.join(part);
        for file in ["cpuset.cpus", "cpuset.mems"] {
            let current = fs::read_to_string(child.join(file)).unwrap_or_default();
            if current.trim().is_empty() {
                let up = fs::read_to_string(parent.join(file))?;
                fs::write(child.join(file), up.trim())?;
            }
        }
        parent = child;
    }
    Ok(())
}

/// The pids in the container's cgroup (from its first hierarchy).
pub(crate) fn pids(dirs: &[PathBuf]) -> Vec<i32> {
    let Some(d) = dirs.iter().find(|d| d.join("cgroup.procs").exists()) else {
        return Vec::new();
    };
    fs::read_to_string(d.join("cgroup.procs"))
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
