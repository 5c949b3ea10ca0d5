//! Placing a container in its cgroups: the directory created in every hierarchy and joined
//! before the user process runs, its processes listed, frozen and thawed, the directories
//! removed on delete.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::{Error, Hierarchy, Result};
use carrack_fs::read_kernel_file as read;

/// Where a new container's cgroups are: created in every hierarchy before its init runs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Every directory of the container's cgroup (what the state records).
    pub dirs: Vec<PathBuf>,
    /// The cgroup v1 ones, which init enters itself ([`enter_self`]) rather than being moved.
    pub v1: Vec<PathBuf>,
    /// The cgroup2 one, if the host mounts cgroup2: a process is cloned into it (clone3's
    /// `CLONE_INTO_CGROUP`) or moved into it ([`move_into`]).
    pub v2: Option<PathBuf>,
    /// Whether a hierarchy was skipped (rootless, not delegated).
    pub skipped: bool,
}

/// Creates the cgroup `rel` in every hierarchy and moves `pid` into the cgroup2 one; the v1
/// ones are left for the process to enter by itself ([`enter_self`]). [`create`] and
/// [`move_into`] in one call.
///
/// ```no_run
/// let hierarchies = carrack_cgroups::hierarchies()?;
/// let rel = carrack_cgroups::cgroup_path(None, "web");
/// let placed = carrack_cgroups::join(&hierarchies, &rel, 4242)?;
/// // ... the process 4242 then calls enter_self(&placed.v1) ...
/// # Ok::<(), carrack_cgroups::Error>(())
/// ```
pub fn join(hierarchies: &[Hierarchy], rel: &str, pid: i32) -> Result<Placement> {
    let placed = create(hierarchies, rel)?;
    if let Some(dir) = &placed.v2
        && let Err(e) = move_into(dir, pid)
    {
        let _ = remove(&placed.dirs);
        return Err(e);
    }
    Ok(placed)
}

/// Creates the cgroup `rel` in every hierarchy, with no process in it yet.
///
/// Why no process is moved here: moving another process (`cgroup.procs`) write-locks the
/// kernel's cgroup threadgroup lock, which waits for an RCU grace period (see the crate's
/// README for the figures: 19 ms measured on a busy host), while a v1 hierarchy lets a
/// single-threaded process move itself through `tasks` without that lock ([`enter_self`]), and
/// clone3's `CLONE_INTO_CGROUP` starts a process in the cgroup2 one without a move at all
/// (carrack-linux does both; [`move_into`] is the fallback for kernels before 5.7).
///
/// A caller that is not root (a rootless container) gets the hierarchies delegated to it and
/// skips the others, as runc's rootless cgroup manager does; `skipped` tells whether any was,
/// so resources that would need them can be refused. An existing cgroup that holds processes
/// is refused ([`Error::NotEmpty`]): `kill --all` and `delete` act on every process in it.
/// On an error, what was created is removed again.
///
/// ```no_run
/// let hierarchies = carrack_cgroups::hierarchies()?;
/// let rel = carrack_cgroups::cgroup_path(None, "web");
/// let placed = carrack_cgroups::create(&hierarchies, &rel)?;
/// // ... clone a process into placed.v2, which then calls enter_self(&placed.v1) ...
/// # Ok::<(), carrack_cgroups::Error>(())
/// ```
pub fn create(hierarchies: &[Hierarchy], rel: &str) -> Result<Placement> {
    let rootless = !nix::unistd::geteuid().is_root();
    let mut out = Placement::default();
    for h in hierarchies {
        match create_one(h, rel, rootless) {
            Ok(dir) => {
                if h.v2 {
                    out.v2 = Some(dir.clone());
                } else {
                    out.v1.push(dir.clone());
                }
                out.dirs.push(dir);
            }
            Err(e)
                if rootless
                    && e.os_error().is_some_and(|e| {
                        e.kind() == io::ErrorKind::PermissionDenied
                            || e.raw_os_error() == Some(libc::EROFS)
                    }) =>
            {
                log::debug!("rootless: skipping the cgroup hierarchy {e}");
                out.skipped = true;
            }
            Err(e) => {
                let _ = remove(&out.dirs);
                return Err(e);
            }
        }
    }
    Ok(out)
}

