//! The per-archive keys: HKDF-SHA256 over the data key, with the archive's salt, split into a
//! header key (HMAC-SHA256 over the header) and a payload key (the STREAM of AES-256-GCM chunks).
//! Both depend only on the data key and the salt, so rotation can rewrap the data key under a new
//! domain key and recompute the header MAC without touching a payload byte.
//!
//! This module owns the derivations and the header MAC. It must never let a key out except as a
//! zeroizing value with a redacted `Debug`, and it compares MACs only in constant time.

use std::fmt;

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::format::MAC_LEN;
use super::header::SALT_LEN;
use crate::primitives::secret::DataKey;

/// HKDF-SHA256 `info` of the header key.
pub const HEADER_KEY_INFO: &[u8] = b"custody/archive/v1/header";
/// HKDF-SHA256 `info` of the payload key.
pub const PAYLOAD_KEY_INFO: &[u8] = b"custody/archive/v1/payload";

/// The two keys of one archive.
pub struct ArchiveKeys {
    header: Zeroizing<[u8; 32]>,
    payload: Zeroizing<[u8; 32]>,
}

impl ArchiveKeys {
    /// HKDF-SHA256(IKM = data key, salt = archive salt), expanded once per label.
    pub fn derive(data_key: &DataKey, salt: &[u8; SALT_LEN]) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(salt), data_key.expose());
        let mut header = Zeroizing::new([0u8; 32]);
        let mut payload = Zeroizing::new([0u8; 32]);
        // `expand` fails only above 255 × 32 bytes of output; 32 is a compile-time fact.
        let _ = hkdf.expand(HEADER_KEY_INFO, header.as_mut());
        let _ = hkdf.expand(PAYLOAD_KEY_INFO, payload.as_mut());
        Self { header, payload }
    }

    /// The header key, for the worked example of the format specification.
    pub fn header_key(&self) -> &[u8; 32] {
        &self.header
    }

    /// The payload key, for the one place that builds the chunk cipher and the worked example.
    pub fn payload_key(&self) -> &[u8; 32] {
        &self.payload
    }

    /// HMAC-SHA256(header key, `covered`).
    pub fn header_mac(&self, covered: &[u8]) -> [u8; MAC_LEN] {
        self.mac(covered).finalize().into_bytes().into()
    }

    /// Whether `mac` is the header MAC of `covered`, compared in constant time.
    pub fn header_mac_matches(&self, covered: &[u8], mac: &[u8; MAC_LEN]) -> bool {
        self.mac(covered).verify_slice(mac).is_ok()
    }

    fn mac(&self, covered: &[u8]) -> Hmac<Sha256> {
        // A 32-byte key is below HMAC-SHA256's 64-byte block: `new_from_slice` cannot fail, but
        // `KeyInit::new` needs the block-sized type, so pad as RFC 2104 does.
        let mut block = Zeroizing::new([0u8; 64]);
        block[..32].copy_from_slice(self.header.as_ref());
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&(*block).into());
        mac.update(covered);
        mac
    }
}

impl fmt::Debug for ArchiveKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ArchiveKeys([REDACTED])")
    }
}
