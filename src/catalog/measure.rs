//! Measuring an archive as its bytes pass: [`Measure`] is a writer that hands every byte on to
//! the writer beneath it (an archive being created in a store) and hashes the header and the
//! payload apart — the header found by parsing the first bytes, as the store does — so sealing
//! gives its catalog entry without reading anything back. [`measure_stored`] reads an archive of
//! a store whole, in a fixed buffer, for the same facts.

use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

use super::entry::{len_u64, Entry, Facts};
use super::error::{CatalogError, Result};
use crate::archive::MAX_HEADER_LEN;
use crate::store::{header_len, ArchiveStore};

/// The buffer an archive is read through.
const READ_BUFFER: usize = 1024 * 1024;

/// A writer that measures the archive written through it.
#[derive(Debug)]
pub struct Measure<W> {
    inner: W,
    /// The header's bytes: all bytes so far until the header is whole, then the header alone.
    header: Vec<u8>,
    header_done: bool,
    payload: Sha256,
    payload_len: u64,
}

/// What [`Measure`] saw: an archive's facts and its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measured {
    facts: Facts,
    header: Vec<u8>,
}

impl<W: Write> Measure<W> {
    /// Measures what is written to `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            header: Vec::with_capacity(MAX_HEADER_LEN),
            header_done: false,
            payload: Sha256::new(),
            payload_len: 0,
        }
    }

    /// The writer beneath and the archive's facts; an error when what was written does not
    /// start with a whole archive header (the writer is then dropped: an archive created in a
    /// store and never committed leaves nothing).
    pub fn finish(self) -> Result<(W, Measured)> {
        if !self.header_done {
            return Err(CatalogError::NotAnArchive("the bytes written".to_owned()));
        }
        let facts = Facts::of_header(
            &self.header,
            self.payload_len,
            self.payload.finalize().into(),
        )?;
        Ok((
            self.inner,
            Measured {
                facts,
                header: self.header,
            },
        ))
    }

    /// Takes the bytes written through.
    fn account(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        if !self.header_done {
            let room = MAX_HEADER_LEN - self.header.len();
            let taken = bytes.len().min(room);
            self.header.extend_from_slice(&bytes[..taken]);
            bytes = &bytes[taken..];
            match header_len(&self.header) {
                Some(len) => {
                    // Bytes past the header are payload.
                    let extra = self.header.split_off(len);
                    self.header_done = true;
                    self.payload.update(&extra);
                    self.payload_len += len_u64(extra.len());
                }
                None if self.header.len() == MAX_HEADER_LEN => {
                    return Err(io::Error::other("not an archive header"));
                }
                None => return Ok(()),
            }
        }
        self.payload.update(bytes);
        self.payload_len += len_u64(bytes.len());
        Ok(())
    }
}

impl<W: Write> Write for Measure<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // A writer that claims more than it was given wrote at most what it was given.
        let written = self.inner.write(buf)?.min(buf.len());
        self.account(&buf[..written])?;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl Measured {
    /// The archive's facts.
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// The archive's header bytes.
    pub fn header(&self) -> &[u8] {
        &self.header
    }

    /// The entry of this archive sealed under `name` at `time`.
    pub fn sealed(self, name: &str, time: u64) -> Result<Entry> {
        Entry::sealed(name, time, self.facts)
    }
}

/// The facts of archive `name` of `store` from its header alone: the header read and hashed, the
/// payload's length the store's `len` for the archive less the header's, its digest not known
/// (left as zeros: [`super::verify_with`] with [`super::Depth::Headers`] does not compare it).
pub(super) fn measure_head(store: &dyn ArchiveStore, name: &str, len: u64) -> Result<Measured> {
    let head = store.read_head(name, MAX_HEADER_LEN)?;
    let header_len =
        header_len(&head).ok_or_else(|| CatalogError::NotAnArchive(store.shown(name)))?;
    let header = head.get(..header_len).unwrap_or_default();
    let payload_len = len
        .checked_sub(len_u64(header_len))
        .ok_or_else(|| CatalogError::Read {
            name: store.shown(name),
            problem: "the store lists it shorter than its header".to_owned(),
        })?;
    Ok(Measured {
        facts: Facts::of_header(header, payload_len, [0u8; 32])?,
        header: header.to_vec(),
    })
}

/// The facts of archive `name` of `store`, read whole through one buffer.
pub fn measure_stored(store: &dyn ArchiveStore, name: &str) -> Result<Measured> {
    let failed = |problem: String| CatalogError::Read {
        name: store.shown(name),
        problem,
    };
    let mut input = store.read(name)?;
    let mut measure = Measure::new(io::sink());
    let mut buffer = vec![0u8; READ_BUFFER];
    loop {
        let read = match input.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(failed(error.to_string())),
        };
        measure
            .write_all(&buffer[..read])
            .map_err(|_| CatalogError::NotAnArchive(store.shown(name)))?;
    }
    match measure.finish() {
        Ok((_, measured)) => Ok(measured),
        Err(CatalogError::NotAnArchive(_)) => Err(CatalogError::NotAnArchive(store.shown(name))),
        Err(error) => Err(error),
    }
}
