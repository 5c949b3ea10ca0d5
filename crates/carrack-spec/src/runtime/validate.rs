//! Validation of runtime-spec documents: config, state and features.
//!
//! Every check quotes the sentence of the spec it enforces (see [`Rule`]); a check the spec
//! does not state is not made here, whatever the kernel or a runtime would refuse at run time.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::document::{Document, DocumentKind};
use crate::rules::{
    is_abs_posix, is_abs_windows, is_cpu_list, is_hugepage_size, is_semver, is_volume_guid_path,
    semver_core,
};
use crate::runtime::*;
use crate::validation::{Checker, Report, Rule};

/// Defines each rule as a constant and lists them all in `RULES`.
macro_rules! rules {
    ($($name:ident = $ctor:ident($chapter:literal, $section:literal, $quote:literal) $(because $basis:ident)?;)*) => {
        $(const $name: Rule = Rule::$ctor($chapter, $section, $quote)$(.because(&$basis))?;)*
        /// Every rule the runtime-spec validators check.
        pub(crate) const RULES: &[Rule] = &[$($name),*];
    };
}

rules! {
    // config.md
    VALID_VALUES = runtime("config.md", "Valid values",
        "Runtimes MUST generate an error when invalid or unsupported values are encountered.");
    CONFIG_VERSION = runtime("config.md", "Specification version",
        "ociVersion (string, REQUIRED) MUST be in SemVer v2.0.0 format");
    ROOT_HYPERV = runtime("config.md", "Root",
        "For Hyper-V Containers, this field MUST NOT be set.");
    ROOT_WINDOWS = runtime("config.md", "Root",
        "On Windows, for Windows Server Containers, this field is REQUIRED.");
    ROOT_REQUIRED = runtime("config.md", "Root",
        "On all other platforms, this field is REQUIRED.");
    ROOT_PATH_WINDOWS = runtime("config.md", "Root",
        "On Windows, path MUST be a volume GUID path.");
    ROOT_PATH_CONVENTION = runtime("config.md", "Root",
        "The value SHOULD be the conventional rootfs.");
    ROOT_READONLY_WINDOWS = runtime("config.md", "Root",
        "On Windows, this field MUST be omitted or false.");
    MOUNT_DEST_LINUX = runtime("config.md", "Mounts",
        "Linux: This value SHOULD be an absolute path.");
    MOUNT_DEST_WINDOWS = runtime("config.md", "Mounts",
        "Windows: This value MUST be an absolute path.");
    MOUNT_NESTED_WINDOWS = runtime("config.md", "Mounts",
        "One mount destination MUST NOT be nested within another mount");
    MOUNT_DEST_SOLARIS = runtime("config.md", "Mounts",
        "Solaris: This value MUST be an absolute path.");
    MOUNT_DEST_OTHER = runtime("config.md", "Mounts",
        "For all other platforms: This value MUST be an absolute path.");
    MOUNT_UID_WITH_GID = runtime("config.md", "POSIX-platform Mounts",
        "If specified, it MUST be specified along with gidMappings.");
    MOUNT_GID_WITH_UID = runtime("config.md", "POSIX-platform Mounts",
        "If specified, it MUST be specified along with uidMappings.");
    MOUNT_IDMAP_OPTION = runtime("config.md", "POSIX-platform Mounts",
        "If specified, the options field of the mounts structure SHOULD contain either idmap or ridmap to specify whether the mapping should be applied recursively for rbind mounts, as well as to ensure that older runtimes will not silently ignore this field.");
    PROCESS_FOR_START = runtime("config.md", "Process",
        "This property is REQUIRED when start is called.");
    PROCESS_CWD = runtime("config.md", "Process",
        "cwd (string, REQUIRED) is the working directory that will be set for the executable. This value MUST be an absolute path.");
    PROCESS_ARGS = runtime("config.md", "Process",
        "This specification extends the IEEE standard in that at least one entry is REQUIRED (non-Windows), and that entry is used with the same semantics as execvp's file.");
    PROCESS_ARGS_WINDOWS = runtime("config.md", "Process",
        "This field is OPTIONAL on Windows, and commandLine is REQUIRED if this field is omitted.");
    RLIMIT_TYPE = runtime("config.md", "POSIX process",
        "The runtime MUST generate an error for any values which cannot be mapped to a relevant kernel interface.");
    RLIMIT_DUPLICATE = runtime("config.md", "POSIX process",
        "If rlimits contains duplicated entries with same type, the runtime MUST generate an error.");
    CAPABILITY_UNKNOWN = runtime("config.md", "Linux Process",
        "Any value which cannot be mapped to a relevant kernel interface, or cannot be granted otherwise MUST be logged as a warning by the runtime. Runtimes SHOULD NOT fail if the container configuration requests capabilities that cannot be granted");
    SCHED_POLICY = runtime("config.md", "Linux Process",
        "policy (string, REQUIRED) represents the scheduling policy. A valid list of values is: SCHED_OTHER SCHED_FIFO SCHED_RR SCHED_BATCH SCHED_ISO SCHED_IDLE SCHED_DEADLINE")
        because VALID_VALUES;
    SCHED_FLAGS = runtime("config.md", "Linux Process",
        "flags (array of strings, OPTIONAL) is an array of strings representing scheduling flags. A valid list of values is: SCHED_FLAG_RESET_ON_FORK SCHED_FLAG_RECLAIM SCHED_FLAG_DL_OVERRUN SCHED_FLAG_KEEP_POLICY SCHED_FLAG_KEEP_PARAMS SCHED_FLAG_UTIL_CLAMP_MIN SCHED_FLAG_UTIL_CLAMP_MAX")
        because VALID_VALUES;
    IOPRIO_CLASS = runtime("config.md", "Linux Process",
        "class (string, REQUIRED) specifies the I/O scheduling class. Possible values are IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, and IOPRIO_CLASS_IDLE.")
        because VALID_VALUES;
    EXEC_CPU_AFFINITY = runtime("config.md", "Linux Process",
        "This is a a comma-separated list, with dashes to represent ranges.")
        because VALID_VALUES;
    USER_UID = runtime("config.md", "POSIX-platform User",
        "uid (int, REQUIRED) specifies the user ID in the container namespace.");
    USER_GID = runtime("config.md", "POSIX-platform User",
        "gid (int, REQUIRED) specifies the group ID in the container namespace.");
    HOOK_PATH = runtime("config.md", "POSIX-platform Hooks",
        "This specification extends the IEEE standard in that path MUST be absolute.");
    HOOK_TIMEOUT = runtime("config.md", "POSIX-platform Hooks",
        "If set, timeout MUST be greater than zero.");
    ANNOTATION_KEY_EMPTY = runtime("config.md", "Annotations",
        "Keys MUST NOT be an empty string.");
    ANNOTATION_KEY_DOMAIN = runtime("config.md", "Annotations",
        "Keys SHOULD be named using a reverse domain notation - e.g. com.example.myKey.");
    WINDOWS_REQUIRED = runtime("config.md", "Platform-specific configuration",
        "windows (object, OPTIONAL) Windows-specific configuration. This MUST be set if the target platform of this spec is windows.");
    // config-linux.md
    LINUX_NS_TYPE = runtime("config-linux.md", "Namespaces",
        "type (string, REQUIRED) - namespace type. The following namespace types SHOULD be supported: pid … network … mount … ipc … uts … user … cgroup … time")
        because VALID_VALUES;
    LINUX_NS_PATH = runtime("config-linux.md", "Namespaces",
        "This value MUST be an absolute path in the runtime mount namespace.");
    LINUX_NS_DUPLICATE = runtime("config-linux.md", "Namespaces",
        "If a namespaces field contains duplicated namespaces with same type, the runtime MUST generate an error.");
    LINUX_DEVICE_TYPE = runtime("config-linux.md", "Devices",
        "type (string, REQUIRED) - type of device: c, b, u or p.")
        because VALID_VALUES;
    LINUX_DEVICE_PATH = runtime("config-linux.md", "Devices",
        "path (string, REQUIRED) - full path to device inside container.");
    LINUX_DEVICE_NUMBERS = runtime("config-linux.md", "Devices",
        "major, minor (int64, REQUIRED unless type is p) - major, minor numbers for the device.");
    LINUX_DEVICE_DUPLICATE = runtime("config-linux.md", "Devices",
        "The same type, major and minor SHOULD NOT be used for multiple devices.");
    LINUX_CGROUPS_PATH = runtime("config-linux.md", "Cgroups Path",
        "Runtimes MAY consider certain cgroupsPath values to be invalid, and MUST generate an error if this is the case.");
    LINUX_DEVICE_CGROUP_TYPE = runtime("config-linux.md", "Allowed Device list",
        "type (string, OPTIONAL) - type of device: a (all), c (char), or b (block).")
        because VALID_VALUES;
    LINUX_DEVICE_CGROUP_ACCESS = runtime("config-linux.md", "Allowed Device list",
        "access (string, OPTIONAL) - cgroup permissions for device. A composition of r (read), w (write), and m (mknod).")
        because VALID_VALUES;
    LINUX_SWAPPINESS = runtime("config-linux.md", "Memory",
        "swappiness (uint64, OPTIONAL) - sets swappiness parameter of vmscan (See sysctl's vm.swappiness) The values are from 0 to 100.")
        because VALID_VALUES;
    LINUX_MEMORY_KERNEL = runtime("config-linux.md", "Memory",
        "kernel (int64, OPTIONAL, NOT RECOMMENDED) - sets hard limit for kernel memory");
    LINUX_MEMORY_KERNEL_TCP = runtime("config-linux.md", "Memory",
        "kernelTCP (int64, OPTIONAL, NOT RECOMMENDED) - sets hard limit for kernel TCP buffer memory");
    LINUX_CPU_LIST = runtime("config-linux.md", "CPU",
        "This is a comma-separated list, with dashes to represent ranges.")
        because VALID_VALUES;
    LINUX_CPU_BURST = runtime("config-linux.md", "CPU",
        "If specified, this value MUST be no larger than any positive quota (runtimes MAY generate an error).");
    LINUX_CPU_IDLE = runtime("config-linux.md", "CPU",
        "idle (int64, OPTIONAL) - cgroups are configured with minimum weight, 0: default behavior, 1: SCHED_IDLE.")
        because VALID_VALUES;
    LINUX_BLKIO_WEIGHT_DEVICE = runtime("config-linux.md", "Block IO",
        "You MUST specify at least one of weight or leafWeight in a given entry, and MAY specify both.");
    LINUX_BLKIO_BPS_RATE = runtime("config-linux.md", "Block IO",
        "rate (uint64, REQUIRED) - bandwidth rate limit in bytes per second for the device");
    LINUX_BLKIO_IOPS_RATE = runtime("config-linux.md", "Block IO",
        "rate (uint64, REQUIRED) - IO rate limit for the device");
    LINUX_HUGEPAGE_SIZE = runtime("config-linux.md", "Huge page limits",
        "The value has the format <size><unit-prefix>B (64KB, 2MB, 1GB)")
        because VALID_VALUES;
    LINUX_RDMA = runtime("config-linux.md", "RDMA",
        "You MUST specify at least one of the hcaHandles or hcaObjects in a given entry, and MAY specify both.");
    LINUX_PROPAGATION = runtime("config-linux.md", "Rootfs Mount Propagation",
        "Its value is either shared, slave, private or unbindable.")
        because VALID_VALUES;
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
    LINUX_MASKED = runtime("config-linux.md", "Masked Paths",
        "The values MUST be absolute paths in the container namespace.");
    LINUX_READONLY = runtime("config-linux.md", "Readonly Paths",
        "The values MUST be absolute paths in the container namespace.");
    LINUX_RDT_L3 = runtime("config-linux.md", "IntelRdt",
        "The value SHOULD start with L3: and SHOULD NOT contain newlines.");
    LINUX_RDT_MB = runtime("config-linux.md", "IntelRdt",
        "The value MUST start with MB: and MUST NOT contain newlines.");
    LINUX_RDT_SCHEMATA = runtime("config-linux.md", "IntelRdt",
        "Each element represents one line in the schemata file. The value MUST NOT contain newlines.");
    LINUX_MEMPOLICY_MODE = runtime("config-linux.md", "Memory policy",
        "mode (string, REQUIRED) - A valid list of constants is shown below.")
        because VALID_VALUES;
    LINUX_MEMPOLICY_NODES = runtime("config-linux.md", "Memory policy",
        "This is a comma-separated list, with dashes to represent ranges.")
        because VALID_VALUES;
    LINUX_MEMPOLICY_FLAGS = runtime("config-linux.md", "Memory policy",
        "flags (array of strings, OPTIONAL) - list of flags to use with set_mempolicy(2). A valid list of constants is shown below.")
        because VALID_VALUES;
    LINUX_PERSONALITY_DOMAIN = runtime("config-linux.md", "Personality",
        "domain (string, REQUIRED) - the execution domain.");
    LINUX_PERSONALITY_DOMAINS = runtime("config-linux.md", "Personality",
        "The valid list of constants is shown below.")
        because VALID_VALUES;
    // config-windows.md
    WIN_LAYERS = runtime("config-windows.md", "LayerFolders",
        "layerFolders MUST contain at least one entry.");
    WIN_DEVICE_ID_TYPE = runtime("config-windows.md", "Devices",
        "Today, Windows only supports a value of class, which identifies id as a device interface class GUID.")
        because VALID_VALUES;
    WIN_CPU_EXCLUSIVE = runtime("config-windows.md", "CPU",
        "The following parameters can be specified (mutually exclusive):")
        because VALID_VALUES;
    WIN_CPU_SHARES = runtime("config-windows.md", "CPU",
        "The processor shares (weight at the platform level) is a value between 0 and 10,000.")
        because VALID_VALUES;
    // config-vm.md
    VM_HYPERVISOR_PATH = runtime("config-vm.md", "Hypervisor Object",
        "path (string, REQUIRED) path to the hypervisor binary that manages the container virtual machine. This value MUST be an absolute path in the runtime mount namespace.");
    VM_KERNEL_PATH = runtime("config-vm.md", "Kernel Object",
        "path (string, REQUIRED) path to the kernel used to boot the container virtual machine. This value MUST be an absolute path in the runtime mount namespace.");
    VM_INITRD_PATH = runtime("config-vm.md", "Kernel Object",
        "initrd (string, OPTIONAL) path to an initial ramdisk to be used by the container virtual machine. This value MUST be an absolute path in the runtime mount namespace.");
    VM_IMAGE_PATH = runtime("config-vm.md", "Image Object",
        "path (string, REQUIRED) path to the container virtual machine root image. This value MUST be an absolute path in the runtime mount namespace.");
    // config-zos.md
    ZOS_NS_TYPE = runtime("config-zos.md", "Namespaces",
        "type (string, REQUIRED) - namespace type. The following namespace types SHOULD be supported: pid … mount … ipc … uts")
        because VALID_VALUES;
    ZOS_NS_PATH = runtime("config-zos.md", "Namespaces",
        "This value MUST be an absolute path in the runtime mount namespace.");
    ZOS_NS_DUPLICATE = runtime("config-zos.md", "Namespaces",
        "If a namespaces field contains duplicated namespaces with same type, the runtime MUST generate an error.");
    // config-freebsd.md
    FREEBSD_DEVICE_PATH = runtime("config-freebsd.md", "Devices",
        "path (string, REQUIRED) - the device path relative to /dev");
    FREEBSD_HOST = runtime("config-freebsd.md", "Jail",
        "The value can be \"new\" which allows these values to be overridden in the container or \"inherit\" to use the host values (or parent container values).")
        because VALID_VALUES;
    FREEBSD_VNET = runtime("config-freebsd.md", "Jail",
        "The value can be \"new\" which causes a new vnet to be created for the container or \"inherit\" which shares the vnet for the parent container (or host if there is no parent).")
        because VALID_VALUES;
    FREEBSD_IP4 = runtime("config-freebsd.md", "Jail",
        "Set to \"inherit\" to allow access to host (or parent container) addresses or set to \"disable\" to stop use of IPv4 entirely.")
        because VALID_VALUES;
    FREEBSD_IP6 = runtime("config-freebsd.md", "Jail",
        "Set to \"inherit\" to allow access to host (or parent container) addresses or set to \"disable\" to stop use of IPv6 entirely.")
        because VALID_VALUES;
    FREEBSD_SYSV = runtime("config-freebsd.md", "Jail",
        "If set to \"inherit\", all IPC objects in the host (or parent container) are visible to this container … If set to \"new\", the container will have its own key namespace … If set to \"disable\", the container cannot perform any sysvmsg-related system calls.")
        because VALID_VALUES;
    FREEBSD_ENFORCE_STATFS = runtime("config-freebsd.md", "Jail",
        "A value of 0 allows visibility of all host mounts, 1 allows visibility of mounts nested under the container's root and 2 only allows the container root to be visible.")
        because VALID_VALUES;
    FREEBSD_VNET_IP = runtime("config-freebsd.md", "Jail",
        "A container which needs its own network namespace SHOULD set \"vnet\" to \"new\" and leave \"ip4\" and \"ip6\" unchanged.");
    // runtime.md
    STATE_BUNDLE = runtime("runtime.md", "State",
        "bundle (string, REQUIRED) is the absolute path to the container's bundle directory.");
    STATE_PID = runtime("runtime.md", "State",
        "pid (int, REQUIRED when status is created or running on Linux, OPTIONAL on other platforms) is the ID of the container process.");
    // features.md, features-linux.md
    FEATURES_VERSION_MIN = runtime("features.md", "Specification version",
        "ociVersionMin (string, REQUIRED) The minimum recognized version of the Open Container Initiative Runtime Specification. The runtime MUST accept this value as the ociVersion property of config.json.");
    FEATURES_VERSION_MAX = runtime("features.md", "Specification version",
        "ociVersionMax (string, REQUIRED) The maximum recognized version of the Open Container Initiative Runtime Specification. The runtime MUST accept this value as the ociVersion property of config.json.");
    FEATURES_VERSION_ORDER = runtime("features.md", "Specification version",
        "The value MUST NOT be less than the value of the ociVersionMin property.");
    FEATURES_SUPPORTED_FLAGS = runtime("features-linux.md", "Seccomp",
        "supportedFlags (array of strings, OPTIONAL) The recognized and supported names of the seccomp flags. … The runtime MUST recognize and support the elements in this array in the flags property of the linux.seccomp object in config.json.");
}

