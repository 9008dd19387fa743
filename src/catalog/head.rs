//! The catalog head (docs/FORMAT.md 16.5): one digest that binds the whole history (the last
//! batch's chain hash) to the current state (the Merkle root and how many archives it holds),
//! read aloud and written on ceremony sheets in hex groups and PGP words. Two copies of a store
//! with the same head hold the same catalog, whatever their location.

use std::fmt;

use sha2::{Digest, Sha256};

use super::merkle::Hash;
use crate::readout::{hex_groups, pgp_words};

/// The label the head digest starts with.
pub const HEAD_LABEL: &[u8] = b"custody/catalog/v1/head";

/// A catalog's head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The last batch's digest (its chain hash); 32 zero bytes when there is no batch.
    pub chain: Hash,
    /// The Merkle root of the current state.
    pub root: Hash,
    /// How many archives the current state holds (the tree's leaves).
    pub archives: u64,
    /// SHA-256(label || chain || root || archives as 8 bytes big-endian).
    pub digest: Hash,
}

impl Head {
    /// The head of a catalog whose last batch has digest `chain` and whose current state of
    /// `archives` archives has Merkle root `root`.
    pub fn new(chain: Hash, root: Hash, archives: u64) -> Self {
        Self {
            chain,
            root,
            archives,
            digest: digest(&chain, &root, archives),
        }
    }

    /// The digest in hex, in groups of four digits.
    pub fn hex(&self) -> String {
        hex_groups(&self.digest)
    }

    /// The digest in PGP words.
    pub fn words(&self) -> String {
        pgp_words(&self.digest)
    }
}

impl fmt::Display for Head {
    /// The digest in plain lower-case hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.digest))
    }
}

/// The head digest of a chain hash, a root and a count.
pub fn digest(chain: &Hash, root: &Hash, archives: u64) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(HEAD_LABEL);
    hasher.update(chain);
    hasher.update(root);
    hasher.update(archives.to_be_bytes());
    hasher.finalize().into()
}
