//! The Windows rules of the runtime-spec this backend enforces, each quoting its sentence
//! (as [`carrack_spec::Rule`]s, so a test checks every quote against the spec's markdown), and
//! [`PlanError`], what planning fails with.

use carrack_spec::Rule;

/// config.md § Platform-specific configuration.
pub const WINDOWS_REQUIRED: Rule = Rule::runtime(
    "config.md",
    "Platform-specific configuration",
    "This MUST be set if the target platform of this spec is windows.",
);
/// config-windows.md § LayerFolders.
pub const LAYERS_NOT_EMPTY: Rule = Rule::runtime(
    "config-windows.md",
    "LayerFolders",
    "layerFolders MUST contain at least one entry.",
);
/// config-windows.md § LayerFolders: the order (topmost first, scratch last).
pub const LAYERS_ORDER: Rule = Rule::runtime(
    "config-windows.md",
    "LayerFolders",
    "The list is ordered from topmost layer to base layer with the last entry being the scratch.",
);
/// config.md § Root, Windows Server containers.
pub const ROOT_REQUIRED: Rule = Rule::runtime(
    "config.md",
    "Root",
    "On Windows, for Windows Server Containers, this field is REQUIRED.",
);
/// config.md § Root, Hyper-V containers.
pub const ROOT_HYPERV: Rule = Rule::runtime(
    "config.md",
    "Root",
    "For Hyper-V Containers, this field MUST NOT be set.",
);
/// config.md § Root: `root.path`.
pub const ROOT_PATH: Rule = Rule::runtime(
    "config.md",
    "Root",
    "On Windows, path MUST be a volume GUID path.",
);
/// config.md § Root: `root.readonly`.
pub const ROOT_READONLY: Rule = Rule::runtime(
    "config.md",
    "Root",
    "On Windows, this field MUST be omitted or false.",
);
/// config.md § Mounts: `destination`.
pub const MOUNT_ABSOLUTE: Rule = Rule::runtime(
    "config.md",
    "Mounts",
    "Windows: This value MUST be an absolute path.",
);
/// config.md § Mounts: nesting.
pub const MOUNT_NESTED: Rule = Rule::runtime(
    "config.md",
    "Mounts",
    "One mount destination MUST NOT be nested within another mount (e.g., c:\\\\foo and c:\\\\foo\\\\bar).",
);
/// config.md § Valid values: the basis of the rules that only list what is valid.
pub const VALID_VALUES: Rule = Rule::runtime(
    "config.md",
    "Valid values",
    "Runtimes MUST generate an error when invalid or unsupported values are encountered.",
);
/// config.md § Mounts: `source`.
pub const MOUNT_SOURCE: Rule = Rule::runtime(
    "config.md",
    "Mounts",
    "Windows: a local directory on the filesystem of the container host. UNC paths and mapped drives are not supported.",
)
.because(&VALID_VALUES);
/// config.md § Process: `cwd`.
pub const PROCESS_CWD: Rule = Rule::runtime(
    "config.md",
    "Process",
    "cwd (string, REQUIRED) is the working directory that will be set for the executable. This value MUST be an absolute path.",
);
/// config.md § Process: `args` / `commandLine`.
pub const PROCESS_COMMAND: Rule = Rule::runtime(
    "config.md",
    "Process",
    "This field is OPTIONAL on Windows, and commandLine is REQUIRED if this field is omitted.",
);
/// config-windows.md § Devices: `idType`.
pub const DEVICE_ID_TYPE: Rule = Rule::runtime(
    "config-windows.md",
    "Devices",
    "Today, Windows only supports a value of class, which identifies id as a device interface class GUID.",
)
.because(&VALID_VALUES);
/// config-windows.md § CPU: `count`, `shares`, `maximum`.
pub const CPU_EXCLUSIVE: Rule = Rule::runtime(
    "config-windows.md",
    "CPU",
    "The following parameters can be specified (mutually exclusive):",
)
.because(&VALID_VALUES);
/// config-windows.md § CPU: `shares`.
pub const CPU_SHARES: Rule = Rule::runtime(
    "config-windows.md",
    "CPU",
    "The processor shares (weight at the platform level) is a value between 0 and 10,000.",
)
.because(&VALID_VALUES);
/// config-windows.md § CPU: `maximum`.
pub const CPU_MAXIMUM: Rule = Rule::runtime(
    "config-windows.md",
    "CPU",
    "determines the portion of processor cycles that the threads in a container can use during each scheduling interval, as the number of cycles per 10,000 cycles.",
)
.because(&VALID_VALUES);
/// runtime.md § Create: what the runtime cannot apply.
pub const CANNOT_APPLY: Rule = Rule::runtime(
    "runtime.md",
    "Create",
    "If the runtime cannot apply a property as specified in the configuration, it MUST generate an error and a new container MUST NOT be created.",
);
/// runtime.md § Start: no process.
pub const START_NEEDS_PROCESS: Rule = Rule::runtime(
    "runtime.md",
    "Start",
    "This operation MUST generate an error if process was not set.",
);

