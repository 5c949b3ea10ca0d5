//! Findings of validation: what rule a document breaks, where, and how badly.
//!
//! ```
//! use carrack_spec::runtime::Spec;
//! use carrack_spec::{Document, Level};
//!
//! let spec = Spec::from_slice(br#"{"ociVersion": "1.3", "process": {"cwd": "tmp", "args": ["sh"]}}"#)?;
//! let report = spec.validate();
//! assert!(!report.is_valid());
//! let cwd = report.iter().find(|f| f.pointer == "/process/cwd").expect("a finding for cwd");
//! assert_eq!(cwd.level, Level::Must);
//! # Ok::<(), carrack_spec::ParseError>(())
//! ```

use std::fmt;

mod quote;

pub use quote::{QuoteError, normalize_prose};

/// How binding a broken rule is, in RFC 2119 terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Level {
    /// A MUST (or REQUIRED, MUST NOT) rule: the document is not valid.
    #[serde(rename = "MUST")]
    Must,
    /// A SHOULD (or SHOULD NOT, RECOMMENDED) rule: valid, but not as the spec advises.
    #[serde(rename = "SHOULD")]
    Should,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Must => "MUST",
            Self::Should => "SHOULD",
        })
    }
}

/// Which of the two OCI specifications a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum SpecName {
    /// opencontainers/runtime-spec
    #[serde(rename = "runtime-spec")]
    Runtime,
    /// opencontainers/image-spec
    #[serde(rename = "image-spec")]
    Image,
}

/// A rule of a specification, quoted: the chapter, the section and the sentence that states it.
///
/// Every rule carrack checks carries the sentence of the spec it enforces, verbatim except for
/// markdown (see [`normalize_prose`]); `…` marks an elision. [`Rule::all`] lists them, and
/// [`Rule::check_quote`] tells whether a chapter's text says what the rule quotes.
///
/// ```
/// use carrack_spec::runtime::Spec;
/// use carrack_spec::Document;
///
/// let spec = Spec::from_slice(br#"{"ociVersion":"1.3.0","root":{"path":"rootfs"},
///   "process":{"cwd":"tmp","args":["sh"],"user":{"uid":0,"gid":0}},"linux":{}}"#)?;
/// let finding = spec.validate().into_vec().remove(0);
/// assert_eq!(finding.rule.chapter, "config.md");
/// assert_eq!(finding.rule.section, "Process");
/// assert!(finding.rule.quote.contains("This value MUST be an absolute path."));
/// # Ok::<(), carrack_spec::ParseError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Rule {
    /// The specification.
    pub spec: SpecName,
    /// The chapter, as its file name in the spec repository (e.g. `config-linux.md`).
    pub chapter: &'static str,
    /// The heading of the section (or subsection) of the chapter that holds [`Rule::quote`].
    pub section: &'static str,
    /// The sentence of the spec the rule enforces, as [`normalize_prose`] renders the chapter's
    /// markdown; `…` marks an elision.
    pub quote: &'static str,
    /// When [`Rule::quote`] only says which values are valid (an enumeration, a range, a
    /// format), the sentence that makes any other value an error: runtime-spec `config.md` §
    /// Valid values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<&'static Rule>,
}

impl Rule {
    /// A rule of the runtime-spec, stated by `quote` in `section` of `chapter`.
    ///
    /// ```
    /// use carrack_spec::Rule;
    /// const ROOT: Rule = Rule::runtime("config.md", "Root", "On all other platforms, this field is REQUIRED.");
    /// assert_eq!(ROOT.to_string(), r#"runtime-spec config.md § Root: "On all other platforms, this field is REQUIRED.""#);
    /// ```
    pub const fn runtime(
        chapter: &'static str,
        section: &'static str,
        quote: &'static str,
    ) -> Self {
        Self {
            spec: SpecName::Runtime,
            chapter,
            section,
            quote,
            basis: None,
        }
    }

    /// A rule of the image-spec, stated by `quote` in `section` of `chapter`.
    ///
    /// ```
    /// use carrack_spec::{Rule, SpecName};
    /// let r = Rule::image("descriptor.md", "Properties", "The size MUST NOT be negative.");
    /// assert_eq!(r.spec, SpecName::Image);
    /// ```
    pub const fn image(chapter: &'static str, section: &'static str, quote: &'static str) -> Self {
        Self {
            spec: SpecName::Image,
            chapter,
            section,
            quote,
            basis: None,
        }
    }

    /// This rule, whose quote defines the valid values, made binding by `basis`.
    ///
    /// ```
    /// use carrack_spec::Rule;
    /// static VALID: Rule = Rule::runtime("config.md", "Valid values",
    ///     "Runtimes MUST generate an error when invalid or unsupported values are encountered.");
    /// let r = Rule::runtime("config-linux.md", "Rootfs Mount Propagation",
    ///     "Its value is either shared, slave, private or unbindable.").because(&VALID);
    /// assert!(r.to_string().contains("config.md § Valid values"));
    /// ```
    pub const fn because(self, basis: &'static Rule) -> Self {
        Self {
            basis: Some(basis),
            ..self
        }
    }

