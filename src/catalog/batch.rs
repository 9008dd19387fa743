//! A catalog batch (docs/FORMAT.md 16.3): the bytes one run appends, a header line chaining it to
//! the batch before (the previous batch's digest) and one line per entry, each ending in a line
//! feed. Its digest is the SHA-256 of its bytes, so `sha256sum` of a batch file is its chain
//! hash. The writer and the strict, bounded reader side by side; the chain itself (that `prev`
//! is the batch before's digest, sequences from 1 without a gap) is checked by the catalog.

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::entry::{digest, Entry};
use super::merkle::Hash;

/// The catalog format's version.
pub const CATALOG_VERSION: u64 = 1;

/// The largest batch read, in bytes.
pub const MAX_BATCH_LEN: usize = 256 * 1024 * 1024;

/// The longest line of a batch, in bytes, without its line feed.
pub const MAX_LINE_LEN: usize = 4096;

/// The `prev` of batch 1: 32 zero bytes.
pub const NO_PREVIOUS: Hash = [0u8; 32];

/// One batch, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Its sequence number, from 1.
    pub sequence: u64,
    /// When it was written, in seconds since 1970-01-01T00:00:00Z.
    pub time: u64,
    /// The digest of the batch before it ([`NO_PREVIOUS`] for batch 1).
    pub prev: Hash,
    /// Its entries, in order.
    pub entries: Vec<Entry>,
    /// SHA-256 of its bytes: its chain hash.
    pub digest: Hash,
}

/// The header line of batch `sequence` (without its line feed).
fn header_line(sequence: u64, time: u64, entries: usize, prev: &Hash) -> String {
    format!(
        "{{\"catalog\":{CATALOG_VERSION},\"batch\":{sequence},\"time\":{time},\"entries\":{entries},\
         \"prev\":\"{}\"}}",
        hex::encode(prev)
    )
}

/// The bytes of batch `sequence`, written at `time`, after the batch whose digest is `prev`.
pub fn encode(sequence: u64, time: u64, prev: &Hash, entries: &[Entry]) -> Vec<u8> {
    let mut text = header_line(sequence, time, entries.len(), prev);
    text.push('\n');
    for entry in entries {
        text.push_str(&entry.line());
        text.push('\n');
    }
    text.into_bytes()
}

/// A batch header as JSON gives it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    catalog: u64,
    batch: u64,
    time: u64,
    entries: u64,
    prev: String,
}

/// Reads batch `sequence` strictly; a problem is returned with its line (from 1) when it is on
/// one.
pub fn parse(sequence: u64, bytes: &[u8]) -> Result<Batch, (Option<usize>, String)> {
    if bytes.len() > MAX_BATCH_LEN {
        return Err((
            None,
            format!("larger than a batch may be ({MAX_BATCH_LEN} bytes)"),
        ));
    }
    let Some(body) = bytes.strip_suffix(b"\n") else {
        return Err((
            None,
            "empty, or its last line has no line feed (cut short)".to_owned(),
        ));
    };
    let mut lines = body.split(|byte| *byte == b'\n');
    let header = lines.next().unwrap_or_default();
    let at = |line: usize| move |problem: String| (Some(line), problem);
    check_line(header).map_err(at(1))?;
    let raw: RawHeader = serde_json::from_slice(header)
        .map_err(|error| (Some(1), format!("not a catalog batch header ({error})")))?;
    if raw.catalog != CATALOG_VERSION {
        return Err((
            Some(1),
            format!(
                "catalog format version {}; this custody reads version {CATALOG_VERSION}",
                raw.catalog
            ),
        ));
    }
    if raw.batch != sequence {
        return Err((
            Some(1),
            format!(
                "it says it is batch {}, where batch {sequence} belongs",
                raw.batch
            ),
        ));
    }
    let prev = digest("prev", &raw.prev).map_err(at(1))?;
    let mut entries = Vec::new();
    for (index, line) in lines.enumerate() {
        let number = index + 2;
        check_line(line).map_err(at(number))?;
        entries.push(Entry::parse(line).map_err(at(number))?);
    }
    if entries.is_empty() {
        return Err((Some(1), "a batch has at least one entry".to_owned()));
    }
    if u64::try_from(entries.len()).ok() != Some(raw.entries) {
        return Err((
            Some(1),
            format!(
                "it announces {} entries and holds {} (lines cut or added)",
                raw.entries,
                entries.len()
            ),
        ));
    }
    let canonical = header_line(sequence, raw.time, entries.len(), &prev);
    if canonical.as_bytes() != header {
        return Err((
            Some(1),
            "not in canonical form (members in the order of docs/FORMAT.md 16.3, no spaces, \
             lower-case hex)"
                .to_owned(),
        ));
    }
    Ok(Batch {
        sequence,
        time: raw.time,
        prev,
        entries,
        digest: Sha256::digest(bytes).into(),
    })
}

/// Reads a batch on its own, its sequence number taken from its header (`custody inspect`: the
/// chain is not checked, only the batch's own form).
pub fn parse_alone(bytes: &[u8]) -> Result<Batch, (Option<usize>, String)> {
    let first = bytes
        .split(|byte| *byte == b'\n')
        .next()
        .unwrap_or_default();
    let sequence = serde_json::from_slice::<serde_json::Value>(first)
        .ok()
        .and_then(|header| header.get("batch")?.as_u64())
        .unwrap_or(0);
    parse(sequence, bytes)
}

fn check_line(line: &[u8]) -> Result<(), String> {
    if line.is_empty() {
        return Err("an empty line".to_owned());
    }
    if line.len() > MAX_LINE_LEN {
        return Err(format!("longer than a line may be ({MAX_LINE_LEN} bytes)"));
    }
    if line.contains(&b'\r') {
        return Err("a carriage return (lines end in a line feed alone)".to_owned());
    }
    Ok(())
}