/// The platform a configuration is meant for; several rules depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Target {
    /// Linux.
    Linux,
    /// Windows.
    Windows,
    /// Solaris or illumos.
    Solaris,
    /// A virtual-machine-based runtime.
    Vm,
    /// z/OS.
    Zos,
    /// FreeBSD.
    FreeBsd,
    /// Unknown: only the platform-neutral rules apply.
    Unknown,
}

impl Target {
    fn is_posix(self) -> bool {
        !matches!(self, Self::Windows)
    }

    /// Infers the target from which platform object the configuration carries.
    ///
    /// ```
    /// use carrack_spec::runtime::{Spec, Target};
    /// assert_eq!(Target::infer(&Spec::new("1.3.0")), Target::Unknown);
    /// ```
    pub fn infer(spec: &Spec) -> Self {
        if spec.windows.is_some() {
            Self::Windows
        } else if spec.solaris.is_some() {
            Self::Solaris
        } else if spec.zos.is_some() {
            Self::Zos
        } else if spec.freebsd.is_some() {
            Self::FreeBsd
        } else if spec.vm.is_some() {
            Self::Vm
        } else if spec.linux.is_some() {
            Self::Linux
        } else {
            Self::Unknown
        }
    }
}

/// Options for [`Spec::validate_with`].
///
/// ```
/// use carrack_spec::runtime::{Spec, Target, ValidateOptions};
/// let mut opts = ValidateOptions::default();
/// opts.target = Some(Target::Linux);
/// let report = Spec::new("1.3.0").validate_with(&opts);
/// assert!(!report.is_valid()); // root is REQUIRED on Linux
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ValidateOptions {
    /// The target platform; inferred from the platform objects when `None`.
    pub target: Option<Target>,
    /// Apply the rules that hold when `start` is called (`process` REQUIRED).
    pub for_start: bool,
}

