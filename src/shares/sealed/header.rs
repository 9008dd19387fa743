//! The public facts a sealed share file states about itself: which domain (by id and by
//! fingerprint), epoch, share set, chain position, share and official it belongs to, and the
//! threshold. This module owns their validation and
//! the comparison against what a caller expected. It holds nothing secret and does no I/O.

use super::error::SealedShareError;
pub use crate::primitives::domain_id::MAX_DOMAIN_LEN;
use crate::primitives::domain_id::{check_identifier, IdentifierProblem};
use crate::primitives::signature::DomainFingerprint;

/// Longest official id, in bytes.
pub const MAX_OFFICIAL_LEN: usize = 32;

/// Length of a share-set id.
pub const SET_ID_LEN: usize = 16;

/// Who and what a share file is for. Every field is bound into the file's AES-GCM associated
/// data, so an edited header makes the file fail to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareHeader {
    /// Domain id, `[a-z0-9-]{1,64}` (e.g. `ee-registries`).
    pub domain: String,
    /// Generation of the domain key this share belongs to.
    pub epoch: u32,
    /// Id of the share set (one split of one epoch's key).
    pub set_id: [u8; SET_ID_LEN],
    /// Chain position of the manifest that made the share set: a manifest older than it is a
    /// rollback.
    pub chain_position: u64,
    /// The domain's identity (the fingerprint of its genesis verifying key), which every official
    /// thus holds.
    pub domain_fingerprint: DomainFingerprint,
    /// Share identifier (the x-coordinate), 1..=255; 0 would be the secret itself.
    pub share_id: u8,
    /// Official id, `[a-z0-9-]{1,32}`; it also names the file (`<official>.share`).
    pub official: String,
    /// Shares needed to rebuild the key, 2..=255.
    pub threshold: u8,
}

impl ShareHeader {
    /// Refuses values custody never writes: bad ids, share id 0, threshold below 2.
    pub fn validate(&self) -> Result<(), SealedShareError> {
        check_id("domain", &self.domain, MAX_DOMAIN_LEN)?;
        check_id("official", &self.official, MAX_OFFICIAL_LEN)?;
        if self.share_id == 0 {
            return Err(invalid(
                "share_id",
                "0 is not a share identifier (it is the secret)",
            ));
        }
        if self.threshold < 2 {
            return Err(invalid("threshold", "must be at least 2"));
        }
        Ok(())
    }

    /// Refuses a file whose header differs from `expected`, naming the first differing field
    /// (in file order) with both values, all of them public.
    pub fn expect(&self, expected: &ShareHeader) -> Result<(), SealedShareError> {
        let fields = [
            ("domain", expected.domain.clone(), self.domain.clone()),
            ("epoch", expected.epoch.to_string(), self.epoch.to_string()),
            ("set id", hex(&expected.set_id), hex(&self.set_id)),
            (
                "chain position",
                expected.chain_position.to_string(),
                self.chain_position.to_string(),
            ),
            (
                "domain fingerprint",
                expected.domain_fingerprint.to_string(),
                self.domain_fingerprint.to_string(),
            ),
            (
                "share id",
                expected.share_id.to_string(),
                self.share_id.to_string(),
            ),
            ("official", expected.official.clone(), self.official.clone()),
            (
                "threshold",
                expected.threshold.to_string(),
                self.threshold.to_string(),
            ),
        ];
        match fields.into_iter().find(|(_, want, found)| want != found) {
            Some((field, expected, found)) => Err(SealedShareError::HeaderMismatch {
                field,
                expected,
                found,
            }),
            None => Ok(()),
        }
    }
}

/// Lower-case hex, for public values in messages and fingerprints.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Refuses `value` unless it is a custody identifier, in the share format's words.
fn check_id(field: &'static str, value: &str, max: usize) -> Result<(), SealedShareError> {
    check_identifier(value, max).map_err(|problem| match problem {
        IdentifierProblem::Length { max, .. } => {
            invalid(field, &format!("length must be 1..={max} bytes"))
        }
        IdentifierProblem::Characters => invalid(field, "only a-z, 0-9 and '-' are allowed"),
    })
}

fn invalid(field: &'static str, problem: &str) -> SealedShareError {
    SealedShareError::InvalidField {
        field,
        problem: problem.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> ShareHeader {
        ShareHeader {
            domain: "ee-registries".into(),
            epoch: 1,
            set_id: [7; SET_ID_LEN],
            chain_position: 2,
            domain_fingerprint: DomainFingerprint::from_bytes([9; 32]),
            share_id: 3,
            official: "cio".into(),
            threshold: 3,
        }
    }

    #[test]
    fn a_custody_header_is_valid() {
        assert!(header().validate().is_ok());
    }

    #[test]
    fn identifiers_are_bounded_and_restricted() {
        for (domain, official) in [
            ("", "cio"),
            ("ee-registries", ""),
            ("EE", "cio"),
            ("ee registries", "cio"),
            ("ee-registries", "c\u{e9}o"),
            ("ee-registries", "../cio"),
        ] {
            let bad = ShareHeader {
                domain: domain.into(),
                official: official.into(),
                ..header()
            };
            assert!(
                matches!(bad.validate(), Err(SealedShareError::InvalidField { .. })),
                "{domain:?} {official:?}"
            );
        }
        let longest = ShareHeader {
            domain: "d".repeat(MAX_DOMAIN_LEN),
            official: "o".repeat(MAX_OFFICIAL_LEN),
            ..header()
        };
        assert!(longest.validate().is_ok());
        let too_long = ShareHeader {
            official: "o".repeat(MAX_OFFICIAL_LEN + 1),
            ..header()
        };
        assert!(too_long.validate().is_err());
    }

    #[test]
    fn share_id_zero_and_threshold_one_are_refused() {
        let zero = ShareHeader {
            share_id: 0,
            ..header()
        };
        assert!(zero.validate().is_err());
        let one = ShareHeader {
            threshold: 1,
            ..header()
        };
        assert!(one.validate().is_err());
    }

    #[test]
    fn expect_names_the_first_differing_field() {
        let other = ShareHeader {
            official: "auditor".into(),
            ..header()
        };
        let error = header().expect(&other).unwrap_err();
        assert!(matches!(
            &error,
            SealedShareError::HeaderMismatch { field: "official", expected, found }
                if expected == "auditor" && found == "cio"
        ));
        assert!(header().expect(&header()).is_ok());
    }
}
