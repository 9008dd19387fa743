//! Everything that can go wrong while generating, splitting, parsing, verifying or combining
//! shares. Each message names the problem and says what to do. No message may ever carry a key,
//! a share value, a blinder or any other secret byte: identifiers, counts and indices only.

use std::fmt::Write as _;

/// Why a shares operation refused to go on.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SharesError {
    /// The operating system's random generator failed or is visibly broken.
    #[error(
        "the operating system's random generator failed ({0}); do not generate keys or shares on \
         this machine until it is repaired"
    )]
    Entropy(String),

    /// The requested t-of-n is outside 2 <= t <= n <= 255.
    #[error(
        "a threshold of {threshold} with {count} shares is not allowed: choose 2 <= threshold <= \
         number of officials <= 255"
    )]
    ThresholdOutOfRange {
        /// The threshold asked for.
        threshold: u8,
        /// The number of shares asked for.
        count: u8,
    },

    /// The domain key is zero or not below the P-256 group order, so it cannot be a shared secret.
    #[error(
        "this domain key is not a non-zero P-256 scalar and cannot be shared; create domain keys \
         with custody's key generation"
    )]
    KeyNotAScalar,

    /// A serialized share has the wrong length.
    #[error(
        "a share is {expected} bytes but {found} were given: the share is truncated or damaged; \
         use the official's intact share file"
    )]
    ShareLength {
        /// The length every share has.
        expected: usize,
        /// The length given.
        found: usize,
    },

    /// A serialized share has a format version this build does not read.
    #[error(
        "share format version {found} is not supported (this build reads version {supported}); the \
         share is damaged or needs a newer custody"
    )]
    ShareVersion {
        /// The version byte found.
        found: u8,
        /// The version this build reads.
        supported: u8,
    },

    /// A serialized share claims identifier 0, which custody never issues.
    #[error(
        "a share claims identifier 0, which is never issued (that point of the polynomial is the \
         key itself): the share is damaged or forged; set it aside and report it"
    )]
    ShareIdentifierZero,

    /// A share's value or blinder is not a canonical scalar below the group order.
    #[error(
        "share {identifier} holds a value that is not a canonical P-256 scalar: the share is \
         damaged; set it aside and report it"
    )]
    ShareScalar {
        /// The identifier the share claims.
        identifier: u8,
    },

    /// A serialized verifier set has the wrong length, count or version.
    #[error(
        "the verifier set is malformed ({0}): the manifest is damaged; restore it from a trusted \
         copy"
    )]
    VerifierSetMalformed(String),

    /// A verifier-set commitment is not a valid point or is the identity.
    #[error(
        "commitment {index} of the verifier set is not a valid non-identity P-256 point: the \
         manifest is damaged or forged; restore it from a trusted copy"
    )]
    VerifierSetPoint {
        /// Position of the commitment, from 0.
        index: usize,
    },

    /// The manifest's threshold disagrees with the number of commitments in its verifier set.
    #[error(
        "the manifest says threshold {manifest} but its verifier set is for threshold \
         {verifier_set}: the manifest is inconsistent; restore it from a trusted copy"
    )]
    ThresholdMismatch {
        /// Threshold from the authenticated manifest.
        manifest: u8,
        /// Threshold the verifier set commits to.
        verifier_set: u8,
    },

    /// Fewer shares than the threshold; refused before any combining.
    #[error(
        "{given} share(s) given but the threshold is {threshold}: bring {} more official(s) with \
         their shares",
        threshold.saturating_sub(*given)
    )]
    NotEnoughShares {
        /// Shares given.
        given: u8,
        /// Shares needed.
        threshold: u8,
    },

    /// The same identifier appears twice.
    #[error(
        "share {identifier} was given more than once; each official's share counts once, so bring \
         a different official's share instead"
    )]
    DuplicateShare {
        /// The repeated identifier.
        identifier: u8,
    },

    /// One share does not verify against the verifier set.
    #[error(
        "share {identifier} does not match this share set's verifier set: it is damaged, forged, \
         or belongs to another share set or epoch; set it aside and report it"
    )]
    ShareNotInSet {
        /// Identifier of the failing share.
        identifier: u8,
    },

    /// Some of the shares offered for combining do not verify; nothing was combined.
    #[error(
        "share(s) {} do not match this share set's verifier set (damaged, forged, or from another \
         set or epoch); nothing was combined. Set them aside and report them: {valid} valid \
         share(s) remain, {threshold} are needed",
        list(identifiers)
    )]
    SharesNotInSet {
        /// Identifiers of every failing share, in the order given.
        identifiers: Vec<u8>,
        /// How many of the offered shares did verify.
        valid: usize,
        /// Shares needed.
        threshold: u8,
    },

    /// The combined key is not the key the manifest commits to.
    #[error(
        "the rebuilt key does not match the manifest's key id: the shares and the manifest belong \
         to different keys or epochs; the key was discarded, check that the manifest is the right one"
    )]
    KeyIdMismatch,

    /// The sharing library refused an operation our own checks had already allowed.
    #[error("internal error in custody's secret sharing ({0}); this is a bug, please report it")]
    Internal(String),
}

fn list(identifiers: &[u8]) -> String {
    let mut text = String::new();
    for (position, identifier) in identifiers.iter().enumerate() {
        let separator = if position == 0 { "" } else { ", " };
        // Writing to a String cannot fail.
        let _ = write!(text, "{separator}{identifier}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_enough_shares_says_how_many_more() {
        let error = SharesError::NotEnoughShares {
            given: 2,
            threshold: 5,
        };
        assert!(error.to_string().contains("bring 3 more"), "{error}");
    }

    #[test]
    fn shares_not_in_set_names_every_identifier() {
        let error = SharesError::SharesNotInSet {
            identifiers: vec![3, 7],
            valid: 4,
            threshold: 3,
        };
        let text = error.to_string();
        assert!(text.contains("share(s) 3, 7 do not match"), "{text}");
        assert!(
            text.contains("4 valid share(s) remain, 3 are needed"),
            "{text}"
        );
    }
}