/// Every rule above, for the test that checks each quote against the spec.
pub const ALL: &[&Rule] = &[
    &WINDOWS_REQUIRED,
    &LAYERS_NOT_EMPTY,
    &LAYERS_ORDER,
    &ROOT_REQUIRED,
    &ROOT_HYPERV,
    &ROOT_PATH,
    &ROOT_READONLY,
    &MOUNT_ABSOLUTE,
    &MOUNT_NESTED,
    &VALID_VALUES,
    &MOUNT_SOURCE,
    &PROCESS_CWD,
    &PROCESS_COMMAND,
    &DEVICE_ID_TYPE,
    &CPU_EXCLUSIVE,
    &CPU_SHARES,
    &CPU_MAXIMUM,
    &CANNOT_APPLY,
    &START_NEEDS_PROCESS,
];

/// Why a configuration cannot be planned into HCS documents. Each variant names the rule it
/// enforces; the message quotes the rule's sentence.
///
/// ```
/// use carrack_windows::{HostFacts, PlanError, plan};
/// use carrack_spec::runtime::Spec;
/// let spec = Spec::new("1.3.0"); // no `windows` section
/// let e = plan("c1", &spec, &HostFacts::default()).expect_err("not a Windows config");
/// assert!(matches!(e, PlanError::WindowsMissing));
/// assert!(e.to_string().contains("This MUST be set if the target platform of this spec is windows."));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The configuration has no `windows` section.
    #[error("windows is not set ({})", WINDOWS_REQUIRED)]
    WindowsMissing,
    /// `windows.layerFolders` is empty.
    #[error("windows.layerFolders has no entry ({})", LAYERS_NOT_EMPTY)]
    NoLayerFolders,
    /// A Windows Server container without `root`.
    #[error("root is missing for a Windows Server container ({})", ROOT_REQUIRED)]
    RootMissing,
    /// A Hyper-V container with `root`.
    #[error("root is set for a Hyper-V container ({})", ROOT_HYPERV)]
    RootWithHyperV,
    /// `root.path` is not `\\?\Volume{GUID}\`.
    #[error(r"root.path {0:?} is not a volume GUID path (\\?\Volume{{GUID}}\) ({ROOT_PATH})")]
    RootPathNotVolume(String),
    /// `root.readonly` is true.
    #[error("root.readonly is true ({})", ROOT_READONLY)]
    RootReadonly,
    /// A mount destination is not absolute.
    #[error(
        "mounts[{index}].destination {destination:?} is not an absolute path ({MOUNT_ABSOLUTE})"
    )]
    MountNotAbsolute {
        /// The mount's index.
        index: usize,
        /// Its destination.
        destination: String,
    },
    /// A mount destination is nested within another's.
    #[error(
        "mounts[{index}].destination {destination:?} is nested within mounts[{outer}] ({MOUNT_NESTED})"
    )]
    MountNested {
        /// The nested mount.
        index: usize,
        /// Its destination.
        destination: String,
        /// The mount it is nested in.
        outer: usize,
    },
    /// A mount source is a UNC path (or missing).
    #[error(
        "mounts[{index}].source {path:?} is not a local directory of the host ({MOUNT_SOURCE})"
    )]
    MountSource {
        /// The mount's index.
        index: usize,
        /// Its source (empty when missing).
        path: String,
    },
    /// `process.cwd` is not absolute.
    #[error("process.cwd {0:?} is not an absolute path ({PROCESS_CWD})")]
    CwdNotAbsolute(String),
    /// Neither `process.args` nor `process.commandLine`.
    #[error("process has neither args nor commandLine ({})", PROCESS_COMMAND)]
    NoCommand,
    /// A device `idType` other than `class`.
    #[error("windows.devices[{index}].idType {id_type:?} is not \"class\" ({DEVICE_ID_TYPE})")]
    DeviceIdType {
        /// The device's index.
        index: usize,
        /// Its idType.
        id_type: String,
    },
    /// More than one of `count`, `shares`, `maximum`.
    #[error(
        "more than one of windows.resources.cpu.count, shares and maximum is set ({})",
        CPU_EXCLUSIVE
    )]
    CpuExclusive,
    /// `shares` over 10,000.
    #[error("windows.resources.cpu.shares {0} is not between 0 and 10,000 ({CPU_SHARES})")]
    CpuShares(u16),
    /// `maximum` over 10,000.
    #[error(
        "windows.resources.cpu.maximum {0} is more than 10,000 cycles per 10,000 ({CPU_MAXIMUM})"
    )]
    CpuMaximum(u16),
    /// A property HCS (or this backend) cannot apply.
    #[error("{what} cannot be applied: {why} ({})", CANNOT_APPLY)]
    CannotApply {
        /// The property, as a JSON path of the configuration.
        what: &'static str,
        /// Why not.
        why: String,
    },
}

