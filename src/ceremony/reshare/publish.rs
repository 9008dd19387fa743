//! Publishing a prepared reshare into the domain directory. The new share set waits, sealed and
//! verified, in `DIR/.reshare-incomplete/` (its manifest and `shares/`). Publication copies the old
//! set's share files to `DIR/shares/revoked-<old-set-id>/`, then replaces the manifest with one
//! atomic write — the commit point — then moves the new share files into `DIR/shares/` and
//! removes the old set's files there (their copies are kept aside). Before the commit point the
//! old manifest and share files are untouched; after it, the new manifest is in force even if
//! moving the files is interrupted, and the next reshare says where the new files wait.

use std::path::{Path, PathBuf};

use crate::domain::Manifest;
use crate::files::{sync_parent, write_atomic};

use super::super::error::CeremonyError;
use super::super::transcript::{Record, Transcript};
use super::Prepared;

/// The staging directory's name, beside the manifest.
const STAGING: &str = ".reshare-incomplete";

/// Where the old set's share files went.
#[derive(Debug)]
pub(super) struct Published {
    /// `DIR/shares/revoked-<old-set-id>`.
    pub revoked_dir: PathBuf,
    /// Officials whose old share file was there and was moved aside.
    pub moved_aside: Vec<String>,
}

/// An empty staging directory beside the manifest. A leftover from an attempt that stopped
/// before its commit point is removed; one whose manifest is already in force is not, since it
/// holds the only copies of the new share files.
pub(super) fn staging_dir(manifest_path: &Path) -> Result<PathBuf, CeremonyError> {
    let staging = domain_dir(manifest_path).join(STAGING);
    if staging.exists() {
        let staged = std::fs::read(staging.join("manifest.json")).ok();
        let current = std::fs::read(manifest_path).map_err(CeremonyError::io(manifest_path))?;
        if staged.as_deref() == Some(current.as_slice()) {
            return Err(CeremonyError::refused(
                format!(
                    "an earlier reshare put its manifest in force but was interrupted before its \
                     share files were moved; they wait in {}",
                    staging.join("shares").display()
                ),
                "move those share files into the domain's shares/ directory (custody share \
                 verify checks each), then remove the .reshare-incomplete directory",
            ));
        }
        std::fs::remove_dir_all(&staging).map_err(CeremonyError::io(&staging))?;
    }
    let shares = staging.join("shares");
    std::fs::create_dir_all(&shares).map_err(CeremonyError::io(&shares))?;
    Ok(staging)
}

/// Puts the prepared set in force (see the module documentation for the order).
pub(super) fn publish(
    manifest_path: &Path,
    old: &Manifest,
    prepared: &Prepared,
    staging: &Path,
    transcript: &mut Transcript,
) -> Result<Published, CeremonyError> {
    let shares = domain_dir(manifest_path).join("shares");
    let revoked_dir = shares.join(format!("revoked-{}", hex::encode(old.set_id())));
    std::fs::create_dir_all(&revoked_dir).map_err(CeremonyError::io(&revoked_dir))?;
    let mut moved_aside = Vec::new();
    for entry in old.officials() {
        let name = format!("{}.share", entry.official().id());
        let file = shares.join(&name);
        match std::fs::read(&file) {
            Ok(bytes) => {
                let kept = revoked_dir.join(&name);
                write_atomic(&kept, &bytes).map_err(CeremonyError::io(&kept))?;
                moved_aside.push(entry.official().id().to_string());
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(CeremonyError::io(&file)(error)),
        }
    }

    prepared.manifest.save(manifest_path)?;
    let revoked = &prepared.revoked;
    transcript.append(Record {
        step: "reshare.set-revoked".into(),
        outputs: [(
            "manifest.json".into(),
            prepared.manifest.digest().to_string(),
        )]
        .into(),
        detail: [
            ("revoked_set_id".into(), hex::encode(revoked.set_id())),
            ("epoch".into(), revoked.epoch().to_string()),
            ("revoked_at".into(), revoked.revoked_at().to_string()),
            ("reason".into(), revoked.reason().to_owned()),
        ]
        .into(),
        ..Record::default()
    })?;

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

/// The domain directory: the manifest's.
fn domain_dir(manifest_path: &Path) -> &Path {
    manifest_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}
