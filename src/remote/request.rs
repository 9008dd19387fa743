//! The contribution request (docs/FORMAT.md 13): what a ceremony machine asks officials
//! elsewhere to encrypt their shares to — the domain, the manifest, the ceremony, its purpose,
//! its expiry and a fresh X-Wing public key — with the writer and the strict reader side by
//! side. Its fingerprint (SHA-256 of every byte before the checksum, which is the checksum) is
//! what is read aloud over the call: it authenticates every field.
//!
//! It holds nothing secret and does no I/O; anyone may have written the bytes it reads, so the
//! reader checks every length, value and the public key before it returns a request.

use std::fmt;

use sha2::{Digest, Sha256};

use super::armor;
use super::kem::{self, PUBLIC_KEY_LEN};
use crate::primitives::domain_id::DomainId;
use crate::primitives::signature::DomainFingerprint;

/// The first bytes of every request.
pub const MAGIC: &[u8; 16] = b"CUSTODY-REQUEST\0";
/// The layout version this module writes and reads.
pub const VERSION: u8 = 1;
/// Length of a ceremony id.
pub const CEREMONY_ID_LEN: usize = 16;
/// The longest a request may live: officials in every time zone, not a standing key.
pub const MAX_LIFETIME_SECONDS: u64 = 7 * 24 * 3600;
/// The largest request file (armored) a reader takes.
pub const MAX_FILE_LEN: usize = 8 * 1024;
/// The armor's kind.
const ARMOR: &str = "REQUEST";
/// Bytes other than the domain id.
const FIXED_LEN: usize =
    MAGIC.len() + 1 + 1 + 1 + 32 + 32 + 8 + 4 + CEREMONY_ID_LEN + 8 + 8 + PUBLIC_KEY_LEN + 32;

/// What a ceremony asks contributions for: the ceremony they may be used in, and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `custody unlock`.
    Unlock,
    /// `custody drill`.
    Drill,
    /// `custody rotate`.
    Rotate,
    /// `custody reshare`.
    Reshare,
}

impl Purpose {
    /// Every purpose, in code order.
    pub const ALL: [Self; 4] = [Self::Unlock, Self::Drill, Self::Rotate, Self::Reshare];

    /// Its byte in the formats.
    pub fn code(self) -> u8 {
        match self {
            Self::Unlock => 1,
            Self::Drill => 2,
            Self::Rotate => 3,
            Self::Reshare => 4,
        }
    }

    /// The purpose of `code`, if any.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    /// The ceremony, in words with its article: `an unlock`, `a drill`, `a rotation`,
    /// `a reshare`.
    pub fn described(self) -> &'static str {
        match self {
            Self::Unlock => "an unlock",
            Self::Drill => "a drill",
            Self::Rotate => "a rotation",
            Self::Reshare => "a reshare",
        }
    }

    /// The ceremony's name, as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unlock => "unlock",
            Self::Drill => "drill",
            Self::Rotate => "rotate",
            Self::Reshare => "reshare",
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A request's fingerprint: SHA-256 of its bytes before the checksum. Public; read aloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestFingerprint(pub [u8; 32]);

impl fmt::Display for RequestFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// A contribution request. Public facts only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// What the contributions may be used for.
    pub purpose: Purpose,
    /// The domain.
    pub domain: DomainId,
    /// Its fingerprint.
    pub domain_fingerprint: DomainFingerprint,
    /// The digest of the manifest in force when the request was made.
    pub manifest_digest: [u8; 32],
    /// That manifest's chain position.
    pub chain_position: u64,
    /// Its epoch.
    pub epoch: u32,
    /// The ceremony's id, random.
    pub ceremony_id: [u8; CEREMONY_ID_LEN],
    /// When it was made, Unix seconds.
    pub created: u64,
    /// When it expires, Unix seconds.
    pub expires: u64,
    /// The X-Wing public key contributions are encrypted to.
    pub public_key: [u8; PUBLIC_KEY_LEN],
}

/// Why bytes are not a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// Not a request at all.
    #[error("not a custody contribution request")]
    NotARequest,
    /// Another layout version.
    #[error("request format version {0}; this custody reads version 1")]
    Version(u8),
    /// Cut short or too long.
    #[error("it is {found} bytes long; a request of this domain id is {expected}")]
    Length {
        /// Bytes found.
        found: usize,
        /// Bytes expected.
        expected: usize,
    },
    /// The checksum does not match: damaged in transit.
    #[error("it is damaged (its checksum does not match)")]
    Damaged,
    /// A field breaks its rule.
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// The armored text is malformed.
    #[error("its text form is malformed: {0}")]
    Armor(String),
}

