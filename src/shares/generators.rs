//! The two Pedersen generators: G, the standard P-256 base point, and H, a point derived from a
//! public label so that nobody knows log_G(H). Fixing H (instead of vsss-rs's default of a fresh
//! random H per split, whose logarithm the dealer's generator knew) keeps commitments binding for
//! everyone and lets the verifier set carry only the t commitments.
//!
//! This module must never take input from outside: both generators are constants of the format.

use p256::elliptic_curve::group::GroupEncoding;
use p256::{CompressedPoint, ProjectivePoint};
use sha2::{Digest, Sha256};

use super::SharesError;

/// Domain-separation label hashed into H's x-coordinate.
pub(super) const BLINDER_GENERATOR_LABEL: &[u8] = b"custody/pedersen-blinder-generator/v1";

/// SEC1 tag of a compressed point with even y.
const EVEN_Y: u8 = 0x02;

/// The generator secret values are committed under: the P-256 base point.
pub(super) fn secret_generator() -> ProjectivePoint {
    ProjectivePoint::GENERATOR
}

/// H: for the smallest counter c in 0..=255 such that x = SHA-256(label || c) is the
/// x-coordinate of a curve point, the point (x, even y). About half of all x qualify, so c is
/// almost always 0 or 1; the input is public, so trying in turn leaks nothing.
pub(super) fn blinder_generator() -> Result<ProjectivePoint, SharesError> {
    for counter in 0..=u8::MAX {
        let x = Sha256::new()
            .chain_update(BLINDER_GENERATOR_LABEL)
            .chain_update([counter])
            .finalize();
        let mut encoded = CompressedPoint::default();
        encoded[0] = EVEN_Y;
        encoded[1..].copy_from_slice(&x);
        if let Some(point) = Option::<ProjectivePoint>::from(ProjectivePoint::from_bytes(&encoded))
        {
            return Ok(point);
        }
    }
    Err(SharesError::Internal(
        "no Pedersen blinder generator in 256 tries".to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// H as docs/FORMAT.md section 4.2 states it (counter 1), computed independently with Python's
    /// integers: y = rhs^((p+1)/4) mod p, checked y^2 == x^3 - 3x + b, counter 0 has no point.
    const BLINDER_GENERATOR_COMPRESSED: &str =
        "02a255fd67373cd74f5adc26195e77b55a2776489f1030308101494851c0d7dfdd";

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn blinder_generator_is_the_documented_point() {
        let h = blinder_generator().unwrap();
        assert_eq!(hex(&h.to_bytes()), BLINDER_GENERATOR_COMPRESSED);
    }

    #[test]
    fn generators_differ_and_are_not_the_identity() {
        let h = blinder_generator().unwrap();
        assert_ne!(h, secret_generator());
        assert_ne!(h, ProjectivePoint::IDENTITY);
    }
}