impl Document for Spec {
    const KIND: DocumentKind = DocumentKind::Config;
    fn validate(&self) -> Report {
        self.validate_with(&ValidateOptions::default())
    }
}

impl Document for State {
    const KIND: DocumentKind = DocumentKind::State;
    fn validate(&self) -> Report {
        let mut c = Checker::new();
        if !is_abs_posix(&self.bundle) && !is_abs_windows(&self.bundle) {
            c.must_at(
                "bundle",
                STATE_BUNDLE,
                format!("bundle {:?} is not an absolute path", self.bundle),
            );
        }
        if matches!(self.status, Status::Created | Status::Running) && self.pid.is_none() {
            c.must(
                STATE_PID,
                format!(
                    "pid is missing, and it is REQUIRED on Linux when status is {:?}",
                    self.status.as_str()
                ),
            );
        }
        c.opt("annotations", &self.annotations, annotations);
        c.finish()
    }
}

impl Document for Features {
    const KIND: DocumentKind = DocumentKind::Features;
    fn validate(&self) -> Report {
        let mut c = Checker::new();
        for (member, v, rule) in [
            ("ociVersionMin", &self.oci_version_min, FEATURES_VERSION_MIN),
            ("ociVersionMax", &self.oci_version_max, FEATURES_VERSION_MAX),
        ] {
            if !is_semver(v) {
                c.must_at(
                    member,
                    rule,
                    format!(
                        "{member} {v:?} is not a SemVer 2.0.0 version, so no runtime can accept it as the ociVersion of config.json"
                    ),
                );
            }
        }
        if let (Some(min), Some(max)) = (
            semver_core(&self.oci_version_min),
            semver_core(&self.oci_version_max),
        ) && min > max
        {
            c.must_at(
                "ociVersionMax",
                FEATURES_VERSION_ORDER,
                format!(
                    "ociVersionMax {} is less than ociVersionMin {}",
                    self.oci_version_max, self.oci_version_min
                ),
            );
        }
        c.opt("annotations", &self.annotations, annotations);
        let flags = self
            .linux
            .as_ref()
            .and_then(|l| l.seccomp.as_ref())
            .map(|s| (&s.known_flags, &s.supported_flags));
        if let Some((Some(known), Some(supported))) = flags {
            c.at("linux", |c| {
                c.at("seccomp", |c| {
                    c.at("supportedFlags", |c| {
                        for (i, f) in supported.iter().enumerate() {
                            if !known.contains(f) {
                                c.must_at(
                                    i,
                                    FEATURES_SUPPORTED_FLAGS,
                                    format!(
                                        "supported flag {f} is not among the recognised knownFlags"
                                    ),
                                );
                            }
                        }
                    })
                })
            });
        }
        c.finish()
    }
}