impl PlanError {
    /// The rule this error enforces.
    ///
    /// ```
    /// use carrack_windows::{PlanError, rules};
    /// assert_eq!(PlanError::RootReadonly.rule(), &rules::ROOT_READONLY);
    /// ```
    pub fn rule(&self) -> &'static Rule {
        match self {
            PlanError::WindowsMissing => &WINDOWS_REQUIRED,
            PlanError::NoLayerFolders => &LAYERS_NOT_EMPTY,
            PlanError::RootMissing => &ROOT_REQUIRED,
            PlanError::RootWithHyperV => &ROOT_HYPERV,
            PlanError::RootPathNotVolume(_) => &ROOT_PATH,
            PlanError::RootReadonly => &ROOT_READONLY,
            PlanError::MountNotAbsolute { .. } => &MOUNT_ABSOLUTE,
            PlanError::MountNested { .. } => &MOUNT_NESTED,
            PlanError::MountSource { .. } => &MOUNT_SOURCE,
            PlanError::CwdNotAbsolute(_) => &PROCESS_CWD,
            PlanError::NoCommand => &PROCESS_COMMAND,
            PlanError::DeviceIdType { .. } => &DEVICE_ID_TYPE,
            PlanError::CpuExclusive => &CPU_EXCLUSIVE,
            PlanError::CpuShares(_) => &CPU_SHARES,
            PlanError::CpuMaximum(_) => &CPU_MAXIMUM,
            PlanError::CannotApply { .. } => &CANNOT_APPLY,
        }
    }
}

/// `\\?\Volume{GUID}\` (config.md § Root links Microsoft's "Naming a volume").
///
/// ```
/// use carrack_windows::rules::is_volume_guid_path;
/// assert!(is_volume_guid_path(r"\\?\Volume{ec84d99e-3f02-11e7-ac6c-00155d7682cf}\"));
/// assert!(!is_volume_guid_path(r"C:\rootfs"));
/// ```
pub fn is_volume_guid_path(p: &str) -> bool {
    p.strip_prefix(r"\\?\Volume{")
        .and_then(|r| r.strip_suffix(r"}\"))
        .is_some_and(is_guid)
}

/// A GUID's text form, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, in either case.
pub(crate) fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// An absolute Windows path: `C:\…` (or `C:/…`), or a `\\?\` / `\\.\` device path.
///
/// ```
/// use carrack_windows::rules::is_abs_windows;
/// assert!(is_abs_windows(r"c:\foo") && is_abs_windows("C:/foo") && !is_abs_windows(r"foo\bar"));
/// ```
pub fn is_abs_windows(p: &str) -> bool {
    let b = p.as_bytes();
    let drive = b.len() >= 3
        && b[0].is_ascii_alphabetic()
        && b[1] == b':'
        && (b[2] == b'\\' || b[2] == b'/');
    drive || p.starts_with(r"\\?\") || p.starts_with(r"\\.\")
}

/// A path as Windows compares it: lower case, `\` separators, no trailing separator.
pub(crate) fn fold_path(p: &str) -> String {
    p.to_lowercase()
        .replace('/', "\\")
        .trim_end_matches('\\')
        .to_owned()
}
