//! The inclusion proof of one archive (docs/FORMAT.md 16.6): its current entry, its leaf's place
//! in the tree, the audit path and the last batch's chain hash — enough to recompute the head
//! with nothing else, and so to show, against a head read from a ceremony sheet, that this entry
//! is the catalog's current one for its name. Written and read as a small JSON file, bounded.

use serde::{Deserialize, Serialize};

use super::entry::{digest, Entry};
use super::error::{CatalogError, Result};
use super::head::Head;
use super::merkle::{self, Hash};

/// The proof format's version.
pub const PROOF_VERSION: u64 = 1;

/// The largest proof file read, in bytes.
pub const MAX_PROOF_LEN: usize = 64 * 1024;

/// The longest audit path: a tree of at most 2^64 leaves.
const MAX_PATH: usize = 64;

/// That archive `entry.name()` is, as `entry` records it, in the current state of a catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// The archive's current entry.
    pub entry: Entry,
    /// Its leaf's index in the tree (its place among the current state's names, from 0).
    pub index: u64,
    /// The tree's size: how many archives the current state holds.
    pub size: u64,
    /// The audit path, from the leaf up.
    pub path: Vec<Hash>,
    /// The catalog's last batch's digest.
    pub chain: Hash,
}

/// A proof as its file holds it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProofFile {
    catalog_proof: u64,
    entry: String,
    index: u64,
    size: u64,
    path: Vec<String>,
    chain: String,
}

impl Proof {
    /// The Merkle root the path leads to; `None` when the path does not fit the index and size.
    pub fn root(&self) -> Option<Hash> {
        let leaf = merkle::leaf_hash(self.entry.line().as_bytes());
        merkle::root_from_path(&leaf, self.index, self.size, &self.path)
    }

    /// The head the proof leads to: compare it with the head on record.
    pub fn head(&self) -> Result<Head> {
        let root = self.root().ok_or_else(|| {
            CatalogError::Proof(format!(
                "its path of {} hashes does not fit leaf {} of a tree of {}",
                self.path.len(),
                self.index,
                self.size
            ))
        })?;
        Ok(Head::new(self.chain, root, self.size))
    }

    /// The proof file's text (docs/FORMAT.md 16.6).
    pub fn to_json(&self) -> String {
        let file = ProofFile {
            catalog_proof: PROOF_VERSION,
            entry: self.entry.line(),
            index: self.index,
            size: self.size,
            path: self.path.iter().map(hex::encode).collect(),
            chain: hex::encode(self.chain),
        };
        let text = serde_json::to_string_pretty(&file).unwrap_or_default();
        format!("{text}\n")
    }

    /// Reads a proof file strictly.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let refuse =
            |problem: String| CatalogError::Proof(format!("not a catalog proof: {problem}"));
        if bytes.len() > MAX_PROOF_LEN {
            return Err(refuse(format!("larger than {MAX_PROOF_LEN} bytes")));
        }
        let file: ProofFile =
            serde_json::from_slice(bytes).map_err(|error| refuse(error.to_string()))?;
        if file.catalog_proof != PROOF_VERSION {
            return Err(refuse(format!(
                "proof format version {}; this custody reads version {PROOF_VERSION}",
                file.catalog_proof
            )));
        }
        if file.path.len() > MAX_PATH {
            return Err(refuse(format!("a path of more than {MAX_PATH} hashes")));
        }
        let entry = Entry::parse(file.entry.as_bytes())
            .map_err(|problem| refuse(format!("its entry: {problem}")))?;
        if entry.archive().is_none() {
            return Err(refuse("its entry records a removal".to_owned()));
        }
        let path = file
            .path
            .iter()
            .map(|hash| digest("path", hash))
            .collect::<Result<Vec<_>, _>>()
            .map_err(refuse)?;
        Ok(Self {
            entry,
            index: file.index,
            size: file.size,
            path,
            chain: digest("chain", &file.chain).map_err(refuse)?,
        })
    }
}
