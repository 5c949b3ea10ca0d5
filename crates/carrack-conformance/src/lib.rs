//! `carrack certify`'s library: a runtime-spec 1.3 and image-spec 1.1 conformance suite.
//!
//! Each [`Case`] tests one sentence of a spec (a [`carrack_spec::Rule`], quoted), observes the
//! subject, and judges what it saw with a pure function, so every judgement is unit-tested
//! without root. [`runtime`] drives any runtime with runc's command line through the lifecycle
//! with bundles built around a probe (this program itself, copied into the rootfs with its
//! libraries: [`Program`]); [`image`] checks an image layout or archive written by any tool.
//! [`run`] runs cases in parallel; a [`Report`] renders as text, TAP, JSON or markdown.
//!
//! ```
//! use carrack_conformance::{Report, Format};
//! let r = Report { subject: "example".into(), results: Vec::new(), leftovers: Vec::new() };
//! assert!(r.render(Format::Text).ends_with("0 passed, 0 failed, 0 skipped\n"));
//! ```

pub mod case;
mod glob;
#[cfg(unix)]
pub mod image;
pub mod report;
pub mod runner;

#[cfg(target_os = "linux")]
pub mod program;
#[cfg(target_os = "linux")]
pub mod runtime;

pub use case::{Case, Verdict};
pub use glob::glob_match;
#[cfg(target_os = "linux")]
pub use program::Program;
pub use report::{CaseResult, Format, Report, Summary};
pub use runner::{RunOptions, run, select};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
