//! The drill: a full restore rehearsal, meant to run every quarter. A quorum unlocks the domain
//! key into a throwaway SoftHSM token (a session key that never touches disk), the canary archive
//! sealed at genesis is opened with it, and the token is destroyed. It reports pass or fail and
//! how long recovery took; both go into the transcript, signed with the rebuilt key when the quorum
//! rebuilt it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::archive::TokenKey;
use crate::domain::ManifestChain;
use crate::hsm::{Persistence, ThrowawaySoftHsm};

use super::attendant::{Attendant, Event};
use super::canary::check_canary;
use super::error::CeremonyError;
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

/// Runs a drill with the shares offered, in order, refusing any domain or manifest but the
/// `expected` ones when given; a missing transcript is refused unless `new_transcript`.
pub fn drill(
    manifest_path: &Path,
    shares: &[PathBuf],
    expected: &Expected,
    new_transcript: bool,
    attendant: &mut dyn Attendant,
) -> Result<DrillOutcome, CeremonyError> {
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
    let result = rehearse(manifest_path, chain, shares, &mut held, attendant);
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

/// Unlock into a throwaway token, open the canary, destroy the token; the rebuilt key stays in
/// `held` to sign the drill's close.
fn rehearse(
    manifest_path: &Path,
    chain: ManifestChain,
    shares: &[PathBuf],
    held: &mut HeldKey,
    attendant: &mut dyn Attendant,
) -> Result<Vec<String>, CeremonyError> {
    let hsm = ThrowawaySoftHsm::create()?;
    let target = hsm.token("drill")?;
    attendant.announce(&Event::Step(
        "a throwaway SoftHSM token \"drill\" is ready".into(),
    ));
    let request = UnlockRequest {
        manifest: manifest_path.to_owned(),
        target,
        site: None,
        persistence: Persistence::Session,
        shares: shares.to_vec(),
        expect: Expected {
            domain: Some(chain.fingerprint()),
            manifest: Some(chain.in_force().digest()),
        },
        new_transcript: false,
        remote: None,
    };
    let unlocked = unlock_shown(&request, chain, held, attendant)?;
    let manifest = &unlocked.manifest;
    let dir = crate::files::directory_of(manifest_path);
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
    hsm.destroy("drill")?;
    attendant.announce(&Event::Step("the throwaway token is destroyed".into()));
    Ok(accepted)
}
