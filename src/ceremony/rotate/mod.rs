//! Rotation: a new epoch with a new domain key. A quorum of current officials authorizes it; the
//! new key is split among the same officials, who seal and verify their new shares; it goes onto
//! every enrolled token beside the old key (each token either given or retired, checked before
//! anyone types); the new manifest is published; every archive's header is
//! rewrapped from the old key to the new one in place, without touching its payload; and only
//! when every archive found under the archive trees is on the new epoch, or left on purpose
//! (`--leave`), is the old key destroyed (unless `keep_old`). Otherwise the run stops, keeps the
//! old key and names each archive left with its reason; run again, it resumes (D59). The old key
//! is destroyed on every token.
//!
//! Crash safety: a journal beside the manifest records the new manifest before the new key is
//! imported. Killed at any moment, every archive stays openable with the old or the new key
//! (both are on the tokens until the end, and a header is replaced in one write), and running the
//! command again resumes from the journal and completes — once the new key is on every token the
//! new manifest enrols; a run stopped before that withdraws the new key and starts afresh.
//!
//! The close is signed with the key the run holds at its end: the new epoch's key, made by this
//! run; or, for a run resuming from the journal, the key its quorum rebuilt — the old epoch's
//! before the new manifest is published, the new epoch's after.

use std::path::{Path, PathBuf};

use crate::archive::TokenKey;
use crate::domain::{EnrolledToken, Manifest, ManifestChain, ManifestDigest, Official, Timestamp};
use crate::files::{directory_of, read_at_most, sync_parent};
use crate::hsm::{KeySelector, Pkcs11Uri, TokenSession};
use crate::primitives::kdf::KdfParams;
use crate::primitives::key_identity::Kcv;
use crate::primitives::secret::DomainKey;
use crate::primitives::signature::SigningKey;
use crate::shares::sealed::{SealedShare, MAX_FILE_LEN};

use super::attendant::{Attendant, Event};
use super::audit::check_recorded_manifest;
use super::canary::refresh_canary;
use super::error::CeremonyError;
use super::history::{move_into, superseded_shares, superseded_shares_name};
use super::remote::{self, OpenedRequest, RemoteOffer};
use super::share_set::{
    empty_stage, ids, split_and_seal, verify_all, ChainPlan, SealedSet, SetPlan,
};
use super::step::{share_file, Ceremony, Step};
use super::tokens::{
    check_chain_record, generate_key, import_and_prove, open_tokens, record_chain_position,
    refuse_newer_keys, rotation_tokens,
};
use super::transcript::{self, IfMissing, Transcript};
use super::transcript_signature::{close_and_sign, HeldKey};
use super::trust::{trusted_manifest, Expected};

mod catalogs;
mod journal;
mod keys;
mod left;
mod rewrap;
mod tree;

pub(super) use journal::JOURNAL;
use journal::{discard, read_journal, write_journal, Rotation};
use keys::{new_key_everywhere, retire_old_key, withdraw_new_key};
use left::settle_left;
use rewrap::{rewrap_all, rotation_keys, Rewrapping};
use tree::Roots;

/// What a rotation is asked to do.
#[derive(Debug, Clone)]
pub struct RotateRequest {
    /// The domain's manifest.
    pub manifest: PathBuf,
    /// Every enrolled token the new key goes onto: all but those retired.
    pub targets: Vec<Pkcs11Uri>,
    /// Serial numbers of enrolled tokens to retire (lost, or leaving service): the new key does
    /// not go onto them and the new manifest no longer enrols them. A resumed run ignores it:
    /// the rotation under way already records what it retires.
    pub retire: Vec<String>,
    /// Current officials' share files authorizing the rotation.
    pub shares: Vec<PathBuf>,
    /// The directories of archives to rewrap, each walked recursively (links not followed).
    pub archives: Vec<PathBuf>,
    /// Archives to abandon on purpose if they cannot be rewrapped (recorded in the transcript).
    pub leave: Vec<PathBuf>,
    /// Keep the old key on the token (a grace period).
    pub keep_old: bool,
    /// argon2id costs of the new share files.
    pub kdf: KdfParams,
    /// The domain and manifest the officials expect; any other is refused.
    pub expect: Expected,
    /// Start a new transcript when the domain's is missing (`--new-transcript`), recorded.
    pub new_transcript: bool,
    /// Shares contributed remotely to a request, taken before the share files; the request's
    /// key is on one of the target tokens.
    pub remote: Option<RemoteOffer>,
}

