//! Unlock: the quorum rebuilds the domain key into a token — at the embassy after the home site
//! is lost, or into a throwaway token for a drill. The [`quorum`](super::quorum) checks each
//! share as it is offered and rebuilds the key from t verified shares; the key is then imported
//! and proven on the token, which the domain enrols when the key stays on it and the manifest does
//! not list it yet ([`enrolment`](super::enrolment)). Shares contributed remotely to a request
//! ([`remote`](super::remote)) join the quorum first; the request is shredded once the key is in. Every step goes into the transcript, and
//! the close — a failure's too, once the key was rebuilt — is signed with the rebuilt key.

use std::path::{Path, PathBuf};

use crate::domain::{Manifest, ManifestChain, Timestamp};
use crate::hsm::{DomainKeyHandle, KeySelector, Persistence, Pkcs11Uri, TokenSession};

use super::attendant::{Attendant, Event};
use super::audit::check_recorded_manifest;
use super::enrolment::enrol;
use super::error::CeremonyError;
use super::remote::{self, RemoteOffer};
use super::step::{Ceremony, Step};
use super::tokens::{
    check_chain_record, check_site, import_and_prove_as, open_token, record_chain_position,
    refuse_key_present,
};
use super::transcript::{self, IfMissing, Transcript, TranscriptError};
use super::transcript_signature::{close_and_sign, HeldKey};
use super::trust::{trusted_manifest, Expected};

/// What an unlock is asked to do.
#[derive(Debug, Clone)]
pub struct UnlockRequest {
    /// The domain's manifest.
    pub manifest: PathBuf,
    /// The token to receive the key.
    pub target: Pkcs11Uri,
    /// The site the token serves, recorded if the token is enrolled.
    pub site: Option<String>,
    /// Keep the key on the token, or only for this process.
    pub persistence: Persistence,
    /// The share files offered, in the order the officials come forward.
    pub shares: Vec<PathBuf>,
    /// The domain and manifest the officials expect; any other is refused.
    pub expect: Expected,
    /// Start a new transcript when the domain's is missing (`--new-transcript`), recorded.
    pub new_transcript: bool,
    /// Shares contributed remotely to a request, taken before the share files.
    pub remote: Option<RemoteOffer>,
}

/// An unlocked domain: the session holding the key, and what happened.
#[derive(Debug)]
pub struct Unlocked {
    /// The session on the target token (a session-only key lives as long as it does).
    pub session: TokenSession,
    /// The domain key on the token.
    pub key: DomainKeyHandle,
    /// The manifest in force: the one the key was rebuilt for, or the one enrolling the token.
    pub manifest: Manifest,
    /// Whether this unlock enrolled the token (a new manifest is in force).
    pub enrolled: bool,
    /// Officials whose shares were used.
    pub accepted: Vec<String>,
    /// Share files refused, with the reason.
    pub refused: Vec<(PathBuf, String)>,
    /// The transcript written to.
    pub transcript: PathBuf,
    /// Its closing digest.
    pub closing_digest: [u8; 32],
}

/// Runs an unlock, after showing the room the manifest it acts on.
pub fn unlock(
    request: &UnlockRequest,
    attendant: &mut dyn Attendant,
) -> Result<Unlocked, CeremonyError> {
    check_site(request.site.as_deref())?;
    let chain = trusted_manifest(
        &request.manifest,
        &request.expect,
        |_| Vec::new(),
        attendant,
    )?;
    unlock_shown(request, chain, &mut HeldKey::default(), attendant)
}

/// Runs an unlock of a manifest already shown to the room (a drill shows it first). The key the
/// quorum rebuilds is kept in `held`, which signs the close and outlives the unlock: a drill signs
/// its own close with it.
pub(super) fn unlock_shown(
    request: &UnlockRequest,
    mut chain: ManifestChain,
    held: &mut HeldKey,
    attendant: &mut dyn Attendant,
) -> Result<Unlocked, CeremonyError> {
    let manifest = chain.in_force().clone();
    let if_missing = IfMissing::when(request.new_transcript, Ceremony::Unlock, manifest.digest());
    let (mut transcript, transcript_path) = open_transcript(
        &request.manifest,
        &manifest,
        if_missing,
        Ceremony::Unlock,
        attendant,
    )?;
    transcript.append(Step::UnlockBegun {
        manifest: manifest.digest(),
        domain: manifest.domain().to_owned(),
        epoch: manifest.epoch(),
        target: request.target.token_part(),
        offered: request.shares.len(),
    })?;
    let result = quorum(request, &mut chain, &mut transcript, held, attendant);
    let signer = held.closing();
    match result {
        Ok(rebuilt) => {
            let closing_digest = close_and_sign(
                &mut transcript,
                Step::UnlockClosed {
                    accepted: rebuilt.accepted.clone(),
                    outcome: "key rebuilt and imported".into(),
                },
                signer,
            )?;
            Ok(Unlocked {
                session: rebuilt.session,
                key: rebuilt.key,
                enrolled: chain.in_force().digest() != manifest.digest(),
                manifest: chain.into_in_force(),
                accepted: rebuilt.accepted,
                refused: rebuilt.refused,
                transcript: transcript_path,
                closing_digest,
            })
        }
        Err(error) => {
            // Close the ceremony in the record even when it failed; the failure itself matters more.
            let _ = close_and_sign(
                &mut transcript,
                Step::UnlockClosed {
                    accepted: Vec::new(),
                    outcome: format!("failed: {error}"),
                },
                signer,
            );
            Err(error)
        }
    }
}