/// Moves the process `pid` (all its threads) into the cgroup2 cgroup `dir`.
///
/// ```no_run
/// carrack_cgroups::move_into("/sys/fs/cgroup/carrack/web".as_ref(), 4242)?;
/// # Ok::<(), carrack_cgroups::Error>(())
/// ```
pub fn move_into(dir: &Path, pid: i32) -> Result<()> {
    let procs = dir.join("cgroup.procs");
    fs::write(&procs, pid.to_string()).map_err(Error::io(procs))
}

fn create_one(h: &Hierarchy, rel: &str, rootless: bool) -> Result<PathBuf> {
    let dir = h.mount_point.join(rel);
    // One mkdir when the parent exists (the usual case), the whole path otherwise.
    let fresh = match fs::create_dir(&dir) {
        Ok(()) => true,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
        Err(_) => {
            fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
            true
        }
    };
    if !fresh {
        // A cgroup that exists already must hold no process: the container's `kill --all` and
        // `delete` act on every process in it, and must never reach one that is not the
        // container's (runc refuses the same way).
        let procs = read(dir.join("cgroup.procs")).unwrap_or_default();
        let count = procs.lines().filter(|l| !l.trim().is_empty()).count();
        if count > 0 {
            return Err(Error::NotEmpty { dir, count });
        }
    }
    if h.v2 {
        enable_controllers(&h.mount_point, rel);
        // A rootless process may only be placed where it may write.
        if rootless {
            let procs = dir.join("cgroup.procs");
            nix::unistd::access(&procs, nix::unistd::AccessFlags::W_OK)
                .map_err(|e| Error::io(&procs)(e.into()))?;
        }
        return Ok(dir);
    }
    if h.has("cpuset") {
        inherit_cpuset(&h.mount_point, rel, fresh)?;
    }
    // A rootless process may enter only what is delegated to it.
    if rootless {
        let tasks = dir.join("tasks");
        nix::unistd::access(&tasks, nix::unistd::AccessFlags::W_OK)
            .map_err(|e| Error::io(&tasks)(e.into()))?;
    }
    Ok(dir)
}

/// Moves the calling process into the v1 cgroups `dirs` by writing 0 (itself) to each `tasks`
/// file; it must be single-threaded (a container's init before exec is). See [`join`].
///
/// ```no_run
/// let dirs = [std::path::PathBuf::from("/sys/fs/cgroup/pids/carrack/web")];
/// carrack_cgroups::enter_self(&dirs)?;
/// # Ok::<(), carrack_cgroups::Error>(())
/// ```
pub fn enter_self(dirs: &[PathBuf]) -> Result<()> {
    for d in dirs {
        let tasks = d.join("tasks");
        fs::write(&tasks, "0").map_err(Error::io(tasks))?;
    }
    Ok(())
}

