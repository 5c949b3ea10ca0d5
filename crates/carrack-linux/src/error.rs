//! The errors of the Linux backend: which config field a failure concerns (its JSON pointer,
//! such as `/mounts/3` or `/linux/sysctl/net.ipv4.ip_forward`), what was being done, and the
//! errno the kernel answered. Errors of the container's init reach the runtime over the sync
//! channel as a [`Report`], which keeps the pointer and the errno; [`Error::into_platform`] maps
//! them onto [`carrack_platform::Error`] at the [`crate::Linux`] boundary.

use std::fmt;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Results of the Linux backend's internals.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why an operation of the Linux backend failed.
///
/// ```
/// let e = carrack_linux::Error::sys_at(
///     "/mounts/2",
///     "mount tmpfs on /data",
///     std::io::Error::from_raw_os_error(libc::ENOENT),
/// );
/// assert_eq!(e.pointer(), Some("/mounts/2"));
/// assert_eq!(e.errno(), Some(libc::ENOENT));
/// assert!(e.to_string().contains("No such file or directory"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The config asks for what carrack or this host cannot do (found before anything runs,
    /// or by init when it meets the rootfs).
    #[error("{at}: {reason}")]
    Config {
        /// The JSON pointer of the field, such as `/linux/sysctl/kernel.shmmax`.
        at: String,
        /// Why.
        reason: String,
    },
    /// A system call or file operation failed.
    #[error("{}{what}: {}", Prefix(.at), Cause(.source))]
    Sys {
        /// The JSON pointer of the config field it was done for, if any.
        at: Option<String>,
        /// What was being done.
        what: String,
        /// The cause, with its errno when the kernel gave one.
        #[source]
        source: io::Error,
    },
    /// Something in the rootfs or on the host is not what it must be, and carrack refuses to go
    /// on (a symlink where a mask goes, a `/dev/null` that is not the null device, …).
    #[error("{}{what}: {reason}", Prefix(.at))]
    Refused {
        /// The JSON pointer of the config field concerned, if any.
        at: Option<String>,
        /// What was being done.
        what: String,
        /// Why it was refused.
        reason: String,
    },
    /// The calling process runs more than one thread: cloning it would give the container a
    /// copy of a process whose other threads may hold locks (the allocator's, stdio's) that
    /// nobody would ever release.
    #[error(
        "{op}: the calling process has {threads} threads, and carrack-linux clones the caller \
         to make container processes, which is only sound in a single-threaded process; run \
         carrack's operations from a single-threaded child process (spawned before any thread, \
         or a fresh executable), or run the `carrack` binary"
    )]
    MultiThreaded {
        /// The operation refused (`create`, `run`, `exec`).
        op: &'static str,
        /// How many threads the process had.
        threads: usize,
    },
    /// A hook that init runs (createContainer, startContainer) failed.
    #[error(transparent)]
    Hook(Box<carrack_platform::Error>),
    /// The container's init broke the protocol of the sync channel, or died during setup.
    #[error("{0}")]
    Protocol(String),
}

/// `"{at}: "` before a message, when there is a pointer.
struct Prefix<'a>(&'a Option<String>);

impl fmt::Display for Prefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(at) => write!(f, "{at}: "),
            None => Ok(()),
        }
    }
}

/// An `io::Error` with its errno's name first, when it has one, as carrack always wrote them:
/// `ENOENT: No such file or directory (os error 2)`.
struct Cause<'a>(&'a io::Error);

