//! Gathering a quorum: officials offer their share files one at a time; each is checked the moment
//! it is offered (the file, its binding to the manifest, one share per official, the official's
//! passphrase, verification against the verifier set) and a bad one is named and set aside; once
//! t shares verified, the rest are not needed. Unlock, drill and rotation share this one piece.

use std::path::{Path, PathBuf};

use crate::domain::Manifest;
use crate::primitives::secret::DomainKey;
use crate::shares::sealed::{SealedShare, MAX_FILE_LEN};
use crate::shares::{combine, Share};

use super::attendant::{Attendant, Event};
use super::error::CeremonyError;
use super::transcript::{Record, Transcript};

/// The verified shares of a quorum, and the files refused on the way.
#[derive(Debug)]
pub struct Quorum {
    /// Officials and their verified shares, in the order accepted.
    pub accepted: Vec<(String, Share)>,
    /// Share files refused, with the reason.
    pub refused: Vec<(PathBuf, String)>,
}

impl Quorum {
    /// The ids of the officials whose shares were accepted.
    pub fn officials(&self) -> Vec<String> {
        self.accepted.iter().map(|(id, _)| id.clone()).collect()
    }

    /// Rebuilds the domain key and checks it against the manifest's key commitment.
    pub fn rebuild(self, manifest: &Manifest) -> Result<DomainKey, CeremonyError> {
        let shares: Vec<Share> = self.accepted.into_iter().map(|(_, share)| share).collect();
        combine(&shares, manifest.threshold(), manifest.verifier_set(), manifest.key_id()).map_err(|e| {
            CeremonyError::refused(
                e.to_string(),
                "the shares and the manifest disagree: check the manifest digest against the signed ceremony sheet",
            )
        })
    }
}

/// Takes the share files in order until t verified; names and records every refusal.
/// `ceremony` prefixes the transcript steps (`unlock.share-accepted`).
pub fn gather_quorum(
    manifest: &Manifest,
    files: &[PathBuf],
    ceremony: &str,
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<Quorum, CeremonyError> {
    let needed = usize::from(manifest.threshold());
    let mut quorum = Quorum {
        accepted: Vec::new(),
        refused: Vec::new(),
    };
    for file in files {
        if quorum.accepted.len() == needed {
            attendant.announce(&Event::Step(format!(
                "{} not needed: the quorum is complete",
                file.display()
            )));
            continue;
        }
        match offer(manifest, file, &quorum.accepted, attendant) {
            Ok((official, share)) => {
                quorum.accepted.push((official.clone(), share));
                attendant.announce(&Event::ShareAccepted {
                    official: official.clone(),
                    accepted: quorum.accepted.len(),
                    needed,
                });
                transcript.append(Record {
                    step: format!("{ceremony}.share-accepted"),
                    actors: vec![official],
                    inputs: [(file_name(file), fingerprint_of(file))].into(),
                    ..Record::default()
                })?;
            }
            Err((official, reason)) => {
                attendant.announce(&Event::ShareRefused {
                    file: file.display().to_string(),
                    official: official.clone(),
                    reason: reason.clone(),
                });
                transcript.append(Record {
                    step: format!("{ceremony}.share-refused"),
                    actors: official.into_iter().collect(),
                    inputs: [(file_name(file), fingerprint_of(file))].into(),
                    detail: [("reason".into(), reason.clone())].into(),
                    ..Record::default()
                })?;
                quorum.refused.push((file.clone(), reason));
            }
        }
    }
    if quorum.accepted.len() < needed {
        let missing = needed - quorum.accepted.len();
        return Err(CeremonyError::refused(
            format!(
                "{} of {needed} shares accepted: {missing} more {} needed; the key was not rebuilt",
                quorum.accepted.len(),
                if missing == 1 { "is" } else { "are" }
            ),
            "bring more officials with their share files, then run the ceremony again",
        ));
    }
    Ok(quorum)
}

/// Checks one offered share: the file, its binding to the manifest, not a second share of the
/// same official, then the official's passphrase and the share's verification.
fn offer(
    manifest: &Manifest,
    file: &Path,
    accepted: &[(String, Share)],
    attendant: &mut dyn Attendant,
) -> Result<(String, Share), (Option<String>, String)> {
    let bytes = crate::files::read_at_most(file, MAX_FILE_LEN)
        .map_err(|e| (None, format!("cannot read it: {e}")))?;
    let sealed = SealedShare::parse(&bytes)
        .map_err(|e| (SealedShare::claimed_official(&bytes), e.to_string()))?;
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

fn fingerprint_of(file: &Path) -> String {
    use sha2::Digest;
    std::fs::read(file).map_or_else(
        |_| "unreadable".into(),
        |bytes| hex::encode(sha2::Sha256::digest(bytes)),
    )
}
