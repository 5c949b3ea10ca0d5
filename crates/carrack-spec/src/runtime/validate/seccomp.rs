//! config-linux.md § Seccomp.

use super::{VALID_VALUES, listed_values};
use crate::runtime::*;
use crate::validation::Checker;

rules! {
    // config-linux.md
    LINUX_SECCOMP_DEFAULT_ACTION = runtime("config-linux.md", "Seccomp",
        "defaultAction (string, REQUIRED) - the default action for seccomp. Allowed values are the same as syscalls[].action.")
        because VALID_VALUES;
    LINUX_SECCOMP_ERRNO = runtime("config-linux.md", "Seccomp",
        "Some actions like SCMP_ACT_ERRNO and SCMP_ACT_TRACE allow to specify the errno code to return. When the action doesn't support an errno, the runtime MUST print and error and fail.");
    LINUX_SECCOMP_ARCH = runtime("config-linux.md", "Seccomp",
        "architectures (array of strings, OPTIONAL) - the architecture used for system calls. A valid list of constants as of libseccomp v2.6.0 is shown below.")
        because VALID_VALUES;
    LINUX_SECCOMP_FLAGS = runtime("config-linux.md", "Seccomp",
        "flags (array of strings, OPTIONAL) - list of flags to use with seccomp(2). A valid list of constants is shown below.")
        because VALID_VALUES;
    LINUX_SECCOMP_METADATA = runtime("config-linux.md", "Seccomp",
        "This field MUST NOT be set if listenerPath is not set.");
    LINUX_SECCOMP_NAMES = runtime("config-linux.md", "Seccomp",
        "names MUST contain at least one entry.");
    LINUX_SECCOMP_ACTION = runtime("config-linux.md", "Seccomp",
        "action (string, REQUIRED) - the action for seccomp rules. A valid list of constants as of libseccomp v2.6.0 is shown below.")
        because VALID_VALUES;
    LINUX_SECCOMP_OP = runtime("config-linux.md", "Seccomp",
        "op (string, REQUIRED) - the operator for syscall arguments in seccomp. A valid list of constants as of libseccomp v2.6.0 is shown below.")
        because VALID_VALUES;
}

pub(super) fn check_seccomp(c: &mut Checker, s: &Seccomp) {
    if !s.default_action.is_known() {
        c.must_at(
            "defaultAction",
            LINUX_SECCOMP_DEFAULT_ACTION,
            format!(
                "{:?} is not a seccomp action the spec lists",
                s.default_action.as_str()
            ),
        );
    }
    let errno_action = |a: &SeccompAction| matches!(a, SeccompAction::Errno | SeccompAction::Trace);
    if s.default_errno_ret.is_some() && !errno_action(&s.default_action) {
        c.must_at(
            "defaultErrnoRet",
            LINUX_SECCOMP_ERRNO,
            format!("{} does not take an errno", s.default_action),
        );
    }
    c.opt("architectures", &s.architectures, |c, a| {
        listed_values(c, a, LINUX_SECCOMP_ARCH, "seccomp architecture")
    });
    c.opt("flags", &s.flags, |c, f| {
        listed_values(c, f, LINUX_SECCOMP_FLAGS, "seccomp flag")
    });
    if s.listener_metadata.is_some() && s.listener_path.is_none() {
        c.must_at(
            "listenerMetadata",
            LINUX_SECCOMP_METADATA,
            "listenerMetadata is set but listenerPath is not",
        );
    }
    c.opt("syscalls", &s.syscalls, |c, calls| {
        for (i, call) in calls.iter().enumerate() {
            c.at(i, |c| {
                if call.names.is_empty() {
                    c.must_at("names", LINUX_SECCOMP_NAMES, "names has no entry");
                }
                if !call.action.is_known() {
                    c.must_at(
                        "action",
                        LINUX_SECCOMP_ACTION,
                        format!(
                            "{:?} is not a seccomp action the spec lists",
                            call.action.as_str()
                        ),
                    );
                }
                if call.errno_ret.is_some() && !errno_action(&call.action) {
                    c.must_at(
                        "errnoRet",
                        LINUX_SECCOMP_ERRNO,
                        format!("{} does not take an errno", call.action),
                    );
                }
                c.opt("args", &call.args, |c, args| {
                    for (k, a) in args.iter().enumerate() {
                        if !a.op.is_known() {
                            c.at(k, |c| {
                                c.must_at(
                                    "op",
                                    LINUX_SECCOMP_OP,
                                    format!(
                                        "{:?} is not a seccomp operator the spec lists",
                                        a.op.as_str()
                                    ),
                                )
                            });
                        }
                    }
                });
            });
        }
    });
}
