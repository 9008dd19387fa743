//! Reseal: one official's share under a new passphrase, as a one-step ceremony. The share file is
//! checked against the manifest and the transcript beside the manifest is opened (a missing one
//! is refused unless it may be started anew) before anyone types; then the share is opened with
//! the current passphrase, sealed under the new one (the domain layer proves the new file opens
//! and verifies first), written in place; the manifest records the new fingerprint; and the
//! transcript records `reseal.begin` and `reseal.close`. It asks nobody anything: the caller
//! brings the passphrases between the steps, and prints the outcome.

use std::path::{Path, PathBuf};

use crate::domain::{self, Manifest, ManifestChain, ManifestDigest, Official, ResealError};
use crate::files::{read_at_most, write_atomic};
use crate::primitives::secret::Passphrase;
use crate::shares::sealed::{SealedShare, MAX_FILE_LEN};
use crate::shares::Share;

use super::audit::check_recorded_manifest;
use super::error::CeremonyError;
use super::passphrase::PassphrasePolicy;
use super::step::{Ceremony, Step};
use super::transcript::{self, IfMissing, Record, Transcript, TranscriptError};

/// A share file found to belong to its manifest, before its official opens it.
#[derive(Debug)]
pub struct ShareToReseal {
    manifest_path: PathBuf,
    share_path: PathBuf,
    manifest: Manifest,
    sealed: SealedShare,
    official: Official,
    share_id: u8,
    recorder: Recorder,
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
    /// What the transcript beside the manifest does not record, and why, when it could not
    /// record the reseal: the share file and the manifest are written all the same.
    pub unrecorded: Option<Unrecorded>,
}

/// The reseal is written (the share file and the manifest), but the transcript lacks some of its
/// steps.
#[derive(Debug, thiserror::Error)]
#[error("the transcript does not record {} ({error})", .missing.join(" and "))]
pub struct Unrecorded {
    /// The steps the transcript lacks, in order (`reseal.begin`, `reseal.close`).
    pub missing: Vec<String>,
    /// Why they could not be written.
    #[source]
    pub error: TranscriptError,
}

impl Unrecorded {
    /// What to do next.
    pub fn hint(&self) -> &'static str {
        "the reseal stands: the share opens only with the new passphrase, and the manifest records \
         the new file. Only its record is incomplete: keep this output for the auditor, and fix \
         the transcript's problem"
    }
}

