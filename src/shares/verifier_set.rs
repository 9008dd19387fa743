//! The public verifier set of one share set: the Pedersen commitments C_j = a_j·G + b_j·H to the
//! coefficients of the key polynomial f and the blinding polynomial r, one per degree, so exactly
//! threshold of them. Its byte layout (published in the manifest):
//!
//! | offset     | length | field                                                      |
//! |------------|--------|------------------------------------------------------------|
//! | 0          | 1      | version, `0x01`                                            |
//! | 1          | 1      | t, the number of commitments = the threshold, 2..=255      |
//! | 2 + 33·j   | 33     | C_j, SEC1 compressed, for j = 0..t                         |
//!
//! Loading validates every point (on the curve, not the identity). This module holds no secret;
//! it must never accept a set it has not validated.

use std::fmt;

use p256::elliptic_curve::group::GroupEncoding;
use p256::{CompressedPoint, ProjectivePoint};

use super::SharesError;

/// The only verifier-set layout this build writes and reads.
pub const VERIFIER_SET_FORMAT_VERSION: u8 = 1;

const HEADER_LEN: usize = 2;
const POINT_LEN: usize = 33;

/// Public commitments that let anyone check a share on its own and that bind every share of one
/// set to the same key. Perfectly hiding: they reveal nothing about the domain key.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierSet {
    commitments: Vec<ProjectivePoint>,
}

impl VerifierSet {
    /// Split builds the set; it checks 2 <= commitments.len() <= 255 before calling.
    pub(super) fn new(commitments: Vec<ProjectivePoint>) -> Self {
        Self { commitments }
    }

    /// The threshold this set commits to: the number of commitments.
    pub fn threshold(&self) -> u8 {
        // Every constructor guarantees at most 255 commitments.
        u8::try_from(self.commitments.len()).unwrap_or(u8::MAX)
    }

    pub(super) fn commitments(&self) -> &[ProjectivePoint] {
        &self.commitments
    }

    /// The byte layout described in this module's documentation.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(HEADER_LEN + POINT_LEN * self.commitments.len());
        bytes.extend_from_slice(&[VERIFIER_SET_FORMAT_VERSION, self.threshold()]);
        for commitment in &self.commitments {
            bytes.extend_from_slice(&commitment.to_bytes());
        }
        bytes
    }

    /// Parses and validates the byte layout: version, 2 <= t, exact length, and every commitment
    /// a compressed curve point other than the identity.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SharesError> {
        let malformed = |what: String| SharesError::VerifierSetMalformed(what);
        let (&[version, threshold], points) = bytes
            .split_first_chunk::<HEADER_LEN>()
            .ok_or_else(|| malformed(format!("{} bytes, shorter than its header", bytes.len())))?;
        if version != VERIFIER_SET_FORMAT_VERSION {
            return Err(malformed(format!(
                "version {version}, this build reads {VERIFIER_SET_FORMAT_VERSION}"
            )));
        }
        if threshold < 2 {
            return Err(malformed(format!(
                "threshold {threshold}, at least 2 is required"
            )));
        }
        let expected = usize::from(threshold) * POINT_LEN;
        if points.len() != expected {
            return Err(malformed(format!(
                "{} bytes of commitments, threshold {threshold} needs {expected}",
                points.len()
            )));
        }
        let commitments = points
            .chunks_exact(POINT_LEN)
            .enumerate()
            .map(|(index, chunk)| {
                parse_commitment(chunk).ok_or(SharesError::VerifierSetPoint { index })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(commitments))
    }
}

fn parse_commitment(chunk: &[u8]) -> Option<ProjectivePoint> {
    // The compressed tags only: p256 also decodes SEC1's compact form (tag 0x05, x alone), which
    // FORMAT.md 4.5 does not allow and which would give one set two encodings.
    if !matches!(chunk.first(), Some(0x02 | 0x03)) {
        return None;
    }
    let mut encoded = CompressedPoint::default();
    encoded.copy_from_slice(chunk);
    let point: Option<ProjectivePoint> = ProjectivePoint::from_bytes(&encoded).into();
    point.filter(|point| *point != ProjectivePoint::IDENTITY)
}

