//! Which filesystem data the kernel refused. mount(2) answers a bad option with EINVAL alone;
//! the new mount API takes options one at a time (fsopen, fsconfig) and says which one it
//! refuses and why. carrack mounts with mount(2) and, when that fails with EINVAL, hands each
//! data option alone to a fresh filesystem context of the same type to name the culprits.

use std::os::fd::OwnedFd;

use rustix::mount::{FsOpenFlags, fsconfig_set_flag, fsconfig_set_string, fsopen};

use super::options::quoted;

/// Why the filesystem `kind` refused the mount with EINVAL when it was given `data` (the
/// options carrack does not know, passed as data, as runc passes them): names the ones the
/// filesystem refuses, with the kernel's words for it, or all of them if none is refused alone.
pub(crate) fn explain_einval(kind: &str, data: &[String]) -> String {
    let refused: Vec<String> = data
        .iter()
        .filter_map(|opt| refusal(kind, opt).map(|why| format!("{opt:?} ({why})")))
        .collect();
    if refused.is_empty() {
        format!(
            "the kernel refused the mount (EINVAL); the options passed to {kind} as filesystem \
             data were {} (carrack passes every option it does not know as data)",
            quoted(data)
        )
    } else {
        format!(
            "unknown or invalid option{} {}: not a mount option carrack knows, and {kind} refused \
             it as filesystem data",
            if refused.len() == 1 { "" } else { "s" },
            refused.join(", ")
        )
    }
}

/// Why `kind` refuses the single option `opt`, if it does.
fn refusal(kind: &str, opt: &str) -> Option<String> {
    let fs = fsopen(kind, FsOpenFlags::FSOPEN_CLOEXEC).ok()?;
    let set = match opt.split_once('=') {
        Some((key, value)) => fsconfig_set_string(&fs, key, value),
        None => fsconfig_set_flag(&fs, opt),
    };
    let err = set.err()?;
    let said = messages(&fs);
    Some(if said.is_empty() {
        err.to_string()
    } else {
        said.join("; ")
    })
}

/// The kernel's messages on a filesystem context, each `e `, `w ` or `i ` and the text.
fn messages(fs: &OwnedFd) -> Vec<String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    while let Ok(n) = rustix::io::read(fs, &mut buf) {
        if n == 0 {
            break;
        }
        let text = String::from_utf8_lossy(&buf[..n]);
        let text = text
            .strip_prefix("e ")
            .or_else(|| text.strip_prefix("w "))
            .or_else(|| text.strip_prefix("i "))
            .unwrap_or(&text);
        out.push(text.trim().to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[ignore = "needs root: fsopen(2) needs CAP_SYS_ADMIN"]
    fn names_what_tmpfs_refuses() {
        let data = [
            "size=64m".to_owned(),
            "sizee=1".to_owned(),
            "mode=755".to_owned(),
        ];
        let e = explain_einval("tmpfs", &data);
        assert!(e.contains("\"sizee=1\""), "{e}");
        assert!(e.contains("Unknown parameter"), "{e}");
        assert!(!e.contains("size=64m"), "{e}");
        let e = explain_einval("tmpfs", &["size=64m".to_owned()]);
        assert!(e.contains("\"size=64m\""), "{e}");
    }
}
