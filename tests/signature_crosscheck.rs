//! The domain signature checked by a second implementation, not custody's code path: custody
//! signs vectors (several domain keys, both contexts, empty to 64 KiB messages) and
//! tests/crosscheck/signature.py — pyca/cryptography (OpenSSL) and dilithium-py, written from
//! docs/FORMAT.md section 10 — derives the same keys, verifies every signature, reproduces the
//! deterministic bytes and refuses altered ones; then custody verifies the signatures Python made
//! (OpenSSL's hedged ML-DSA). Python comes from the environment tests/crosscheck/install.sh makes;
//! without it the test fails saying how to install it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use custody::primitives::secret::DomainKey;
use custody::primitives::signature::{Context, Signature, SigningKey, VerifyingKey};
use serde_json::{json, Value};

/// The Python of the cross-check environment.
fn python() -> PathBuf {
    common::crosscheck_python("signature")
}

fn context_name(context: Context) -> &'static str {
    match context {
        Context::Manifest => "manifest",
        Context::Transcript => "transcript",
    }
}

fn context_named(name: &str) -> Context {
    match name {
        "manifest" => Context::Manifest,
        "transcript" => Context::Transcript,
        other => panic!("unknown context {other}"),
    }
}

#[test]
fn a_second_implementation_verifies_custodys_signatures_and_custody_verifies_its() {
    let cases: [(u8, Context, Vec<u8>); 5] = [
        (0x00, Context::Manifest, b"custody self-test".to_vec()),
        (0x11, Context::Manifest, Vec::new()),
        (0x22, Context::Transcript, vec![0xab; 32]),
        (0x33, Context::Transcript, (0..=255).collect()),
        (0xfe, Context::Manifest, vec![0x5a; 64 * 1024]),
    ];
    let vectors: Vec<Value> = cases
        .iter()
        .map(|(fill, context, message)| {
            let raw: [u8; 32] =
                std::array::from_fn(|i| fill.wrapping_add(u8::try_from(i).unwrap()));
            let key = SigningKey::derive(&DomainKey::from_bytes(&mut raw.clone()));
            let public = key.verifying_key();
            let signature = key.sign(*context, message).unwrap();
            json!({
                "domain_key": hex::encode(raw),
                "context": context_name(*context),
                "message": hex::encode(message),
                "verifying_key": hex::encode(public.as_bytes()),
                "signature": hex::encode(signature.as_bytes()),
                "fingerprint": public.fingerprint().to_string(),
            })
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let vectors_path = dir.path().join("vectors.json");
    let made_path = dir.path().join("python.json");
    std::fs::write(&vectors_path, serde_json::to_vec(&vectors).unwrap()).unwrap();

    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/crosscheck/signature.py");
    let output = Command::new(python())
        .arg(script)
        .arg(&vectors_path)
        .arg(&made_path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the second implementation refused: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    let made: Vec<Value> = serde_json::from_slice(&std::fs::read(&made_path).unwrap()).unwrap();
    assert_eq!(made.len(), cases.len());
    for (entry, vector) in made.iter().zip(&vectors) {
        let field = |name: &str| hex::decode(entry[name].as_str().unwrap()).unwrap();
        assert_eq!(entry["verifying_key"], vector["verifying_key"]);
        let public = VerifyingKey::from_bytes(&field("verifying_key")).unwrap();
        let signature = Signature::from_bytes(&field("signature")).unwrap();
        let context = context_named(entry["context"].as_str().unwrap());
        public
            .verify(context, &field("message"), &signature)
            .unwrap();
    }
}
