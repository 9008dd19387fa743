//! Sealing: a fresh data key from the domain key's [`KeyWrap`], the authenticated header, then the payload sealed
//! chunk by chunk on all cores. This module owns the order of those steps; it must never write a
//! payload byte before the header, and never keep the data key beyond the call.

use std::io::Write;

use super::error::{ArchiveError, Result};
use super::format;
use super::header::{ArchiveSpec, PublicHeader, SALT_LEN};
use super::input::Input;
use super::key_wrap::KeyWrap;
use super::keys::ArchiveKeys;
use super::pipeline::{self, Segment};
use super::stream::{PayloadCipher, TAG_LEN};
use crate::hsm::WrappedKey;
use crate::primitives::key_identity::WrapCheck;
use crate::primitives::random;
use crate::primitives::secret::DataKey;

/// What sealing or opening produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveSummary {
    /// The archive's header.
    pub header: PublicHeader,
    /// Plaintext bytes sealed or opened.
    pub payload_len: u64,
    /// Number of chunks.
    pub chunks: u64,
    /// Archive bytes, header included.
    pub archive_len: u64,
}

/// Seals `input` into `output` under a fresh data key that `key` generates and wraps.
/// `progress` is called with the plaintext bytes sealed so far.
pub fn seal<'a>(
    key: &dyn KeyWrap,
    spec: &ArchiveSpec,
    input: impl Into<Input<'a>>,
    output: impl Write,
    progress: &dyn Fn(u64),
) -> Result<ArchiveSummary> {
    // Refuse a bad spec before asking the token for anything.
    spec.validate()?;
    let (data_key, wrapped_key) = key.new_data_key()?;
    let mut salt = [0u8; SALT_LEN];
    random::fill(&mut salt).map_err(|e| ArchiveError::Randomness(e.0))?;
    let wrapped = WrappedUnder {
        wrap_check: key.wrap_check(),
        wrapped_key: &wrapped_key,
    };
    seal_with_key(&data_key, wrapped, salt, spec, input, output, progress)
}

/// A data key's wrapping and the wrap check value of the domain key that wrapped it.
#[derive(Debug, Clone, Copy)]
pub struct WrappedUnder<'a> {
    /// The domain key's wrap check value.
    pub wrap_check: &'a WrapCheck,
    /// The data key wrapped under it (RFC 3394).
    pub wrapped_key: &'a WrappedKey,
}

/// Seals with a caller-supplied data key, its wrapped form and salt: the deterministic core of
/// [`seal`], public so the worked example of the format specification can be regenerated. The
/// data key MUST be fresh and random for every archive, and `wrapped.wrapped_key` MUST be its
/// wrapping under the domain key the spec names, whose wrap check value is `wrapped.wrap_check`.
pub fn seal_with_key<'a>(
    data_key: &DataKey,
    wrapped: WrappedUnder<'_>,
    salt: [u8; SALT_LEN],
    spec: &ArchiveSpec,
    input: impl Into<Input<'a>>,
    mut output: impl Write,
    progress: &dyn Fn(u64),
) -> Result<ArchiveSummary> {
    spec.validate()?;
    let keys = ArchiveKeys::derive(data_key, &salt);
    let mut header_bytes = format::encode(spec, wrapped.wrap_check, wrapped.wrapped_key, &salt);
    let mac = keys.header_mac(&header_bytes);
    header_bytes.extend_from_slice(&mac);
    output
        .write_all(&header_bytes)
        .map_err(ArchiveError::Write)?;
    let cipher = PayloadCipher::new(keys.payload_key())?;
    drop(keys);
    let (mut payload_len, mut archive_len) = (0u64, len_u64(header_bytes.len()));
    let chunks = pipeline::run(
        &mut input.into(),
        spec.chunk_size.bytes(),
        &|segment: &mut Segment| {
            let tag = cipher.seal_chunk(segment.index, segment.last, segment.bytes_mut())?;
            segment.append(&tag);
            Ok(())
        },
        &mut |segment: &Segment| {
            let sealed = segment.bytes();
            output.write_all(sealed).map_err(ArchiveError::Write)?;
            payload_len += len_u64(sealed.len() - TAG_LEN);
            archive_len += len_u64(sealed.len());
            progress(payload_len);
            Ok(())
        },
    )?;
    output.flush().map_err(ArchiveError::Write)?;
    check_size(spec, payload_len)?;
    let header = PublicHeader {
        version: format::VERSION,
        spec: spec.clone(),
        wrap_check: *wrapped.wrap_check,
        wrapped_key: wrapped.wrapped_key.clone(),
        salt,
        mac,
        len: header_bytes.len(),
    };
    Ok(ArchiveSummary {
        header,
        payload_len,
        chunks,
        archive_len,
    })
}

/// Refuses a payload whose length differs from the size the header declares.
pub(super) fn check_size(spec: &ArchiveSpec, payload_len: u64) -> Result<()> {
    match spec.metadata.size {
        Some(declared) if declared != payload_len => Err(ArchiveError::SizeMismatch {
            declared,
            actual: payload_len,
        }),
        _ => Ok(()),
    }
}

/// A buffer length as a byte count (usize is at most 64 bits on every supported target).
pub(super) fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}
