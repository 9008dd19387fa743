//! Domain signatures: the hybrid post-quantum signature (ML-DSA-65, FIPS 204, with Ed25519,
//! RFC 8032) that the manifest chain and the keyed transcript are to be signed with
//! (docs/DECISIONS.md, D55; docs/FORMAT.md, section 10). A signature verifies only if both halves
//! do, so it stands while either scheme does: ML-DSA against a quantum computer, Ed25519 against a
//! flaw found in the young lattice scheme.
//!
//! This module owns the derivation of the domain signing key from the domain key (HKDF-SHA256,
//! one versioned label per half: deterministic, so every quorum that rebuilds the key rebuilds the
//! same signing key and nothing needs storing), the byte encodings of the verifying key and the
//! signature with their strict parsers, the signing contexts that keep a manifest signature from
//! passing for a transcript signature, and the domain fingerprint. It must never do I/O, never
//! keep or return the signing key's seeds outside a zeroizing type, and never accept a signature
//! that one half alone vouches for.

use std::fmt;

use ed25519_dalek::Signer as _;
use hkdf::Hkdf;
use ml_dsa::{EncodedSignature, EncodedVerifyingKey, ExpandedSigningKey, MlDsa65, B32};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use super::secret::DomainKey;

/// The algorithm tag, first byte of every verifying key and signature: ML-DSA-65 with Ed25519,
/// custody's composite version 1.
pub const ALGORITHM: u8 = 0x01;

/// HKDF-SHA256 `info` of the ML-DSA-65 key-generation seed ξ.
pub const ML_DSA_SEED_INFO: &[u8] = b"custody/domain-signing/v1/ml-dsa-65";

/// HKDF-SHA256 `info` of the Ed25519 secret key.
pub const ED25519_SEED_INFO: &[u8] = b"custody/domain-signing/v1/ed25519";

/// Prefix of the signed representative of every message, and ML-DSA's own context string: names
/// the composite, so neither half can be lifted into another protocol's signature.
pub const COMPOSITE_LABEL: &[u8] = b"custody/signature/v1/ML-DSA-65+Ed25519";

const ML_DSA_PUBLIC_LEN: usize = 1952;
const ML_DSA_SIGNATURE_LEN: usize = 3309;
const ED25519_PUBLIC_LEN: usize = 32;
const ED25519_SIGNATURE_LEN: usize = 64;

/// Length of an encoded verifying key: tag, ML-DSA-65 public key, Ed25519 public key.
pub const VERIFYING_KEY_LEN: usize = 1 + ML_DSA_PUBLIC_LEN + ED25519_PUBLIC_LEN;

/// Length of an encoded signature: tag, ML-DSA-65 signature, Ed25519 signature.
pub const SIGNATURE_LEN: usize = 1 + ML_DSA_SIGNATURE_LEN + ED25519_SIGNATURE_LEN;

/// What a signature is for. Each context is signed into the message, so a signature made for one
/// never verifies for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// A manifest of the chain.
    Manifest,
    /// A transcript's closing digest.
    Transcript,
}

impl Context {
    /// The context string, as signed.
    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            Context::Manifest => b"custody manifest v1",
            Context::Transcript => b"custody transcript v1",
        }
    }
}

/// A verifying key or signature that is not custody's encoding, or a signature that does not
/// verify. Deliberately coarse about verification: which half failed helps only an attacker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Not the length of an encoded verifying key.
    #[error("a domain verifying key is {VERIFYING_KEY_LEN} bytes, this one is {0}")]
    VerifyingKeyLength(usize),
    /// Not the length of an encoded signature.
    #[error("a domain signature is {SIGNATURE_LEN} bytes, this one is {0}")]
    SignatureLength(usize),
    /// A first byte other than [`ALGORITHM`].
    #[error(
        "unknown signature algorithm {0:#04x} (this custody knows {ALGORITHM:#04x}, \
         ML-DSA-65 with Ed25519); it was written by another tool or a newer custody"
    )]
    UnknownAlgorithm(u8),
    /// The Ed25519 half is not a canonical encoding of a point of large order.
    #[error("the Ed25519 half of the domain verifying key is not a valid public key")]
    InvalidEd25519Key,
    /// The ML-DSA-65 half is not a canonical FIPS 204 signature encoding.
    #[error("the ML-DSA-65 half of the domain signature is malformed")]
    MalformedSignature,
    /// Well formed, but not made by this key over this message in this context.
    #[error("the domain signature does not verify")]
    Invalid,
    /// ML-DSA's rejection sampling gave up (FIPS 204 deems it negligibly unlikely), or the new
    /// signature did not verify under its own key (a computing fault; it is not released).
    #[error(
        "signing failed: no valid signature came out, and none was released; check this \
         machine (`custody selftest`) and retry"
    )]
    SigningFailed,
}

