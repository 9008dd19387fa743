//! Reshare: a quorum of the current officials rebuilds the domain key, which is split afresh for
//! a new list of officials and a new threshold (new set id, new verifier set; the same key, epoch,
//! key id and KCV). Each new official seals their share and then opens and verifies it; only then
//! is anything in the domain directory changed: the new manifest — listing the old set as revoked
//! — replaces the old one with one rename, and the new share files are moved in. Until that
//! rename, the old manifest and shares stay valid and unrevoked, whatever fails. Every step goes
//! into the transcript as `reshare.*`.
//!
//! Revocation is a refusal by policy: the old shares still rebuild the same key mathematically.
//! Only a rotation (a new key) makes a possibly compromised share worthless.

use std::path::{Path, PathBuf};

use crate::domain::{Manifest, ManifestFields, Official, OfficialEntry, RevokedSet, Timestamp};
use crate::primitives::kdf::KdfParams;
use crate::primitives::random;
use crate::shares::sealed::{SealedShare, ShareHeader, SET_ID_LEN};
use crate::shares::split;

use super::attendant::{Attendant, Event};
use super::audit::check_recorded_manifest;
use super::error::CeremonyError;
use super::genesis::{check_threshold, ids, seal_for, verify_own_share, RETRY};
use super::quorum::{self, Quorum};
use super::transcript::{self, Record, Transcript};

mod publish;

