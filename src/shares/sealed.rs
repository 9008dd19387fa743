//! Sealed share files: one official's share, encrypted under a key derived from their passphrase
//! (argon2id, HKDF-SHA256, AES-256-GCM), with a public header saying whose share it is.
//!
//! This module owns sealing, opening, resealing and checking a file against what the caller
//! expected. The share plaintext is opaque bytes here: it never interprets, logs or returns it
//! other than as [`SecretBytes`], and it never does I/O (callers read and write the files).
//!
//! Error rule, relied on by the CLI: a wrong passphrase gives
//! [`SealedShareError::WrongPassphrase`]; accidental damage to any byte gives
//! [`SealedShareError::Damaged`] (the trailing checksum), except the magic and version bytes,
//! which give [`SealedShareError::NotAShareFile`] and [`SealedShareError::UnsupportedVersion`].
//! A deliberate edit that also rewrites the checksum is refused by the reader, by
//! [`SealedShare::expect`], or on opening: as `WrongPassphrase` if it touched the KDF costs, salt
//! or commitment, as `Damaged` (AES-GCM over the header) otherwise. No edit yields a share.

mod error;
mod format;
mod header;

use std::fmt;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::Aes256Gcm;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

pub use error::SealedShareError;
pub use format::{
    LARGEST_FILE_LEN, MAGIC, MAX_FILE_LEN, MAX_PLAINTEXT_LEN, NONCE_LEN, VERSION as FORMAT_VERSION,
};
pub use header::{ShareHeader, MAX_DOMAIN_LEN, MAX_OFFICIAL_LEN, SET_ID_LEN};

use crate::primitives::kdf::{KdfParams, SealKeys, SALT_LEN};
use crate::primitives::random;
use crate::primitives::secret::{Passphrase, SecretBytes};
use format::{FileHeader, TAG_LEN};

/// One official's sealed share, as held in `<official-id>.share`.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedShare {
    header: FileHeader,
    /// AES-256-GCM ciphertext followed by its 16-byte tag.
    ciphertext: Vec<u8>,
}

impl SealedShare {
    /// Seals `plaintext` under `passphrase` with a fresh random salt and nonce.
    pub fn seal(
        plaintext: &SecretBytes,
        header: ShareHeader,
        passphrase: &Passphrase,
        params: KdfParams,
    ) -> Result<Self, SealedShareError> {
        let mut salt = [0u8; SALT_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut salt)?;
        fill_random(&mut nonce)?;
        Self::seal_with(plaintext, header, passphrase, params, salt, nonce)
    }

    /// Seals with a caller-chosen salt and nonce: the deterministic core of [`SealedShare::seal`],
    /// public so the worked example of the format specification can be regenerated. Both MUST be
    /// fresh random values for a real share; reusing them with the same passphrase reuses a GCM
    /// key and nonce.
    pub fn seal_with(
        plaintext: &SecretBytes,
        header: ShareHeader,
        passphrase: &Passphrase,
        params: KdfParams,
        salt: [u8; SALT_LEN],
        nonce: [u8; NONCE_LEN],
    ) -> Result<Self, SealedShareError> {
        header.validate()?;
        let plaintext_len = checked_plaintext_len(plaintext)?;
        if passphrase.expose_secret().is_empty() {
            return Err(SealedShareError::EmptyPassphrase);
        }
        let keys = SealKeys::derive(passphrase, &salt, &params)?;
        let file_header = FileHeader {
            share: header,
            kdf: params,
            salt,
            commitment: *keys.commitment(),
            nonce,
            plaintext_len,
        };
        let ciphertext = encrypt(&keys, &file_header, plaintext)?;
        Ok(Self {
            header: file_header,
            ciphertext,
        })
    }

    /// Parses a share file strictly (see the module's error rule). Derives nothing.
    pub fn parse(bytes: &[u8]) -> Result<Self, SealedShareError> {
        let (header, ciphertext) = format::read(bytes)?;
        Ok(Self { header, ciphertext })
    }

    /// The official a possibly damaged file names, unchecked: for messages only.
    pub fn claimed_official(bytes: &[u8]) -> Option<String> {
        format::claimed_official(bytes)
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        format::write(&self.header, &self.ciphertext)
    }

    /// The public facts: domain, epoch, set, share id, official, threshold.
    pub fn header(&self) -> &ShareHeader {
        &self.header.share
    }

