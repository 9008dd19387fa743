//! Rotation: a new epoch with a new domain key. A quorum of current officials authorizes it; the
//! new key is split among the same officials, who seal and verify their new shares; it goes onto
//! the token beside the old key; the new manifest is published; every archive's header is
//! rewrapped from the old key to the new one in place, without touching its payload; and only
//! when every archive is done is the old key destroyed (unless `keep_old`).
//!
//! Crash safety: a journal beside the manifest records the new manifest before the new key is
//! imported. Killed at any moment, every archive stays openable with the old or the new key
//! (both are on the token until the end, and a header is replaced in one write), and running the
//! command again resumes from the journal and completes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::archive::{self, Archive, ArchiveError, KeyWrap, TokenKey, MAX_HEADER_LEN};
use crate::domain::{Manifest, Official, Timestamp};
use crate::files::{directory_of, read_at_most, sync_filesystem, sync_parent, write_atomic};
use crate::hsm::{KeySelector, Pkcs11Uri, TokenSession};
use crate::primitives::kdf::KdfParams;
use crate::primitives::key_identity::{KeyId, WrapCheck};
use crate::primitives::key_ref::KeyRef;
use crate::shares::sealed::{SealedShare, MAX_FILE_LEN};

use super::attendant::{Attendant, Event};
use super::audit::check_recorded_manifest;
use super::error::CeremonyError;
use super::quorum;
use super::share_set::{empty_stage, split_and_seal, verify_all, SealedSet, SetPlan};
use super::step::{share_file, Ceremony, Step};
use super::tokens::{generate_key, import_and_prove, open_token};
use super::transcript::{self, Transcript};

/// The journal's file name, beside the manifest.
const JOURNAL: &str = "rotation.journal.json";

/// What a rotation is asked to do.
#[derive(Debug, Clone)]
pub struct RotateRequest {
    /// The domain's manifest.
    pub manifest: PathBuf,
    /// The token holding the domain key.
    pub target: Pkcs11Uri,
    /// Current officials' share files authorizing the rotation.
    pub shares: Vec<PathBuf>,
    /// The directory of archives to rewrap.
    pub archives: PathBuf,
    /// Keep the old key on the token (a grace period).
    pub keep_old: bool,
    /// argon2id costs of the new share files.
    pub kdf: KdfParams,
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
    /// Archives skipped, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
    /// Whether the old key was destroyed.
    pub old_key_destroyed: bool,
    /// Whether this run resumed an interrupted rotation.
    pub resumed: bool,
}

/// The journal as written (FORMAT.md 8.1): enough to resume after a crash.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Journal {
    from_epoch: u32,
    from_key_id: String,
    from_wrap_check: String,
    new_manifest: String,
}

/// A rotation under way, as its journal records it once read and checked (or as `prepare` made
/// it): the old epoch and key id, and the new manifest, parsed once.
#[derive(Debug)]
struct Rotation {
    from_epoch: u32,
    from_key_id: KeyId,
    from_wrap_check: WrapCheck,
    new_manifest: Manifest,
}

impl Rotation {
    /// The old epoch's key.
    fn old_key(&self) -> KeyRef {
        KeyRef {
            epoch: self.from_epoch,
            key_id: self.from_key_id,
            ..self.new_manifest.key_ref().clone()
        }
    }
}

/// Runs, or resumes, a rotation.
pub fn rotate(
    request: &RotateRequest,
    attendant: &mut dyn Attendant,
) -> Result<RotateOutcome, CeremonyError> {
    let dir = directory_of(&request.manifest).to_owned();
    let journal_path = dir.join(JOURNAL);
    let mut transcript = Transcript::open(&transcript::beside(&request.manifest))?;
    let session = open_token(&request.target, attendant, "no token")?;
    let resumed = journal_path.exists();
    let current = Manifest::load(&request.manifest)?;
    let rotation = resume_or_prepare(
        request,
        &current,
        &dir,
        &session,
        &mut transcript,
        attendant,
    )?;
    // Both keys proven before the manifest is published or any archive touched (D51).
    let keys = rotation_keys(&session, &rotation)?;
    publish(request, &current, &dir, &rotation, &mut transcript)?;
    let Rewrapping {
        rewrapped,
        already,
        skipped,
    } = rewrap_all(request, &session, &rotation, keys, attendant)?;
    // Every new header must be on disk before the key that opens the old ones is destroyed.
    sync_filesystem(&request.archives).map_err(CeremonyError::io(&request.archives))?;
    transcript.append(Step::ArchivesRewrapped {
        rewrapped,
        already,
        skipped: skipped.len(),
    })?;
    let old_key_destroyed = retire_old_key(request, &session, &rotation, attendant)?;
    std::fs::remove_file(&journal_path).map_err(CeremonyError::io(&journal_path))?;
    sync_parent(&journal_path).map_err(CeremonyError::io(&journal_path))?;
    let new_manifest = rotation.new_manifest;
    transcript.append(Step::RotateClosed {
        manifest: new_manifest.digest(),
        epoch: new_manifest.epoch(),
        old_key_destroyed,
    })?;
    Ok(RotateOutcome {
        epoch: new_manifest.epoch(),
        rewrapped,
        already,
        skipped,
        old_key_destroyed,
        resumed,
    })
}