/// The domain signing key: both halves, derived from the domain key. Secret: its `Debug` is
/// redacted, both halves wipe themselves on drop, and it is not `Clone` (derive it again).
pub struct SigningKey(Box<SigningHalves>);

struct SigningHalves {
    ml_dsa: ExpandedSigningKey<MlDsa65>,
    ed25519: ed25519_dalek::SigningKey,
}

impl SigningKey {
    /// Derives the domain's signing key from its domain key: HKDF-SHA256 with no salt over the
    /// key, one 32-byte seed per half under its own label (docs/FORMAT.md, 10.1).
    pub fn derive(domain_key: &DomainKey) -> Self {
        let mut xi = B32::default();
        xi.copy_from_slice(seed(domain_key, ML_DSA_SEED_INFO).as_ref());
        let ml_dsa = ExpandedSigningKey::from_seed(&xi);
        xi.zeroize();
        let ed25519 = ed25519_dalek::SigningKey::from_bytes(&seed(domain_key, ED25519_SEED_INFO));
        Self(Box::new(SigningHalves { ml_dsa, ed25519 }))
    }

    /// The public half, to publish in the manifest.
    pub fn verifying_key(&self) -> VerifyingKey {
        let mut encoded = Vec::with_capacity(VERIFYING_KEY_LEN);
        encoded.push(ALGORITHM);
        encoded.extend_from_slice(&self.0.ml_dsa.verifying_key().encode());
        encoded.extend_from_slice(self.0.ed25519.verifying_key().as_bytes());
        VerifyingKey { encoded }
    }

    /// Signs `message` for `context`: deterministic ML-DSA-65 (FIPS 204 Algorithm 2 with a zero
    /// `rnd`) and Ed25519 over the same representative (docs/FORMAT.md, 10.3). The signature is
    /// verified under the key's own public half before it is returned: a fault while signing
    /// deterministically can give the key away, so a faulty signature is never released.
    pub fn sign(&self, context: Context, message: &[u8]) -> Result<Signature, SignatureError> {
        let signature = self.sign_unchecked(context, message)?;
        self.verifying_key()
            .verify(context, message, &signature)
            .map_err(|_| SignatureError::SigningFailed)?;
        Ok(signature)
    }

    fn sign_unchecked(
        &self,
        context: Context,
        message: &[u8],
    ) -> Result<Signature, SignatureError> {
        let representative = representative(context, message);
        let ml_dsa = self
            .0
            .ml_dsa
            .sign_deterministic(&representative, COMPOSITE_LABEL)
            .map_err(|_| SignatureError::SigningFailed)?;
        let ed25519 = self.0.ed25519.sign(&representative);
        let mut encoded = Vec::with_capacity(SIGNATURE_LEN);
        encoded.push(ALGORITHM);
        encoded.extend_from_slice(&ml_dsa.encode());
        encoded.extend_from_slice(&ed25519.to_bytes());
        Ok(Signature { encoded })
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey([REDACTED])")
    }
}

/// One 32-byte seed: HKDF-SHA256(salt = none, IKM = domain key, info).
fn seed(domain_key: &DomainKey, info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut okm = Zeroizing::new([0u8; 32]);
    // `expand` fails only above 255 × 32 bytes of output.
    let _ = Hkdf::<Sha256>::new(None, domain_key.expose()).expand(info, okm.as_mut());
    okm
}

/// What both halves sign: the composite label, the context's length (one byte) and bytes, then
/// the message.
fn representative(context: Context, message: &[u8]) -> Vec<u8> {
    let context = context.as_bytes();
    let mut bytes = Vec::with_capacity(COMPOSITE_LABEL.len() + 1 + context.len() + message.len());
    bytes.extend_from_slice(COMPOSITE_LABEL);
    // Every context is a short constant, so its length fits one byte.
    bytes.push(u8::try_from(context.len()).unwrap_or(u8::MAX));
    bytes.extend_from_slice(context);
    bytes.extend_from_slice(message);
    bytes
}

/// A domain's public verifying key, as its encoding (docs/FORMAT.md, 10.2). Holding one means the
/// encoding parsed strictly.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    encoded: Vec<u8>,
}

