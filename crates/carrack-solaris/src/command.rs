//! Typed command lines ([`Command`]) and the two quotings the plan needs: zonecfg's (values in
//! a zonecfg script) and the POSIX shell's (the one string `zlogin` hands to the zone's shell).

use std::fmt;

use serde::{Deserialize, Serialize};

/// One command line: a program and its arguments, never a shell string.
///
/// ```
/// use carrack_solaris::Command;
/// let c = Command::new("zoneadm", ["-z", "web", "boot"]);
/// assert_eq!(c.to_string(), "zoneadm -z web boot");
/// assert_eq!(Command::new("echo", ["a b"]).to_string(), "echo 'a b'");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// The program, looked up in `PATH` (`zonecfg`, `zoneadm`, `zlogin`, `svcs`, `dladm`…).
    pub program: String,
    /// Its arguments, each passed as one `argv` entry.
    pub args: Vec<String>,
}

impl Command {
    /// `program` with `args`.
    pub fn new<I, S>(program: impl Into<String>, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
        }
    }

    /// The arguments as `&str`s, for matching.
    pub fn argv(&self) -> Vec<&str> {
        self.args.iter().map(String::as_str).collect()
    }
}

impl fmt::Display for Command {
    /// The command as a POSIX shell would need it typed (for logs and golden files).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&sh_quote(&self.program))?;
        for a in &self.args {
            write!(f, " {}", sh_quote(a))?;
        }
        Ok(())
    }
}

/// `s` as one word of a POSIX shell: unchanged when it holds only characters no shell treats
/// specially, otherwise in single quotes (a `'` inside written as `'\''`).
///
/// ```
/// use carrack_solaris::command::sh_quote;
/// assert_eq!(sh_quote("/usr/bin/env"), "/usr/bin/env");
/// assert_eq!(sh_quote("it's"), r"'it'\''s'");
/// assert_eq!(sh_quote(""), "''");
/// ```
pub fn sh_quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Why a value cannot be written into a zonecfg script.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} cannot be written in a zonecfg script: zonecfg's quoted strings have no escape, so \
     they cannot hold '\"' or a line break"
)]
pub struct Unquotable(pub String);

/// `value` as zonecfg's lexer reads one value: bare when it is a plain token, otherwise in
/// double quotes. zonecfg's lexer ends a bare token at blanks and at `; = [ ] ( ) , " #`, and
/// its quoted strings run to the next `"` with no escape, so a value holding `"` or a line
/// break has no spelling at all.
///
/// ```
/// use carrack_solaris::command::zonecfg_quote;
/// assert_eq!(zonecfg_quote("/zones/web").ok().as_deref(), Some("/zones/web"));
/// assert_eq!(zonecfg_quote("mac-nospoof,ip-nospoof").ok().as_deref(), Some("\"mac-nospoof,ip-nospoof\""));
/// assert!(zonecfg_quote("a\"b").is_err());
/// ```
pub fn zonecfg_quote(value: &str) -> Result<String, Unquotable> {
    if value.contains(['"', '\n', '\r']) {
        return Err(Unquotable(value.to_owned()));
    }
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./+@%".contains(c);
    if !value.is_empty() && value.chars().all(plain) {
        Ok(value.to_owned())
    } else {
        Ok(format!("\"{value}\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zonecfg_quoting_covers_every_separator_of_its_lexer() {
        for v in [
            "a b", "a;b", "a=b", "a[b", "a]b", "a(b", "a)b", "a,b", "a#b", "", "a\tb", "a:b",
        ] {
            let q = zonecfg_quote(v).expect("quotable");
            assert_eq!(q, format!("\"{v}\""), "{v:?}");
        }
        for v in ["a\"b", "a\nb", "a\rb"] {
            assert_eq!(zonecfg_quote(v), Err(Unquotable(v.to_owned())));
        }
    }

    #[test]
    fn shell_quoting_round_trips_hostile_words() {
        assert_eq!(sh_quote("$(reboot)"), "'$(reboot)'");
        assert_eq!(sh_quote("a'b"), r"'a'\''b'");
        assert_eq!(sh_quote("x\ny"), "'x\ny'");
        assert_eq!(sh_quote("K=V"), "K=V");
    }
}
