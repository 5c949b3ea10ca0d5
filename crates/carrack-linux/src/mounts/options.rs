//! Mount options (config.md § Linux mount options) as runc 1.2 reads them: mount(2) flags,
//! propagation changes, recursive attributes set with mount_setattr(AT_RECURSIVE), the
//! `tmpcopyup` extension and idmapped mounts. Anything else is filesystem data for mount(2)'s
//! fifth argument, except `x-*` options, which are hints for userspace tools and are dropped as
//! mount(8) drops them.

use nix::mount::MsFlags;

/// `MOUNT_ATTR_*` (linux/mount.h).
pub(crate) mod attr {
    pub(crate) const RDONLY: u64 = 0x0000_0001;
    pub(crate) const NOSUID: u64 = 0x0000_0002;
    pub(crate) const NODEV: u64 = 0x0000_0004;
    pub(crate) const NOEXEC: u64 = 0x0000_0008;
    /// The access-time field: one of RELATIME (0), NOATIME, STRICTATIME.
    pub(crate) const ATIME: u64 = 0x0000_0070;
    pub(crate) const RELATIME: u64 = 0x0000_0000;
    pub(crate) const NOATIME: u64 = 0x0000_0010;
    pub(crate) const STRICTATIME: u64 = 0x0000_0020;
    pub(crate) const NODIRATIME: u64 = 0x0000_0080;
    pub(crate) const NOSYMFOLLOW: u64 = 0x0020_0000;
}

/// `MS_NOSYMFOLLOW` (Linux 5.10), which nix does not name.
pub(crate) const MS_NOSYMFOLLOW: MsFlags = MsFlags::from_bits_retain(libc::MS_NOSYMFOLLOW);

/// What one option does.
#[derive(Debug, Clone, Copy)]
enum Effect {
    /// Sets or clears mount(2) flags. (`defaults` is the empty set: a no-op.)
    Flag(MsFlags, bool),
    /// Changes propagation once the mount is made.
    Propagation(MsFlags),
    /// Sets or clears a `MOUNT_ATTR_*` on the mount and every mount below it.
    Recursive(u64, bool),
    /// `tmpcopyup`: the tmpfs gets a copy of what it covers.
    CopyUp,
    /// `idmap` / `ridmap` (recursive).
    Idmap(bool),
}

const SET: bool = false;
const CLEAR: bool = true;

