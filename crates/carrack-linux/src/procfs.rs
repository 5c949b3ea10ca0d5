//! What /proc says about a process: alive or not, and its start time (so a reused pid is never
//! mistaken for the container's init).

/// The start time (clock ticks after boot, field 22 of /proc/PID/stat) of a live, non-zombie
/// process.
pub(crate) fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    if matches!(fields.first(), Some(&"Z") | Some(&"X")) {
        return None;
    }
    fields.get(19)?.parse().ok()
}

/// Whether `pid` is still the process that started at `started`.
pub(crate) fn alive(pid: i32, started: u64) -> bool {
    pid > 0 && start_time(pid) == Some(started)
}
