//! The channel between `carrack create` and the container's init: a SOCK_SEQPACKET socketpair,
//! one message per step, so nothing is ever half read.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use nix::sys::socket::{AddressFamily, MsgFlags, SockFlag, SockType, recv, send, socketpair};

/// One end of the channel.
pub(crate) struct Channel(pub(crate) OwnedFd);

/// A message.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Msg {
    /// Parent → init: the id maps are written, the cgroups made (cgroup2 ones joined) and the
    /// state saved; init enters these v1 cgroup directories itself, then goes on while the
    /// parent writes the limits.
    Go(Vec<std::path::PathBuf>),
    /// Init → parent: mounts are done; run prestart and createRuntime hooks now.
    HooksPlease,
    /// Parent → init: hooks ran.
    HooksDone,
    /// Init → parent: everything is set up; waiting for start.
    Ready,
    /// First process → parent, when init is cloned in a second step: init's pid.
    Pid(i32),
    /// Either way: a failure, with its config field and errno.
    Error(crate::error::Report),
}

pub(crate) fn pair() -> io::Result<(Channel, Channel)> {
    let (a, b) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )?;
    Ok((Channel(a), Channel(b)))
}

impl Channel {
    pub(crate) fn send(&self, msg: &Msg) -> io::Result<()> {
        let bytes: Vec<u8> = match msg {
            Msg::Go(dirs) => {
                let mut b = b"go".to_vec();
                for d in dirs {
                    b.push(0);
                    b.extend_from_slice(d.as_os_str().as_encoded_bytes());
                }
                b
            }
            Msg::HooksPlease => b"hooks".to_vec(),
            Msg::HooksDone => b"hooks-done".to_vec(),
            Msg::Ready => b"ready".to_vec(),
            Msg::Pid(p) => format!("pid:{p}").into_bytes(),
            Msg::Error(e) => {
                let mut b = b"error:".to_vec();
                b.extend_from_slice(&e.to_bytes());
                b
            }
        };
        send(self.0.as_raw_fd(), &bytes, MsgFlags::MSG_NOSIGNAL)?;
        Ok(())
    }

    /// The next message; `None` when the other end is gone.
    pub(crate) fn recv(&self) -> io::Result<Option<Msg>> {
        // The message's length first (a peek that reports it whole), then a buffer of that
        // size: a fixed 64 KiB one, zeroed on every call, kept 16 pages of heap resident in
        // both processes for messages of a few bytes.
        let len = self.recv_into(&mut [], MsgFlags::MSG_PEEK | MsgFlags::MSG_TRUNC)?;
        if len == 0 {
            return Ok(None);
        }
        let mut buf = vec![0u8; len];
        let n = self.recv_into(&mut buf, MsgFlags::empty())?;
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(match &buf[..n] {
            b if b.starts_with(b"go") && (b.len() == 2 || b[2] == 0) => Msg::Go(
                b.split(|c| *c == 0)
                    .skip(1)
                    .map(|d| {
                        std::path::PathBuf::from(std::ffi::OsStr::from_bytes(d).to_os_string())
                    })
                    .collect(),
            ),
            b"hooks" => Msg::HooksPlease,
            b"hooks-done" => Msg::HooksDone,
            b"ready" => Msg::Ready,
            b if b.starts_with(b"pid:") => std::str::from_utf8(&b[4..])
                .ok()
                .and_then(|p| p.parse().ok())
                .map_or_else(
                    || Msg::Error(crate::error::Report::from_bytes(b"a malformed pid")),
                    Msg::Pid,
                ),
            other => Msg::Error(crate::error::Report::from_bytes(
                other.strip_prefix(b"error:").unwrap_or(other),
            )),
        }))
    }

    /// One `recv` into `buf`, again on EINTR.
    fn recv_into(&self, buf: &mut [u8], flags: MsgFlags) -> io::Result<usize> {
        loop {
            match recv(self.0.as_raw_fd(), buf, flags) {
                Ok(n) => return Ok(n),
                Err(nix::Error::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_of_any_length_come_through_whole() {
        let (a, b) = pair().expect("socketpair");
        let long = std::path::PathBuf::from("d".repeat(100 * 1024));
        let msgs = [
            Msg::Ready,
            Msg::Pid(4242),
            Msg::Go(vec![]),
            Msg::Go(vec![long, "/sys/fs/cgroup/cpu/x".into()]),
            Msg::HooksDone,
        ];
        for m in &msgs {
            a.send(m).expect("send");
        }
        for m in &msgs {
            assert_eq!(b.recv().expect("recv").as_ref(), Some(m));
        }
        drop(a);
        assert_eq!(b.recv().expect("recv after close"), None);
    }
}
