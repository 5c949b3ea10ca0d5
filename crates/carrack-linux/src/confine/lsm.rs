//! Linux security modules: the AppArmor profile (`process.apparmorProfile`) and the SELinux
//! process label (`process.selinuxLabel`) the exec'd process takes, and the SELinux mount label
//! (`linux.mountLabel`). Asked for on a host without that LSM, each is an error, never ignored.

use std::path::Path;

use crate::error::{Error, Result as Res};

/// Whether AppArmor is enabled on this host.
pub(crate) fn apparmor_enabled() -> bool {
    std::fs::read_to_string("/sys/module/apparmor/parameters/enabled")
        .is_ok_and(|s| s.trim() == "Y")
}

/// Whether SELinux is enabled on this host (selinuxfs registered and mounted).
pub(crate) fn selinux_enabled() -> bool {
    std::fs::read_to_string("/proc/filesystems").is_ok_and(|s| s.contains("selinuxfs"))
        && Path::new("/sys/fs/selinux/enforce").exists()
}

/// The labels a process asks for, checked against the host before anything is cloned.
#[derive(Debug, Clone, Default)]
pub(crate) struct Labels {
    apparmor: Option<String>,
    selinux: Option<String>,
}

impl Labels {
    /// Checks `process`'s labels (and `mount_label`, applied by the mount code) against the host.
    pub(crate) fn check(
        process: &carrack_spec::runtime::Process,
        mount_label: Option<&str>,
    ) -> Res<Self> {
        let apparmor = process.apparmor_profile.clone().filter(|p| !p.is_empty());
        let selinux = process.selinux_label.clone().filter(|p| !p.is_empty());
        if let Some(p) = &apparmor
            && !apparmor_enabled()
        {
            return Err(Error::config(
                "/process/apparmorProfile",
                format!("{p:?}: AppArmor is not enabled on this host"),
            ));
        }
        if let Some(l) = &selinux
            && !selinux_enabled()
        {
            return Err(Error::config(
                "/process/selinuxLabel",
                format!("{l:?}: SELinux is not enabled on this host"),
            ));
        }
        if let Some(l) = mount_label.filter(|l| !l.is_empty())
            && !selinux_enabled()
        {
            return Err(Error::config(
                "/linux/mountLabel",
                format!("{l:?}: SELinux is not enabled on this host"),
            ));
        }
        Ok(Self { apparmor, selinux })
    }

    /// Sets the labels the next execve takes on, through this thread's attr files on the
    /// verified procfs `proc` (never a path a mount could redirect: CVE-2019-16884).
    pub(crate) fn apply(&self, proc: &crate::procfs::Proc) -> Res<()> {
        let attr = |name: &str| {
            proc.thread_self(name)
                .map_err(|e| Error::sys("/proc/thread-self", e))
        };
        if let Some(p) = &self.apparmor {
            // The LSM-specific file first (kernels with LSM stacking), the shared one else.
            let cmd = format!("exec {p}");
            let (own, shared) = (attr("attr/apparmor/exec")?, attr("attr/exec")?);
            proc.write(&own, cmd.as_bytes())
                .or_else(|_| proc.write(&shared, cmd.as_bytes()))
                .map_err(|e| {
                    Error::sys_at(
                        "/process/apparmorProfile",
                        format!("applying AppArmor profile {p:?}"),
                        e,
                    )
                })?;
        }
        if let Some(l) = &self.selinux {
            proc.write(&attr("attr/exec")?, l.as_bytes()).map_err(|e| {
                Error::sys_at(
                    "/process/selinuxLabel",
                    format!("applying SELinux label {l:?}"),
                    e,
                )
            })?;
        }
        Ok(())
    }
}
