//! Revoked share sets: the manifest's public record that a share set of the domain was replaced
//! (by a reshare) and that its share files must be refused from then on — which set, of which
//! epoch, when and why. It owns the rules for one record (a readable, bounded reason); the rules
//! across records (distinct ids, never the current set) are checked with the rest of the manifest
//! in `wire`. Revocation is a refusal by policy: a revoked share still rebuilds the key
//! mathematically, which only a rotation changes. No I/O, nothing secret.

use crate::domain::timestamp::Timestamp;
use crate::shares::sealed::SET_ID_LEN;

/// Longest revocation reason, in characters.
pub const MAX_REASON_CHARS: usize = 256;

/// One revoked share set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedSet {
    set_id: [u8; SET_ID_LEN],
    epoch: u32,
    revoked_at: Timestamp,
    reason: String,
}

impl RevokedSet {
    /// A revocation record; the reason must be 1..=256 characters, not blank, with no control
    /// or format characters (it is shown on terminals and in transcripts).
    pub fn new(
        set_id: [u8; SET_ID_LEN],
        epoch: u32,
        revoked_at: Timestamp,
        reason: impl Into<String>,
    ) -> Result<Self, String> {
        let reason = reason.into();
        check_reason(&reason)?;
        Ok(Self {
            set_id,
            epoch,
            revoked_at,
            reason,
        })
    }

    /// The revoked set's id.
    pub fn set_id(&self) -> &[u8; SET_ID_LEN] {
        &self.set_id
    }

    /// The epoch of the key the set shared.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// When it was revoked.
    pub fn revoked_at(&self) -> Timestamp {
        self.revoked_at
    }

    /// Why, in the words of the ceremony that revoked it.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

fn check_reason(reason: &str) -> Result<(), String> {
    super::super::shown_text::check(reason, MAX_REASON_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Timestamp {
        Timestamp::parse("2027-03-01T09:00:00Z").unwrap()
    }

    #[test]
    fn a_record_keeps_what_it_was_given() {
        let record = RevokedSet::new([7; SET_ID_LEN], 2, at(), "official retired").unwrap();
        assert_eq!(record.set_id(), &[7; SET_ID_LEN]);
        assert_eq!(record.epoch(), 2);
        assert_eq!(record.revoked_at(), at());
        assert_eq!(record.reason(), "official retired");
        assert!(RevokedSet::new([7; SET_ID_LEN], 1, at(), "Õun: ära läinud").is_ok());
    }

    #[test]
    fn reasons_are_bounded_printable_text() {
        for (reason, problem) in [
            (String::new(), "empty"),
            ("   ".into(), "empty"),
            ("lost\nshare".into(), "control"),
            ("\u{1b}[2J".into(), "control"),
            ("retired\u{202E}derited".into(), "format character U+202E"),
            ("r".repeat(MAX_REASON_CHARS + 1), "at most"),
        ] {
            let error = RevokedSet::new([1; SET_ID_LEN], 1, at(), reason).unwrap_err();
            assert!(error.contains(problem), "{error}");
        }
        assert!(RevokedSet::new([1; SET_ID_LEN], 1, at(), "r".repeat(MAX_REASON_CHARS)).is_ok());
    }
}
