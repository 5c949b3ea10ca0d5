//! The command lines container managers send on every container start — `create`, `start`,
//! `run`, `state`, `kill` and `delete` with runc's global flags — read without building clap's
//! whole command tree (every image and validate subcommand included), which was a measurable
//! part of a start's time and of the runtime's memory. Anything it does not recognise exactly
//! (help, an unknown or repeated flag, a short-flag cluster, `--`, non-UTF-8) returns `None`,
//! and clap parses the line as before, so errors and help read the same.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::lifecycle::{Command, CreateArgs, Global, LogFormat};

/// The global flags and lifecycle command of `args` (program name first), or `None` to leave
/// the line to clap.
///
/// ```text
/// carrack --root /run/x delete -f web     -> (root: /run/x, Delete { force, id: "web" })
/// ```
pub(crate) fn parse(args: impl IntoIterator<Item = OsString>) -> Option<(Global, Command)> {
    let args: Vec<String> = args
        .into_iter()
        .skip(1)
        .map(|a| a.into_string().ok())
        .collect::<Option<_>>()?;
    let mut it = Words::new(&args);
    let mut g = Global::default();
    let sub = loop {
        let w = it.next()?;
        match flag(w) {
            Some(("root", v)) => set(&mut g.root, it.value(v)?.into())?,
            Some(("log", v)) => set(&mut g.log, it.value(v)?.into())?,
            Some(("log-format", v)) => {
                g.log_format = match it.value(v)? {
                    "text" => LogFormat::Text,
                    "json" => LogFormat::Json,
                    _ => return None,
                };
            }
            Some(("debug", None)) => g.debug = true,
            Some(("systemd-cgroup", None)) => g.systemd_cgroup = true,
            // A bare --rootless may take the next word as its value: clap decides that.
            Some(("rootless", Some(v))) => set(&mut g.rootless, v.to_owned())?,
            Some(_) => return None,
            None => break w,
        }
    };
    let cmd = match sub {
        "create" => Command::Create(create_args(&mut it, &mut |_, _| None)?),
        "run" => {
            let (mut detach, mut keep) = (false, false);
            let create = create_args(&mut it, &mut |name, _| match name {
                "detach" | "d" if !detach => {
                    detach = true;
                    Some(())
                }
                "keep" if !keep => {
                    keep = true;
                    Some(())
                }
                _ => None,
            })?;
            Command::Run {
                create,
                detach,
                keep,
            }
        }
        "start" | "state" => {
            let id = lone_id(&mut it)?;
            if sub == "start" {
                Command::Start { id }
            } else {
                Command::State { id }
            }
        }
        "delete" => {
            let (mut force, mut id) = (false, None);
            while let Some(w) = it.next() {
                match flag(w) {
                    Some(("force" | "f", None)) if !force => force = true,
                    Some(_) => return None,
                    None => set(&mut id, w.to_owned())?,
                }
            }
            Command::Delete { force, id: id? }
        }
        "kill" => {
            let (mut all, mut words) = (false, Vec::new());
            while let Some(w) = it.next() {
                match flag(w) {
                    Some(("all" | "a", None)) if !all => all = true,
                    Some(_) => return None,
                    None => words.push(w.to_owned()),
                }
            }
            let mut words = words.into_iter();
            let id = words.next()?;
            let signal = words.next().unwrap_or_else(|| "SIGTERM".to_owned());
            if words.next().is_some() {
                return None;
            }
            Command::Kill { all, id, signal }
        }
        _ => return None,
    };
    Some((g, cmd))
}

/// The words of a command line, one at a time.
struct Words<'a> {
    words: std::slice::Iter<'a, String>,
}

impl<'a> Words<'a> {
    fn new(words: &'a [String]) -> Self {
        Words {
            words: words.iter(),
        }
    }

    fn next(&mut self) -> Option<&'a str> {
        self.words.next().map(String::as_str)
    }

    /// A flag's value: after `=`, or the next word (which must not look like a flag).
    fn value(&mut self, inline: Option<&'a str>) -> Option<&'a str> {
        match inline {
            Some(v) => Some(v).filter(|v| !v.is_empty()),
            None => self.next().filter(|v| !v.is_empty() && !v.starts_with('-')),
        }
    }
}

/// `--name[=value]` or a single-letter `-n` as (name, value); `None` for a positional word.
/// Short-flag clusters, `-n=value`, `--` and a lone `-` are not flags this parser takes: they
/// come back as an unknown name.
fn flag(w: &str) -> Option<(&str, Option<&str>)> {
    if let Some(long) = w.strip_prefix("--") {
        return Some(match long.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (long, None),
        });
    }
    let short = w.strip_prefix('-')?;
    Some(if short.chars().count() == 1 {
        (short, None)
    } else {
        ("", None)
    })
}

/// Sets a flag that may appear once.
fn set<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// The single positional id of `start` and `state`.
fn lone_id(it: &mut Words<'_>) -> Option<String> {
    let id = it.next().filter(|w| flag(w).is_none())?;
    if it.next().is_some() {
        return None;
    }
    Some(id.to_owned())
}

