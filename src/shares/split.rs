//! Splitting a domain key into t-of-n Pedersen shares. Owns the checks that come before dealing:
//! 2 <= t <= n <= 255 and a key that is a non-zero scalar. It must never return a share with
//! identifier 0, keep the key, or draw its randomness from anything but the OS generator.

use rand::rngs::StdRng;
use rand::SeedableRng;
use zeroize::{Zeroize, Zeroizing};

use super::domain_key::key_scalar;
use super::{pedersen, Share, SharesError, VerifierSet};
use crate::primitives::random;
use crate::primitives::secret::DomainKey;

/// Splits `key` into `count` shares, identifiers 1..=count, any `threshold` of which rebuild it,
/// and returns them with the public verifier set that checks each one.
pub fn split(
    key: &DomainKey,
    threshold: u8,
    count: u8,
) -> Result<(Vec<Share>, VerifierSet), SharesError> {
    check_threshold(threshold, count)?;
    let mut secret = key_scalar(key.expose()).ok_or(SharesError::KeyNotAScalar)?;
    let dealt =
        polynomial_randomness().and_then(|rng| pedersen::deal(&secret, threshold, count, rng));
    secret.zeroize();
    dealt
}

/// Refuses any t-of-n outside 2 <= t <= n (n <= 255 holds by type).
pub(super) fn check_threshold(threshold: u8, count: u8) -> Result<(), SharesError> {
    if threshold < 2 || threshold > count {
        return Err(SharesError::ThresholdOutOfRange { threshold, count });
    }
    Ok(())
}

/// A ChaCha generator seeded from the OS: vsss-rs needs an infallible generator, and seeding
/// one ourselves turns an OS failure into an error instead of the panic `rand::rng()` would give.
fn polynomial_randomness() -> Result<StdRng, SharesError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    random::fill(&mut seed[..]).map_err(|error| SharesError::Entropy(error.0))?;
    Ok(StdRng::from_seed(*seed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shares::generate_domain_key;

    #[test]
    fn identifiers_are_exactly_one_to_n() {
        let key = generate_domain_key(None).unwrap();
        let (shares, verifiers) = split(&key, 3, 5).unwrap();
        let identifiers: Vec<u8> = shares.iter().map(Share::identifier).collect();
        assert_eq!(identifiers, [1, 2, 3, 4, 5]);
        assert_eq!(verifiers.threshold(), 3);
    }

    #[test]
    fn refuses_threshold_outside_two_to_n() {
        let key = generate_domain_key(None).unwrap();
        for (threshold, count) in [(0, 3), (1, 3), (4, 3), (2, 0), (2, 1)] {
            assert_eq!(
                split(&key, threshold, count).unwrap_err(),
                SharesError::ThresholdOutOfRange { threshold, count }
            );
        }
        assert!(split(&key, 2, 2).is_ok());
    }

    #[test]
    fn refuses_a_key_that_is_not_a_non_zero_scalar() {
        for mut bytes in [[0u8; 32], [0xff; 32]] {
            let key = DomainKey::from_bytes(&mut bytes);
            assert_eq!(split(&key, 2, 3).unwrap_err(), SharesError::KeyNotAScalar);
        }
    }
}