/// What a rotation did.
#[derive(Debug, Clone)]
pub struct RotateOutcome {
    /// The new epoch.
    pub epoch: u32,
    /// Archives rewrapped by this run.
    pub rewrapped: usize,
    /// Archives already under the new key.
    pub already: usize,
    /// Archives not on the new epoch that did not stop the rotation (left with `--leave`, or
    /// any with `--keep-old`), with the reason.
    pub left: Vec<(PathBuf, String)>,
    /// Symbolic links (never followed) and other entries skipped, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
    /// Whether the old key was destroyed.
    pub old_key_destroyed: bool,
    /// The tokens holding the new key.
    pub tokens: Vec<String>,
    /// Whether this run resumed an interrupted rotation.
    pub resumed: bool,
    /// The new manifest's digest, to read aloud.
    pub manifest_digest: ManifestDigest,
    /// The new key's check value, to read aloud.
    pub kcv: Kcv,
    /// The transcript's closing digest, to read aloud.
    pub closing_digest: [u8; 32],
    /// Each store's catalog head after the rotation, by location, to read aloud.
    pub catalog_heads: Vec<(String, crate::catalog::Head)>,
}

/// Runs, or resumes, a rotation.
pub fn rotate(
    request: &RotateRequest,
    attendant: &mut dyn Attendant,
) -> Result<RotateOutcome, CeremonyError> {
    // The same officials receive the new key's shares.
    let mut chain = trusted_manifest(
        &request.manifest,
        &request.expect,
        |current| ids(&officials_of(current)),
        attendant,
    )?;
    let current = chain.in_force().clone();
    let roots = Roots::resolve(&request.archives, &request.leave)?;
    let dir = directory_of(&request.manifest).to_owned();
    let journal_path = dir.join(JOURNAL);
    let if_missing = IfMissing::when(request.new_transcript, Ceremony::Rotate, current.digest());
    let mut transcript = Transcript::open(&transcript::beside(&request.manifest), if_missing)?;
    let sessions = open_tokens(&request.targets, attendant)?;
    let Some((session, others)) = sessions.split_first() else {
        return Err(CeremonyError::refused("no token", "give --hsm URI"));
    };
    for token in &sessions {
        check_chain_record(token, &current)?;
    }
    let resumed = journal_path.exists();
    if !resumed {
        for token in &sessions {
            refuse_newer_keys(token, &current)?;
        }
    }
    let mut held = HeldKey::default();
    let mut opened = None;
    let rotation = resume_or_prepare(
        request,
        &chain,
        &dir,
        &sessions,
        &mut transcript,
        (&mut held, &mut opened),
        attendant,
    )?;
    // Both keys proven on every token before the manifest is published or any archive touched
    // (D51); the first token rewraps.
    for token in others {
        rotation_keys(token, &rotation)?;
    }
    let keys = rotation_keys(session, &rotation)?;
    publish(request, &mut chain, &dir, &rotation, &mut transcript)?;
    for token in &sessions {
        record_chain_position(token, &rotation.new_manifest)?;
    }
    let Rewrapping {
        rewrapped,
        already,
        left,
        skipped,
        written,
        catalogs,
    } = rewrap_all(roots.walk(), session, &rotation, keys, attendant);
    // Every new header must be on disk before the key that opens the old ones is destroyed: each
    // file system written on is synced once (D34).
    for (location, store) in &written {
        store.sync().map_err(|error| {
            CeremonyError::refused(
                format!("{location}: the rewrapped headers cannot be synced ({error})"),
                "the old key stays: run the same command again once the store is writable",
            )
        })?;
    }
    transcript.append(Step::ArchivesRewrapped {
        rewrapped,
        already,
        left: left.len(),
        skipped: skipped.len(),
    })?;
    // Every store's catalog records the headers rewritten, and its head goes on record, before
    // the old key may go.
    let catalog_heads = catalogs.record(attendant)?;
    for (store, head) in &catalog_heads {
        transcript.append(Step::CatalogHead {
            store: store.clone(),
            head: head.to_string(),
            archives: head.archives,
        })?;
    }
    // The canary follows the key, so that every drill after this rotation opens it.
    let new_key = TokenKey::find(
        session,
        rotation.new_manifest.key_ref(),
        rotation.new_manifest.wrap_check(),
    )?;
    if let Some(sha256) = refresh_canary(&new_key, &rotation.new_manifest, &dir)? {
        transcript.append(Step::CanarySealed {
            ceremony: Ceremony::Rotate,
            sha256,
        })?;
    }
    drop(new_key);
    let left = settle_left(request, &roots, &rotation, left, &mut transcript)?;
    let mut old_key_destroyed = false;
    for token in &sessions {
        old_key_destroyed = retire_old_key(request, token, &rotation, attendant)?;
    }
    std::fs::remove_file(&journal_path).map_err(CeremonyError::io(&journal_path))?;
    sync_parent(&journal_path).map_err(CeremonyError::io(&journal_path))?;
    if let Some(opened) = opened {
        remote::shred(
            opened,
            &sessions,
            Ceremony::Rotate,
            &mut transcript,
            "completed",
            attendant,
        )?;
    }
    let new_manifest = rotation.new_manifest;
    let closing_digest = close_and_sign(
        &mut transcript,
        Step::RotateClosed {
            manifest: new_manifest.digest(),
            epoch: new_manifest.epoch(),
            old_key_destroyed,
        },
        held.closing(),
    )?;
    drop(held);
    Ok(RotateOutcome {
        epoch: new_manifest.epoch(),
        rewrapped,
        already,
        left,
        skipped,
        old_key_destroyed,
        tokens: sessions.iter().map(|s| s.token().to_string()).collect(),
        resumed,
        manifest_digest: new_manifest.digest(),
        kcv: *new_manifest.kcv(),
        closing_digest,
        catalog_heads,
    })
}

