//! AES-256-GCM for bulk data, through `aws-lc-rs` (chosen by measurement over `ring` and
//! `aes-gcm`: docs/DECISIONS.md, D21 and D85). Only 96-bit nonces and 128-bit tags, the
//! parameters every custody format uses.
//!
//! This module owns the one place bulk AEAD calls reach the implementation. It must never return
//! plaintext that failed authentication (a buffer that fails to open is wiped here), never choose
//! nonces (callers own their nonce discipline), and never do I/O.

use std::fmt;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use zeroize::Zeroize;

/// Nonce length.
pub const NONCE_LEN: usize = 12;
/// Tag length.
pub const TAG_LEN: usize = 16;

/// Authentication failed (or the input was shorter than a tag). Deliberately carries nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("authenticated decryption failed")]
pub struct AeadError;

/// An AES-256-GCM key ready for use. aws-lc wipes the expanded key schedule when the key is
/// dropped (its `EVP_AEAD_CTX` is freed with `OPENSSL_free`, which cleanses the allocation).
pub struct Aes256Gcm(LessSafeKey);

impl Aes256Gcm {
    /// Expands `key`. aws-lc-rs documents a failure only for a key of the wrong length, which the
    /// type rules out; it is still reported, not assumed away.
    pub fn new(key: &[u8; 32]) -> Result<Self, AeadError> {
        UnboundKey::new(&AES_256_GCM, key)
            .map(|unbound| Self(LessSafeKey::new(unbound)))
            .map_err(|_| AeadError)
    }

    /// Encrypts `in_out` in place and returns the tag.
    pub fn seal_detached(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN], AeadError> {
        let tag = self
            .0
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), in_out)
            .map_err(|_| AeadError)?;
        tag.as_ref().try_into().map_err(|_| AeadError)
    }

    /// Verifies and decrypts `in_out` (ciphertext then tag) in place and returns the plaintext's
    /// length: the plaintext is `in_out[..len]`. On failure all of `in_out` is wiped.
    pub fn open_detached(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<usize, AeadError> {
        let opened = self
            .0
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), in_out)
            .map(|plaintext| plaintext.len());
        opened.map_err(|_| {
            in_out.zeroize();
            AeadError
        })
    }

    /// Encrypts `buffer` in place and appends the tag.
    pub fn seal_in_place(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        buffer: &mut Vec<u8>,
    ) -> Result<(), AeadError> {
        let tag = self.seal_detached(nonce, aad, buffer)?;
        buffer.extend_from_slice(&tag);
        Ok(())
    }

    /// Verifies and decrypts `buffer` (ciphertext then tag) in place, leaving only the plaintext.
    /// On failure the buffer is wiped and emptied: nothing unauthenticated survives.
    pub fn open_in_place(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        buffer: &mut Vec<u8>,
    ) -> Result<(), AeadError> {
        match self.open_detached(nonce, aad, buffer) {
            Ok(len) => {
                buffer.truncate(len);
                Ok(())
            }
            Err(error) => {
                buffer.clear();
                Err(error)
            }
        }
    }
}

impl fmt::Debug for Aes256Gcm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Aes256Gcm([REDACTED])")
    }
}
