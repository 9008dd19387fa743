//! The hybrid post-quantum KEM of remote contribution: X-Wing (X25519 with ML-KEM-768, crate
//! `x-wing`, D73), and the one way its shared secret becomes an AES-256-GCM key
//! (HKDF-SHA256, docs/FORMAT.md 14.3). The request's private key is X-Wing's 32-byte seed, held
//! only in a zeroizing [`RequestSecret`]; every key and secret derived here is wiped on drop.
//!
//! It never does I/O, never chooses what is bound (its callers give the associated data), and
//! never returns plaintext that failed authentication.

use std::fmt;

use hkdf::Hkdf;
use sha2::Sha256;
use x_wing::{Decapsulate, DecapsulationKey, Decapsulator, EncapsulationKey, KeyExport};
use zeroize::{Zeroize, Zeroizing};

use crate::primitives::aead::{AeadError, Aes256Gcm, NONCE_LEN};
use crate::primitives::random::{self, RandomnessUnavailable};

/// Length of an X-Wing encapsulation (public) key.
pub const PUBLIC_KEY_LEN: usize = x_wing::ENCAPSULATION_KEY_SIZE;
/// Length of an X-Wing ciphertext.
pub const CIPHERTEXT_LEN: usize = x_wing::CIPHERTEXT_SIZE;
/// Length of the request's private key (X-Wing's decapsulation seed).
pub const SECRET_LEN: usize = x_wing::DECAPSULATION_KEY_SIZE;

/// HKDF `info` of the contribution key.
const KEY_INFO: &[u8] = b"custody/contribution/v1/key";

/// A request's X-Wing private key: the 32-byte seed, wiped on drop, never shown.
pub struct RequestSecret(DecapsulationKey);

impl RequestSecret {
    /// A fresh key pair from the operating system's generator.
    pub fn generate() -> Result<Self, RandomnessUnavailable> {
        let mut seed = Zeroizing::new([0u8; SECRET_LEN]);
        random::fill(seed.as_mut())?;
        Ok(Self(DecapsulationKey::from(*seed)))
    }

    /// The key pair whose seed is `seed` (as unsealed from the token); the caller's copy is wiped.
    pub fn from_seed(seed: &mut [u8; SECRET_LEN]) -> Self {
        let key = DecapsulationKey::from(*seed);
        seed.zeroize();
        Self(key)
    }

    /// The seed, to be sealed by the token; the caller must wipe what it copies.
    pub fn seed(&self) -> &[u8; SECRET_LEN] {
        self.0.as_bytes()
    }

    /// The public key that goes into the request.
    pub fn public_key(&self) -> [u8; PUBLIC_KEY_LEN] {
        public_bytes(self.0.encapsulation_key())
    }

    /// The contribution key for `ciphertext`, under the request's `fingerprint` (HKDF salt).
    pub fn open_key(
        &self,
        ciphertext: &[u8; CIPHERTEXT_LEN],
        fingerprint: &[u8; 32],
    ) -> ContributionKey {
        let ct = x_wing::Ciphertext::from(*ciphertext);
        let shared = Zeroizing::new(self.0.decapsulate(&ct));
        ContributionKey::derive(shared.as_slice(), fingerprint)
    }
}

impl fmt::Debug for RequestSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequestSecret([REDACTED])")
    }
}

/// A public key read from a request that is not an X-Wing public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("its public key is not an X-Wing public key")]
pub struct InvalidPublicKey;

/// Length of the randomness an encapsulation takes.
pub const RANDOMNESS_LEN: usize = x_wing::ENCAPSULATION_RANDOMNESS_SIZE;

/// Encapsulates to the request's `public_key` with `randomness` (64 uniformly random bytes from
/// the operating system, never reused; fixed only in the worked example of docs/FORMAT.md 14.7):
/// the KEM ciphertext and the contribution key.
pub fn encapsulate_with(
    public_key: &[u8; PUBLIC_KEY_LEN],
    fingerprint: &[u8; 32],
    randomness: &[u8; RANDOMNESS_LEN],
) -> Result<([u8; CIPHERTEXT_LEN], ContributionKey), InvalidPublicKey> {
    let key = EncapsulationKey::try_from(&public_key[..]).map_err(|_| InvalidPublicKey)?;
    let (ct, shared) = key.encapsulate_deterministic(&(*randomness).into());
    let shared = Zeroizing::new(shared);
    let mut out = [0u8; CIPHERTEXT_LEN];
    out.copy_from_slice(ct.as_slice());
    Ok((out, ContributionKey::derive(shared.as_slice(), fingerprint)))
}