/// What the quorum produced.
struct Rebuilt {
    session: TokenSession,
    key: DomainKeyHandle,
    accepted: Vec<String>,
    refused: Vec<(PathBuf, String)>,
}

/// Gathers the quorum, keeping the rebuilt key in `held`, then imports it into the target token,
/// proves it there and, when it stays there, enrols the token.
fn quorum(
    request: &UnlockRequest,
    chain: &mut ManifestChain,
    transcript: &mut Transcript,
    held: &mut HeldKey,
    attendant: &mut dyn Attendant,
) -> Result<Rebuilt, CeremonyError> {
    let manifest = &chain.in_force().clone();
    let session = open_token(&request.target, attendant, "no target token")?;
    check_chain_record(&session, manifest)?;
    refuse_key_present(&session, manifest)?;
    let (gathered, opened) = remote::gather(
        request.remote.as_ref(),
        &request.manifest,
        manifest,
        Ceremony::Unlock,
        std::slice::from_ref(&session),
        &request.shares,
        transcript,
        attendant,
    )?;
    let key = held.hold(gathered.key, manifest.epoch());
    let selector = KeySelector::domain_key(manifest.key_ref());
    let handle = import_and_prove_as(&session, key, &selector, request.persistence)?;
    record_chain_position(&session, manifest)?;
    attendant.announce(&Event::KeyImported {
        token: session.token().to_string(),
    });
    transcript.append(Step::UnlockKeyImported {
        accepted: gathered.accepted.clone(),
        token: session.token().clone(),
        persistence: request.persistence,
        kcv: *manifest.kcv(),
    })?;
    if request.persistence == Persistence::Token {
        let site = request.site.as_deref();
        if let Some(next) = enrol(chain, &request.manifest, &session, site, key, transcript)? {
            attendant.announce(&Event::Step(format!(
                "token {} is enrolled in domain {}: the manifest at chain position {} lists it",
                session.token(),
                next.domain(),
                next.chain_position()
            )));
        }
    }
    if let Some(opened) = opened {
        remote::shred(
            opened,
            std::slice::from_ref(&session),
            Ceremony::Unlock,
            transcript,
            "completed",
            attendant,
        )?;
    }
    Ok(Rebuilt {
        session,
        key: handle,
        accepted: gathered.accepted,
        refused: gathered.refused,
    })
}

/// The domain's transcript beside the manifest; a missing one is refused unless `if_missing`
/// starts it anew. A manifest that is not the one the transcript last recorded is refused: it was
/// changed outside a ceremony. A transcript that fails its own check is left as evidence and this
/// `ceremony` (an unlock or a recovery) is recorded in a file of its own: recovery in a crisis
/// must not wait for the audit.
pub(super) fn open_transcript(
    manifest_path: &Path,
    manifest: &Manifest,
    if_missing: IfMissing,
    ceremony: Ceremony,
    attendant: &mut dyn Attendant,
) -> Result<(Transcript, PathBuf), CeremonyError> {
    let path = transcript::beside(manifest_path);
    let dir = path.parent().unwrap_or(Path::new("."));
    match Transcript::open(&path, if_missing) {
        Ok(transcript) => {
            check_recorded_manifest(transcript.last_manifest(), manifest)?;
            Ok((transcript, path))
        }
        Err(missing @ TranscriptError::Missing { .. }) => Err(missing.into()),
        Err(broken) => {
            let fresh = dir.join(format!(
                "transcript-{}-{}.jsonl",
                ceremony.name(),
                Timestamp::now().unix_seconds()
            ));
            // Said only once the other transcript exists; when it cannot be made either (a
            // read-only medium), the first problem is the one to report.
            let Ok(transcript) = Transcript::create(&fresh) else {
                return Err(broken.into());
            };
            attendant.announce(&Event::Step(format!(
                "WARNING: {broken}; this {} is recorded in {} instead — have the auditor examine both",
                ceremony.name(),
                fresh.display()
            )));
            Ok((transcript, fresh))
        }
    }
}
