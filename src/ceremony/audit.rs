//! The audit of a domain directory, offline, with the tool and the public files alone: the
//! transcript's hash chain and closure, the manifest chain (every signature from the genesis
//! manifest to the manifest in force, and every one of those manifests recorded in the
//! transcript), the place, form and signature of each signed ceremony (`transcript_signature`,
//! under the verifying key the chain publishes for its epoch), the manifest's validity, that the
//! transcript's last
//! recorded manifest is this manifest, that each share file present is the one the manifest
//! records, and that each revoked share set the manifest lists was revoked by a reshare recorded
//! in the transcript (`reshare.set-revoked`). Then it lists the domain's history: every manifest
//! of the chain with what made it, and what `history/` keeps, flagging whatever there custody does
//! not write. It reads; it never changes anything.

use std::path::Path;

use serde::Serialize;

use crate::domain::{LinkKind, Manifest, ManifestChain};
use crate::shares::sealed::{SealedShare, MAX_FILE_LEN};

use super::error::CeremonyError;
use super::step::{is_insecure_kdf, is_started_anew, revoked_set_id, share_file, MANIFEST};
use super::transcript::{read_closed, CeremonySpan, Entry, Record, RecordedManifest};
use super::transcript_signature::{check_signed_ceremonies, SignedReport};

mod history;

use history::check_history;
pub use history::{HistoryAudit, KeptCanaryAudit, KeptSetAudit, UnrecognisedAudit};

/// What the audit of a domain directory found.
#[derive(Debug, Clone, Serialize)]
pub struct DomainAudit {
    /// The domain.
    pub domain: String,
    /// The epoch of its current key.
    pub epoch: u32,
    /// The domain fingerprint, hex: the domain's identity.
    pub domain_fingerprint: String,
    /// The manifest digest, hex.
    pub manifest_digest: String,
    /// Every manifest of the chain, oldest first, each verified against the one before it.
    pub chain: Vec<ChainLinkAudit>,
    /// Transcript entries checked.
    pub entries: usize,
    /// The ceremonies recorded.
    pub ceremonies: Vec<CeremonySpan>,
    /// The transcript's closing digest.
    pub closing_digest: [u8; 32],
    /// The digest of every line, in order (the last is the closing digest).
    #[serde(skip)]
    pub line_digests: Vec<[u8; 32]>,
    /// The signed ceremonies, and what follows the last signature unsigned.
    pub signed: SignedReport,
    /// Each official's share file: `present and recorded`, or `not in this directory`.
    pub share_files: Vec<(String, String)>,
    /// The share sets revoked, oldest first.
    pub revoked_sets: Vec<RevokedSetAudit>,
    /// Lines recording share files sealed with argon2id costs below the defaults.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub insecure_kdf: Vec<u64>,
    /// Lines where a ceremony started the transcript anew (`--new-transcript`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub started_anew: Vec<u64>,
    /// What `history/` keeps of superseded share sets and canaries.
    pub history: HistoryAudit,
}

/// One manifest of the domain's chain, as the audit verified it.
#[derive(Debug, Clone, Serialize)]
pub struct ChainLinkAudit {
    /// Its chain position.
    pub position: u64,
    /// Its epoch.
    pub epoch: u32,
    /// Its share set's id, hex.
    pub set_id: String,
    /// The ceremony that made it, as it follows the manifest before it.
    pub made_by: LinkKind,
    /// When it was made.
    pub created: String,
    /// Its digest, hex.
    pub digest: String,
    /// The transcript line that recorded it, unless it precedes a transcript started anew.
    pub recorded_at_line: Option<u64>,
}

/// One revoked share set, as the manifest lists it and the transcript recorded it.
#[derive(Debug, Clone, Serialize)]
pub struct RevokedSetAudit {
    /// The set id, hex.
    pub set_id: String,
    /// The epoch of the key it shared.
    pub epoch: u32,
    /// When it was revoked.
    pub revoked_at: String,
    /// Why.
    pub reason: String,
    /// The transcript line of the reshare step that revoked it.
    pub recorded_at_line: u64,
}

