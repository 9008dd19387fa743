//! A contribution (docs/FORMAT.md 14): one official's share, encrypted on their own machine to a
//! request's X-Wing key, with the writer and the strict reader side by side. The public header —
//! request fingerprint, ceremony id, purpose, official — is the AES-256-GCM associated data, so a
//! contribution moved to another request, ceremony, purpose or official does not open. Inside:
//! the official's sealed share file (public facts the ceremony binds to its manifest) and the
//! share itself, which exists in clear only in [`Contents`], wiped on drop.
//!
//! It does no I/O and never returns contents that failed authentication; anyone may have written
//! the bytes it reads, so every length is checked against its bound before it is used.

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::armor;
use super::kem::{self, EncapsulateError, RequestSecret, CIPHERTEXT_LEN, RANDOMNESS_LEN};
use super::request::{Purpose, Reader, Request, RequestFingerprint, CEREMONY_ID_LEN};
use crate::primitives::aead::{NONCE_LEN, TAG_LEN};
use crate::primitives::domain_id::check_identifier;
use crate::primitives::random;
use crate::primitives::secret::SecretBytes;
use crate::shares::sealed::{MAX_OFFICIAL_LEN, MAX_PLAINTEXT_LEN};

/// The first bytes of every contribution.
pub const MAGIC: &[u8; 16] = b"CUSTODY-CONTRIB\0";
/// The layout version this module writes and reads.
pub const VERSION: u8 = 1;
/// The version of the encrypted contents' layout.
const CONTENTS_VERSION: u8 = 1;
/// The largest sealed share file a contribution carries (FORMAT.md 5.3: at most 1337 bytes).
const MAX_SEALED_LEN: usize = 1337;
/// The largest ciphertext (contents and tag).
const MAX_CIPHERTEXT_LEN: usize = 1 + 2 + MAX_SEALED_LEN + 2 + MAX_PLAINTEXT_LEN + TAG_LEN;
/// The largest contribution file (armored) a reader takes.
pub const MAX_FILE_LEN: usize = 16 * 1024;
/// The armor's kind.
pub const ARMOR: &str = "CONTRIBUTION";

/// A contribution as read: its public header and its ciphertext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    /// What it may be used for.
    pub purpose: Purpose,
    /// The request it answers.
    pub request: RequestFingerprint,
    /// The ceremony it answers.
    pub ceremony_id: [u8; CEREMONY_ID_LEN],
    /// The official who made it.
    pub official: String,
    kem_ciphertext: [u8; CIPHERTEXT_LEN],
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
}

/// What a contribution holds, once opened: the official's sealed share file and their share.
pub struct Contents {
    /// The sealed share file, as the official holds it.
    pub sealed_share: Vec<u8>,
    /// The share (FORMAT.md 4.4), secret.
    pub share: SecretBytes,
}

impl std::fmt::Debug for Contents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Contents { sealed_share, share: [REDACTED] }")
    }
}

/// Why a contribution was not made, read or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContributionError {
    /// Not a contribution at all.
    #[error("not a custody contribution")]
    NotAContribution,
    /// Another layout version.
    #[error("contribution format version {0}; this custody reads version 1")]
    Version(u8),
    /// Cut short, too long, or a length out of bounds.
    #[error("it is truncated, too long or malformed")]
    Malformed,
    /// The checksum does not match: damaged in transit.
    #[error("it is damaged (its checksum does not match)")]
    Damaged,
    /// A field breaks its rule.
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// The armored text is malformed.
    #[error("its text form is malformed: {0}")]
    Armor(String),
    /// It does not decrypt under the request's key: altered, or made for another key.
    #[error(
        "it does not decrypt under this request's key: it was altered, or made for another request"
    )]
    Undecryptable,
    /// Encrypting failed.
    #[error(transparent)]
    Encapsulate(#[from] EncapsulateError),
}

impl Contribution {
    /// Encrypts `official`'s share (`share`, FORMAT.md 4.4) and sealed share file to `request`.
    pub fn seal(
        request: &Request,
        official: &str,
        sealed_share: &[u8],
        share: &SecretBytes,
    ) -> Result<Self, ContributionError> {
        let mut randomness = Zeroizing::new([0u8; RANDOMNESS_LEN]);
        random::fill(randomness.as_mut()).map_err(EncapsulateError::from)?;
        let mut nonce = [0; NONCE_LEN];
        random::fill(&mut nonce).map_err(EncapsulateError::from)?;
        Self::seal_with(request, official, (sealed_share, share), &randomness, nonce)
    }

