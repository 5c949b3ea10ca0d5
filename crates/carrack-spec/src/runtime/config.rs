//! `config.json`: the platform-neutral part (runtime-spec `config.md`).

use std::collections::BTreeMap;

use crate::model::{model, open_enum};
use crate::runtime::{freebsd, linux, solaris, vm, windows, zos};

model! {
    /// A container's configuration, `config.json` in a bundle (runtime-spec `config.md`).
    ///
    /// ```
    /// use carrack_spec::Document;
    /// use carrack_spec::runtime::{Process, Root, Spec};
    ///
    /// let mut spec = Spec::new("1.3.0");
    /// spec.root = Some(Root::new("rootfs"));
    /// let mut process = Process::new("/");
    /// process.args = Some(vec!["sh".into()]);
    /// spec.process = Some(process);
    /// assert!(spec.to_string_pretty().contains("\"ociVersion\": \"1.3.0\""));
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
    /// let mut m = carrack_spec::runtime::Mount::new("/proc");
    /// m.kind = Some("proc".into());
    /// m.source = Some("proc".into());
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
    /// The container process (`process`).
    ///
    /// ```
    /// let mut p = carrack_spec::runtime::Process::new("/");
    /// p.args = Some(vec!["/bin/sh".into()]);
    /// ```
    pub struct Process {
        /// Whether a terminal is attached.
        terminal: opt(bool) = "terminal",
        /// The console size, in characters.
        console_size: opt(ConsoleSize) = "consoleSize",
        /// The user the process runs as.
        user: opt(User) = "user",
        /// The argument vector; `args[0]` is looked up as `execvp` does.
        args: opt(Vec<String>) = "args",
        /// The whole command line (Windows).
        command_line: opt(String) = "commandLine",
        /// Environment, as `KEY=value` strings.
        env: opt(Vec<String>) = "env",
        /// Working directory; an absolute path.
        cwd: req(String) = "cwd",
        /// POSIX resource limits.
        rlimits: opt(Vec<Rlimit>) = "rlimits",
        /// AppArmor profile.
        apparmor_profile: opt(String) = "apparmorProfile",
        /// Capability sets.
        capabilities: opt(Capabilities) = "capabilities",
        /// Whether `no_new_privs` is set.
        no_new_privileges: opt(bool) = "noNewPrivileges",
        /// `oom_score_adj` of the process.
        oom_score_adj: opt(i64) = "oomScoreAdj",
        /// Scheduling policy and parameters.
        scheduler: opt(Scheduler) = "scheduler",
        /// SELinux process label.
        selinux_label: opt(String) = "selinuxLabel",
        /// I/O priority.
        io_priority: opt(IoPriority) = "ioPriority",
        /// CPU affinity while the runtime sets up and once the process runs.
        exec_cpu_affinity: opt(ExecCpuAffinity) = "execCPUAffinity",
    }
}

