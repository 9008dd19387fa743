//! The quorum: current officials come forward one at a time with their share files; each file is
//! checked the moment it is offered (read, bound to the manifest — revoked sets included — one
//! share per official, then the official's passphrase and the share's verification), a bad one is
//! named with its official and set aside, and once t shares verified the domain key is rebuilt
//! and checked against the manifest's key commitment. Unlock and reshare both gather their quorum
//! here, recording each offer in the transcript under their own ceremony's name.
//!
//! The rebuilt key leaves only as a zeroizing [`DomainKey`]; shares never leave at all.

use std::path::{Path, PathBuf};

use sha2::Digest;

use crate::domain::Manifest;
use crate::primitives::secret::DomainKey;
use crate::shares::sealed::{SealedShare, MAX_FILE_LEN};
use crate::shares::{combine, Share};

use super::attendant::{Attendant, Event};
use super::error::CeremonyError;
use super::step::{Ceremony, Step};
use super::transcript::Transcript;

/// What a quorum produced.
#[derive(Debug)]
pub(super) struct Quorum {
    /// The rebuilt domain key, checked against the manifest's key id.
    pub key: DomainKey,
    /// Officials whose shares were used, in the order they came forward.
    pub accepted: Vec<String>,
    /// Share files refused, with the reason.
    pub refused: Vec<(PathBuf, String)>,
}

/// Takes the shares as offered and rebuilds the key from the first t that pass; every offer is
/// recorded as `<ceremony>.share-accepted` or `<ceremony>.share-refused`.
pub(super) fn gather(
    ceremony: Ceremony,
    manifest: &Manifest,
    files: &[PathBuf],
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<Quorum, CeremonyError> {
    let needed = usize::from(manifest.threshold());
    let mut accepted: Vec<(String, Share)> = Vec::new();
    let mut refused = Vec::new();
    for file in files {
        if accepted.len() == needed {
            attendant.announce(&Event::Step(format!(
                "{} not needed: the quorum is complete",
                file.display()
            )));
            continue;
        }
        let offered = crate::files::read_at_most(file, MAX_FILE_LEN);
        // The bytes judged are the bytes recorded: the file is read once, never past the bound.
        let fingerprint = offered.as_ref().map_or_else(
            |_| "unreadable".to_owned(),
            |bytes| hex::encode(sha2::Sha256::digest(bytes)),
        );
        let checked = offered
            .map_err(|e| (None, format!("cannot read it: {e}")))
            .and_then(|bytes| offer(manifest, &bytes, &accepted, attendant));
        match checked {
            Ok((official, share)) => {
                accepted.push((official.clone(), share));
                attendant.announce(&Event::ShareAccepted {
                    official: official.clone(),
                    accepted: accepted.len(),
                    needed,
                });
                transcript.append(Step::ShareAccepted {
                    ceremony,
                    official,
                    fingerprint,
                })?;
            }
            Err((official, reason)) => {
                attendant.announce(&Event::ShareRefused {
                    file: file.display().to_string(),
                    official: official.clone(),
                    reason: reason.clone(),
                });
                transcript.append(Step::ShareRefused {
                    ceremony,
                    official,
                    file_name: file_name(file),
                    fingerprint,
                    reason: reason.clone(),
                })?;
                refused.push((file.clone(), reason));
            }
        }
    }
    if accepted.len() < needed {
        let missing = needed - accepted.len();
        return Err(CeremonyError::refused(
            format!(
                "{} of {needed} shares accepted: {missing} more {} needed; the key was not rebuilt",
                accepted.len(),
                if missing == 1 { "is" } else { "are" }
            ),
            "bring more officials with their share files, then run the ceremony again",
        ));
    }
    let officials: Vec<String> = accepted.iter().map(|(id, _)| id.clone()).collect();
    let shares: Vec<Share> = accepted.into_iter().map(|(_, share)| share).collect();
    let key = combine(&shares, manifest.threshold(), manifest.verifier_set(), manifest.key_id())
        .map_err(|e| CeremonyError::failed(e, "the shares and the manifest disagree: check the manifest digest against the signed ceremony sheet"))?;
    Ok(Quorum {
        key,
        accepted: officials,
        refused,
    })
}

/// Checks one offered share file's bytes: the file, its binding to the manifest, not a second share of the
/// same official, then the official's passphrase and the share's verification.
fn offer(
    manifest: &Manifest,
    bytes: &[u8],
    accepted: &[(String, Share)],
    attendant: &mut dyn Attendant,
) -> Result<(String, Share), (Option<String>, String)> {
    let sealed = SealedShare::parse(bytes)
        .map_err(|e| (SealedShare::claimed_official(bytes), e.to_string()))?;
    let official_id = sealed.header().official.clone();
    let named = |reason: String| (Some(official_id.clone()), reason);
    let entry = manifest
        .check_share(&sealed)
        .map_err(|e| named(e.to_string()))?;
    if accepted.iter().any(|(id, _)| *id == official_id) {
        return Err(named("already accepted: each official counts once".into()));
    }
    let official = entry.official().clone();
    let passphrase = attendant
        .passphrase(&official)
        .map_err(|e| named(e.to_string()))?;
    let share = manifest
        .open_share(&sealed, &passphrase)
        .map_err(|e| named(e.to_string()))?;
    Ok((official_id, share))
}

fn file_name(file: &Path) -> String {
    file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