    /// [`seal`](Self::seal) with the given encapsulation randomness and nonce: for the worked
    /// example of docs/FORMAT.md 14.7 and its test.
    pub fn seal_with(
        request: &Request,
        official: &str,
        (sealed_share, share): (&[u8], &SecretBytes),
        randomness: &[u8; RANDOMNESS_LEN],
        nonce: [u8; NONCE_LEN],
    ) -> Result<Self, ContributionError> {
        check_identifier(official, MAX_OFFICIAL_LEN)
            .map_err(|_| ContributionError::Invalid("official id"))?;
        if sealed_share.len() > MAX_SEALED_LEN || share.expose().len() > MAX_PLAINTEXT_LEN {
            return Err(ContributionError::Malformed);
        }
        let fingerprint = request.fingerprint();
        let (kem_ciphertext, key) =
            kem::encapsulate_with(&request.public_key, &fingerprint.0, randomness)
                .map_err(EncapsulateError::from)?;
        let share_bytes = share.expose();
        // Room for the tag up front: the buffer holding the share never reallocates unwiped.
        let mut buffer = Zeroizing::new(Vec::with_capacity(MAX_CIPHERTEXT_LEN));
        buffer.push(CONTENTS_VERSION);
        buffer.extend_from_slice(&len_u16(sealed_share.len()).to_be_bytes());
        buffer.extend_from_slice(sealed_share);
        buffer.extend_from_slice(&len_u16(share_bytes.len()).to_be_bytes());
        buffer.extend_from_slice(share_bytes);
        let mut contribution = Self {
            purpose: request.purpose,
            request: fingerprint,
            ceremony_id: request.ceremony_id,
            official: official.to_owned(),
            kem_ciphertext,
            nonce,
            ciphertext: Vec::new(),
        };
        let aad = contribution.header(buffer.len() + TAG_LEN);
        key.seal(nonce, &aad, &mut buffer)
            .map_err(|_| ContributionError::Undecryptable)?;
        contribution.ciphertext = buffer.to_vec();
        Ok(contribution)
    }