impl VerifyingKey {
    /// Parses an encoded verifying key: exactly [`VERIFYING_KEY_LEN`] bytes, the known tag, and an
    /// Ed25519 half that is a canonical point of large order. Every 1952 bytes are an ML-DSA-65
    /// public key encoding (FIPS 204 pkDecode accepts all), so that half needs no check.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SignatureError> {
        if bytes.len() != VERIFYING_KEY_LEN {
            return Err(SignatureError::VerifyingKeyLength(bytes.len()));
        }
        check_tag(bytes[0])?;
        ed25519_half(bytes)?;
        Ok(Self {
            encoded: bytes.to_vec(),
        })
    }

    /// The encoding: what the manifest publishes and the fingerprint digests.
    pub fn as_bytes(&self) -> &[u8] {
        &self.encoded
    }

    /// The domain fingerprint of this key.
    pub fn fingerprint(&self) -> DomainFingerprint {
        DomainFingerprint(Sha256::digest(&self.encoded).into())
    }

    /// Checks that `signature` was made by this key over `message` for `context`: both halves
    /// must verify (Ed25519 strictly: canonical S and R, no small-order points).
    pub fn verify(
        &self,
        context: Context,
        message: &[u8],
        signature: &Signature,
    ) -> Result<(), SignatureError> {
        let representative = representative(context, message);
        let ml_dsa_public =
            ml_dsa::VerifyingKey::<MlDsa65>::decode(&ml_dsa_public_half(&self.encoded)?);
        let ml_dsa_signature = ml_dsa_signature_half(&signature.encoded)?;
        let ml_dsa_ok =
            ml_dsa_public.verify_with_context(&representative, COMPOSITE_LABEL, &ml_dsa_signature);
        let ed25519_ok = ed25519_half(&self.encoded)?
            .verify_strict(
                &representative,
                &ed25519_signature_half(&signature.encoded)?,
            )
            .is_ok();
        if ml_dsa_ok && ed25519_ok {
            Ok(())
        } else {
            Err(SignatureError::Invalid)
        }
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey(fingerprint {})", self.fingerprint())
    }
}

/// A domain signature, as its encoding (docs/FORMAT.md, 10.3). Holding one means the encoding
/// parsed strictly; whether it verifies is [`VerifyingKey::verify`]'s answer.
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    encoded: Vec<u8>,
}

impl Signature {
    /// Parses an encoded signature: exactly [`SIGNATURE_LEN`] bytes, the known tag, and an
    /// ML-DSA-65 half in FIPS 204's canonical encoding (sigDecode accepts it and sigEncode gives
    /// back the same bytes). The Ed25519 half's canonical form is checked when it is verified.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SignatureError> {
        if bytes.len() != SIGNATURE_LEN {
            return Err(SignatureError::SignatureLength(bytes.len()));
        }
        check_tag(bytes[0])?;
        let ml_dsa = ml_dsa_signature_half(bytes)?;
        if ml_dsa.encode().as_slice() != &bytes[1..=ML_DSA_SIGNATURE_LEN] {
            return Err(SignatureError::MalformedSignature);
        }
        Ok(Self {
            encoded: bytes.to_vec(),
        })
    }

    /// The encoding.
    pub fn as_bytes(&self) -> &[u8] {
        &self.encoded
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({} bytes)", self.encoded.len())
    }
}

fn check_tag(tag: u8) -> Result<(), SignatureError> {
    if tag == ALGORITHM {
        Ok(())
    } else {
        Err(SignatureError::UnknownAlgorithm(tag))
    }
}

fn ml_dsa_public_half(encoded: &[u8]) -> Result<EncodedVerifyingKey<MlDsa65>, SignatureError> {
    let half = encoded
        .get(1..=ML_DSA_PUBLIC_LEN)
        .ok_or(SignatureError::VerifyingKeyLength(encoded.len()))?;
    EncodedVerifyingKey::<MlDsa65>::try_from(half)
        .map_err(|_| SignatureError::VerifyingKeyLength(encoded.len()))
}