/// Audits the domain directory `dir`.
pub fn audit_domain(dir: &Path) -> Result<DomainAudit, CeremonyError> {
    check_domain_directory(dir)?;
    let transcript = read_closed(&dir.join("transcript.jsonl"))?;
    let chain = ManifestChain::load(&dir.join(MANIFEST))?;
    let manifest = chain.in_force();
    check_recorded_manifest(transcript.last_manifest().as_ref(), manifest)?;
    let links = check_chain_recorded(&transcript.entries, &chain)?;
    let share_files = manifest
        .officials()
        .iter()
        .map(|entry| {
            let id = entry.official().id().to_string();
            let file = dir.join(share_file(&id));
            check_share_file(manifest, &file).map(|state| (id, state))
        })
        .collect::<Result<_, _>>()?;
    let revoked_sets = check_revocations(&transcript.entries, manifest)?;
    // Last, so that a more specific refusal above names what is missing: the signatures, under
    // each epoch's verifying key as the verified chain publishes it.
    let key_for_epoch = |epoch: u32| chain.verifying_key(epoch).cloned();
    let signed = check_signed_ceremonies(&transcript.entries, &key_for_epoch)?;
    Ok(DomainAudit {
        domain: manifest.domain().to_owned(),
        epoch: manifest.epoch(),
        domain_fingerprint: manifest.domain_fingerprint().to_string(),
        manifest_digest: manifest.digest().to_string(),
        chain: links,
        entries: transcript.report.entries,
        ceremonies: transcript.report.ceremonies,
        closing_digest: transcript.report.closing_digest,
        line_digests: line_digests(&transcript.entries, transcript.report.closing_digest),
        signed,
        share_files,
        revoked_sets,
        insecure_kdf: lines_where(&transcript.entries, is_insecure_kdf),
        started_anew: lines_where(&transcript.entries, is_started_anew),
        history: check_history(dir, &chain)?,
    })
}

/// Every manifest of the chain must be recorded as written (`manifest.json` in `outputs`), except
/// those before the manifest a transcript was started anew from: a transcript cut back by whole
/// ceremonies no longer records the newest manifests, though its own hash chain still holds.
fn check_chain_recorded(
    entries: &[Entry],
    chain: &ManifestChain,
) -> Result<Vec<ChainLinkAudit>, CeremonyError> {
    let recorded_at = |digest: &str| {
        entries
            .iter()
            .find(|entry| entry.record.outputs.get(MANIFEST).map(String::as_str) == Some(digest))
            .map(|entry| entry.seq)
    };
    let started_from = entries
        .iter()
        .filter(|entry| is_started_anew(&entry.record))
        .filter_map(|entry| entry.record.outputs.get(MANIFEST))
        .filter_map(|digest| {
            chain
                .manifests()
                .find(|manifest| manifest.digest().to_string() == *digest)
        })
        .map(|manifest| manifest.chain_position())
        .min();
    chain
        .links()
        .map(|(manifest, made_by)| {
            let digest = manifest.digest().to_string();
            let line = recorded_at(&digest);
            let exempt = started_from.is_some_and(|from| manifest.chain_position() < from);
            if line.is_none() && !exempt {
                return Err(CeremonyError::refused(
                    format!(
                        "the manifest at chain position {} (epoch {}, digest {digest}) is not \
                         recorded in the transcript: ceremonies were cut from the transcript, or \
                         it belongs to another domain directory",
                        manifest.chain_position(),
                        manifest.epoch()
                    ),
                    "restore the transcript from the witnesses' copies and compare its closing \
                     digest with the signed sheet of the last ceremony",
                ));
            }
            Ok(ChainLinkAudit {
                position: manifest.chain_position(),
                epoch: manifest.epoch(),
                set_id: hex::encode(manifest.set_id()),
                made_by,
                created: manifest.created().to_string(),
                digest,
                recorded_at_line: line,
            })
        })
        .collect()
}

