//! Reshare: a quorum of the current officials rebuilds the domain key, which is split afresh for
//! a new list of officials and a new threshold (new set id, new verifier set; the same key, epoch,
//! key id and KCV). Each new official seals their share and then opens and verifies it; only then
//! is anything in the domain directory changed: the new manifest — listing the old set as revoked
//! — replaces the old one with one rename, and the new share files are moved in. Until that
//! rename, the old manifest and shares stay valid and unrevoked, whatever fails. Every step goes
//! into the transcript as `reshare.*`; the close — a failure's too, once the key was rebuilt — is
//! signed with the quorum's key.
//!
//! Revocation is a refusal by policy: the old shares still rebuild the same key mathematically.
//! Only a rotation (a new key) makes a possibly compromised share worthless.

use std::path::{Path, PathBuf};

use crate::domain::{Manifest, Official, RevokedSet, Timestamp};
use crate::hsm::{Pkcs11Uri, TokenSession};
use crate::primitives::kdf::KdfParams;
use crate::shares::sealed::SET_ID_LEN;

use super::attendant::{Attendant, Event};
use super::audit::check_recorded_manifest;
use super::error::{CeremonyError, NOTHING_PUBLISHED};
use super::quorum::Quorum;
use super::remote::{self, OpenedRequest, RemoteOffer};
use super::share_set::{
    check_threshold, ids, seal_set, split_key, verify_all, ChainPlan, SealedSet, SetPlan, SplitKey,
};
use super::step::{Ceremony, Step, MANIFEST};
use super::tokens::open_token;
use super::transcript::{self, IfMissing, Transcript};
use super::transcript_signature::{close_and_sign, HeldKey};
use super::trust::{trusted_manifest, Expected};

mod publish;

use publish::{
    finish_interrupted, prove_staged, publish, seal_staged, staged_in_force, staging_dir, Published,
};

/// What every reshare tells the room, because revocation cannot change mathematics.
pub const REVOKED_SHARES_STILL_WORK: &str = "revoked shares still rebuild the same key \
    mathematically; if a share may be compromised, rotate the key (custody rotate)";

/// The revocation reason when none is given.
pub const DEFAULT_REASON: &str = "reshare";

/// What a reshare is asked to do.
#[derive(Debug, Clone)]
pub struct ReshareRequest {
    /// The domain's current manifest; its directory holds `shares/` and the transcript.
    pub manifest: PathBuf,
    /// The new officials, in the order they come forward.
    pub officials: Vec<Official>,
    /// How many new officials rebuild the key.
    pub threshold: u8,
    /// Current officials' share files, in the order they come forward.
    pub shares: Vec<PathBuf>,
    /// Why the current set is revoked.
    pub reason: String,
    /// argon2id costs for the new share files.
    pub kdf: KdfParams,
    /// The manifest digest the officials expect; any other manifest is refused.
    pub expect: Expected,
    /// Start a new transcript when the domain's is missing (`--new-transcript`), recorded.
    pub new_transcript: bool,
    /// Shares contributed remotely to a request, taken before the share files, and the token
    /// holding the request's key (`--hsm`).
    pub remote: Option<(RemoteOffer, Pkcs11Uri)>,
}

/// What a reshare did.
#[derive(Debug, Clone)]
pub struct ReshareOutcome {
    /// The new manifest, now in place.
    pub manifest: Manifest,
    /// The record of the set it revoked.
    pub revoked: RevokedSet,
    /// Current officials whose shares rebuilt the key.
    pub accepted: Vec<String>,
    /// Share files refused, with the reason.
    pub refused: Vec<(PathBuf, String)>,
    /// Where the old set's share files are kept: its directory in `history/`.
    pub revoked_dir: PathBuf,
    /// Officials whose old share file was kept there.
    pub moved_aside: Vec<String>,
    /// The transcript's closing digest.
    pub closing_digest: [u8; 32],
    /// This run finished a reshare that had been interrupted after its commit point.
    pub resumed: bool,
}

/// The new share set, sealed, written to the staging directory, and verified by its officials.
#[derive(Debug)]
pub(super) struct Prepared {
    /// The new manifest (also at `staging/manifest.json`).
    pub manifest: Manifest,
    /// The old set's revocation, as the new manifest records it.
    pub revoked: RevokedSet,
    /// Current officials whose shares rebuilt the key.
    pub accepted: Vec<String>,
    /// Share files refused, with the reason.
    pub refused: Vec<(PathBuf, String)>,
}

