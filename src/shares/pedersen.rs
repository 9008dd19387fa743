//! The adapter to vsss-rs: the only module that names its types. It deals Pedersen shares,
//! checks one share against the commitments and interpolates the secret, converting to and from
//! our `Share` and `VerifierSet` at the boundary and wiping every vsss-rs share it owns.
//!
//! It must never decide whether an input is acceptable: vsss-rs checks next to nothing (it takes
//! identifier 0, returns a wrong secret for bad shares) and the callers in `split` and `combine`
//! run all our checks first. vsss-rs's own polynomial and split result are dropped unwiped inside
//! the library; we cannot reach them.

use p256::{ProjectivePoint, Scalar};
use rand::CryptoRng;
use vsss_rs::pedersen::{split_secret_with_participant_ids_iter, PedersenOptions};
use vsss_rs::{
    DefaultShare, IdentifierPrimeField, PedersenResult, PedersenVerifierSet, ReadableShareSet,
    ValueGroup,
};
use zeroize::Zeroize;

use super::generators::{blinder_generator, secret_generator};
use super::{Share, SharesError, VerifierSet};

type Field = IdentifierPrimeField<Scalar>;
type VsssShare = DefaultShare<Field, Field>;
type Verifier = ValueGroup<ProjectivePoint>;

/// Deals `count` shares at identifiers 1..=count of `secret` with a degree threshold-1
/// polynomial, plus its commitments under G and our fixed H.
pub(super) fn deal(
    secret: &Scalar,
    threshold: u8,
    count: u8,
    rng: impl CryptoRng,
) -> Result<(Vec<Share>, VerifierSet), SharesError> {
    let secret = Field::from(*secret);
    let options = PedersenOptions::<VsssShare, Verifier> {
        secret: &secret,
        blinder: None,
        secret_generator: Some(ValueGroup(secret_generator())),
        blinder_generator: Some(ValueGroup(blinder_generator()?)),
    };
    // Identifiers are exactly 1..=count: never 0, never vsss-rs's random identifiers.
    let identifiers = (1..=count).map(|x| Field::from(Scalar::from(u64::from(x))));
    let dealt = split_secret_with_participant_ids_iter(
        usize::from(threshold),
        usize::from(count),
        &options,
        rng,
        identifiers,
    );
    let mut secret = secret;
    secret.zeroize();
    let dealt = dealt.map_err(|error| SharesError::Internal(error.to_string()))?;
    let shares = (1..=count)
        .zip(dealt.secret_shares().iter().zip(dealt.blinder_shares()))
        .map(|(x, (value, blinder))| Share::new(x, value.value.0, blinder.value.0))
        .collect();
    // The set vsss-rs returns is [G, H, C_0, …, C_{t-1}]; G and H are constants of our format.
    let commitments =
        PedersenVerifierSet::<VsssShare, Verifier>::blind_verifiers(dealt.pedersen_verifier_set())
            .iter()
            .map(|commitment| commitment.0)
            .collect();
    Ok((shares, VerifierSet::new(commitments)))
}

/// Whether f(x)·G + r(x)·H equals the commitments evaluated at x.
pub(super) fn verifies(share: &Share, verifiers: &VerifierSet) -> Result<bool, SharesError> {
    let mut set: Vec<Verifier> = Vec::with_capacity(verifiers.commitments().len() + 2);
    set.push(ValueGroup(secret_generator()));
    set.push(ValueGroup(blinder_generator()?));
    set.extend(verifiers.commitments().iter().copied().map(ValueGroup));
    let mut value = vsss_share(share.identifier(), share.value());
    let mut blinder = vsss_share(share.identifier(), share.blinder());
    let verdict = set.verify_share_and_blinder(&value, &blinder).is_ok();
    value.zeroize();
    blinder.zeroize();
    Ok(verdict)
}

/// Lagrange interpolation at 0 of shares the caller has already checked.
pub(super) fn interpolate(shares: &[&Share]) -> Result<Scalar, SharesError> {
    let mut points: Vec<VsssShare> = shares
        .iter()
        .map(|share| vsss_share(share.identifier(), share.value()))
        .collect();
    let secret = points.combine();
    points.zeroize();
    secret
        .map(|value| value.0)
        .map_err(|error| SharesError::Internal(error.to_string()))
}

/// One polynomial's point (x, y) in vsss-rs form; the caller wipes it.
fn vsss_share(x: u8, y: &Scalar) -> VsssShare {
    VsssShare {
        identifier: Field::from(Scalar::from(u64::from(x))),
        value: Field::from(*y),
    }
}
