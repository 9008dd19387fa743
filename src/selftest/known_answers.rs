//! The self-tests and their known answers. Each vector names its published source; each check runs
//! the same code path custody uses for real work (aws-lc-rs for archives, the `aes-gcm` crate for
//! share files, our own argon2id and key-wrap functions) and, for authenticated encryption, also
//! checks that a tampered tag is refused. The custody-specific answers were computed with an independent
//! implementation: the key id with Python's `hmac`, the domain signature with pyca/cryptography
//! (OpenSSL's ML-DSA-65 and Ed25519) and dilithium-py (tests/crosscheck/signature.py).

use aes_gcm::aead::{AeadInOut, KeyInit};
use hkdf::Hkdf;
use sha2::{Digest, Sha256};

use super::SelfTest;
use crate::primitives::aead::Aes256Gcm;
use crate::primitives::kdf::{self, KdfParams};
use crate::primitives::key_identity::KeyId;
use crate::primitives::key_wrap;
use crate::primitives::random;
use crate::primitives::secret::{DataKey, DomainKey};
use crate::primitives::signature::{Context, Signature, SigningKey};
use crate::shares::{combine, split, verify, Share};

/// Every power-on self-test, in the order they run.
pub const ALL: &[SelfTest] = &[
    SelfTest {
        name: "SHA-256",
        check: sha256,
    },
    SelfTest {
        name: "HMAC-SHA256 key id",
        check: key_id,
    },
    SelfTest {
        name: "HKDF-SHA256",
        check: hkdf_sha256,
    },
    SelfTest {
        name: "AES-256-GCM (archives, aws-lc-rs)",
        check: aes_gcm_archives,
    },
    SelfTest {
        name: "AES-256-GCM (share files, aes-gcm)",
        check: aes_gcm_share_files,
    },
    SelfTest {
        name: "AES-256 key wrap (RFC 3394)",
        check: aes_key_wrap,
    },
    SelfTest {
        name: "argon2id (RFC 9106)",
        check: argon2id,
    },
    SelfTest {
        name: "ML-DSA-65 + Ed25519 domain signature",
        check: domain_signature,
    },
    SelfTest {
        name: "Pedersen VSS round trip",
        check: vss_round_trip,
    },
    SelfTest {
        name: "OS random generator",
        check: randomness,
    },
];

/// McGrew and Viega, "The Galois/Counter Mode of Operation", test case 16 (256-bit key).
mod gcm {
    pub const KEY: &str = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
    pub const NONCE: &str = "cafebabefacedbaddecaf888";
    pub const AAD: &str = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
    pub const PLAINTEXT: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                                 1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
    pub const CIPHERTEXT: &str = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
                                  8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
    pub const TAG: &str = "76fc6ece0f4e1768cddf8853bb2d551b";
}

/// FIPS 180-2, appendix B.1: SHA-256("abc").
fn sha256() -> Result<(), String> {
    let digest = Sha256::digest(b"abc");
    expect(
        "digest",
        &digest,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    )
}

/// The key id (HMAC-SHA256 of `custody/key-id/v1`) of the key 00 01 … 1f.
fn key_id() -> Result<(), String> {
    let mut key = array("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")?;
    let id = KeyId::of(&DomainKey::from_bytes(&mut key));
    expect(
        "key id",
        id.as_bytes(),
        "19d04d77acdd5515953bbf1fa46a415569211520225facff688def151e6ca986",
    )
}

/// RFC 5869 appendix A.3: no salt and no info, as share sealing uses HKDF.
fn hkdf_sha256() -> Result<(), String> {
    let mut okm = [0u8; 42];
    Hkdf::<Sha256>::new(None, &[0x0b; 22])
        .expand(&[], &mut okm)
        .map_err(|_| "expansion refused".to_owned())?;
    expect(
        "output",
        &okm,
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
    )
}

fn aes_gcm_archives() -> Result<(), String> {
    let cipher = Aes256Gcm::new(&array(gcm::KEY)?).map_err(|_| "key refused".to_owned())?;
    let nonce = array(gcm::NONCE)?;
    let aad = bytes(gcm::AAD)?;
    let mut buffer = bytes(gcm::PLAINTEXT)?;
    cipher
        .seal_in_place(nonce, &aad, &mut buffer)
        .map_err(|_| "encryption refused".to_owned())?;
    expect(
        "ciphertext and tag",
        &buffer,
        &[gcm::CIPHERTEXT, gcm::TAG].concat(),
    )?;
    let mut tampered = buffer.clone();
    flip_last_bit(&mut tampered);
    if cipher.open_in_place(nonce, &aad, &mut tampered).is_ok() {
        return Err("a tampered tag was accepted".to_owned());
    }
    cipher
        .open_in_place(nonce, &aad, &mut buffer)
        .map_err(|_| "the genuine ciphertext was refused".to_owned())?;
    expect("decryption", &buffer, gcm::PLAINTEXT)
}

fn aes_gcm_share_files() -> Result<(), String> {
    let key: [u8; 32] = array(gcm::KEY)?;
    let cipher = aes_gcm::Aes256Gcm::new(&key.into());
    let nonce: [u8; 12] = array(gcm::NONCE)?;
    let aad = bytes(gcm::AAD)?;
    let mut buffer = bytes(gcm::PLAINTEXT)?;
    let tag = cipher
        .encrypt_inout_detached(&nonce.into(), &aad, buffer.as_mut_slice().into())
        .map_err(|_| "encryption refused".to_owned())?;
    expect("ciphertext", &buffer, gcm::CIPHERTEXT)?;
    expect("tag", &tag, gcm::TAG)?;
    let mut tampered = tag;
    flip_last_bit(&mut tampered);
    let mut copy = buffer.clone();
    let refused = cipher
        .decrypt_inout_detached(&nonce.into(), &aad, copy.as_mut_slice().into(), &tampered)
        .is_err();
    if !refused {
        return Err("a tampered tag was accepted".to_owned());
    }
    cipher
        .decrypt_inout_detached(&nonce.into(), &aad, buffer.as_mut_slice().into(), &tag)
        .map_err(|_| "the genuine ciphertext was refused".to_owned())?;
    expect("decryption", &buffer, gcm::PLAINTEXT)
}

