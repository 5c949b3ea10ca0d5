//! What carrack refuses of a mount before it mounts anything: options it cannot honour as
//! asked (checked by the runtime before init is cloned, and again by init), and mounts at or
//! under /proc other than a procfs and the binds lxcfs makes (CVE-2019-16884, CVE-2025-52881).

use std::fs::File;
use std::path::Path;

use carrack_spec::runtime::Mount;
use nix::mount::MsFlags;

use super::idmap;
use super::options::{self, Options, quoted};
use crate::error::{Error, Result};

/// Refuses what carrack cannot do as asked, before anything is mounted, naming the option.
/// The checks of every mount that need no rootfs, made by the runtime before init is cloned:
/// errors come back from `create` at once, and warnings go to the runtime's log (never to the
/// container's stderr, where init's would).
pub(crate) fn preflight(mounts: &[Mount]) -> Result<()> {
    for (i, m) in mounts.iter().enumerate() {
        let kind = m.kind.as_deref().unwrap_or("");
        let opts = options::parse(m.options.as_deref().unwrap_or(&[]));
        let bind = opts.flags.contains(MsFlags::MS_BIND) || kind == "bind";
        check_options(m, kind, bind, &opts, None, true).map_err(|e| {
            let what = format!(
                "mount {} on {}",
                m.source.as_deref().unwrap_or(kind),
                m.destination
            );
            e.into_error(&format!("/mounts/{i}"), &what)
        })?;
    }
    Ok(())
}

/// Why a mount's options or destination are refused before anything is mounted.
#[derive(Debug)]
pub(super) enum Refusal {
    /// Its options (`/mounts/N/options`).
    Options(String),
    /// Its destination (`/mounts/N/destination`).
    Destination(String),
}

impl Refusal {
    /// The error for the mount at the JSON pointer `at`, made as `what`.
    pub(super) fn into_error(self, at: &str, what: &str) -> Error {
        match self {
            Self::Options(r) => Error::config(format!("{at}/options"), format!("{what}: {r}")),
            Self::Destination(r) => {
                Error::config(format!("{at}/destination"), format!("{what}: refused: {r}"))
            }
        }
    }
}

/// `idmapped` is whether an idmapped tree was prepared (`None`: not known yet, before the
/// clone); `warn` logs what is ignored.
pub(super) fn check_options(
    m: &Mount,
    kind: &str,
    bind: bool,
    opts: &Options,
    idmapped: Option<bool>,
    warn: bool,
) -> std::result::Result<(), Refusal> {
    if bind && !opts.data.is_empty() {
        // A bind mount makes no filesystem, so filesystem data (`key=value`, such as the
        // `mode=755` runtime-tools and some callers put on binds) has nothing to configure: the
        // kernel ignores it, as runc does, and carrack says so. A bare word it does not know is
        // a mistyped option: an error naming it.
        let (settings, words): (Vec<&String>, Vec<&String>) =
            opts.data.iter().partition(|o| o.contains('='));
        if !words.is_empty() {
            let words: Vec<String> = words.into_iter().cloned().collect();
            return Err(Refusal::Options(format!(
                "unknown option{} {}: not a mount option carrack knows, and a bind mount has \
                 no filesystem to take it as data",
                if words.len() == 1 { "" } else { "s" },
                quoted(&words)
            )));
        }
        if warn {
            let settings: Vec<String> = settings.into_iter().cloned().collect();
            log::warn!(
                "mount on {}: ignoring {}: a bind mount has no filesystem to take them",
                m.destination,
                quoted(&settings)
            );
        }
    }
    if opts.copy_up && kind != "tmpfs" {
        return Err(Refusal::Options(format!(
            "tmpcopyup copies into a new tmpfs: this mount's type is {kind:?}, not \"tmpfs\""
        )));
    }
    if idmap::wanted(m, opts) && idmapped == Some(false) {
        return Err(Refusal::Options(
            "idmapped mount (idmap, ridmap, uidMappings, gidMappings): no idmapped tree was \
             prepared for it"
                .into(),
        ));
    }
    Ok(())
}

/// The files under /proc a bind mount may cover: those lxcfs and similar tools emulate so that
/// `top`, `free` and `uptime` show the container's own figures (the list runc allows). Nothing
/// carrack writes is among them, and procfs writes never cross a mount anyway
/// ([`crate::procfs::Proc`]).
const PROC_BINDS: [&str; 11] = [
    "cpuinfo",
    "diskstats",
    "meminfo",
    "stat",
    "swaps",
    "uptime",
    "loadavg",
    "slabinfo",
    "net/dev",
    "sys/kernel/ns_last_pid",
    "sys/crypto/fips_enabled",
];

/// Mounts at or under /proc (`dest` cleaned, without its leading `/`): only a procfs (or a bind
/// of a procfs's root) on /proc itself, and binds over [`PROC_BINDS`]. Anything else could hide
/// the kernel's files behind ones the runtime would then write or trust (CVE-2019-16884,
/// CVE-2025-52881).
pub(super) fn check_proc_mount(
    dest: &str,
    kind: &str,
    bind: bool,
    source: Option<&Path>,
) -> std::result::Result<(), Refusal> {
    if dest == "proc" {
        let procfs_root = || {
            source
                .and_then(|s| {
                    nix::sys::statfs::statfs(s)
                        .ok()
                        .zip(std::fs::metadata(s).ok())
                })
                .is_some_and(|(fs, md)| {
                    use std::os::unix::fs::MetadataExt;
                    fs.filesystem_type() == nix::sys::statfs::PROC_SUPER_MAGIC && md.ino() == 1
                })
        };
        if kind == "proc" || (bind && procfs_root()) {
            return Ok(());
        }
        return Err(Refusal::Destination(
            "only a procfs may be mounted on /proc".into(),
        ));
    }
    let rest = dest.strip_prefix("proc/").unwrap_or(dest);
    if bind && PROC_BINDS.contains(&rest) {
        return Ok(());
    }
    Err(Refusal::Destination(format!(
        "carrack allows no mount under /proc but binds over /proc/{{{}}}: another mount there \
         could redirect what the runtime writes to procfs",
        PROC_BINDS.join(",")
    )))
}

/// Whether `f` lies on a procfs.
pub(super) fn on_procfs(f: &File) -> bool {
    nix::sys::statfs::fstatfs(f)
        .is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::PROC_SUPER_MAGIC)
}
