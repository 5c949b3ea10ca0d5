//! The judges the hook cases share: where entries are in the order log, which namespaces and
//! pids the hooks saw.

use serde_json::Value;

use super::run::{Plan, at, order};
use crate::case::Verdict;

/// The entries of type `t` the plan [`Plan::ALL`] gave that are missing from the log.
pub(super) fn missing(v: &Value, t: &str) -> Vec<String> {
    (1..=Plan::ALL.entries)
        .map(|i| format!("{t}.{i}"))
        .filter(|n| at(v, n).is_none())
        .collect()
}

pub(super) fn invoked(v: &Value, t: &str) -> Verdict {
    let m = missing(v, t);
    Verdict::check(
        m.is_empty(),
        if m.is_empty() {
            format!("{t}.1 and {t}.2 ran")
        } else {
            format!("{} did not run: {}", m.join(", "), order(v))
        },
    )
}

/// Every entry of `t` is logged after the mark `from` and before the mark `to`.
pub(super) fn between(v: &Value, t: &str, from: &str, to: &str) -> bool {
    let (Some(a), Some(b)) = (at(v, from), at(v, to)) else {
        return false;
    };
    missing(v, t).is_empty()
        && (1..=Plan::ALL.entries)
            .all(|i| at(v, &format!("{t}.{i}")).is_some_and(|p| a < p && p < b))
}

/// The last entry of `a` comes before the first of `b`.
pub(super) fn before(v: &Value, a: &str, b: &str) -> bool {
    let last = at(v, &format!("{a}.{}", Plan::ALL.entries));
    let first = at(v, &format!("{b}.1"));
    missing(v, a).is_empty() && matches!((last, first), (Some(x), Some(y)) if x < y)
}

/// The namespaces of hook `h` that differ from `want` (only `only`'s, if given).
pub(super) fn ns_differ(
    v: &Value,
    h: &str,
    want: &Value,
    only: Option<&Value>,
) -> Result<Vec<String>, String> {
    let got = &v["hooks"][h]["ns"];
    let got = got
        .as_object()
        .filter(|o| !o.is_empty())
        .ok_or(format!("{h} did not run"))?;
    Ok(got
        .iter()
        .filter(|(t, _)| {
            only.is_none_or(|o| o.as_array().is_some_and(|a| a.iter().any(|x| x == *t)))
        })
        .filter(|(t, link)| want.get(t.as_str()).is_some_and(|w| w != *link))
        .map(|(t, link)| {
            format!(
                "{t} {} (want {})",
                link.as_str().unwrap_or("?"),
                want[t.as_str()].as_str().unwrap_or("?")
            )
        })
        .collect())
}

pub(super) fn in_runtime_ns(v: &Value, h: &str) -> Verdict {
    match ns_differ(v, h, &v["runtimeNs"], None) {
        Err(e) => Verdict::fail(e),
        Ok(d) if d.is_empty() => Verdict::pass(format!("{h} ran in the runtime's namespaces")),
        Ok(d) => Verdict::fail(format!("{h} ran in other namespaces: {}", d.join(", "))),
    }
}

pub(super) fn in_container_ns(v: &Value, h: &str) -> Verdict {
    match ns_differ(v, h, &v["probe"]["ns"], Some(&v["created"])) {
        Err(e) => Verdict::fail(e),
        Ok(d) if d.is_empty() => Verdict::pass(format!(
            "{h} ran in the container process's namespaces ({})",
            v["created"]
        )),
        Ok(d) => Verdict::fail(format!(
            "{h} ran outside the container's namespaces: {}",
            d.join(", ")
        )),
    }
}

/// Hooks `hs` were given the pid `want` (a JSON number) on stdin.
pub(super) fn pids(v: &Value, hs: &[&str], want: &Value, whose: &str) -> Verdict {
    let got: Vec<String> = hs
        .iter()
        .map(|h| format!("{h} {}", v["hooks"][*h]["state"]["pid"]))
        .collect();
    let ok = want.is_u64() && hs.iter().all(|h| v["hooks"][*h]["state"]["pid"] == *want);
    Verdict::check(ok, format!("{}; {whose} {want}", got.join(", ")))
}

/// A create-phase hook `failed` (an entry name) made create fail: no container is left, the
/// hooks of the skipped steps (`skipped`) did not run, and poststop did.
pub(super) fn failed_create(v: &Value, failed: &str, skipped: &[&str]) -> Verdict {
    let refused = v["create"]["code"] != 0;
    let ran: Vec<&&str> = skipped.iter().filter(|h| at(v, h).is_some()).collect();
    let poststop = at(v, "poststop.1").is_some();
    Verdict::check(
        refused && v["exists"] == false && ran.is_empty() && poststop && at(v, failed).is_some(),
        format!(
            "create: {}; container {}; log: {}",
            v["create"]["said"].as_str().unwrap_or_default(),
            if v["exists"] == true {
                "still there"
            } else {
                "gone"
            },
            order(v)
        ),
    )
}

/// Both `a` and `b` are logged, `a` first.
pub(super) fn before_in(v: &Value, a: &str, b: &str) -> bool {
    matches!((at(v, a), at(v, b)), (Some(x), Some(y)) if x < y)
}
