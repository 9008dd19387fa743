//! The payload: STREAM (Hoang, Reyhanitabar, Rogaway, Vizár 2015) as age v1 uses it, with
//! AES-256-GCM. Chunk `i` is sealed under the payload key with the nonce
//! `i as 11-byte big-endian || flag`, where `flag` is 0x01 for the final chunk and 0x00 otherwise,
//! and no associated data (the header MAC is not bound in, so rotation can rewrap the header;
//! docs/DECISIONS.md, D23).
//!
//! This module owns the nonce layout and the per-chunk rules: every chunk full-size but the
//! last; the last non-empty unless it is the only one. It must never hand back a chunk that did
//! not authenticate, and it never does I/O.

use zeroize::Zeroizing;

use super::error::{ArchiveError, Result};
use crate::primitives::aead::{AeadError, Aes256Gcm, NONCE_LEN};

pub use crate::primitives::aead::TAG_LEN;

/// The nonce of chunk `counter`: 11-byte big-endian counter, then the last-chunk flag.
pub fn nonce(counter: u64, last: bool) -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    // The high three counter bytes stay zero: a u64 counts more chunks than any archive holds.
    nonce[3..11].copy_from_slice(&counter.to_be_bytes());
    nonce[11] = u8::from(last);
    nonce
}

/// The payload key as a chunk cipher.
#[derive(Debug)]
pub struct PayloadCipher(Aes256Gcm);

impl PayloadCipher {
    /// The cipher for a payload key (`ArchiveKeys::payload_key`).
    pub fn new(payload_key: &[u8; 32]) -> Result<Self> {
        Aes256Gcm::new(payload_key)
            .map(Self)
            .map_err(|AeadError| ArchiveError::CipherRefused)
    }

    /// Seals chunk `counter` in place and returns its tag, which follows it in the archive.
    pub fn seal_chunk(&self, counter: u64, last: bool, chunk: &mut [u8]) -> Result<[u8; TAG_LEN]> {
        self.0
            .seal_detached(nonce(counter, last), &[], chunk)
            // GCM refuses only a chunk near 64 GiB; chunks are at most 16 MiB.
            .map_err(|AeadError| ArchiveError::ChunkAltered { chunk: counter })
    }

    /// Opens chunk `counter` (ciphertext then tag) in place and returns the plaintext's length:
    /// the plaintext is `chunk[..len]`. A failure is classified: a full-size last chunk that
    /// authenticates as a non-final one means the stream was cut at a chunk boundary.
    pub fn open_chunk(
        &self,
        counter: u64,
        last: bool,
        full_len: usize,
        chunk: &mut [u8],
    ) -> Result<usize> {
        if chunk.len() < TAG_LEN {
            // Only the very first segment can be this short and still be a whole read: nothing
            // at all follows the header, or the stream was cut inside a tag.
            return Err(match counter {
                0 if chunk.is_empty() => ArchiveError::Truncated { chunks: 0 },
                _ => ArchiveError::ChunkAltered { chunk: counter },
            });
        }
        // A chunk that fails to open is wiped; keep the one copy a truncation check needs.
        let boundary_copy =
            (last && chunk.len() == full_len).then(|| Zeroizing::new(chunk.to_vec()));
        if let Ok(len) = self.0.open_detached(nonce(counter, last), &[], chunk) {
            if last && len == 0 && counter > 0 {
                return Err(ArchiveError::EmptyFinalChunk { chunk: counter });
            }
            return Ok(len);
        }
        if let Some(mut copy) = boundary_copy {
            if self
                .0
                .open_detached(nonce(counter, false), &[], &mut copy)
                .is_ok()
            {
                return Err(ArchiveError::Truncated {
                    chunks: counter + 1,
                });
            }
        }
        Err(ArchiveError::ChunkAltered { chunk: counter })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_layout_is_counter_then_flag() {
        assert_eq!(nonce(0, false), [0; 12]);
        assert_eq!(
            nonce(0x0102_0304_0506_0708, true),
            [0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 1]
        );
    }
}
