//! The domain signature (`primitives::signature`) through its public interface: round trips,
//! every refusal (wrong message, context or key; a changed bit anywhere in a signature or a key;
//! encodings that are not custody's), the derivation, and the worked example of docs/FORMAT.md
//! section 10 as a known-answer test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use custody::primitives::secret::DomainKey;
use custody::primitives::signature::{
    Context, DomainFingerprint, Signature, SignatureError, SigningKey, VerifyingKey, ALGORITHM,
    SIGNATURE_LEN, VERIFYING_KEY_LEN,
};
use custody::readout;
use sha2::{Digest, Sha256};

const MESSAGE: &[u8] = b"manifest bytes";

fn signing_key(fill: u8) -> SigningKey {
    SigningKey::derive(&DomainKey::from_bytes(&mut [fill; 32]))
}

/// Key 00 01 … 1f.
fn counting_key() -> SigningKey {
    let mut bytes: [u8; 32] = std::array::from_fn(|i| u8::try_from(i).unwrap());
    SigningKey::derive(&DomainKey::from_bytes(&mut bytes))
}

#[test]
fn a_signature_verifies_in_its_context_and_round_trips_through_bytes() {
    let key = signing_key(1);
    let public = key.verifying_key();
    for context in [Context::Manifest, Context::Transcript] {
        let signature = key.sign(context, MESSAGE).unwrap();
        assert_eq!(signature.as_bytes().len(), SIGNATURE_LEN);
        assert_eq!(signature.as_bytes()[0], ALGORITHM);
        public.verify(context, MESSAGE, &signature).unwrap();
        let parsed = Signature::from_bytes(signature.as_bytes()).unwrap();
        assert_eq!(parsed, signature);
        let parsed_key = VerifyingKey::from_bytes(public.as_bytes()).unwrap();
        assert_eq!(parsed_key, public);
        parsed_key.verify(context, MESSAGE, &parsed).unwrap();
    }
    let empty = key.sign(Context::Manifest, b"").unwrap();
    public.verify(Context::Manifest, b"", &empty).unwrap();
}

#[test]
fn wrong_message_context_or_key_is_refused() {
    let key = signing_key(1);
    let public = key.verifying_key();
    let signature = key.sign(Context::Manifest, MESSAGE).unwrap();
    let refused = Err(SignatureError::Invalid);
    assert_eq!(
        public.verify(Context::Manifest, b"manifest byteS", &signature),
        refused
    );
    assert_eq!(
        public.verify(Context::Manifest, b"manifest bytes ", &signature),
        refused
    );
    assert_eq!(
        public.verify(Context::Transcript, MESSAGE, &signature),
        refused
    );
    let other = signing_key(2).verifying_key();
    assert_eq!(
        other.verify(Context::Manifest, MESSAGE, &signature),
        refused
    );
}

/// Every byte of the signature, each with a different bit changed (so every bit position is hit),
/// is either refused by the parser or by verification.
#[test]
fn a_changed_bit_anywhere_in_the_signature_is_refused() {
    let key = signing_key(3);
    let public = key.verifying_key();
    let genuine = key.sign(Context::Transcript, MESSAGE).unwrap();
    for index in 0..SIGNATURE_LEN {
        let mut bytes = genuine.as_bytes().to_vec();
        bytes[index] ^= 1 << (index % 8);
        let accepted = Signature::from_bytes(&bytes).is_ok_and(|altered| {
            public
                .verify(Context::Transcript, MESSAGE, &altered)
                .is_ok()
        });
        assert!(!accepted, "a signature with byte {index} changed verified");
    }
}

#[test]
fn a_changed_bit_anywhere_in_the_verifying_key_is_refused() {
    let key = signing_key(4);
    let genuine = key.verifying_key();
    let signature = key.sign(Context::Manifest, MESSAGE).unwrap();
    for index in 0..VERIFYING_KEY_LEN {
        let mut bytes = genuine.as_bytes().to_vec();
        bytes[index] ^= 1 << (index % 8);
        let accepted = VerifyingKey::from_bytes(&bytes).is_ok_and(|altered| {
            altered
                .verify(Context::Manifest, MESSAGE, &signature)
                .is_ok()
        });
        assert!(
            !accepted,
            "a verifying key with byte {index} changed verified"
        );
    }
}