impl Request {
    /// The file's bytes: body, then SHA-256 of the body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FIXED_LEN + self.domain.as_str().len());
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.push(self.purpose.code());
        // A domain id is at most 64 bytes (DomainId's rule).
        out.push(u8::try_from(self.domain.as_str().len()).unwrap_or(u8::MAX));
        out.extend_from_slice(self.domain.as_str().as_bytes());
        out.extend_from_slice(self.domain_fingerprint.as_bytes());
        out.extend_from_slice(&self.manifest_digest);
        out.extend_from_slice(&self.chain_position.to_be_bytes());
        out.extend_from_slice(&self.epoch.to_be_bytes());
        out.extend_from_slice(&self.ceremony_id);
        out.extend_from_slice(&self.created.to_be_bytes());
        out.extend_from_slice(&self.expires.to_be_bytes());
        out.extend_from_slice(&self.public_key);
        let checksum = Sha256::digest(&out);
        out.extend_from_slice(&checksum);
        out
    }

    /// Its fingerprint.
    pub fn fingerprint(&self) -> RequestFingerprint {
        let bytes = self.to_bytes();
        let mut fingerprint = [0; 32];
        fingerprint.copy_from_slice(&bytes[bytes.len() - 32..]);
        RequestFingerprint(fingerprint)
    }

    /// Reads a request file, binary or armored, strictly.
    pub fn parse(bytes: &[u8]) -> Result<Self, RequestError> {
        Self::parse_binary(&armor::dearmor_if_armored(ARMOR, bytes).map_err(RequestError::Armor)?)
    }

    fn parse_binary(bytes: &[u8]) -> Result<Self, RequestError> {
        if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC[..] {
            return Err(RequestError::NotARequest);
        }
        match bytes.get(MAGIC.len()) {
            Some(&VERSION) => {}
            Some(&other) => return Err(RequestError::Version(other)),
            None => {
                return Err(RequestError::Length {
                    found: bytes.len(),
                    expected: FIXED_LEN + 1,
                })
            }
        }
        let domain_len = usize::from(*bytes.get(MAGIC.len() + 2).ok_or(RequestError::Length {
            found: bytes.len(),
            expected: FIXED_LEN + 1,
        })?);
        let expected = FIXED_LEN + domain_len;
        if bytes.len() != expected {
            return Err(RequestError::Length {
                found: bytes.len(),
                expected,
            });
        }
        let (body, checksum) = bytes.split_at(expected - 32);
        if Sha256::digest(body).as_slice() != checksum {
            return Err(RequestError::Damaged);
        }
        let mut reader = Reader(&body[MAGIC.len() + 1..]);
        let purpose = Purpose::from_code(reader.byte()).ok_or(RequestError::Invalid("purpose"))?;
        reader.byte();
        let domain = std::str::from_utf8(reader.take(domain_len))
            .ok()
            .and_then(|d| DomainId::new(d).ok())
            .ok_or(RequestError::Invalid("domain id"))?;
        let request = Self {
            purpose,
            domain,
            domain_fingerprint: DomainFingerprint::from_bytes(reader.array()),
            manifest_digest: reader.array(),
            chain_position: u64::from_be_bytes(reader.array()),
            epoch: u32::from_be_bytes(reader.array()),
            ceremony_id: reader.array(),
            created: u64::from_be_bytes(reader.array()),
            expires: u64::from_be_bytes(reader.array()),
            public_key: reader.array(),
        };
        if request.expires <= request.created
            || request.expires - request.created > MAX_LIFETIME_SECONDS
        {
            return Err(RequestError::Invalid(
                "expiry (after creation, within 7 days)",
            ));
        }
        kem::check_public_key(&request.public_key)
            .map_err(|_| RequestError::Invalid("public key"))?;
        Ok(request)
    }
}

/// A cursor over bytes whose total length was checked before: it cannot run short.
pub(super) struct Reader<'a>(pub(super) &'a [u8]);

impl<'a> Reader<'a> {
    pub(super) fn take(&mut self, len: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(len.min(self.0.len()));
        self.0 = rest;
        head
    }

    pub(super) fn byte(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }

    pub(super) fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        let head = self.take(N);
        out[..head.len()].copy_from_slice(head);
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::remote::kem::RequestSecret;

    pub(crate) fn request(secret: &RequestSecret) -> Request {
        Request {
            purpose: Purpose::Unlock,
            domain: DomainId::new("ee-registries").unwrap(),
            domain_fingerprint: DomainFingerprint::from_bytes([0x40; 32]),
            manifest_digest: [0x11; 32],
            chain_position: 3,
            epoch: 2,
            ceremony_id: [0xc0; 16],
            created: 1_800_000_000,
            expires: 1_800_086_400,
            public_key: secret.public_key(),
        }
    }

    #[test]
    fn a_request_round_trips_and_every_byte_counts() {
        let secret = RequestSecret::generate().unwrap();
        let request = request(&secret);
        let bytes = request.to_bytes();
        assert_eq!(bytes.len(), FIXED_LEN + 13);
        assert_eq!(Request::parse(&bytes).unwrap(), request);
        let armored = armor::armor(ARMOR, &bytes);
        assert_eq!(Request::parse(armored.as_bytes()).unwrap(), request);
        for at in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[at] ^= 1;
            assert!(Request::parse(&bad).is_err(), "byte {at}");
        }
        for len in 0..bytes.len() {
            assert!(Request::parse(&bytes[..len]).is_err(), "cut at {len}");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(Request::parse(&long).is_err());
    }
}
