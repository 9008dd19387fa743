//! One catalog entry (docs/FORMAT.md 16.2): what happened to one archive — sealed, rewrapped or
//! removed — its name, when, and for an archive present its header's and payload's lengths and
//! SHA-256 digests with the key its header names. An entry is written as one canonical JSON line;
//! the strict reader accepts exactly the bytes the writer gives for the same entry, nothing else.
//! Pure values: no I/O.

use std::fmt;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::error::{CatalogError, Result};
use crate::archive::read_header;
use crate::primitives::domain_id::DomainId;
use crate::primitives::key_identity::KeyId;
use crate::store::ARCHIVE_SUFFIX;

/// The longest archive name a catalog records, in bytes.
pub const MAX_NAME_LEN: usize = 1024;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Event {
    /// A new archive under the name (or a new archive replacing the one of that name).
    Sealed,
    /// The archive's header replaced by rotation; its payload unchanged.
    Rewrapped,
    /// The archive removed from the store on purpose.
    Removed,
}

impl Event {
    /// The event as the catalog writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sealed => "sealed",
            Self::Rewrapped => "rewrapped",
            Self::Removed => "removed",
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The facts of an archive present: its two parts and the key its header names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The domain its header names.
    pub domain: DomainId,
    /// The epoch its header names.
    pub epoch: u32,
    /// The key id its header names.
    pub key_id: KeyId,
    /// The header's length in bytes.
    pub header_len: u64,
    /// SHA-256 of the header's bytes.
    pub header_sha256: [u8; 32],
    /// The payload's length in bytes (the archive's bytes after its header).
    pub payload_len: u64,
    /// SHA-256 of the payload's bytes.
    pub payload_sha256: [u8; 32],
}

impl Facts {
    /// The archive's whole length, header and payload.
    pub fn archive_len(&self) -> u64 {
        self.header_len.saturating_add(self.payload_len)
    }

    /// The facts of an archive whose header is exactly `header` and whose payload has this
    /// length and digest.
    pub fn of_header(header: &[u8], payload_len: u64, payload_sha256: [u8; 32]) -> Result<Self> {
        let parsed = read_header(header)
            .map_err(|error| CatalogError::Entry(format!("not an archive header: {error}")))?;
        if parsed.len != header.len() {
            return Err(CatalogError::Entry(format!(
                "{} bytes given where the archive header is {} bytes",
                header.len(),
                parsed.len
            )));
        }
        Ok(Self {
            domain: parsed.spec.identity.domain.clone(),
            epoch: parsed.spec.identity.epoch,
            key_id: parsed.spec.identity.key_id,
            header_len: len_u64(header.len()),
            header_sha256: Sha256::digest(header).into(),
            payload_len,
            payload_sha256,
        })
    }
}

/// One line of a catalog batch: an event about one archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    event: Event,
    name: String,
    time: u64,
    archive: Option<Facts>,
}

impl Entry {
    /// An archive sealed under `name` at `time` (seconds since 1970-01-01T00:00:00Z).
    pub fn sealed(name: &str, time: u64, facts: Facts) -> Result<Self> {
        check_name(name).map_err(|problem| CatalogError::Entry(format!("{name:?}: {problem}")))?;
        Ok(Self {
            event: Event::Sealed,
            name: name.to_owned(),
            time,
            archive: Some(facts),
        })
    }

    /// The archive of `previous` rewrapped at `time`: its header is now `new_header` (whole,
    /// exactly), its payload is the one `previous` records, never read.
    pub fn rewrapped(previous: &Entry, new_header: &[u8], time: u64) -> Result<Self> {
        let Some(before) = &previous.archive else {
            return Err(CatalogError::Entry(format!(
                "{}: its last entry records its removal; there is no archive to rewrap",
                previous.name
            )));
        };
        let facts = Facts::of_header(new_header, before.payload_len, before.payload_sha256)
            .map_err(|error| CatalogError::Entry(format!("{}: {error}", previous.name)))?;
        check_rewrap(before, &facts)
            .map_err(|problem| CatalogError::Entry(format!("{}: {problem}", previous.name)))?;
        Ok(Self {
            event: Event::Rewrapped,
            name: previous.name.clone(),
            time,
            archive: Some(facts),
        })
    }

    /// Archive `name` removed from the store on purpose at `time`.
    pub fn removed(name: &str, time: u64) -> Result<Self> {
        check_name(name).map_err(|problem| CatalogError::Entry(format!("{name:?}: {problem}")))?;
        Ok(Self {
            event: Event::Removed,
            name: name.to_owned(),
            time,
            archive: None,
        })
    }

    /// What happened.
    pub fn event(&self) -> Event {
        self.event
    }

    /// The archive's name, relative to its store, `/`-separated.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// When, in seconds since 1970-01-01T00:00:00Z.
    pub fn time(&self) -> u64 {
        self.time
    }

    /// The archive's facts; `None` for a removal.
    pub fn archive(&self) -> Option<&Facts> {
        self.archive.as_ref()
    }