/// A value of a closed enumeration: one the spec lists, or not.
trait ListedValue {
    fn listed(&self) -> bool;
    fn text(&self) -> &str;
}

macro_rules! listed_value {
    ($($t:ty),*) => {$(
        impl ListedValue for $t {
            fn listed(&self) -> bool { self.is_known() }
            fn text(&self) -> &str { self.as_str() }
        }
    )*};
}
listed_value!(
    SeccompArch,
    SeccompFlag,
    MemoryPolicyMode,
    MemoryPolicyFlag,
    SchedulerFlag
);

/// A finding for every value of `values` that the spec's list (quoted by `rule`) lacks.
fn listed_values<T: ListedValue>(c: &mut Checker, values: &[T], rule: Rule, what: &str) {
    for (i, v) in values.iter().enumerate() {
        if !v.listed() {
            c.must_at(
                i,
                rule,
                format!("{:?} is not a {what} the spec lists", v.text()),
            );
        }
    }
}

/// The key rules of config.md § Annotations, which state and features annotations follow too.
fn annotations(c: &mut Checker, a: &BTreeMap<String, String>) {
    for key in a.keys() {
        if key.is_empty() {
            c.must_at(key, ANNOTATION_KEY_EMPTY, "an annotation key is empty");
        } else if !key.contains('.') {
            c.should_at(
                key,
                ANNOTATION_KEY_DOMAIN,
                format!("annotation key {key:?} is not in reverse domain notation"),
            );
        }
    }
}

