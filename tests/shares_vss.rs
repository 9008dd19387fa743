//! Property and edge-case tests of the shares layer through its public API only: any t of n
//! rebuild the key, fewer are refused before combining, a damaged, foreign or repeated share is
//! named, and identifier 0 never appears.

// The crate's lints deny unwrap outside tests; clippy does not see these helpers as tests, but in
// this file an unwrap that fails is exactly a failed test.
#![allow(clippy::unwrap_used)]

use custody::primitives::key_identity::KeyId;
use custody::primitives::secret::DomainKey;
use custody::shares::{
    combine, generate_domain_key, split, verify, Share, SharesError, VerifierSet, SHARE_LEN,
};
use proptest::prelude::*;

/// A fresh copy through the byte layout (shares are deliberately not `Clone`).
fn copy(share: &Share) -> Share {
    Share::from_bytes(share.to_bytes().expose()).unwrap()
}

fn pick(shares: &[Share], mask: u32) -> Vec<Share> {
    shares
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, s)| copy(s))
        .collect()
}

/// Every subset of 0..n of exactly `size` members, as bit masks.
fn subsets(n: u8, size: u8) -> impl Iterator<Item = u32> {
    (0u32..(1 << n)).filter(move |mask| mask.count_ones() == u32::from(size))
}

/// A t-of-n split of a fresh key, with the key's id.
fn dealt(threshold: u8, count: u8) -> (DomainKey, Vec<Share>, VerifierSet, KeyId) {
    let key = generate_domain_key(None).unwrap();
    let (shares, verifiers) = split(&key, threshold, count).unwrap();
    let id = KeyId::of(&key);
    (key, shares, verifiers, id)
}

