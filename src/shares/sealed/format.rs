//! The byte layout of a sealed share file, version 2: the writer and the strict reader side by
//! side so one screen shows the whole format (normative text: docs/FORMAT.md, section 5).
//!
//! ```text
//! header (= AES-GCM associated data) || ciphertext || tag || SHA-256(all preceding bytes)
//! ```
//!
//! This module owns encoding, decoding and the file checksum. It never derives keys or decrypts,
//! and the reader never trusts a length before checking it against the bytes actually present.

use sha2::{Digest, Sha256};

use super::error::SealedShareError;
use super::header::{ShareHeader, MAX_DOMAIN_LEN, MAX_OFFICIAL_LEN, SET_ID_LEN};
use crate::primitives::kdf::{KdfParams, KEY_LEN, SALT_LEN};
use crate::primitives::signature::DomainFingerprint;

/// The first bytes of every share file.
pub const MAGIC: &[u8; 14] = b"CUSTODY-SHARE\0";
/// The format version this module writes and reads.
pub const VERSION: u8 = 2;
/// AES-256-GCM nonce length.
pub const NONCE_LEN: usize = 12;
/// AES-256-GCM tag length.
pub const TAG_LEN: usize = 16;
/// Length of the trailing SHA-256 checksum.
pub const CHECKSUM_LEN: usize = 32;
/// Largest share plaintext a file holds (a share is about 66 bytes).
pub const MAX_PLAINTEXT_LEN: usize = 1024;
/// Inputs larger than this are refused before any parsing.
pub const MAX_FILE_LEN: usize = 64 * 1024;
/// Header bytes other than the domain and official ids.
const FIXED_HEADER_LEN: usize =
    MAGIC.len() + 1 + 1 + 4 + SET_ID_LEN + 8 + FINGERPRINT_LEN + 1 + 1 + 1 + 12;
/// Length of the domain fingerprint.
const FINGERPRINT_LEN: usize = 32;
const CRYPTO_HEADER_LEN: usize = SALT_LEN + KEY_LEN + NONCE_LEN + 2;
/// The smallest well-formed file: one-byte ids and a one-byte plaintext.
pub const MIN_FILE_LEN: usize =
    FIXED_HEADER_LEN + CRYPTO_HEADER_LEN + 2 + 1 + TAG_LEN + CHECKSUM_LEN;

/// The largest well-formed file: the longest ids and the largest plaintext (1337 bytes).
pub const LARGEST_FILE_LEN: usize =
    MIN_FILE_LEN - 3 + MAX_DOMAIN_LEN + MAX_OFFICIAL_LEN + MAX_PLAINTEXT_LEN;

/// Everything before the ciphertext. Its encoding is the AES-GCM associated data, so it binds
/// the format version, the share's identity, the KDF parameters, salt, commitment and nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FileHeader {
    pub(super) share: ShareHeader,
    pub(super) kdf: KdfParams,
    pub(super) salt: [u8; SALT_LEN],
    pub(super) commitment: [u8; KEY_LEN],
    pub(super) nonce: [u8; NONCE_LEN],
    pub(super) plaintext_len: u16,
}

impl FileHeader {
    /// The header bytes: the associated data and the start of the file.
    pub(super) fn encode(&self) -> Vec<u8> {
        let share = &self.share;
        let mut out = Vec::with_capacity(FIXED_HEADER_LEN + CRYPTO_HEADER_LEN + 96);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        push_identifier(&mut out, &share.domain);
        out.extend_from_slice(&share.epoch.to_be_bytes());
        out.extend_from_slice(&share.set_id);
        out.extend_from_slice(&share.chain_position.to_be_bytes());
        out.extend_from_slice(share.domain_fingerprint.as_bytes());
        out.push(share.share_id);
        out.push(share.threshold);
        push_identifier(&mut out, &share.official);
        out.extend_from_slice(&self.kdf.memory_kib().to_be_bytes());
        out.extend_from_slice(&self.kdf.iterations().to_be_bytes());
        out.extend_from_slice(&self.kdf.parallelism().to_be_bytes());
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(&self.commitment);
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.plaintext_len.to_be_bytes());
        out
    }
}

/// The whole file: header, then ciphertext with its tag, then the checksum of both.
pub(super) fn write(header: &FileHeader, ciphertext: &[u8]) -> Vec<u8> {
    let mut out = header.encode();
    out.extend_from_slice(ciphertext);
    let checksum = Sha256::digest(&out);
    out.extend_from_slice(&checksum);
    out
}

/// Parses a file strictly: size cap, magic, version, checksum, then every field with its bound,
/// and no byte left over. Returns the header and the ciphertext (tag included).
pub(super) fn read(bytes: &[u8]) -> Result<(FileHeader, Vec<u8>), SealedShareError> {
    let body = check_envelope(bytes)?;
    let mut reader = Reader { rest: body };
    // Magic and version were checked by `check_envelope`.
    reader.take(MAGIC.len() + 1)?;
    let domain = reader.identifier("domain", MAX_DOMAIN_LEN)?;
    let epoch = reader.u32()?;
    let set_id = reader.array()?;
    let chain_position = u64::from_be_bytes(reader.array()?);
    let domain_fingerprint = DomainFingerprint::from_bytes(reader.array()?);
    let share_id = reader.u8()?;
    let threshold = reader.u8()?;
    let official = reader.identifier("official", MAX_OFFICIAL_LEN)?;
    let share = ShareHeader {
        domain,
        epoch,
        set_id,
        chain_position,
        domain_fingerprint,
        share_id,
        official,
        threshold,
    };
    share.validate()?;
    let kdf = KdfParams::new(reader.u32()?, reader.u32()?, reader.u32()?)?;
    let salt = reader.array()?;
    let commitment = reader.array()?;
    let nonce = reader.array()?;
    let plaintext_len = reader.u16()?;
    if !(1..=MAX_PLAINTEXT_LEN).contains(&usize::from(plaintext_len)) {
        return Err(SealedShareError::Malformed(
            "the declared share length is out of range",
        ));
    }
    let ciphertext = reader.take(usize::from(plaintext_len) + TAG_LEN)?.to_vec();
    if !reader.rest.is_empty() {
        return Err(SealedShareError::Malformed("bytes follow the ciphertext"));
    }
    let header = FileHeader {
        share,
        kdf,
        salt,
        commitment,
        nonce,
        plaintext_len,
    };
    Ok((header, ciphertext))
}