use publish::{finish_interrupted, publish, staging_dir, Published};

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
    /// Where the old set's share files were moved.
    pub revoked_dir: PathBuf,
    /// Officials whose old share file was moved there.
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
    let old = Manifest::load(&request.manifest)?;
    check_request(request)?;
    let transcript_path = transcript::beside(&request.manifest);
    let mut transcript = Transcript::open(&transcript_path)?;
    if let Some(finished) = finish_interrupted(&request.manifest, &old, &mut transcript)? {
        return close_resumed(old, finished, &mut transcript);
    }
    check_recorded_manifest(&transcript_path, &old)?;
    let staging = staging_dir(&request.manifest)?;
    transcript.append(Record {
        step: "reshare.begin".into(),
        inputs: [("manifest.json".into(), old.digest().to_string())].into(),
        detail: [
            ("domain".into(), old.domain().to_owned()),
            ("epoch".into(), old.epoch().to_string()),
            ("set_id".into(), hex::encode(old.set_id())),
            ("threshold".into(), request.threshold.to_string()),
            ("officials".into(), request.officials.len().to_string()),
            ("offered".into(), request.shares.len().to_string()),
            ("reason".into(), request.reason.clone()),
        ]
        .into(),
        ..Record::default()
    })?;
    let prepared = match prepare(request, &old, &staging, &mut transcript, attendant) {
        Ok(prepared) => prepared,
        Err(error) => {
            // Nothing outside the staging directory was touched: the old set stays in force.
            let _ = std::fs::remove_dir_all(&staging);
            return Err(close_failed(&mut transcript, error, "nothing was changed"));
        }
    };
    let published = publish(
        &request.manifest,
        &old,
        &prepared,
        &staging,
        &mut transcript,
    )
    .map_err(|error| close_failed(&mut transcript, error, "publication interrupted"))?;
    let Published {
        revoked_dir,
        moved_aside,
    } = published;
    let closing_digest = transcript.append(Record {
        step: "reshare.close".into(),
        actors: ids(&request.officials),
        outputs: [(
            "manifest.json".into(),
            prepared.manifest.digest().to_string(),
        )]
        .into(),
        detail: [("outcome".into(), "share set replaced".into())].into(),
        ..Record::default()
    })?;
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
/// run completes; it does not start another.
fn close_resumed(
    manifest: Manifest,
    finished: Published,
    transcript: &mut Transcript,
) -> Result<ReshareOutcome, CeremonyError> {
    let revoked = manifest.revoked_sets().last().cloned().ok_or_else(|| {
        CeremonyError::refused("the manifest in force records no revoked set", RETRY)
    })?;
    let closing_digest = transcript.append(Record {
        step: "reshare.close".into(),
        outputs: [("manifest.json".into(), manifest.digest().to_string())].into(),
        detail: [("outcome".into(), "interrupted publication finished".into())].into(),
        ..Record::default()
    })?;
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

/// Records the failure as the ceremony's close; the failure itself matters more than the record.
fn close_failed(transcript: &mut Transcript, error: CeremonyError, state: &str) -> CeremonyError {
    let _ = transcript.append(Record {
        step: "reshare.close".into(),
        detail: [("outcome".into(), format!("failed, {state}: {error}"))].into(),
        ..Record::default()
    });
    error
}

/// Everything up to the new officials' verification, written only into `staging`.
fn prepare(
    request: &ReshareRequest,
    old: &Manifest,
    staging: &Path,
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<Prepared, CeremonyError> {
    let Quorum {
        key,
        accepted,
        refused,
    } = quorum::gather("reshare", old, &request.shares, transcript, attendant)?;
    let mut set_id = [0u8; SET_ID_LEN];
    random::fill(&mut set_id).map_err(|e| CeremonyError::refused(e.to_string(), RETRY))?;
    let n = u8::try_from(request.officials.len())
        .map_err(|_| CeremonyError::refused("more than 255 officials", RETRY))?;
    let (shares, verifier_set) = split(&key, request.threshold, n)
        .map_err(|e| CeremonyError::refused(e.to_string(), RETRY))?;
    drop(key);
    attendant.announce(&Event::Step(format!(
        "the domain key is rebuilt and matches the manifest (key check value {}); it is split \
         {} of {n} for the new officials",
        old.kcv(),
        request.threshold
    )));
    transcript.append(Record {
        step: "reshare.key-rebuilt".into(),
        actors: accepted.clone(),
        detail: [
            ("kcv".into(), old.kcv().to_string()),
            ("key_id".into(), old.key_id().to_string()),
            ("set_id".into(), hex::encode(set_id)),
        ]
        .into(),
        ..Record::default()
    })?;

    let mut entries = Vec::with_capacity(request.officials.len());
    let mut sealed_files = Vec::with_capacity(request.officials.len());
    for (official, share) in request.officials.iter().zip(&shares) {
        let header = ShareHeader {
            domain: old.domain().to_owned(),
            epoch: old.epoch(),
            set_id,
            share_id: share.identifier(),
            official: official.id().to_string(),
            threshold: request.threshold,
        };
        let sealed = seal_for(
            official,
            share,
            header,
            old.domain(),
            request.kdf,
            attendant,
        )?;
        write_share(staging, official, &sealed)?;
        transcript.append(Record {
            step: "reshare.share-sealed".into(),
            actors: vec![official.id().to_string()],
            outputs: [(share_name(official), sealed.fingerprint())].into(),
            ..Record::default()
        })?;
        attendant.announce(&Event::ShareSealed {
            official: official.id().to_string(),
        });
        entries.push(OfficialEntry::new(
            official.clone(),
            share.identifier(),
            sealed.fingerprint(),
        ));
        sealed_files.push(sealed);
    }
    drop(shares);

    let now = Timestamp::now();
    let revoked = RevokedSet::new(*old.set_id(), old.epoch(), now, request.reason.clone())
        .map_err(|problem| CeremonyError::refused(format!("the reason {problem}"), RETRY))?;
    let mut revoked_sets = old.revoked_sets().to_vec();
    revoked_sets.push(revoked.clone());
    let manifest = Manifest::new(ManifestFields {
        domain: old.domain().to_owned(),
        epoch: old.epoch(),
        set_id,
        officials: entries,
        verifier_set,
        key_id: *old.key_id(),
        kcv: *old.kcv(),
        created: now,
        revoked_sets,
    })?;
    manifest.save(&staging.join("manifest.json"))?;

    for (official, sealed) in request.officials.iter().zip(&sealed_files) {
        verify_own_share(&manifest, official, sealed, staging, attendant)?;
        transcript.append(Record {
            step: "reshare.share-verified".into(),
            actors: vec![official.id().to_string()],
            inputs: [(share_name(official), sealed.fingerprint())].into(),
            ..Record::default()
        })?;
        attendant.announce(&Event::ShareVerified {
            official: official.id().to_string(),
        });
    }
    Ok(Prepared {
        manifest,
        revoked,
        accepted,
        refused,
    })
}

fn write_share(
    staging: &Path,
    official: &Official,
    sealed: &SealedShare,
) -> Result<(), CeremonyError> {
    let path = staging.join(share_name(official));
    crate::files::write_atomic(&path, &sealed.to_bytes()).map_err(CeremonyError::io(&path))
}

fn share_name(official: &Official) -> String {
    format!("shares/{}.share", official.id())
}
