//! One case: the sentence it tests, how binding it is, what it needs of the host, how it
//! observes the subject, and how it judges what it saw.

use carrack_spec::{Level, Rule};
use serde_json::Value;

/// What a case saw and what it makes of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "result", rename_all = "lowercase")]
pub enum Verdict {
    /// The subject did what the sentence says; `seen` says what that was.
    Pass {
        /// What was observed.
        seen: String,
    },
    /// The subject did something else; `seen` says what.
    Fail {
        /// What was observed.
        seen: String,
    },
    /// The host cannot exercise the case; never counted as passed.
    Skip {
        /// Why not.
        reason: String,
    },
}

impl Verdict {
    /// A pass that saw `seen`.
    pub fn pass(seen: impl Into<String>) -> Self {
        Self::Pass { seen: seen.into() }
    }

    /// A failure that saw `seen`.
    pub fn fail(seen: impl Into<String>) -> Self {
        Self::Fail { seen: seen.into() }
    }

    /// A skip because of `reason`.
    pub fn skip(reason: impl Into<String>) -> Self {
        Self::Skip {
            reason: reason.into(),
        }
    }

    /// `pass(seen)` when `ok`, else `fail(seen)`.
    ///
    /// ```
    /// use carrack_conformance::Verdict;
    /// assert_eq!(Verdict::check(1 + 1 == 2, "two"), Verdict::pass("two"));
    /// ```
    pub fn check(ok: bool, seen: impl Into<String>) -> Self {
        if ok {
            Self::pass(seen)
        } else {
            Self::fail(seen)
        }
    }

    /// The word a report prints.
    pub fn word(&self) -> &'static str {
        match self {
            Self::Pass { .. } => "pass",
            Self::Fail { .. } => "fail",
            Self::Skip { .. } => "skip",
        }
    }

    /// What was seen, or why the case was skipped.
    pub fn detail(&self) -> &str {
        match self {
            Self::Pass { seen } | Self::Fail { seen } => seen,
            Self::Skip { reason } => reason,
        }
    }
}

/// How a case runs against a subject of type `S`: `observe` drives the subject and records
/// what it saw as JSON (or says why it could not, which fails the case, or returns a skip);
/// `judge` is pure, so each case's judgement has a unit test that needs no root.
pub struct Case<S: ?Sized> {
    /// A path-like name: `runtime/start/not-created`, filterable by glob.
    pub id: &'static str,
    /// The sentence the case tests.
    pub rule: Rule,
    /// MUST or SHOULD, from the sentence.
    pub level: Level,
    /// Drives the subject; `Err(verdict)` ends the case early (a skip, or a failure to set up).
    pub observe: fn(&S) -> Result<Value, Verdict>,
    /// Judges the observation.
    pub judge: fn(&Value) -> Verdict,
}

impl<S: ?Sized> Case<S> {
    /// Runs the case: observe, then judge.
    pub fn run(&self, subject: &S) -> Verdict {
        match (self.observe)(subject) {
            Ok(seen) => (self.judge)(&seen),
            Err(v) => v,
        }
    }
}

impl<S: ?Sized> std::fmt::Debug for Case<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case")
            .field("id", &self.id)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

/// A runtime-spec rule, for a case table.
#[cfg(target_os = "linux")]
pub(crate) const fn runtime(
    chapter: &'static str,
    section: &'static str,
    quote: &'static str,
) -> Rule {
    Rule::runtime(chapter, section, quote)
}