impl Spec {
    /// Validates against the rules of `config.md` and the chapter of the target platform.
    ///
    /// ```
    /// use carrack_spec::runtime::{Spec, ValidateOptions};
    /// let spec: Spec = serde_json::from_str(r#"{"ociVersion":"1.3.0","root":{"path":"rootfs"},
    ///   "linux":{"namespaces":[{"type":"pid"},{"type":"pid"}]}}"#).unwrap();
    /// let report = spec.validate_with(&ValidateOptions::default());
    /// assert_eq!(report.musts().next().map(|f| f.pointer.as_str()), Some("/linux/namespaces/1/type"));
    /// ```
    pub fn validate_with(&self, opts: &ValidateOptions) -> Report {
        let target = opts.target.unwrap_or_else(|| Target::infer(self));
        let mut c = Checker::new();
        if !is_semver(&self.oci_version) {
            c.must_at(
                "ociVersion",
                CONFIG_VERSION,
                format!(
                    "ociVersion {:?} is not a SemVer 2.0.0 version",
                    self.oci_version
                ),
            );
        }
        self.check_root(&mut c, target);
        c.opt("mounts", &self.mounts, |c, mounts| {
            check_mounts(c, mounts, target)
        });
        match &self.process {
            Some(p) => c.at("process", |c| check_process(c, p, target)),
            None if opts.for_start => c.must(PROCESS_FOR_START, "process is missing"),
            None => {}
        }
        c.opt("hooks", &self.hooks, check_hooks);
        c.opt("annotations", &self.annotations, annotations);
        if target == Target::Windows && self.windows.is_none() {
            c.must(
                WINDOWS_REQUIRED,
                "the target platform is Windows but windows is not set",
            );
        }
        c.opt("linux", &self.linux, check_linux);
        c.opt("windows", &self.windows, check_windows);
        c.opt("vm", &self.vm, check_vm);
        c.opt("zos", &self.zos, check_zos);
        c.opt("freebsd", &self.freebsd, check_freebsd);
        c.finish()
    }

    fn check_root(&self, c: &mut Checker, target: Target) {
        let hyperv = self.windows.as_ref().is_some_and(|w| w.hyperv.is_some());
        match (&self.root, target) {
            (Some(_), Target::Windows) if hyperv => {
                c.must_at("root", ROOT_HYPERV, "root is set for a Hyper-V container")
            }
            (None, Target::Windows) if !hyperv => c.must(
                ROOT_WINDOWS,
                "root is missing for a Windows Server container",
            ),
            (None, Target::Windows | Target::Unknown) => {}
            (None, _) => c.must(ROOT_REQUIRED, "root is missing"),
            (Some(root), _) => c.at("root", |c| {
                if target == Target::Windows {
                    if !is_volume_guid_path(&root.path) {
                        c.must_at(
                            "path",
                            ROOT_PATH_WINDOWS,
                            format!(
                                r"root.path {:?} is not a volume GUID path (\\?\Volume{{GUID}}\)",
                                root.path
                            ),
                        );
                    }
                } else if target.is_posix() && root.path != "rootfs" && !is_abs_posix(&root.path) {
                    c.should_at(
                        "path",
                        ROOT_PATH_CONVENTION,
                        format!(
                            "root.path is the relative path {:?}, not the conventional \"rootfs\"",
                            root.path
                        ),
                    );
                }
                if target == Target::Windows && root.readonly == Some(true) {
                    c.must_at(
                        "readonly",
                        ROOT_READONLY_WINDOWS,
                        "root.readonly is true on Windows",
                    );
                }
            }),
        }
    }
}

fn check_mounts(c: &mut Checker, mounts: &[Mount], target: Target) {
    let win_dests: Vec<String> = mounts
        .iter()
        .map(|m| {
            m.destination
                .to_ascii_lowercase()
                .replace('/', "\\")
                .trim_end_matches('\\')
                .to_owned()
        })
        .collect();
    for (i, m) in mounts.iter().enumerate() {
        c.at(i, |c| {
            c.at("destination", |c| {
                let d = &m.destination;
                let not_absolute = format!("destination {d:?} is not an absolute path");
                match target {
                    Target::Linux if !is_abs_posix(d) => c.should(MOUNT_DEST_LINUX, not_absolute),
                    Target::Windows => {
                        if !is_abs_windows(d) {
                            c.must(MOUNT_DEST_WINDOWS, not_absolute);
                        }
                        let me = &win_dests[i];
                        if let Some(j) = win_dests.iter().enumerate().position(|(j, other)| {
                            j != i
                                && me.starts_with(other.as_str())
                                && me.as_bytes().get(other.len()) == Some(&b'\\')
                        }) {
                            c.must(
                                MOUNT_NESTED_WINDOWS,
                                format!("destination {d:?} is nested within mount {j}"),
                            );
                        }
                    }
                    Target::Solaris if !is_abs_posix(d) => {
                        c.must(MOUNT_DEST_SOLARIS, not_absolute)
                    }
                    Target::Linux | Target::Unknown | Target::Solaris => {}
                    _ if !is_abs_posix(d) => c.must(MOUNT_DEST_OTHER, not_absolute),
                    _ => {}
                }
            });
            match (&m.uid_mappings, &m.gid_mappings) {
                (Some(_), None) => c.must_at(
                    "uidMappings",
                    MOUNT_UID_WITH_GID,
                    "uidMappings is set without gidMappings",
                ),
                (None, Some(_)) => c.must_at(
                    "gidMappings",
                    MOUNT_GID_WITH_UID,
                    "gidMappings is set without uidMappings",
                ),
                (Some(_), Some(_)) => {
                    let idmap = m
                        .options
                        .as_ref()
                        .is_some_and(|o| o.iter().any(|o| o == "idmap" || o == "ridmap"));
                    if !idmap {
                        c.should(
                            MOUNT_IDMAP_OPTION,
                            "the mount has uidMappings and gidMappings but neither the idmap nor the ridmap option",
                        );
                    }
                }
                (None, None) => {}
            }
        });
    }
}