/// The rotation the journal records, resumed once its new key is on the token; otherwise a
/// fresh one (a journal whose key never reached the token is discarded first). `held` keeps the
/// key that signs the close: the resuming quorum's, or the fresh rotation's new key; `opened`,
/// the request the quorum's contributions came through, shredded when the rotation completes.
fn resume_or_prepare(
    request: &RotateRequest,
    chain: &ManifestChain,
    dir: &Path,
    sessions: &[TokenSession],
    transcript: &mut Transcript,
    (held, opened): (&mut HeldKey, &mut Option<OpenedRequest>),
    attendant: &mut dyn Attendant,
) -> Result<Rotation, CeremonyError> {
    let journal_path = dir.join(JOURNAL);
    let current = chain.in_force();
    let journal = read_journal(&journal_path, chain)?;
    if let Some(rotation) = &journal {
        // Every token of the rotation under way must be here, to resume it or withdraw its key.
        rotation_tokens(&rotation.new_manifest, sessions, &[])?;
    }
    match journal {
        Some(rotation) if new_key_everywhere(sessions, &rotation.new_manifest) => {
            attendant.announce(&Event::Step(format!(
                "resuming the rotation to epoch {} recorded in {JOURNAL}: a quorum of the \
                 manifest in force must confirm it",
                rotation.new_manifest.epoch()
            )));
            transcript.append(Step::RotateResumed)?;
            let quorum_key = authorize(request, current, sessions, transcript, opened, attendant)?;
            rotation.prove(held.hold(quorum_key, current.epoch()), current)?;
            let staged = staging(dir, rotation.from_epoch);
            check_new_shares_kept(dir, current, &rotation, &staged)?;
            verify_staged(&rotation.new_manifest, &staged, transcript, attendant)?;
            Ok(rotation)
        }
        stale => {
            let tokens = rotation_tokens(current, sessions, &request.retire)?;
            check_recorded_manifest(transcript.last_manifest(), current)?;
            // Every token's key must be the manifest's before anything is written (D51).
            for session in sessions {
                TokenKey::find(session, current.key_ref(), current.wrap_check())?;
            }
            transcript.append(Step::RotateBegun {
                manifest: current.digest(),
                from_epoch: current.epoch(),
            })?;
            for token in current.tokens() {
                if !tokens.contains(token) {
                    transcript.append(Step::TokenRetired {
                        token: token.clone(),
                    })?;
                }
            }
            let old_key = authorize(request, current, sessions, transcript, opened, attendant)?;
            if let Some(stale) = &stale {
                stale.prove(&old_key, current)?;
                attendant.announce(&Event::Step(
                    "an earlier rotation stopped before its new key reached every token: \
                     withdrawing it and starting afresh"
                        .into(),
                ));
                withdraw_new_key(sessions, &stale.new_manifest)?;
                discard(&journal_path, &staging(dir, stale.from_epoch))?;
            }
            let plan = Planned {
                manifest: current,
                old_key: &old_key,
                tokens,
            };
            let (rotation, new_key) = prepare(request, plan, dir, sessions, transcript, attendant)?;
            held.hold(new_key, rotation.new_manifest.epoch());
            Ok(rotation)
        }
    }
}

