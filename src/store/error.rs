//! What can go wrong reading or writing an archive store, with the location it happened at.
//! Messages name the store and the object or file; they never carry credentials.

use std::io;

/// The result of a store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A store operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An `s3://` URL that cannot name a bucket or an archive.
    #[error("{url}: {problem}")]
    BadUrl { url: String, problem: String },
    /// The AWS shared configuration or credentials do not give what a request needs.
    #[error("{0}")]
    Profile(String),
    /// A directory or file of a local store.
    #[error("{path}: {source}")]
    Local { path: String, source: io::Error },
    /// A request to the object store.
    #[error("{location}: {problem}")]
    Remote { location: String, problem: String },
    /// An archive that is not there.
    #[error("{0}: no such archive")]
    Missing(String),
    /// An archive that exists, where a new one was to be made.
    #[error("{0} exists")]
    Exists(String),
    /// Another run wrote catalog batch `sequence` first.
    #[error("{location}: catalog batch {sequence} was written by another run meanwhile")]
    CatalogRace { location: String, sequence: u64 },
    /// An archive too large for a multipart upload's 10,000 parts of this size.
    #[error("{location}: more than {max} bytes cannot be uploaded as one stream")]
    TooLarge { location: String, max: u64 },
}

impl StoreError {
    /// What to do about it, in one line.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::BadUrl { .. } => "name an object store as s3://BUCKET/PREFIX",
            Self::Profile(_) => {
                "object stores are reached with a profile of the AWS shared config and \
                 credentials files (see docs/OBJECT-STORES.md)"
            }
            Self::Local { .. } => "check the path and its permissions",
            Self::Remote { .. } => {
                "check that the store is reachable and that the profile's key may use the bucket"
            }
            Self::Missing(_) => "check the name (custody catalog show STORE lists what is there)",
            Self::Exists(_) => "give --force to replace it, or another name",
            Self::CatalogRace { .. } => {
                "another run is writing to this store: run again once it has finished"
            }
            Self::TooLarge { .. } => {
                "seal the file by its path rather than from a pipe: a known size sizes the parts"
            }
        }
    }

    /// A local I/O error at `path`.
    pub fn local(path: &std::path::Path) -> impl FnOnce(io::Error) -> Self + '_ {
        move |source| Self::Local {
            path: path.display().to_string(),
            source,
        }
    }

    /// A failed request about `location`.
    pub fn remote(location: impl Into<String>, problem: impl ToString) -> Self {
        Self::Remote {
            location: location.into(),
            problem: problem.to_string(),
        }
    }
}

impl From<StoreError> for io::Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Local { source, .. } => source,
            StoreError::Missing(_) => io::Error::new(io::ErrorKind::NotFound, error),
            StoreError::Exists(_) => io::Error::new(io::ErrorKind::AlreadyExists, error),
            other => io::Error::other(other),
        }
    }
}