fn check_process(c: &mut Checker, p: &Process, target: Target) {
    let cwd_ok = if target == Target::Windows {
        is_abs_windows(&p.cwd)
    } else {
        is_abs_posix(&p.cwd) || (target == Target::Unknown && is_abs_windows(&p.cwd))
    };
    if !cwd_ok {
        c.must_at(
            "cwd",
            PROCESS_CWD,
            format!("cwd {:?} is not an absolute path", p.cwd),
        );
    }
    let no_args = p.args.as_ref().is_none_or(Vec::is_empty);
    if target == Target::Windows {
        if no_args && p.command_line.is_none() {
            c.must(
                PROCESS_ARGS_WINDOWS,
                "neither args nor commandLine is given",
            );
        }
    } else if no_args {
        c.must(PROCESS_ARGS, "args has no entry");
    }
    c.opt("rlimits", &p.rlimits, |c, rlimits| {
        let mut seen = HashSet::new();
        for (i, r) in rlimits.iter().enumerate() {
            c.at(i, |c| {
                if !r.kind.is_known() && target == Target::Linux {
                    c.must_at(
                        "type",
                        RLIMIT_TYPE,
                        format!(
                            "{:?} is not a Linux resource limit (getrlimit(2))",
                            r.kind.as_str()
                        ),
                    );
                }
                if !seen.insert(r.kind.as_str()) {
                    c.must_at(
                        "type",
                        RLIMIT_DUPLICATE,
                        format!("rlimit type {} is listed more than once", r.kind),
                    );
                }
            });
        }
    });
    c.opt("capabilities", &p.capabilities, |c, caps| {
        for (name, set) in [
            ("bounding", &caps.bounding),
            ("effective", &caps.effective),
            ("inheritable", &caps.inheritable),
            ("permitted", &caps.permitted),
            ("ambient", &caps.ambient),
        ] {
            c.opt(name, set, |c, v| {
                for (i, cap) in v.iter().enumerate() {
                    if !cap.is_known() {
                        c.should_at(
                            i,
                            CAPABILITY_UNKNOWN,
                            format!(
                                "unknown capability {:?}: a runtime logs a warning and should not fail",
                                cap.as_str()
                            ),
                        );
                    }
                }
            });
        }
    });
    c.opt("scheduler", &p.scheduler, |c, s| {
        if !s.policy.is_known() {
            c.must_at(
                "policy",
                SCHED_POLICY,
                format!(
                    "{:?} is not a scheduling policy the spec lists",
                    s.policy.as_str()
                ),
            );
        }
        c.opt("flags", &s.flags, |c, f| {
            listed_values(c, f, SCHED_FLAGS, "scheduler flag")
        });
    });
    c.opt("ioPriority", &p.io_priority, |c, io| {
        if !io.class.is_known() {
            c.must_at(
                "class",
                IOPRIO_CLASS,
                format!(
                    "{:?} is not an I/O priority class the spec lists",
                    io.class.as_str()
                ),
            );
        }
    });
    c.opt("execCPUAffinity", &p.exec_cpu_affinity, |c, a| {
        for (name, v) in [("initial", &a.initial), ("final", &a.final_)] {
            if let Some(v) = v
                && !is_cpu_list(v)
            {
                c.must_at(
                    name,
                    EXEC_CPU_AFFINITY,
                    format!("{v:?} is not a CPU list such as 0-3,7"),
                );
            }
        }
    });
    c.opt("user", &p.user, |c, u| {
        if target.is_posix() && target != Target::Unknown {
            if u.uid.is_none() {
                c.must(USER_UID, "user.uid is missing");
            }
            if u.gid.is_none() {
                c.must(USER_GID, "user.gid is missing");
            }
        }
    });
}

fn check_hooks(c: &mut Checker, hooks: &Hooks) {
    for (name, list) in [
        ("prestart", &hooks.prestart),
        ("createRuntime", &hooks.create_runtime),
        ("createContainer", &hooks.create_container),
        ("startContainer", &hooks.start_container),
        ("poststart", &hooks.poststart),
        ("poststop", &hooks.poststop),
    ] {
        let Some(list) = list else { continue };
        c.each(name, list, |c, h| {
            if !is_abs_posix(&h.path) && !is_abs_windows(&h.path) {
                c.must_at(
                    "path",
                    HOOK_PATH,
                    format!("hook path {:?} is not absolute", h.path),
                );
            }
            if let Some(t) = h.timeout
                && t <= 0
            {
                c.must_at(
                    "timeout",
                    HOOK_TIMEOUT,
                    format!("timeout {t} is not greater than zero"),
                );
            }
        });
    }
}

fn check_linux(c: &mut Checker, l: &Linux) {
    c.opt("namespaces", &l.namespaces, |c, ns| {
        namespaces(
            c,
            ns,
            NamespaceType::KNOWN,
            [LINUX_NS_TYPE, LINUX_NS_PATH, LINUX_NS_DUPLICATE],
        )
    });
    c.opt("devices", &l.devices, |c, devs| {
        let mut seen = HashSet::new();
        for (i, d) in devs.iter().enumerate() {
            c.at(i, |c| {
                if !d.kind.is_known() {
                    c.must_at(
                        "type",
                        LINUX_DEVICE_TYPE,
                        format!("device type {:?} is not one of c, b, u, p", d.kind.as_str()),
                    );
                }
                if !is_abs_posix(&d.path) {
                    c.must_at(
                        "path",
                        LINUX_DEVICE_PATH,
                        format!("device path {:?} is not a full path", d.path),
                    );
                }
                if d.kind != DeviceType::Fifo && d.kind.is_known() {
                    for (name, v) in [("major", d.major), ("minor", d.minor)] {
                        if v.is_none() {
                            c.must(
                                LINUX_DEVICE_NUMBERS,
                                format!("{name} is missing for device type {}", d.kind),
                            );
                        }
                    }
                }
                if let (Some(ma), Some(mi)) = (d.major, d.minor)
                    && !seen.insert((d.kind.as_str(), ma, mi))
                {
                    c.should(
                        LINUX_DEVICE_DUPLICATE,
                        format!("device {} {ma}:{mi} is listed more than once", d.kind),
                    );
                }
            });
        }
    });
    c.opt("cgroupsPath", &l.cgroups_path, |c, p| {
        if p.split('/').any(|s| s == "..") {
            c.must(
                LINUX_CGROUPS_PATH,
                format!(
                    "cgroupsPath {p:?} climbs out of the cgroup hierarchy with '..': carrack considers it invalid"
                ),
            );
        }
    });
    c.opt("resources", &l.resources, check_resources);
    c.opt("rootfsPropagation", &l.rootfs_propagation, |c, p| {
        if !p.is_known() {
            c.must(
                LINUX_PROPAGATION,
                format!(
                    "{:?} is not a rootfs propagation the spec lists",
                    p.as_str()
                ),
            );
        }
    });
    c.opt("seccomp", &l.seccomp, check_seccomp);
    for (name, paths, rule) in [
        ("maskedPaths", &l.masked_paths, LINUX_MASKED),
        ("readonlyPaths", &l.readonly_paths, LINUX_READONLY),
    ] {
        c.opt(name, paths, |c, paths| {
            for (i, p) in paths.iter().enumerate() {
                if !is_abs_posix(p) {
                    c.must_at(i, rule, format!("{p:?} is not an absolute path"));
                }
            }
        });
    }
    c.opt("intelRdt", &l.intel_rdt, |c, r| {
        if let Some(s) = &r.l3_cache_schema
            && (!s.starts_with("L3:") || s.contains('\n'))
        {
            c.should_at(
                "l3CacheSchema",
                LINUX_RDT_L3,
                "l3CacheSchema does not start with \"L3:\" or contains a newline",
            );
        }
        if let Some(s) = &r.mem_bw_schema
            && (!s.starts_with("MB:") || s.contains('\n'))
        {
            c.must_at(
                "memBwSchema",
                LINUX_RDT_MB,
                "memBwSchema does not start with \"MB:\" or contains a newline",
            );
        }
        c.opt("schemata", &r.schemata, |c, s| {
            for (i, line) in s.iter().enumerate() {
                if line.contains('\n') {
                    c.must_at(i, LINUX_RDT_SCHEMATA, "a schemata line contains a newline");
                }
            }
        });
    });
    c.opt("memoryPolicy", &l.memory_policy, |c, m| {
        if !m.mode.is_known() {
            c.must_at(
                "mode",
                LINUX_MEMPOLICY_MODE,
                format!(
                    "{:?} is not a memory policy mode the spec lists",
                    m.mode.as_str()
                ),
            );
        }
        if let Some(nodes) = &m.nodes
            && !is_cpu_list(nodes)
        {
            c.must_at(
                "nodes",
                LINUX_MEMPOLICY_NODES,
                format!("{nodes:?} is not a node list such as 0-3,7"),
            );
        }
        c.opt("flags", &m.flags, |c, f| {
            listed_values(c, f, LINUX_MEMPOLICY_FLAGS, "memory policy flag")
        });
    });
    c.opt("personality", &l.personality, |c, p| match &p.domain {
        None => c.must(LINUX_PERSONALITY_DOMAIN, "personality.domain is missing"),
        Some(d) if !d.is_known() => c.must_at(
            "domain",
            LINUX_PERSONALITY_DOMAINS,
            format!(
                "{:?} is not a personality domain the spec lists",
                d.as_str()
            ),
        ),
        Some(_) => {}
    });
}

