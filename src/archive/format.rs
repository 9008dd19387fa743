//! The byte layout of an archive, version 2: the header writer and the strict header reader side
//! by side so one screen shows the whole format (normative text: docs/FORMAT.md section 7).
//!
//! ```text
//! magic "CUSTODY-ARCHIVE\0" | version 02 | domain_len | domain | epoch u32 | key_id[32]
//! | wrap_check[40] | wrapped_key[40] | salt[32] | chunk_size u32 | flags | [name_len name] [size u64]
//! | [content_type_len content_type] [created u64] | header_mac[32]
//! payload: chunk_0 || chunk_1 || … || chunk_last, each = AES-256-GCM ciphertext || tag[16]
//! ```
//!
//! This module owns encoding and decoding the header. It never derives keys or checks the MAC
//! (`keys` does), and the reader bounds every length before reading the bytes it announces, so a
//! hostile header can make it read at most [`MAX_HEADER_LEN`] bytes.

use std::io::{self, Read};

use super::error::{ArchiveError, Result};
use super::header::{
    invalid, invalid_domain, ArchiveSpec, ChunkSize, Metadata, PublicHeader, MAX_CONTENT_TYPE_LEN,
    MAX_DOMAIN_LEN, MAX_NAME_LEN, SALT_LEN,
};
use crate::hsm::{WrappedKey, WRAPPED_DATA_KEY_LEN};
use crate::primitives::domain_id::DomainId;
use crate::primitives::key_identity::{KeyId, WrapCheck, WRAP_CHECK_LEN};
use crate::primitives::key_ref::KeyRef;

/// The first bytes of every archive.
pub const MAGIC: &[u8; 16] = b"CUSTODY-ARCHIVE\0";
/// The format version this module writes and reads.
pub const VERSION: u8 = 2;
/// Length of the header MAC (HMAC-SHA256).
pub const MAC_LEN: usize = 32;
/// The longest possible header: every optional field present at its longest.
pub const MAX_HEADER_LEN: usize = MAGIC.len()
    + 2
    + MAX_DOMAIN_LEN
    + 4
    + 32
    + WRAP_CHECK_LEN
    + WRAPPED_DATA_KEY_LEN
    + SALT_LEN
    + 4
    + 1
    + (1 + MAX_NAME_LEN)
    + 8
    + (1 + MAX_CONTENT_TYPE_LEN)
    + 8
    + MAC_LEN;

const FLAG_NAME: u8 = 0x01;
const FLAG_SIZE: u8 = 0x02;
const FLAG_CONTENT_TYPE: u8 = 0x04;
const FLAG_CREATED: u8 = 0x08;
const KNOWN_FLAGS: u8 = FLAG_NAME | FLAG_SIZE | FLAG_CONTENT_TYPE | FLAG_CREATED;

/// The header bytes the MAC covers: everything from the magic to the last metadata field. The
/// caller must have validated `spec`.
pub(super) fn encode(
    spec: &ArchiveSpec,
    wrap_check: &WrapCheck,
    wrapped_key: &WrappedKey,
    salt: &[u8; SALT_LEN],
) -> Vec<u8> {
    let identity = &spec.identity;
    let metadata = &spec.metadata;
    let mut out = Vec::with_capacity(MAX_HEADER_LEN);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    push_short(&mut out, identity.domain.as_str().as_bytes());
    out.extend_from_slice(&identity.epoch.to_be_bytes());
    out.extend_from_slice(identity.key_id.as_bytes());
    out.extend_from_slice(wrap_check.as_bytes());
    out.extend_from_slice(&wrapped_key.0);
    out.extend_from_slice(salt);
    out.extend_from_slice(&spec.chunk_size.get().to_be_bytes());
    let flags = [
        (metadata.name.is_some(), FLAG_NAME),
        (metadata.size.is_some(), FLAG_SIZE),
        (metadata.content_type.is_some(), FLAG_CONTENT_TYPE),
        (metadata.created.is_some(), FLAG_CREATED),
    ];
    out.push(flags.iter().filter(|(set, _)| *set).map(|(_, f)| f).sum());
    if let Some(name) = &metadata.name {
        push_short(&mut out, name.as_bytes());
    }
    if let Some(size) = metadata.size {
        out.extend_from_slice(&size.to_be_bytes());
    }
    if let Some(content_type) = &metadata.content_type {
        push_short(&mut out, content_type.as_bytes());
    }
    if let Some(created) = metadata.created {
        out.extend_from_slice(&created.to_be_bytes());
    }
    out
}

/// Reads and parses the header strictly, leaving `input` at the first payload byte. Returns the
/// public header and the bytes its MAC covers. Nothing here is authenticated yet.
pub(super) fn read(input: &mut impl Read) -> Result<(PublicHeader, Vec<u8>)> {
    let mut reader = HeaderReader {
        input,
        bytes: Vec::with_capacity(MAX_HEADER_LEN),
    };
    reader.magic()?;
    let version = reader.u8()?;
    if version != VERSION {
        return Err(ArchiveError::UnsupportedVersion(version));
    }
    let domain = reader.text("domain", MAX_DOMAIN_LEN)?;
    let epoch = u32::from_be_bytes(reader.array()?);
    let key_id = KeyId::from_bytes(reader.array()?);
    let wrap_check = WrapCheck::from_bytes(reader.array()?);
    let wrapped_key = WrappedKey(reader.array::<WRAPPED_DATA_KEY_LEN>()?.to_vec());
    let salt = reader.array()?;
    let chunk_size = ChunkSize::new(u32::from_be_bytes(reader.array()?))?;
    let metadata = reader.metadata()?;
    let spec = ArchiveSpec {
        identity: KeyRef {
            domain: DomainId::new(domain).map_err(invalid_domain)?,
            epoch,
            key_id,
        },
        metadata,
        chunk_size,
    };
    spec.validate()?;
    let covered = reader.bytes;
    let mut mac = [0u8; MAC_LEN];
    read_exact(reader.input, &mut mac)?;
    let header = PublicHeader {
        version,
        spec,
        wrap_check,
        wrapped_key,
        salt,
        mac,
        len: covered.len() + MAC_LEN,
    };
    Ok((header, covered))
}

