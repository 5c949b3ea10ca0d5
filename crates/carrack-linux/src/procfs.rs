//! What /proc says about a process: alive or not, and its start time (so a reused pid is never
//! mistaken for the container's init); and reading the small files of procfs, sysfs and the
//! cgroup filesystems with as few system calls as they allow.

use std::io::{self, Read};
use std::path::Path;

/// Reads a procfs, sysfs or cgroupfs file whole: open, read, close. These files are produced
/// by the kernel's seq_file, which fills each read as far as the buffer allows, so a short read
/// is the end of the file; `std::fs::read_to_string` would add a statx and an empty read.
pub(crate) fn read(path: impl AsRef<Path>) -> io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut buf = [0u8; 4096];
    let mut out = Vec::new();
    loop {
        let n = match f.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        out.extend_from_slice(&buf[..n]);
        if n < buf.len() {
            break;
        }
    }
    String::from_utf8(out).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// The start time (clock ticks after boot, field 22 of /proc/PID/stat) of a live, non-zombie
/// process.
pub(crate) fn start_time(pid: i32) -> Option<u64> {
    let stat = read(format!("/proc/{pid}/stat")).ok()?;
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
