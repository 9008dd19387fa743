//! The public facts an archive header states: whose archive it is (a `KeyRef`: domain, epoch, key id), the
//! wrapped data key, the salt, the chunk size and the optional metadata, with the bounds every
//! field must respect. Validation lives here so the writer refuses what the reader would refuse.
//! This module holds no secret and does no I/O or cryptography.

use super::error::{ArchiveError, Result};
use crate::hsm::WrappedKey;
use crate::primitives::domain_id::IdentifierProblem;
pub use crate::primitives::domain_id::MAX_DOMAIN_LEN;
use crate::primitives::key_identity::WrapCheck;
use crate::primitives::key_ref::KeyRef;

/// Longest original file name, in bytes (the common file-system limit).
pub const MAX_NAME_LEN: usize = 255;
/// Longest content type, in bytes.
pub const MAX_CONTENT_TYPE_LEN: usize = 127;
/// Length of the per-archive salt.
pub const SALT_LEN: usize = 32;

/// Optional public facts about the sealed data. They are authenticated but NOT encrypted: anyone
/// holding the archive can read them, so they must not reveal what the payload protects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// Original file name: UTF-8, 1..=255 bytes, no `/`, `\`, NUL or control characters, not
    /// `.` or `..` (so a reader may safely use it as a file name).
    pub name: Option<String>,
    /// Payload length in bytes; sealing and opening fail when the payload differs.
    pub size: Option<u64>,
    /// Media type, printable ASCII, 1..=127 bytes (e.g. `application/x-tar`).
    pub content_type: Option<String>,
    /// Creation time, seconds since the Unix epoch (UTC).
    pub created: Option<u64>,
}

impl Metadata {
    /// Refuses values custody would not write.
    pub fn validate(&self) -> Result<()> {
        if let Some(name) = &self.name {
            check_name(name)?;
        }
        if let Some(content_type) = &self.content_type {
            check_content_type(content_type)?;
        }
        Ok(())
    }
}

fn check_name(name: &str) -> Result<()> {
    if !(1..=MAX_NAME_LEN).contains(&name.len()) {
        return Err(invalid(
            "name",
            format!("length {} is outside 1..={MAX_NAME_LEN}", name.len()),
        ));
    }
    if name == "."
        || name == ".."
        || name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
    {
        return Err(invalid(
            "name",
            "must be a plain file name (no /, \\, control characters, . or ..)".into(),
        ));
    }
    Ok(())
}

fn check_content_type(content_type: &str) -> Result<()> {
    let bytes = content_type.as_bytes();
    if !(1..=MAX_CONTENT_TYPE_LEN).contains(&bytes.len()) {
        return Err(invalid(
            "content_type",
            format!(
                "length {} is outside 1..={MAX_CONTENT_TYPE_LEN}",
                bytes.len()
            ),
        ));
    }
    if !bytes.iter().all(|b| (0x20..=0x7e).contains(b)) {
        return Err(invalid("content_type", "must be printable ASCII".into()));
    }
    Ok(())
}

/// The chunk size: a power of two from 4 KiB to 16 MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkSize(u32);

impl ChunkSize {
    /// Smallest chunk size: 4 KiB.
    pub const MIN: u32 = 4 * 1024;
    /// Largest chunk size: 16 MiB (bounds the memory a hostile header can make a reader use).
    pub const MAX: u32 = 16 * 1024 * 1024;
    /// The size `custody seal` writes: 1 MiB (docs/DECISIONS.md, D22).
    pub const DEFAULT: Self = Self(1024 * 1024);

    /// Checks the bounds.
    pub fn new(bytes: u32) -> Result<Self> {
        if bytes.is_power_of_two() && (Self::MIN..=Self::MAX).contains(&bytes) {
            Ok(Self(bytes))
        } else {
            Err(invalid(
                "chunk_size",
                format!(
                    "{bytes} is not a power of two from {} to {}",
                    Self::MIN,
                    Self::MAX
                ),
            ))
        }
    }

    /// Plaintext bytes per chunk.
    pub fn get(self) -> u32 {
        self.0
    }

    /// Plaintext bytes per chunk, as a length.
    pub fn bytes(self) -> usize {
        // u32 always fits in usize on the 32- and 64-bit targets custody supports.
        usize::try_from(self.0).unwrap_or(usize::MAX)
    }
}

impl Default for ChunkSize {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What the sealer chooses: identity, metadata and chunk size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveSpec {
    /// Which domain key wraps the data key.
    pub identity: KeyRef,
    /// Optional public facts.
    pub metadata: Metadata,
    /// Plaintext bytes per chunk.
    pub chunk_size: ChunkSize,
}

impl ArchiveSpec {
    /// A spec with no metadata and the default chunk size.
    pub fn new(identity: KeyRef) -> Self {
        Self {
            identity,
            metadata: Metadata::default(),
            chunk_size: ChunkSize::DEFAULT,
        }
    }

    /// Refuses any field custody would not write.
    pub fn validate(&self) -> Result<()> {
        self.metadata.validate()
    }

    /// Refuses a header naming another domain, epoch or key than `expected`.
    pub fn expect(&self, expected: &KeyRef) -> Result<()> {
        match self.identity.first_difference(expected) {
            None => Ok(()),
            Some((field, expected, found)) => Err(ArchiveError::IdentityMismatch {
                field,
                expected,
                found,
            }),
        }
    }
}

/// A header's domain id refused, in the archive format's words.
pub(super) fn invalid_domain(problem: IdentifierProblem) -> ArchiveError {
    let problem = match problem {
        IdentifierProblem::Length { len, max } => format!("length {len} is outside 1..={max}"),
        IdentifierProblem::Characters => "only a-z, 0-9 and - are allowed".into(),
    };
    invalid("domain", problem)
}

/// Everything the header states, readable without any key (for `custody inspect`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicHeader {
    /// Format version (2).
    pub version: u8,
    /// Identity, metadata and chunk size.
    pub spec: ArchiveSpec,
    /// The wrap check value of the domain key that sealed the archive: a token key is proven
    /// against it before it unwraps anything.
    pub wrap_check: WrapCheck,
    /// The data key wrapped by the domain key (RFC 3394).
    pub wrapped_key: WrappedKey,
    /// The per-archive salt of the key derivations.
    pub salt: [u8; SALT_LEN],
    /// HMAC-SHA256 over the header bytes before it (unverified until the data key is unwrapped).
    pub mac: [u8; 32],
    /// Length of the whole header, MAC included: where the payload starts.
    pub len: usize,
}

pub(super) fn invalid(field: &'static str, problem: String) -> ArchiveError {
    ArchiveError::InvalidField { field, problem }
}