/// The rotation the journal records, resumed once its new key is on the token; otherwise a
/// fresh one (a journal whose key never reached the token is discarded first).
fn resume_or_prepare(
    request: &RotateRequest,
    current: &Manifest,
    dir: &Path,
    session: &TokenSession,
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<Rotation, CeremonyError> {
    let journal_path = dir.join(JOURNAL);
    match read_journal(&journal_path, current)? {
        Some(rotation) if new_key_present(session, &rotation.new_manifest) => {
            attendant.announce(&Event::Step(format!(
                "resuming the rotation to epoch {} recorded in {JOURNAL}",
                rotation.new_manifest.epoch()
            )));
            transcript.append(Step::RotateResumed)?;
            let staged = staging(dir, rotation.from_epoch);
            verify_staged(&rotation.new_manifest, &staged, transcript, attendant)?;
            Ok(rotation)
        }
        stale => {
            if let Some(stale) = &stale {
                attendant.announce(&Event::Step(
                    "an earlier rotation stopped before its new key reached the token: starting afresh".into(),
                ));
                discard(&journal_path, &staging(dir, stale.from_epoch))?;
            }
            prepare(request, current, dir, session, transcript, attendant)
        }
    }
}

/// Destroys the old epoch's key on the token, unless asked to keep it; says which it did.
fn retire_old_key(
    request: &RotateRequest,
    session: &TokenSession,
    rotation: &Rotation,
    attendant: &mut dyn Attendant,
) -> Result<bool, CeremonyError> {
    let old = rotation.old_key();
    let from_epoch = rotation.from_epoch;
    let old_key_destroyed = !request.keep_old;
    if old_key_destroyed {
        if let Ok(handle) = session.find_domain_key(&KeySelector::domain_key(&old)) {
            session.destroy_domain_key(handle)?;
        }
        attendant.announce(&Event::Step(format!(
            "the epoch {from_epoch} key is destroyed on {}",
            session.token()
        )));
    } else {
        attendant.announce(&Event::Step(format!(
            "the epoch {from_epoch} key stays on {} (--keep-old)",
            session.token()
        )));
    }
    Ok(old_key_destroyed)
}

/// A fresh rotation up to the new key on the token: quorum, new key, new shares sealed and
/// verified in a staging directory, journal, import.
fn prepare(
    request: &RotateRequest,
    manifest: &Manifest,
    dir: &Path,
    session: &TokenSession,
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<Rotation, CeremonyError> {
    check_recorded_manifest(transcript.last_manifest(), manifest)?;
    // The token's key must be the manifest's before anything is written (D51).
    TokenKey::find(session, manifest.key_ref(), manifest.wrap_check())?;
    transcript.append(Step::RotateBegun {
        manifest: manifest.digest(),
        from_epoch: manifest.epoch(),
    })?;
    authorize(request, manifest, transcript, attendant)?;
    let officials = officials_of(manifest);
    let stage = staging(dir, manifest.epoch());
    empty_stage(&stage)?;
    let key = generate_key(std::slice::from_ref(session))?;
    let plan = SetPlan {
        ceremony: Ceremony::Rotate,
        domain: manifest.domain(),
        epoch: manifest.epoch() + 1,
        officials: &officials,
        threshold: manifest.threshold(),
        kdf: request.kdf,
        revoked_sets: manifest.revoked_sets().to_vec(),
        created: Timestamp::now(),
    };
    let SealedSet {
        manifest: new_manifest,
        sealed,
    } = split_and_seal(&key, &plan, &stage, transcript, attendant)?;
    write_journal(dir, manifest, &new_manifest)?;
    let selector = KeySelector::domain_key(new_manifest.key_ref());
    import_and_prove(session, &key, &selector)?;
    drop(key);
    attendant.announce(&Event::KeyImported {
        token: session.token().to_string(),
    });
    verify_all(
        &new_manifest,
        &officials,
        &sealed,
        &stage,
        Ceremony::Rotate,
        transcript,
        attendant,
    )?;
    Ok(Rotation {
        from_epoch: manifest.epoch(),
        from_key_id: *manifest.key_id(),
        from_wrap_check: *manifest.wrap_check(),
        new_manifest,
    })
}

/// A quorum of the current officials authorizes the rotation; the rebuilt old key proves it, and
/// is dropped at once: rotation itself needs only the token's copy.
fn authorize(
    request: &RotateRequest,
    manifest: &Manifest,
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<(), CeremonyError> {
    drop(quorum::gather(
        Ceremony::Rotate,
        manifest,
        &request.shares,
        transcript,
        attendant,
    )?);
    attendant.announce(&Event::Step(
        "the quorum is verified: the rotation is authorized".into(),
    ));
    Ok(())
}

/// Records the rotation in the journal before the new key goes onto the token.
fn write_journal(
    dir: &Path,
    manifest: &Manifest,
    new_manifest: &Manifest,
) -> Result<(), CeremonyError> {
    let pretty = new_manifest.to_pretty_json()?;
    let journal = Journal {
        from_epoch: manifest.epoch(),
        from_key_id: manifest.key_id().to_string(),
        from_wrap_check: manifest.wrap_check().to_string(),
        new_manifest: String::from_utf8_lossy(&pretty).into_owned(),
    };
    let journal_path = dir.join(JOURNAL);
    let journal_bytes = serde_json::to_vec_pretty(&journal)
        .map_err(|e| CeremonyError::failed(e, ROTATION_RESUMES))?;
    write_atomic(&journal_path, &journal_bytes).map_err(CeremonyError::io(&journal_path))
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
    current: &Manifest,
    dir: &Path,
    rotation: &Rotation,
    transcript: &mut Transcript,
) -> Result<(), CeremonyError> {
    let new_manifest = &rotation.new_manifest;
    if current.digest() == new_manifest.digest() {
        return Ok(());
    }
    let stage_shares = staging(dir, rotation.from_epoch).join("shares");
    let shares = dir.join("shares");
    let retired = dir.join(format!("shares-epoch-{}", rotation.from_epoch));
    if stage_shares.exists() {
        if shares.exists() && !retired.exists() {
            std::fs::rename(&shares, &retired).map_err(CeremonyError::io(&shares))?;
        }
        std::fs::rename(&stage_shares, &shares).map_err(CeremonyError::io(&shares))?;
        sync_parent(&shares).map_err(CeremonyError::io(&shares))?;
    }
    new_manifest.save(&request.manifest)?;
    transcript.append(Step::RotatePublished {
        manifest: new_manifest.digest(),
        retired_shares: retired
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
    })?;
    Ok(())
}

/// The old epoch's key and the new one on the token, each proven against its wrap check value.
fn rotation_keys<'s>(
    session: &'s TokenSession,
    rotation: &Rotation,
) -> Result<(Option<TokenKey<'s>>, TokenKey<'s>), CeremonyError> {
    let new_manifest = &rotation.new_manifest;
    // Absent only when a run was stopped after destroying it, which comes after every archive
    // was rewrapped and synced: a resume then finds nothing left that needs it.
    let old_kek = match TokenKey::find(session, &rotation.old_key(), &rotation.from_wrap_check) {
        Ok(key) => Some(key),
        Err(ArchiveError::DomainKeyAbsent { .. }) => None,
        Err(error) => return Err(error.into()),
    };
    let new_kek = TokenKey::find(session, new_manifest.key_ref(), new_manifest.wrap_check())?;
    Ok((old_kek, new_kek))
}

/// Rewraps every archive of the old epoch; skips those already done and those of other domains.
fn rewrap_all(
    request: &RotateRequest,
    session: &TokenSession,
    rotation: &Rotation,
    (old_kek, new_kek): (Option<TokenKey<'_>>, TokenKey<'_>),
    attendant: &mut dyn Attendant,
) -> Result<Rewrapping, CeremonyError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(&request.archives)
        .map_err(CeremonyError::io(&request.archives))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file() && path.extension().is_some_and(|e| e == "custody"))
        .collect();
    files.sort();
    let (mut rewrapped, mut already, mut skipped) = (0, 0, Vec::new());
    for file in files {
        match rewrap_one(
            &file,
            session,
            old_kek.as_ref().map(|key| key as &dyn KeyWrap),
            &new_kek,
            rotation,
        )? {
            ArchiveState::Rewrapped => rewrapped += 1,
            ArchiveState::Already => already += 1,
            ArchiveState::Skipped(reason) => {
                attendant.announce(&Event::Step(format!(
                    "skipped {}: {reason}",
                    file.display()
                )));
                skipped.push((file, reason));
            }
        }
    }
    attendant.announce(&Event::Step(format!(
        "{rewrapped} archives rewrapped to epoch {}, {already} already were",
        rotation.new_manifest.epoch()
    )));
    Ok(Rewrapping {
        rewrapped,
        already,
        skipped,
    })
}

