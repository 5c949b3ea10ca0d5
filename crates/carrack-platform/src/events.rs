//! runc's `events`: statistics every interval and an `oom` event when the OOM killer strikes,
//! for any backend, until the container is gone.

use std::time::{Duration, Instant};

use crate::error::Result;
use crate::id::ContainerId;
use crate::platform::Platform;
use crate::stats::Stats;

/// One event about a container, as `carrack events` prints them.
///
/// ```
/// use carrack_platform::{ContainerId, Event};
/// let id = ContainerId::new("web")?;
/// assert_eq!(Event::Oom.to_runc_json(&id), r#"{"type":"oom","id":"web"}"#);
/// # Ok::<(), carrack_platform::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The container's resource usage now.
    Stats(Box<Stats>),
    /// The OOM killer killed a process of the container.
    Oom,
}

impl Event {
    /// The event as one line of runc's `events` output: `{"type":…,"id":…,"data":…}`.
    pub fn to_runc_json(&self, id: &ContainerId) -> String {
        /// runc's field order: type, id, data.
        #[derive(serde::Serialize)]
        struct Line<'a> {
            #[serde(rename = "type")]
            kind: &'static str,
            id: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            data: Option<&'a Stats>,
        }
        let line = match self {
            Event::Stats(s) => Line {
                kind: "stats",
                id: id.as_str(),
                data: Some(s),
            },
            Event::Oom => Line {
                kind: "oom",
                id: id.as_str(),
                data: None,
            },
        };
        serde_json::to_string(&line).unwrap_or_default()
    }
}

/// Streams events of `id` to `emit` until the container's statistics cannot be read any more
/// (it stopped or was deleted) or `emit` returns false: statistics every `every`, an
/// [`Event::Oom`] as soon as the OOM counter grows (polled every `poll`).
///
/// ```no_run
/// use std::time::Duration;
/// use carrack_platform::{ContainerId, Platform, events::watch};
/// fn tail(p: &dyn Platform) -> carrack_platform::Result<()> {
///     let id = ContainerId::new("web")?;
///     watch(p, &id, Duration::from_secs(5), Duration::from_millis(100), |e| {
///         println!("{}", e.to_runc_json(&id));
///         true
///     })
/// }
/// ```
pub fn watch(
    p: &dyn Platform,
    id: &ContainerId,
    every: Duration,
    poll: Duration,
    mut emit: impl FnMut(&Event) -> bool,
) -> Result<()> {
    let mut ooms = p.oom_kills(id)?;
    let mut next = Instant::now();
    loop {
        if Instant::now() >= next {
            let Ok(stats) = p.stats(id) else {
                return Ok(());
            };
            if !emit(&Event::Stats(Box::new(stats))) {
                return Ok(());
            }
            next += every;
        }
        let Ok(now) = p.oom_kills(id) else {
            return Ok(());
        };
        if now > ooms && !emit(&Event::Oom) {
            return Ok(());
        }
        ooms = now;
        std::thread::sleep(poll.min(every));
    }
}