/// Refuses, by name, a path that is not a domain directory: a file (often `manifest.json` given
/// for its directory) or a directory that does not exist.
fn check_domain_directory(dir: &Path) -> Result<(), CeremonyError> {
    if dir.is_dir() {
        return Ok(());
    }
    let message = if !dir.exists() {
        format!("{} does not exist", dir.display())
    } else if dir.file_name().and_then(|name| name.to_str()) == Some(MANIFEST) {
        format!(
            "{} is a manifest, not a domain directory: audit its directory, {}",
            dir.display(),
            crate::files::directory_of(dir).display()
        )
    } else {
        format!("{} is a file, not a domain directory", dir.display())
    };
    Err(CeremonyError::refused(
        message,
        "give the domain directory, the one holding manifest.json, chain/ and transcript.jsonl",
    ))
}

/// The digest of each line: the `prev` of the line after it, and the closing digest for the last.
fn line_digests(entries: &[Entry], closing: [u8; 32]) -> Vec<[u8; 32]> {
    entries
        .iter()
        .skip(1)
        .filter_map(|entry| {
            let mut digest = [0u8; 32];
            hex::decode_to_slice(&entry.prev, &mut digest).ok()?;
            Some(digest)
        })
        .chain(std::iter::once(closing))
        .collect()
}

impl DomainAudit {
    /// The line (1-based) whose digest is `digest`: the closing digest of the transcript as it
    /// stood when that line was its last.
    pub fn line_closed_by(&self, digest: &[u8; 32]) -> Option<usize> {
        self.line_digests
            .iter()
            .position(|line| line == digest)
            .map(|index| index + 1)
    }
}

/// The lines whose record `is` says so.
fn lines_where(entries: &[Entry], is: fn(&Record) -> bool) -> Vec<u64> {
    entries
        .iter()
        .filter(|entry| is(&entry.record))
        .map(|entry| entry.seq)
        .collect()
}

/// Every revoked set of the manifest must have been revoked by a `reshare.set-revoked` entry.
fn check_revocations(
    entries: &[Entry],
    manifest: &Manifest,
) -> Result<Vec<RevokedSetAudit>, CeremonyError> {
    manifest
        .revoked_sets()
        .iter()
        .map(|revoked| {
            let set_id = hex::encode(revoked.set_id());
            let line = entries
                .iter()
                .find(|entry| revoked_set_id(&entry.record) == Some(set_id.as_str()))
                .map(|entry| entry.seq)
                .ok_or_else(|| {
                    CeremonyError::refused(
                        format!(
                            "the manifest lists set {set_id} as revoked, but no reshare in the \
                             transcript revoked it"
                        ),
                        "restore the manifest and transcript from witnessed copies",
                    )
                })?;
            Ok(RevokedSetAudit {
                set_id,
                epoch: revoked.epoch(),
                revoked_at: revoked.revoked_at().to_string(),
                reason: revoked.reason().to_owned(),
                recorded_at_line: line,
            })
        })
        .collect()
}

/// The last manifest digest the transcript wrote (`recorded`) must be the manifest's.
pub(super) fn check_recorded_manifest(
    recorded: Option<&RecordedManifest>,
    manifest: &Manifest,
) -> Result<(), CeremonyError> {
    match recorded {
        Some(RecordedManifest { digest, .. }) if *digest == manifest.digest().to_string() => Ok(()),
        Some(RecordedManifest { seq, digest }) => Err(CeremonyError::refused(
            format!(
                "manifest.json has digest {}, but the transcript last recorded {digest} (line {seq}): the manifest was changed outside a ceremony",
                manifest.digest()
            ),
            "restore the manifest from a witnessed copy and compare its digest with the signed ceremony sheet",
        )),
        None => Err(CeremonyError::refused(
            "the transcript never records a manifest",
            "this is not the transcript of this domain's genesis: find the right one",
        )),
    }
}

fn check_share_file(manifest: &Manifest, file: &Path) -> Result<String, CeremonyError> {
    if !file.exists() {
        return Ok("not in this directory (held by its official)".into());
    }
    let bytes = crate::files::read_at_most(file, MAX_FILE_LEN).map_err(CeremonyError::io(file))?;
    let share_error = |error: crate::domain::ShareCheckError| CeremonyError::Share {
        file: file.to_owned(),
        error,
    };
    let sealed = SealedShare::parse(&bytes).map_err(|e| share_error(e.into()))?;
    manifest.check_share(&sealed).map_err(share_error)?;
    Ok("present, the file the manifest records".into())
}
