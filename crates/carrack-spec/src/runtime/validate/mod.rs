//! Validation of runtime-spec documents: config, state and features.
//!
//! Every check quotes the sentence of the spec it enforces (see [`Rule`]); a check the spec
//! does not state is not made here, whatever the kernel or a runtime would refuse at run time.
//!
//! One module per chapter: `config` (config.md), `linux`, `resources` and `seccomp`
//! (config-linux.md), `other_platforms` (Windows, VM, z/OS, FreeBSD), `state` (runtime.md)
//! and `features` (features.md).

use crate::document::{Document, DocumentKind};
use crate::rules::is_semver;
use crate::runtime::*;
use crate::validation::{Checker, Report, Rule};

/// Defines each rule of a chapter as a constant and lists them all in the module's `RULES`.
macro_rules! rules {
    ($($name:ident = $ctor:ident($chapter:literal, $section:literal, $quote:literal) $(because $basis:ident)?;)*) => {
        $(pub(super) const $name: $crate::validation::Rule = $crate::validation::Rule::$ctor($chapter, $section, $quote)$(.because(&$basis))?;)*
        /// Every rule this module checks.
        pub(super) const RULES: &[$crate::validation::Rule] = &[$($name),*];
    };
}

mod config;
mod features;
mod linux;
mod other_platforms;
mod resources;
mod seccomp;
mod state;

use config::{
    CONFIG_VERSION, PROCESS_FOR_START, VALID_VALUES, WINDOWS_REQUIRED, annotations, check_hooks,
    check_mounts, check_process,
};
use linux::check_linux;
use other_platforms::{check_freebsd, check_vm, check_windows, check_zos};

/// Every rule the runtime-spec validators check, chapter by chapter.
pub(crate) const RULES: &[&[Rule]] = &[
    config::RULES,
    linux::RULES,
    resources::RULES,
    seccomp::RULES,
    other_platforms::RULES,
    state::RULES,
    features::RULES,
];

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

/// A value of a closed enumeration: one the spec lists, or not.
pub(super) trait ListedValue {
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
}
