//! A catalog read whole (docs/FORMAT.md 16.3–16.5): every batch parsed and its chain checked
//! from batch 1, every entry applied in order under the rules of 16.4 (a rewrap or a removal
//! only of an archive present, a rewrap keeping the payload), the history of every name, the
//! current state (the latest entry of each name, removals left out), its Merkle tree and the
//! head. A catalog that breaks any rule is refused, naming the batch and line.

use std::collections::BTreeMap;

use super::batch::{self, Batch, NO_PREVIOUS};
use super::entry::{check_rewrap, Entry, Event};
use super::error::{CatalogError, Result};
use super::head::Head;
use super::merkle::{self, Hash};
use super::proof::Proof;
use crate::store::ArchiveStore;

/// Where batches live in a store, relative to it.
pub const CATALOG_DIRECTORY: &str = ".catalog";

/// One batch of a catalog, as the catalog keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchInfo {
    /// Its sequence number, from 1.
    pub sequence: u64,
    /// When it was written, in seconds since 1970-01-01T00:00:00Z.
    pub time: u64,
    /// How many entries it holds.
    pub entries: usize,
    /// SHA-256 of its bytes: its chain hash.
    pub digest: Hash,
}

/// An entry with the batch it was recorded in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The entry.
    pub entry: Entry,
    /// The batch's sequence number.
    pub batch: u64,
}

/// A catalog, read and checked.
#[derive(Debug, Clone)]
pub struct Catalog {
    location: String,
    batches: Vec<BatchInfo>,
    history: BTreeMap<String, Vec<Recorded>>,
    head: Head,
}

/// How messages name batch `sequence` of the catalog at `location`.
pub fn batch_shown(location: &str, sequence: u64) -> String {
    let location = location.trim_end_matches('/');
    let file = format!("{CATALOG_DIRECTORY}/{sequence:016}");
    if location.is_empty() {
        file
    } else {
        format!("{location}/{file}")
    }
}

impl Catalog {
    /// The catalog of `store`, every batch checked; an empty catalog when it has none.
    pub fn read(store: &dyn ArchiveStore) -> Result<Self> {
        Self::from_batches(store.location(), store.catalog_batches()?)
    }

    /// The catalog of these batches (sequence number and bytes, in order), from the store at
    /// `location` (for messages).
    pub fn from_batches(location: &str, batches: Vec<(u64, Vec<u8>)>) -> Result<Self> {
        let mut catalog = Self {
            location: location.to_owned(),
            batches: Vec::with_capacity(batches.len()),
            history: BTreeMap::new(),
            head: Head::new(NO_PREVIOUS, merkle::root(&[]), 0),
        };
        for (sequence, bytes) in batches {
            catalog.apply(sequence, &bytes)?;
        }
        catalog.head = catalog.compute_head();
        Ok(catalog)
    }

    /// Checks batch `sequence` as the next one and applies it (the head is not recomputed).
    fn apply(&mut self, sequence: u64, bytes: &[u8]) -> Result<()> {
        let shown = batch_shown(&self.location, sequence);
        let expected = self.next_sequence();
        if sequence != expected {
            return Err(CatalogError::Batch {
                batch: batch_shown(&self.location, expected),
                line: None,
                problem: format!(
                    "missing: the batches go from 1 without a gap, and batch {sequence} follows \
                     batch {}",
                    expected - 1
                ),
            });
        }
        let batch =
            batch::parse(sequence, bytes).map_err(|(line, problem)| CatalogError::Batch {
                batch: shown.clone(),
                line,
                problem,
            })?;
        let prev = self.last_digest();
        if batch.prev != prev {
            return Err(CatalogError::Batch {
                batch: shown,
                line: Some(1),
                problem: format!(
                    "its prev {} is not the digest of the batch before it, {} (a batch before it \
                     was altered, replaced or removed)",
                    hex::encode(batch.prev),
                    hex::encode(prev)
                ),
            });
        }
        self.check_entries(&batch.entries)
            .map_err(|(index, problem)| CatalogError::Batch {
                batch: shown,
                line: Some(index + 2),
                problem,
            })?;
        self.push(batch);
        Ok(())
    }

    fn push(&mut self, batch: Batch) {
        self.batches.push(BatchInfo {
            sequence: batch.sequence,
            time: batch.time,
            entries: batch.entries.len(),
            digest: batch.digest,
        });
        for entry in batch.entries {
            self.history
                .entry(entry.name().to_owned())
                .or_default()
                .push(Recorded {
                    entry,
                    batch: batch.sequence,
                });
        }
    }

