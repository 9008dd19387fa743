//! The ceremony transcript: an append-only JSON Lines file in which every entry carries the
//! SHA-256 of the previous line, so that any edit, deletion, insertion or reordering breaks the
//! chain at a place the audit names. A transcript records digests of inputs and outputs, never
//! secrets. This module is the format's one writer and one reader: every read is bounded and
//! strict, and whoever needs the entries (the audit, a ceremony checking the manifest it last
//! recorded) takes them from here, checked, never from the file directly.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::{ManifestDigest, Timestamp};
use crate::files::{read_at_most, PUBLIC_FILE_MODE};

use super::step::{Ceremony, Step, MANIFEST};

/// The `prev` of the first entry.
pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Longest line a reader accepts; a longer one is not a custody transcript.
pub const MAX_LINE: usize = 64 * 1024;

/// Largest transcript a reader accepts (about a million entries): a bigger file is not a custody
/// transcript, and reading it whole must not exhaust memory.
pub const MAX_TRANSCRIPT_LEN: usize = 256 * 1024 * 1024;

/// What a ceremony step records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The step, `ceremony.action` (`genesis.begin`, `unlock.share-accepted`, `genesis.close`).
    pub step: String,
    /// Who acted: official ids, operator roles.
    pub actors: Vec<String>,
    /// Digests (hex SHA-256) of what the step read, by name.
    pub inputs: BTreeMap<String, String>,
    /// Digests (hex SHA-256) of what the step wrote, by name.
    pub outputs: BTreeMap<String, String>,
    /// Other public facts (threshold, token label, outcome).
    pub detail: BTreeMap<String, String>,
}

/// One line of the transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// 1 for the first entry, then one more per line.
    pub seq: u64,
    /// UTC time, RFC 3339 with seconds.
    pub time: String,
    /// The step and its facts.
    #[serde(flatten)]
    pub record: Record,
    /// Hex SHA-256 of the previous line's bytes ([`GENESIS_PREV`] for the first).
    pub prev: String,
}

/// Why a transcript does not check out.
#[derive(Debug, thiserror::Error)]
pub enum TranscriptError {
    /// A line is wrong; `line` counts from 1.
    #[error("transcript {}, line {line}: {problem}", .path.display())]
    Line {
        /// The transcript file.
        path: PathBuf,
        /// The line number.
        line: usize,
        /// What is wrong there.
        problem: String,
    },
    /// The transcript ends inside a ceremony.
    #[error("transcript {}: ends inside the {ceremony} ceremony begun at line {line} (truncated, or the ceremony never closed)", .path.display())]
    Unclosed {
        /// The transcript file.
        path: PathBuf,
        /// The ceremony left open.
        ceremony: String,
        /// Where it began.
        line: usize,
    },
    /// The domain's transcript is not there.
    #[error("transcript {} is missing: a domain's transcript is never deleted", .path.display())]
    Missing {
        /// Where it belongs.
        path: PathBuf,
    },
    /// The file cannot be read or written.
    #[error("transcript {}: {source}", .path.display())]
    Io {
        /// The transcript file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
}

impl TranscriptError {
    /// What to do next.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Line { .. } | Self::Unclosed { .. } => "the transcript was altered, cut or damaged after it was written: compare with the copies kept by the witnesses and the closing digest on the signed sheet",
            Self::Missing { .. } => "restore transcript.jsonl from the witnesses' copies; only if it is lost for good, run again with --new-transcript (recorded, and flagged by custody audit)",
            Self::Io { source, .. }
                if source.kind() == std::io::ErrorKind::ReadOnlyFilesystem =>
            {
                "the directory is on a read-only medium (a kit on a CD, a write-protected stick): \
                 copy the whole directory to a writable disk and run from the copy, which records \
                 this ceremony"
            }
            Self::Io { .. } => "check the path and its permissions",
        }
    }
}

/// One ceremony found in a transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CeremonySpan {
    /// Its name (`genesis`, `unlock`…).
    pub ceremony: String,
    /// The line of its `begin` entry.
    pub begin: usize,
    /// The line of its `close` entry; `None` when it was interrupted.
    pub close: Option<usize>,
    /// The outcome its close recorded, when that was a failure (`failed: …`, `FAIL: …`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

/// What an audit of a transcript found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// Number of entries.
    pub entries: usize,
    /// SHA-256 of the last line: commits to the whole transcript.
    pub closing_digest: [u8; 32],
    /// The ceremonies in order.
    pub ceremonies: Vec<CeremonySpan>,
}

/// A transcript read whole and checked: what its audit found, and the entries it checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedTranscript {
    /// What the check found.
    pub report: AuditReport,
    /// Every entry, in order.
    pub entries: Vec<Entry>,
}

impl CheckedTranscript {
    /// The last manifest the transcript records as written: its line and digest.
    pub fn last_manifest(&self) -> Option<RecordedManifest> {
        self.entries.iter().rev().find_map(RecordedManifest::of)
    }
}

