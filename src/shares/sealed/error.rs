//! The errors of sealed share files. Each message names the problem and the next step for the
//! official or operator. Messages carry only public facts (lengths, field names, header values):
//! never a passphrase, a key or share bytes, and an authentication failure never says which byte.

use crate::primitives::kdf::KdfError;

/// Why a sealed share file could not be sealed, read, checked or opened.
#[derive(Debug, thiserror::Error)]
pub enum SealedShareError {
    /// A zero-length file.
    #[error("the share file is empty; restore it from a backup copy")]
    Empty,
    /// Larger than any share file can be; refused before parsing.
    #[error(
        "the file is {len} bytes, more than the {max}-byte limit of a share file; \
         check that the path names a custody share file"
    )]
    TooLarge {
        /// Length of the refused input.
        len: usize,
        /// The size limit.
        max: usize,
    },
    /// Does not start with the share-file magic.
    #[error(
        "not a custody share file (wrong magic bytes); check that the path names a share file"
    )]
    NotAShareFile,
    /// A format version this build cannot read.
    #[error(
        "share file format version {0} is not supported (this build reads version 1); \
         use a custody release that supports it"
    )]
    UnsupportedVersion(u8),
    /// Shorter than the smallest well-formed share file.
    #[error(
        "the share file is truncated ({len} bytes, too short for any share file); \
         restore it from a backup copy"
    )]
    Truncated {
        /// Length of the refused input.
        len: usize,
    },
    /// The file checksum or the AES-GCM authentication failed: the bytes are not the ones custody
    /// wrote. Deliberately coarse: it never says which byte.
    #[error(
        "the share file is damaged or was altered; restore it from a backup copy and check its \
         fingerprint against the manifest"
    )]
    Damaged,
    /// Passes the checksum but a length or the overall layout is inconsistent: a file crafted
    /// or written by a faulty tool.
    #[error("the share file is malformed: {0}; it was not written by custody, do not use it")]
    Malformed(&'static str),
    /// A header field holds a value custody never writes (or a caller asked to seal one).
    #[error("share header field `{field}` is invalid: {problem}")]
    InvalidField {
        /// The field's name in docs/FORMAT.md.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// KDF parameters outside the accepted bounds (refused before any memory is allocated),
    /// or argon2 failed.
    #[error(transparent)]
    Kdf(#[from] KdfError),
    /// The key commitment does not match: the passphrase is not the one this file was sealed with.
    #[error(
        "the passphrase does not open this share file; check that it is this official's \
         passphrase (letter case, keyboard layout) and try again"
    )]
    WrongPassphrase,
    /// The file is well formed but is not the share the caller expected.
    #[error(
        "the share file is for {field} `{found}`, but `{expected}` was expected; \
         check that this is the right official's file for this domain, epoch and share set"
    )]
    HeaderMismatch {
        /// The disagreeing header field.
        field: &'static str,
        /// The value the caller expected.
        expected: String,
        /// The value in the file.
        found: String,
    },
    /// Sealing under an empty passphrase is refused.
    #[error("the new passphrase is empty; choose a passphrase")]
    EmptyPassphrase,
    /// The share plaintext has a length a share file cannot hold.
    #[error("a share of {len} bytes cannot be sealed; a share file holds 1..={max} bytes")]
    PlaintextLength {
        /// The plaintext length asked for.
        len: usize,
        /// The largest plaintext a share file holds.
        max: usize,
    },
    /// The operating system's random generator failed while drawing a salt or nonce.
    #[error(
        "the operating system's random generator failed ({0}); retry, and report it if it persists"
    )]
    Randomness(String),
}