    /// Checks `entries`, in order, against the current state (16.4): a rewrap or a removal
    /// only of an archive present, a rewrap keeping the payload, the header's length and the
    /// domain. The first that breaks a rule is returned with its index.
    pub(super) fn check_entries(&self, entries: &[Entry]) -> Result<(), (usize, String)> {
        let mut latest: BTreeMap<&str, &Entry> = BTreeMap::new();
        for (index, entry) in entries.iter().enumerate() {
            let before = latest
                .get(entry.name())
                .copied()
                .or_else(|| self.latest(entry.name()))
                .and_then(|before| before.archive());
            match (entry.event(), before, entry.archive()) {
                (Event::Sealed, _, _) => {}
                (Event::Rewrapped | Event::Removed, None, _) => {
                    return Err((
                        index,
                        format!(
                            "{} is {} but the catalog holds no archive of that name",
                            entry.name(),
                            entry.event()
                        ),
                    ))
                }
                (Event::Rewrapped, Some(before), Some(after)) => check_rewrap(before, after)
                    .map_err(|problem| (index, format!("{}: {problem}", entry.name())))?,
                (Event::Rewrapped | Event::Removed, Some(_), _) => {}
            }
            latest.insert(entry.name(), entry);
        }
        Ok(())
    }

    fn latest(&self, name: &str) -> Option<&Entry> {
        self.history
            .get(name)
            .and_then(|recorded| recorded.last())
            .map(|recorded| &recorded.entry)
    }

    fn compute_head(&self) -> Head {
        let leaves = self.leaves();
        Head::new(
            self.last_digest(),
            merkle::root(&leaves),
            super::entry::len_u64(leaves.len()),
        )
    }

    /// The leaf hashes of the current state, by name.
    fn leaves(&self) -> Vec<Hash> {
        self.archives()
            .map(|entry| merkle::leaf_hash(entry.line().as_bytes()))
            .collect()
    }

    /// The sequence number the next batch takes.
    pub fn next_sequence(&self) -> u64 {
        self.batches.last().map_or(1, |batch| batch.sequence + 1)
    }

    /// The last batch's digest ([`NO_PREVIOUS`] when there is none).
    pub fn last_digest(&self) -> Hash {
        self.batches
            .last()
            .map_or(NO_PREVIOUS, |batch| batch.digest)
    }

    /// The store the catalog was read from, as messages name it.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Every batch, in order.
    pub fn batches(&self) -> &[BatchInfo] {
        &self.batches
    }

    /// The catalog's head.
    pub fn head(&self) -> Head {
        self.head
    }

    /// The head the catalog had after each number of batches: `heads()[k]` after batch k, from
    /// the empty catalog's (`k` = 0) to the current head. A head from a ceremony sheet found here
    /// shows the catalog intact up to that batch.
    pub fn heads(&self) -> Vec<Head> {
        let leaves: Vec<Vec<(u64, Option<Hash>)>> = self
            .history
            .values()
            .map(|recorded| {
                recorded
                    .iter()
                    .map(|recorded| {
                        let leaf = recorded
                            .entry
                            .archive()
                            .map(|_| merkle::leaf_hash(recorded.entry.line().as_bytes()));
                        (recorded.batch, leaf)
                    })
                    .collect()
            })
            .collect();
        let mut heads = vec![Head::new(NO_PREVIOUS, merkle::root(&[]), 0)];
        for batch in &self.batches {
            let state: Vec<Hash> = leaves
                .iter()
                .filter_map(|name| {
                    name.iter()
                        .rev()
                        .find(|(recorded, _)| *recorded <= batch.sequence)
                        .and_then(|(_, leaf)| *leaf)
                })
                .collect();
            heads.push(Head::new(
                batch.digest,
                merkle::root(&state),
                super::entry::len_u64(state.len()),
            ));
        }
        heads
    }

    /// The current entry of archive `name`: its latest, unless that records its removal.
    pub fn current(&self, name: &str) -> Option<&Entry> {
        self.latest(name).filter(|entry| entry.archive().is_some())
    }

    /// Every entry of `name`, oldest first (empty for a name never recorded).
    pub fn history(&self, name: &str) -> &[Recorded] {
        self.history.get(name).map_or(&[], Vec::as_slice)
    }

    /// Every name ever recorded, by name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.history.keys().map(String::as_str)
    }

    /// The current state: the current entry of every archive, by name.
    pub fn archives(&self) -> impl Iterator<Item = &Entry> {
        self.history
            .values()
            .filter_map(|recorded| recorded.last())
            .map(|recorded| &recorded.entry)
            .filter(|entry| entry.archive().is_some())
    }

    /// The proof that archive `name`'s current entry is in the current state; `None` when the
    /// current state has no archive of that name.
    pub fn prove(&self, name: &str) -> Option<Proof> {
        let index = self.archives().position(|entry| entry.name() == name)?;
        let leaves = self.leaves();
        Some(Proof {
            entry: self.current(name)?.clone(),
            index: super::entry::len_u64(index),
            size: super::entry::len_u64(leaves.len()),
            path: merkle::path(&leaves, index)?,
            chain: self.last_digest(),
        })
    }

    /// This catalog with batch `sequence` (bytes this run wrote) applied.
    pub(super) fn with_batch(mut self, sequence: u64, bytes: &[u8]) -> Result<Self> {
        self.apply(sequence, bytes)?;
        self.head = self.compute_head();
        Ok(self)
    }
}