impl fmt::Display for Cause<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.raw_os_error().and_then(errno_name) {
            Some(name) => write!(f, "{name}: {}", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// The name of errno `n` (`ENOENT`), if it has one.
fn errno_name(n: i32) -> Option<String> {
    let e = nix::errno::Errno::from_raw(n);
    (e != nix::errno::Errno::UnknownErrno).then(|| format!("{e:?}"))
}

impl Error {
    /// A failed system call, for no particular field of the config.
    pub fn sys(what: impl Into<String>, source: impl Into<io::Error>) -> Self {
        Self::Sys {
            at: None,
            what: what.into(),
            source: source.into(),
        }
    }

    /// A failed system call, done for the config field at the JSON pointer `at`.
    pub fn sys_at(
        at: impl Into<String>,
        what: impl Into<String>,
        source: impl Into<io::Error>,
    ) -> Self {
        Self::Sys {
            at: Some(at.into()),
            what: what.into(),
            source: source.into(),
        }
    }

    /// A config field carrack cannot honour.
    pub fn config(at: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Config {
            at: at.into(),
            reason: reason.into(),
        }
    }

    /// A refusal, for the config field at `at` if any.
    pub fn refused(at: Option<String>, what: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Refused {
            at,
            what: what.into(),
            reason: reason.into(),
        }
    }

    /// The JSON pointer of the config field the error concerns, if any.
    pub fn pointer(&self) -> Option<&str> {
        match self {
            Self::Config { at, .. } => Some(at),
            Self::Sys { at, .. } | Self::Refused { at, .. } => at.as_deref(),
            _ => None,
        }
    }

    /// The errno the kernel answered, if the error comes from a system call.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Self::Sys { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }

    /// The same error, concerning the config field `at` unless it names one already.
    #[must_use]
    pub fn at(mut self, pointer: impl Into<String>) -> Self {
        if let Self::Sys { at, .. } | Self::Refused { at, .. } = &mut self
            && at.is_none()
        {
            *at = Some(pointer.into());
        }
        self
    }

    /// The same error with `context` put before what was being done (the mount, the device).
    #[must_use]
    pub fn context(mut self, context: &str) -> Self {
        match &mut self {
            Self::Sys { what, .. } | Self::Refused { what, .. } => {
                *what = format!("{context}: {what}");
            }
            Self::Config { reason, .. } => *reason = format!("{context}: {reason}"),
            _ => {}
        }
        self
    }

    /// Maps the error onto [`carrack_platform::Error`]; `config` is the config.json the
    /// container was made from (named by configuration errors), `init` whether the error comes
    /// from the container's init or exec'd process. Every message keeps its pointer and its
    /// strerror text, and a system call's error stays the `source`.
    pub fn into_platform(self, config: &Path, init: bool) -> carrack_platform::Error {
        use carrack_platform::Error as P;
        match self {
            Self::Config { .. } | Self::Refused { .. } if !init => P::Config {
                path: config.to_path_buf(),
                reason: self.to_string(),
            },
            Self::Sys { at, what, source } => {
                // As this error displays itself: the errno's name before the io::Error's text.
                let mut what = match at {
                    Some(at) => format!("{at}: {what}"),
                    None => what,
                };
                if let Some(name) = source.raw_os_error().and_then(errno_name) {
                    what = format!("{what}: {name}");
                }
                if init {
                    what = format!("container init: {what}");
                }
                P::Io { what, source }
            }
            Self::Hook(e) => *e,
            Self::MultiThreaded { op, threads } => P::MultiThreaded { op, threads },
            other => P::Init(other.to_string()),
        }
    }
}

impl From<Error> for carrack_platform::Error {
    /// As [`Error::into_platform`] for an error of the runtime's own (not init's), with
    /// configuration errors naming `config.json`.
    fn from(e: Error) -> Self {
        e.into_platform(Path::new("config.json"), false)
    }
}

/// An [`Error`] as it crosses from the container's init (or exec's process) to the runtime:
/// serialised as JSON, with the errno in place of the `io::Error`.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Report {
    kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<String>,
    #[serde(default)]
    what: String,
    /// The errno of a failed system call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    errno: Option<i32>,
    /// The reason, or the message of an error that has no errno.
    #[serde(default)]
    text: String,
    /// A failed hook: its kind and path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hook: Option<(String, String)>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Config,
    Sys,
    Refused,
    Hook,
    Other,
}

impl From<&Error> for Report {
    fn from(e: &Error) -> Self {
        let mut r = Self {
            kind: Kind::Other,
            at: e.pointer().map(str::to_owned),
            what: String::new(),
            errno: None,
            text: String::new(),
            hook: None,
        };
        match e {
            Error::Config { reason, .. } => {
                r.kind = Kind::Config;
                r.text.clone_from(reason);
            }
            Error::Sys { what, source, .. } => {
                r.kind = Kind::Sys;
                r.what.clone_from(what);
                r.errno = source.raw_os_error();
                if r.errno.is_none() {
                    r.text = source.to_string();
                }
            }
            Error::Refused { what, reason, .. } => {
                r.kind = Kind::Refused;
                r.what.clone_from(what);
                r.text.clone_from(reason);
            }
            Error::Hook(h) => match h.as_ref() {
                carrack_platform::Error::Hook { kind, path, reason } => {
                    r.kind = Kind::Hook;
                    r.hook = Some(((*kind).to_owned(), path.clone()));
                    r.text.clone_from(reason);
                }
                other => r.text = other.to_string(),
            },
            other => r.text = other.to_string(),
        }
        r
    }
}

impl From<Report> for Error {
    fn from(r: Report) -> Self {
        match r.kind {
            Kind::Config => Error::Config {
                at: r.at.unwrap_or_default(),
                reason: r.text,
            },
            Kind::Sys => Error::Sys {
                at: r.at,
                what: r.what,
                source: match r.errno {
                    Some(n) => io::Error::from_raw_os_error(n),
                    None => io::Error::other(r.text),
                },
            },
            Kind::Refused => Error::Refused {
                at: r.at,
                what: r.what,
                reason: r.text,
            },
            Kind::Hook => {
                let (kind, path) = r.hook.unwrap_or_default();
                match carrack_platform::hooks::KINDS.iter().find(|k| **k == kind) {
                    Some(kind) => Error::Hook(Box::new(carrack_platform::Error::Hook {
                        kind,
                        path,
                        reason: r.text,
                    })),
                    None => Error::Protocol(format!("{kind} hook {path}: {}", r.text)),
                }
            }
            Kind::Other => Error::Protocol(r.text),
        }
    }
}

impl Report {
    /// The report as bytes for the channel.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self)
            .unwrap_or_else(|e| format!("{{\"kind\":\"other\",\"text\":\"{e}\"}}").into_bytes())
    }