/// A length byte then the bytes; the caller has bounded the length to 255.
fn push_short(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(u8::try_from(bytes.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(bytes);
}

/// Reads exactly the bytes the header announces, keeping a copy for the MAC.
struct HeaderReader<'a, R> {
    input: &'a mut R,
    bytes: Vec<u8>,
}

impl<R: Read> HeaderReader<'_, R> {
    fn magic(&mut self) -> Result<()> {
        let mut magic = [0u8; MAGIC.len()];
        let got = read_up_to(self.input, &mut magic).map_err(ArchiveError::Read)?;
        if magic[..got] != MAGIC[..got] {
            return Err(ArchiveError::NotAnArchive);
        }
        if got < MAGIC.len() {
            return Err(ArchiveError::TruncatedHeader);
        }
        self.bytes.extend_from_slice(&magic);
        Ok(())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut array = [0u8; N];
        read_exact(self.input, &mut array)?;
        self.bytes.extend_from_slice(&array);
        Ok(array)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// A length byte, bounded before the bytes are read, then UTF-8 text (checked further by
    /// the field's own validation).
    fn text(&mut self, field: &'static str, max: usize) -> Result<String> {
        let len = usize::from(self.u8()?);
        if !(1..=max).contains(&len) {
            return Err(invalid(field, format!("length {len} is outside 1..={max}")));
        }
        let start = self.bytes.len();
        self.bytes.resize(start + len, 0);
        read_exact(self.input, &mut self.bytes[start..])?;
        String::from_utf8(self.bytes[start..].to_vec())
            .map_err(|_| invalid(field, "not UTF-8 text".into()))
    }

    fn metadata(&mut self) -> Result<Metadata> {
        let flags = self.u8()?;
        if flags & !KNOWN_FLAGS != 0 {
            return Err(invalid(
                "flags",
                format!("unknown bits set in {flags:#04x}"),
            ));
        }
        let name = match flags & FLAG_NAME {
            0 => None,
            _ => Some(self.text("name", MAX_NAME_LEN)?),
        };
        let size = match flags & FLAG_SIZE {
            0 => None,
            _ => Some(self.u64()?),
        };
        let content_type = match flags & FLAG_CONTENT_TYPE {
            0 => None,
            _ => Some(self.text("content_type", MAX_CONTENT_TYPE_LEN)?),
        };
        let created = match flags & FLAG_CREATED {
            0 => None,
            _ => Some(self.u64()?),
        };
        Ok(Metadata {
            name,
            size,
            content_type,
            created,
        })
    }
}

fn read_exact(input: &mut impl Read, buf: &mut [u8]) -> Result<()> {
    input.read_exact(buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => ArchiveError::TruncatedHeader,
        _ => ArchiveError::Read(e),
    })
}

/// Fills `buf` unless the input ends first; returns how many bytes were read.
pub(super) fn read_up_to(input: &mut (impl Read + ?Sized), buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(metadata: Metadata) -> ArchiveSpec {
        ArchiveSpec {
            identity: KeyRef {
                domain: DomainId::new("d".repeat(MAX_DOMAIN_LEN)).unwrap(),
                epoch: 7,
                key_id: KeyId::from_bytes([1; 32]),
            },
            metadata,
            chunk_size: ChunkSize::new(ChunkSize::MAX).unwrap(),
        }
    }

    /// The layout alone, without cryptography: the shortest and longest headers read back.
    #[test]
    fn shortest_and_longest_headers_read_back() {
        let longest = Metadata {
            name: Some("n".repeat(MAX_NAME_LEN)),
            size: Some(u64::MAX),
            content_type: Some("t".repeat(MAX_CONTENT_TYPE_LEN)),
            created: Some(1),
        };
        for (metadata, len) in [(Metadata::default(), 0), (longest, MAX_HEADER_LEN)] {
            let spec = spec(metadata);
            let wrapped = WrappedKey(vec![2; WRAPPED_DATA_KEY_LEN]);
            let wrap_check = WrapCheck::from_bytes([5; WRAP_CHECK_LEN]);
            let mut bytes = encode(&spec, &wrap_check, &wrapped, &[3; SALT_LEN]);
            let covered = bytes.clone();
            bytes.extend_from_slice(&[4; MAC_LEN]);
            if len > 0 {
                assert_eq!(bytes.len(), len);
            }
            let (header, read_covered) = read(&mut bytes.as_slice()).unwrap();
            assert_eq!(header.spec, spec);
            assert_eq!(header.wrap_check, wrap_check);
            assert_eq!(header.wrapped_key, wrapped);
            assert_eq!(header.mac, [4; MAC_LEN]);
            assert_eq!(header.len, bytes.len());
            assert_eq!(read_covered, covered);
        }
    }
}