impl fmt::Debug for VerifierSet {
    /// Public values: the commitments in compressed hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = |point: &ProjectivePoint| -> String {
            point
                .to_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        f.debug_struct("VerifierSet")
            .field("threshold", &self.threshold())
            .field(
                "commitments",
                &self.commitments.iter().map(hex).collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use p256::Scalar;

    use super::*;

    fn sample(threshold: u64) -> VerifierSet {
        VerifierSet::new(
            (1..=threshold)
                .map(|j| ProjectivePoint::GENERATOR * Scalar::from(j))
                .collect(),
        )
    }

    #[test]
    fn bytes_round_trip_in_the_documented_layout() {
        let set = sample(3);
        let bytes = set.to_bytes();
        assert_eq!(bytes.len(), 2 + 3 * 33);
        assert_eq!(&bytes[..2], &[0x01, 0x03]);
        // C_0 = G, whose compressed form is SEC 2's base point with an odd-y tag.
        assert_eq!(bytes[2], 0x03);
        assert_eq!(&bytes[3..7], &[0x6b, 0x17, 0xd1, 0xf2]);
        assert_eq!(VerifierSet::from_bytes(&bytes).unwrap(), set);
        assert_eq!(set.threshold(), 3);
    }

    #[test]
    fn refuses_bad_header_and_length() {
        let good = sample(2).to_bytes();
        let refused = |bytes: &[u8]| {
            matches!(
                VerifierSet::from_bytes(bytes),
                Err(SharesError::VerifierSetMalformed(_))
            )
        };
        assert!(refused(&[]));
        assert!(refused(&[0x01]));
        assert!(refused(&good[..good.len() - 1]));
        assert!(refused(&[good.as_slice(), &[0]].concat()));
        let mut version = good.clone();
        version[0] = 0x02;
        assert!(refused(&version));
        let mut one = good.clone();
        one[1] = 1;
        assert!(refused(&one[..2 + 33]));
        let mut more = good;
        more[1] = 3;
        assert!(refused(&more));
    }

    #[test]
    fn refuses_off_curve_identity_and_uncompressed_points_naming_the_index() {
        let good = sample(2).to_bytes();
        let mut off_curve = good.clone();
        off_curve[2 + 33..].fill(0xff);
        off_curve[2 + 33] = 0x02;
        assert_eq!(
            VerifierSet::from_bytes(&off_curve).unwrap_err(),
            SharesError::VerifierSetPoint { index: 1 }
        );
        let mut identity = good.clone();
        identity[2..2 + 33].fill(0);
        assert_eq!(
            VerifierSet::from_bytes(&identity).unwrap_err(),
            SharesError::VerifierSetPoint { index: 0 }
        );
        let mut uncompressed_tag = good;
        uncompressed_tag[2] = 0x04;
        assert_eq!(
            VerifierSet::from_bytes(&uncompressed_tag).unwrap_err(),
            SharesError::VerifierSetPoint { index: 0 }
        );
    }

    /// Found by fuzzing (fuzz target `shares`): a commitment tagged 0x05, SEC1's compact form,
    /// decoded as the point with that x, so one verifier set had a second encoding.
    #[test]
    fn compact_point_tag_is_refused() {
        let good = sample(2).to_bytes();
        for tag in [0x00, 0x01, 0x05, 0x06, 0x07, 0xff] {
            let mut other_tag = good.clone();
            other_tag[2 + 33] = tag;
            assert_eq!(
                VerifierSet::from_bytes(&other_tag).unwrap_err(),
                SharesError::VerifierSetPoint { index: 1 },
                "tag {tag:#04x}"
            );
        }
    }
}
