//! Runs cases against a subject, independent cases in parallel.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::case::Case;
use crate::glob::glob_match;
use crate::report::CaseResult;

/// Which cases run and how many at once.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RunOptions {
    /// Only cases whose id matches one of these globs (all when empty).
    pub filters: Vec<String>,
    /// Cases run at once (at least 1).
    pub jobs: usize,
}

/// The cases of `cases` that `opts` selects, in order.
pub fn select<'a, S: ?Sized>(cases: &'a [Case<S>], opts: &RunOptions) -> Vec<&'a Case<S>> {
    cases
        .iter()
        .filter(|c| opts.filters.is_empty() || opts.filters.iter().any(|f| glob_match(f, c.id)))
        .collect()
}

/// Runs the selected cases on `opts.jobs` threads; results come back in the cases' order.
pub fn run<S: ?Sized + Sync>(cases: &[Case<S>], subject: &S, opts: &RunOptions) -> Vec<CaseResult> {
    let chosen = select(cases, opts);
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<CaseResult>>> = Mutex::new(vec![None; chosen.len()]);
    let jobs = opts.jobs.clamp(1, chosen.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = chosen.get(i) else { break };
                    let started = Instant::now();
                    log::debug!("case {} starts", case.id);
                    let verdict = case.run(subject);
                    let r = CaseResult {
                        id: case.id,
                        level: case.level,
                        rule: case.rule,
                        verdict,
                        millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    };
                    log::debug!("case {} ends: {}", case.id, r.verdict.word());
                    if let Ok(mut o) = out.lock() {
                        o[i] = Some(r);
                    }
                }
            });
        }
    });
    out.into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Verdict;
    use carrack_spec::{Level, Rule};

    const R: Rule = Rule::runtime(
        "runtime.md",
        "Start",
        "This operation MUST run the user-specified program as specified by process.",
    );

    fn case(
        id: &'static str,
        observe: fn(&u32) -> Result<serde_json::Value, Verdict>,
    ) -> Case<u32> {
        Case {
            id,
            rule: R,
            level: Level::Must,
            observe,
            judge: |v| Verdict::check(v == 7, v.to_string()),
        }
    }

    #[test]
    fn results_keep_the_order_and_filters_select() {
        let cases = [
            case("runtime/a", |s| Ok(serde_json::json!(*s))),
            case("runtime/b", |_| Err(Verdict::skip("no"))),
            case("image/c", |_| Ok(serde_json::json!(8))),
        ];
        let mut o = RunOptions {
            jobs: 3,
            ..RunOptions::default()
        };
        let all = run(&cases, &7, &o);
        let words: Vec<_> = all.iter().map(|r| (r.id, r.verdict.word())).collect();
        assert_eq!(
            words,
            [
                ("runtime/a", "pass"),
                ("runtime/b", "skip"),
                ("image/c", "fail")
            ]
        );
        o.filters = vec!["runtime/*".into()];
        assert_eq!(run(&cases, &7, &o).len(), 2);
    }
}
