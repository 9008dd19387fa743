//! Fuzz target: the domain signature's readers (docs/FORMAT.md section 10):
//! `VerifyingKey::from_bytes`, `Signature::from_bytes` and `VerifyingKey::verify`. The first byte
//! is a mode. An even mode reads the rest as an encoded verifying key and as an encoded
//! signature: whatever parses re-encodes to the same bytes. An odd mode reads the rest as
//! `pos_hi, pos_lo, byte` triples, each XORed into the worked example's verifying key and
//! signature laid end to end (section 10.5, key first): whatever still parses is verified over
//! the example's message, and verifies only when no byte changed — and never in the transcript's
//! context.
#![no_main]

use std::sync::OnceLock;

use custody::primitives::signature::{
    Context, Signature, SigningKey, VerifyingKey, VERIFYING_KEY_LEN,
};
use custody_fuzz::domain_key;
use libfuzzer_sys::fuzz_target;

/// The worked example's message.
const MESSAGE: &[u8] = b"custody self-test";

/// The worked example's verifying key followed by its signature.
fn example() -> &'static [u8] {
    static EXAMPLE: OnceLock<Vec<u8>> = OnceLock::new();
    EXAMPLE.get_or_init(|| {
        let key = SigningKey::derive(&domain_key());
        let signature = key.sign(Context::Manifest, MESSAGE).unwrap();
        [key.verifying_key().as_bytes(), signature.as_bytes()].concat()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        if let Ok(key) = VerifyingKey::from_bytes(rest) {
            assert_eq!(key.as_bytes(), rest);
        }
        if let Ok(signature) = Signature::from_bytes(rest) {
            assert_eq!(signature.as_bytes(), rest);
        }
        return;
    }
    let mut bytes = example().to_vec();
    for patch in rest.chunks_exact(3) {
        let at = usize::from(u16::from_be_bytes([patch[0], patch[1]])) % bytes.len();
        bytes[at] ^= patch[2];
    }
    let (key, signature) = bytes.split_at(VERIFYING_KEY_LEN);
    let (Ok(key), Ok(signature)) = (VerifyingKey::from_bytes(key), Signature::from_bytes(signature))
    else {
        return;
    };
    let verified = key.verify(Context::Manifest, MESSAGE, &signature).is_ok();
    assert_eq!(
        verified,
        bytes == example(),
        "an altered key or signature verified, or the example did not"
    );
    assert!(key.verify(Context::Transcript, MESSAGE, &signature).is_err());
});
