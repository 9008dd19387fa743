//! The rotation journal (FORMAT.md 8.1), beside the manifest: written before the new key goes onto
//! the token, read and checked against the manifest in force before anything acts on it, and
//! discarded when its rotation never reached the token. It never holds a secret. It carries the
//! quorum's seals under the old key and under the new one, so the run that resumes it — whose
//! quorum rebuilds the key of the manifest in force, old or new — proves that a quorum of this
//! domain wrote it before acting on it (D53).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::domain::{Manifest, ManifestChain};
use crate::files::{read_at_most, write_atomic};
use crate::primitives::key_identity::{KeyId, WrapCheck};
use crate::primitives::key_ref::KeyRef;
use crate::primitives::secret::DomainKey;

use super::super::error::CeremonyError;
use super::super::quorum_seal::{QuorumSeal, ROTATION_JOURNAL};
use super::ROTATION_RESUMES;

/// The journal's file name, beside the manifest.
pub(in crate::ceremony) const JOURNAL: &str = "rotation.journal.json";

/// The journal as written (FORMAT.md 8.1): enough to resume after a crash.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Journal {
    from_epoch: u32,
    from_key_id: String,
    from_wrap_check: String,
    new_manifest: String,
    sealed_by_old_key: String,
    sealed_by_new_key: String,
}

/// A rotation under way, as its journal records it once read and checked (or as `prepare` made
/// it): the old epoch, key id and wrap check value, the new manifest, parsed once, and the
/// quorum's seals over them.
#[derive(Debug)]
pub(super) struct Rotation {
    pub from_epoch: u32,
    pub from_key_id: KeyId,
    pub from_wrap_check: WrapCheck,
    pub new_manifest: Manifest,
    seals: Seals,
}

/// The quorum's seals over a rotation's facts, under the old key and under the new one.
#[derive(Debug)]
struct Seals {
    by_old_key: QuorumSeal,
    by_new_key: QuorumSeal,
}

impl Rotation {
    /// A rotation from `manifest` to `new_manifest`, sealed with both keys.
    pub(super) fn sealed(
        manifest: &Manifest,
        new_manifest: Manifest,
        old_key: &DomainKey,
        new_key: &DomainKey,
    ) -> Self {
        let facts = facts(
            manifest.epoch(),
            manifest.key_id(),
            manifest.wrap_check(),
            &new_manifest,
        );
        Self {
            from_epoch: manifest.epoch(),
            from_key_id: *manifest.key_id(),
            from_wrap_check: *manifest.wrap_check(),
            new_manifest,
            seals: Seals {
                by_old_key: QuorumSeal::of(old_key, ROTATION_JOURNAL, &facts),
                by_new_key: QuorumSeal::of(new_key, ROTATION_JOURNAL, &facts),
            },
        }
    }

    /// Refuses the journal unless the key this run's quorum rebuilt — that of `current`, the
    /// manifest in force: the old one, or the new one once published — sealed it.
    pub(super) fn prove(&self, key: &DomainKey, current: &Manifest) -> Result<(), CeremonyError> {
        let published = current.digest() == self.new_manifest.digest();
        let seal = if published {
            &self.seals.by_new_key
        } else {
            &self.seals.by_old_key
        };
        let facts = facts(
            self.from_epoch,
            &self.from_key_id,
            &self.from_wrap_check,
            &self.new_manifest,
        );
        if seal.verifies(key, ROTATION_JOURNAL, &facts) {
            return Ok(());
        }
        Err(CeremonyError::refused(
            format!(
                "{JOURNAL}: its rotation to epoch {} was not written by a quorum of domain {}: \
                 its seal does not verify under the key this quorum rebuilt; no key, archive or \
                 manifest was touched",
                self.new_manifest.epoch(),
                current.domain()
            ),
            "keep the journal as evidence, move it out of the domain directory, and find out who \
             wrote it before running a ceremony again",
        ))
    }

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
pub(super) fn write_journal(dir: &Path, rotation: &Rotation) -> Result<(), CeremonyError> {
    let pretty = rotation.new_manifest.to_pretty_json()?;
    let journal = Journal {
        from_epoch: rotation.from_epoch,
        from_key_id: rotation.from_key_id.to_string(),
        from_wrap_check: rotation.from_wrap_check.to_string(),
        new_manifest: String::from_utf8_lossy(&pretty).into_owned(),
        sealed_by_old_key: rotation.seals.by_old_key.to_hex(),
        sealed_by_new_key: rotation.seals.by_new_key.to_hex(),
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
    chain: &ManifestChain,
) -> Result<Option<Rotation>, CeremonyError> {
    let current = chain.in_force();
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
    let seal = |hex: &str| {
        QuorumSeal::from_hex(hex)
            .ok_or_else(|| refuse("the rotation journal's seals are not 64 hex digits".into()))
    };
    let seals = Seals {
        by_old_key: seal(&journal.sealed_by_old_key)?,
        by_new_key: seal(&journal.sealed_by_new_key)?,
    };
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
    if from_current {
        // Not yet published: the new manifest must be one a quorum of this epoch signed.
        chain.check_next(&new).map_err(|e| {
            refuse(format!(
                "its new manifest cannot follow the manifest in force: {e}"
            ))
        })?;
    }
    Ok(Some(Rotation {
        from_epoch: journal.from_epoch,
        from_key_id,
        from_wrap_check,
        new_manifest: new,
        seals,
    }))
}

pub(super) fn discard(journal: &Path, stage: &Path) -> Result<(), CeremonyError> {
    if stage.exists() {
        std::fs::remove_dir_all(stage).map_err(CeremonyError::io(stage))?;
    }
    std::fs::remove_file(journal).map_err(CeremonyError::io(journal))
}

/// What a journal's seals cover (FORMAT.md 8.1): the old epoch (4 bytes, big-endian), the old key
/// id (32 bytes), the old key's wrap check value (40 bytes) and the new manifest's digest (32
/// bytes).
fn facts(
    from_epoch: u32,
    from_key_id: &KeyId,
    from_wrap_check: &WrapCheck,
    new_manifest: &Manifest,
) -> Vec<u8> {
    [
        from_epoch.to_be_bytes().as_slice(),
        from_key_id.as_bytes(),
        from_wrap_check.as_bytes(),
        new_manifest.digest().as_bytes(),
    ]
    .concat()
}
