//! Publishing a prepared reshare into the domain directory. The new share set waits, sealed and
//! verified, in `DIR/.reshare-incomplete/` (its manifest and `shares/`). Publication copies the old
//! set's share files to `DIR/history/shares-e<epoch>-<old set prefix>/` (copies: until the commit
//! point the old set stays in force), then replaces the manifest with one atomic write — the
//! commit point — then moves the new share files into `DIR/shares/` and removes the old set's
//! files there (their copies are kept in history). Before the commit point the old manifest and
//! share files are untouched; after it, the new manifest is in force even if moving the files is
//! interrupted, and the next reshare finishes the publication — once its quorum, of the manifest
//! in force, has proven the staging directory's seal (`quorum.seal`, the quorum's seal over the
//! staged manifest's digest, D53): what a writer of the domain directory staged is never moved
//! into `shares/`.

use std::path::{Path, PathBuf};

use crate::domain::{Manifest, ManifestChain, RevokedSet};
use crate::files::{create_directory, directory_of, read_at_most, sync_parent, write_atomic};
use crate::primitives::secret::DomainKey;

use super::super::audit::check_recorded_manifest;
use super::super::error::CeremonyError;
use super::super::history::{create_place, superseded_shares};
use super::super::quorum_seal::{QuorumSeal, RESHARE_STAGING};
use super::super::step::Step;
use super::super::transcript::Transcript;
use super::Prepared;

/// The staging directory's name, beside the manifest.
const STAGING: &str = ".reshare-incomplete";

/// The quorum's seal over the staged manifest, in the staging directory.
const SEAL: &str = "quorum.seal";

/// Where the old set's share files went.
#[derive(Debug)]
pub(super) struct Published {
    /// `DIR/history/shares-e<epoch>-<old set prefix>`.
    pub revoked_dir: PathBuf,
    /// Officials whose old share file was there and was kept in history.
    pub moved_aside: Vec<String>,
}

/// An empty staging directory beside the manifest; a leftover from an attempt that stopped
/// before its commit point is removed (one that passed it is finished by [`finish_interrupted`]
/// first).
pub(super) fn staging_dir(manifest_path: &Path) -> Result<PathBuf, CeremonyError> {
    let staging = directory_of(manifest_path).join(STAGING);
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(CeremonyError::io(&staging))?;
    }
    let shares = staging.join("shares");
    create_directory(&staging).map_err(CeremonyError::io(&staging))?;
    create_directory(&shares).map_err(CeremonyError::io(&shares))?;
    Ok(staging)
}

/// Seals the staged manifest with the key the quorum rebuilt, before anything is published.
pub(super) fn seal_staged(
    staging: &Path,
    manifest: &Manifest,
    key: &DomainKey,
) -> Result<(), CeremonyError> {
    let seal = QuorumSeal::of(key, RESHARE_STAGING, manifest.digest().as_bytes());
    let file = staging.join(SEAL);
    write_atomic(&file, seal.to_hex().as_bytes()).map_err(CeremonyError::io(&file))
}

/// Whether a reshare was interrupted after its commit point: its staged manifest is in force.
pub(super) fn staged_in_force(manifest_path: &Path) -> Result<bool, CeremonyError> {
    let staging = directory_of(manifest_path).join(STAGING);
    let staged = std::fs::read(staging.join("manifest.json")).ok();
    let in_force = std::fs::read(manifest_path).map_err(CeremonyError::io(manifest_path))?;
    Ok(staged.as_deref() == Some(in_force.as_slice()))
}

/// Refuses to finish the staged reshare unless `key`, rebuilt by this run's quorum of `current`,
/// sealed it.
pub(super) fn prove_staged(
    manifest_path: &Path,
    current: &Manifest,
    key: &DomainKey,
) -> Result<(), CeremonyError> {
    let file = directory_of(manifest_path).join(STAGING).join(SEAL);
    let seal = read_at_most(&file, 64)
        .ok()
        .and_then(|bytes| QuorumSeal::from_hex(&String::from_utf8_lossy(&bytes)));
    if seal.is_some_and(|seal| seal.verifies(key, RESHARE_STAGING, current.digest().as_bytes())) {
        return Ok(());
    }
    Err(CeremonyError::refused(
        format!(
            "{}: the staged reshare was not sealed by a quorum of domain {}; no share file was \
             moved",
            file.display(),
            current.domain()
        ),
        "keep the staging directory as evidence, move it out of the domain directory, and find \
         out who wrote it before running a ceremony again",
    ))
}

