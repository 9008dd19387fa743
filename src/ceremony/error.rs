//! The ceremonies' error: whatever a layer below reported, or a refusal of the ceremony's own,
//! always with a hint saying what the people in the room should do next. Never a secret.

use std::path::PathBuf;

use crate::domain::{ChainError, ManifestError, OfficialsFileError, ResealError, ShareCheckError};
use crate::hsm;
use crate::primitives::random::RandomnessUnavailable;
use crate::primitives::signature::SignatureError;
use crate::shares::sealed::SealedShareError;
use crate::shares::SharesError;

use super::transcript::TranscriptError;

/// Why a ceremony stopped.
#[derive(Debug, thiserror::Error)]
pub enum CeremonyError {
    /// An archive is wrong, or cannot be sealed or opened.
    #[error(transparent)]
    Archive(#[from] crate::archive::ArchiveError),
    /// The HSM said no.
    #[error(transparent)]
    Hsm(#[from] hsm::Error),
    /// The manifest is wrong or cannot be written.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The manifest chain does not verify, or a manifest may not follow it.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The transcript is broken or cannot be written.
    #[error(transparent)]
    Transcript(#[from] TranscriptError),
    /// A share could not be resealed; nothing was changed.
    #[error(transparent)]
    Reseal(ResealError),
    /// The officials file is wrong.
    #[error(transparent)]
    Officials(#[from] OfficialsFileError),
    /// A share file does not belong, does not open, or does not verify.
    #[error("{}: {error}", .file.display())]
    Share {
        /// The share file.
        file: PathBuf,
        /// What is wrong.
        error: ShareCheckError,
    },
    /// A file or directory cannot be read or written.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A step failed on an error of a layer below that only a new attempt can get past.
    #[error("{source}")]
    Failed {
        /// What failed.
        #[source]
        source: StepFailure,
        /// What to do.
        hint: &'static str,
    },
    /// An official's share could not be sealed.
    #[error("official {official}: {source}")]
    Sealing {
        /// The official's id.
        official: String,
        /// What failed.
        #[source]
        source: SealedShareError,
    },
    /// The ceremony refuses to go on.
    #[error("{message}")]
    Refused {
        /// What is wrong.
        message: String,
        /// What to do.
        hint: &'static str,
    },
}

impl CeremonyError {
    /// A refusal of the ceremony's own.
    pub fn refused(message: impl Into<String>, hint: &'static str) -> Self {
        Self::Refused {
            message: message.into(),
            hint,
        }
    }

    /// A step that failed on an error of a layer below.
    pub fn failed(source: impl Into<StepFailure>, hint: &'static str) -> Self {
        Self::Failed {
            source: source.into(),
            hint,
        }
    }

    /// Wraps an I/O failure on `path`.
    pub fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// What to do next.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Archive(error) => error.hint(),
            Self::Hsm(error) => error.hint(),
            Self::Manifest(error) => error.problem.hint(),
            Self::Chain(error) => error.hint(),
            Self::Transcript(error) => error.hint(),
            Self::Officials(error) => error.hint(),
            Self::Reseal(error) => error.hint(),
            Self::Share { error, .. } => error.hint(),
            Self::Io { .. } => "check the path, the free space and the permissions",
            Self::Failed { hint, .. } | Self::Refused { hint, .. } => hint,
            Self::Sealing { .. } => NOTHING_PUBLISHED,
        }
    }
}

/// The error of a layer below on which a ceremony step failed.
#[derive(Debug, thiserror::Error)]
pub enum StepFailure {
    /// The machine's random generator failed.
    #[error(transparent)]
    Randomness(#[from] RandomnessUnavailable),
    /// Splitting, generating or combining the key failed.
    #[error(transparent)]
    Shares(#[from] SharesError),
    /// A ceremony file could not be encoded.
    #[error(transparent)]
    Encoding(#[from] serde_json::Error),
    /// The domain signing key gave no signature (a fault; none was released).
    #[error(transparent)]
    Signature(#[from] SignatureError),
}

/// What to do when a ceremony that publishes only at its end stops early.
pub(super) const NOTHING_PUBLISHED: &str =
    "nothing was published; run the ceremony again, and report it if it persists";

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn a_failed_step_keeps_its_source_typed_and_its_message() {
        let error = CeremonyError::failed(RandomnessUnavailable("no entropy".into()), "retry");
        assert_eq!(
            error.to_string(),
            RandomnessUnavailable("no entropy".into()).to_string()
        );
        let source = error.source().and_then(|s| s.downcast_ref::<StepFailure>());
        assert!(matches!(source, Some(StepFailure::Randomness(_))));
        assert_eq!(error.hint(), "retry");
    }
}
