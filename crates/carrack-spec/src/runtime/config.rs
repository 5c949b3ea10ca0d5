//! `config.json`: the platform-neutral part (runtime-spec `config.md`).

use std::collections::BTreeMap;

use crate::model::model;
use crate::runtime::{Process, freebsd, linux, solaris, vm, windows, zos};

model! {
    /// A container's configuration, `config.json` in a bundle (runtime-spec `config.md`).
    ///
    /// Build one with chained `with_*` setters (every member has one) and the shorthands for
    /// mounts, limits and namespaces:
    ///
    /// ```
    /// use carrack_spec::Document;
    /// use carrack_spec::runtime::{Linux, Mount, NamespaceType, Process, Root, Spec, User};
    ///
    /// let spec = Spec::default() // ociVersion 1.3.0
    ///     .with_root(Root::new("rootfs").with_readonly(true))
    ///     .with_process(Process::default().with_args(["sh"]).with_user(User::posix(1000, 1000)))
    ///     .with_hostname("box")
    ///     .add_mount(Mount::bind("/srv/data", "/data").read_only())
    ///     .with_linux(Linux::default().with_namespaces([NamespaceType::Pid, NamespaceType::Mount]))
    ///     .with_memory_limit(256 << 20);
    /// assert!(spec.to_string_pretty().contains("\"ociVersion\": \"1.3.0\""));
    /// assert!(spec.validate().is_valid());
    /// ```
    pub struct Spec {
        /// The runtime-spec version the bundle complies with (SemVer 2.0.0).
        oci_version: req(String) = "ociVersion",
        /// The container's root filesystem.
        root: opt(Root) = "root",
        /// Additional mounts beyond `root`, in the order they are made.
        mounts: opt(Vec<Mount>) = "mounts",
        /// The container process.
        process: opt(Process) = "process",
        /// The container's host name in its UTS namespace.
        hostname: opt(String) = "hostname",
        /// The container's NIS domain name in its UTS namespace.
        domainname: opt(String) = "domainname",
        /// Lifecycle hooks.
        hooks: opt(Hooks) = "hooks",
        /// Arbitrary metadata.
        annotations: opt(BTreeMap<String, String>) = "annotations",
        /// Linux-specific configuration (`config-linux.md`).
        linux: opt(linux::Linux) = "linux",
        /// Solaris-specific configuration (`config-solaris.md`).
        solaris: opt(solaris::Solaris) = "solaris",
        /// Windows-specific configuration (`config-windows.md`).
        windows: opt(windows::Windows) = "windows",
        /// Virtual-machine-specific configuration (`config-vm.md`).
        vm: opt(vm::Vm) = "vm",
        /// z/OS-specific configuration (`config-zos.md`).
        zos: opt(zos::Zos) = "zos",
        /// FreeBSD-specific configuration (`config-freebsd.md`).
        freebsd: opt(freebsd::FreeBsd) = "freebsd",
    }
}

impl Spec {
    /// A configuration with only the required `ociVersion`.
    pub fn new(oci_version: impl Into<String>) -> Self {
        Self {
            oci_version: oci_version.into(),
            root: None,
            mounts: None,
            process: None,
            hostname: None,
            domainname: None,
            hooks: None,
            annotations: None,
            linux: None,
            solaris: None,
            windows: None,
            vm: None,
            zos: None,
            freebsd: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// The container's root filesystem (`root`).
    ///
    /// ```
    /// let root = carrack_spec::runtime::Root::new("rootfs");
    /// assert_eq!(root.path, "rootfs");
    /// ```
    pub struct Root {
        /// Path to the root filesystem, absolute or relative to the bundle.
        path: req(String) = "path",
        /// Whether the root filesystem is read-only inside the container.
        readonly: opt(bool) = "readonly",
    }
}

impl Root {
    /// A root at `path`.
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            readonly: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// A mount (`mounts[]`).
    ///
    /// ```
    /// use carrack_spec::runtime::Mount;
    /// let proc = Mount::new("/proc").with_kind("proc").with_source("proc");
    /// let data = Mount::bind("/srv/data", "/data").read_only();
    /// let tmp = Mount::tmpfs("/tmp").add_option("size=64m");
    /// ```
    pub struct Mount {
        /// Where the mount is placed inside the container.
        destination: req(String) = "destination",
        /// A device name, a file or directory name for bind mounts, or a dummy.
        source: opt(String) = "source",
        /// Mount options.
        options: opt(Vec<String>) = "options",
        /// The filesystem type (`type`).
        kind: opt(String) = "type",
        /// User id mappings of an idmapped mount.
        uid_mappings: opt(Vec<IdMapping>) = "uidMappings",
        /// Group id mappings of an idmapped mount.
        gid_mappings: opt(Vec<IdMapping>) = "gidMappings",
    }
}

impl Mount {
    /// A mount at `destination`, with nothing else set.
    pub fn new(destination: impl Into<String>) -> Self {
        Self {
            destination: destination.into(),
            source: None,
            options: None,
            kind: None,
            uid_mappings: None,
            gid_mappings: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// An id mapping of a user namespace or an idmapped mount.
    ///
    /// ```
    /// let m = carrack_spec::runtime::IdMapping::new(0, 100000, 65536);
    /// assert_eq!(m.size, 65536);
    /// ```
    pub struct IdMapping {
        /// First id inside the container.
        container_id: req(u32) = "containerID",
        /// First id on the host.
        host_id: req(u32) = "hostID",
        /// How many ids are mapped.
        size: req(u32) = "size",
    }
}

impl IdMapping {
    /// Maps `size` ids from `container_id` to `host_id`.
    pub fn new(container_id: u32, host_id: u32, size: u32) -> Self {
        Self {
            container_id,
            host_id,
            size,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// Lifecycle hooks (`hooks`).
    ///
    /// ```
    /// use carrack_spec::runtime::{Hook, Hooks};
    /// let hooks = Hooks::default()
    ///     .with_poststop(vec![Hook::new("/usr/bin/cleanup")]);
    /// ```
    pub struct Hooks {
        /// Deprecated: run after the runtime environment is created, in the runtime namespace.
        prestart: opt(Vec<Hook>) = "prestart",
        /// Run during `create`, after the environment exists, in the runtime namespace.
        create_runtime: opt(Vec<Hook>) = "createRuntime",
        /// Run during `create`, in the container namespace, before `pivot_root`.
        create_container: opt(Vec<Hook>) = "createContainer",
        /// Run during `start`, in the container namespace, before the user process.
        start_container: opt(Vec<Hook>) = "startContainer",
        /// Run after the user process started, in the runtime namespace.
        poststart: opt(Vec<Hook>) = "poststart",
        /// Run after the container is deleted, in the runtime namespace.
        poststop: opt(Vec<Hook>) = "poststop",
    }
}

model! {
    /// One hook.
    ///
    /// ```
    /// let hook = carrack_spec::runtime::Hook::new("/usr/bin/setup-net")
    ///     .with_timeout(5);
    /// ```
    pub struct Hook {
        /// Absolute path of the executable.
        path: req(String) = "path",
        /// The argument vector, `args[0]` included.
        args: opt(Vec<String>) = "args",
        /// Environment, as `KEY=value` strings.
        env: opt(Vec<String>) = "env",
        /// Seconds before the hook is aborted; greater than zero.
        timeout: opt(i64) = "timeout",
    }
}

impl Hook {
    /// A hook running `path`.
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            args: None,
            env: None,
            timeout: None,
            extra: crate::Extra::new(),
        }
    }
}
