//! The canary archive: a small archive sealed at genesis under the new domain key, and sealed anew
//! by every rotation under the new epoch's key (the old one kept in `history/`), whose content
//! follows from the public manifest. A drill opens it with the key the quorum rebuilt, proving end
//! to end that the officials' shares still recover the data, not just a key.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::archive::{self, Archive, ArchiveSpec, KeyWrap, Metadata};
use crate::domain::Manifest;
use crate::files::{read_at_most, AtomicFile};

use super::error::CeremonyError;
use super::history::{move_into, superseded_canary};

/// The canary's file name in the domain directory.
pub const CANARY_FILE: &str = "canary.custody";

/// Largest canary read back.
const MAX_CANARY: usize = 64 * 1024;

/// What the canary holds: public facts of the manifest, nothing secret.
pub fn canary_text(manifest: &Manifest) -> Vec<u8> {
    format!(
        "custody canary archive\ndomain: {}\nepoch: {}\nkey id: {}\n\nIf you can read this, the domain key of this epoch opened the archive sealed under it.\n",
        manifest.domain(),
        manifest.epoch(),
        manifest.key_id()
    )
    .into_bytes()
}

/// Seals the canary into `dir`; returns the SHA-256 of the archive file, hex.
pub fn seal_canary(
    key: &dyn KeyWrap,
    manifest: &Manifest,
    dir: &Path,
) -> Result<String, CeremonyError> {
    let text = canary_text(manifest);
    let spec = ArchiveSpec {
        metadata: Metadata {
            name: Some("canary.txt".into()),
            size: Some(text.len() as u64),
            content_type: Some("text/plain".into()),
            created: Some(manifest.created().unix_seconds()),
        },
        ..ArchiveSpec::new(manifest.key_ref().clone())
    };
    let path = dir.join(CANARY_FILE);
    let mut file = AtomicFile::create(&path).map_err(CeremonyError::io(&path))?;
    archive::seal(key, &spec, text.as_slice(), &mut file, &|_| {})?;
    file.commit().map_err(CeremonyError::io(&path))?;
    let bytes = std::fs::read(&path).map_err(CeremonyError::io(&path))?;
    Ok(hex::encode(Sha256::digest(bytes)))
}

/// Opens the canary in `dir` with `key` and checks its content.
pub fn check_canary(
    key: &dyn KeyWrap,
    manifest: &Manifest,
    dir: &Path,
) -> Result<(), CeremonyError> {
    let path = dir.join(CANARY_FILE);
    let bytes = read_at_most(&path, MAX_CANARY).map_err(CeremonyError::io(&path))?;
    let archive = Archive::read(bytes.as_slice())?;
    archive.expect(manifest.key_ref())?;
    let mut opened = Vec::new();
    archive.open(key, &mut opened, &|_| {})?;
    if opened != canary_text(manifest) {
        return Err(CeremonyError::refused(
            format!(
                "{} opened, but does not hold this domain's canary text",
                path.display()
            ),
            "the canary was replaced: compare the domain directory with a witnessed copy",
        ));
    }
    Ok(())
}

/// Makes sure the canary in `dir` is `manifest`'s, under `key` (a rotation's new key): seals it
/// anew unless it already opens with `key` and holds `manifest`'s text. The canary it supersedes,
/// the previous epoch's, is first moved to `history/` (unless one is already kept there: a
/// resumed run moved it). Returns the SHA-256 of the archive sealed, or `None` when it was
/// already the manifest's.
pub fn refresh_canary(
    key: &dyn KeyWrap,
    manifest: &Manifest,
    dir: &Path,
) -> Result<Option<String>, CeremonyError> {
    if check_canary(key, manifest, dir).is_ok() {
        return Ok(None);
    }
    let (canary, kept) = (
        dir.join(CANARY_FILE),
        superseded_canary(dir, manifest.epoch().saturating_sub(1)),
    );
    if canary.exists() && !kept.exists() {
        move_into(&canary, &kept).map_err(CeremonyError::io(&canary))?;
    }
    seal_canary(key, manifest, dir).map(Some)
}
