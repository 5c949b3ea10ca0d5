//! Streaming blob writes that hash as they go, and reads that verify as they go.

use std::io::{self, Read};

use carrack_spec::image::{Algorithm, Digest};
use sha2::Digest as _;

use crate::error::{Error, Result};

/// A running hash of one of the algorithms this crate computes.
#[derive(Clone)]
pub(crate) enum Hasher {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Hasher {
    pub(crate) fn new(alg: Algorithm) -> Option<Self> {
        match alg {
            Algorithm::Sha256 => Some(Self::Sha256(sha2::Sha256::new())),
            Algorithm::Sha512 => Some(Self::Sha512(sha2::Sha512::new())),
            _ => None,
        }
    }

    pub(crate) fn for_digest(d: &Digest) -> Option<Self> {
        d.registered().and_then(Self::new)
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha256(h) => h.update(bytes),
            Self::Sha512(h) => h.update(bytes),
        }
    }

    pub(crate) fn finish(self) -> Digest {
        match self {
            Self::Sha256(h) => Digest::from_hash("sha256", &h.finalize()),
            Self::Sha512(h) => Digest::from_hash("sha512", &h.finalize()),
        }
    }
}

/// Reads a blob and checks it against its descriptor while reading: more bytes than the size
/// fail as soon as they arrive; fewer bytes, or a wrong digest, fail at the end of the stream.
/// No read ever returns bytes past the declared size, and the stream never ends "successfully"
/// with unverified content.
pub struct VerifiedReader<R> {
    inner: R,
    hasher: Hasher,
    expected: Digest,
    size: u64,
    read: u64,
    done: bool,
}

impl<R: Read> VerifiedReader<R> {
    /// Wraps `inner`, which should hold `size` bytes hashing to `digest`.
    ///
    /// ```
    /// use std::io::Read;
    /// use carrack_image::VerifiedReader;
    /// use carrack_spec::image::Digest;
    ///
    /// let mut ok = VerifiedReader::new(&b"{}"[..], Digest::sha256_of(b"{}"), 2)?;
    /// let mut out = Vec::new();
    /// ok.read_to_end(&mut out).expect("verified");
    ///
    /// let mut bad = VerifiedReader::new(&b"{ }"[..], Digest::sha256_of(b"{}"), 3)?;
    /// assert!(bad.read_to_end(&mut Vec::new()).is_err());
    /// # Ok::<(), carrack_image::Error>(())
    /// ```
    pub fn new(inner: R, digest: Digest, size: u64) -> Result<Self> {
        let hasher =
            Hasher::for_digest(&digest).ok_or_else(|| Error::Unsupported(digest.clone()))?;
        Ok(Self {
            inner,
            hasher,
            expected: digest,
            size,
            read: 0,
            done: false,
        })
    }

    fn fail(&self, e: Error) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

impl<R: Read> Read for VerifiedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        // Ask for one byte more than remains, so an over-long blob is noticed right away.
        let remaining = self.size - self.read;
        let want = buf
            .len()
            .min(usize::try_from(remaining.saturating_add(1)).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > remaining {
            return Err(self.fail(Error::Size {
                digest: self.expected.clone(),
                expected: self.size,
                actual: self.read + n as u64,
                at_least: true,
            }));
        }
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        if n == 0 {
            self.done = true;
            if self.read != self.size {
                return Err(self.fail(Error::Size {
                    digest: self.expected.clone(),
                    expected: self.size,
                    actual: self.read,
                    at_least: false,
                }));
            }
            let actual = self.hasher.clone().finish();
            if actual != self.expected {
                return Err(self.fail(Error::Digest {
                    expected: self.expected.clone(),
                    actual,
                }));
            }
        }
        Ok(n)
    }
}

/// Reads `reader` to the end through verification, returning the typed error on a mismatch.
#[cfg(unix)] // the store's
pub(crate) fn read_all<R: Read>(mut reader: VerifiedReader<R>, capacity: usize) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(capacity);
    match reader.read_to_end(&mut out) {
        Ok(_) => Ok(out),
        Err(e) => Err(unwrap_io(e, &reader.expected)),
    }
}

/// Turns an I/O error from a verified read back into the typed error it carries.
#[cfg(unix)] // the store's
pub(crate) fn unwrap_io(e: io::Error, digest: &Digest) -> Error {
    if e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
        match e.into_inner().map(|b| b.downcast::<Error>()) {
            Some(Ok(inner)) => *inner,
            _ => Error::io(
                format!("blobs/{}/{}", digest.algorithm(), digest.encoded()),
                io::Error::other("read failed"),
            ),
        }
    } else {
        Error::io(
            format!("blobs/{}/{}", digest.algorithm(), digest.encoded()),
            e,
        )
    }
}
