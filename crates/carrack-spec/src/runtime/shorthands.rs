//! Shorthands for what configurations built in code set most: defaults for `Spec` and `Process`,
//! bind and tmpfs mounts, cgroup limits in one call each, namespaces from their kinds and user
//! namespace mappings.
//!
//! Every model also has a generated `with_<field>` setter per member, and `Default` when all its
//! members are optional; these shorthands only cover what would otherwise take several nested
//! `get_or_insert_with` calls.

use crate::Extra;
use crate::runtime::{
    IdMapping, Linux, Mount, Namespace, NamespaceType, Process, Resources, Spec, VERSION,
};

impl Default for Spec {
    /// A configuration for this runtime-spec version ([`VERSION`]) with nothing else set.
    ///
    /// ```
    /// let spec = carrack_spec::runtime::Spec::default();
    /// assert_eq!(spec.oci_version, carrack_spec::runtime::VERSION);
    /// assert!(spec.process.is_none());
    /// ```
    fn default() -> Self {
        Self::new(VERSION)
    }
}

impl Default for Process {
    /// A process running in `/`, the working directory `runc spec` writes, with nothing else
    /// set.
    fn default() -> Self {
        Self::new("/")
    }
}

impl Spec {
    /// Appends `mount` to `mounts`, after any already listed (mounts are made in order).
    ///
    /// ```
    /// use carrack_spec::runtime::{Mount, Spec};
    /// let spec = Spec::default_linux().add_mount(Mount::bind("/srv/data", "/data"));
    /// assert_eq!(spec.mounts.as_ref().and_then(|m| m.last()).map(|m| m.destination.as_str()),
    ///            Some("/data"));
    /// ```
    #[must_use]
    pub fn add_mount(mut self, mount: Mount) -> Self {
        self.mounts.get_or_insert_with(Vec::new).push(mount);
        self
    }

    /// The `linux` section, created empty if absent.
    pub fn linux_mut(&mut self) -> &mut Linux {
        self.linux.get_or_insert_with(Linux::default)
    }

    /// The `process` section, created as [`Process::default`] if absent.
    pub fn process_mut(&mut self) -> &mut Process {
        self.process.get_or_insert_with(Process::default)
    }

    fn map_linux(mut self, f: impl FnOnce(Linux) -> Linux) -> Self {
        self.linux = Some(f(self.linux.take().unwrap_or_default()));
        self
    }

    /// Sets `linux.resources.memory.limit`, in bytes, creating the sections on the way.
    ///
    /// ```
    /// use carrack_spec::runtime::Spec;
    /// let spec = Spec::default().with_memory_limit(512 << 20);
    /// let memory = spec.linux.and_then(|l| l.resources).and_then(|r| r.memory);
    /// assert_eq!(memory.and_then(|m| m.limit), Some(512 << 20));
    /// ```
    #[must_use]
    pub fn with_memory_limit(self, bytes: i64) -> Self {
        self.map_linux(|l| l.with_memory_limit(bytes))
    }

    /// Sets `linux.resources.cpu.shares`, creating the sections on the way.
    #[must_use]
    pub fn with_cpu_shares(self, shares: u64) -> Self {
        self.map_linux(|l| l.with_cpu_shares(shares))
    }

    /// Sets `linux.resources.cpu.quota` and `period` (µs): the container may run `quota` µs
    /// every `period` µs, so 50 000 of 100 000 is half a CPU.
    ///
    /// ```
    /// use carrack_spec::runtime::Spec;
    /// let spec = Spec::default().with_cpu_quota(50_000, 100_000);
    /// let cpu = spec.linux.and_then(|l| l.resources).and_then(|r| r.cpu);
    /// assert_eq!(cpu.and_then(|c| c.quota), Some(50_000));
    /// ```
    #[must_use]
    pub fn with_cpu_quota(self, quota: i64, period: u64) -> Self {
        self.map_linux(|l| l.with_cpu_quota(quota, period))
    }

    /// Sets `linux.resources.pids.limit`, creating the sections on the way.
    #[must_use]
    pub fn with_pids_limit(self, limit: i64) -> Self {
        self.map_linux(|l| l.with_pids_limit(limit))
    }
}