/// What rewrapping the archives did.
struct Rewrapping {
    rewrapped: usize,
    already: usize,
    skipped: Vec<(PathBuf, String)>,
}

/// What became of one archive.
enum ArchiveState {
    Rewrapped,
    Already,
    Skipped(String),
}

fn rewrap_one(
    file: &Path,
    session: &TokenSession,
    old_kek: Option<&dyn KeyWrap>,
    new_kek: &dyn KeyWrap,
    rotation: &Rotation,
) -> Result<ArchiveState, CeremonyError> {
    let new_identity = new_kek.key_ref();
    let head = read_at_most(file, MAX_HEADER_LEN).map_err(CeremonyError::io(file))?;
    let archive = match Archive::read(head.as_slice()) {
        Ok(archive) => archive,
        Err(error) => {
            return Ok(ArchiveState::Skipped(format!(
                "not a readable archive ({error})"
            )))
        }
    };
    let identity = &archive.header().spec.identity;
    if identity == new_identity {
        return Ok(ArchiveState::Already);
    }
    if identity.domain != new_identity.domain {
        return Ok(ArchiveState::Skipped(format!(
            "it belongs to domain {}, not {}",
            identity.domain, new_identity.domain
        )));
    }
    if identity.epoch != rotation.from_epoch || identity.key_id != rotation.from_key_id {
        return Ok(ArchiveState::Skipped(format!(
            "it is of epoch {}, neither the old epoch {} nor the new one",
            identity.epoch, rotation.from_epoch
        )));
    }
    let Some(old_kek) = old_kek else {
        return Err(CeremonyError::refused(
            format!(
                "{} is still of epoch {}, whose key is no longer on {}",
                file.display(),
                rotation.from_epoch,
                session.token()
            ),
            "it was added after the old key was destroyed: rewrap it on a token that still holds \
             the old key, or move it out of the archive directory and run the rotation again",
        ));
    };
    let header = archive.rewrapped_header(old_kek, new_kek)?;
    archive::write_header(file, &header)?;
    Ok(ArchiveState::Rewrapped)
}