/// A manifest digest a transcript records as a step's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedManifest {
    /// The entry's `seq`.
    pub seq: u64,
    /// The manifest digest, hex.
    pub digest: String,
}

impl RecordedManifest {
    fn of(entry: &Entry) -> Option<Self> {
        entry.record.outputs.get(MANIFEST).map(|digest| Self {
            seq: entry.seq,
            digest: digest.clone(),
        })
    }
}

/// What opening a domain's transcript does when it is missing.
#[derive(Debug, Clone, Copy)]
pub enum IfMissing {
    /// Refuse, naming it.
    Refuse,
    /// Start a new one (`--new-transcript`), whose first line records that it was started anew
    /// by `ceremony`, acting on `manifest`.
    StartAnew {
        /// The ceremony starting it.
        ceremony: Ceremony,
        /// The manifest in force, the new transcript's starting point.
        manifest: ManifestDigest,
    },
}

impl IfMissing {
    /// [`IfMissing::StartAnew`] when `new_transcript` was asked for, otherwise [`IfMissing::Refuse`].
    pub fn when(new_transcript: bool, ceremony: Ceremony, manifest: ManifestDigest) -> Self {
        if new_transcript {
            Self::StartAnew { ceremony, manifest }
        } else {
            Self::Refuse
        }
    }
}

/// An open transcript, ready for appending.
#[derive(Debug)]
pub struct Transcript {
    path: PathBuf,
    file: File,
    entries: usize,
    head: String,
    last_manifest: Option<RecordedManifest>,
}

impl Transcript {
    /// Starts a new transcript; refuses to overwrite one.
    pub fn create(path: &Path) -> Result<Self, TranscriptError> {
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(path)
            .map_err(io(path))?;
        // Public, and never writable by others, whatever the umask.
        file.set_permissions(std::fs::Permissions::from_mode(PUBLIC_FILE_MODE))
            .map_err(io(path))?;
        Ok(Self {
            path: path.to_owned(),
            file,
            entries: 0,
            head: GENESIS_PREV.to_owned(),
            last_manifest: None,
        })
    }

    /// Opens an existing transcript for appending, after checking its whole chain; a missing one
    /// is refused or started anew, as `if_missing` says.
    pub fn open(path: &Path, if_missing: IfMissing) -> Result<Self, TranscriptError> {
        let missing = matches!(std::fs::symlink_metadata(path), Err(e) if e.kind() == std::io::ErrorKind::NotFound);
        match if_missing {
            _ if !missing => {}
            IfMissing::Refuse => {
                return Err(TranscriptError::Missing {
                    path: path.to_owned(),
                })
            }
            IfMissing::StartAnew { ceremony, manifest } => {
                let mut fresh = Self::create(path)?;
                fresh.append(Step::TranscriptStartedAnew { ceremony, manifest })?;
                return Ok(fresh);
            }
        }
        let checked = check(path, Openness::MayBeOpen)?;
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(io(path))?;
        Ok(Self {
            path: path.to_owned(),
            file,
            entries: checked.report.entries,
            head: hex::encode(checked.report.closing_digest),
            last_manifest: checked.last_manifest(),
        })
    }

    /// Appends one entry (a ceremony's [`Step`](super::step::Step), or any record) and makes it
    /// durable; returns the new head digest.
    pub fn append(&mut self, record: impl Into<Record>) -> Result<[u8; 32], TranscriptError> {
        let record = record.into();
        let entry = Entry {
            seq: self.entries as u64 + 1,
            time: Timestamp::now().to_string(),
            record,
            prev: self.head.clone(),
        };
        let line = serde_json::to_string(&entry).map_err(|e| TranscriptError::Line {
            path: self.path.clone(),
            line: self.entries + 1,
            problem: format!("cannot encode the entry: {e}"),
        })?;
        let digest: [u8; 32] = Sha256::digest(line.as_bytes()).into();
        self.file
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| self.file.sync_all())
            .map_err(io(&self.path))?;
        self.entries += 1;
        self.head = hex::encode(digest);
        if let Some(recorded) = RecordedManifest::of(&entry) {
            self.last_manifest = Some(recorded);
        }
        Ok(digest)
    }

    /// The last manifest this transcript records as written, read when it was opened or
    /// appended since.
    pub fn last_manifest(&self) -> Option<&RecordedManifest> {
        self.last_manifest.as_ref()
    }

    /// The digest of the last line written.
    pub fn head(&self) -> &str {
        &self.head
    }
}

/// The transcript of the domain whose manifest is `manifest`: `transcript.jsonl` beside it.
pub fn beside(manifest: &Path) -> PathBuf {
    crate::files::directory_of(manifest).join("transcript.jsonl")
}

/// Whether the last ceremony may still be open (a ceremony appending to its own transcript).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Openness {
    MustBeClosed,
    MayBeOpen,
}

/// Checks a finished transcript: the chain, the numbering, and that every ceremony closed.
pub fn audit(path: &Path) -> Result<AuditReport, TranscriptError> {
    read_closed(path).map(|checked| checked.report)
}

