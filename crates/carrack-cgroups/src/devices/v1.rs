//! What cgroup v1's devices controller (security/device_cgroup.c) makes of device rules written
//! one by one to `devices.allow` and `devices.deny`: a default and a list of exceptions. The
//! cgroup v2 program is compiled from this, so that it means what the same rules mean on v1
//! (runc reduces its rules the same way).

use super::Rule;

/// A default verdict and the exceptions to it, as cgroup v1 keeps them.
///
/// ```
/// use carrack_cgroups::devices::{Exceptions, Rule};
/// let rules = [
///     Rule::parse(false, "a *:* rwm")?,
///     Rule::parse(true, "c 1:3 r")?,
///     Rule::parse(true, "c 1:3 w")?,
/// ];
/// let v1 = Exceptions::of(&rules);
/// // The two allows merged into one `rw` exception.
/// assert!(v1.allows('c', 1, 3, 2 | 4));
/// assert!(!v1.allows('c', 1, 3, 1));
/// # Ok::<(), carrack_cgroups::RuleError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exceptions {
    /// Whether what no exception names is allowed.
    pub default_allow: bool,
    /// The exceptions (all of type `b` or `c`), each with the access it allows (under a deny
    /// default) or denies (under an allow default).
    pub exceptions: Vec<Rule>,
}

impl Exceptions {
    /// The state after writing `rules` in order to a cgroup that starts denying everything
    /// (what runc starts from, on v1 and v2 alike).
    pub fn of(rules: &[Rule]) -> Self {
        let mut v1 = Self::default();
        for r in rules {
            v1.write(r);
        }
        v1
    }

    /// What writing `r` to `devices.allow` (allow) or `devices.deny` does.
    pub fn write(&mut self, r: &Rule) {
        let same = |e: &Rule| (e.kind, e.major, e.minor) == (r.kind, r.major, r.minor);
        if r.kind.is_none() {
            // `a` resets: a new default and no exceptions, whatever follows the `a`.
            self.default_allow = r.allow;
            self.exceptions.clear();
        } else if r.allow == self.default_allow {
            // Agreeing with the default: the access is taken off the identical exception.
            self.exceptions.retain_mut(|e| {
                if same(e) {
                    e.access &= !r.access;
                }
                e.access != 0
            });
        } else if let Some(e) = self.exceptions.iter_mut().find(|e| same(e)) {
            e.access |= r.access;
        } else {
            let mut e = r.clone();
            e.allow = !self.default_allow;
            self.exceptions.push(e);
        }
    }

    /// Whether a request for a device of `kind` (`b` or `c`), `major`:`minor`, with `access`
    /// (bits: mknod 1, read 2, write 4) is allowed.
    pub fn allows(&self, kind: char, major: u32, minor: u32, access: u32) -> bool {
        let named = |e: &&Rule| {
            e.kind == Some(kind)
                && e.major.is_none_or(|m| m == major)
                && e.minor.is_none_or(|m| m == minor)
        };
        let mut named = self.exceptions.iter().filter(named);
        if self.default_allow {
            // Denied when an exception covers any of the access asked for.
            !named.any(|e| e.access & access != 0)
        } else {
            // Allowed when one exception covers all of it.
            named.any(|e| access & !e.access == 0)
        }
    }
}