/// Every option carrack knows, with its meaning: runc 1.2's `mountFlags`,
/// `mountPropagationMapping`, `recAttrFlags`, `extensionFlags` and `complexFlags`.
const TABLE: &[(&str, Effect)] = &[
    ("async", Effect::Flag(MsFlags::MS_SYNCHRONOUS, CLEAR)),
    ("atime", Effect::Flag(MsFlags::MS_NOATIME, CLEAR)),
    ("bind", Effect::Flag(MsFlags::MS_BIND, SET)),
    ("defaults", Effect::Flag(MsFlags::empty(), SET)),
    ("dev", Effect::Flag(MsFlags::MS_NODEV, CLEAR)),
    ("diratime", Effect::Flag(MsFlags::MS_NODIRATIME, CLEAR)),
    ("dirsync", Effect::Flag(MsFlags::MS_DIRSYNC, SET)),
    ("exec", Effect::Flag(MsFlags::MS_NOEXEC, CLEAR)),
    ("iversion", Effect::Flag(MsFlags::MS_I_VERSION, SET)),
    ("lazytime", Effect::Flag(MsFlags::MS_LAZYTIME, SET)),
    ("loud", Effect::Flag(MsFlags::MS_SILENT, CLEAR)),
    ("mand", Effect::Flag(MsFlags::MS_MANDLOCK, SET)),
    ("noatime", Effect::Flag(MsFlags::MS_NOATIME, SET)),
    ("nodev", Effect::Flag(MsFlags::MS_NODEV, SET)),
    ("nodiratime", Effect::Flag(MsFlags::MS_NODIRATIME, SET)),
    ("noexec", Effect::Flag(MsFlags::MS_NOEXEC, SET)),
    ("noiversion", Effect::Flag(MsFlags::MS_I_VERSION, CLEAR)),
    ("nolazytime", Effect::Flag(MsFlags::MS_LAZYTIME, CLEAR)),
    ("nomand", Effect::Flag(MsFlags::MS_MANDLOCK, CLEAR)),
    ("norelatime", Effect::Flag(MsFlags::MS_RELATIME, CLEAR)),
    (
        "nostrictatime",
        Effect::Flag(MsFlags::MS_STRICTATIME, CLEAR),
    ),
    ("nosuid", Effect::Flag(MsFlags::MS_NOSUID, SET)),
    ("nosymfollow", Effect::Flag(MS_NOSYMFOLLOW, SET)),
    (
        "rbind",
        Effect::Flag(MsFlags::MS_BIND.union(MsFlags::MS_REC), SET),
    ),
    ("relatime", Effect::Flag(MsFlags::MS_RELATIME, SET)),
    ("remount", Effect::Flag(MsFlags::MS_REMOUNT, SET)),
    ("ro", Effect::Flag(MsFlags::MS_RDONLY, SET)),
    ("rw", Effect::Flag(MsFlags::MS_RDONLY, CLEAR)),
    ("silent", Effect::Flag(MsFlags::MS_SILENT, SET)),
    ("strictatime", Effect::Flag(MsFlags::MS_STRICTATIME, SET)),
    ("suid", Effect::Flag(MsFlags::MS_NOSUID, CLEAR)),
    ("symfollow", Effect::Flag(MS_NOSYMFOLLOW, CLEAR)),
    ("sync", Effect::Flag(MsFlags::MS_SYNCHRONOUS, SET)),
    ("private", Effect::Propagation(MsFlags::MS_PRIVATE)),
    (
        "rprivate",
        Effect::Propagation(MsFlags::MS_PRIVATE.union(MsFlags::MS_REC)),
    ),
    ("shared", Effect::Propagation(MsFlags::MS_SHARED)),
    (
        "rshared",
        Effect::Propagation(MsFlags::MS_SHARED.union(MsFlags::MS_REC)),
    ),
    ("slave", Effect::Propagation(MsFlags::MS_SLAVE)),
    (
        "rslave",
        Effect::Propagation(MsFlags::MS_SLAVE.union(MsFlags::MS_REC)),
    ),
    ("unbindable", Effect::Propagation(MsFlags::MS_UNBINDABLE)),
    (
        "runbindable",
        Effect::Propagation(MsFlags::MS_UNBINDABLE.union(MsFlags::MS_REC)),
    ),
    ("rro", Effect::Recursive(attr::RDONLY, SET)),
    ("rrw", Effect::Recursive(attr::RDONLY, CLEAR)),
    ("rnosuid", Effect::Recursive(attr::NOSUID, SET)),
    ("rsuid", Effect::Recursive(attr::NOSUID, CLEAR)),
    ("rnodev", Effect::Recursive(attr::NODEV, SET)),
    ("rdev", Effect::Recursive(attr::NODEV, CLEAR)),
    ("rnoexec", Effect::Recursive(attr::NOEXEC, SET)),
    ("rexec", Effect::Recursive(attr::NOEXEC, CLEAR)),
    ("rnodiratime", Effect::Recursive(attr::NODIRATIME, SET)),
    ("rdiratime", Effect::Recursive(attr::NODIRATIME, CLEAR)),
    ("rrelatime", Effect::Recursive(attr::RELATIME, SET)),
    ("rnorelatime", Effect::Recursive(attr::RELATIME, CLEAR)),
    ("rnoatime", Effect::Recursive(attr::NOATIME, SET)),
    ("ratime", Effect::Recursive(attr::NOATIME, CLEAR)),
    ("rstrictatime", Effect::Recursive(attr::STRICTATIME, SET)),
    (
        "rnostrictatime",
        Effect::Recursive(attr::STRICTATIME, CLEAR),
    ),
    ("rnosymfollow", Effect::Recursive(attr::NOSYMFOLLOW, SET)),
    ("rsymfollow", Effect::Recursive(attr::NOSYMFOLLOW, CLEAR)),
    ("tmpcopyup", Effect::CopyUp),
    ("idmap", Effect::Idmap(false)),
    ("ridmap", Effect::Idmap(true)),
];

/// The options carrack recognises, sorted, as `carrack features` lists them (`x-*` hints, also
/// accepted, are a pattern rather than names).
pub(crate) fn known() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = TABLE.iter().map(|(name, _)| *name).collect();
    names.sort_unstable();
    names
}

