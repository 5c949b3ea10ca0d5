//! The Linux numbers of [`carrack_platform::Signal`]s.

use carrack_platform::{Signal, SignalName};

/// The Linux number of `signal`, or `None` when Linux has no such signal (a number outside
/// 1..=SIGRTMAX, a real-time offset past the range).
///
/// ```
/// use carrack_linux::signal_number;
/// use carrack_platform::Signal;
/// let n = |s: &str| s.parse::<Signal>().ok().and_then(signal_number);
/// assert_eq!(n("9"), Some(9));
/// assert_eq!(n("KILL"), Some(9));
/// assert_eq!(n("sigterm"), Some(15));
/// assert_eq!(n("RTMIN+1"), Some(libc::SIGRTMIN() + 1));
/// assert_eq!(n("RTMAX-1"), Some(libc::SIGRTMAX() - 1));
/// assert_eq!(n("99"), None);
/// ```
pub fn signal_number(signal: Signal) -> Option<i32> {
    let (min, max) = (libc::SIGRTMIN(), libc::SIGRTMAX());
    match signal {
        Signal::Number(n) => i32::try_from(n).ok().filter(|n| (1..=max).contains(n)),
        Signal::RtMin(off) => i32::try_from(off)
            .ok()
            .map(|o| min + o)
            .filter(|n| *n <= max),
        Signal::RtMax(off) => i32::try_from(off)
            .ok()
            .map(|o| max - o)
            .filter(|n| *n >= min),
        Signal::Named(name) => named(name),
        _ => None,
    }
}

fn named(name: SignalName) -> Option<i32> {
    use SignalName as S;
    Some(match name {
        S::Hup => libc::SIGHUP,
        S::Int => libc::SIGINT,
        S::Quit => libc::SIGQUIT,
        S::Ill => libc::SIGILL,
        S::Trap => libc::SIGTRAP,
        S::Abrt => libc::SIGABRT,
        S::Bus => libc::SIGBUS,
        S::Fpe => libc::SIGFPE,
        S::Kill => libc::SIGKILL,
        S::Usr1 => libc::SIGUSR1,
        S::Segv => libc::SIGSEGV,
        S::Usr2 => libc::SIGUSR2,
        S::Pipe => libc::SIGPIPE,
        S::Alrm => libc::SIGALRM,
        S::Term => libc::SIGTERM,
        S::Stkflt => libc::SIGSTKFLT,
        S::Chld => libc::SIGCHLD,
        S::Cont => libc::SIGCONT,
        S::Stop => libc::SIGSTOP,
        S::Tstp => libc::SIGTSTP,
        S::Ttin => libc::SIGTTIN,
        S::Ttou => libc::SIGTTOU,
        S::Urg => libc::SIGURG,
        S::Xcpu => libc::SIGXCPU,
        S::Xfsz => libc::SIGXFSZ,
        S::Vtalrm => libc::SIGVTALRM,
        S::Prof => libc::SIGPROF,
        S::Winch => libc::SIGWINCH,
        S::Io => libc::SIGIO,
        S::Pwr => libc::SIGPWR,
        S::Sys => libc::SIGSYS,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name maps onto the number nix knows it by.
    #[test]
    fn names_agree_with_nix() {
        for &n in SignalName::ALL {
            let nix: nix::sys::signal::Signal = n.as_str().parse().expect("a name nix knows");
            assert_eq!(named(n), Some(nix as i32), "{}", n.as_str());
        }
    }
}