/// On a cgroup2 hierarchy a controller's files appear in a cgroup only when its parent lists
/// the controller in `cgroup.subtree_control`: enable, from the hierarchy's root down to the
/// container's parent, every controller each level offers (as runc does). A controller a level
/// refuses (a parent with processes of its own, a threaded subtree) is left off; a resource that
/// needs it then fails naming the file it could not find.
fn enable_controllers(hierarchy: &Path, rel: &str) {
    let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    let mut dir = hierarchy.to_path_buf();
    for part in parts
        .iter()
        .take(parts.len().saturating_sub(1))
        .copied()
        .chain([""])
    {
        let offered = read(dir.join("cgroup.controllers")).unwrap_or_default();
        let enabled = read(dir.join("cgroup.subtree_control")).unwrap_or_default();
        for c in offered.split_whitespace() {
            if !enabled.split_whitespace().any(|e| e == c)
                && let Err(e) = fs::write(dir.join("cgroup.subtree_control"), format!("+{c}"))
            {
                log::debug!("{}: +{c}: {e}", dir.display());
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
fn inherit_cpuset(hierarchy: &Path, rel: &str, fresh: bool) -> Result<()> {
    let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    let write = |path: PathBuf, value: &str| fs::write(&path, value).map_err(Error::io(path));
    for file in ["cpuset.cpus", "cpuset.mems"] {
        // Usually the parent is set up already: copy its value into the new cgroup.
        if fresh && parts.len() > 1 {
            let parent = hierarchy.join(parts[..parts.len() - 1].join("/"));
            let up = read(parent.join(file)).unwrap_or_default();
            if !up.trim().is_empty() {
                write(hierarchy.join(rel).join(file), up.trim())?;
                continue;
            }
        }
        let mut dir = hierarchy.to_path_buf();
        let top = dir.join(file);
        let mut above = read(&top).map_err(Error::io(top))?.trim().to_owned();
        for (i, part) in parts.iter().enumerate() {
            dir.push(part);
            let current = if fresh && i + 1 == parts.len() {
                String::new()
            } else {
                read(dir.join(file)).unwrap_or_default().trim().to_owned()
            };
            if current.is_empty() {
                write(dir.join(file), &above)?;
            } else {
                above = current;
            }
        }
    }
    Ok(())
}

/// The pids in the container's cgroup (from its first hierarchy that lists them).
///
/// ```no_run
/// let dirs = [std::path::PathBuf::from("/sys/fs/cgroup/carrack/web")];
/// for pid in carrack_cgroups::pids(&dirs) {
///     println!("{pid}");
/// }
/// ```
pub fn pids(dirs: &[PathBuf]) -> Vec<i32> {
    dirs.iter()
        .find_map(|d| read(d.join("cgroup.procs")).ok())
        .map(|s| s.lines().filter_map(|l| l.trim().parse().ok()).collect())
        .unwrap_or_default()
}

/// Removes the cgroup directories (once empty), retrying for up to half a second while exiting
/// processes leave.
///
/// ```no_run
/// let dirs = [std::path::PathBuf::from("/sys/fs/cgroup/carrack/web")];
/// carrack_cgroups::remove(&dirs)?;
/// # Ok::<(), carrack_cgroups::Error>(())
/// ```
pub fn remove(dirs: &[PathBuf]) -> Result<()> {
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
                Err(e) => return Err(Error::io(d)(e)),
            }
        }
    }
    Ok(())
}

/// Freezes or thaws the container's processes (cgroup v2 `cgroup.freeze`, v1 freezer).
///
/// ```no_run
/// let dirs = [std::path::PathBuf::from("/sys/fs/cgroup/carrack/web")];
/// carrack_cgroups::freeze(&dirs, true)?;
/// assert!(carrack_cgroups::is_frozen(&dirs));
/// carrack_cgroups::freeze(&dirs, false)?;
/// # Ok::<(), carrack_cgroups::Error>(())
/// ```
pub fn freeze(dirs: &[PathBuf], frozen: bool) -> Result<()> {
    for d in dirs {
        let (file, value) = if d.join("cgroup.freeze").exists() {
            ("cgroup.freeze", if frozen { "1" } else { "0" })
        } else if d.join("freezer.state").exists() {
            ("freezer.state", if frozen { "FROZEN" } else { "THAWED" })
        } else {
            continue;
        };
        let path = d.join(file);
        return fs::write(&path, value).map_err(Error::io(path));
    }
    Err(Error::NoFreezer)
}

/// Whether the container's cgroup is frozen.
pub fn is_frozen(dirs: &[PathBuf]) -> bool {
    dirs.iter().any(|d| {
        read(d.join("cgroup.freeze")).is_ok_and(|s| s.trim() == "1")
            || read(d.join("freezer.state")).is_ok_and(|s| s.trim() == "FROZEN")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freezing_writes_the_v2_file_or_the_v1_state() {
        let t = tempfile::tempdir().expect("tmp");
        let v2 = t.path().join("v2");
        let v1 = t.path().join("v1");
        fs::create_dir(&v2).expect("dir");
        fs::create_dir(&v1).expect("dir");
        fs::write(v2.join("cgroup.freeze"), "0").expect("w");
        fs::write(v1.join("freezer.state"), "THAWED").expect("w");
        freeze(std::slice::from_ref(&v2), true).expect("freeze");
        assert_eq!(
            fs::read_to_string(v2.join("cgroup.freeze")).expect("r"),
            "1"
        );
        assert!(is_frozen(std::slice::from_ref(&v2)));
        freeze(std::slice::from_ref(&v1), true).expect("freeze");
        assert_eq!(
            fs::read_to_string(v1.join("freezer.state")).expect("r"),
            "FROZEN"
        );
        freeze(std::slice::from_ref(&v1), false).expect("thaw");
        assert!(!is_frozen(&[v1]));
        assert!(matches!(
            freeze(&[t.path().to_path_buf()], true),
            Err(Error::NoFreezer)
        ));
    }

    #[test]
    fn pids_come_from_the_first_hierarchy_listing_them() {
        let t = tempfile::tempdir().expect("tmp");
        fs::write(t.path().join("cgroup.procs"), "12\n 13\n\nx\n").expect("w");
        let missing = t.path().join("gone");
        assert_eq!(pids(&[missing, t.path().to_path_buf()]), [12, 13]);
    }
}