/// (t, n) with 2 <= t <= n <= 6, small enough to walk every subset.
fn threshold_and_count() -> impl Strategy<Value = (u8, u8)> {
    (2u8..=6).prop_flat_map(|n| (2u8..=n, Just(n)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn every_t_subset_rebuilds_the_key((t, n) in threshold_and_count()) {
        let (key, shares, verifiers, id) = dealt(t, n);
        for mask in subsets(n, t) {
            let rebuilt = combine(&pick(&shares, mask), t, &verifiers, &id).unwrap();
            prop_assert_eq!(rebuilt.expose(), key.expose());
        }
        // More than t is fine too: the first t are used.
        let rebuilt = combine(&shares, t, &verifiers, &id).unwrap();
        prop_assert_eq!(rebuilt.expose(), key.expose());
    }

    #[test]
    fn every_smaller_subset_is_refused_before_combining((t, n) in threshold_and_count()) {
        let (_, shares, verifiers, id) = dealt(t, n);
        for mask in subsets(n, t - 1) {
            let mut short = pick(&shares, mask);
            // A foreign share among them proves the refusal comes before any verification.
            let (_, foreign, _, _) = dealt(t, n);
            if let Some(last) = short.pop() {
                short.push(copy(foreign.iter().find(|s| s.identifier() == last.identifier()).unwrap()));
            }
            prop_assert_eq!(
                combine(&short, t, &verifiers, &id).unwrap_err(),
                SharesError::NotEnoughShares { given: t - 1, threshold: t }
            );
        }
    }

    #[test]
    fn a_flipped_bit_is_named_by_the_shares_identifier(
        (t, n) in threshold_and_count(),
        victim in any::<prop::sample::Index>(),
        bit in 0..SHARE_LEN * 8,
    ) {
        let (_, shares, verifiers, id) = dealt(t, n);
        let victim = victim.index(shares.len());
        let mut bytes = shares[victim].to_bytes().expose().to_vec();
        bytes[bit / 8] ^= 1 << (bit % 8);
        let Ok(damaged) = Share::from_bytes(&bytes) else {
            return Ok(()); // refused at parse: wrong version, identifier 0 or non-canonical
        };
        let claimed = damaged.identifier();
        prop_assert_eq!(
            verify(&damaged, &verifiers).unwrap_err(),
            SharesError::ShareNotInSet { identifier: claimed }
        );
        let mut offered: Vec<Share> = shares.iter().map(copy).collect();
        offered[victim] = damaged;
        match combine(&offered, t, &verifiers, &id).unwrap_err() {
            SharesError::SharesNotInSet { identifiers, .. } => prop_assert_eq!(identifiers, vec![claimed]),
            // A flipped identifier bit may land on another official's identifier.
            SharesError::DuplicateShare { identifier } => prop_assert_eq!(identifier, claimed),
            other => prop_assert!(false, "unexpected error {other}"),
        }
    }

    #[test]
    fn shares_of_another_split_are_refused_and_named((t, n) in threshold_and_count()) {
        let (key, shares, verifiers, id) = dealt(t, n);
        // Same key, second split: still another set, whose shares must not mix with ours.
        let (other, _) = split(&key, t, n).unwrap();
        let mut offered: Vec<Share> = shares.iter().map(copy).collect();
        offered[0] = copy(&other[0]);
        prop_assert_eq!(verify(&other[0], &verifiers).unwrap_err(), SharesError::ShareNotInSet { identifier: 1 });
        prop_assert_eq!(
            combine(&offered, t, &verifiers, &id).unwrap_err(),
            SharesError::SharesNotInSet { identifiers: vec![1], valid: usize::from(n) - 1, threshold: t }
        );
    }

    #[test]
    fn duplicate_shares_are_refused((t, n) in threshold_and_count()) {
        let (_, shares, verifiers, id) = dealt(t, n);
        let mut offered: Vec<Share> = shares.iter().take(usize::from(t)).map(copy).collect();
        offered.push(copy(&shares[0]));
        prop_assert_eq!(
            combine(&offered, t, &verifiers, &id).unwrap_err(),
            SharesError::DuplicateShare { identifier: 1 }
        );
    }

    #[test]
    fn identifiers_are_one_to_n_and_each_verifies((t, n) in threshold_and_count()) {
        let (_, shares, verifiers, _) = dealt(t, n);
        let identifiers: Vec<u8> = shares.iter().map(Share::identifier).collect();
        prop_assert_eq!(identifiers, (1..=n).collect::<Vec<u8>>());
        for share in &shares {
            prop_assert!(verify(share, &verifiers).is_ok());
        }
    }
}

#[test]
fn identifier_zero_is_refused_on_parse() {
    let (_, shares, _, _) = dealt(2, 3);
    let mut bytes = shares[0].to_bytes().expose().to_vec();
    bytes[1] = 0;
    assert_eq!(
        Share::from_bytes(&bytes).unwrap_err(),
        SharesError::ShareIdentifierZero
    );
}

#[test]
fn the_verifier_set_survives_its_byte_layout_and_still_rebuilds() {
    let (key, shares, verifiers, id) = dealt(3, 5);
    let loaded = VerifierSet::from_bytes(&verifiers.to_bytes()).unwrap();
    assert_eq!(loaded, verifiers);
    assert_eq!(
        combine(&shares[2..], 3, &loaded, &id).unwrap().expose(),
        key.expose()
    );
}

#[test]
fn a_threshold_that_disagrees_with_the_verifier_set_is_refused() {
    let (_, shares, verifiers, id) = dealt(3, 5);
    for threshold in [2, 4] {
        assert_eq!(
            combine(&shares, threshold, &verifiers, &id).unwrap_err(),
            SharesError::ThresholdMismatch {
                manifest: threshold,
                verifier_set: 3
            }
        );
    }
}

#[test]
fn a_verifier_set_and_shares_of_another_key_fail_the_key_id() {
    let (_, _, _, id) = dealt(2, 3);
    let (_, other_shares, other_verifiers, _) = dealt(2, 3);
    assert_eq!(
        combine(&other_shares, 2, &other_verifiers, &id).unwrap_err(),
        SharesError::KeyIdMismatch
    );
}

#[test]
fn share_debug_shows_no_share_bytes() {
    let (_, shares, _, _) = dealt(2, 3);
    for share in &shares {
        let text = format!("{share:?}");
        let bytes = share.to_bytes();
        for scalar in bytes.expose()[2..].chunks(32) {
            let hex: String = scalar.iter().map(|b| format!("{b:02x}")).collect();
            assert!(!text.contains(&hex[..8]), "{text}");
        }
        assert_eq!(
            text,
            format!(
                "Share {{ identifier: {}, value: [REDACTED] }}",
                share.identifier()
            )
        );
    }
}

#[test]
fn every_single_bit_flip_of_a_share_is_refused_and_named() {
    let (_, shares, verifiers, _) = dealt(2, 3);
    let original = shares[1].to_bytes().expose().to_vec();
    for bit in 0..SHARE_LEN * 8 {
        let mut bytes = original.clone();
        bytes[bit / 8] ^= 1 << (bit % 8);
        match Share::from_bytes(&bytes) {
            Err(SharesError::ShareVersion { .. }) => assert!(bit < 8, "bit {bit}"),
            Err(SharesError::ShareIdentifierZero) => assert!((8..16).contains(&bit), "bit {bit}"),
            Err(SharesError::ShareScalar { identifier }) => assert!(bit >= 16 && identifier == 2),
            Err(other) => panic!("bit {bit}: unexpected {other}"),
            Ok(damaged) => assert_eq!(
                verify(&damaged, &verifiers).unwrap_err(),
                SharesError::ShareNotInSet {
                    identifier: damaged.identifier()
                },
                "bit {bit}"
            ),
        }
    }
}