/// RFC 3394 section 4.6: 256 bits of key data under a 256-bit KEK.
fn aes_key_wrap() -> Result<(), String> {
    let mut kek = array("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")?;
    let mut key = array("00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f")?;
    let wrapped = key_wrap::wrap(
        &DomainKey::from_bytes(&mut kek),
        &DataKey::from_bytes(&mut key),
    );
    expect(
        "wrapped key",
        &wrapped,
        "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21",
    )
}

/// RFC 9106 section 5.3: argon2id v0x13 with a secret and associated data.
fn argon2id() -> Result<(), String> {
    let params = KdfParams::new(32, 3, 4).map_err(|error| error.to_string())?;
    let tag = kdf::argon2id(&[0x01; 32], &[0x02; 16], &[0x03; 8], &[0x04; 12], &params)
        .map_err(|error| error.to_string())?;
    expect(
        "tag",
        tag.as_ref(),
        "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659",
    )
}

/// The domain signing key of the key 00 01 … 1f (docs/FORMAT.md, 10.5): its fingerprint, and the
/// SHA-256 of its deterministic signature of `custody self-test` as a manifest, which verifies;
/// the same signature with one bit changed does not.
fn domain_signature() -> Result<(), String> {
    let mut key = array("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")?;
    let signing_key = SigningKey::derive(&DomainKey::from_bytes(&mut key));
    let verifying_key = signing_key.verifying_key();
    expect(
        "fingerprint",
        verifying_key.fingerprint().as_bytes(),
        "19a7d0f2eb2f3132bbfcb0b5b1f4f20cf51c21c1cf2512b21fb2f54a8e50e2c2",
    )?;
    let message = b"custody self-test";
    let signature = signing_key
        .sign(Context::Manifest, message)
        .map_err(|error| error.to_string())?;
    expect(
        "signature digest",
        &Sha256::digest(signature.as_bytes()),
        "223a1448931167bdef1ca5ad45f5039a18a4ccce097e3bc9d451c0292169dcb7",
    )?;
    verifying_key
        .verify(Context::Manifest, message, &signature)
        .map_err(|_| "the genuine signature was refused".to_owned())?;
    let mut altered = signature.as_bytes().to_vec();
    flip_last_bit(&mut altered);
    let altered = Signature::from_bytes(&altered).map_err(|error| error.to_string())?;
    if verifying_key
        .verify(Context::Manifest, message, &altered)
        .is_ok()
    {
        return Err("an altered signature verified".to_owned());
    }
    Ok(())
}

/// Split a fixed key 2-of-3; every share verifies; every pair rebuilds the key (checked against
/// its key id); a share with one bit changed fails verification.
fn vss_round_trip() -> Result<(), String> {
    let mut raw = array("404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f")?;
    let key = DomainKey::from_bytes(&mut raw);
    let id = KeyId::of(&key);
    let (shares, verifiers) = split(&key, 2, 3).map_err(|error| error.to_string())?;
    for share in &shares {
        verify(share, &verifiers).map_err(|error| error.to_string())?;
    }
    for pair in [[0, 1], [0, 2], [1, 2]] {
        let quorum = [copy(&shares[pair[0]])?, copy(&shares[pair[1]])?];
        let rebuilt = combine(&quorum, 2, &verifiers, &id).map_err(|error| error.to_string())?;
        if rebuilt.expose() != key.expose() {
            return Err("a pair of shares rebuilt another key".to_owned());
        }
    }
    let mut altered = shares[0].to_bytes().expose().to_vec();
    flip_last_bit(&mut altered);
    let altered = Share::from_bytes(&altered).map_err(|error| error.to_string())?;
    if verify(&altered, &verifiers).is_ok() {
        return Err("an altered share verified".to_owned());
    }
    Ok(())
}

/// A continuous test of the OS generator: two draws are neither equal nor all zeros.
fn randomness() -> Result<(), String> {
    let mut first = [0u8; 32];
    let mut second = [0u8; 32];
    random::fill(&mut first).map_err(|error| error.to_string())?;
    random::fill(&mut second).map_err(|error| error.to_string())?;
    if first == second || first == [0; 32] {
        return Err("the generator repeated itself".to_owned());
    }
    Ok(())
}

/// Compares an answer with the expected hex, saying which value differed.
fn expect(what: &str, actual: &[u8], expected_hex: &str) -> Result<(), String> {
    if bytes(expected_hex)? == actual {
        Ok(())
    } else {
        Err(format!("{what} differs from the known answer"))
    }
}

fn bytes(text: &str) -> Result<Vec<u8>, String> {
    hex::decode(text).map_err(|_| format!("a test vector is not hex: {text}"))
}

fn array<const N: usize>(text: &str) -> Result<[u8; N], String> {
    bytes(text)?
        .try_into()
        .map_err(|_| format!("a test vector has the wrong length: {text}"))
}

/// A share through its byte layout and back: a second copy, and a check of the layout on the way.
fn copy(share: &Share) -> Result<Share, String> {
    Share::from_bytes(share.to_bytes().expose()).map_err(|error| error.to_string())
}

fn flip_last_bit(bytes: &mut [u8]) {
    if let Some(last) = bytes.last_mut() {
        *last ^= 1;
    }
}