/// Why an encapsulation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncapsulateError {
    /// The request's public key is not one.
    #[error(transparent)]
    Key(#[from] InvalidPublicKey),
    /// No randomness.
    #[error(transparent)]
    Random(#[from] RandomnessUnavailable),
}

/// Checks that `public_key` is an X-Wing public key (a reader refuses a request that is not).
pub fn check_public_key(public_key: &[u8; PUBLIC_KEY_LEN]) -> Result<(), InvalidPublicKey> {
    let key = EncapsulationKey::try_from(&public_key[..]).map_err(|_| InvalidPublicKey)?;
    // ML-KEM's modulus check: a key that does not round-trip is not canonical.
    (public_bytes(&key) == *public_key)
        .then_some(())
        .ok_or(InvalidPublicKey)
}

fn public_bytes(key: &EncapsulationKey) -> [u8; PUBLIC_KEY_LEN] {
    let mut out = [0u8; PUBLIC_KEY_LEN];
    out.copy_from_slice(key.to_bytes().as_slice());
    out
}

/// The AES-256-GCM key of one contribution, wiped on drop.
pub struct ContributionKey(Zeroizing<[u8; 32]>);

impl ContributionKey {
    /// `HKDF-SHA256(salt = fingerprint, IKM = shared secret, info = KEY_INFO)`, 32 bytes.
    fn derive(shared: &[u8], fingerprint: &[u8; 32]) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's limit of 8160: expand cannot fail.
        let _ = Hkdf::<Sha256>::new(Some(fingerprint), shared).expand(KEY_INFO, key.as_mut());
        Self(key)
    }

    /// Encrypts `plaintext` in place (the tag appended), binding `aad`.
    pub fn seal(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        plaintext: &mut Vec<u8>,
    ) -> Result<(), AeadError> {
        Aes256Gcm::new(&self.0)?.seal_in_place(nonce, aad, plaintext)
    }

    /// Verifies and decrypts `ciphertext` (with its tag) in place; emptied on failure.
    pub fn open(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        ciphertext: &mut Vec<u8>,
    ) -> Result<(), AeadError> {
        Aes256Gcm::new(&self.0)?.open_in_place(nonce, aad, ciphertext)
    }
}

impl fmt::Debug for ContributionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContributionKey([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contribution_key_is_the_same_on_both_sides_and_bound_to_the_fingerprint() {
        let secret = RequestSecret::generate().unwrap();
        let fingerprint = [7u8; 32];
        let (ct, sender) = encapsulate_with(&secret.public_key(), &fingerprint, &[9; 64]).unwrap();
        let mut sealed = b"share".to_vec();
        sender.seal([1; NONCE_LEN], b"aad", &mut sealed).unwrap();
        let mut opened = sealed.clone();
        secret
            .open_key(&ct, &fingerprint)
            .open([1; NONCE_LEN], b"aad", &mut opened)
            .unwrap();
        assert_eq!(opened, b"share");
        let mut other = sealed.clone();
        assert!(secret
            .open_key(&ct, &[8u8; 32])
            .open([1; NONCE_LEN], b"aad", &mut other)
            .is_err());
        let mut seed = *secret.seed();
        let again = RequestSecret::from_seed(&mut seed);
        assert_eq!(seed, [0u8; SECRET_LEN]);
        assert_eq!(again.public_key(), secret.public_key());
        assert!(check_public_key(&secret.public_key()).is_ok());
        assert!(check_public_key(&[0xff; PUBLIC_KEY_LEN]).is_err());
        assert!(!format!("{secret:?}").contains(&hex::encode(secret.seed())));
    }
}