/// The official a file names, read without any check: only for naming a damaged file to the
/// people at a ceremony, never for deciding anything.
pub(super) fn claimed_official(bytes: &[u8]) -> Option<String> {
    if !bytes.starts_with(MAGIC) {
        return None;
    }
    let mut reader = Reader {
        rest: bytes.get(MAGIC.len() + 1..)?,
    };
    reader.identifier("domain", MAX_DOMAIN_LEN).ok()?;
    // epoch, set id, chain position, domain fingerprint, share id, threshold
    reader
        .take(4 + SET_ID_LEN + 8 + FINGERPRINT_LEN + 1 + 1)
        .ok()?;
    reader.identifier("official", MAX_OFFICIAL_LEN).ok()
}

/// The checks that need no field parsing, in the order that gives the most useful error; returns
/// the bytes the checksum covers.
fn check_envelope(bytes: &[u8]) -> Result<&[u8], SealedShareError> {
    if bytes.is_empty() {
        return Err(SealedShareError::Empty);
    }
    if bytes.len() > MAX_FILE_LEN {
        return Err(SealedShareError::TooLarge {
            len: bytes.len(),
            max: MAX_FILE_LEN,
        });
    }
    let magic_len = bytes.len().min(MAGIC.len());
    if bytes[..magic_len] != MAGIC[..magic_len] {
        return Err(SealedShareError::NotAShareFile);
    }
    match bytes.get(MAGIC.len()) {
        Some(&VERSION) => {}
        Some(&other) => return Err(SealedShareError::UnsupportedVersion(other)),
        None => return Err(SealedShareError::Truncated { len: bytes.len() }),
    }
    if bytes.len() < MIN_FILE_LEN {
        return Err(SealedShareError::Truncated { len: bytes.len() });
    }
    let (body, checksum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
    // Not a secret comparison: anyone can compute this checksum. It tells accidental damage
    // (any byte, including salt and KDF parameters) from a wrong passphrase.
    if Sha256::digest(body).as_slice() != checksum {
        return Err(SealedShareError::Damaged);
    }
    Ok(body)
}

fn push_identifier(out: &mut Vec<u8>, value: &str) {
    // Validated identifiers are at most 64 bytes, so the length always fits in one byte.
    let len = u8::try_from(value.len()).unwrap_or(u8::MAX);
    out.push(len);
    out.extend_from_slice(value.as_bytes());
}

/// A cursor that refuses to read past the bytes present.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], SealedShareError> {
        if self.rest.len() < len {
            return Err(SealedShareError::Malformed(
                "a field runs past the end of the file",
            ));
        }
        let (field, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(field)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], SealedShareError> {
        let mut array = [0u8; N];
        array.copy_from_slice(self.take(N)?);
        Ok(array)
    }

    fn u8(&mut self) -> Result<u8, SealedShareError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, SealedShareError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, SealedShareError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// A length-prefixed identifier; the length is bounded before the bytes are taken.
    fn identifier(&mut self, field: &'static str, max: usize) -> Result<String, SealedShareError> {
        let len = usize::from(self.u8()?);
        if !(1..=max).contains(&len) {
            return Err(SealedShareError::InvalidField {
                field,
                problem: format!("length {len} is outside 1..={max}"),
            });
        }
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| SealedShareError::InvalidField {
            field,
            problem: "not UTF-8 text".to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_header(domain_len: usize, official_len: usize, plaintext_len: u16) -> FileHeader {
        FileHeader {
            share: ShareHeader {
                domain: "d".repeat(domain_len),
                epoch: 7,
                set_id: [1; SET_ID_LEN],
                chain_position: 5,
                domain_fingerprint: DomainFingerprint::from_bytes([6; 32]),
                share_id: 1,
                official: "o".repeat(official_len),
                threshold: 2,
            },
            kdf: KdfParams::new(8, 1, 1).unwrap(),
            salt: [2; SALT_LEN],
            commitment: [3; KEY_LEN],
            nonce: [4; NONCE_LEN],
            plaintext_len,
        }
    }

    /// The layout alone, without cryptography: smallest and largest files read back exactly.
    #[test]
    fn smallest_and_largest_files_read_back() {
        let cases = [
            (1, 1, 1, MIN_FILE_LEN),
            (MAX_DOMAIN_LEN, MAX_OFFICIAL_LEN, 1024, 1337),
        ];
        for (domain_len, official_len, plaintext_len, file_len) in cases {
            let header = file_header(domain_len, official_len, plaintext_len);
            let ciphertext = vec![5; usize::from(plaintext_len) + TAG_LEN];
            let file = write(&header, &ciphertext);
            assert_eq!(file.len(), file_len);
            assert_eq!(read(&file).unwrap(), (header, ciphertext));
        }
        assert_eq!(MIN_FILE_LEN, 220);
    }
}
