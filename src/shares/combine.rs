//! Checking shares and rebuilding the domain key from them. vsss-rs would combine anything, so
//! every check is here, in this order: the manifest's threshold matches the verifier set; at least
//! t shares (refused before any combining); identifiers distinct; every share verified against
//! the verifier set, failures named by identifier; exactly t shares combined; the result checked
//! against the manifest's key id in constant time. It must never return a key that failed a check.

use zeroize::Zeroize;

use super::domain_key::scalar_to_key;
use super::{pedersen, Share, SharesError, VerifierSet};
use crate::primitives::key_identity::KeyId;
use crate::primitives::secret::DomainKey;

/// Checks one share against its set's verifier set, on its own (no other share needed).
pub fn verify(share: &Share, verifiers: &VerifierSet) -> Result<(), SharesError> {
    if pedersen::verifies(share, verifiers)? {
        Ok(())
    } else {
        Err(SharesError::ShareNotInSet {
            identifier: share.identifier(),
        })
    }
}

/// Rebuilds the domain key from `shares` under the threshold of the authenticated manifest, its
/// verifier set and its key id. All shares are verified; if any fails, nothing is combined and
/// every failing identifier is named. Otherwise the first `threshold` shares are combined.
pub fn combine(
    shares: &[Share],
    threshold: u8,
    verifiers: &VerifierSet,
    expected: &KeyId,
) -> Result<DomainKey, SharesError> {
    if verifiers.threshold() != threshold {
        return Err(SharesError::ThresholdMismatch {
            manifest: threshold,
            verifier_set: verifiers.threshold(),
        });
    }
    check_enough(shares.len(), threshold)?;
    check_distinct(shares)?;
    check_all_verify(shares, threshold, verifiers)?;
    let quorum: Vec<&Share> = shares.iter().take(usize::from(threshold)).collect();
    let mut secret = pedersen::interpolate(&quorum)?;
    let key = scalar_to_key(&secret);
    secret.zeroize();
    if expected.matches(&key) {
        Ok(key)
    } else {
        Err(SharesError::KeyIdMismatch)
    }
}

fn check_enough(given: usize, threshold: u8) -> Result<(), SharesError> {
    if given < usize::from(threshold) {
        // given < threshold <= 255, so it fits.
        let given = u8::try_from(given).unwrap_or(u8::MAX);
        return Err(SharesError::NotEnoughShares { given, threshold });
    }
    Ok(())
}

fn check_distinct(shares: &[Share]) -> Result<(), SharesError> {
    let mut seen = [false; 256];
    for share in shares {
        let slot = &mut seen[usize::from(share.identifier())];
        if *slot {
            return Err(SharesError::DuplicateShare {
                identifier: share.identifier(),
            });
        }
        *slot = true;
    }
    Ok(())
}

fn check_all_verify(
    shares: &[Share],
    threshold: u8,
    verifiers: &VerifierSet,
) -> Result<(), SharesError> {
    let mut failed = Vec::new();
    for share in shares {
        if !pedersen::verifies(share, verifiers)? {
            failed.push(share.identifier());
        }
    }
    if failed.is_empty() {
        return Ok(());
    }
    let valid = shares.len() - failed.len();
    Err(SharesError::SharesNotInSet {
        identifiers: failed,
        valid,
        threshold,
    })
}