/// What a mount's options say.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// mount(2) flags to set.
    pub(crate) flags: MsFlags,
    /// mount(2) flags an option asked to clear (`rw`, `suid`, …).
    pub(crate) cleared: MsFlags,
    /// Propagation changes, in the order given.
    pub(crate) propagation: Vec<MsFlags>,
    /// `MOUNT_ATTR_*` to set over the whole tree.
    pub(crate) rec_set: u64,
    /// `MOUNT_ATTR_*` to clear over the whole tree.
    pub(crate) rec_clear: u64,
    /// `tmpcopyup`.
    pub(crate) copy_up: bool,
    /// `idmap` (`Some(false)`) or `ridmap` (`Some(true)`).
    pub(crate) idmap: Option<bool>,
    /// Everything else but `x-*`: filesystem data, in the order given.
    pub(crate) data: Vec<String>,
}

impl Options {
    /// Whether a recursive attribute is asked for.
    pub(crate) fn recursive(&self) -> bool {
        self.rec_set != 0 || self.rec_clear != 0
    }
}

/// Parses mount options as runc does: a later option overrides an earlier one it contradicts;
/// what is in no table is filesystem data, but for `x-*` hints.
pub(crate) fn parse(options: &[String]) -> Options {
    let mut o = Options {
        flags: MsFlags::empty(),
        cleared: MsFlags::empty(),
        propagation: Vec::new(),
        rec_set: 0,
        rec_clear: 0,
        copy_up: false,
        idmap: None,
        data: Vec::new(),
    };
    for opt in options {
        let Some((_, effect)) = TABLE.iter().find(|(name, _)| name == opt) else {
            if !opt.starts_with("x-") {
                o.data.push(opt.clone());
            }
            continue;
        };
        match *effect {
            Effect::Flag(f, CLEAR) => {
                o.flags.remove(f);
                o.cleared.insert(f);
            }
            Effect::Flag(f, _) => {
                o.flags.insert(f);
                o.cleared.remove(f);
            }
            Effect::Propagation(p) => o.propagation.push(p),
            Effect::Recursive(a, clear) => {
                if clear {
                    o.rec_clear |= a;
                    o.rec_set &= !a;
                } else {
                    o.rec_set |= a;
                    o.rec_clear &= !a;
                }
                // The access time is a field, not a flag: setting (or clearing) one of its
                // values means clearing the field first (mount_setattr(2)).
                if a & attr::ATIME == a {
                    o.rec_clear |= attr::ATIME;
                }
            }
            Effect::CopyUp => o.copy_up = true,
            Effect::Idmap(recursive) => o.idmap = Some(recursive),
        }
    }
    o
}

/// MS_* flags as mount_setattr's MOUNT_ATTR_* (to set, to clear), for a mount's own flags.
pub(crate) fn attrs(flags: MsFlags) -> (u64, u64) {
    let mut set = 0;
    let mut clear = 0;
    for (ms, a) in [
        (MsFlags::MS_RDONLY, attr::RDONLY),
        (MsFlags::MS_NOSUID, attr::NOSUID),
        (MsFlags::MS_NODEV, attr::NODEV),
        (MsFlags::MS_NOEXEC, attr::NOEXEC),
        (MsFlags::MS_NODIRATIME, attr::NODIRATIME),
        (MS_NOSYMFOLLOW, attr::NOSYMFOLLOW),
    ] {
        if flags.contains(ms) {
            set |= a;
        }
    }
    if flags.intersects(MsFlags::MS_NOATIME | MsFlags::MS_STRICTATIME | MsFlags::MS_RELATIME) {
        clear |= attr::ATIME;
        if flags.contains(MsFlags::MS_NOATIME) {
            set |= attr::NOATIME;
        } else if flags.contains(MsFlags::MS_STRICTATIME) {
            set |= attr::STRICTATIME;
        }
    }
    (set, clear)
}

