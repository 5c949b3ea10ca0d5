//! What a run found, as text, TAP, JSON or a markdown table, and the summary line a CI gates on.

use std::fmt::Write as _;

use carrack_spec::{Level, Rule};
use serde::Serialize;

use crate::case::Verdict;

/// One case's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// The case.
    pub id: &'static str,
    /// MUST or SHOULD.
    pub level: Level,
    /// The sentence tested.
    pub rule: Rule,
    /// What happened.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// How long the case took, in milliseconds.
    pub millis: u64,
}

/// A whole run against one subject.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// What was certified (a runtime's path and version, or an image's path).
    pub subject: String,
    /// Every case run, in the suite's order.
    pub results: Vec<CaseResult>,
    /// What the run left behind (containers, mounts, cgroups, processes), if anything: a
    /// non-empty list fails the run.
    pub leftovers: Vec<String>,
}

/// The counts of a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Cases passed.
    pub passed: usize,
    /// Cases failed.
    pub failed: usize,
    /// Cases skipped.
    pub skipped: usize,
    /// Failed cases of MUST level.
    pub failed_must: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One line per case, then the summary.
    Text,
    /// Test Anything Protocol, version 13.
    Tap,
    /// The report as one JSON object.
    Json,
    /// A markdown table: case, level, result, sentence.
    Markdown,
}

impl Report {
    /// The counts.
    ///
    /// ```
    /// use carrack_conformance::Report;
    /// let r = Report { subject: "runc".into(), results: Vec::new(), leftovers: Vec::new() };
    /// assert_eq!(r.summary().to_string(), "0 passed, 0 failed, 0 skipped");
    /// ```
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for r in &self.results {
            match r.verdict {
                Verdict::Pass { .. } => s.passed += 1,
                Verdict::Fail { .. } => {
                    s.failed += 1;
                    if r.level == Level::Must {
                        s.failed_must += 1;
                    }
                }
                Verdict::Skip { .. } => s.skipped += 1,
            }
        }
        s
    }

    /// Whether the subject passed: no MUST case failed and nothing was left behind (a failed
    /// SHOULD is reported, and does not fail the subject).
    pub fn passed(&self) -> bool {
        self.summary().failed_must == 0 && self.leftovers.is_empty()
    }

    /// The report in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Text => self.text(),
            Format::Tap => self.tap(),
            Format::Json => {
                let mut v = serde_json::to_value(self).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.insert(
                        "summary".into(),
                        serde_json::to_value(self.summary()).unwrap_or_default(),
                    );
                }
                let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
                s.push('\n');
                s
            }
            Format::Markdown => self.markdown(),
        }
    }

    fn text(&self) -> String {
        let mut out = format!("# {}\n", self.subject);
        for r in &self.results {
            let _ = writeln!(
                out,
                "{:<4} {:<6} {}: {}",
                r.verdict.word(),
                r.level.to_string(),
                r.id,
                r.verdict.detail()
            );
            if matches!(r.verdict, Verdict::Fail { .. }) {
                let _ = writeln!(out, "            {}", r.rule);
            }
        }
        for l in &self.leftovers {
            let _ = writeln!(out, "left behind: {l}");
        }
        let _ = writeln!(out, "{}", self.summary());
        out
    }

    fn tap(&self) -> String {
        let mut out = format!("TAP version 13\n1..{}\n", self.results.len());
        for (n, r) in self.results.iter().enumerate() {
            let n = n + 1;
            let line = match &r.verdict {
                Verdict::Pass { .. } => format!("ok {n} - {}", r.id),
                Verdict::Fail { .. } => format!("not ok {n} - {}", r.id),
                Verdict::Skip { reason } => format!("ok {n} - {} # SKIP {reason}", r.id),
            };
            let _ = writeln!(out, "{line}");
            if !matches!(r.verdict, Verdict::Skip { .. }) {
                let _ = writeln!(out, "  ---\n  level: {}", r.level);
                let _ = writeln!(out, "  rule: {:?}", r.rule.to_string());
                let _ = writeln!(out, "  seen: {:?}\n  ...", r.verdict.detail());
            }
        }
        for l in &self.leftovers {
            let _ = writeln!(out, "# left behind: {l}");
        }
        let _ = writeln!(out, "# {}", self.summary());
        out
    }

    fn markdown(&self) -> String {
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let mut out = format!(
            "### {}\n\n| case | level | result | sentence | seen |\n|---|---|---|---|---|\n",
            cell(&self.subject)
        );
        for r in &self.results {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} § {}: \"{}\" | {} |",
                r.id,
                r.level,
                r.verdict.word(),
                r.rule.chapter,
                cell(r.rule.section),
                cell(r.rule.quote),
                cell(r.verdict.detail())
            );
        }
        for l in &self.leftovers {
            let _ = writeln!(out, "\nLeft behind: {}", cell(l));
        }
        let _ = writeln!(out, "\n**{}**", self.summary());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let rule = Rule::runtime(
            "runtime.md",
            "Start",
            "This operation MUST generate an error if `process` was not set.",
        );
        let r = |id, verdict| CaseResult {
            id,
            level: Level::Must,
            rule,
            verdict,
            millis: 1,
        };
        Report {
            subject: "rt".into(),
            results: vec![
                r("a", Verdict::pass("ok")),
                r("b", Verdict::fail("exit 0")),
                r("c", Verdict::skip("no cgroup v2")),
            ],
            leftovers: Vec::new(),
        }
    }

    #[test]
    fn summary_counts_each_result_once() {
        let r = report();
        assert_eq!(r.summary().to_string(), "1 passed, 1 failed, 1 skipped");
        assert_eq!(r.summary().failed_must, 1);
        assert!(!r.passed());
    }

    #[test]
    fn tap_marks_skips_as_skips_not_passes() {
        let tap = report().render(Format::Tap);
        assert!(tap.contains("1..3\nok 1 - a\n"), "{tap}");
        assert!(tap.contains("not ok 2 - b\n"), "{tap}");
        assert!(tap.contains("ok 3 - c # SKIP no cgroup v2\n"), "{tap}");
    }

    #[test]
    fn json_and_markdown_carry_the_sentence() {
        let r = report();
        let v: serde_json::Value = serde_json::from_str(&r.render(Format::Json)).expect("json");
        assert_eq!(v["results"][1]["result"], "fail");
        assert_eq!(v["results"][1]["rule"]["chapter"], "runtime.md");
        assert_eq!(v["summary"]["skipped"], 1);
        let md = r.render(Format::Markdown);
        assert!(
            md.contains("| `b` | MUST | fail | runtime.md § Start:"),
            "{md}"
        );
        assert!(md.ends_with("**1 passed, 1 failed, 1 skipped**\n"), "{md}");
    }
}
