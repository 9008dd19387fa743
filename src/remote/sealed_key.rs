//! The request's private key at rest (docs/FORMAT.md 13.4): `requests/<ceremony id>.key` in the
//! domain directory, the X-Wing seed encrypted by the ceremony's token under its request key
//! (AES-256-GCM inside the token), bound to the request's fingerprint. Writer and strict reader
//! side by side; the bytes are useless without the token object, and nothing here decrypts.

use super::kem::SECRET_LEN;
use super::request::{Reader, RequestFingerprint};
use crate::primitives::aead::{NONCE_LEN, TAG_LEN};

/// The first bytes of the file.
pub const MAGIC: &[u8; 16] = b"CUSTODY-REQKEY\0\0";
/// The layout version.
pub const VERSION: u8 = 1;
/// The file's length.
pub const FILE_LEN: usize = MAGIC.len() + 1 + 32 + NONCE_LEN + SECRET_LEN + TAG_LEN;
/// The associated data's label; the request fingerprint follows it.
const AAD_LABEL: &[u8] = b"custody/request-key/v1";

/// The sealed private key of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedRequestKey {
    /// The request it belongs to.
    pub request: RequestFingerprint,
    /// The GCM nonce the token used.
    pub nonce: [u8; NONCE_LEN],
    /// The seed encrypted, with the tag.
    pub ciphertext: [u8; SECRET_LEN + TAG_LEN],
}

/// The associated data the token binds: label and the request's fingerprint.
pub fn associated_data(request: &RequestFingerprint) -> Vec<u8> {
    [AAD_LABEL, &request.0[..]].concat()
}

impl SealedRequestKey {
    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        [
            &MAGIC[..],
            &[VERSION],
            &self.request.0,
            &self.nonce,
            &self.ciphertext,
        ]
        .concat()
    }

    /// Reads the file, strictly; `None` when it is not one.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != FILE_LEN
            || bytes[..MAGIC.len()] != MAGIC[..]
            || bytes[MAGIC.len()] != VERSION
        {
            return None;
        }
        let mut reader = Reader(&bytes[MAGIC.len() + 1..]);
        Some(Self {
            request: RequestFingerprint(reader.array()),
            nonce: reader.array(),
            ciphertext: reader.array(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_any_other_length_or_start() {
        let key = SealedRequestKey {
            request: RequestFingerprint([1; 32]),
            nonce: [2; NONCE_LEN],
            ciphertext: [3; SECRET_LEN + TAG_LEN],
        };
        let bytes = key.to_bytes();
        assert_eq!(bytes.len(), FILE_LEN);
        assert_eq!(SealedRequestKey::parse(&bytes), Some(key));
        assert_eq!(SealedRequestKey::parse(&bytes[1..]), None);
        let mut bad = bytes.clone();
        bad[16] = 2;
        assert_eq!(SealedRequestKey::parse(&bad), None);
    }
}