    /// Every rule the validators of this crate check, runtime-spec first.
    ///
    /// ```
    /// use carrack_spec::Rule;
    /// assert!(Rule::all().all(|r| !r.quote.is_empty()));
    /// assert!(Rule::all().any(|r| r.chapter == "config-linux.md"));
    /// ```
    pub fn all() -> impl Iterator<Item = &'static Rule> {
        crate::runtime::RULES
            .iter()
            .flat_map(|chapter| chapter.iter())
            .chain(crate::image::RULES.iter())
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let spec = match self.spec {
            SpecName::Runtime => "runtime-spec",
            SpecName::Image => "image-spec",
        };
        write!(
            f,
            "{spec} {} § {}: \"{}\"",
            self.chapter, self.section, self.quote
        )?;
        if let Some(basis) = self.basis {
            write!(
                f,
                " ({} § {}: \"{}\")",
                basis.chapter, basis.section, basis.quote
            )?;
        }
        Ok(())
    }
}

/// One broken rule in one place of a document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Where, as an RFC 6901 JSON pointer (`""` is the whole document).
    pub pointer: String,
    /// MUST or SHOULD.
    pub level: Level,
    /// The rule that is broken.
    pub rule: Rule,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{} {at}: {} [{}]", self.level, self.message, self.rule)
    }
}

/// Every finding of one validation, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Report {
    findings: Vec<Finding>,
}

impl Report {
    /// True when no MUST rule is broken (SHOULD findings may remain).
    pub fn is_valid(&self) -> bool {
        !self.findings.iter().any(|f| f.level == Level::Must)
    }
    /// True when there are no findings at all.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }
    /// The number of findings.
    pub fn len(&self) -> usize {
        self.findings.len()
    }
    /// The findings, in document order.
    pub fn iter(&self) -> std::slice::Iter<'_, Finding> {
        self.findings.iter()
    }
    /// The findings at MUST level.
    pub fn musts(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.level == Level::Must)
    }
    /// The findings at SHOULD level.
    pub fn shoulds(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.level == Level::Should)
    }
    /// Consumes the report, giving its findings.
    pub fn into_vec(self) -> Vec<Finding> {
        self.findings
    }
}

impl<'a> IntoIterator for &'a Report {
    type Item = &'a Finding;
    type IntoIter = std::slice::Iter<'a, Finding>;
    fn into_iter(self) -> Self::IntoIter {
        self.findings.iter()
    }
}

impl IntoIterator for Report {
    type Item = Finding;
    type IntoIter = std::vec::IntoIter<Finding>;
    fn into_iter(self) -> Self::IntoIter {
        self.findings.into_iter()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            writeln!(f, "{finding}")?;
        }
        Ok(())
    }
}

/// Walks a document, tracking the JSON pointer, and collects findings.
pub(crate) struct Checker {
    pointer: String,
    findings: Vec<Finding>,
}

impl Checker {
    pub(crate) fn new() -> Self {
        Self {
            pointer: String::new(),
            findings: Vec::new(),
        }
    }

    /// Runs `f` with `segment` appended to the pointer.
    pub(crate) fn at<T>(
        &mut self,
        segment: impl fmt::Display,
        f: impl FnOnce(&mut Self) -> T,
    ) -> T {
        let len = self.pointer.len();
        self.pointer.push('/');
        for c in segment.to_string().chars() {
            match c {
                '~' => self.pointer.push_str("~0"),
                '/' => self.pointer.push_str("~1"),
                c => self.pointer.push(c),
            }
        }
        let out = f(self);
        self.pointer.truncate(len);
        out
    }

    /// Runs `f` on `value` under `segment` when it is present.
    pub(crate) fn opt<T>(
        &mut self,
        segment: &str,
        value: &Option<T>,
        f: impl FnOnce(&mut Self, &T),
    ) {
        if let Some(v) = value {
            self.at(segment, |c| f(c, v));
        }
    }

    /// Runs `f` on every element of `items` under `segment/<index>`.
    pub(crate) fn each<T>(&mut self, segment: &str, items: &[T], mut f: impl FnMut(&mut Self, &T)) {
        self.at(segment, |c| {
            for (i, item) in items.iter().enumerate() {
                c.at(i, |c| f(c, item));
            }
        });
    }

    pub(crate) fn must(&mut self, rule: Rule, message: impl Into<String>) {
        self.push(Level::Must, rule, message.into());
    }

    pub(crate) fn should(&mut self, rule: Rule, message: impl Into<String>) {
        self.push(Level::Should, rule, message.into());
    }

    /// A finding at `segment` below the current pointer.
    pub(crate) fn must_at(
        &mut self,
        segment: impl fmt::Display,
        rule: Rule,
        message: impl Into<String>,
    ) {
        let message = message.into();
        self.at(segment, |c| c.push(Level::Must, rule, message));
    }

    /// A SHOULD finding at `segment` below the current pointer.
    pub(crate) fn should_at(
        &mut self,
        segment: impl fmt::Display,
        rule: Rule,
        message: impl Into<String>,
    ) {
        let message = message.into();
        self.at(segment, |c| c.push(Level::Should, rule, message));
    }

    fn push(&mut self, level: Level, rule: Rule, message: String) {
        self.findings.push(Finding {
            pointer: self.pointer.clone(),
            level,
            rule,
            message,
        });
    }

    pub(crate) fn finish(self) -> Report {
        Report {
            findings: self.findings,
        }
    }
}