    /// The file's bytes: header, ciphertext and tag, SHA-256 of all that.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.header(self.ciphertext.len());
        out.extend_from_slice(&self.ciphertext);
        let checksum = Sha256::digest(&out);
        out.extend_from_slice(&checksum);
        out
    }

    /// The file as armored text.
    pub fn to_armored(&self) -> String {
        armor::armor(ARMOR, &self.to_bytes())
    }

    /// The header, the associated data, for a ciphertext of `ciphertext_len` bytes.
    fn header(&self, ciphertext_len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAGIC.len() + 1300);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.push(self.purpose.code());
        out.extend_from_slice(&self.request.0);
        out.extend_from_slice(&self.ceremony_id);
        out.push(u8::try_from(self.official.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(self.official.as_bytes());
        out.extend_from_slice(&self.kem_ciphertext);
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&len_u16(ciphertext_len).to_be_bytes());
        out
    }

    /// Reads a contribution file, binary or armored, strictly.
    pub fn parse(bytes: &[u8]) -> Result<Self, ContributionError> {
        Self::parse_binary(
            &armor::dearmor_if_armored(ARMOR, bytes).map_err(ContributionError::Armor)?,
        )
    }

    fn parse_binary(bytes: &[u8]) -> Result<Self, ContributionError> {
        if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC[..] {
            return Err(ContributionError::NotAContribution);
        }
        match bytes.get(MAGIC.len()) {
            Some(&VERSION) => {}
            Some(&other) => return Err(ContributionError::Version(other)),
            None => return Err(ContributionError::Malformed),
        }
        if bytes.len() > MAX_FILE_LEN || bytes.len() < MAGIC.len() + 32 {
            return Err(ContributionError::Malformed);
        }
        let (body, checksum) = bytes.split_at(bytes.len() - 32);
        if Sha256::digest(body).as_slice() != checksum {
            return Err(ContributionError::Damaged);
        }
        let fixed = MAGIC.len() + 1 + 1 + 32 + CEREMONY_ID_LEN + 1;
        let official_len = usize::from(*body.get(fixed - 1).ok_or(ContributionError::Malformed)?);
        let header_len = fixed + official_len + CIPHERTEXT_LEN + NONCE_LEN + 2;
        if body.len() < header_len {
            return Err(ContributionError::Malformed);
        }
        let mut reader = Reader(&body[MAGIC.len() + 1..]);
        let purpose =
            Purpose::from_code(reader.byte()).ok_or(ContributionError::Invalid("purpose"))?;
        let request = RequestFingerprint(reader.array());
        let ceremony_id = reader.array();
        reader.byte();
        let official = std::str::from_utf8(reader.take(official_len))
            .ok()
            .filter(|id| check_identifier(id, MAX_OFFICIAL_LEN).is_ok())
            .ok_or(ContributionError::Invalid("official id"))?
            .to_owned();
        let kem_ciphertext = reader.array();
        let nonce = reader.array();
        let ciphertext_len = usize::from(u16::from_be_bytes(reader.array()));
        if !(TAG_LEN + 1..=MAX_CIPHERTEXT_LEN).contains(&ciphertext_len)
            || reader.0.len() != ciphertext_len
        {
            return Err(ContributionError::Malformed);
        }
        Ok(Self {
            purpose,
            request,
            ceremony_id,
            official,
            kem_ciphertext,
            nonce,
            ciphertext: reader.0.to_vec(),
        })
    }

    /// Decrypts with the request's private key; the header is authenticated with the contents.
    pub fn open(&self, secret: &RequestSecret) -> Result<Contents, ContributionError> {
        let key = secret.open_key(&self.kem_ciphertext, &self.request.0);
        let mut buffer = Zeroizing::new(self.ciphertext.clone());
        key.open(self.nonce, &self.header(self.ciphertext.len()), &mut buffer)
            .map_err(|_| ContributionError::Undecryptable)?;
        let mut reader = Reader(&buffer);
        let malformed = ContributionError::Invalid("contents");
        if reader.byte() != CONTENTS_VERSION {
            return Err(malformed);
        }
        let sealed_len = usize::from(u16::from_be_bytes(reader.array()));
        if sealed_len > MAX_SEALED_LEN || reader.0.len() < sealed_len + 2 {
            return Err(malformed);
        }
        let sealed_share = reader.take(sealed_len).to_vec();
        let share_len = usize::from(u16::from_be_bytes(reader.array()));
        if share_len > MAX_PLAINTEXT_LEN || reader.0.len() != share_len {
            return Err(malformed);
        }
        Ok(Contents {
            sealed_share,
            share: SecretBytes::new(reader.0.to_vec()),
        })
    }
}

/// A length already bounded below 65536 as a `u16`.
fn len_u16(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::request::tests::request;

    #[test]
    fn a_contribution_opens_only_as_made() {
        let secret = RequestSecret::generate().unwrap();
        let request = request(&secret);
        let share = SecretBytes::new(vec![0x5a; 66]);
        let made = Contribution::seal(&request, "cio", b"sealed share file", &share).unwrap();
        let bytes = made.to_bytes();
        let read = Contribution::parse(&bytes).unwrap();
        assert_eq!(read, made);
        assert_eq!(
            Contribution::parse(made.to_armored().as_bytes()).unwrap(),
            made
        );
        let contents = read.open(&secret).unwrap();
        assert_eq!(contents.sealed_share, b"sealed share file");
        assert_eq!(contents.share.expose(), &[0x5a; 66][..]);
        let other = RequestSecret::generate().unwrap();
        assert_eq!(
            read.open(&other).unwrap_err(),
            ContributionError::Undecryptable
        );
        for at in 0..bytes.len() - 32 {
            let mut bad = bytes.clone();
            bad[at] ^= 1;
            let len = bad.len();
            let checksum = Sha256::digest(&bad[..len - 32]);
            bad[len - 32..].copy_from_slice(&checksum);
            let refused = Contribution::parse(&bad).and_then(|c| c.open(&secret).map(drop));
            assert!(refused.is_err(), "byte {at}");
        }
        for len in 0..bytes.len() {
            assert!(Contribution::parse(&bytes[..len]).is_err(), "cut at {len}");
        }
        assert!(!format!("{contents:?}").contains("5a5a"));
    }
}
