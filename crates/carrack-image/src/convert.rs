//! Image configuration → runtime configuration (image-spec `conversion.md`). Pure: user and
//! group names are resolved through a [`UserResolver`] the caller passes, e.g. [`EtcFiles`] over
//! the rootfs's `/etc/passwd` and `/etc/group`.

use std::collections::BTreeMap;

use carrack_spec::image::ImageConfiguration;
use carrack_spec::runtime::{Mount, Process, Spec, User};

/// Why an image configuration cannot be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// `Config.User` names a user the container does not have (conversion.md: MUST error).
    #[error("Config.User {0:?}: no such user in the container (conversion.md § Config.User)")]
    NoSuchUser(String),
    /// `Config.User` names a group the container does not have.
    #[error("Config.User {0:?}: no such group in the container (conversion.md § Config.User)")]
    NoSuchGroup(String),
    /// A volume path is not absolute or climbs with `..` (CVE-2022-23648).
    #[error("Config.Volumes {0:?}: must be an absolute path without '..'")]
    BadVolume(String),
}

/// Resolves user and group names in the container's context.
pub trait UserResolver {
    /// The uid and primary gid of user `name`.
    fn user(&self, name: &str) -> Option<(u32, u32)>;
    /// The gid of group `name`.
    fn group(&self, name: &str) -> Option<u32>;
    /// The supplementary groups of user `name` whose primary group is `gid`.
    fn groups_of(&self, name: &str, gid: u32) -> Vec<u32>;
    /// The name of the user with `uid`, to find its supplementary groups.
    fn name_of(&self, uid: u32) -> Option<String>;
}

/// `/etc/passwd` and `/etc/group` contents, parsed leniently (malformed lines are skipped).
///
/// ```
/// use carrack_image::{EtcFiles, UserResolver};
/// let etc = EtcFiles::parse("root:x:0:0::/root:/bin/sh\nweb:x:33:33::/var/www:/bin/false\n",
///                           "root:x:0:\nwww-data:x:33:\nlog:x:4:web\n");
/// assert_eq!(etc.user("web"), Some((33, 33)));
/// assert_eq!(etc.groups_of("web", 33), vec![4]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct EtcFiles {
    users: Vec<(String, u32, u32)>,
    groups: Vec<(String, u32, Vec<String>)>,
}

impl EtcFiles {
    /// Parses the two files' text.
    pub fn parse(passwd: &str, group: &str) -> Self {
        let users = passwd
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.len() >= 4 && !l.starts_with('#'))
                    .then(|| Some((f[0].to_owned(), f[2].parse().ok()?, f[3].parse().ok()?)))?
            })
            .collect();
        let groups = group
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.len() >= 3 && !l.starts_with('#')).then(|| {
                    let members = f
                        .get(3)
                        .map(|m| {
                            m.split(',')
                                .filter(|s| !s.is_empty())
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default();
                    Some((f[0].to_owned(), f[2].parse().ok()?, members))
                })?
            })
            .collect();
        Self { users, groups }
    }
}

impl UserResolver for EtcFiles {
    fn user(&self, name: &str) -> Option<(u32, u32)> {
        self.users.iter().find(|u| u.0 == name).map(|u| (u.1, u.2))
    }
    fn group(&self, name: &str) -> Option<u32> {
        self.groups.iter().find(|g| g.0 == name).map(|g| g.1)
    }
    fn groups_of(&self, name: &str, gid: u32) -> Vec<u32> {
        let mut out: Vec<u32> = self
            .groups
            .iter()
            .filter(|g| g.1 != gid && g.2.iter().any(|m| m == name))
            .map(|g| g.1)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
    fn name_of(&self, uid: u32) -> Option<String> {
        self.users.iter().find(|u| u.1 == uid).map(|u| u.0.clone())
    }
}

/// How `Config.Volumes` become mounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Volumes {
    /// Not at all (the default, as umoci does).
    #[default]
    Ignore,
    /// A private tmpfs at each volume, so application data does not land in the rootfs.
    Tmpfs,
}

/// Options of [`to_runtime`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ConvertOptions {
    /// What to do with `Config.Volumes`.
    pub volumes: Volumes,
    /// Do not set `org.opencontainers.image.exposedPorts`.
    pub no_exposed_ports: bool,
}

fn env_name(entry: &str) -> &str {
    entry.split_once('=').map_or(entry, |(k, _)| k)
}