impl Process {
    /// A process running in `cwd`, with nothing else set.
    pub fn new(cwd: impl Into<String>) -> Self {
        Self {
            terminal: None,
            console_size: None,
            user: None,
            args: None,
            command_line: None,
            env: None,
            cwd: cwd.into(),
            rlimits: None,
            apparmor_profile: None,
            capabilities: None,
            no_new_privileges: None,
            oom_score_adj: None,
            scheduler: None,
            selinux_label: None,
            io_priority: None,
            exec_cpu_affinity: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// The console size (`process.consoleSize`).
    ///
    /// ```
    /// let size = carrack_spec::runtime::ConsoleSize::new(24, 80);
    /// assert_eq!(size.width, 80);
    /// ```
    pub struct ConsoleSize {
        /// Rows.
        height: req(u64) = "height",
        /// Columns.
        width: req(u64) = "width",
    }
}

impl ConsoleSize {
    /// A console of `height` rows and `width` columns.
    pub fn new(height: u64, width: u64) -> Self {
        Self {
            height,
            width,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// The user a process runs as (`process.user`).
    ///
    /// ```
    /// let user = carrack_spec::runtime::User::posix(1000, 1000);
    /// assert_eq!(user.uid, Some(1000));
    /// ```
    #[derive(Default)]
    pub struct User {
        /// User id in the container namespace (POSIX platforms: REQUIRED).
        uid: opt(u32) = "uid",
        /// Group id in the container namespace (POSIX platforms: REQUIRED).
        gid: opt(u32) = "gid",
        /// The umask of the process.
        umask: opt(u32) = "umask",
        /// Supplementary group ids.
        additional_gids: opt(Vec<u32>) = "additionalGids",
        /// User name (Windows).
        username: opt(String) = "username",
    }
}

impl User {
    /// A POSIX user with `uid` and `gid`.
    pub fn posix(uid: u32, gid: u32) -> Self {
        Self {
            uid: Some(uid),
            gid: Some(gid),
            ..Self::default()
        }
    }
}

model! {
    /// Capability sets (`process.capabilities`).
    ///
    /// ```
    /// use carrack_spec::runtime::{Capabilities, Capability};
    /// let mut caps = Capabilities::default();
    /// caps.bounding = Some(vec![Capability::Chown, Capability::from("CAP_NEW_IN_LINUX_9")]);
    /// ```
    #[derive(Default)]
    pub struct Capabilities {
        /// The bounding set.
        bounding: opt(Vec<Capability>) = "bounding",
        /// The effective set.
        effective: opt(Vec<Capability>) = "effective",
        /// The inheritable set.
        inheritable: opt(Vec<Capability>) = "inheritable",
        /// The permitted set.
        permitted: opt(Vec<Capability>) = "permitted",
        /// The ambient set.
        ambient: opt(Vec<Capability>) = "ambient",
    }
}

model! {
    /// A POSIX resource limit (`process.rlimits[]`).
    ///
    /// ```
    /// use carrack_spec::runtime::{Rlimit, RlimitType};
    /// let r = Rlimit::new(RlimitType::Nofile, 1024, 1024);
    /// assert_eq!(r.kind.as_str(), "RLIMIT_NOFILE");
    /// ```
    pub struct Rlimit {
        /// Which resource (`type`).
        kind: req(RlimitType) = "type",
        /// The soft limit.
        soft: req(u64) = "soft",
        /// The hard limit.
        hard: req(u64) = "hard",
    }
}

impl Rlimit {
    /// A limit on `kind`.
    pub fn new(kind: RlimitType, soft: u64, hard: u64) -> Self {
        Self {
            kind,
            soft,
            hard,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// Scheduling policy and parameters (`process.scheduler`), see `sched_setattr(2)`.
    ///
    /// ```
    /// use carrack_spec::runtime::{Scheduler, SchedulerPolicy};
    /// let s = Scheduler::new(SchedulerPolicy::Batch);
    /// ```
    pub struct Scheduler {
        /// The policy.
        policy: req(SchedulerPolicy) = "policy",
        /// Nice value.
        nice: opt(i32) = "nice",
        /// Static priority.
        priority: opt(i32) = "priority",
        /// Flags.
        flags: opt(Vec<SchedulerFlag>) = "flags",
        /// SCHED_DEADLINE runtime, in nanoseconds.
        runtime: opt(u64) = "runtime",
        /// SCHED_DEADLINE deadline, in nanoseconds.
        deadline: opt(u64) = "deadline",
        /// SCHED_DEADLINE period, in nanoseconds.
        period: opt(u64) = "period",
    }
}

impl Scheduler {
    /// Scheduling under `policy`, with default parameters.
    pub fn new(policy: SchedulerPolicy) -> Self {
        Self {
            policy,
            nice: None,
            priority: None,
            flags: None,
            runtime: None,
            deadline: None,
            period: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// I/O priority (`process.ioPriority`), see `ioprio_set(2)`.
    ///
    /// ```
    /// use carrack_spec::runtime::{IoPriority, IoPriorityClass};
    /// let p = IoPriority::new(IoPriorityClass::BestEffort);
    /// ```
    pub struct IoPriority {
        /// The scheduling class.
        class: req(IoPriorityClass) = "class",
        /// The priority within the class, 0 (highest) to 7.
        priority: opt(i32) = "priority",
    }
}

impl IoPriority {
    /// A priority in `class`.
    pub fn new(class: IoPriorityClass) -> Self {
        Self {
            class,
            priority: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// CPU affinity of the process (`process.execCPUAffinity`), as cpu lists like `0-3,7`.
    ///
    /// ```
    /// let mut a = carrack_spec::runtime::ExecCpuAffinity::default();
    /// a.initial = Some("0-1".into());
    /// ```
    #[derive(Default)]
    pub struct ExecCpuAffinity {
        /// Affinity while the runtime sets the process up.
        initial: opt(String) = "initial",
        /// Affinity once the process runs (`final`).
        final_: opt(String) = "final",
    }
}

model! {
    /// Lifecycle hooks (`hooks`).
    ///
    /// ```
    /// use carrack_spec::runtime::{Hook, Hooks};
    /// let mut hooks = Hooks::default();
    /// hooks.poststop = Some(vec![Hook::new("/usr/bin/cleanup")]);
    /// ```
    #[derive(Default)]
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
    /// let mut hook = carrack_spec::runtime::Hook::new("/usr/bin/setup-net");
    /// hook.timeout = Some(5);
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

open_enum! {
    /// A Linux capability name (`CAP_*`), see `capabilities(7)`.
    pub enum Capability {
        Chown = "CAP_CHOWN",
        DacOverride = "CAP_DAC_OVERRIDE",
        DacReadSearch = "CAP_DAC_READ_SEARCH",
        Fowner = "CAP_FOWNER",
        Fsetid = "CAP_FSETID",
        Kill = "CAP_KILL",
        Setgid = "CAP_SETGID",
        Setuid = "CAP_SETUID",
        Setpcap = "CAP_SETPCAP",
        LinuxImmutable = "CAP_LINUX_IMMUTABLE",
        NetBindService = "CAP_NET_BIND_SERVICE",
        NetBroadcast = "CAP_NET_BROADCAST",
        NetAdmin = "CAP_NET_ADMIN",
        NetRaw = "CAP_NET_RAW",
        IpcLock = "CAP_IPC_LOCK",
        IpcOwner = "CAP_IPC_OWNER",
        SysModule = "CAP_SYS_MODULE",
        SysRawio = "CAP_SYS_RAWIO",
        SysChroot = "CAP_SYS_CHROOT",
        SysPtrace = "CAP_SYS_PTRACE",
        SysPacct = "CAP_SYS_PACCT",
        SysAdmin = "CAP_SYS_ADMIN",
        SysBoot = "CAP_SYS_BOOT",
        SysNice = "CAP_SYS_NICE",
        SysResource = "CAP_SYS_RESOURCE",
        SysTime = "CAP_SYS_TIME",
        SysTtyConfig = "CAP_SYS_TTY_CONFIG",
        Mknod = "CAP_MKNOD",
        Lease = "CAP_LEASE",
        AuditWrite = "CAP_AUDIT_WRITE",
        AuditControl = "CAP_AUDIT_CONTROL",
        Setfcap = "CAP_SETFCAP",
        MacOverride = "CAP_MAC_OVERRIDE",
        MacAdmin = "CAP_MAC_ADMIN",
        Syslog = "CAP_SYSLOG",
        WakeAlarm = "CAP_WAKE_ALARM",
        BlockSuspend = "CAP_BLOCK_SUSPEND",
        AuditRead = "CAP_AUDIT_READ",
        Perfmon = "CAP_PERFMON",
        Bpf = "CAP_BPF",
        CheckpointRestore = "CAP_CHECKPOINT_RESTORE",
    }
}

open_enum! {
    /// A resource limit type (`RLIMIT_*`), see `getrlimit(2)`.
    pub enum RlimitType {
        As = "RLIMIT_AS",
        Core = "RLIMIT_CORE",
        Cpu = "RLIMIT_CPU",
        Data = "RLIMIT_DATA",
        Fsize = "RLIMIT_FSIZE",
        Locks = "RLIMIT_LOCKS",
        Memlock = "RLIMIT_MEMLOCK",
        Msgqueue = "RLIMIT_MSGQUEUE",
        Nice = "RLIMIT_NICE",
        Nofile = "RLIMIT_NOFILE",
        Nproc = "RLIMIT_NPROC",
        Rss = "RLIMIT_RSS",
        Rtprio = "RLIMIT_RTPRIO",
        Rttime = "RLIMIT_RTTIME",
        Sigpending = "RLIMIT_SIGPENDING",
        Stack = "RLIMIT_STACK",
    }
}

open_enum! {
    /// A scheduling policy, see `sched(7)`.
    pub enum SchedulerPolicy {
        Normal = "SCHED_OTHER",
        Fifo = "SCHED_FIFO",
        Rr = "SCHED_RR",
        Batch = "SCHED_BATCH",
        Iso = "SCHED_ISO",
        Idle = "SCHED_IDLE",
        Deadline = "SCHED_DEADLINE",
    }
}

open_enum! {
    /// A scheduling flag, see `sched_setattr(2)`.
    pub enum SchedulerFlag {
        ResetOnFork = "SCHED_FLAG_RESET_ON_FORK",
        Reclaim = "SCHED_FLAG_RECLAIM",
        DlOverrun = "SCHED_FLAG_DL_OVERRUN",
        KeepPolicy = "SCHED_FLAG_KEEP_POLICY",
        KeepParams = "SCHED_FLAG_KEEP_PARAMS",
        UtilClampMin = "SCHED_FLAG_UTIL_CLAMP_MIN",
        UtilClampMax = "SCHED_FLAG_UTIL_CLAMP_MAX",
    }
}

open_enum! {
    /// An I/O scheduling class, see `ioprio_set(2)`.
    pub enum IoPriorityClass {
        RealTime = "IOPRIO_CLASS_RT",
        BestEffort = "IOPRIO_CLASS_BE",
        Idle = "IOPRIO_CLASS_IDLE",
    }
}
