//! The worked example of docs/FORMAT.md 14.7, regenerated: a request from a fixed X-Wing seed, a
//! contribution from fixed randomness and nonce, every value the document states compared, and
//! the contribution recomputed from the document's steps (13.3, 14.1–14.3) with the KEM, HKDF
//! and AES-256-GCM crates directly — not through custody's composition. `PRINT_EXAMPLE=1 cargo test
//! --test remote_format -- --nocapture` prints the values, for the document after a format change.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use custody::primitives::domain_id::DomainId;
use custody::primitives::secret::SecretBytes;
use custody::primitives::signature::DomainFingerprint;
use custody::remote::{Contribution, Purpose, Request, RequestSecret};
use sha2::{Digest, Sha256};
use x_wing::{Decapsulator, KeyExport};

fn bytes(range: std::ops::Range<u8>) -> Vec<u8> {
    range.collect()
}

/// The example's values, in the document's order: (name, bytes).
fn regenerate() -> Vec<(&'static str, Vec<u8>)> {
    let example = common::format_doc::section("### 5.10 Worked example");
    let sealed_share = common::format_doc::example_value(&example, "file");
    let share = bytes(0..0x42);
    let mut seed: [u8; 32] = bytes(0..0x20).try_into().unwrap();
    let secret = RequestSecret::from_seed(&mut seed);
    let request = Request {
        purpose: Purpose::Unlock,
        domain: DomainId::new("ee-registries").unwrap(),
        domain_fingerprint: DomainFingerprint::from_bytes(bytes(0x40..0x60).try_into().unwrap()),
        manifest_digest: bytes(0x60..0x80).try_into().unwrap(),
        chain_position: 1,
        epoch: 1,
        ceremony_id: bytes(0xc0..0xd0).try_into().unwrap(),
        created: 1_800_000_000,
        expires: 1_800_086_400,
        public_key: secret.public_key(),
    };
    let request_file = request.to_bytes();
    let fingerprint = request.fingerprint().0;
    let randomness: [u8; 64] = bytes(0x80..0xc0).try_into().unwrap();
    let nonce: [u8; 12] = bytes(0xa0..0xac).try_into().unwrap();
    let contribution = Contribution::seal_with(
        &request,
        "cio",
        (&sealed_share, &SecretBytes::new(share.clone())),
        &randomness,
        nonce,
    )
    .unwrap();
    let file = contribution.to_bytes();

    // The document's steps, with the crates directly.
    let seed: [u8; 32] = bytes(0..0x20).try_into().unwrap();
    let dk = x_wing::DecapsulationKey::from(seed);
    let public_key = dk.encapsulation_key().to_bytes().to_vec();
    assert_eq!(public_key, request.public_key);
    assert_eq!(&request_file[request_file.len() - 32..], &fingerprint);
    let (ct, ss) = dk
        .encapsulation_key()
        .encapsulate_deterministic(&randomness.into());
    let mut key = [0u8; 32];
    hkdf::Hkdf::<Sha256>::new(Some(&fingerprint), &ss)
        .expand(b"custody/contribution/v1/key", &mut key)
        .unwrap();
    let mut contents = vec![1u8];
    contents.extend_from_slice(&u16::try_from(sealed_share.len()).unwrap().to_be_bytes());
    contents.extend_from_slice(&sealed_share);
    contents.extend_from_slice(&66u16.to_be_bytes());
    contents.extend_from_slice(&share);
    let mut header = b"CUSTODY-CONTRIB\0\x01\x01".to_vec();
    header.extend_from_slice(&fingerprint);
    header.extend_from_slice(&bytes(0xc0..0xd0));
    header.push(3);
    header.extend_from_slice(b"cio");
    header.extend_from_slice(ct.as_slice());
    header.extend_from_slice(&nonce);
    header.extend_from_slice(&u16::try_from(contents.len() + 16).unwrap().to_be_bytes());
    let sealed = aes_gcm::Aes256Gcm::new(&key.into())
        .encrypt(
            &nonce.into(),
            Payload {
                msg: &contents,
                aad: &header,
            },
        )
        .unwrap();
    let mut expected = [header.clone(), sealed.clone()].concat();
    let checksum = Sha256::digest(&expected);
    expected.extend_from_slice(&checksum);
    assert_eq!(file, expected, "custody's contribution is the document's");
    let opened = Contribution::parse(&file).unwrap().open(&secret).unwrap();
    assert_eq!(opened.share.expose(), share.as_slice());

    vec![
        ("public-key-sha256", Sha256::digest(&public_key).to_vec()),
        ("request-sha256", Sha256::digest(&request_file).to_vec()),
        ("request-fingerprint", fingerprint.to_vec()),
        (
            "kem-ciphertext-sha256",
            Sha256::digest(ct.as_slice()).to_vec(),
        ),
        ("shared-secret", ss.to_vec()),
        ("contribution-key", key.to_vec()),
        ("header-sha256", Sha256::digest(&header).to_vec()),
        ("tag", sealed[sealed.len() - 16..].to_vec()),
        ("contribution-sha256", Sha256::digest(&file).to_vec()),
    ]
}

#[test]
fn worked_example_of_the_format_document() {
    let values = regenerate();
    if std::env::var("PRINT_EXAMPLE").is_ok() {
        for (name, value) in &values {
            println!("{name}:\n  {}", hex::encode(value));
        }
        return;
    }
    let example = common::format_doc::section("### 14.7 Worked example");
    for (name, value) in values {
        assert_eq!(
            common::format_doc::example_value(&example, name),
            value,
            "{name}"
        );
    }
}
