//! `config.json` → `process`: the container process (runtime-spec `config.md` § Process).

use crate::model::{model, open_enum};

model! {
    /// The container process (`process`).
    ///
    /// ```
    /// let p = carrack_spec::runtime::Process::new("/")
    ///     .with_args(["/bin/sh"]);
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
    /// let caps = Capabilities::default()
    ///     .with_bounding(vec![Capability::Chown, Capability::from("CAP_NEW_IN_LINUX_9")]);
    /// ```
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
    /// let a = carrack_spec::runtime::ExecCpuAffinity::default()
    ///     .with_initial("0-1")
    ///     .with_final("2-3");
    /// assert_eq!(a.final_.as_deref(), Some("2-3"));
    /// ```
    pub struct ExecCpuAffinity {
        /// Affinity while the runtime sets the process up.
        initial: opt(String) = "initial",
        /// Affinity once the process runs (`final`).
        final_: opt(String) = "final",
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

impl Capability {
    /// The capability's number in Linux (`linux/capability.h`), for the names this version
    /// knows: [`Capability::KNOWN`] lists them in number order.
    ///
    /// ```
    /// use carrack_spec::runtime::Capability;
    /// assert_eq!(Capability::NetRaw.number(), Some(13));
    /// assert_eq!(Capability::from("CAP_NEW_IN_LINUX_9").number(), None);
    /// assert_eq!(Capability::from_number(21), Some(Capability::SysAdmin));
    /// ```
    pub fn number(&self) -> Option<u32> {
        let name = self.as_str();
        Self::KNOWN
            .iter()
            .position(|k| *k == name)
            .and_then(|p| u32::try_from(p).ok())
    }

    /// The capability numbered `n` in Linux, if this version knows it.
    pub fn from_number(n: u32) -> Option<Self> {
        let i = usize::try_from(n).ok()?;
        Self::KNOWN.get(i).map(|name| Self::from(*name))
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

#[cfg(test)]
mod tests {
    use super::Capability;

    #[test]
    fn capability_numbers_are_linux_capability_h() {
        // Values from linux/capability.h; the list must stay in its order.
        for (name, number) in [
            ("CAP_CHOWN", 0),
            ("CAP_SETPCAP", 8),
            ("CAP_NET_RAW", 13),
            ("CAP_SYS_ADMIN", 21),
            ("CAP_MKNOD", 27),
            ("CAP_SETFCAP", 31),
            ("CAP_BLOCK_SUSPEND", 36),
            ("CAP_AUDIT_READ", 37),
            ("CAP_PERFMON", 38),
            ("CAP_BPF", 39),
            ("CAP_CHECKPOINT_RESTORE", 40),
        ] {
            assert_eq!(Capability::from(name).number(), Some(number), "{name}");
            assert_eq!(
                Capability::from_number(number),
                Some(Capability::from(name))
            );
        }
        assert_eq!(Capability::KNOWN.len(), 41);
        assert_eq!(Capability::from_number(41), None);
    }
}
