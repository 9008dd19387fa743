//! What can go wrong reading, recording or checking a catalog: a store that cannot be read, a
//! batch that is not a catalog batch (named, with its line), an entry that cannot be recorded, a
//! proof that does not hold. Messages name batches, archives and digests, never file contents.

use crate::store::StoreError;

/// The result of a catalog operation.
pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

/// A catalog operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A batch that breaks the format or the chain: which batch, where, and what.
    #[error("catalog batch {batch}{line}: {problem}", line = at_line(*.line))]
    Batch {
        /// The batch as messages name it: its place in the store (`DIR/.catalog/0000000000000003`).
        batch: String,
        /// The line, from 1, when the problem is on one.
        line: Option<usize>,
        /// What is wrong.
        problem: String,
    },
    /// An entry that cannot be made or recorded.
    #[error("{0}")]
    Entry(String),
    /// Bytes written through a [`Measure`](super::Measure) that do not start with an archive
    /// header.
    #[error("{0}: not an archive (no archive header at its start)")]
    NotAnArchive(String),
    /// Other runs kept appending batches while this one tried to.
    #[error(
        "{location}: the catalog changed under this run {tries} times in a row; nothing recorded"
    )]
    Contended {
        /// The store.
        location: String,
        /// How many attempts were made.
        tries: u32,
    },
    /// An archive that could not be read whole.
    #[error("{name}: {problem}")]
    Read {
        /// The archive as messages name it.
        name: String,
        /// What failed.
        problem: String,
    },
    /// A proof file that cannot be read as a proof.
    #[error("{0}")]
    Proof(String),
}

fn at_line(line: Option<usize>) -> String {
    line.map(|line| format!(", line {line}"))
        .unwrap_or_default()
}

impl CatalogError {
    /// What to do about it, for the command line.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Store(_) | Self::Read { .. } => {
                "check the store's location, and the profile and credentials used"
            }
            Self::Batch { .. } => {
                "the catalog was altered or damaged: compare it with a copy kept at another site, \
                 and its head with the one written on the last ceremony sheet"
            }
            Self::Entry(_) | Self::NotAnArchive(_) => {
                "only whole custody archives with names relative to their store are catalogued"
            }
            Self::Contended { .. } => {
                "run again when the other runs writing to this store are done"
            }
            Self::Proof(_) => {
                "give the file `custody catalog prove STORE NAME --json` wrote, unchanged"
            }
        }
    }
}
