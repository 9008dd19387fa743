//! Fuzz target: an archive catalog's batch and inclusion proof readers (docs/FORMAT.md 16.3,
//! 16.6; `catalog::parse_batch`, `Catalog::from_batches`, `Proof::from_json`). Even mode: the
//! rest is batch 1; a batch that parses re-encodes to the same bytes, the catalog it starts has
//! its digest as chain hash, and every archive's proof leads to the head. Odd mode: the rest is a
//! proof file; one that reads writes a file that reads back the same, and leads to some head or
//! is refused, never a panic.
#![no_main]

use custody::catalog::{encode_batch, parse_batch, Catalog, Proof};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let Ok(batch) = parse_batch(1, rest) else {
            return;
        };
        assert_eq!(
            encode_batch(1, batch.time, &batch.prev, &batch.entries),
            rest,
            "a parsed batch re-encodes differently"
        );
        let Ok(catalog) = Catalog::from_batches("fuzz", vec![(1, rest.to_vec())]) else {
            return;
        };
        assert_eq!(catalog.head().chain, batch.digest);
        for entry in catalog.archives() {
            let proof = catalog.prove(entry.name()).unwrap();
            assert_eq!(proof.head().ok(), Some(catalog.head()));
        }
    } else {
        let Ok(proof) = Proof::from_json(rest) else {
            return;
        };
        assert_eq!(Proof::from_json(proof.to_json().as_bytes()).ok(), Some(proof.clone()));
        let _ = proof.head();
    }
});