/// create's flags and id; `extra` takes run's own boolean flags.
fn create_args(
    it: &mut Words<'_>,
    extra: &mut dyn FnMut(&str, Option<&str>) -> Option<()>,
) -> Option<CreateArgs> {
    let mut id = None;
    let (mut bundle, mut pid_file, mut console_socket, mut pidfd_socket) = (None, None, None, None);
    let mut preserve_fds: Option<u32> = None;
    let (mut no_pivot, mut no_new_keyring) = (false, false);
    while let Some(w) = it.next() {
        match flag(w) {
            Some(("bundle" | "b", v)) => set(&mut bundle, PathBuf::from(it.value(v)?))?,
            Some(("pid-file", v)) => set(&mut pid_file, PathBuf::from(it.value(v)?))?,
            Some(("console-socket", v)) => set(&mut console_socket, PathBuf::from(it.value(v)?))?,
            Some(("pidfd-socket", v)) => set(&mut pidfd_socket, PathBuf::from(it.value(v)?))?,
            Some(("preserve-fds", v)) => set(&mut preserve_fds, it.value(v)?.parse().ok()?)?,
            Some(("no-pivot", None)) if !no_pivot => no_pivot = true,
            Some(("no-new-keyring", None)) if !no_new_keyring => no_new_keyring = true,
            Some((name, None)) => extra(name, None)?,
            Some(_) => return None,
            None => set(&mut id, w.to_owned())?,
        }
    }
    Some(CreateArgs {
        id: id?,
        bundle: bundle.unwrap_or_else(|| PathBuf::from(".")),
        pid_file,
        console_socket,
        preserve_fds: preserve_fds.unwrap_or(0),
        no_pivot,
        no_new_keyring,
        pidfd_socket,
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// What clap makes of the same line, in the same shape.
    fn by_clap(line: &[&str]) -> Option<String> {
        let cli = crate::Cli::try_parse_from(line).ok()?;
        match cli.command {
            Some(crate::Command::Lifecycle(cmd)) => Some(format!("{:?} {:?}", cli.global, cmd)),
            _ => None,
        }
    }

    fn fast(line: &[&str]) -> Option<String> {
        parse(line.iter().map(OsString::from)).map(|(g, c)| format!("{g:?} {c:?}"))
    }

    #[test]
    fn every_line_it_takes_reads_as_clap_reads_it() {
        let lines: &[&[&str]] = &[
            &[
                "carrack", "--root", "/run/x", "create", "--bundle", "/b", "id1",
            ],
            &[
                "carrack",
                "--root=/run/x",
                "--log",
                "/l",
                "--log-format",
                "json",
                "create",
                "id1",
                "-b",
                "/b",
            ],
            &[
                "carrack",
                "--debug",
                "--systemd-cgroup",
                "--rootless=false",
                "create",
                "--pid-file=/p",
                "--console-socket",
                "/s",
                "--preserve-fds",
                "2",
                "--no-pivot",
                "--no-new-keyring",
                "--pidfd-socket",
                "/f",
                "x",
            ],
            &["carrack", "run", "-d", "--keep", "-b", "/b", "web"],
            &["carrack", "run", "--detach", "web"],
            &["carrack", "start", "web"],
            &["carrack", "state", "web"],
            &["carrack", "kill", "web"],
            &["carrack", "kill", "-a", "web", "KILL"],
            &["carrack", "kill", "--all", "web", "9"],
            &["carrack", "delete", "-f", "web"],
            &["carrack", "delete", "web", "--force"],
            &["carrack", "--log-format=text", "delete", "web"],
        ];
        for line in lines {
            let f = fast(line);
            assert!(f.is_some(), "{line:?} should take the fast path");
            assert_eq!(f, by_clap(line), "{line:?}");
        }
    }

    #[test]
    fn anything_else_is_left_to_clap() {
        let lines: &[&[&str]] = &[
            &["carrack"],
            &["carrack", "--help"],
            &["carrack", "create", "--help"],
            &["carrack", "--version"],
            &["carrack", "--rootless", "create", "x"],
            &["carrack", "--root", "a", "--root", "b", "state", "x"],
            &["carrack", "--log-format", "xml", "state", "x"],
            &["carrack", "--root", "--debug", "state", "x"],
            &["carrack", "state"],
            &["carrack", "state", "a", "b"],
            &["carrack", "delete", "-ff", "x"],
            &["carrack", "run", "-db", "x"],
            &["carrack", "create", "-b"],
            &["carrack", "create", "--preserve-fds", "many", "x"],
            &["carrack", "create", "--", "x"],
            &["carrack", "kill", "x", "KILL", "more"],
            &["carrack", "exec", "x", "sh"],
            &["carrack", "image", "ls", "/l"],
            &["carrack", "list"],
            &["carrack", "create", "--debug", "x"],
        ];
        for line in lines {
            assert_eq!(fast(line), None, "{line:?}");
        }
    }
}