/// The namespace rules of a chapter: `[type, path, duplicate]`, for the types it lists.
fn namespaces(c: &mut Checker, ns: &[Namespace], listed: &[&str], rules: [Rule; 3]) {
    let [type_rule, path_rule, duplicate_rule] = rules;
    let mut seen = BTreeSet::new();
    for (i, n) in ns.iter().enumerate() {
        c.at(i, |c| {
            if !listed.contains(&n.kind.as_str()) {
                c.must_at(
                    "type",
                    type_rule,
                    format!(
                        "{:?} is not a namespace type the spec lists",
                        n.kind.as_str()
                    ),
                );
            }
            if !seen.insert(n.kind.as_str()) {
                c.must_at(
                    "type",
                    duplicate_rule,
                    format!("namespace type {} is listed more than once", n.kind),
                );
            }
            if let Some(p) = &n.path
                && !is_abs_posix(p)
            {
                c.must_at(
                    "path",
                    path_rule,
                    format!("namespace path {p:?} is not absolute"),
                );
            }
        });
    }
}

fn check_resources(c: &mut Checker, r: &Resources) {
    c.opt("devices", &r.devices, |c, devs| {
        for (i, d) in devs.iter().enumerate() {
            c.at(i, |c| {
                if let Some(t) = &d.kind
                    && !matches!(t.as_str(), "a" | "b" | "c")
                {
                    c.must_at(
                        "type",
                        LINUX_DEVICE_CGROUP_TYPE,
                        format!("device type {t:?} is not one of a, b, c"),
                    );
                }
                if let Some(a) = &d.access
                    && (a.is_empty() || !a.chars().all(|ch| matches!(ch, 'r' | 'w' | 'm')))
                {
                    c.must_at(
                        "access",
                        LINUX_DEVICE_CGROUP_ACCESS,
                        format!("access {a:?} is not a composition of r, w, m"),
                    );
                }
            });
        }
    });
    c.opt("memory", &r.memory, |c, m| {
        if let Some(s) = m.swappiness
            && s > 100
        {
            c.must_at(
                "swappiness",
                LINUX_SWAPPINESS,
                format!("swappiness {s} is not within 0 to 100"),
            );
        }
        for (name, v, rule) in [
            ("kernel", m.kernel, LINUX_MEMORY_KERNEL),
            ("kernelTCP", m.kernel_tcp, LINUX_MEMORY_KERNEL_TCP),
        ] {
            if v.is_some() {
                c.should_at(
                    name,
                    rule,
                    format!("{name} is set, and it is NOT RECOMMENDED"),
                );
            }
        }
    });
    c.opt("cpu", &r.cpu, |c, cpu| {
        for (name, v) in [("cpus", &cpu.cpus), ("mems", &cpu.mems)] {
            if let Some(v) = v
                && !is_cpu_list(v)
            {
                c.must_at(
                    name,
                    LINUX_CPU_LIST,
                    format!("{v:?} is not a list such as 0-3,7"),
                );
            }
        }
        if let (Some(quota), Some(burst)) = (cpu.quota, cpu.burst)
            && quota > 0
            && u64::try_from(quota).is_ok_and(|q| q < burst)
        {
            c.must_at(
                "burst",
                LINUX_CPU_BURST,
                format!("burst {burst} is larger than quota {quota}"),
            );
        }
        if let Some(idle) = cpu.idle
            && idle != 0
            && idle != 1
        {
            c.must_at(
                "idle",
                LINUX_CPU_IDLE,
                format!("idle {idle} is neither 0 nor 1"),
            );
        }
    });
    c.opt("blockIO", &r.block_io, |c, b| {
        c.opt("weightDevice", &b.weight_device, |c, devs| {
            for (i, d) in devs.iter().enumerate() {
                if d.weight.is_none() && d.leaf_weight.is_none() {
                    c.must_at(
                        i,
                        LINUX_BLKIO_WEIGHT_DEVICE,
                        "the entry has neither weight nor leafWeight",
                    );
                }
            }
        });
        for (name, list, rule) in [
            (
                "throttleReadBpsDevice",
                &b.throttle_read_bps_device,
                LINUX_BLKIO_BPS_RATE,
            ),
            (
                "throttleWriteBpsDevice",
                &b.throttle_write_bps_device,
                LINUX_BLKIO_BPS_RATE,
            ),
            (
                "throttleReadIOPSDevice",
                &b.throttle_read_iops_device,
                LINUX_BLKIO_IOPS_RATE,
            ),
            (
                "throttleWriteIOPSDevice",
                &b.throttle_write_iops_device,
                LINUX_BLKIO_IOPS_RATE,
            ),
        ] {
            if let Some(list) = list {
                c.each(name, list, |c, d| {
                    if d.rate.is_none() {
                        c.must(rule, "rate is missing");
                    }
                });
            }
        }
    });
    c.opt("hugepageLimits", &r.hugepage_limits, |c, limits| {
        for (i, h) in limits.iter().enumerate() {
            if !is_hugepage_size(&h.page_size) {
                c.must_at(
                    i,
                    LINUX_HUGEPAGE_SIZE,
                    format!(
                        "pageSize {:?} is not of the form <size><unit-prefix>B, e.g. 2MB",
                        h.page_size
                    ),
                );
            }
        }
    });
    c.opt("rdma", &r.rdma, |c, rdma| {
        for (dev, limits) in rdma {
            if limits.hca_handles.is_none() && limits.hca_objects.is_none() {
                c.must_at(
                    dev,
                    LINUX_RDMA,
                    "the entry has neither hcaHandles nor hcaObjects",
                );
            }
        }
    });
}

