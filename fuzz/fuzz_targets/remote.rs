//! Fuzz target: remote contribution's readers (docs/FORMAT.md 13 and 14) — the contribution
//! request, the contribution and the sealed request key, each binary or in its text form. What
//! parses must be what custody would write: a binary input re-encodes to the same bytes, and a
//! parsed request's fingerprint is its checksum.
#![no_main]

use custody::remote::{Contribution, Request, SealedRequestKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let binary = !custody::remote::armor::is_armored(data);
    if let Ok(request) = Request::parse(data) {
        if binary {
            assert_eq!(request.to_bytes(), data, "a parsed request re-encodes differently");
            assert_eq!(&request.fingerprint().0[..], &data[data.len() - 32..]);
        }
    }
    if let Ok(contribution) = Contribution::parse(data) {
        if binary {
            assert_eq!(contribution.to_bytes(), data, "a parsed contribution re-encodes differently");
        }
        let reread = Contribution::parse(contribution.to_armored().as_bytes()).unwrap();
        assert_eq!(reread, contribution);
    }
    if let Some(key) = SealedRequestKey::parse(data) {
        assert_eq!(key.to_bytes(), data);
    }
});
