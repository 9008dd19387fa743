//! Measures the post-quantum signature candidates for the manifest chain and the keyed transcript,
//! as D55 in docs/DECISIONS.md records: hybrid ML-DSA-65 + Ed25519 (RustCrypto `ml-dsa`,
//! `ed25519-dalek`) against SLH-DSA-SHA2-128s and -128f (RustCrypto `slh-dsa`). For each: key
//! generation from fixed seeds (what deriving the domain signing key costs), signing a 1 KiB
//! message (a manifest's size), verifying it, and the public key and signature sizes. Each time is
//! the median of several runs on one core; a last row times the chosen scheme through custody's
//! own `primitives::signature` (HKDF derivation, encodings and their strict parsing included). Seeds and message are fixed dummies; nothing secret is
//! involved. Run in release mode:
//!
//! `cargo run --release --example signature_compare`
#![allow(clippy::print_stdout, reason = "a measuring tool reports on stdout")]

use std::time::{Duration, Instant};

use custody::primitives::secret::DomainKey;
use custody::primitives::signature::{Context, Signature, SigningKey, VerifyingKey};
use ed25519_dalek::Signer as _;
use ml_dsa::{MlDsa65, B32};
use slh_dsa::{ParameterSet, Sha2_128f, Sha2_128s};

const MESSAGE: [u8; 1024] = [0x5a; 1024];
const CONTEXT: &[u8] = b"custody manifest v1";

/// The median time of `runs` calls of `work`.
fn median(runs: usize, work: &mut dyn FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn report(name: &str, keygen: Duration, sign: Duration, verify: Duration, sizes: (usize, usize)) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "| {name} | {:.3} | {:.3} | {:.3} | {} | {} |",
        ms(keygen),
        ms(sign),
        ms(verify),
        sizes.0,
        sizes.1
    );
}

fn hybrid(runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let seed = B32::from([7u8; 32]);
    let keygen = median(runs, &mut || {
        let pq = ml_dsa::SigningKey::<MlDsa65>::from_seed(&seed);
        let classic = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
        std::hint::black_box((pq.expanded_key().verifying_key(), classic.verifying_key()));
    });
    let pq = ml_dsa::SigningKey::<MlDsa65>::from_seed(&seed);
    let classic = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
    let expanded = pq.expanded_key();
    let mut signatures = None;
    let mut failed = false;
    let sign = median(
        runs,
        &mut || match expanded.sign_deterministic(&MESSAGE, CONTEXT) {
            Ok(signature) => signatures = Some((signature, classic.sign(&MESSAGE))),
            Err(_) => failed = true,
        },
    );
    let (pq_signature, classic_signature) = signatures.ok_or("ML-DSA signing failed")?;
    let pq_public = expanded.verifying_key();
    let classic_public = classic.verifying_key();
    let verify = median(runs, &mut || {
        let pq_ok = pq_public.verify_with_context(&MESSAGE, CONTEXT, &pq_signature);
        let classic_ok = classic_public
            .verify_strict(&MESSAGE, &classic_signature)
            .is_ok();
        failed |= !(pq_ok && classic_ok);
    });
    if failed {
        return Err("the hybrid signature did not verify".into());
    }
    let public = pq_public.encode().len() + classic_public.as_bytes().len();
    let signature = pq_signature.encode().len() + classic_signature.to_bytes().len();
    report(
        "ML-DSA-65 + Ed25519",
        keygen,
        sign,
        verify,
        (public, signature),
    );
    Ok(())
}

/// The chosen scheme through custody's own interface: derivation from the domain key (HKDF and
/// both key generations), signing, and parsing then verifying the encodings.
fn custody_path(runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let keygen = median(runs, &mut || {
        let key = SigningKey::derive(&DomainKey::from_bytes(&mut [7u8; 32]));
        std::hint::black_box(key.verifying_key());
    });
    let key = SigningKey::derive(&DomainKey::from_bytes(&mut [7u8; 32]));
    let mut signature = None;
    let sign = median(runs, &mut || {
        signature = key.sign(Context::Manifest, &MESSAGE).ok();
    });
    let signature = signature.ok_or("custody signing failed")?;
    let public = key.verifying_key();
    let mut failed = false;
    let verify = median(runs, &mut || {
        let parsed = VerifyingKey::from_bytes(public.as_bytes())
            .and_then(|key| Ok((key, Signature::from_bytes(signature.as_bytes())?)));
        failed |= parsed
            .and_then(|(key, signature)| key.verify(Context::Manifest, &MESSAGE, &signature))
            .is_err();
    });
    if failed {
        return Err("custody's signature did not verify".into());
    }
    report(
        "custody (derive, sign, parse + verify)",
        keygen,
        sign,
        verify,
        (public.as_bytes().len(), signature.as_bytes().len()),
    );
    Ok(())
}

fn slh<P: ParameterSet>(name: &str, runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let seed = [3u8; 16];
    let keygen = median(runs, &mut || {
        let key = slh_dsa::SigningKey::<P>::slh_keygen_internal(&seed, &seed, &seed);
        std::hint::black_box(key.as_ref().to_bytes());
    });
    let key = slh_dsa::SigningKey::<P>::slh_keygen_internal(&seed, &seed, &seed);
    let mut signature = None;
    let sign = median(runs, &mut || {
        signature = key.try_sign_with_context(&MESSAGE, CONTEXT, None).ok();
    });
    let signature = signature.ok_or("SLH-DSA signing failed")?;
    let public: &slh_dsa::VerifyingKey<P> = key.as_ref();
    let mut failed = false;
    let verify = median(runs, &mut || {
        failed |= public
            .try_verify_with_context(&MESSAGE, CONTEXT, &signature)
            .is_err();
    });
    if failed {
        return Err(format!("{name} did not verify").into());
    }
    report(
        name,
        keygen,
        sign,
        verify,
        (public.to_bytes().len(), signature.to_bytes().len()),
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("| scheme | keygen from seed (ms) | sign 1 KiB (ms) | verify (ms) | public key (bytes) | signature (bytes) |");
    println!("|---|---|---|---|---|---|");
    hybrid(51)?;
    custody_path(51)?;
    slh::<Sha2_128f>("SLH-DSA-SHA2-128f", 11)?;
    slh::<Sha2_128s>("SLH-DSA-SHA2-128s", 5)?;
    Ok(())
}
