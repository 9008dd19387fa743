//! The errors of sealed archives. Each message names the problem and, through [`ArchiveError::hint`],
//! the next step. Messages carry only public facts (header fields, chunk numbers, lengths): never a
//! key or payload bytes, and an authentication failure never says which byte was wrong.

use std::path::PathBuf;

use crate::hsm;
use crate::primitives::key_ref::KeyRef;

/// Why an archive could not be sealed, read, verified or opened.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Reading the input failed.
    #[error("cannot read the input: {0}")]
    Read(std::io::Error),
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Write(std::io::Error),
    /// The atomic output file could not be created, synced or renamed into place.
    #[error("cannot write {}: {source}", .path.display())]
    Output {
        /// The destination or its temporary file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// Does not start with the archive magic.
    #[error("not a custody archive (wrong magic bytes)")]
    NotAnArchive,
    /// A format version this build cannot read.
    #[error("archive format version {0} is not supported (this build reads version 1)")]
    UnsupportedVersion(u8),
    /// The input ends inside the header.
    #[error("the archive is truncated inside its header")]
    TruncatedHeader,
    /// A header field holds a value custody never writes, or a caller asked to seal one.
    #[error("archive header field `{field}` is invalid: {problem}")]
    InvalidField {
        /// The field's name in the format specification.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The header names another domain, epoch or key than the caller expected.
    #[error("the archive belongs to {field} {found}, not {expected}")]
    IdentityMismatch {
        /// `domain`, `epoch` or `key id`.
        field: &'static str,
        /// What the caller expected.
        expected: String,
        /// What the header says.
        found: String,
    },
    /// The token's domain key does not unwrap the data key.
    #[error(
        "the token's domain key does not unwrap this archive's data key (the archive names \
         domain {domain}, epoch {epoch}, key id {key_id})"
    )]
    KeyRefused {
        /// The domain the header names.
        domain: String,
        /// The epoch the header names.
        epoch: u32,
        /// The key id the header names, hex.
        key_id: String,
    },
    /// The token holds no domain key of the domain, epoch and key id an archive or manifest names.
    #[error(
        "token {token} does not hold the domain key of {key_ref} (key {key}, key id {})",
        .key_ref.key_id
    )]
    DomainKeyAbsent {
        /// The token's label.
        token: String,
        /// The label and id looked for.
        key: String,
        /// The domain key named (boxed: it would double the size of every archive result).
        key_ref: Box<KeyRef>,
    },
    /// The token's key of that name is not the key the wrap check value records: it was replaced
    /// or altered on the token (or the archive header's copy of the value was damaged).
    #[error(
        "token {token}: key {key} is not the domain key of {key_ref}: its wrap check value differs from the recorded one, so this token's key is not the domain's key"
    )]
    NotTheDomainKey {
        /// The token's label.
        token: String,
        /// The label and id of the key object.
        key: String,
        /// The domain key named (boxed, as above).
        key_ref: Box<KeyRef>,
    },
    /// The token holds a key of the manifest's domain of a later epoch than the manifest's.
    #[error(
        "token {token} holds the epoch {newer} key of domain {domain}: the manifest of epoch \
         {epoch} is superseded"
    )]
    ManifestSuperseded {
        /// The token's label.
        token: String,
        /// The domain.
        domain: String,
        /// The manifest's epoch.
        epoch: u32,
        /// The latest epoch whose key the token holds.
        newer: u32,
    },
    /// Any other HSM failure.
    #[error(transparent)]
    Hsm(#[from] hsm::Error),
    /// The header MAC does not verify under the unwrapped data key.
    #[error("the archive header was altered or damaged (its MAC does not verify)")]
    HeaderAltered,
    /// The stream ends without a final chunk.
    #[error("the archive is truncated: it ends after chunk {chunks} without a final chunk")]
    Truncated {
        /// How many chunks authenticated before the end.
        chunks: u64,
    },
    /// A chunk fails authentication: altered, reordered, duplicated, cut mid-chunk, or followed
    /// by bytes after the final chunk (ring wipes a chunk that fails, so the cases are not told
    /// apart; docs/DECISIONS.md, D24).
    #[error(
        "chunk {chunk} does not authenticate: the archive was altered, reordered, cut short or \
         had bytes appended"
    )]
    ChunkAltered {
        /// The index of the first chunk that failed.
        chunk: u64,
    },
    /// An empty final chunk after other chunks: no custody writer makes one.
    #[error("chunk {chunk} is an empty final chunk, which only an empty archive may have")]
    EmptyFinalChunk {
        /// Its index.
        chunk: u64,
    },
    /// The payload length differs from the size the header declares.
    #[error("the payload is {actual} bytes but the header declares {declared}")]
    SizeMismatch {
        /// The size in the header's metadata.
        declared: u64,
        /// The bytes actually sealed or opened.
        actual: u64,
    },
    /// The AES-256-GCM implementation refused the payload key (it accepts every 32-byte key).
    #[error("the AES-256-GCM implementation refused the payload key")]
    CipherRefused,
    /// The operating system's random number generator failed.
    #[error("cannot draw random bytes: {0}")]
    Randomness(String),
}

