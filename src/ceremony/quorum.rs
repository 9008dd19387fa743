//! The quorum: current officials come forward one at a time with their share files; each file is
//! checked the moment it is offered (read, bound to the manifest — revoked sets included — one
//! share per official, then the official's passphrase, asked again after a wrong one where a
//! person types it (`tries`), and the share's verification), a bad one is named with its official
//! and set aside, and once t shares verified the domain key is rebuilt
//! and checked against the manifest's key commitment. Shares contributed remotely (opened by
//! [`remote`](super::remote)) are checked here the same way, before the share files given. Unlock and reshare both gather their quorum
//! here, recording each offer in the transcript under their own ceremony's name.
//!
//! The rebuilt key leaves only as a zeroizing [`DomainKey`]; shares never leave at all.

use std::path::{Path, PathBuf};

use sha2::Digest;

use crate::domain::Manifest;
use crate::primitives::secret::{DomainKey, SecretBytes};
use crate::shares::sealed::{SealedShare, MAX_FILE_LEN};
use crate::shares::{combine, Share};

use super::attendant::{Attendant, Event};
use super::error::CeremonyError;
use super::step::{Ceremony, Step};
use super::transcript::Transcript;
use super::tries::{open_own_share, Unopened};

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

/// Shares contributed remotely to a request (`remote`), each as the request opened it.
#[derive(Debug)]
pub(super) struct Contributions {
    /// The request's fingerprint, hex, recorded with every contribution.
    pub request: String,
    /// The contributions, in the order their files are named.
    pub offered: Vec<Contributed>,
}

/// One contribution file, as the request opened it.
#[derive(Debug)]
pub(super) struct Contributed {
    /// The file.
    pub file: PathBuf,
    /// SHA-256 of the file's bytes, or `unreadable`.
    pub fingerprint: String,
    /// The official it names, when it names one.
    pub official: Option<String>,
    /// The official's sealed share file and share, or why the contribution is set aside.
    pub opened: Result<(SealedShare, SecretBytes), String>,
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
    gather_with(ceremony, manifest, None, files, transcript, attendant)
}

/// Where one offered share comes from.
enum Source<'a> {
    /// A share file given on the command line, its official at the keyboard.
    Local(&'a PathBuf),
    /// A contribution.
    Remote(&'a Contributed),
}

/// [`gather`], the shares contributed remotely first (they need nobody at the keyboard), then
/// the share files given, each recorded with the request when it came remotely.
pub(super) fn gather_with(
    ceremony: Ceremony,
    manifest: &Manifest,
    remote: Option<&Contributions>,
    files: &[PathBuf],
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<Quorum, CeremonyError> {
    let needed = usize::from(manifest.threshold());
    let mut accepted: Vec<(String, Share)> = Vec::new();
    let mut refused = Vec::new();
    let sources = remote
        .into_iter()
        .flat_map(|r| r.offered.iter().map(Source::Remote))
        .chain(files.iter().map(Source::Local));
    for source in sources {
        let file = match source {
            Source::Local(file) => file,
            Source::Remote(contributed) => &contributed.file,
        };
        if accepted.len() == needed {
            attendant.announce(&Event::Step(format!(
                "{} not needed: the quorum is complete",
                file.display()
            )));
            continue;
        }
        let (fingerprint, checked, request) = match source {
            Source::Local(file) => {
                let offered = crate::files::read_at_most(file, MAX_FILE_LEN);
                // The bytes judged are the bytes recorded: the file is read once, never past the bound.
                let fingerprint = offered.as_ref().map_or_else(
                    |_| "unreadable".to_owned(),
                    |bytes| hex::encode(sha2::Sha256::digest(bytes)),
                );
                let checked = match offered {
                    Ok(bytes) => {
                        offer(ceremony, manifest, &bytes, &accepted, transcript, attendant)?
                    }
                    Err(e) => Err((None, format!("cannot read it: {e}"))),
                };
                (fingerprint, checked, None)
            }
            Source::Remote(contributed) => {
                let fingerprint = match &contributed.opened {
                    Ok((sealed, _)) => sealed.fingerprint(),
                    Err(_) => contributed.fingerprint.clone(),
                };
                let request = remote.map(|r| r.request.clone());
                (
                    fingerprint,
                    contribution(manifest, contributed, &accepted),
                    request,
                )
            }
        };
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
                    request,
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
                    request,
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

/// What an offered share came to: its official and share, or the official it names (if any) and
/// why it was set aside.
type Offered = Result<(String, Share), (Option<String>, String)>;

/// Checks one offered share file's bytes: the file, its binding to the manifest, not a second share of the
/// same official, then the official's passphrase (asked again after a wrong one where a person
/// types it) and the share's verification. The error is a transcript that could not be written.
fn offer(
    ceremony: Ceremony,
    manifest: &Manifest,
    bytes: &[u8],
    accepted: &[(String, Share)],
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<Offered, CeremonyError> {
    let sealed = match SealedShare::parse(bytes) {
        Ok(sealed) => sealed,
        Err(e) => return Ok(Err((SealedShare::claimed_official(bytes), e.to_string()))),
    };
    let official_id = sealed.header().official.clone();
    let named = |reason: String| (Some(official_id.clone()), reason);
    let entry = match manifest.check_share(&sealed) {
        Ok(entry) => entry,
        Err(e) => return Ok(Err(named(e.to_string()))),
    };
    if accepted.iter().any(|(id, _)| *id == official_id) {
        return Ok(Err(named(
            "already accepted: each official counts once".into(),
        )));
    }
    let official = entry.official().clone();
    let opened = open_own_share(
        ceremony, manifest, &sealed, &official, transcript, attendant,
    )?;
    Ok(opened
        .map(|share| (official_id.clone(), share))
        .map_err(|unopened| named(skipped(&unopened))))
}

/// Checks one contribution as a share file is checked: not a second share of the same official,
/// bound to the manifest, and its share verified against the verifier set.
fn contribution(
    manifest: &Manifest,
    contributed: &Contributed,
    accepted: &[(String, Share)],
) -> Offered {
    let (sealed, plaintext) = contributed
        .opened
        .as_ref()
        .map_err(|reason| (contributed.official.clone(), reason.clone()))?;
    let official_id = sealed.header().official.clone();
    let named = |reason: String| (Some(official_id.clone()), reason);
    if accepted.iter().any(|(id, _)| *id == official_id) {
        return Err(named("already accepted: each official counts once".into()));
    }
    manifest
        .contributed_share(sealed, plaintext)
        .map(|share| (official_id.clone(), share))
        .map_err(|error| named(error.to_string()))
}

/// Why an official's share was set aside: for wrong passphrases, that the official is skipped.
fn skipped(unopened: &Unopened) -> String {
    match unopened {
        Unopened::WrongPassphrase { .. } => format!("{unopened}; this official is skipped"),
        Unopened::Share(_) | Unopened::NotAsked(_) => unopened.to_string(),
    }
}

fn file_name(file: &Path) -> String {
    file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
