//! Content digests (image-spec `descriptor.md` § Digests).

use std::fmt;
use std::str::FromStr;

use sha2::Digest as _;

/// A validated digest, `algorithm:encoded`.
///
/// A `Digest` always satisfies the grammar of descriptor.md, and for the registered algorithms
/// (`sha256`, `sha512`, `blake3`) the exact length and lower-case hex encoding. It can therefore
/// be used to build a path such as `blobs/<algorithm>/<encoded>`: neither part can hold `/`, `.`
/// alone, or `..`.
///
/// ```
/// use carrack_spec::image::Digest;
///
/// let d: Digest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a".parse()?;
/// assert_eq!(d.algorithm(), "sha256");
/// assert_eq!(d, Digest::sha256_of(b"{}"));
/// assert!("sha256:../../etc/passwd".parse::<Digest>().is_err());
/// assert!("sha256:ABC".parse::<Digest>().is_err());
/// # Ok::<(), carrack_spec::image::DigestError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    text: String,
    colon: usize,
}

/// Why a string is not a valid digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    /// No `:` separates algorithm and encoded part.
    #[error("digest {0:?} has no ':' between algorithm and encoded part (descriptor.md § Digests)")]
    NoSeparator(String),
    /// The algorithm does not match `[a-z0-9]+([+._-][a-z0-9]+)*`.
    #[error(
        "digest {0:?}: algorithm does not match [a-z0-9]+([+._-][a-z0-9]+)* (descriptor.md § Digests)"
    )]
    Algorithm(String),
    /// The encoded part does not match `[a-zA-Z0-9=_-]+`.
    #[error("digest {0:?}: encoded part does not match [a-zA-Z0-9=_-]+ (descriptor.md § Digests)")]
    Encoded(String),
    /// A registered algorithm with an encoded part of the wrong form.
    #[error(
        "digest {digest:?}: {algorithm} requires {expected} lower-case hex characters (descriptor.md § Registered algorithms)"
    )]
    Registered {
        /// The digest text.
        digest: String,
        /// The algorithm.
        algorithm: &'static str,
        /// The number of hex characters it requires.
        expected: usize,
    },
}

/// A registered digest algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// SHA-256, the default.
    Sha256,
    /// SHA-512.
    Sha512,
    /// BLAKE3 (registered, not computed by this crate).
    Blake3,
}

impl Algorithm {
    /// The algorithm identifier as written in digests.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
            Self::Blake3 => "blake3",
        }
    }

    /// The number of hex characters of its encoded part.
    pub fn hex_len(self) -> usize {
        match self {
            Self::Sha256 | Self::Blake3 => 64,
            Self::Sha512 => 128,
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha256" => Some(Self::Sha256),
            "sha512" => Some(Self::Sha512),
            "blake3" => Some(Self::Blake3),
            _ => None,
        }
    }
}

impl Digest {
    /// Parses and validates `text`.
    pub fn parse(text: &str) -> Result<Self, DigestError> {
        Self::validate(text)?;
        let colon = text.find(':').unwrap_or_default();
        Ok(Self {
            text: text.to_owned(),
            colon,
        })
    }

    fn validate(text: &str) -> Result<(), DigestError> {
        // The usual case first, in one pass: sha256 or sha512 and its full lowercase hex.
        let lower_hex = |s: &[u8]| s.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let bytes = text.as_bytes();
        if match bytes.split_at_checked(7) {
            Some((b"sha256:", hex)) => hex.len() == 64 && lower_hex(hex),
            Some((b"sha512:", hex)) => hex.len() == 128 && lower_hex(hex),
            _ => false,
        } {
            return Ok(());
        }
        let Some((alg, enc)) = text.split_once(':') else {
            return Err(DigestError::NoSeparator(text.to_owned()));
        };
        let component_ok = |c: &str| {
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        };
        if !alg.split(['+', '.', '_', '-']).all(component_ok) {
            return Err(DigestError::Algorithm(text.to_owned()));
        }
        if enc.is_empty()
            || !enc
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'))
        {
            return Err(DigestError::Encoded(text.to_owned()));
        }
        if let Some(a) = Algorithm::from_name(alg)
            && (enc.len() != a.hex_len()
                || !enc
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        {
            return Err(DigestError::Registered {
                digest: text.to_owned(),
                algorithm: a.as_str(),
                expected: a.hex_len(),
            });
        }
        Ok(())
    }

    /// The SHA-256 digest of `bytes`.
    pub fn sha256_of(bytes: &[u8]) -> Self {
        Self::from_hash("sha256", &sha2::Sha256::digest(bytes))
    }

    /// The SHA-512 digest of `bytes`.
    pub fn sha512_of(bytes: &[u8]) -> Self {
        Self::from_hash("sha512", &sha2::Sha512::digest(bytes))
    }

    /// A digest from an algorithm name and raw hash output (hex-encoded here).
    ///
    /// ```
    /// let d = carrack_spec::image::Digest::from_hash("sha256", &[0u8; 32]);
    /// assert_eq!(d.encoded().len(), 64);
    /// ```
    pub fn from_hash(algorithm: &'static str, hash: &[u8]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = String::with_capacity(algorithm.len() + 1 + hash.len() * 2);
        text.push_str(algorithm);
        text.push(':');
        for b in hash {
            text.push(char::from(HEX[usize::from(b >> 4)]));
            text.push(char::from(HEX[usize::from(b & 15)]));
        }
        Self {
            text,
            colon: algorithm.len(),
        }
    }

    /// The digest of `bytes` computed with this digest's algorithm, or `None` when this crate
    /// cannot compute it (`blake3` and unregistered algorithms).
    pub fn recompute(&self, bytes: &[u8]) -> Option<Self> {
        match self.registered() {
            Some(Algorithm::Sha256) => Some(Self::sha256_of(bytes)),
            Some(Algorithm::Sha512) => Some(Self::sha512_of(bytes)),
            _ => None,
        }
    }

    /// The algorithm identifier, e.g. `sha256`.
    pub fn algorithm(&self) -> &str {
        &self.text[..self.colon]
    }

    /// The registered algorithm, if it is one.
    pub fn registered(&self) -> Option<Algorithm> {
        Algorithm::from_name(self.algorithm())
    }

    /// The encoded part, e.g. the hex of a SHA-256 hash.
    pub fn encoded(&self) -> &str {
        &self.text[self.colon + 1..]
    }

    /// The whole digest string.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for Digest {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Digest {
    type Error = DigestError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::validate(&text)?;
        let colon = text.find(':').unwrap_or_default();
        Ok(Self { text, colon })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.text)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Digest;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a digest string such as sha256:<64 hex>")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Digest, E> {
                Digest::parse(v).map_err(E::custom)
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Digest, E> {
                Digest::try_from(v).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}
