//! The rules of config-solaris.md (and the Solaris-relevant ones of config.md that carrack-spec
//! does not check), each quoting the sentence it enforces, and the planner's errors.
//!
//! Only what the spec writes is checked here: a value the spec allows but zonecfg, dladm or
//! zoneadm refuse is their error at run time, reported with their own words.

use carrack_spec::runtime::{Anet, CappedCpu};

use crate::command::Unquotable;

/// A sentence of the runtime-spec this crate enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The spec file (`config-solaris.md`, `config.md`).
    pub chapter: &'static str,
    /// Its section.
    pub section: &'static str,
    /// The sentence(s), exactly as the spec writes them.
    pub quote: &'static str,
}

const fn rule(chapter: &'static str, section: &'static str, quote: &'static str) -> Rule {
    Rule {
        chapter,
        section,
        quote,
    }
}

/// `maxShmMemory`, `cappedMemory.physical`, `cappedMemory.swap`: a number, optionally scaled.
pub const SCALED_NUMBER: Rule = rule(
    "config-solaris.md",
    "maxShmMemory, cappedMemory",
    "A scale (K, M, G, T) can be applied to the value for each of these numbers (for example, 1M is one megabyte).",
);
/// `cappedCPU.ncpus`: a fraction or a mixed number.
pub const NCPUS: Rule = rule(
    "config-solaris.md",
    "cappedCPU",
    "The unit used translates to the percentage of a single CPU that can be used by all user threads in a container, expressed as a fraction (for example, .75) or a mixed number (whole number and fraction, for example, 1.25).",
);
/// `anet[].configureAllowedAddress`: `true` or `false`.
pub const CONFIGURE_ALLOWED_ADDRESS: Rule = rule(
    "config-solaris.md",
    "Automatic Network (anet)",
    "If `configureAllowedAddress` is set to true, the addresses specified by `allowedAddress` are automatically configured on the interface each time the container starts. When it is set to false, the `allowedAddress` will not be configured on container start.",
);
/// `anet[].macAddress`: a keyword or a unicast MAC address.
pub const MAC_ADDRESS: Rule = rule(
    "config-solaris.md",
    "Automatic Network (anet)",
    "Set the VNIC's MAC addresses based on the specified value or keyword. If not a keyword, it is interpreted as a unicast MAC address.",
);
/// `anet[].linkProtection`: comma-separated values.
pub const LINK_PROTECTION: Rule = rule(
    "config-solaris.md",
    "Automatic Network (anet)",
    "Enables one or more types of link protection using comma-separated values.",
);
/// config.md: invalid or unsupported values.
pub const VALID_VALUES: Rule = rule(
    "config.md",
    "Valid values",
    "Runtimes MUST generate an error when invalid or unsupported values are encountered.",
);
/// config.md: rlimits that cannot be mapped.
pub const RLIMIT_MAPPED: Rule = rule(
    "config.md",
    "POSIX process",
    "The runtime MUST generate an error for any values which cannot be mapped to a relevant kernel interface.",
);

/// Why a configuration cannot be planned as a zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// A rule of the spec is broken.
    #[error("{pointer}: {message} ({} § {}: \"{}\")", rule.chapter, rule.section, rule.quote)]
    Rule {
        /// Where, as a JSON pointer into config.json.
        pointer: String,
        /// What is wrong.
        message: String,
        /// The rule.
        rule: Rule,
    },
    /// carrack-spec's validation of the configuration for Solaris found MUST violations.
    #[error("the configuration is invalid for Solaris: {0}")]
    Spec(String),
    /// The configuration asks for something this backend cannot apply on this host.
    #[error("{pointer}: {what} is not supported on {os} zones: {why}")]
    Unsupported {
        /// Where, as a JSON pointer into config.json.
        pointer: String,
        /// What was asked.
        what: String,
        /// `solaris` or `illumos`.
        os: &'static str,
        /// Why it cannot be done.
        why: &'static str,
    },
    /// A value has no zonecfg spelling.
    #[error("{pointer}: {source}")]
    Unquotable {
        /// Where, as a JSON pointer into config.json.
        pointer: String,
        /// The value.
        #[source]
        source: Unquotable,
    },
    /// The host facts lack something the configuration needs.
    #[error("{pointer}: {what}")]
    Host {
        /// Where, as a JSON pointer into config.json.
        pointer: String,
        /// What is missing.
        what: &'static str,
    },
}