#[test]
fn encodings_that_are_not_custodys_are_refused_by_the_parsers() {
    let key = signing_key(5);
    let public = key.verifying_key().as_bytes().to_vec();
    let signature = key
        .sign(Context::Manifest, MESSAGE)
        .unwrap()
        .as_bytes()
        .to_vec();

    let short = &public[..VERIFYING_KEY_LEN - 1];
    assert_eq!(
        VerifyingKey::from_bytes(short),
        Err(SignatureError::VerifyingKeyLength(VERIFYING_KEY_LEN - 1))
    );
    let long = [public.as_slice(), &[0]].concat();
    assert_eq!(
        VerifyingKey::from_bytes(&long),
        Err(SignatureError::VerifyingKeyLength(VERIFYING_KEY_LEN + 1))
    );
    assert_eq!(
        Signature::from_bytes(&signature[1..]),
        Err(SignatureError::SignatureLength(SIGNATURE_LEN - 1))
    );
    assert_eq!(
        Signature::from_bytes(&[]),
        Err(SignatureError::SignatureLength(0))
    );

    let mut retagged = public.clone();
    retagged[0] = 0x02;
    assert_eq!(
        VerifyingKey::from_bytes(&retagged),
        Err(SignatureError::UnknownAlgorithm(0x02))
    );
    let mut retagged = signature.clone();
    retagged[0] = 0x00;
    assert_eq!(
        Signature::from_bytes(&retagged),
        Err(SignatureError::UnknownAlgorithm(0x00))
    );

    // Ed25519 halves: the identity (small order); y = p + 3, a non-canonical encoding of the
    // large-order point with y = 3, which decompression accepts; y = 2, on no point of the curve.
    let ed25519 = VERIFYING_KEY_LEN - 32;
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut non_canonical = [0xffu8; 32];
    non_canonical[0] = 0xf0;
    non_canonical[31] = 0x7f;
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    for half in [identity, non_canonical, not_a_point] {
        let mut bytes = public.clone();
        bytes[ed25519..].copy_from_slice(&half);
        assert_eq!(
            VerifyingKey::from_bytes(&bytes),
            Err(SignatureError::InvalidEd25519Key),
            "{}",
            hex::encode(half)
        );
    }

    // The ML-DSA-65 hint occupies the last ω + k = 61 bytes of its half; all 0xff is not a
    // canonical hint.
    let mut malformed = signature.clone();
    malformed[SIGNATURE_LEN - 64 - 61..SIGNATURE_LEN - 64].fill(0xff);
    assert_eq!(
        Signature::from_bytes(&malformed),
        Err(SignatureError::MalformedSignature)
    );
}

#[test]
fn the_derivation_is_deterministic_and_depends_on_the_whole_domain_key() {
    let first = signing_key(6).verifying_key();
    assert_eq!(signing_key(6).verifying_key(), first);
    let mut other = [6u8; 32];
    other[31] = 7;
    let other = SigningKey::derive(&DomainKey::from_bytes(&mut other)).verifying_key();
    assert_ne!(other.as_bytes()[1..1953], first.as_bytes()[1..1953]);
    assert_ne!(other.as_bytes()[1953..], first.as_bytes()[1953..]);
    assert_ne!(other.fingerprint(), first.fingerprint());
    // Deterministic signing: the same key, context and message give the same bytes.
    let a = signing_key(6).sign(Context::Manifest, MESSAGE).unwrap();
    let b = signing_key(6).sign(Context::Manifest, MESSAGE).unwrap();
    assert_eq!(a, b);
}

#[test]
fn debug_shows_no_secret_and_names_the_public_values() {
    let key = counting_key();
    assert_eq!(format!("{key:?}"), "SigningKey([REDACTED])");
    let public = key.verifying_key();
    let fingerprint = public.fingerprint();
    assert_eq!(
        format!("{public:?}"),
        format!("VerifyingKey(fingerprint {fingerprint})")
    );
    assert_eq!(
        format!("{fingerprint:?}"),
        format!("DomainFingerprint({fingerprint})")
    );
    let signature = key.sign(Context::Manifest, MESSAGE).unwrap();
    assert_eq!(format!("{signature:?}"), "Signature(3374 bytes)");
    assert_eq!(format!("{:?}", Context::Transcript), "Transcript");
}

