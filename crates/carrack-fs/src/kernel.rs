//! Reading the small files the kernel generates (procfs, sysfs, cgroupfs) with as few system
//! calls as they allow.

use std::io::{self, Read};
use std::path::Path;

/// Reads a procfs, sysfs or cgroupfs file whole: open, read, close. These files come from the
/// kernel's seq_file, which fills each read as far as the buffer allows, so a short read is the
/// end of the file (`std::fs::read_to_string` would add a statx and an empty read). Not for
/// regular files, where a short read does not mean the end.
///
/// ```
/// # #[cfg(target_os = "linux")]
/// assert!(carrack_fs::read_kernel_file("/proc/self/stat")?.contains(')'));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read_kernel_file(path: impl AsRef<Path>) -> io::Result<String> {
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