fn broken(pointer: String, rule: Rule, message: String) -> PlanError {
    PlanError::Rule {
        pointer,
        message,
        rule,
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A whole number, a fraction (`.75`) or a mixed number (`1.25`).
fn is_ncpus(s: &str) -> bool {
    match s.split_once('.') {
        None => digits(s),
        Some((whole, frac)) => (whole.is_empty() || digits(whole)) && digits(frac),
    }
}

/// A number with an optional scale K, M, G or T (either case, as the spec's `512m`).
fn is_scaled(s: &str) -> bool {
    let n = s
        .strip_suffix(['K', 'M', 'G', 'T', 'k', 'm', 'g', 't'])
        .unwrap_or(s);
    match n.split_once('.') {
        None => digits(n),
        Some((whole, frac)) => digits(whole) && digits(frac),
    }
}

/// Checks a scaled memory value at `pointer`.
pub fn check_scaled(pointer: &str, value: &str) -> Result<(), PlanError> {
    if is_scaled(value) {
        return Ok(());
    }
    Err(broken(
        pointer.to_owned(),
        SCALED_NUMBER,
        format!("{value:?} is not a number with an optional scale K, M, G or T"),
    ))
}

/// Checks `cappedCPU`.
pub fn check_capped_cpu(cpu: &CappedCpu) -> Result<(), PlanError> {
    match &cpu.ncpus {
        Some(n) if !is_ncpus(n) => Err(broken(
            "/solaris/cappedCPU/ncpus".into(),
            NCPUS,
            format!("{n:?} is neither a whole number, a fraction nor a mixed number"),
        )),
        _ => Ok(()),
    }
}

/// The value of `configureAllowedAddress`, checked.
pub fn configure_allowed_address(i: usize, a: &Anet) -> Result<Option<bool>, PlanError> {
    match a.configure_allowed_address.as_deref() {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(broken(
            format!("/solaris/anet/{i}/configureAllowedAddress"),
            CONFIGURE_ALLOWED_ADDRESS,
            format!("{other:?} is neither \"true\" nor \"false\""),
        )),
    }
}

/// Checks `macAddress`: a value with a `:` is an address (keywords have none) and must be a
/// unicast one (the least significant bit of its first octet clear).
pub fn check_mac(i: usize, a: &Anet) -> Result<(), PlanError> {
    let Some(mac) = a.mac_address.as_deref() else {
        return Ok(());
    };
    if !mac.contains(':') {
        return Ok(()); // a keyword; which ones exist is zonecfg's (or dladm's) to say
    }
    let bad = |why: &str| {
        Err(broken(
            format!("/solaris/anet/{i}/macAddress"),
            MAC_ADDRESS,
            format!("{mac:?} {why}"),
        ))
    };
    let octets: Option<Vec<u8>> = mac
        .split(':')
        .map(|o| {
            (1..=2)
                .contains(&o.len())
                .then(|| u8::from_str_radix(o, 16).ok())
                .flatten()
        })
        .collect();
    match octets.as_deref() {
        None | Some([] | [_]) => bad("is neither a keyword nor a MAC address"),
        Some([first, ..]) if first & 1 == 1 => bad("is a multicast, not a unicast, MAC address"),
        Some(_) => Ok(()),
    }
}

/// `linkProtection` as a list: split at commas, blanks around each value dropped (the spec's
/// own example is `"mac-nospoof, ip-nospoof"`); an empty value is not one of the
/// "comma-separated values".
pub fn link_protection(i: usize, a: &Anet) -> Result<Option<Vec<String>>, PlanError> {
    let Some(text) = a.link_protection.as_deref() else {
        return Ok(None);
    };
    let values: Vec<String> = text.split(',').map(|v| v.trim().to_owned()).collect();
    if values.iter().any(String::is_empty) {
        return Err(broken(
            format!("/solaris/anet/{i}/linkProtection"),
            LINK_PROTECTION,
            format!("{text:?} has an empty value"),
        ));
    }
    Ok(Some(values))
}

/// An error of [`VALID_VALUES`] at `pointer`.
pub fn invalid(pointer: String, message: String) -> PlanError {
    broken(pointer, VALID_VALUES, message)
}

/// An error of [`RLIMIT_MAPPED`] at `pointer`.
pub fn unmapped_rlimit(pointer: String, message: String) -> PlanError {
    broken(pointer, RLIMIT_MAPPED, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        for ok in ["8", ".75", "1.25", "0.5"] {
            assert!(is_ncpus(ok), "{ok}");
        }
        for bad in ["", ".", "1.", "1,5", "-1", "one", "1.2.3", "8 ", "½"] {
            assert!(!is_ncpus(bad), "{bad}");
        }
        for ok in ["512m", "1M", "2G", "1T", "4096", "1.5g", "10k"] {
            assert!(is_scaled(ok), "{ok}");
        }
        for bad in ["", "m", "512mb", "512 m", "-1m", ".5m", "1P", "1e6"] {
            assert!(!is_scaled(bad), "{bad}");
        }
    }
}