/// `flags` as the options that set them (`ro, nosuid`), for messages.
pub(crate) fn flag_names(flags: MsFlags) -> String {
    TABLE
        .iter()
        .filter_map(|(name, effect)| match effect {
            Effect::Flag(f, SET) if !f.is_empty() && f.bits().is_power_of_two() => {
                flags.contains(*f).then_some(*name)
            }
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `["a", "b"]` as `"a", "b"`, for messages.
pub(crate) fn quoted(options: &[String]) -> String {
    options
        .iter()
        .map(|o| format!("{o:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(options: &[&str]) -> Options {
        parse(&options.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn flags_later_options_win() {
        let o = p(&["ro", "nosuid", "rw", "suid", "nosymfollow"]);
        assert_eq!(o.flags, MS_NOSYMFOLLOW);
        assert_eq!(o.cleared, MsFlags::MS_RDONLY | MsFlags::MS_NOSUID);
        assert!(o.data.is_empty());
    }

    #[test]
    fn data_hints_and_extensions() {
        let o = p(&[
            "size=64m",
            "x-systemd.automount",
            "mode=755",
            "tmpcopyup",
            "defaults",
        ]);
        assert_eq!(o.data, ["size=64m", "mode=755"]);
        assert!(o.copy_up);
        assert!(o.flags.is_empty());
        assert_eq!(p(&["ridmap"]).idmap, Some(true));
        assert_eq!(p(&["idmap"]).idmap, Some(false));
    }

    #[test]
    fn propagation_in_order() {
        let o = p(&["rbind", "rprivate", "shared"]);
        assert_eq!(o.flags, MsFlags::MS_BIND | MsFlags::MS_REC);
        assert_eq!(
            o.propagation,
            [MsFlags::MS_PRIVATE | MsFlags::MS_REC, MsFlags::MS_SHARED]
        );
    }

    #[test]
    fn recursive_attributes_as_runc() {
        let o = p(&["rro", "rnosuid", "rnodev", "rnoexec", "rnosymfollow"]);
        assert_eq!(
            o.rec_set,
            attr::RDONLY | attr::NOSUID | attr::NODEV | attr::NOEXEC | attr::NOSYMFOLLOW
        );
        assert_eq!(o.rec_clear, 0);
        let o = p(&["rro", "rrw"]);
        assert_eq!((o.rec_set, o.rec_clear), (0, attr::RDONLY));
        // Access times clear the whole field.
        let o = p(&["rnoatime"]);
        assert_eq!((o.rec_set, o.rec_clear), (attr::NOATIME, attr::ATIME));
        let o = p(&["rnoatime", "rrelatime"]);
        assert_eq!((o.rec_set, o.rec_clear), (attr::NOATIME, attr::ATIME));
        let o = p(&["rstrictatime", "rnostrictatime"]);
        assert_eq!(
            (o.rec_set, o.rec_clear),
            (0, attr::ATIME | attr::STRICTATIME)
        );
        assert_eq!(p(&["rnodiratime"]).rec_clear, 0);
    }

    #[test]
    fn flags_by_name() {
        assert_eq!(
            flag_names(MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NOATIME),
            "noatime, nosuid, ro"
        );
        assert_eq!(flag_names(MsFlags::MS_BIND | MsFlags::MS_REC), "bind");
    }

    #[test]
    fn every_spec_option_is_known() {
        let names = known();
        for o in [
            "async",
            "atime",
            "bind",
            "defaults",
            "dev",
            "diratime",
            "dirsync",
            "exec",
            "iversion",
            "lazytime",
            "loud",
            "mand",
            "noatime",
            "nodev",
            "nodiratime",
            "noexec",
            "noiversion",
            "nolazytime",
            "nomand",
            "norelatime",
            "nostrictatime",
            "nosuid",
            "nosymfollow",
            "private",
            "ratime",
            "rbind",
            "rdev",
            "rdiratime",
            "relatime",
            "remount",
            "rexec",
            "rnoatime",
            "rnodev",
            "rnodiratime",
            "rnoexec",
            "rnorelatime",
            "rnostrictatime",
            "rnosuid",
            "rnosymfollow",
            "ro",
            "rprivate",
            "rrelatime",
            "rro",
            "rrw",
            "rshared",
            "rslave",
            "rstrictatime",
            "rsuid",
            "rsymfollow",
            "runbindable",
            "rw",
            "shared",
            "silent",
            "slave",
            "strictatime",
            "suid",
            "symfollow",
            "sync",
            "tmpcopyup",
            "unbindable",
            "idmap",
            "ridmap",
        ] {
            assert!(names.contains(&o), "{o}");
            assert!(p(&[o]).data.is_empty(), "{o}");
        }
        assert_eq!(names.len(), TABLE.len());
        assert!(
            names.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates"
        );
    }
}
