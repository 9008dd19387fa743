//! The ceremonies' error: whatever a layer below reported, or a refusal of the ceremony's own,
//! always with a hint saying what the people in the room should do next. Never a secret.

use std::path::PathBuf;

use crate::domain::{ManifestError, OfficialsFileError, ShareCheckError};
use crate::hsm;

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
    /// The transcript is broken or cannot be written.
    #[error(transparent)]
    Transcript(#[from] TranscriptError),
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
            Self::Transcript(error) => error.hint(),
            Self::Officials(error) => error.hint(),
            Self::Share { error, .. } => error.hint(),
            Self::Io { .. } => "check the path, the free space and the permissions",
            Self::Refused { hint, .. } => hint,
        }
    }
}