    /// The argon2id parameters this file was sealed with (already within bounds).
    pub fn kdf_params(&self) -> &KdfParams {
        &self.header.kdf
    }

    /// Lower-case hex SHA-256 of the file's bytes, as recorded in the manifest.
    pub fn fingerprint(&self) -> String {
        header::hex(&Sha256::digest(self.to_bytes()))
    }

    /// Refuses a file whose header is not the one expected (a file renamed to another official,
    /// carried to another domain, or from another epoch or share set).
    pub fn expect(&self, expected: &ShareHeader) -> Result<(), SealedShareError> {
        self.header().expect(expected)
    }

    /// Recovers the share: derives the keys (the KDF parameters were bounded when the file was
    /// parsed or sealed), checks the key commitment in constant time, then decrypts.
    pub fn open(&self, passphrase: &Passphrase) -> Result<SecretBytes, SealedShareError> {
        let keys = SealKeys::derive(passphrase, &self.header.salt, &self.header.kdf)?;
        let commitment_matches = keys.commitment()[..].ct_eq(&self.header.commitment[..]);
        if !bool::from(commitment_matches) {
            return Err(SealedShareError::WrongPassphrase);
        }
        decrypt(&keys, &self.header, &self.ciphertext)
    }

    /// The same share under a new passphrase, with a new salt and nonce. The old passphrase no
    /// longer opens the returned file.
    pub fn reseal(
        &self,
        old: &Passphrase,
        new: &Passphrase,
        params: KdfParams,
    ) -> Result<Self, SealedShareError> {
        let plaintext = self.open(old)?;
        Self::seal(&plaintext, self.header().clone(), new, params)
    }
}

impl fmt::Debug for SealedShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedShare")
            .field("header", self.header())
            .field("kdf", self.kdf_params())
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

fn checked_plaintext_len(plaintext: &SecretBytes) -> Result<u16, SealedShareError> {
    let len = plaintext.expose().len();
    match u16::try_from(len) {
        Ok(short) if (1..=MAX_PLAINTEXT_LEN).contains(&len) => Ok(short),
        _ => Err(SealedShareError::PlaintextLength {
            len,
            max: MAX_PLAINTEXT_LEN,
        }),
    }
}

fn fill_random(buffer: &mut [u8]) -> Result<(), SealedShareError> {
    random::fill(buffer).map_err(|error| SealedShareError::Randomness(error.0))
}

fn cipher(keys: &SealKeys) -> Aes256Gcm {
    Aes256Gcm::new(keys.encryption_key().into())
}

fn encrypt(
    keys: &SealKeys,
    header: &FileHeader,
    plaintext: &SecretBytes,
) -> Result<Vec<u8>, SealedShareError> {
    // The buffer holds plaintext until encryption overwrites it in place; wipe it on every path.
    let mut buffer = Zeroizing::new(plaintext.expose().to_vec());
    let tag = cipher(keys)
        .encrypt_inout_detached(
            &header.nonce.into(),
            &header.encode(),
            buffer.as_mut_slice().into(),
        )
        // GCM refuses only plaintexts near 64 GiB; the length was bounded to 1 KiB above.
        .map_err(|_| SealedShareError::PlaintextLength {
            len: plaintext.expose().len(),
            max: MAX_PLAINTEXT_LEN,
        })?;
    let mut ciphertext = std::mem::take(&mut *buffer);
    ciphertext.extend_from_slice(&tag);
    Ok(ciphertext)
}

fn decrypt(
    keys: &SealKeys,
    header: &FileHeader,
    ciphertext: &[u8],
) -> Result<SecretBytes, SealedShareError> {
    let body_len = ciphertext
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(SealedShareError::Damaged)?;
    let (body, tag) = ciphertext.split_at(body_len);
    let tag = <[u8; TAG_LEN]>::try_from(tag).map_err(|_| SealedShareError::Damaged)?;
    let mut buffer = Zeroizing::new(body.to_vec());
    cipher(keys)
        .decrypt_inout_detached(
            &header.nonce.into(),
            &header.encode(),
            buffer.as_mut_slice().into(),
            &tag.into(),
        )
        .map_err(|_| SealedShareError::Damaged)?;
    Ok(SecretBytes::new(std::mem::take(&mut *buffer)))
}
