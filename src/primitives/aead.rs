//! AES-256-GCM for bulk data, through `ring` (chosen by measurement over `aes-gcm` and
//! `aws-lc-rs`: docs/DECISIONS.md, D21). Only 96-bit nonces and 128-bit tags, the
//! parameters every custody format uses.
//!
//! This module owns the one place bulk AEAD calls reach the implementation. It must never return
//! plaintext that failed authentication (ring zeroes the buffer on failure and we truncate it),
//! never choose nonces (callers own their nonce discipline), and never do I/O.

use std::fmt;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};

/// Nonce length.
pub const NONCE_LEN: usize = 12;
/// Tag length.
pub const TAG_LEN: usize = 16;

/// Authentication failed (or the input was shorter than a tag). Deliberately carries nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("authenticated decryption failed")]
pub struct AeadError;

/// An AES-256-GCM key ready for use. ring keeps the expanded key schedule without wiping it on
/// drop (recorded in docs/DECISIONS.md); custody holds one only while an archive is
/// sealed or opened.
pub struct Aes256Gcm(LessSafeKey);

impl Aes256Gcm {
    /// Expands `key`. ring documents a failure only for a key of the wrong length, which the
    /// type rules out; it is still reported, not assumed away.
    pub fn new(key: &[u8; 32]) -> Result<Self, AeadError> {
        UnboundKey::new(&AES_256_GCM, key)
            .map(|unbound| Self(LessSafeKey::new(unbound)))
            .map_err(|_| AeadError)
    }

    /// Encrypts `buffer` in place and appends the tag.
    pub fn seal_in_place(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        buffer: &mut Vec<u8>,
    ) -> Result<(), AeadError> {
        let tag = self
            .0
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), buffer)
            .map_err(|_| AeadError)?;
        buffer.extend_from_slice(tag.as_ref());
        Ok(())
    }

    /// Verifies and decrypts `buffer` (ciphertext then tag) in place, leaving only the plaintext.
    /// On failure the buffer is emptied: nothing unauthenticated survives.
    pub fn open_in_place(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        buffer: &mut Vec<u8>,
    ) -> Result<(), AeadError> {
        let opened = self
            .0
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), buffer)
            .map(|plaintext| plaintext.len());
        match opened {
            Ok(len) => {
                buffer.truncate(len);
                Ok(())
            }
            Err(_) => {
                buffer.clear();
                Err(AeadError)
            }
        }
    }
}

impl fmt::Debug for Aes256Gcm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Aes256Gcm([REDACTED])")
    }
}