    /// A report read from the channel; bytes that are no report (from an older init, say) are
    /// taken as its text.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Self {
        serde_json::from_slice(bytes).unwrap_or_else(|_| Self {
            kind: Kind::Other,
            at: None,
            what: String::new(),
            errno: None,
            text: String::from_utf8_lossy(bytes).into_owned(),
            hook: None,
        })
    }
}

/// A JSON pointer's reference token for `key` (RFC 6901: `~` as `~0`, `/` as `~1`).
pub(crate) fn token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_keeps_the_pointer_the_errno_and_the_strerror_text() {
        let e = Error::sys_at(
            "/mounts/2",
            "mount tmpfs on /data",
            io::Error::from_raw_os_error(libc::ENOENT),
        );
        let back = Error::from(Report::from_bytes(&Report::from(&e).to_bytes()));
        assert_eq!(back.pointer(), Some("/mounts/2"));
        assert_eq!(back.errno(), Some(libc::ENOENT));
        assert_eq!(back.to_string(), e.to_string());
        assert_eq!(
            back.to_string(),
            "/mounts/2: mount tmpfs on /data: ENOENT: No such file or directory (os error 2)"
        );
        let p = back.into_platform(Path::new("/b/config.json"), true);
        assert!(matches!(&p, carrack_platform::Error::Io { source, .. }
            if source.raw_os_error() == Some(libc::ENOENT)));
        assert_eq!(
            p.to_string(),
            "container init: /mounts/2: mount tmpfs on /data: ENOENT: No such file or directory \
             (os error 2)"
        );
    }

    #[test]
    fn every_kind_survives_the_channel() {
        let hook = Error::Hook(Box::new(carrack_platform::Error::Hook {
            kind: "startContainer",
            path: "/bin/false".into(),
            reason: "exit status 1".into(),
        }));
        for e in [
            Error::config("/linux/sysctl/kernel.msgmax", "needs an ipc namespace"),
            Error::refused(
                Some("/linux/maskedPaths/0".into()),
                "masking /x",
                "a symlink",
            ),
            Error::sys("pivot_root", io::Error::other("no errno here")),
            Error::Protocol("init exited during setup".into()),
            hook,
        ] {
            let back = Error::from(Report::from_bytes(&Report::from(&e).to_bytes()));
            assert_eq!(back.to_string(), e.to_string());
            assert_eq!(back.pointer(), e.pointer());
        }
        // Plain text from an older init is kept whole.
        let old = Error::from(Report::from_bytes(b"mount on /x: ENOENT"));
        assert_eq!(old.to_string(), "mount on /x: ENOENT");
    }

    #[test]
    fn pointer_tokens_escape_slash_and_tilde() {
        assert_eq!(token("net.ipv4.ip_forward"), "net.ipv4.ip_forward");
        assert_eq!(token("a/b~c"), "a~1b~0c");
    }
}
