//! The rotation journal (FORMAT.md 8.1), beside the manifest: written before the new key goes onto
//! the token, read and checked against the manifest in force before anything acts on it, and
//! discarded when its rotation never reached the token. It never holds a secret.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::domain::Manifest;
use crate::files::{read_at_most, write_atomic};
use crate::primitives::key_identity::KeyId;
use crate::primitives::key_ref::KeyRef;

use super::super::error::CeremonyError;
use super::ROTATION_RESUMES;

/// The journal's file name, beside the manifest.
pub(super) const JOURNAL: &str = "rotation.journal.json";

/// The journal as written (FORMAT.md 8.1): enough to resume after a crash.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Journal {
    from_epoch: u32,
    from_key_id: String,
    new_manifest: String,
}

/// A rotation under way, as its journal records it once read and checked (or as `prepare` made
/// it): the old epoch and key id, and the new manifest, parsed once.
#[derive(Debug)]
pub(super) struct Rotation {
    pub from_epoch: u32,
    pub from_key_id: KeyId,
    pub new_manifest: Manifest,
}

impl Rotation {
    /// The old epoch's key.
    pub(super) fn old_key(&self) -> KeyRef {
        KeyRef {
            epoch: self.from_epoch,
            key_id: self.from_key_id,
            ..self.new_manifest.key_ref().clone()
        }
    }
}

/// Records the rotation in the journal before the new key goes onto the token.
pub(super) fn write_journal(
    dir: &Path,
    manifest: &Manifest,
    new_manifest: &Manifest,
) -> Result<(), CeremonyError> {
    let pretty = new_manifest.to_pretty_json()?;
    let journal = Journal {
        from_epoch: manifest.epoch(),
        from_key_id: manifest.key_id().to_string(),
        new_manifest: String::from_utf8_lossy(&pretty).into_owned(),
    };
    let journal_path = dir.join(JOURNAL);
    let journal_bytes = serde_json::to_vec_pretty(&journal)
        .map_err(|e| CeremonyError::failed(e, ROTATION_RESUMES))?;
    write_atomic(&journal_path, &journal_bytes).map_err(CeremonyError::io(&journal_path))
}

/// The journal beside the manifest, if any, once it is known to be this domain's own: a rotation
/// from the manifest in force, or one already published (its new manifest is the one in force).
/// Any other journal is refused, never resumed or discarded as stale.
pub(super) fn read_journal(
    path: &Path,
    current: &Manifest,
) -> Result<Option<Rotation>, CeremonyError> {
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
        new_manifest: new,
    }))
}

pub(super) fn discard(journal: &Path, stage: &Path) -> Result<(), CeremonyError> {
    if stage.exists() {
        std::fs::remove_dir_all(stage).map_err(CeremonyError::io(stage))?;
    }
    std::fs::remove_file(journal).map_err(CeremonyError::io(journal))
}