fn ed25519_half(encoded: &[u8]) -> Result<ed25519_dalek::VerifyingKey, SignatureError> {
    let half: [u8; ED25519_PUBLIC_LEN] = encoded
        .get(1 + ML_DSA_PUBLIC_LEN..)
        .and_then(|half| half.try_into().ok())
        .ok_or(SignatureError::VerifyingKeyLength(encoded.len()))?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&half)
        .map_err(|_| SignatureError::InvalidEd25519Key)?;
    // Decompression accepts a y at or above the field prime; only the canonical form is custody's.
    if key.to_edwards().compress().to_bytes() != half || key.is_weak() {
        return Err(SignatureError::InvalidEd25519Key);
    }
    Ok(key)
}

fn ml_dsa_signature_half(encoded: &[u8]) -> Result<ml_dsa::Signature<MlDsa65>, SignatureError> {
    let half = encoded
        .get(1..=ML_DSA_SIGNATURE_LEN)
        .ok_or(SignatureError::SignatureLength(encoded.len()))?;
    let half = EncodedSignature::<MlDsa65>::try_from(half)
        .map_err(|_| SignatureError::SignatureLength(encoded.len()))?;
    ml_dsa::Signature::decode(&half).ok_or(SignatureError::MalformedSignature)
}

fn ed25519_signature_half(encoded: &[u8]) -> Result<ed25519_dalek::Signature, SignatureError> {
    let half: [u8; ED25519_SIGNATURE_LEN] = encoded
        .get(1 + ML_DSA_SIGNATURE_LEN..)
        .and_then(|half| half.try_into().ok())
        .ok_or(SignatureError::SignatureLength(encoded.len()))?;
    Ok(ed25519_dalek::Signature::from_bytes(&half))
}

/// The domain fingerprint: SHA-256 of the encoded verifying key, the domain's identity, read aloud
/// (as `readout` presents it) and carried in every share file.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DomainFingerprint([u8; 32]);

impl DomainFingerprint {
    /// A fingerprint as recorded somewhere (a share file, a signed ceremony sheet).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::str::FromStr for DomainFingerprint {
    type Err = crate::readout::Unreadable;

    /// A fingerprint as read from the signed sheet: 64 hex digits (spaces allowed) or 32 PGP words.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        crate::readout::read_back(text).map(Self)
    }
}

impl fmt::Display for DomainFingerprint {
    /// 64 lower-case hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for DomainFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DomainFingerprint({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::{kdf, key_identity};

    fn domain_key() -> DomainKey {
        DomainKey::from_bytes(&mut [0x42; 32])
    }

    #[test]
    fn each_half_has_its_own_label_and_no_other_custody_label_is_reused() {
        let labels = [
            ML_DSA_SEED_INFO,
            ED25519_SEED_INFO,
            COMPOSITE_LABEL,
            kdf::ENCRYPTION_KEY_INFO,
            kdf::COMMITMENT_INFO,
            key_identity::KEY_ID_LABEL,
        ];
        for (i, a) in labels.iter().enumerate() {
            for b in &labels[i + 1..] {
                assert_ne!(a, b);
            }
        }
        let key = domain_key();
        assert_ne!(
            *seed(&key, ML_DSA_SEED_INFO),
            *seed(&key, ED25519_SEED_INFO)
        );
    }

    #[test]
    fn each_half_is_generated_from_the_seed_of_its_own_label() {
        let key = domain_key();
        let public = SigningKey::derive(&key).verifying_key();
        let from_label = |info| {
            let mut xi = B32::default();
            xi.copy_from_slice(seed(&key, info).as_ref());
            ExpandedSigningKey::<MlDsa65>::from_seed(&xi)
                .verifying_key()
                .encode()
        };
        let ml_dsa = &public.as_bytes()[1..=ML_DSA_PUBLIC_LEN];
        assert_eq!(ml_dsa, from_label(ML_DSA_SEED_INFO).as_slice());
        assert_ne!(ml_dsa, from_label(ED25519_SEED_INFO).as_slice());
        let ed25519 = |info| {
            ed25519_dalek::SigningKey::from_bytes(&seed(&key, info))
                .verifying_key()
                .to_bytes()
        };
        let half = &public.as_bytes()[1 + ML_DSA_PUBLIC_LEN..];
        assert_eq!(half, ed25519(ED25519_SEED_INFO));
        assert_ne!(half, ed25519(ML_DSA_SEED_INFO));
    }

    #[test]
    fn the_representative_is_label_context_length_context_message() {
        let bytes = representative(Context::Transcript, b"msg");
        let expected = [COMPOSITE_LABEL, &[21], b"custody transcript v1", b"msg"].concat();
        assert_eq!(bytes, expected);
        assert_eq!(Context::Manifest.as_bytes(), b"custody manifest v1");
    }
}
