//! The process of an `exec`: the container's own process (config.md § process) with what the
//! command line overrides — arguments, terminal, cwd, environment, user, capabilities — as
//! runc builds it.

use carrack_spec::runtime::{Capability, Process};

use crate::error::{Error, Result};

/// What `exec` changes in the container's process (runc's `exec` flags).
///
/// Capabilities given with `cap` are added to the bounding, effective and permitted sets only:
/// never to the inheritable or ambient sets, which would hand them on to programs the process
/// executes (CVE-2022-29162, runc's GHSA-f3fp-gc8g-vw66).
///
/// ```
/// use carrack_platform::ExecOverrides;
/// use carrack_spec::runtime::{Capability, Process};
/// let mut base = Process::new("/");
/// base.args = Some(vec!["sh".into()]);
/// let mut o = ExecOverrides::new(vec!["ls".into(), "-l".into()]);
/// o.env = vec!["A=1".into()];
/// o.user = Some("1000:1000".into());
/// o.caps = vec!["CAP_NET_ADMIN".into()];
/// let p = o.apply(base)?;
/// assert_eq!(p.args.as_deref(), Some(&["ls".to_owned(), "-l".to_owned()][..]));
/// assert_eq!(p.user.as_ref().and_then(|u| u.uid), Some(1000));
/// let caps = p.capabilities.unwrap_or_default();
/// assert!(caps.bounding.unwrap_or_default().contains(&Capability::NetAdmin));
/// assert!(caps.inheritable.unwrap_or_default().is_empty());
/// # Ok::<(), carrack_platform::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ExecOverrides {
    /// The command and its arguments; empty keeps the base process's.
    pub args: Vec<String>,
    /// Give the process a terminal (`--tty`); `None` keeps the base process's setting.
    pub terminal: Option<bool>,
    /// Working directory.
    pub cwd: Option<String>,
    /// `KEY=VALUE` entries; each replaces the base's entry of the same key.
    pub env: Vec<String>,
    /// `UID` or `UID:GID`.
    pub user: Option<String>,
    /// Additional group ids (replacing the base's).
    pub additional_gids: Vec<u32>,
    /// Capability names to add (`CAP_NET_ADMIN`, or `net_admin`).
    pub caps: Vec<String>,
    /// Set no_new_privs.
    pub no_new_privileges: bool,
    /// SELinux label.
    pub selinux_label: Option<String>,
    /// AppArmor profile.
    pub apparmor_profile: Option<String>,
}

impl ExecOverrides {
    /// Overrides running `args`.
    pub fn new(args: Vec<String>) -> Self {
        Self {
            args,
            ..Self::default()
        }
    }

    /// `base` with these overrides applied. Errors name the flag at fault.
    pub fn apply(self, mut p: Process) -> Result<Process> {
        let bad = |flag: &str, value: &str, why: &str| Error::Config {
            path: format!("exec {flag}").into(),
            reason: format!("{value:?}: {why}"),
        };
        if !self.args.is_empty() {
            p.args = Some(self.args);
        }
        if let Some(t) = self.terminal {
            p.terminal = Some(t);
        }
        if let Some(cwd) = self.cwd {
            p.cwd = cwd;
        }
        if !self.env.is_empty() {
            let mut env = p.env.take().unwrap_or_default();
            for e in self.env {
                let key = e.split('=').next().unwrap_or(&e).to_owned();
                env.retain(|x| x.split('=').next() != Some(key.as_str()));
                env.push(e);
            }
            p.env = Some(env);
        }
        if let Some(u) = &self.user {
            let (uid, gid) = u
                .split_once(':')
                .map_or((u.as_str(), None), |(a, b)| (a, Some(b)));
            let mut user = p.user.take().unwrap_or_default();
            user.uid = Some(
                uid.parse()
                    .map_err(|_| bad("--user", u, "not UID or UID:GID"))?,
            );
            if let Some(g) = gid {
                user.gid = Some(
                    g.parse()
                        .map_err(|_| bad("--user", u, "not UID or UID:GID"))?,
                );
            }
            p.user = Some(user);
        }
        if !self.additional_gids.is_empty() {
            let mut user = p.user.take().unwrap_or_default();
            user.additional_gids = Some(self.additional_gids);
            p.user = Some(user);
        }
        if let Some(l) = self.selinux_label {
            p.selinux_label = Some(l);
        }
        if let Some(a) = self.apparmor_profile {
            p.apparmor_profile = Some(a);
        }
        if !self.caps.is_empty() {
            let mut caps = p.capabilities.take().unwrap_or_default();
            for c in &self.caps {
                let up = c.to_ascii_uppercase();
                let name = if up.starts_with("CAP_") {
                    up
                } else {
                    format!("CAP_{up}")
                };
                let cap = Capability::from(name.as_str());
                if !cap.is_known() {
                    return Err(bad("--cap", c, "not a capability name"));
                }
                for set in [&mut caps.bounding, &mut caps.effective, &mut caps.permitted] {
                    let list = set.get_or_insert_with(Vec::new);
                    if !list.contains(&cap) {
                        list.push(cap.clone());
                    }
                }
            }
            p.capabilities = Some(caps);
        }
        if self.no_new_privileges {
            p.no_new_privileges = Some(true);
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Process {
        let mut p = Process::new("/");
        p.args = Some(vec!["sh".into()]);
        p.env = Some(vec!["PATH=/bin".into(), "A=old".into()]);
        p
    }

    #[test]
    fn env_replaces_by_key_and_keeps_the_rest_in_order() {
        let o = ExecOverrides {
            env: vec!["A=new".into(), "B=2".into()],
            ..ExecOverrides::default()
        };
        let p = o.apply(base()).expect("apply");
        assert_eq!(
            p.env.unwrap_or_default(),
            ["PATH=/bin", "A=new", "B=2"].map(str::to_owned)
        );
        assert_eq!(
            p.args.unwrap_or_default(),
            ["sh"],
            "no args keeps the base's"
        );
    }

    #[test]
    fn bad_flags_are_named() {
        for (user, caps) in [(Some("root"), vec![]), (None, vec!["CAP_NOPE".to_owned()])] {
            let o = ExecOverrides {
                user: user.map(str::to_owned),
                caps,
                ..ExecOverrides::default()
            };
            let e = o
                .apply(base())
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(e.starts_with("exec --"), "{e}");
        }
    }

    #[test]
    fn added_capabilities_never_reach_inheritable_or_ambient() {
        let mut p = base();
        let mut caps = carrack_spec::runtime::Capabilities::default();
        caps.inheritable = Some(vec![]);
        p.capabilities = Some(caps);
        let o = ExecOverrides {
            caps: vec!["CAP_SYS_ADMIN".into(), "CAP_SYS_ADMIN".into()],
            ..ExecOverrides::default()
        };
        let c = o.apply(p).expect("apply").capabilities.unwrap_or_default();
        for set in [&c.bounding, &c.effective, &c.permitted] {
            assert_eq!(set.as_deref(), Some(&[Capability::SysAdmin][..]));
        }
        assert_eq!(c.inheritable.as_deref(), Some(&[][..]));
        assert!(c.ambient.is_none());
    }
}
