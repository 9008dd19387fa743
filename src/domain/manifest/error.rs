//! The errors of loading, validating and writing a manifest. Each names the manifest file (when
//! there is one) and the field, says what is wrong, and [`ManifestProblem::hint`] says what to do.
//! A manifest is public, so its values may appear in messages.

use std::path::PathBuf;

/// A manifest that could not be read, validated or written, and which file it was.
#[derive(Debug, thiserror::Error)]
#[error("{}{problem}", file_prefix(.file))]
pub struct ManifestError {
    /// The manifest file, when the manifest came from one.
    pub file: Option<PathBuf>,
    /// What is wrong.
    pub problem: ManifestProblem,
}

/// What is wrong with a manifest.
#[derive(Debug, thiserror::Error)]
pub enum ManifestProblem {
    /// The file could not be opened or read.
    #[error("cannot be read: {0}")]
    Unreadable(std::io::Error),
    /// Larger than any manifest; refused before parsing.
    #[error("is larger than the {max}-byte limit of a manifest")]
    TooLarge {
        /// The limit, in bytes.
        max: usize,
    },
    /// Not JSON, or JSON with a missing, unknown, repeated or mistyped field.
    #[error("is not a valid custody manifest: {0}")]
    Syntax(String),
    /// The `format` field is not `custody-manifest`.
    #[error("field `format` is {0:?}, not \"custody-manifest\": this is not a custody manifest")]
    NotAManifest(String),
    /// A manifest version this build does not read.
    #[error("field `version` is {0}, but this build reads manifest version {version}", version = super::VERSION)]
    UnsupportedVersion(u64),
    /// A field breaks a rule of docs/FORMAT.md.
    #[error("field `{field}` {problem}")]
    Invalid {
        /// The field, e.g. `officials[2].share_id`.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The signature does not verify under the key that must have made it.
    #[error(
        "is not signed by the quorum that made it: its signature does not verify under the \
         domain key of {}",
        signer_of(.position)
    )]
    BadSignature {
        /// The manifest's chain position.
        position: u64,
    },
    /// No signature could be made (see [`crate::primitives::signature::SignatureError`]).
    #[error("cannot be signed: {0}")]
    Signing(crate::primitives::signature::SignatureError),
    /// The manifest could not be encoded (a bug: every validated manifest encodes).
    #[error("cannot be encoded as JSON ({0}); this is a bug, please report it")]
    Encoding(String),
    /// The file could not be written.
    #[error("cannot be written: {0}")]
    Unwritable(std::io::Error),
}

impl ManifestProblem {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Unreadable(_) | Self::TooLarge { .. } | Self::NotAManifest(_) => {
                "check that the path names the domain's manifest.json"
            }
            Self::UnsupportedVersion(_) => "use a custody release that reads this manifest version",
            Self::Syntax(_) | Self::Invalid { .. } | Self::BadSignature { .. } => {
                "the manifest is damaged or was edited: restore it from a trusted copy and check \
                 its digest against the one read aloud at the ceremony"
            }
            Self::Encoding(_) => "report this bug with the manifest attached",
            Self::Signing(_) => {
                "nothing was published; check this machine (`custody selftest`) and run the \
                 ceremony again"
            }
            Self::Unwritable(_) => {
                "check that the manifest's directory exists and is writable, and that the disk \
                 has space"
            }
        }
    }
}

impl ManifestError {
    /// A problem with no file attached yet.
    pub(crate) fn new(problem: ManifestProblem) -> Self {
        Self {
            file: None,
            problem,
        }
    }

    /// The same problem, as found in `file`.
    pub fn in_file(mut self, file: &std::path::Path) -> Self {
        self.file = Some(file.to_path_buf());
        self
    }

    /// A field that breaks its rule.
    pub(crate) fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::new(ManifestProblem::Invalid {
            field: field.into(),
            problem: problem.into(),
        })
    }
}

fn file_prefix(file: &Option<PathBuf>) -> String {
    match file {
        Some(path) => format!("manifest {}: ", path.display()),
        None => "manifest: ".into(),
    }
}

/// Whose key signs the manifest at `position`.
fn signer_of(position: &u64) -> String {
    match position.checked_sub(1) {
        None => "its own epoch (chain position 0)".into(),
        Some(before) => format!("the manifest before it (chain position {before})"),
    }
}