/// Runs a reshare.
pub fn reshare(
    request: &ReshareRequest,
    attendant: &mut dyn Attendant,
) -> Result<ReshareOutcome, CeremonyError> {
    check_request(request)?;
    let mut chain = trusted_manifest(
        &request.manifest,
        &request.expect,
        |_| ids(&request.officials),
        attendant,
    )?;
    let old = chain.in_force().clone();
    let if_missing = IfMissing::when(request.new_transcript, Ceremony::Reshare, old.digest());
    let mut transcript = Transcript::open(&transcript::beside(&request.manifest), if_missing)?;
    let sessions = match &request.remote {
        Some((_, token)) => vec![open_token(token, attendant, "no token")?],
        None => Vec::new(),
    };
    let mut held = HeldKey::default();
    let mut opened = None;
    if staged_in_force(&request.manifest)? {
        // Every run needs its quorum: the one of the manifest in force proves what was staged.
        let quorum = gather(
            request,
            &old,
            &sessions,
            &mut transcript,
            &mut opened,
            attendant,
        )?;
        prove_staged(&request.manifest, &old, held.hold(quorum.key, old.epoch()))?;
        if let Some(finished) = finish_interrupted(&request.manifest, &old, &mut transcript)? {
            shred(opened, &sessions, &mut transcript, attendant)?;
            return close_resumed(old, finished, &mut transcript, &held);
        }
    }
    check_recorded_manifest(transcript.last_manifest(), &old)?;
    let staging = staging_dir(&request.manifest)?;
    transcript.append(Step::ReshareBegun {
        manifest: old.digest(),
        domain: old.domain().to_owned(),
        epoch: old.epoch(),
        set_id: *old.set_id(),
        threshold: request.threshold,
        officials: request.officials.len(),
        offered: request.shares.len(),
        reason: request.reason.clone(),
    })?;
    let prepared = match prepare(
        request,
        (&old, &sessions),
        &staging,
        &mut transcript,
        (&mut held, &mut opened),
        attendant,
    ) {
        Ok(prepared) => prepared,
        Err(error) => {
            // Nothing outside the staging directory was touched: the old set stays in force.
            let _ = std::fs::remove_dir_all(&staging);
            let state = "nothing was changed";
            return Err(close_failed(&mut transcript, error, state, &held));
        }
    };
    let published = publish(
        &request.manifest,
        &mut chain,
        &old,
        &prepared,
        &staging,
        &mut transcript,
    )
    .map_err(|error| close_failed(&mut transcript, error, "publication interrupted", &held))?;
    let Published {
        revoked_dir,
        moved_aside,
    } = published;
    shred(opened, &sessions, &mut transcript, attendant)?;
    let closing_digest = close_and_sign(
        &mut transcript,
        Step::ReshareClosed {
            officials: ids(&request.officials),
            manifest: Some(prepared.manifest.digest()),
            outcome: "share set replaced".into(),
        },
        held.closing(),
    )?;
    drop(held);
    Ok(ReshareOutcome {
        manifest: prepared.manifest,
        revoked: prepared.revoked,
        accepted: prepared.accepted,
        refused: prepared.refused,
        revoked_dir,
        moved_aside,
        closing_digest,
        resumed: false,
    })
}

/// Closes a reshare whose interrupted publication was just finished: that reshare is what this
/// run completes; it does not start another. The close is signed with the quorum's key, `held`.
fn close_resumed(
    manifest: Manifest,
    finished: Published,
    transcript: &mut Transcript,
    held: &HeldKey,
) -> Result<ReshareOutcome, CeremonyError> {
    let revoked = manifest.revoked_sets().last().cloned().ok_or_else(|| {
        CeremonyError::refused(
            "the manifest in force records no revoked set",
            NOTHING_PUBLISHED,
        )
    })?;
    let closing_digest = close_and_sign(
        transcript,
        Step::ReshareClosed {
            officials: Vec::new(),
            manifest: Some(manifest.digest()),
            outcome: "interrupted publication finished".into(),
        },
        held.closing(),
    )?;
    Ok(ReshareOutcome {
        manifest,
        revoked,
        accepted: Vec::new(),
        refused: Vec::new(),
        revoked_dir: finished.revoked_dir,
        moved_aside: finished.moved_aside,
        closing_digest,
        resumed: true,
    })
}

