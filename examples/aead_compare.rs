//! Compares the two AES-256-GCM implementations custody depends on, as D21 in docs/DECISIONS.md
//! records: RustCrypto `aes-gcm` and `ring`, one core, sealing 1 GiB in place in 1 MiB chunks
//! with a detached tag, best of 3. Keys and data are fixed dummies; nothing secret is involved.
//! Run in release mode:
//!
//! `cargo run --release --example aead_compare`
#![allow(clippy::print_stdout, reason = "a measuring tool reports on stdout")]

use std::time::Instant;

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};

const CHUNK: usize = 1 << 20;
const CHUNKS: u32 = 1024;

fn nonce(counter: u32) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[8..].copy_from_slice(&counter.to_be_bytes());
    nonce
}

/// MiB/s of the best of three runs of `seal_chunk` over `CHUNKS` chunks.
fn best_of_3(name: &str, seal_chunk: &mut dyn FnMut(u32, &mut [u8])) {
    let mut buffer = vec![0x5a_u8; CHUNK];
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        for counter in 0..CHUNKS {
            seal_chunk(counter, &mut buffer);
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!("{name:<12} {:>6.0} MiB/s", f64::from(CHUNKS) / best);
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = [0x42_u8; 32];
    let rust_crypto = Aes256Gcm::new_from_slice(&key)?;
    best_of_3("aes-gcm", &mut |counter, buffer| {
        let tag = rust_crypto
            .encrypt_inout_detached(&nonce(counter).into(), b"", buffer.into())
            .map(drop);
        assert!(tag.is_ok(), "aes-gcm refused to seal");
    });
    let ring_key =
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key).map_err(|_| "ring refused the key")?);
    best_of_3("ring", &mut |counter, buffer| {
        let tag = ring_key.seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce(counter)),
            Aad::empty(),
            buffer,
        );
        assert!(tag.is_ok(), "ring refused to seal");
    });
    Ok(())
}
