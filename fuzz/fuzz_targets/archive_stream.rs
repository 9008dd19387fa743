//! Fuzz target: the archive payload reader (docs/FORMAT.md 7.3 and 7.4 steps 5–7,
//! `Archive::open_with_key`), with the worked example's data key, so no HSM is needed.
//!
//! Input: one mode byte, then the rest. Low bit clear: the rest is the payload after a fixed
//! valid header (4 KiB chunks), opened. Low bit set: the rest is `op, pos_hi, pos_lo,
//! plaintext`; the plaintext is sealed (declaring its size when the mode's bit 1 is set), must
//! open to itself, and then, altered as `op` says (flip a bit, cut, append a byte) at `pos`, must
//! not open at all.
#![no_main]

use std::sync::OnceLock;

use custody::archive::stream::TAG_LEN;
use custody::archive::Archive;
use custody_fuzz::{data_key, seal};
use libfuzzer_sys::fuzz_target;

/// Opens `archive`; the payload on success.
fn open(archive: &[u8]) -> Option<Vec<u8>> {
    let mut payload = Vec::new();
    Archive::read(archive)
        .ok()?
        .open_with_key(&data_key(), &mut payload, &|_| {})
        .ok()
        .map(|_| payload)
}

fn raw_payload(payload: &[u8]) {
    static HEADER: OnceLock<Vec<u8>> = OnceLock::new();
    // An empty archive is the header and one empty final chunk (its tag alone).
    let header = HEADER.get_or_init(|| {
        let mut empty = seal(&[], false);
        empty.truncate(empty.len() - TAG_LEN);
        empty
    });
    let mut archive = header.clone();
    archive.extend_from_slice(payload);
    let _ = open(&archive);
}

fn round_trip(mode: u8, rest: &[u8]) {
    let [op, hi, lo, plaintext @ ..] = rest else {
        return;
    };
    let archive = seal(plaintext, mode & 2 == 2);
    assert_eq!(
        open(&archive).as_deref(),
        Some(plaintext),
        "a sealed archive does not open"
    );
    let pos = usize::from(u16::from_be_bytes([*hi, *lo])) % archive.len();
    let mut altered = archive.clone();
    match op % 3 {
        0 => altered[pos] ^= 1 << (op >> 5),
        1 => altered.truncate(pos),
        _ => altered.insert(pos, *op),
    }
    assert_eq!(
        open(&altered),
        None,
        "an altered archive opens (op {op}, at {pos})"
    );
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((&mode, rest)) if mode & 1 == 1 => round_trip(mode, rest),
        Some((_, rest)) => raw_payload(rest),
        None => {}
    }
});