fn check_seccomp(c: &mut Checker, s: &Seccomp) {
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

fn check_windows(c: &mut Checker, w: &Windows) {
    if w.layer_folders.is_empty() {
        c.must_at("layerFolders", WIN_LAYERS, "layerFolders has no entry");
    }
    c.opt("devices", &w.devices, |c, devs| {
        for (i, d) in devs.iter().enumerate() {
            if !d.id_type.is_known() {
                c.must_at(
                    i,
                    WIN_DEVICE_ID_TYPE,
                    format!("idType {:?} is not \"class\"", d.id_type.as_str()),
                );
            }
        }
    });
    if let Some(cpu) = w.resources.as_ref().and_then(|r| r.cpu.as_ref()) {
        c.at("resources", |c| {
            c.at("cpu", |c| {
                let set = [
                    cpu.count.is_some(),
                    cpu.shares.is_some(),
                    cpu.maximum.is_some(),
                ];
                if set.iter().filter(|s| **s).count() > 1 {
                    c.must(
                        WIN_CPU_EXCLUSIVE,
                        "more than one of count, shares and maximum is set",
                    );
                }
                if let Some(s) = cpu.shares
                    && s > 10_000
                {
                    c.must_at(
                        "shares",
                        WIN_CPU_SHARES,
                        format!("shares {s} is not between 0 and 10,000"),
                    );
                }
            });
        });
    }
}

fn check_vm(c: &mut Checker, vm: &Vm) {
    c.opt("hypervisor", &vm.hypervisor, |c, h| {
        if !is_abs_posix(&h.path) {
            c.must_at(
                "path",
                VM_HYPERVISOR_PATH,
                format!("{:?} is not an absolute path", h.path),
            );
        }
    });
    c.at("kernel", |c| {
        if !is_abs_posix(&vm.kernel.path) {
            c.must_at(
                "path",
                VM_KERNEL_PATH,
                format!("{:?} is not an absolute path", vm.kernel.path),
            );
        }
        if let Some(i) = &vm.kernel.initrd
            && !is_abs_posix(i)
        {
            c.must_at(
                "initrd",
                VM_INITRD_PATH,
                format!("{i:?} is not an absolute path"),
            );
        }
    });
    c.opt("image", &vm.image, |c, i| {
        if !is_abs_posix(&i.path) {
            c.must_at(
                "path",
                VM_IMAGE_PATH,
                format!("{:?} is not an absolute path", i.path),
            );
        }
    });
}

fn check_zos(c: &mut Checker, z: &Zos) {
    c.opt("namespaces", &z.namespaces, |c, ns| {
        namespaces(
            c,
            ns,
            &["pid", "mount", "ipc", "uts"],
            [ZOS_NS_TYPE, ZOS_NS_PATH, ZOS_NS_DUPLICATE],
        )
    });
}

fn check_freebsd(c: &mut Checker, f: &FreeBsd) {
    c.opt("devices", &f.devices, |c, devs| {
        for (i, d) in devs.iter().enumerate() {
            if d.path.is_none() {
                c.must_at(i, FREEBSD_DEVICE_PATH, "device path is missing");
            }
        }
    });
    c.opt("jail", &f.jail, |c, j| {
        for (name, v, rule) in [
            ("host", &j.host, FREEBSD_HOST),
            ("vnet", &j.vnet, FREEBSD_VNET),
        ] {
            if let Some(v) = v
                && !matches!(v, SharingMode::New | SharingMode::Inherit)
            {
                c.must_at(
                    name,
                    rule,
                    format!("{name} is {:?}, not \"new\" or \"inherit\"", v.as_str()),
                );
            }
        }
        for (name, v, rule) in [
            ("ip4", &j.ip4, FREEBSD_IP4),
            ("ip6", &j.ip6, FREEBSD_IP6),
            ("sysvmsg", &j.sysvmsg, FREEBSD_SYSV),
            ("sysvsem", &j.sysvsem, FREEBSD_SYSV),
            ("sysvshm", &j.sysvshm, FREEBSD_SYSV),
        ] {
            if let Some(v) = v
                && !v.is_known()
            {
                c.must_at(
                    name,
                    rule,
                    format!(
                        "{name} is {:?}, a sharing mode the spec does not list",
                        v.as_str()
                    ),
                );
            }
        }
        if let Some(e) = j.enforce_statfs
            && e > 2
        {
            c.must_at(
                "enforceStatfs",
                FREEBSD_ENFORCE_STATFS,
                format!("enforceStatfs {e} is not 0, 1 or 2"),
            );
        }
        if j.vnet == Some(SharingMode::New)
            && (j.ip4 == Some(SharingMode::Inherit) || j.ip6 == Some(SharingMode::Inherit))
        {
            c.should(
                FREEBSD_VNET_IP,
                "the jail has its own vnet but sets ip4 or ip6 to \"inherit\"",
            );
        }
    });
}
