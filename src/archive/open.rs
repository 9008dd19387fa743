//! Opening and verifying: read the public header, unwrap the data key with the domain key, check the
//! header MAC in constant time, then open the payload chunk by chunk on all cores, releasing each
//! chunk only after its tag verifies. This module owns that order; it must never write a payload
//! byte before the header MAC verifies, nor a chunk before it and every chunk before it
//! authenticated.

use std::io::{self, Write};
use std::path::Path;

use super::error::{ArchiveError, Result};
use super::format;
use super::header::PublicHeader;
use super::input::Input;
use super::key_wrap::KeyWrap;
use super::keys::ArchiveKeys;
use super::pipeline::{self, Segment};
use super::seal::{check_size, len_u64, ArchiveSummary};
use super::stream::{PayloadCipher, TAG_LEN};
use crate::files::{AtomicFile, TemporaryKind};
use crate::primitives::key_ref::KeyRef;
use crate::primitives::secret::DataKey;

/// An archive whose public header has been read; the payload has not been touched.
#[derive(Debug)]
pub struct Archive<'a> {
    pub(super) header: PublicHeader,
    pub(super) covered: Vec<u8>,
    input: Input<'a>,
}

/// Reads only the public header (for `custody inspect`): no key, no token, nothing verified.
pub fn read_header<'a>(input: impl Into<Input<'a>>) -> Result<PublicHeader> {
    Archive::read(input).map(|archive| archive.header)
}

impl<'a> Archive<'a> {
    /// Reads and parses the header strictly, leaving the input at the payload.
    pub fn read(input: impl Into<Input<'a>>) -> Result<Self> {
        let mut input = input.into();
        let (header, covered) = format::read(&mut input.reader())?;
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
    pub fn expect(&self, expected: &KeyRef) -> Result<()> {
        self.header.spec.expect(expected)
    }

    /// Decrypts the payload into `output`, writing each chunk only after it authenticates.
    /// `output` may still have received a prefix when this fails: write to a file with
    /// [`Archive::open_to_file`] to leave nothing behind.
    pub fn open(
        self,
        key: &dyn KeyWrap,
        output: impl Write,
        progress: &dyn Fn(u64),
    ) -> Result<ArchiveSummary> {
        let data_key = key.unwrap(&self.header.wrapped_key)?;
        self.open_with_key(&data_key, output, progress)
    }

    /// Authenticates every chunk and writes nothing.
    pub fn verify(self, key: &dyn KeyWrap, progress: &dyn Fn(u64)) -> Result<ArchiveSummary> {
        self.open(key, io::sink(), progress)
    }

    /// Opens into a temporary file beside `destination`, renamed over it only after the final
    /// chunk authenticates; on any failure nothing is left.
    pub fn open_to_file(
        self,
        key: &dyn KeyWrap,
        destination: &Path,
        progress: &dyn Fn(u64),
    ) -> Result<ArchiveSummary> {
        let data_key = key.unwrap(&self.header.wrapped_key)?;
        let output_error = |source| ArchiveError::Output {
            path: destination.to_owned(),
            source,
        };
        let mut file =
            AtomicFile::create_as(destination, TemporaryKind::Opened).map_err(output_error)?;
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
                let (index, last) = (segment.index, segment.last);
                let len = cipher.open_chunk(index, last, segment_len, segment.bytes_mut())?;
                segment.truncate(len);
                Ok(())
            },
            &mut |segment: &Segment| {
                let opened = segment.bytes();
                output.write_all(opened).map_err(ArchiveError::Write)?;
                payload_len += len_u64(opened.len());
                archive_len += len_u64(opened.len() + TAG_LEN);
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
}