impl Linux {
    /// `resources`, created empty if absent.
    pub fn resources_mut(&mut self) -> &mut Resources {
        self.resources.get_or_insert_with(Resources::default)
    }

    fn map_resources(mut self, f: impl FnOnce(Resources) -> Resources) -> Self {
        self.resources = Some(f(self.resources.take().unwrap_or_default()));
        self
    }

    /// Sets `resources.memory.limit`, in bytes (see [`Resources::with_memory_limit`]).
    #[must_use]
    pub fn with_memory_limit(self, bytes: i64) -> Self {
        self.map_resources(|r| r.with_memory_limit(bytes))
    }

    /// Sets `resources.cpu.shares` (see [`Resources::with_cpu_shares`]).
    #[must_use]
    pub fn with_cpu_shares(self, shares: u64) -> Self {
        self.map_resources(|r| r.with_cpu_shares(shares))
    }

    /// Sets `resources.cpu.quota` and `period` (see [`Resources::with_cpu_quota`]).
    #[must_use]
    pub fn with_cpu_quota(self, quota: i64, period: u64) -> Self {
        self.map_resources(|r| r.with_cpu_quota(quota, period))
    }

    /// Sets `resources.pids.limit` (see [`Resources::with_pids_limit`]).
    #[must_use]
    pub fn with_pids_limit(self, limit: i64) -> Self {
        self.map_resources(|r| r.with_pids_limit(limit))
    }

    /// Creates a user namespace (unless `namespaces` already lists one) and sets its id
    /// mappings: `uid` in `uidMappings`, `gid` in `gidMappings`.
    ///
    /// ```
    /// use carrack_spec::runtime::{IdMapping, Linux, NamespaceType};
    /// let linux = Linux::default()
    ///     .with_namespaces([NamespaceType::Pid, NamespaceType::Mount])
    ///     .with_user_namespace(IdMapping::new(0, 100_000, 65_536), IdMapping::new(0, 100_000, 65_536));
    /// assert_eq!(linux.namespaces.as_ref().map(Vec::len), Some(3));
    /// assert_eq!(linux.uid_mappings.as_ref().map(|m| m[0].host_id), Some(100_000));
    /// ```
    #[must_use]
    pub fn with_user_namespace(mut self, uid: IdMapping, gid: IdMapping) -> Self {
        let namespaces = self.namespaces.get_or_insert_with(Vec::new);
        if !namespaces.iter().any(|n| n.kind == NamespaceType::User) {
            namespaces.push(Namespace::new(NamespaceType::User));
        }
        self.uid_mappings = Some(vec![uid]);
        self.gid_mappings = Some(vec![gid]);
        self
    }
}

impl Resources {
    /// Sets `memory.limit`, in bytes, creating `memory` if absent.
    ///
    /// ```
    /// let r = carrack_spec::runtime::Resources::default().with_memory_limit(1 << 30);
    /// assert_eq!(r.memory.and_then(|m| m.limit), Some(1 << 30));
    /// ```
    #[must_use]
    pub fn with_memory_limit(mut self, bytes: i64) -> Self {
        self.memory.get_or_insert_with(Default::default).limit = Some(bytes);
        self
    }

    /// Sets `cpu.shares`, the relative weight of the container's CPU time, creating `cpu` if
    /// absent.
    ///
    /// ```
    /// let r = carrack_spec::runtime::Resources::default().with_cpu_shares(512);
    /// assert_eq!(r.cpu.and_then(|c| c.shares), Some(512));
    /// ```
    #[must_use]
    pub fn with_cpu_shares(mut self, shares: u64) -> Self {
        self.cpu.get_or_insert_with(Default::default).shares = Some(shares);
        self
    }

    /// Sets `cpu.quota` and `cpu.period`, in µs, creating `cpu` if absent.
    #[must_use]
    pub fn with_cpu_quota(mut self, quota: i64, period: u64) -> Self {
        let cpu = self.cpu.get_or_insert_with(Default::default);
        cpu.quota = Some(quota);
        cpu.period = Some(period);
        self
    }

