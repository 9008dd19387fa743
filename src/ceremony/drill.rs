//! The drill: a full restore rehearsal, meant to run every quarter. A quorum unlocks the domain
//! key into a throwaway SoftHSM token (a session key that never touches disk) — or, when officials
//! contribute remotely, as a session object on the token that holds the request's key (D76) — the
//! canary archive sealed at genesis is opened with it, and the throwaway token is destroyed (the
//! session object vanishes with the session). It reports pass or fail and how long recovery took;
//! both go into the transcript, signed with the rebuilt key when the quorum rebuilt it.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::archive::TokenKey;
use crate::domain::ManifestChain;
use crate::hsm::{Persistence, Pkcs11Uri, ThrowawaySoftHsm};

use super::attendant::{Attendant, Event};
use super::canary::check_canary;
use super::error::CeremonyError;
use super::remote::RemoteOffer;
use super::step::Ceremony;
use super::step::Step;
use super::transcript::{self, IfMissing, Transcript};
use super::transcript_signature::{close_and_sign, HeldKey};
use super::trust::{trusted_manifest, Expected};
use super::unlock::{unlock_shown, UnlockRequest};

/// How a drill went.
#[derive(Debug, Clone)]
pub struct DrillOutcome {
    /// Whether the quorum recovered the key and the canary opened.
    pub passed: bool,
    /// Why not, when it failed.
    pub failure: Option<String>,
    /// From the first share offered to the canary opened (or the failure).
    pub elapsed: Duration,
    /// Officials whose shares were used.
    pub accepted: Vec<String>,
}

/// What a drill is asked to do.
#[derive(Debug, Clone)]
pub struct DrillRequest {
    /// The domain's manifest (its directory holds the transcript and the canary archive).
    pub manifest: PathBuf,
    /// The share files offered, in the order the officials come forward.
    pub shares: Vec<PathBuf>,
    /// The domain and manifest the officials expect; any other is refused.
    pub expect: Expected,
    /// Start a new transcript when the domain's is missing (`--new-transcript`), recorded.
    pub new_transcript: bool,
    /// The token to rehearse on, the key a session object that vanishes with the drill; `None`:
    /// a throwaway SoftHSM token. Contributions need it: the request's key is on that token.
    pub token: Option<Pkcs11Uri>,
    /// Shares contributed remotely to a request for a drill, taken before the share files.
    pub remote: Option<RemoteOffer>,
}

/// Runs a drill with the shares offered, in order, refusing any domain or manifest but the
/// expected ones when given; a missing transcript is refused unless `new_transcript`.
pub fn drill(
    request: &DrillRequest,
    attendant: &mut dyn Attendant,
) -> Result<DrillOutcome, CeremonyError> {
    if request.remote.is_some() && request.token.is_none() {
        return Err(CeremonyError::refused(
            "a drill with contributions rehearses on the token that holds the request's key; --hsm names it",
            "give --hsm URI, the token `custody request` was run against; nothing was asked",
        ));
    }
    let (manifest_path, shares, expected) = (&request.manifest, &request.shares, &request.expect);
    let new_transcript = request.new_transcript;
    let chain = trusted_manifest(manifest_path, expected, |_| Vec::new(), attendant)?;
    let manifest = chain.in_force().clone();
    let transcript_path = transcript::beside(manifest_path);
    let if_missing = IfMissing::when(new_transcript, Ceremony::Drill, manifest.digest());
    let mut transcript = Transcript::open(&transcript_path, if_missing)?;
    transcript.append(Step::DrillBegun {
        manifest: manifest.digest(),
        offered: shares.len(),
    })?;
    drop(transcript);
    let started = Instant::now();
    let mut held = HeldKey::default();
    let result = rehearse(request, chain, &mut held, attendant);
    let elapsed = started.elapsed();
    let outcome = match result {
        Ok(accepted) => DrillOutcome {
            passed: true,
            failure: None,
            elapsed,
            accepted,
        },
        Err(error) => DrillOutcome {
            passed: false,
            failure: Some(error.to_string()),
            elapsed,
            accepted: Vec::new(),
        },
    };
    let mut transcript = Transcript::open(&transcript_path, IfMissing::Refuse)?;
    let closed = Step::DrillClosed {
        accepted: outcome.accepted.clone(),
        outcome: if outcome.passed {
            "pass".into()
        } else {
            format!("FAIL: {}", outcome.failure.clone().unwrap_or_default())
        },
        seconds: elapsed.as_secs_f64(),
    };
    close_and_sign(&mut transcript, closed, held.closing())?;
    drop(held);
    Ok(outcome)
}

/// Unlock into a throwaway token (or a session object on the request's token), open the canary,
/// destroy the throwaway token; the rebuilt key stays in `held` to sign the drill's close.
fn rehearse(
    drill: &DrillRequest,
    chain: ManifestChain,
    held: &mut HeldKey,
    attendant: &mut dyn Attendant,
) -> Result<Vec<String>, CeremonyError> {
    let (target, throwaway) = match &drill.token {
        Some(token) => (token.clone(), None),
        None => {
            let hsm = ThrowawaySoftHsm::create()?;
            let target = hsm.token("drill")?;
            attendant.announce(&Event::Step(
                "a throwaway SoftHSM token \"drill\" is ready".into(),
            ));
            (target, Some(hsm))
        }
    };
    let request = UnlockRequest {
        manifest: drill.manifest.clone(),
        target,
        site: None,
        persistence: Persistence::Session,
        shares: drill.shares.clone(),
        expect: Expected {
            domain: Some(chain.fingerprint()),
            manifest: Some(chain.in_force().digest()),
        },
        new_transcript: false,
        remote: drill.remote.clone(),
    };
    let unlocked = unlock_shown(&request, chain, held, attendant)?;
    let manifest = &unlocked.manifest;
    let dir = crate::files::directory_of(&drill.manifest);
    check_canary(
        &TokenKey::find(&unlocked.session, manifest.key_ref(), manifest.wrap_check())?,
        manifest,
        dir,
    )?;
    attendant.announce(&Event::Step(
        "the canary archive opened with the rebuilt key".into(),
    ));
    let accepted = unlocked.accepted.clone();
    drop(unlocked);
    match throwaway {
        Some(hsm) => {
            hsm.destroy("drill")?;
            attendant.announce(&Event::Step("the throwaway token is destroyed".into()));
        }
        None => attendant.announce(&Event::Step(
            "the session holding the rebuilt key is closed: the key left the token with it".into(),
        )),
    }
    Ok(accepted)
}
