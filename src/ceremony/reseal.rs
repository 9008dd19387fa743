//! Reseal: one official's share under a new passphrase, as a one-step ceremony. The share file is
//! checked against the manifest, opened with the current passphrase, sealed under the new one
//! (the domain layer proves the new file opens and verifies first), written in place; the
//! manifest records the new fingerprint; and the transcript beside the manifest, when there is
//! one, records `reseal.begin` and `reseal.close`. It asks nobody anything: the caller brings the
//! passphrases between the steps, and prints the outcome.

use std::path::{Path, PathBuf};

use crate::domain::{self, Manifest, ManifestChain, ManifestDigest, Official, ResealError};
use crate::files::{read_at_most, write_atomic};
use crate::primitives::secret::Passphrase;
use crate::shares::sealed::{SealedShare, MAX_FILE_LEN};
use crate::shares::Share;

use super::error::CeremonyError;
use super::step::Step;
use super::transcript::{self, IfMissing, Transcript, TranscriptError};

/// A share file found to belong to its manifest, before its official opens it.
#[derive(Debug)]
pub struct ShareToReseal {
    manifest_path: PathBuf,
    share_path: PathBuf,
    manifest: Manifest,
    sealed: SealedShare,
    official: Official,
    share_id: u8,
}

/// A share its official opened with the current passphrase, ready to reseal.
#[derive(Debug)]
pub struct OpenedShare {
    checked: ShareToReseal,
    share: Share,
}

/// What a reseal did.
#[derive(Debug)]
pub struct ResealOutcome {
    /// The official whose share it is.
    pub official: Official,
    /// The share's identifier.
    pub share_id: u8,
    /// The new share file's fingerprint.
    pub fingerprint: String,
    /// The manifest's digest before.
    pub old_manifest: ManifestDigest,
    /// The digest of the manifest now recording the new file.
    pub new_manifest: ManifestDigest,
    /// Why the transcript beside the manifest could not record the reseal, when it could not
    /// (the reseal itself is done).
    pub unrecorded: Option<TranscriptError>,
}

impl ShareToReseal {
    /// Loads the manifest and the share file, and checks the file is one the manifest records.
    pub fn load(manifest_path: &Path, share_path: &Path) -> Result<Self, CeremonyError> {
        let manifest = ManifestChain::load(manifest_path)?.into_in_force();
        let sealed = read_share(share_path)?;
        let entry = manifest
            .check_share(&sealed)
            .map_err(|error| share_error(share_path, error))?;
        let (official, share_id) = (entry.official().clone(), entry.share_id());
        Ok(Self {
            manifest_path: manifest_path.to_owned(),
            share_path: share_path.to_owned(),
            manifest,
            sealed,
            official,
            share_id,
        })
    }

    /// The official whose share it is.
    pub fn official(&self) -> &Official {
        &self.official
    }

    /// Opens the share with its official's current passphrase.
    pub fn open(self, current: &Passphrase) -> Result<OpenedShare, CeremonyError> {
        let share = self
            .manifest
            .open_share(&self.sealed, current)
            .map_err(|error| share_error(&self.share_path, error))?;
        Ok(OpenedShare {
            checked: self,
            share,
        })
    }
}

impl OpenedShare {
    /// The official whose share it is.
    pub fn official(&self) -> &Official {
        &self.checked.official
    }

    /// Seals the share under `new`, replaces the share file, saves the manifest with the new
    /// fingerprint, and records the reseal in the transcript beside the manifest.
    pub fn reseal(self, new: &Passphrase) -> Result<ResealOutcome, CeremonyError> {
        let ShareToReseal {
            manifest_path,
            share_path,
            manifest,
            sealed,
            official,
            share_id,
        } = self.checked;
        let resealed =
            domain::reseal(&manifest, &sealed, &self.share, new).map_err(|error| match error {
                ResealError::Check(check) => share_error(&share_path, check),
                other => CeremonyError::Reseal(other),
            })?;
        let fingerprint = resealed.share.fingerprint();
        write_atomic(&share_path, &resealed.share.to_bytes()).map_err(|error| {
            CeremonyError::refused(
                format!(
                    "{}: cannot be written: {error}; nothing was changed",
                    share_path.display()
                ),
                "check that the share file's directory is writable and the disk has space",
            )
        })?;
        resealed.manifest.save(&manifest_path).map_err(|error| {
            CeremonyError::refused(
                format!(
                    "{error}; the share file {} WAS resealed (new fingerprint {fingerprint}) but \
                     the manifest still records the old file",
                    share_path.display()
                ),
                "fix the problem and record the new fingerprint in the manifest before \
                 distributing it; the share now opens only with the new passphrase",
            )
        })?;
        let closed = Step::ResealClosed {
            official: official.id().to_string(),
            old_manifest: manifest.digest(),
            new_manifest: resealed.manifest.digest(),
            fingerprint: fingerprint.clone(),
        };
        Ok(ResealOutcome {
            unrecorded: record(&manifest_path, &official, closed).err(),
            official,
            share_id,
            fingerprint,
            old_manifest: manifest.digest(),
            new_manifest: resealed.manifest.digest(),
        })
    }
}

/// Records the reseal as a ceremony of its own in the transcript beside the manifest, if any.
fn record(manifest_path: &Path, official: &Official, closed: Step) -> Result<(), TranscriptError> {
    let path = transcript::beside(manifest_path);
    if !path.exists() {
        return Ok(());
    }
    let mut transcript = Transcript::open(&path, IfMissing::Refuse)?;
    transcript.append(Step::ResealBegun {
        official: official.id().to_string(),
    })?;
    transcript.append(closed).map(drop)
}

/// Reads and parses a share file an official brings; its errors name the file.
pub fn read_share(path: &Path) -> Result<SealedShare, CeremonyError> {
    let bytes = read_at_most(path, MAX_FILE_LEN).map_err(|error| {
        CeremonyError::refused(
            format!("share file {}: cannot be read: {error}", path.display()),
            "check the path names the official's .share file",
        )
    })?;
    SealedShare::parse(&bytes).map_err(|error| share_error(path, error))
}

fn share_error(file: &Path, error: impl Into<domain::ShareCheckError>) -> CeremonyError {
    CeremonyError::Share {
        file: file.to_owned(),
        error: error.into(),
    }
}
