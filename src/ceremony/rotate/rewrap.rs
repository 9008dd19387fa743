//! Rewrapping a rotation's archives: each archive header of the old epoch is rewrapped from the
//! old key to the new one in place, one write per header, without touching its payload; archives
//! already done or of another domain are counted or skipped, never changed.

use std::path::{Path, PathBuf};

use crate::archive::{self, Archive, ArchiveError, KeyWrap, TokenKey, MAX_HEADER_LEN};
use crate::files::read_at_most;
use crate::hsm::TokenSession;

use super::super::attendant::{Attendant, Event};
use super::super::error::CeremonyError;
use super::journal::Rotation;
use super::RotateRequest;

/// The old epoch's key and the new one on the token, each proven against its wrap check value.
pub(super) fn rotation_keys<'s>(
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
pub(super) fn rewrap_all(
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
pub(super) struct Rewrapping {
    pub rewrapped: usize,
    pub already: usize,
    pub skipped: Vec<(PathBuf, String)>,
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