/// What to do when a rotation stops: it resumes from its journal.
const ROTATION_RESUMES: &str = "run the rotation again: it resumes where it stopped";

/// Where the new shares wait until they are published.
fn staging(dir: &Path, from_epoch: u32) -> PathBuf {
    dir.join(format!(".rotation-e{}", from_epoch + 1))
}

/// The journal beside the manifest, if any, once it is known to be this domain's own: a rotation
/// from the manifest in force, or one already published (its new manifest is the one in force).
/// Any other journal is refused, never resumed or discarded as stale.
fn read_journal(path: &Path, current: &Manifest) -> Result<Option<Rotation>, CeremonyError> {
    if !path.exists() {
        return Ok(None);
    }
    let refuse = |problem: String| {
        CeremonyError::refused(
            format!("{}: {problem}", path.display()),
            "restore the journal from a backup, or remove it if no rotation is under way",
        )
    };
    let bytes = read_at_most(path, 1024 * 1024).map_err(CeremonyError::io(path))?;
    let journal: Journal = serde_json::from_slice(&bytes)
        .map_err(|e| refuse(format!("not a rotation journal ({e})")))?;
    let new = Manifest::parse(journal.new_manifest.as_bytes())
        .map_err(|e| refuse(format!("its new manifest is not valid: {e}")))?;
    let from_key_id = KeyId::from_hex(&journal.from_key_id)
        .ok_or_else(|| refuse("the rotation journal's key id is not 64 hex digits".into()))?;
    let from_wrap_check = WrapCheck::from_hex(&journal.from_wrap_check).ok_or_else(|| {
        refuse("the rotation journal's wrap check value is not 80 hex digits".into())
    })?;
    let continues = new.domain() == current.domain()
        && journal.from_epoch.checked_add(1) == Some(new.epoch())
        && *new.key_id() != from_key_id;
    let from_current = current.epoch() == journal.from_epoch && *current.key_id() == from_key_id;
    if !continues || !(from_current || current.digest() == new.digest()) {
        return Err(refuse(format!(
            "it records a rotation of domain {} from epoch {} to epoch {}, which does not continue \
             the manifest in force (domain {}, epoch {})",
            new.domain(),
            journal.from_epoch,
            new.epoch(),
            current.domain(),
            current.epoch()
        )));
    }
    Ok(Some(Rotation {
        from_epoch: journal.from_epoch,
        from_key_id,
        from_wrap_check,
        new_manifest: new,
    }))
}

fn new_key_present(session: &TokenSession, new_manifest: &Manifest) -> bool {
    let selector = KeySelector::domain_key(new_manifest.key_ref());
    session.find_domain_key(&selector).is_ok()
}

fn discard(journal: &Path, stage: &Path) -> Result<(), CeremonyError> {
    if stage.exists() {
        std::fs::remove_dir_all(stage).map_err(CeremonyError::io(stage))?;
    }
    std::fs::remove_file(journal).map_err(CeremonyError::io(journal))
}
