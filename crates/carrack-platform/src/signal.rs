//! Signals as container managers name them (`SIGTERM`, `TERM`, `term`, `15`, `RTMIN+3`), in a
//! form no backend's numbering is baked into: each backend maps a [`Signal`] onto what its OS
//! can deliver (a POSIX signal number on Linux and Solaris, a graceful shutdown or termination
//! of the compute system on Windows) and reports the rest as unsupported.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

macro_rules! names {
    ($($variant:ident = $name:literal,)*) => {
        /// A signal by name, the set runc and the OCI runtime CLI accept (signal(7)).
        ///
        /// ```
        /// use carrack_platform::{Signal, SignalName};
        /// assert_eq!("sigterm".parse::<Signal>()?, Signal::Named(SignalName::Term));
        /// assert_eq!(SignalName::Kill.as_str(), "SIGKILL");
        /// # Ok::<(), carrack_platform::Error>(())
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum SignalName {
            $(
                #[doc = concat!("`SIG", $name, "`.")]
                $variant,
            )*
        }

        impl SignalName {
            /// Every name, in signal(7)'s order.
            pub const ALL: &'static [SignalName] = &[$(SignalName::$variant,)*];

            /// The name with its `SIG` prefix.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(SignalName::$variant => concat!("SIG", $name),)*
                }
            }

            fn from_bare(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(SignalName::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

names! {
    Hup = "HUP",
    Int = "INT",
    Quit = "QUIT",
    Ill = "ILL",
    Trap = "TRAP",
    Abrt = "ABRT",
    Bus = "BUS",
    Fpe = "FPE",
    Kill = "KILL",
    Usr1 = "USR1",
    Segv = "SEGV",
    Usr2 = "USR2",
    Pipe = "PIPE",
    Alrm = "ALRM",
    Term = "TERM",
    Stkflt = "STKFLT",
    Chld = "CHLD",
    Cont = "CONT",
    Stop = "STOP",
    Tstp = "TSTP",
    Ttin = "TTIN",
    Ttou = "TTOU",
    Urg = "URG",
    Xcpu = "XCPU",
    Xfsz = "XFSZ",
    Vtalrm = "VTALRM",
    Prof = "PROF",
    Winch = "WINCH",
    Io = "IO",
    Pwr = "PWR",
    Sys = "SYS",
}

/// A signal to send to a container (`kill`): a name, a real-time signal counted from either
/// end of the range, or a number in the host's own numbering (which only the backend can
/// interpret: `SIGUSR1` is 10 on Linux and 16 on Solaris).
///
/// Parsing follows runc's `kill`: a decimal number, or a name with or without `SIG`, in any
/// case; `RTMIN+n` and `RTMAX-n` for real-time signals.
///
/// ```
/// use carrack_platform::{Signal, SignalName};
/// assert_eq!("KILL".parse::<Signal>()?, Signal::Named(SignalName::Kill));
/// assert_eq!("9".parse::<Signal>()?, Signal::Number(9));
/// assert_eq!("SIGRTMIN+2".parse::<Signal>()?, Signal::RtMin(2));
/// assert_eq!("rtmax".parse::<Signal>()?, Signal::RtMax(0));
/// assert!("NOPE".parse::<Signal>().is_err());
/// assert_eq!(Signal::default().to_string(), "SIGTERM");
/// # Ok::<(), carrack_platform::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Signal {
    /// A named signal.
    Named(SignalName),
    /// `SIGRTMIN+n`.
    RtMin(u32),
    /// `SIGRTMAX-n`.
    RtMax(u32),
    /// A number in the host's numbering, given as such.
    Number(u32),
}

impl Default for Signal {
    /// `SIGTERM`, what `kill` sends when no signal is named.
    fn default() -> Self {
        Signal::Named(SignalName::Term)
    }
}

impl From<SignalName> for Signal {
    fn from(n: SignalName) -> Self {
        Signal::Named(n)
    }
}

impl FromStr for Signal {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let unknown = || Error::UnknownSignal(s.to_owned());
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return match s.parse::<u32>() {
                Ok(n) if n > 0 => Ok(Signal::Number(n)),
                _ => Err(unknown()),
            };
        }
        let up = s.to_ascii_uppercase();
        let name = up.strip_prefix("SIG").unwrap_or(&up);
        let offset = |rest: &str, sign: char| -> Result<u32, Error> {
            if rest.is_empty() {
                return Ok(0);
            }
            rest.strip_prefix(sign)
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|n| n.parse().ok())
                .ok_or_else(unknown)
        };
        if let Some(rest) = name.strip_prefix("RTMIN") {
            return offset(rest, '+').map(Signal::RtMin);
        }
        if let Some(rest) = name.strip_prefix("RTMAX") {
            return offset(rest, '-').map(Signal::RtMax);
        }
        // Aliases signal(7) lists.
        let name = match name {
            "IOT" => "ABRT",
            "POLL" => "IO",
            "CLD" => "CHLD",
            other => other,
        };
        SignalName::from_bare(name)
            .map(Signal::Named)
            .ok_or_else(unknown)
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signal::Named(n) => f.write_str(n.as_str()),
            Signal::RtMin(0) => f.write_str("SIGRTMIN"),
            Signal::RtMin(n) => write!(f, "SIGRTMIN+{n}"),
            Signal::RtMax(0) => f.write_str("SIGRTMAX"),
            Signal::RtMax(n) => write!(f, "SIGRTMAX-{n}"),
            Signal::Number(n) => write!(f, "{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_in_every_spelling_and_prints_back() {
        for &n in SignalName::ALL {
            let full = n.as_str();
            let bare = &full[3..];
            for s in [full.to_owned(), bare.to_owned(), bare.to_ascii_lowercase()] {
                assert_eq!(s.parse::<Signal>().ok(), Some(Signal::Named(n)), "{s}");
            }
            assert_eq!(Signal::Named(n).to_string(), full);
        }
    }

    #[test]
    fn numbers_and_real_time_signals() {
        assert_eq!("15".parse::<Signal>().ok(), Some(Signal::Number(15)));
        assert!("0".parse::<Signal>().is_err());
        assert!("-9".parse::<Signal>().is_err());
        assert!("+9".parse::<Signal>().is_err());
        assert_eq!("RTMIN".parse::<Signal>().ok(), Some(Signal::RtMin(0)));
        assert_eq!(
            "sigrtmin+15".parse::<Signal>().ok(),
            Some(Signal::RtMin(15))
        );
        assert_eq!("RTMAX-1".parse::<Signal>().ok(), Some(Signal::RtMax(1)));
        assert!("RTMIN-1".parse::<Signal>().is_err());
        assert!("RTMAX+1".parse::<Signal>().is_err());
        assert!("RTMIN+".parse::<Signal>().is_err());
        assert_eq!("IOT".parse::<Signal>().ok(), Some(SignalName::Abrt.into()));
        for s in ["", "SIG", "TERMX", "KILL9", "SIG TERM"] {
            assert!(
                matches!(s.parse::<Signal>(), Err(Error::UnknownSignal(ref x)) if x == s),
                "{s:?}"
            );
        }
    }
}