impl ArchiveError {
    /// Whether the token's key itself was refused (not the domain's key, unsafe, or ambiguous):
    /// a fault of the token, not of any archive, so a command over many archives stops at once.
    pub fn refuses_the_token_key(&self) -> bool {
        matches!(
            self,
            Self::NotTheDomainKey { .. }
                | Self::Hsm(hsm::Error::UnsafeDomainKey { .. } | hsm::Error::DuplicateKeys { .. })
        )
    }

    /// What the user should do next.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Read(_) => "check that the input exists and is readable",
            Self::Write(_) | Self::Output { .. } => {
                "check the destination's free space and permissions; nothing was left at the destination"
            }
            Self::NotAnArchive => "check that the path names a file written by `custody seal`",
            Self::UnsupportedVersion(_) => "use a custody release that reads this format version",
            Self::TruncatedHeader | Self::Truncated { .. } => {
                "the archive is incomplete: copy it again from its source"
            }
            Self::InvalidField { .. } => {
                "the header holds a value custody never writes: the file is damaged or forged"
            }
            Self::IdentityMismatch { .. } => {
                "use the manifest and token of the domain and epoch the archive names (`custody inspect` shows them)"
            }
            Self::KeyRefused { .. } => {
                "use a token holding the domain key of the epoch the archive names (`custody inspect` shows it)"
            }
            Self::DomainKeyAbsent { .. } => {
                "use a token holding that domain key (genesis or unlock puts it there); \
                 `custody inspect ARCHIVE` shows the domain, epoch and key id an archive needs"
            }
            Self::NotTheDomainKey { .. } => {
                "do not use this token: someone holding its PIN may have replaced the key; check it \
                 with `custody hsm probe URI --manifest M` (opening an archive, a damaged header \
                 gives this too) and re-enrol it from a quorum (custody unlock); nothing was written"
            }
            Self::ManifestSuperseded { .. } => {
                "use the domain's current manifest; if a rotation stopped part way, finish it \
                 (run `custody rotate` again) or, if it failed, remove the key it left with \
                 `custody hsm destroy`; `custody hsm keys URI --manifest M` shows the token's keys; \
                 nothing was written"
            }
            Self::Hsm(error) => error.hint(),
            Self::HeaderAltered
            | Self::ChunkAltered { .. }
            | Self::EmptyFinalChunk { .. }
            | Self::SizeMismatch { .. } => {
                "do not trust this copy: restore the archive from another copy and verify it"
            }
            Self::CipherRefused => "report this: the AES-256-GCM library misbehaved",
            Self::Randomness(_) => "the system's random number generator failed; retry, and report it if it persists",
        }
    }
}

/// The archive layer's result type.
pub type Result<T> = std::result::Result<T, ArchiveError>;