/// The quorum of the manifest in force: shares contributed to the request first (kept in
/// `opened`, shredded when the reshare completes), then the share files.
fn gather(
    request: &ReshareRequest,
    old: &Manifest,
    sessions: &[TokenSession],
    transcript: &mut Transcript,
    opened: &mut Option<OpenedRequest>,
    attendant: &mut dyn Attendant,
) -> Result<Quorum, CeremonyError> {
    let (quorum, request_opened) = remote::gather(
        request.remote.as_ref().map(|(offer, _)| offer),
        &request.manifest,
        old,
        Ceremony::Reshare,
        sessions,
        &request.shares,
        transcript,
        attendant,
    )?;
    *opened = request_opened;
    Ok(quorum)
}

/// The request the quorum's contributions came through, if any, shredded: the reshare is done.
fn shred(
    opened: Option<OpenedRequest>,
    sessions: &[TokenSession],
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<(), CeremonyError> {
    match opened {
        Some(opened) => remote::shred(
            opened,
            sessions,
            Ceremony::Reshare,
            transcript,
            "completed",
            attendant,
        ),
        None => Ok(()),
    }
}

fn check_request(request: &ReshareRequest) -> Result<(), CeremonyError> {
    check_threshold(
        request.threshold,
        &request.officials,
        "new officials",
        "choose a threshold from 2 up to the number of new officials",
    )?;
    RevokedSet::new([0; SET_ID_LEN], 0, Timestamp::now(), request.reason.clone()).map_err(
        |problem| {
            CeremonyError::refused(
                format!("the revocation reason {problem}"),
                "give --reason a short line of text, e.g. --reason \"official retired\"",
            )
        },
    )?;
    Ok(())
}

/// Records the failure as the ceremony's close, signed when the quorum's key is `held`; the
/// failure itself matters more than the record.
fn close_failed(
    transcript: &mut Transcript,
    error: CeremonyError,
    state: &str,
    held: &HeldKey,
) -> CeremonyError {
    let closed = Step::ReshareClosed {
        officials: Vec::new(),
        manifest: None,
        outcome: format!("failed, {state}: {error}"),
    };
    let _ = close_and_sign(transcript, closed, held.closing());
    error
}

/// Everything up to the new officials' verification, written only into `staging`; the quorum's
/// key is kept in `held`, to sign the close.
fn prepare(
    request: &ReshareRequest,
    (old, sessions): (&Manifest, &[TokenSession]),
    staging: &Path,
    transcript: &mut Transcript,
    (held, opened): (&mut HeldKey, &mut Option<OpenedRequest>),
    attendant: &mut dyn Attendant,
) -> Result<Prepared, CeremonyError> {
    let Quorum {
        key,
        accepted,
        refused,
    } = gather(request, old, sessions, transcript, opened, attendant)?;
    let key = held.hold(key, old.epoch());
    let now = Timestamp::now();
    let revoked = RevokedSet::new(*old.set_id(), old.epoch(), now, request.reason.clone())
        .map_err(|problem| {
            CeremonyError::refused(format!("the reason {problem}"), NOTHING_PUBLISHED)
        })?;
    let mut revoked_sets = old.revoked_sets().to_vec();
    revoked_sets.push(revoked.clone());
    let plan = SetPlan {
        ceremony: Ceremony::Reshare,
        domain: old.domain(),
        epoch: old.epoch(),
        officials: &request.officials,
        threshold: request.threshold,
        kdf: request.kdf,
        revoked_sets,
        tokens: old.tokens().to_vec(),
        created: now,
        chain: ChainPlan::Reshare { current: old },
    };
    let split = split_key(key, &plan)?;
    record_rebuilt(old, &plan, &split, accepted.clone(), transcript, attendant)?;
    let SealedSet { manifest, sealed } = seal_set(split, &plan, staging, transcript, attendant)?;
    seal_staged(staging, &manifest, key)?;
    manifest.save(&staging.join(MANIFEST))?;
    verify_all(
        &manifest,
        &request.officials,
        &sealed,
        staging,
        Ceremony::Reshare,
        transcript,
        attendant,
    )?;
    Ok(Prepared {
        manifest,
        revoked,
        accepted,
        refused,
    })
}

/// Tells the room and the transcript that the quorum's key is rebuilt and split afresh.
fn record_rebuilt(
    old: &Manifest,
    plan: &SetPlan<'_>,
    split: &SplitKey,
    accepted: Vec<String>,
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<(), CeremonyError> {
    attendant.announce(&Event::Step(format!(
        "the domain key is rebuilt and matches the manifest (key check value {}); it is split \
         {} of {} for the new officials",
        old.kcv(),
        plan.threshold,
        plan.officials.len()
    )));
    transcript.append(Step::KeyRebuilt {
        accepted,
        kcv: *old.kcv(),
        key_id: *old.key_id(),
        set_id: split.set_id,
    })?;
    Ok(())
}