/// Refuses to resume a rotation not yet published whose new share files are gone: publishing
/// would put in force a key that no official holds a share of.
fn check_new_shares_kept(
    dir: &Path,
    current: &Manifest,
    rotation: &Rotation,
    staged: &Path,
) -> Result<(), CeremonyError> {
    let published = current.digest() == rotation.new_manifest.digest();
    // Publication moves the old shares into history first, then the staged ones into `shares/`.
    let publishing = superseded_shares(dir, current.epoch(), current.set_id()).exists();
    if published || publishing || staged.join("shares").exists() {
        return Ok(());
    }
    Err(CeremonyError::refused(
        format!(
            "{JOURNAL}: the new epoch {} share files are gone ({} is missing) and its manifest is \
             not published; no key, archive or manifest was touched",
            rotation.new_manifest.epoch(),
            staged.display()
        ),
        "restore the staging directory from a backup; without it the new key has no shares",
    ))
}

/// What a fresh rotation starts from: the manifest in force, its key as the quorum rebuilt it,
/// and the enrolled tokens the new key goes onto.
struct Planned<'a> {
    manifest: &'a Manifest,
    old_key: &'a DomainKey,
    tokens: Vec<EnrolledToken>,
}

/// A fresh rotation up to the new key on every token: new key, new shares sealed and verified in
/// a staging directory, journal, import. Returns the new key too, which signs the rotation's
/// close.
fn prepare(
    request: &RotateRequest,
    planned: Planned<'_>,
    dir: &Path,
    sessions: &[TokenSession],
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<(Rotation, DomainKey), CeremonyError> {
    let Planned {
        manifest,
        old_key,
        tokens,
    } = planned;
    let officials = officials_of(manifest);
    let stage = staging(dir, manifest.epoch());
    empty_stage(&stage)?;
    let key = generate_key(sessions)?;
    let signer = SigningKey::derive(old_key);
    let plan = SetPlan {
        ceremony: Ceremony::Rotate,
        domain: manifest.domain(),
        epoch: manifest.epoch() + 1,
        officials: &officials,
        threshold: manifest.threshold(),
        kdf: request.kdf,
        revoked_sets: manifest.revoked_sets().to_vec(),
        tokens,
        created: Timestamp::now(),
        chain: ChainPlan::Rotation {
            current: manifest,
            signer: &signer,
        },
    };
    let SealedSet {
        manifest: new_manifest,
        sealed,
    } = split_and_seal(&key, &plan, &stage, transcript, attendant)?;
    let rotation = Rotation::sealed(manifest, new_manifest, old_key, &key);
    write_journal(dir, &rotation)?;
    let new_manifest = &rotation.new_manifest;
    let selector = KeySelector::domain_key(new_manifest.key_ref());
    for session in sessions {
        import_and_prove(session, &key, &selector)?;
        transcript.append(Step::RotateKeyImported {
            token: session.token().clone(),
        })?;
        attendant.announce(&Event::KeyImported {
            token: session.token().to_string(),
        });
    }
    verify_all(
        new_manifest,
        &officials,
        &sealed,
        &stage,
        Ceremony::Rotate,
        transcript,
        attendant,
    )?;
    Ok((rotation, key))
}

/// A quorum of the officials of the manifest in force authorizes this run, a fresh rotation or a
/// resumed one; the rebuilt key proves it and seals (or proves) the journal. Rotation itself
/// needs only the token's copies; a resumed run keeps it to sign its close. Shares contributed
/// to a request join first; the request opened is kept in `opened`.
fn authorize(
    request: &RotateRequest,
    manifest: &Manifest,
    sessions: &[TokenSession],
    transcript: &mut Transcript,
    opened: &mut Option<OpenedRequest>,
    attendant: &mut dyn Attendant,
) -> Result<DomainKey, CeremonyError> {
    let (quorum, request_opened) = remote::gather(
        request.remote.as_ref(),
        &request.manifest,
        manifest,
        Ceremony::Rotate,
        sessions,
        &request.shares,
        transcript,
        attendant,
    )?;
    *opened = request_opened;
    attendant.announce(&Event::Step(
        "the quorum is verified: the rotation is authorized".into(),
    ));
    Ok(quorum.key)
}

/// Officials verify the staged new shares of a resumed rotation that had not published them: the
/// run that sealed them may have stopped before every official proved theirs.
fn verify_staged(
    manifest: &Manifest,
    stage: &Path,
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<(), CeremonyError> {
    if !stage.join("shares").exists() {
        return Ok(());
    }
    let officials = officials_of(manifest);
    let sealed = officials
        .iter()
        .map(|official| {
            let file = stage.join(share_file(official.id().as_str()));
            let bytes = read_at_most(&file, MAX_FILE_LEN).map_err(CeremonyError::io(&file))?;
            SealedShare::parse(&bytes).map_err(|e| CeremonyError::Share {
                file,
                error: e.into(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    verify_all(
        manifest,
        &officials,
        &sealed,
        stage,
        Ceremony::Rotate,
        transcript,
        attendant,
    )
}

/// The officials of `manifest`, in its order: the same people hold the new epoch's shares.
fn officials_of(manifest: &Manifest) -> Vec<Official> {
    manifest
        .officials()
        .iter()
        .map(|entry| entry.official().clone())
        .collect()
}

/// Puts the new shares and manifest in place; idempotent, so a resumed run can repeat it.
fn publish(
    request: &RotateRequest,
    chain: &mut ManifestChain,
    dir: &Path,
    rotation: &Rotation,
    transcript: &mut Transcript,
) -> Result<(), CeremonyError> {
    let new_manifest = &rotation.new_manifest;
    if chain.in_force().digest() == new_manifest.digest() {
        return Ok(());
    }
    let stage_shares = staging(dir, rotation.from_epoch).join("shares");
    let shares = dir.join("shares");
    // Not yet published: the manifest in force is the old one, whose set this supersedes.
    let old = chain.in_force();
    let retired = superseded_shares_name(old.epoch(), old.set_id());
    let kept = dir.join(&retired);
    if stage_shares.exists() {
        if shares.exists() && !kept.exists() {
            move_into(&shares, &kept).map_err(CeremonyError::io(&shares))?;
        }
        std::fs::rename(&stage_shares, &shares).map_err(CeremonyError::io(&shares))?;
        sync_parent(&shares).map_err(CeremonyError::io(&shares))?;
    }
    // The staging directory is empty once its shares are in place: nothing is left behind.
    let stage = staging(dir, rotation.from_epoch);
    match std::fs::remove_dir(&stage) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            return Err(CeremonyError::io(&stage)(error));
        }
        _ => {}
    }
    chain.publish(new_manifest.clone(), &request.manifest)?;
    transcript.append(Step::RotatePublished {
        manifest: new_manifest.digest(),
        retired_shares: retired,
    })?;
    Ok(())
}

/// What to do when a rotation stops: it resumes from its journal.
const ROTATION_RESUMES: &str = "run the rotation again: it resumes where it stopped";

/// Where the new shares wait until they are published.
fn staging(dir: &Path, from_epoch: u32) -> PathBuf {
    dir.join(format!(".rotation-e{}", from_epoch + 1))
}
