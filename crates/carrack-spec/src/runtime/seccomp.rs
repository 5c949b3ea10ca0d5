//! `config.json` → `linux.seccomp` (runtime-spec `config-linux.md` § Seccomp).

use crate::model::{model, open_enum};

model! {
    /// A seccomp filter (`linux.seccomp`).
    ///
    /// ```
    /// use carrack_spec::runtime::{Seccomp, SeccompAction};
    /// let s = Seccomp::new(SeccompAction::Allow);
    /// ```
    pub struct Seccomp {
        /// Action when no rule matches.
        default_action: req(SeccompAction) = "defaultAction",
        /// errno for `SCMP_ACT_ERRNO`/`SCMP_ACT_TRACE` default actions.
        default_errno_ret: opt(u32) = "defaultErrnoRet",
        /// Architectures the filter applies to.
        architectures: opt(Vec<SeccompArch>) = "architectures",
        /// Flags for `seccomp(2)`.
        flags: opt(Vec<SeccompFlag>) = "flags",
        /// UNIX socket the notify fd is sent to.
        listener_path: opt(String) = "listenerPath",
        /// Opaque data passed to the listener.
        listener_metadata: opt(String) = "listenerMetadata",
        /// Rules.
        syscalls: opt(Vec<Syscall>) = "syscalls",
    }
}

impl Seccomp {
    /// A filter whose default action is `default_action`.
    pub fn new(default_action: SeccompAction) -> Self {
        Self {
            default_action,
            default_errno_ret: None,
            architectures: None,
            flags: None,
            listener_path: None,
            listener_metadata: None,
            syscalls: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// A seccomp rule (`seccomp.syscalls[]`).
    ///
    /// ```
    /// use carrack_spec::runtime::{SeccompAction, Syscall};
    /// let s = Syscall::new(vec!["getcwd".into()], SeccompAction::Errno);
    /// ```
    pub struct Syscall {
        /// Syscall names; at least one.
        names: req(Vec<String>) = "names",
        /// Action when the rule matches.
        action: req(SeccompAction) = "action",
        /// errno for `SCMP_ACT_ERRNO`/`SCMP_ACT_TRACE`.
        errno_ret: opt(u32) = "errnoRet",
        /// Argument conditions.
        args: opt(Vec<SeccompArg>) = "args",
    }
}

impl Syscall {
    /// A rule applying `action` to `names`.
    pub fn new(names: Vec<String>, action: SeccompAction) -> Self {
        Self {
            names,
            action,
            errno_ret: None,
            args: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// A seccomp argument condition (`syscalls[].args[]`).
    ///
    /// ```
    /// use carrack_spec::runtime::{SeccompArg, SeccompOperator};
    /// let a = SeccompArg::new(0, 1, SeccompOperator::EqualTo);
    /// ```
    pub struct SeccompArg {
        /// Argument index, 0 to 5.
        index: req(u32) = "index",
        /// Value to compare with.
        value: req(u64) = "value",
        /// Second value, for `SCMP_CMP_MASKED_EQ`.
        value_two: opt(u64) = "valueTwo",
        /// Comparison operator.
        op: req(SeccompOperator) = "op",
    }
}

impl SeccompArg {
    /// Compares argument `index` with `value` using `op`.
    pub fn new(index: u32, value: u64, op: SeccompOperator) -> Self {
        Self {
            index,
            value,
            value_two: None,
            op,
            extra: crate::Extra::new(),
        }
    }
}

open_enum! {
    /// A seccomp action.
    pub enum SeccompAction {
        Kill = "SCMP_ACT_KILL",
        KillProcess = "SCMP_ACT_KILL_PROCESS",
        KillThread = "SCMP_ACT_KILL_THREAD",
        Trap = "SCMP_ACT_TRAP",
        Errno = "SCMP_ACT_ERRNO",
        Trace = "SCMP_ACT_TRACE",
        Allow = "SCMP_ACT_ALLOW",
        Log = "SCMP_ACT_LOG",
        Notify = "SCMP_ACT_NOTIFY",
    }
}

open_enum! {
    /// A seccomp architecture.
    pub enum SeccompArch {
        X86 = "SCMP_ARCH_X86",
        X86_64 = "SCMP_ARCH_X86_64",
        X32 = "SCMP_ARCH_X32",
        Arm = "SCMP_ARCH_ARM",
        Aarch64 = "SCMP_ARCH_AARCH64",
        Loongarch64 = "SCMP_ARCH_LOONGARCH64",
        M68k = "SCMP_ARCH_M68K",
        Mips = "SCMP_ARCH_MIPS",
        Mips64 = "SCMP_ARCH_MIPS64",
        Mips64N32 = "SCMP_ARCH_MIPS64N32",
        Mipsel = "SCMP_ARCH_MIPSEL",
        Mipsel64 = "SCMP_ARCH_MIPSEL64",
        Mipsel64N32 = "SCMP_ARCH_MIPSEL64N32",
        Ppc = "SCMP_ARCH_PPC",
        Ppc64 = "SCMP_ARCH_PPC64",
        Ppc64le = "SCMP_ARCH_PPC64LE",
        S390 = "SCMP_ARCH_S390",
        S390x = "SCMP_ARCH_S390X",
        Sh = "SCMP_ARCH_SH",
        Sheb = "SCMP_ARCH_SHEB",
        Parisc = "SCMP_ARCH_PARISC",
        Parisc64 = "SCMP_ARCH_PARISC64",
        Riscv64 = "SCMP_ARCH_RISCV64",
    }
}

open_enum! {
    /// A seccomp filter flag.
    pub enum SeccompFlag {
        Tsync = "SECCOMP_FILTER_FLAG_TSYNC",
        Log = "SECCOMP_FILTER_FLAG_LOG",
        SpecAllow = "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        WaitKillableRecv = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    }
}

open_enum! {
    /// A seccomp argument comparison.
    pub enum SeccompOperator {
        NotEqual = "SCMP_CMP_NE",
        LessThan = "SCMP_CMP_LT",
        LessOrEqual = "SCMP_CMP_LE",
        EqualTo = "SCMP_CMP_EQ",
        GreaterOrEqual = "SCMP_CMP_GE",
        GreaterThan = "SCMP_CMP_GT",
        MaskedEqual = "SCMP_CMP_MASKED_EQ",
    }
}
