//! The canaries that judge an attack from outside the container: host sysctls (put back as
//! they were), the host's mount table, host directories recorded entry by entry, a process's
//! status as the host sees it.

use std::path::{Path, PathBuf};

use crate::common::Env;
use crate::harness::{Verdict, sha256_file};

/// A host sysctl, read now, and put back as it was when dropped (an attack that reaches the
/// host must not leave it changed).
pub struct HostSysctl {
    path: PathBuf,
    pub before: String,
}

impl HostSysctl {
    pub fn new(key: &str) -> Self {
        let path = Path::new("/proc/sys").join(key.replace('.', "/"));
        let before = std::fs::read_to_string(&path).expect("host sysctl");
        Self { path, before }
    }
    pub fn now(&self) -> String {
        std::fs::read_to_string(&self.path).expect("host sysctl")
    }
    /// `Some(description)` if the value changed.
    pub fn changed(&self) -> Option<String> {
        let now = self.now();
        (now != self.before).then(|| {
            format!(
                "host {} went from {} to {}",
                self.path.display(),
                self.before.trim(),
                now.trim()
            )
        })
    }
}

impl Drop for HostSysctl {
    fn drop(&mut self) {
        if self.now() != self.before {
            let _ = std::fs::write(&self.path, &self.before);
        }
    }
}

/// The host's mount table, as a set of mount points, to see that a container's mounts never
/// reach it.
pub fn host_mount_points() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_to_string("/proc/self/mountinfo")
        .expect("mountinfo")
        .lines()
        .filter_map(|l| l.split(' ').nth(4).map(str::to_owned))
        .collect();
    v.sort();
    v
}

/// A host directory whose every entry (name, type, owner, mode, size, content) is recorded, to
/// see that nothing was created, removed or changed in it from inside a container.
pub struct CanaryDir {
    pub path: PathBuf,
    before: Vec<String>,
}

impl CanaryDir {
    /// A new canary directory under the test's directory, holding `marker` and `files`.
    pub fn new(env: &Env, name: &str, files: &[&str]) -> Self {
        let path = env.dir.path().join(format!("canary-{name}"));
        std::fs::create_dir_all(&path).expect("canary dir");
        std::fs::write(path.join("marker"), "marker\n").expect("marker");
        for f in files {
            std::fs::write(path.join(f), format!("{f} outside\n")).expect("canary file");
        }
        let before = Self::snapshot(&path);
        Self { path, before }
    }

    /// Watches an existing directory.
    pub fn watch(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            before: Self::snapshot(path),
        }
    }

    fn snapshot(path: &Path) -> Vec<String> {
        use std::os::unix::fs::MetadataExt;
        let mut out = Vec::new();
        let mut stack = vec![path.to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                let Ok(md) = std::fs::symlink_metadata(&p) else {
                    continue;
                };
                let content = if md.is_file() {
                    sha256_file(&p)
                } else if md.file_type().is_symlink() {
                    std::fs::read_link(&p)
                        .map(|l| l.display().to_string())
                        .unwrap_or_default()
                } else {
                    String::new()
                };
                out.push(format!(
                    "{} {:o} {}:{} {} {content}",
                    p.display(),
                    md.mode(),
                    md.uid(),
                    md.gid(),
                    md.len()
                ));
                if md.is_dir() {
                    stack.push(p);
                }
            }
        }
        out.sort();
        out
    }

    /// `Some(what changed)` if anything did.
    pub fn changed(&self) -> Option<String> {
        let now = Self::snapshot(&self.path);
        if now == self.before {
            return None;
        }
        let added: Vec<&String> = now.iter().filter(|l| !self.before.contains(l)).collect();
        let gone: Vec<&String> = self.before.iter().filter(|l| !now.contains(l)).collect();
        Some(format!(
            "host directory {} changed: new {added:?}, gone {gone:?}",
            self.path.display()
        ))
    }
}

/// A verdict from canaries: escaped if any moved, else refused when the runtime said no, else
/// contained.
pub fn judge(canaries: &[Option<String>], outcome: Result<(), String>, fine: &str) -> Verdict {
    let moved: Vec<&String> = canaries.iter().flatten().collect();
    if !moved.is_empty() {
        return Verdict::Escaped(
            moved
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        );
    }
    match outcome {
        Err(e) => Verdict::Refused(e.trim().chars().take(400).collect()),
        Ok(()) => Verdict::Contained(fine.to_owned()),
    }
}

/// A field of /proc/PID/status, read on the host.
pub fn status_field(pid: i32, field: &str) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| {
            l.strip_prefix(&format!("{field}:"))
                .map(|v| v.trim().to_owned())
        })
}