impl ShareToReseal {
    /// Loads the manifest and the share file, checks the file is one the manifest records, and
    /// opens the transcript beside the manifest, which will record the reseal. A missing
    /// transcript is refused, naming it, unless `new_transcript`: then a new one is started,
    /// its first line `reseal.transcript-started-anew`, when the reseal is recorded. Nothing is
    /// written here.
    pub fn load(
        manifest_path: &Path,
        share_path: &Path,
        new_transcript: bool,
    ) -> Result<Self, CeremonyError> {
        let manifest = ManifestChain::load(manifest_path)?.into_in_force();
        let sealed = read_share(share_path)?;
        let entry = manifest
            .check_share(&sealed)
            .map_err(|error| share_error(share_path, error))?;
        let (official, share_id) = (entry.official().clone(), entry.share_id());
        let if_missing = IfMissing::when(new_transcript, Ceremony::Reseal, manifest.digest());
        let recorder = Recorder::settle(transcript::beside(manifest_path), &manifest, if_missing)?;
        Ok(Self {
            manifest_path: manifest_path.to_owned(),
            share_path: share_path.to_owned(),
            manifest,
            sealed,
            official,
            share_id,
            recorder,
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

    /// The rule the new passphrase must meet, the one [`reseal`](Self::reseal) applies.
    pub fn policy(&self) -> PassphrasePolicy<'_> {
        PassphrasePolicy::new(&self.checked.official, self.checked.manifest.domain())
    }

    /// Seals the share under `new`, replaces the share file, saves the manifest with the new
    /// fingerprint, and records the reseal in the transcript beside the manifest. A transcript
    /// that cannot record it does not undo it: the outcome says what it lacks (D50).
    pub fn reseal(self, new: &Passphrase) -> Result<ResealOutcome, CeremonyError> {
        let ShareToReseal {
            manifest_path,
            share_path,
            manifest,
            sealed,
            official,
            share_id,
            recorder,
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
        let steps = [
            Step::ResealBegun {
                official: official.id().to_string(),
            },
            Step::ResealClosed {
                official: official.id().to_string(),
                old_manifest: manifest.digest(),
                new_manifest: resealed.manifest.digest(),
                fingerprint: fingerprint.clone(),
            },
        ];
        Ok(ResealOutcome {
            unrecorded: recorder.record(steps).err(),
            official,
            share_id,
            fingerprint,
            old_manifest: manifest.digest(),
            new_manifest: resealed.manifest.digest(),
        })
    }
}

/// Where a reseal is recorded, settled before anyone types: the transcript beside the manifest,
/// and whether it is started anew when the reseal is recorded.
#[derive(Debug)]
struct Recorder {
    path: PathBuf,
    if_missing: IfMissing,
}

impl Recorder {
    /// Opens the transcript at `path`, checking its chain, that it can be appended to, and that
    /// the last manifest it records is `manifest`: a manifest changed outside a ceremony is
    /// refused, as by unlock, rotate and reshare, rather than recorded as a reseal's input. A
    /// missing transcript is refused by [`Transcript::open`], as every ceremony refuses it,
    /// unless `if_missing` starts it anew: it is then started only when the reseal is recorded,
    /// so a reseal that stops early (a wrong passphrase) leaves the domain directory as it was.
    fn settle(
        path: PathBuf,
        manifest: &Manifest,
        if_missing: IfMissing,
    ) -> Result<Self, CeremonyError> {
        match (Transcript::open(&path, IfMissing::Refuse), if_missing) {
            // It was there: it must still be there when the reseal is recorded.
            (Ok(transcript), _) => {
                check_recorded_manifest(transcript.last_manifest(), manifest)?;
                Ok(Self {
                    path,
                    if_missing: IfMissing::Refuse,
                })
            }
            (Err(TranscriptError::Missing { .. }), IfMissing::StartAnew { .. }) => {
                Ok(Self { path, if_missing })
            }
            (Err(error), _) => Err(error.into()),
        }
    }

    /// Records the reseal's steps as a ceremony of its own, opening the transcript afresh (the
    /// officials may have taken minutes to type, and the head is read again); on failure, says
    /// which steps it lacks.
    fn record(self, steps: [Step; 2]) -> Result<(), Unrecorded> {
        let records = steps.map(Record::from);
        let names: Vec<String> = records.iter().map(|record| record.step.clone()).collect();
        let lacking = |from: usize| {
            let missing = names[from..].to_vec();
            move |error| Unrecorded { missing, error }
        };
        let mut transcript = Transcript::open(&self.path, self.if_missing).map_err(lacking(0))?;
        for (at, record) in records.into_iter().enumerate() {
            transcript.append(record).map_err(lacking(at))?;
        }
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ceremony::transcript::read_closed;

    /// The checked-in fixture domain's manifest (tests/cmd/make-fixture.sh).
    fn manifest() -> Manifest {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cmd/fixture/domain/manifest.json");
        crate::domain::ManifestChain::load(&path)
            .unwrap()
            .into_in_force()
    }

    fn steps() -> [Step; 2] {
        let digest = manifest().digest();
        [
            Step::ResealBegun {
                official: "cio".into(),
            },
            Step::ResealClosed {
                official: "cio".into(),
                old_manifest: digest,
                new_manifest: digest,
                fingerprint: "ff".repeat(32),
            },
        ]
    }

    fn anew() -> IfMissing {
        IfMissing::when(true, Ceremony::Reseal, manifest().digest())
    }

    /// A transcript whose last line records `digest` as its manifest.
    fn recording(path: &Path, digest: &str) {
        let mut transcript = Transcript::create(path).unwrap();
        transcript
            .append(Record {
                step: "genesis.close".into(),
                outputs: [(
                    crate::ceremony::step::MANIFEST.to_owned(),
                    digest.to_owned(),
                )]
                .into(),
                ..Record::default()
            })
            .unwrap();
    }

    #[test]
    fn a_missing_transcript_is_refused_with_the_error_of_every_ceremony() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("transcript.jsonl");
        let refused = Recorder::settle(path.clone(), &manifest(), IfMissing::Refuse).unwrap_err();
        assert!(
            matches!(
                refused,
                CeremonyError::Transcript(TranscriptError::Missing { .. })
            ),
            "{refused}"
        );
        assert!(!path.exists());
    }

    #[test]
    fn a_manifest_the_transcript_does_not_end_on_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("transcript.jsonl");
        recording(&path, &"ab".repeat(32));
        let refused = Recorder::settle(path.clone(), &manifest(), anew()).unwrap_err();
        assert!(
            refused
                .to_string()
                .ends_with("(line 1): the manifest was changed outside a ceremony"),
            "{refused}"
        );
        std::fs::remove_file(&path).unwrap();
        recording(&path, &manifest().digest().to_string());
        Recorder::settle(path, &manifest(), IfMissing::Refuse).unwrap();
    }

    #[test]
    fn a_transcript_started_anew_is_created_only_when_the_reseal_is_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("transcript.jsonl");
        let recorder = Recorder::settle(path.clone(), &manifest(), anew()).unwrap();
        assert!(!path.exists());
        recorder.record(steps()).unwrap();
        let recorded: Vec<String> = read_closed(&path)
            .unwrap()
            .entries
            .into_iter()
            .map(|entry| entry.record.step)
            .collect();
        assert_eq!(
            recorded,
            [
                "reseal.transcript-started-anew",
                "reseal.begin",
                "reseal.close"
            ]
        );
    }

    #[test]
    fn a_transcript_that_cannot_record_the_reseal_names_the_steps_it_lacks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("transcript.jsonl");
        let recorder = Recorder::settle(path.clone(), &manifest(), anew()).unwrap();
        // Something that is not a transcript took its place meanwhile.
        std::fs::create_dir(&path).unwrap();
        let unrecorded = recorder.record(steps()).unwrap_err();
        assert_eq!(unrecorded.missing, ["reseal.begin", "reseal.close"]);
        assert!(
            unrecorded.to_string().starts_with(&format!(
                "the transcript does not record reseal.begin and reseal.close (transcript {}: ",
                path.display()
            )),
            "{unrecorded}"
        );
    }
}
