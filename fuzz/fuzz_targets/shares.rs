//! Fuzz target: the binary share encodings inside and beside a share file (docs/FORMAT.md 4.4
//! and 4.5): the 66-byte share plaintext (`Share::from_bytes`) and the verifier set
//! (`VerifierSet::from_bytes`, P-256 point decoding). Each is tried on the whole input; a value
//! that parses must re-encode to the same bytes. When the first 66 bytes are a share and the rest
//! a verifier set, the share is verified against it (section 4.6), which must not panic.
#![no_main]

use custody::shares::{verify, Share, VerifierSet, SHARE_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(share) = Share::from_bytes(data) {
        assert_eq!(
            share.to_bytes().expose(),
            data,
            "a share re-encodes differently"
        );
    }
    if let Ok(set) = VerifierSet::from_bytes(data) {
        assert_eq!(
            set.to_bytes(),
            data,
            "a verifier set re-encodes differently"
        );
    }
    if data.len() > SHARE_LEN {
        let (share, set) = data.split_at(SHARE_LEN);
        if let (Ok(share), Ok(set)) = (Share::from_bytes(share), VerifierSet::from_bytes(set)) {
            let _ = verify(&share, &set);
        }
    }
});