/// Puts the prepared set in force (see the module documentation for the order).
pub(super) fn publish(
    manifest_path: &Path,
    chain: &mut ManifestChain,
    old: &Manifest,
    prepared: &Prepared,
    staging: &Path,
    transcript: &mut Transcript,
) -> Result<Published, CeremonyError> {
    let dir = directory_of(manifest_path);
    let shares = dir.join("shares");
    let revoked_dir = superseded_shares(dir, old.epoch(), old.set_id());
    let mut moved_aside = Vec::new();
    for entry in old.officials() {
        let name = format!("{}.share", entry.official().id());
        let file = shares.join(&name);
        match std::fs::read(&file) {
            Ok(bytes) => {
                // Created for the first file only: no old file present, no empty directory.
                if moved_aside.is_empty() {
                    create_place(&revoked_dir).map_err(CeremonyError::io(&revoked_dir))?;
                }
                let kept = revoked_dir.join(&name);
                write_atomic(&kept, &bytes).map_err(CeremonyError::io(&kept))?;
                moved_aside.push(entry.official().id().to_string());
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(CeremonyError::io(&file)(error)),
        }
    }

    chain.publish(prepared.manifest.clone(), manifest_path)?;
    transcript.append(revocation_record(&prepared.manifest, &prepared.revoked))?;

    for entry in prepared.manifest.officials() {
        let name = format!("{}.share", entry.official().id());
        let (from, to) = (staging.join("shares").join(&name), shares.join(&name));
        std::fs::rename(&from, &to).map_err(CeremonyError::io(&to))?;
        sync_parent(&to).map_err(CeremonyError::io(&to))?;
    }
    for id in &moved_aside {
        if prepared.manifest.official(id).is_none() {
            let file = shares.join(format!("{id}.share"));
            std::fs::remove_file(&file).map_err(CeremonyError::io(&file))?;
            sync_parent(&file).map_err(CeremonyError::io(&file))?;
        }
    }
    std::fs::remove_dir_all(staging).map_err(CeremonyError::io(staging))?;
    Ok(Published {
        revoked_dir,
        moved_aside,
    })
}

/// Finishes a reshare interrupted after its commit point: its staged manifest is the one in
/// force. The new share files still in staging are moved in, the departed officials' old files
/// (kept in `history/`) removed, and the transcript completed. `None` when there is nothing to
/// finish.
pub(super) fn finish_interrupted(
    manifest_path: &Path,
    current: &Manifest,
    transcript: &mut Transcript,
) -> Result<Option<Published>, CeremonyError> {
    let staging = directory_of(manifest_path).join(STAGING);
    if !staged_in_force(manifest_path)? {
        return Ok(None);
    }
    let Some(revoked) = current.revoked_sets().last() else {
        return Ok(None);
    };
    let dir = directory_of(manifest_path);
    let shares = dir.join("shares");
    let revoked_dir = superseded_shares(dir, revoked.epoch(), revoked.set_id());
    for entry in current.officials() {
        let name = format!("{}.share", entry.official().id());
        let from = staging.join("shares").join(&name);
        if from.exists() {
            let to = shares.join(&name);
            std::fs::rename(&from, &to).map_err(CeremonyError::io(&to))?;
            sync_parent(&to).map_err(CeremonyError::io(&to))?;
        }
    }
    let mut moved_aside = Vec::new();
    // No directory when no old file was in `shares/` to keep.
    let kept_files = match std::fs::read_dir(&revoked_dir) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        listing => listing
            .and_then(|entries| entries.collect::<Result<Vec<_>, _>>())
            .map_err(CeremonyError::io(&revoked_dir))?,
    };
    for kept in kept_files {
        let kept = kept.path();
        let Some(id) = kept.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
            continue;
        };
        let file = shares.join(format!("{id}.share"));
        if current.official(&id).is_none() && file.exists() {
            std::fs::remove_file(&file).map_err(CeremonyError::io(&file))?;
            sync_parent(&file).map_err(CeremonyError::io(&file))?;
        }
        moved_aside.push(id);
    }
    if check_recorded_manifest(transcript.last_manifest(), current).is_err() {
        transcript.append(revocation_record(current, revoked))?;
    }
    std::fs::remove_dir_all(&staging).map_err(CeremonyError::io(&staging))?;
    Ok(Some(Published {
        revoked_dir,
        moved_aside,
    }))
}

/// The transcript entry that puts a revocation and its manifest on record.
fn revocation_record(manifest: &Manifest, revoked: &RevokedSet) -> Step {
    Step::SetRevoked {
        manifest: manifest.digest(),
        revoked: revoked.clone(),
    }
}
