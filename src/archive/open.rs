//! Opening and verifying: read the public header, unwrap the data key on the token, check the
//! header MAC in constant time, then open the payload chunk by chunk on all cores, releasing each
//! chunk only after its tag verifies. This module owns that order; it must never write a payload
//! byte before the header MAC verifies, nor a chunk before it and every chunk before it
//! authenticated.

use std::io::{self, Read, Write};
use std::path::Path;

use super::error::{ArchiveError, Result};
use super::format;
use super::header::{ArchiveIdentity, PublicHeader};
use super::keys::ArchiveKeys;
use super::pipeline::{self, Segment};
use super::seal::{check_size, len_u64, ArchiveSummary};
use super::stream::{PayloadCipher, TAG_LEN};
use crate::files::AtomicFile;
use crate::hsm::{self, DomainKeyHandle, TokenSession};
use crate::primitives::secret::DataKey;

/// An archive whose public header has been read; the payload has not been touched.
#[derive(Debug)]
pub struct Archive<R> {
    pub(super) header: PublicHeader,
    pub(super) covered: Vec<u8>,
    input: R,
}

/// Reads only the public header (for `custody inspect`): no key, no token, nothing verified.
pub fn read_header(input: impl Read) -> Result<PublicHeader> {
    Archive::read(input).map(|archive| archive.header)
}

impl<R: Read> Archive<R> {
    /// Reads and parses the header strictly, leaving the input at the payload.
    pub fn read(mut input: R) -> Result<Self> {
        let (header, covered) = format::read(&mut input)?;
        Ok(Self {
            header,
            covered,
            input,
        })
    }

    /// The public header (not yet authenticated).
    pub fn header(&self) -> &PublicHeader {
        &self.header
    }

    /// Refuses an archive of another domain, epoch or key than `expected` (from the manifest).
    pub fn expect(&self, expected: &ArchiveIdentity) -> Result<()> {
        self.header.spec.identity.expect(expected)
    }

    /// Decrypts the payload into `output`, writing each chunk only after it authenticates.
    /// `output` may still have received a prefix when this fails: write to a file with
    /// [`Archive::open_to_file`] to leave nothing behind.
    pub fn open(
        self,
        session: &TokenSession,
        kek: &DomainKeyHandle,
        output: impl Write,
        progress: &dyn Fn(u64),
    ) -> Result<ArchiveSummary> {
        let data_key = self.unwrap(session, kek)?;
        self.open_with_key(&data_key, output, progress)
    }

    /// Authenticates every chunk and writes nothing.
    pub fn verify(
        self,
        session: &TokenSession,
        kek: &DomainKeyHandle,
        progress: &dyn Fn(u64),
    ) -> Result<ArchiveSummary> {
        self.open(session, kek, io::sink(), progress)
    }

    /// Opens into a temporary file beside `destination`, renamed over it only after the final
    /// chunk authenticates; on any failure nothing is left.
    pub fn open_to_file(
        self,
        session: &TokenSession,
        kek: &DomainKeyHandle,
        destination: &Path,
        progress: &dyn Fn(u64),
    ) -> Result<ArchiveSummary> {
        let data_key = self.unwrap(session, kek)?;
        let output_error = |source| ArchiveError::Output {
            path: destination.to_owned(),
            source,
        };
        let mut file = AtomicFile::create(destination).map_err(output_error)?;
        let summary = self.open_with_key(&data_key, &mut file, progress)?;
        file.commit().map_err(output_error)?;
        Ok(summary)
    }

    /// Opens with a data key already unwrapped: the core of [`Archive::open`], public for the
    /// worked example of the format specification and for rotation.
    pub fn open_with_key(
        mut self,
        data_key: &DataKey,
        mut output: impl Write,
        progress: &dyn Fn(u64),
    ) -> Result<ArchiveSummary> {
        let keys = ArchiveKeys::derive(data_key, &self.header.salt);
        if !keys.header_mac_matches(&self.covered, &self.header.mac) {
            return Err(ArchiveError::HeaderAltered);
        }
        let cipher = PayloadCipher::new(keys.payload_key())?;
        drop(keys);
        let segment_len = self.header.spec.chunk_size.bytes() + TAG_LEN;
        let (mut payload_len, mut archive_len) = (0u64, len_u64(self.header.len));
        let chunks = pipeline::run(
            &mut self.input,
            segment_len,
            &|segment: &mut Segment| {
                cipher.open_chunk(segment.index, segment.last, segment_len, &mut segment.data)
            },
            &mut |segment: &Segment| {
                output
                    .write_all(&segment.data)
                    .map_err(ArchiveError::Write)?;
                payload_len += len_u64(segment.data.len());
                archive_len += len_u64(segment.data.len() + TAG_LEN);
                progress(payload_len);
                Ok(())
            },
        )?;
        output.flush().map_err(ArchiveError::Write)?;
        check_size(&self.header.spec, payload_len)?;
        Ok(ArchiveSummary {
            header: self.header,
            payload_len,
            chunks,
            archive_len,
        })
    }

    pub(super) fn unwrap(&self, session: &TokenSession, kek: &DomainKeyHandle) -> Result<DataKey> {
        session
            .unwrap_data_key(kek, &self.header.wrapped_key)
            .map_err(|error| match error {
                hsm::Error::UnwrapRefused(_) => {
                    let identity = &self.header.spec.identity;
                    ArchiveError::KeyRefused {
                        domain: identity.domain.clone(),
                        epoch: identity.epoch,
                        key_id: identity.key_id.to_string(),
                    }
                }
                other => ArchiveError::Hsm(other),
            })
    }
}