#[test]
fn the_fingerprint_is_the_sha256_of_the_encoded_verifying_key() {
    let public = counting_key().verifying_key();
    let digest: [u8; 32] = Sha256::digest(public.as_bytes()).into();
    let fingerprint = public.fingerprint();
    assert_eq!(fingerprint.as_bytes(), &digest);
    assert_eq!(DomainFingerprint::from_bytes(digest), fingerprint);
    assert_eq!(fingerprint.to_string(), hex::encode(digest));
}

#[test]
fn errors_say_what_is_wrong() {
    assert_eq!(
        SignatureError::VerifyingKeyLength(3).to_string(),
        "a domain verifying key is 1985 bytes, this one is 3"
    );
    assert_eq!(
        SignatureError::UnknownAlgorithm(2).to_string(),
        "unknown signature algorithm 0x02 (this custody knows 0x01, ML-DSA-65 with Ed25519); it \
         was written by another tool or a newer custody"
    );
    assert_eq!(
        SignatureError::Invalid.to_string(),
        "the domain signature does not verify"
    );
    assert_eq!(
        SignatureError::SigningFailed.to_string(),
        "signing failed: no valid signature came out, and none was released; check this machine \
         (`custody selftest`) and retry"
    );
}

/// docs/FORMAT.md section 10.5: custody derives exactly the key, fingerprint (hex and words) and
/// signature the document lists (computed there independently, tests/crosscheck/signature.py).
#[test]
fn worked_example_of_the_format_document() {
    let example = common::format_doc::section("### 10.5 Worked example");
    let value = |name| common::format_doc::example_value(&example, name);
    let mut domain_key: [u8; 32] = value("domain-key").try_into().unwrap();
    let key = SigningKey::derive(&DomainKey::from_bytes(&mut domain_key));
    let public = key.verifying_key();
    assert_eq!(public.as_bytes(), value("verifying-key"));
    assert_eq!(
        public.fingerprint().as_bytes().as_slice(),
        value("fingerprint")
    );
    let message = value("message");
    assert_eq!(message, b"custody self-test");
    let signature = key.sign(Context::Manifest, &message).unwrap();
    assert_eq!(
        Sha256::digest(signature.as_bytes()).as_slice(),
        value("signature-sha256")
    );
    assert_eq!(signature.as_bytes()[..32], value("signature-start"));
    assert_eq!(
        signature.as_bytes()[SIGNATURE_LEN - 64..],
        value("ed25519-signature")
    );
    let parsed = Signature::from_bytes(signature.as_bytes()).unwrap();
    public.verify(Context::Manifest, &message, &parsed).unwrap();

    let fingerprint = public.fingerprint();
    let hex_line = format!(
        "fingerprint (hex): {}",
        readout::hex_groups(fingerprint.as_bytes())
    );
    let words_line = format!(
        "fingerprint (words): {}",
        readout::pgp_words(fingerprint.as_bytes())
    );
    let flat = example.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(&hex_line), "FORMAT.md lacks `{hex_line}`");
    assert!(flat.contains(&words_line), "FORMAT.md lacks `{words_line}`");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Arbitrary bytes of the right lengths, tagged as custody's: the parsers never panic, and
    /// whatever they accept never verifies.
    #[test]
    fn arbitrary_encodings_never_panic_and_never_verify(
        key_body in proptest::collection::vec(proptest::prelude::any::<u8>(), VERIFYING_KEY_LEN - 1),
        signature_body in proptest::collection::vec(proptest::prelude::any::<u8>(), SIGNATURE_LEN - 1),
    ) {
        let genuine = signing_key(8);
        let key = VerifyingKey::from_bytes(&[&[ALGORITHM], key_body.as_slice()].concat());
        let signature = Signature::from_bytes(&[&[ALGORITHM], signature_body.as_slice()].concat());
        if let Ok(signature) = &signature {
            proptest::prop_assert!(genuine
                .verifying_key()
                .verify(Context::Manifest, MESSAGE, signature)
                .is_err());
            if let Ok(key) = &key {
                proptest::prop_assert!(key.verify(Context::Manifest, MESSAGE, signature).is_err());
            }
        }
    }
}
