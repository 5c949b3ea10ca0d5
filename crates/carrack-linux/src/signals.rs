//! Signals by name (`KILL`, `SIGKILL`) or number (`9`), as runc's `kill` takes them.

use nix::sys::signal::Signal;

/// Parses a signal as runc does: a number, or a name with or without `SIG`, any case.
///
/// ```
/// use carrack_linux::parse_signal;
/// assert_eq!(parse_signal("9"), Some(9));
/// assert_eq!(parse_signal("KILL"), Some(9));
/// assert_eq!(parse_signal("sigterm"), Some(15));
/// assert_eq!(parse_signal("RTMIN+1"), Some(libc::SIGRTMIN() + 1));
/// assert_eq!(parse_signal("NOPE"), None);
/// ```
pub fn parse_signal(s: &str) -> Option<i32> {
    if let Ok(n) = s.parse::<i32>() {
        return (1..=libc::SIGRTMAX()).contains(&n).then_some(n);
    }
    let up = s.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    if let Some(rt) = name.strip_prefix("RTMIN") {
        let off: i32 = if rt.is_empty() {
            0
        } else {
            rt.strip_prefix('+')?.parse().ok()?
        };
        let n = libc::SIGRTMIN() + off;
        return (n <= libc::SIGRTMAX()).then_some(n);
    }
    if let Some(rt) = name.strip_prefix("RTMAX") {
        let off: i32 = if rt.is_empty() {
            0
        } else {
            rt.strip_prefix('-')?.parse().ok()?
        };
        let n = libc::SIGRTMAX() - off;
        return (n >= libc::SIGRTMIN()).then_some(n);
    }
    format!("SIG{name}")
        .parse::<Signal>()
        .ok()
        .map(|s| s as i32)
}
