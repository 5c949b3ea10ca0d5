//! features.md and features-linux.md: the features a runtime reports.

use super::config::annotations;
use crate::document::{Document, DocumentKind};
use crate::rules::{is_semver, semver_core};
use crate::runtime::*;
use crate::validation::{Checker, Report};

rules! {
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