/// Converts `image` into a runtime configuration, starting from `base` (implementation-defined
/// defaults such as [`Spec::default_linux`]) as conversion.md prescribes:
///
/// * verbatim: `WorkingDir` → `process.cwd`; `Env` → `process.env` (base entries are kept only
///   for names the image does not set); `Entrypoint` + `Cmd` → `process.args` (the base's args
///   stay when the image has neither);
/// * `User` → `process.user`: numbers verbatim, names through `resolver`, an unknown name is an
///   error; `additionalGids` from the user's groups unless the user is numeric or a group is given;
/// * annotations: `org.opencontainers.image.{os,architecture,variant,os.version,os.features,
///   author,created,stopSignal,exposedPorts}` from the configuration, then `Labels`, which win;
/// * `Volumes` per [`ConvertOptions::volumes`].
///
/// ```
/// use carrack_image::{to_runtime, ConvertOptions, EtcFiles};
/// use carrack_spec::Document;
/// use carrack_spec::image::ImageConfiguration;
/// use carrack_spec::runtime::Spec;
///
/// let image = ImageConfiguration::from_slice(br#"{"architecture":"amd64","os":"linux",
///   "config":{"User":"web","Entrypoint":["/app"],"Cmd":["--port","80"],"WorkingDir":"/srv"},
///   "rootfs":{"type":"layers","diff_ids":[]}}"#)?;
/// let etc = EtcFiles::parse("web:x:33:33::/:/bin/false\n", "web:x:33:\n");
/// let spec = to_runtime(&image, Spec::default_linux(), &etc, &ConvertOptions::default())?;
/// let p = spec.process.expect("process");
/// assert_eq!(p.args, Some(vec!["/app".into(), "--port".into(), "80".into()]));
/// assert_eq!(p.user.and_then(|u| u.uid), Some(33));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn to_runtime(
    image: &ImageConfiguration,
    mut base: Spec,
    resolver: &dyn UserResolver,
    opts: &ConvertOptions,
) -> Result<Spec, ConvertError> {
    let exec = image.config.clone().unwrap_or_default();
    let mut process = base.process.take().unwrap_or_else(|| Process::new("/"));

    if let Some(wd) = exec.working_dir.as_deref().filter(|w| !w.is_empty()) {
        process.cwd = wd.to_owned();
    }
    if let Some(env) = &exec.env {
        let mut merged = env.clone();
        for e in process.env.take().unwrap_or_default() {
            if !env.iter().any(|i| env_name(i) == env_name(&e)) {
                merged.push(e);
            }
        }
        process.env = Some(merged);
    }
    let mut args: Vec<String> = exec.entrypoint.clone().unwrap_or_default();
    args.extend(exec.cmd.clone().unwrap_or_default());
    if !args.is_empty() {
        process.args = Some(args);
    }
    if let Some(u) = exec.user.as_deref().filter(|u| !u.is_empty()) {
        process.user = Some(user(u, resolver, process.user.take())?);
    }
    base.process = Some(process);

    let mut ann: BTreeMap<String, String> = base.annotations.take().unwrap_or_default();
    let mut implicit = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            ann.insert(format!("org.opencontainers.image.{k}"), v);
        }
    };
    implicit("os", Some(image.os.to_string()));
    implicit("architecture", Some(image.architecture.to_string()));
    implicit("variant", image.variant.clone());
    implicit("os.version", image.os_version.clone());
    implicit(
        "os.features",
        image.os_features.as_ref().map(|f| f.join(",")),
    );
    implicit("author", image.author.clone());
    implicit("created", image.created.clone());
    implicit("stopSignal", exec.stop_signal.clone());
    if !opts.no_exposed_ports {
        implicit(
            "exposedPorts",
            exec.exposed_ports
                .as_ref()
                .filter(|p| !p.is_empty())
                .map(|p| p.keys().cloned().collect::<Vec<_>>().join(",")),
        );
    }
    for (k, v) in exec.labels.iter().flatten() {
        ann.insert(k.clone(), v.clone());
    }
    base.annotations = Some(ann);

    for path in exec.volumes.iter().flat_map(|v| v.keys()) {
        if !path.starts_with('/') || path.split('/').any(|c| c == "..") {
            return Err(ConvertError::BadVolume(path.clone()));
        }
        if opts.volumes == Volumes::Tmpfs {
            let mut m = Mount::new(path.clone());
            m.kind = Some("tmpfs".into());
            m.source = Some("tmpfs".into());
            m.options = Some(vec!["nosuid".into(), "nodev".into(), "mode=755".into()]);
            base.mounts.get_or_insert_with(Vec::new).push(m);
        }
    }
    Ok(base)
}

fn user(spec: &str, resolver: &dyn UserResolver, base: Option<User>) -> Result<User, ConvertError> {
    let (name, group) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let mut out = base.unwrap_or_default();
    out.additional_gids = None;
    let (uid, primary) = match name.parse::<u32>() {
        Ok(uid) => (
            uid,
            resolver
                .name_of(uid)
                .and_then(|n| resolver.user(&n))
                .map_or(0, |(_, g)| g),
        ),
        Err(_) => resolver
            .user(name)
            .ok_or_else(|| ConvertError::NoSuchUser(name.to_owned()))?,
    };
    out.uid = Some(uid);
    out.gid = Some(match group {
        Some(g) => match g.parse::<u32>() {
            Ok(gid) => gid,
            Err(_) => resolver
                .group(g)
                .ok_or_else(|| ConvertError::NoSuchGroup(g.to_owned()))?,
        },
        None => primary,
    });
    if group.is_none() && name.parse::<u32>().is_err() {
        let extra = resolver.groups_of(name, primary);
        if !extra.is_empty() {
            out.additional_gids = Some(extra);
        }
    }
    Ok(out)
}