    /// Sets `pids.limit`, the most tasks the container may have.
    ///
    /// ```
    /// let r = carrack_spec::runtime::Resources::default().with_pids_limit(64);
    /// assert_eq!(r.pids.map(|p| p.limit), Some(64));
    /// ```
    #[must_use]
    pub fn with_pids_limit(mut self, limit: i64) -> Self {
        match &mut self.pids {
            Some(pids) => pids.limit = limit,
            None => self.pids = Some(crate::runtime::Pids::new(limit)),
        }
        self
    }
}

impl Mount {
    fn typed(destination: impl Into<String>, kind: &str, source: String, options: &[&str]) -> Self {
        Self {
            destination: destination.into(),
            source: Some(source),
            options: Some(options.iter().map(|o| (*o).to_owned()).collect()),
            kind: Some(kind.to_owned()),
            uid_mappings: None,
            gid_mappings: None,
            extra: Extra::new(),
        }
    }

    /// A recursive bind mount of host path `source` at `destination`: type `bind`, option
    /// `rbind`, as `docker run -v` makes. Chain [`Mount::read_only`] for a read-only one.
    ///
    /// ```
    /// let m = carrack_spec::runtime::Mount::bind("/srv/data", "/data");
    /// assert_eq!(serde_json::to_string(&m)?,
    ///            r#"{"destination":"/data","source":"/srv/data","options":["rbind"],"type":"bind"}"#);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn bind(source: impl Into<String>, destination: impl Into<String>) -> Self {
        Self::typed(destination, "bind", source.into(), &["rbind"])
    }

    /// A `tmpfs` at `destination`, with options `nosuid` and `nodev`; add a size with
    /// [`Mount::add_option`], e.g. `size=64m`.
    ///
    /// ```
    /// let m = carrack_spec::runtime::Mount::tmpfs("/tmp").add_option("size=64m");
    /// assert_eq!(m.options, Some(vec!["nosuid".into(), "nodev".into(), "size=64m".into()]));
    /// ```
    pub fn tmpfs(destination: impl Into<String>) -> Self {
        Self::typed(
            destination,
            "tmpfs",
            "tmpfs".to_owned(),
            &["nosuid", "nodev"],
        )
    }

    /// Appends one mount option.
    #[must_use]
    pub fn add_option(mut self, option: impl Into<String>) -> Self {
        self.options
            .get_or_insert_with(Vec::new)
            .push(option.into());
        self
    }

    /// Makes the mount read-only: option `ro` instead of any `rw`. On a recursive bind mount
    /// Linux applies it to the top mount only; add `rro` (runtime-spec 1.1) for every submount.
    ///
    /// ```
    /// let m = carrack_spec::runtime::Mount::bind("/etc/resolv.conf", "/etc/resolv.conf").read_only();
    /// assert_eq!(m.options, Some(vec!["rbind".into(), "ro".into()]));
    /// ```
    #[must_use]
    pub fn read_only(mut self) -> Self {
        let options = self.options.get_or_insert_with(Vec::new);
        options.retain(|o| o != "rw");
        if !options.iter().any(|o| o == "ro") {
            options.push("ro".to_owned());
        }
        self
    }
}

impl Namespace {
    /// A namespace of `kind` to join, at the namespace file `path` (e.g. `/proc/1234/ns/net`).
    ///
    /// ```
    /// use carrack_spec::runtime::{Namespace, NamespaceType};
    /// let ns = Namespace::join(NamespaceType::Network, "/var/run/netns/blue");
    /// assert_eq!(ns.path.as_deref(), Some("/var/run/netns/blue"));
    /// ```
    pub fn join(kind: NamespaceType, path: impl Into<String>) -> Self {
        Self::new(kind).with_path(path)
    }
}

impl From<NamespaceType> for Namespace {
    /// A new namespace of that kind, so that a list of kinds fills `linux.namespaces`:
    /// `Linux::default().with_namespaces([NamespaceType::Pid, NamespaceType::Ipc])`.
    fn from(kind: NamespaceType) -> Self {
        Self::new(kind)
    }
}
