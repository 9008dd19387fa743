//! Compares AES-256-GCM implementations as D21 and D85 in docs/DECISIONS.md record: RustCrypto
//! `aes-gcm`, `ring` and `aws-lc-rs` (custody's, through `primitives::aead`), sealing and opening
//! 1 MiB chunks in place with a detached tag, on one core and on every core at once (one key
//! shared, one buffer per thread), best of 3. Opening re-copies the sealed chunk before each
//! open; that copy is timed alone and subtracted. Keys and data are fixed dummies; nothing
//! secret is involved. Run in release mode:
//!
//! `cargo run --release --example aead_compare`
#![allow(clippy::print_stdout, reason = "a measuring tool reports on stdout")]

use std::thread;
use std::time::Instant;

use aes_gcm::aead::AeadInOut;
use aes_gcm::KeyInit;

const CHUNK: usize = 1 << 20;
const CHUNKS: u32 = 512;
const KEY: [u8; 32] = [0x42; 32];
const NONCE: [u8; 12] = [7; 12];

/// Seals a chunk in place and returns the tag.
type Seal = Box<dyn Fn(&mut [u8]) -> [u8; 16] + Sync>;
/// Opens a chunk (tag appended) in place; whether it authenticated.
type Open = Box<dyn Fn(&mut [u8]) -> bool + Sync>;

/// One implementation.
struct Candidate {
    name: &'static str,
    seal: Seal,
    open: Open,
}

fn candidates() -> Result<Vec<Candidate>, Box<dyn std::error::Error>> {
    let rust_crypto = aes_gcm::Aes256Gcm::new_from_slice(&KEY)?;
    let rust_crypto_open = rust_crypto.clone();
    let ring_key = ring::aead::LessSafeKey::new(
        ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, &KEY).map_err(|_| "ring: key")?,
    );
    let ring_open = ring::aead::LessSafeKey::new(
        ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, &KEY).map_err(|_| "ring: key")?,
    );
    let aws = custody::primitives::aead::Aes256Gcm::new(&KEY)?;
    let aws_open = custody::primitives::aead::Aes256Gcm::new(&KEY)?;
    Ok(vec![
        Candidate {
            name: "aes-gcm",
            seal: Box::new(move |chunk| {
                rust_crypto
                    .encrypt_inout_detached(&NONCE.into(), b"", chunk.into())
                    .map_or([0; 16], Into::into)
            }),
            open: Box::new(move |chunk| {
                let (body, tag) = chunk.split_at_mut(CHUNK);
                let tag = aes_gcm::Tag::try_from(&*tag);
                tag.is_ok_and(|tag| {
                    rust_crypto_open
                        .decrypt_inout_detached(&NONCE.into(), b"", body.into(), &tag)
                        .is_ok()
                })
            }),
        },
        Candidate {
            name: "ring",
            seal: Box::new(move |chunk| {
                let nonce = ring::aead::Nonce::assume_unique_for_key(NONCE);
                ring_key
                    .seal_in_place_separate_tag(nonce, ring::aead::Aad::empty(), chunk)
                    .ok()
                    .and_then(|tag| tag.as_ref().try_into().ok())
                    .unwrap_or([0; 16])
            }),
            open: Box::new(move |chunk| {
                let nonce = ring::aead::Nonce::assume_unique_for_key(NONCE);
                ring_open
                    .open_in_place(nonce, ring::aead::Aad::empty(), chunk)
                    .is_ok()
            }),
        },
        Candidate {
            name: "aws-lc-rs",
            seal: Box::new(move |chunk| aws.seal_detached(NONCE, b"", chunk).unwrap_or([0; 16])),
            open: Box::new(move |chunk| aws_open.open_detached(NONCE, b"", chunk).is_ok()),
        },
    ])
}

/// Seconds of the best of three runs of `round` over `CHUNKS` chunks on each of `threads` threads.
fn best_of_3(threads: usize, round: &(dyn Fn(&mut Vec<u8>) + Sync)) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    let mut buffer = vec![0x5a_u8; CHUNK + 16];
                    for _ in 0..CHUNKS {
                        round(&mut buffer);
                    }
                });
            }
        });
        best = best.min(start.elapsed().as_secs_f64());
    }
    best
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cores = thread::available_parallelism().map_or(1, usize::from);
    println!("| implementation | cores | seal MiB/s | open MiB/s |\n|---|---|---|---|");
    for candidate in candidates()? {
        let mut sealed = vec![0x5a_u8; CHUNK];
        let tag = (candidate.seal)(&mut sealed);
        sealed.extend_from_slice(&tag);
        for threads in [1, cores] {
            let seal = best_of_3(threads, &|buffer| {
                std::hint::black_box((candidate.seal)(&mut buffer[..CHUNK]));
            });
            let copy = best_of_3(threads, &|buffer| buffer.copy_from_slice(&sealed));
            let open = best_of_3(threads, &|buffer| {
                buffer.copy_from_slice(&sealed);
                assert!(
                    (candidate.open)(buffer),
                    "{} refused to open",
                    candidate.name
                );
            });
            let per_second = |seconds: f64| f64::from(CHUNKS) * threads as f64 / seconds;
            println!(
                "| {} | {threads} | {:.0} | {:.0} |",
                candidate.name,
                per_second(seal),
                per_second(open - copy)
            );
        }
    }
    Ok(())
}
