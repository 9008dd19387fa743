//! A quorum's seal on a step it leaves pending (a rotation journal, a reshare's staged manifest): HMAC-SHA256 over the step's
//! public facts, under a key derived with HKDF-SHA256 from the domain key the quorum rebuilt, with
//! a label of its own (FORMAT.md 8.1). Nobody without a quorum — a PIN holder at the embassy, a
//! writer of the domain directory — can make one, so a resume acts only on what a quorum wrote;
//! the next run's quorum rebuilds the key and checks it before anything is done.
//!
//! This module never returns, prints or keeps the domain key or the derived key, and compares a
//! seal only in constant time.

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::primitives::secret::DomainKey;

/// The HKDF label of a rotation journal's seal key.
pub(super) const ROTATION_JOURNAL: &[u8] = b"custody/rotation-journal/v1";

/// The HKDF label of a reshare staging directory's seal key.
pub(super) const RESHARE_STAGING: &[u8] = b"custody/reshare-staging/v1";

/// HMAC-SHA256's block size: the derived key is zero-padded to it, as RFC 2104 does.
const HMAC_SHA256_BLOCK: usize = 64;

/// A seal: 32 bytes, written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct QuorumSeal([u8; 32]);

impl QuorumSeal {
    /// The seal of `facts` under the key derived from `key` with `label`.
    pub(super) fn of(key: &DomainKey, label: &[u8], facts: &[u8]) -> Self {
        let mut block = Zeroizing::new([0u8; HMAC_SHA256_BLOCK]);
        // `expand` fails only above 255 × 32 bytes; 32 bytes cannot fail.
        let _ = Hkdf::<Sha256>::new(None, key.expose()).expand(label, &mut block[..32]);
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&(*block).into());
        mac.update(facts);
        Self(mac.finalize().into_bytes().into())
    }

    /// Whether this is the seal of `facts` under `key`, compared in constant time.
    pub(super) fn verifies(&self, key: &DomainKey, label: &[u8], facts: &[u8]) -> bool {
        Self::of(key, label, facts).0.ct_eq(&self.0).into()
    }

    /// Parses 64 hex digits; `None` for anything else.
    pub(super) fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Self(bytes))
    }

    /// 64 lowercase hex digits.
    pub(super) fn to_hex(self) -> String {
        hex::encode(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seal_verifies_only_under_its_key_label_and_facts() {
        let key = DomainKey::from_bytes(&mut [7u8; 32]);
        let other = DomainKey::from_bytes(&mut [8u8; 32]);
        let seal = QuorumSeal::of(&key, ROTATION_JOURNAL, b"facts");
        assert!(seal.verifies(&key, ROTATION_JOURNAL, b"facts"));
        assert!(!seal.verifies(&other, ROTATION_JOURNAL, b"facts"));
        assert!(!seal.verifies(&key, b"custody/other/v1", b"facts"));
        assert!(!seal.verifies(&key, ROTATION_JOURNAL, b"fact"));
        assert_eq!(QuorumSeal::from_hex(&seal.to_hex()), Some(seal));
    }
}