/// Reads a finished transcript with every check of [`audit`], keeping the entries it checked.
pub fn read_closed(path: &Path) -> Result<CheckedTranscript, TranscriptError> {
    check(path, Openness::MustBeClosed)
}

/// The one reader of the format: bounded, strict, every line checked in order.
fn check(path: &Path, openness: Openness) -> Result<CheckedTranscript, TranscriptError> {
    let text = read_at_most(path, MAX_TRANSCRIPT_LEN).map_err(io(path))?;
    let at = |line: usize, problem: String| TranscriptError::Line {
        path: path.to_owned(),
        line,
        problem,
    };
    if text.len() > MAX_TRANSCRIPT_LEN {
        let lines = text.iter().filter(|b| **b == b'\n').count();
        return Err(at(
            lines + 1,
            format!("the file goes on past {} MiB", MAX_TRANSCRIPT_LEN >> 20),
        ));
    }
    if text.is_empty() {
        return Err(at(1, "the transcript is empty".into()));
    }
    if !text.ends_with(b"\n") {
        return Err(at(
            text.split(|b| *b == b'\n').count(),
            "the last line is cut short (no newline)".into(),
        ));
    }
    let mut prev = GENESIS_PREV.to_owned();
    let mut ceremonies: Vec<CeremonySpan> = Vec::new();
    let lines: Vec<&[u8]> = text[..text.len() - 1].split(|b| *b == b'\n').collect();
    let mut entries = Vec::with_capacity(lines.len());
    for (index, bytes) in lines.iter().enumerate() {
        let number = index + 1;
        if bytes.len() > MAX_LINE {
            return Err(at(number, format!("longer than {MAX_LINE} bytes")));
        }
        let entry: Entry = serde_json::from_slice(bytes)
            .map_err(|e| at(number, format!("not a transcript entry ({e})")))?;
        if entry.seq != number as u64 {
            return Err(at(number, format!("sequence number {} where {number} belongs: entries were removed, added or reordered", entry.seq)));
        }
        if entry.prev != prev {
            return Err(at(number, "does not chain to the line before it: that line or this one was altered, or lines were removed or reordered".into()));
        }
        Timestamp::parse(&entry.time).ok_or_else(|| {
            at(
                number,
                format!("time {:?} is not YYYY-MM-DDTHH:MM:SSZ", entry.time),
            )
        })?;
        track_ceremony(&mut ceremonies, &entry.record, number);
        prev = hex::encode(Sha256::digest(bytes));
        entries.push(entry);
    }
    if openness == Openness::MustBeClosed {
        if let Some(open) = ceremonies.last().filter(|c| c.close.is_none()) {
            return Err(TranscriptError::Unclosed {
                path: path.to_owned(),
                ceremony: open.ceremony.clone(),
                line: open.begin,
            });
        }
    }
    let mut closing_digest = [0u8; 32];
    hex::decode_to_slice(&prev, &mut closing_digest)
        .map_err(|_| at(lines.len(), "bad digest".into()))?;
    Ok(CheckedTranscript {
        report: AuditReport {
            entries: entries.len(),
            closing_digest,
            ceremonies,
        },
        entries,
    })
}

/// A drill rebuilds the key through an unlock of its own (`unlock.begin` … `unlock.close` inside
/// `drill.begin` … `drill.close`): that unlock is part of the drill, not a ceremony of its own.
fn is_inside_a_drill(ceremonies: &[CeremonySpan], ceremony: &str) -> bool {
    ceremony == "unlock"
        && ceremonies
            .last()
            .is_some_and(|open| open.ceremony == "drill" && open.close.is_none())
}

fn track_ceremony(ceremonies: &mut Vec<CeremonySpan>, record: &Record, line: usize) {
    let Some((ceremony, action)) = record.step.split_once('.') else {
        return;
    };
    if is_inside_a_drill(ceremonies, ceremony) {
        return;
    }
    match action {
        "begin" => ceremonies.push(CeremonySpan {
            ceremony: ceremony.to_owned(),
            begin: line,
            close: None,
            failed: None,
        }),
        "close" => {
            let open = ceremonies
                .iter_mut()
                .rev()
                .find(|s| s.ceremony == ceremony && s.close.is_none());
            if let Some(span) = open {
                span.close = Some(line);
                span.failed = record
                    .detail
                    .get("outcome")
                    .filter(|outcome| outcome.starts_with("failed") || outcome.starts_with("FAIL"))
                    .cloned();
            }
        }
        _ => {}
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> TranscriptError + '_ {
    move |source| TranscriptError::Io {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_only_medium_says_to_copy_the_directory() {
        let io = |kind| TranscriptError::Io {
            path: PathBuf::from("kit/domain/transcript.jsonl"),
            source: std::io::Error::from(kind),
        };
        assert!(io(std::io::ErrorKind::ReadOnlyFilesystem)
            .hint()
            .contains("copy the whole directory to a writable disk"));
        assert_eq!(
            io(std::io::ErrorKind::PermissionDenied).hint(),
            "check the path and its permissions"
        );
    }
}