    /// The entry's line, without its line feed: canonical JSON (FORMAT.md 16.2).
    pub fn line(&self) -> String {
        let head = format!(
            "{{\"event\":\"{}\",\"name\":\"{}\",\"time\":{}",
            self.event, self.name, self.time
        );
        match &self.archive {
            None => format!("{head}}}"),
            Some(facts) => format!(
                "{head},\"domain\":\"{}\",\"epoch\":{},\"key_id\":\"{}\",\"header_len\":{},\
                 \"header_sha256\":\"{}\",\"payload_len\":{},\"payload_sha256\":\"{}\"}}",
                facts.domain,
                facts.epoch,
                facts.key_id,
                facts.header_len,
                hex::encode(facts.header_sha256),
                facts.payload_len,
                hex::encode(facts.payload_sha256),
            ),
        }
    }

    /// Reads one line (without its line feed), strictly: the canonical form only.
    pub fn parse(line: &[u8]) -> Result<Self, String> {
        let raw: RawEntry = serde_json::from_slice(line)
            .map_err(|error| format!("not a catalog entry ({error})"))?;
        let event = match raw.event.as_str() {
            "sealed" => Event::Sealed,
            "rewrapped" => Event::Rewrapped,
            "removed" => Event::Removed,
            other => return Err(format!("unknown event {other:?}")),
        };
        check_name(&raw.name).map_err(|problem| format!("name {:?}: {problem}", raw.name))?;
        let archive = match event {
            Event::Removed => {
                if raw.has_facts() {
                    return Err("a removal records no archive facts".to_owned());
                }
                None
            }
            Event::Sealed | Event::Rewrapped => Some(raw.facts()?),
        };
        let entry = Self {
            event,
            name: raw.name,
            time: raw.time,
            archive,
        };
        if entry.line().as_bytes() != line {
            return Err(
                "not in canonical form (members in the order of docs/FORMAT.md 16.2, no spaces, \
                 lower-case hex, no escapes)"
                    .to_owned(),
            );
        }
        Ok(entry)
    }
}

/// A rewrap keeps the payload, the header's length and the domain (docs/FORMAT.md 7.1).
pub(super) fn check_rewrap(before: &Facts, after: &Facts) -> Result<(), String> {
    if after.payload_len != before.payload_len || after.payload_sha256 != before.payload_sha256 {
        return Err("a rewrap keeps the payload, but the payload differs".to_owned());
    }
    if after.header_len != before.header_len {
        return Err(format!(
            "a rewrap keeps the header's length, but it is {} bytes where it was {}",
            after.header_len, before.header_len
        ));
    }
    if after.domain != before.domain {
        return Err(format!(
            "a rewrap keeps the domain, but it is {} where it was {}",
            after.domain, before.domain
        ));
    }
    Ok(())
}

/// Refuses a name a catalog cannot record (docs/FORMAT.md 16.2).
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(format!("a name is 1 to {MAX_NAME_LEN} bytes"));
    }
    if name
        .chars()
        .any(|c| c.is_control() || c == '"' || c == '\\')
    {
        return Err("a name has no control character, `\"` or `\\`".to_owned());
    }
    if name
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Err(
            "a name is relative, its parts separated by single `/`, none `.` or `..`".to_owned(),
        );
    }
    if name.split('/').next() == Some(".catalog") {
        return Err("`.catalog/` holds the catalog itself".to_owned());
    }
    let last = name.rsplit('/').next().unwrap_or(name);
    if !last.ends_with(ARCHIVE_SUFFIX) || last.len() == ARCHIVE_SUFFIX.len() {
        return Err(format!("an archive's name ends in `{ARCHIVE_SUFFIX}`"));
    }
    Ok(())
}

/// An entry as JSON gives it, before its rules are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    event: String,
    name: String,
    time: u64,
    domain: Option<String>,
    epoch: Option<u32>,
    key_id: Option<String>,
    header_len: Option<u64>,
    header_sha256: Option<String>,
    payload_len: Option<u64>,
    payload_sha256: Option<String>,
}

impl RawEntry {
    fn has_facts(&self) -> bool {
        self.domain.is_some()
            || self.epoch.is_some()
            || self.key_id.is_some()
            || self.header_len.is_some()
            || self.header_sha256.is_some()
            || self.payload_len.is_some()
            || self.payload_sha256.is_some()
    }

    fn facts(&self) -> Result<Facts, String> {
        let missing = |member: &str| format!("`{member}` is missing");
        let domain = self.domain.as_deref().ok_or_else(|| missing("domain"))?;
        let domain =
            DomainId::new(domain).map_err(|_| format!("domain {domain:?} is not a domain id"))?;
        let key_id = self.key_id.as_deref().ok_or_else(|| missing("key_id"))?;
        Ok(Facts {
            domain,
            epoch: self.epoch.ok_or_else(|| missing("epoch"))?,
            key_id: KeyId::from_bytes(digest("key_id", key_id)?),
            header_len: self.header_len.ok_or_else(|| missing("header_len"))?,
            header_sha256: digest(
                "header_sha256",
                self.header_sha256
                    .as_deref()
                    .ok_or_else(|| missing("header_sha256"))?,
            )?,
            payload_len: self.payload_len.ok_or_else(|| missing("payload_len"))?,
            payload_sha256: digest(
                "payload_sha256",
                self.payload_sha256
                    .as_deref()
                    .ok_or_else(|| missing("payload_sha256"))?,
            )?,
        })
    }
}

/// 32 bytes from 64 hex digits.
pub(super) fn digest(member: &str, text: &str) -> Result<[u8; 32], String> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text, &mut bytes)
        .map_err(|_| format!("`{member}` is not 64 hex digits"))?;
    Ok(bytes)
}

/// A buffer length as a byte count.
pub(super) fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}
