//! Checking a store against its catalog with no key and no token (docs/FORMAT.md 16.7): every
//! archive of the current state present, its header and payload hashed whole and equal to its
//! entry; nothing the catalog does not list; nothing older — an archive whose bytes are those of
//! an earlier entry of its name is named as an older version of itself, with that entry's epoch.
//! Archives are read on a few threads at once, each through one fixed buffer. Every finding is
//! named on its own; the report carries the head.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use super::entry::{Entry, Event};
use super::error::{CatalogError, Result};
use super::head::Head;
use super::measure::{measure_head, measure_stored, Measured};
use super::state::Catalog;
use crate::store::ArchiveStore;

/// The most archives read at once.
const MAX_READERS: usize = 4;

/// One thing in the store that is not as the catalog says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "finding", rename_all = "kebab-case")]
pub enum Finding {
    /// An archive of the current state that the store does not hold.
    Missing {
        /// Its name.
        name: String,
        /// The epoch its current entry records.
        epoch: u32,
    },
    /// An archive whose bytes are those of an earlier entry of its name: an older version of
    /// itself put back.
    Older {
        /// Its name.
        name: String,
        /// The epoch of the entry its bytes match.
        epoch: u32,
        /// The epoch its current entry records.
        current_epoch: u32,
        /// When the entry it matches was recorded.
        time: u64,
        /// The batch that recorded it.
        batch: u64,
    },
    /// An archive whose bytes match no entry of its name.
    Altered {
        /// Its name.
        name: String,
        /// Whether its header differs from its current entry's.
        header: bool,
        /// Whether its payload differs from its current entry's.
        payload: bool,
        /// The epoch its header names (a header rewrapped and never recorded names a later
        /// epoch than its entry).
        epoch: u32,
        /// The epoch its current entry records.
        current_epoch: u32,
    },
    /// An archive the catalog has never recorded.
    Unlisted {
        /// Its name.
        name: String,
        /// Its length in bytes.
        len: u64,
    },
    /// An archive whose removal the catalog records.
    Removed {
        /// Its name.
        name: String,
        /// The batch that recorded its removal.
        batch: u64,
    },
    /// Something in the store that is not an archive (what the store's listing says of it).
    Other {
        /// Its name in the store.
        name: String,
        /// What it is, or why it was passed over.
        reason: String,
    },
    /// An archive that could not be read whole, or does not start with an archive header.
    Unreadable {
        /// Its name.
        name: String,
        /// Why.
        problem: String,
    },
}

impl Finding {
    /// The name the finding is about.
    pub fn name(&self) -> &str {
        match self {
            Self::Missing { name, .. }
            | Self::Older { name, .. }
            | Self::Altered { name, .. }
            | Self::Unlisted { name, .. }
            | Self::Removed { name, .. }
            | Self::Other { name, .. }
            | Self::Unreadable { name, .. } => name,
        }
    }
}

/// How much of each archive a check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Depth {
    /// Every byte: the header and the payload hashed (FORMAT.md 16.7).
    Whole,
    /// The header alone, hashed, and the payload's length from the store's listing: missing,
    /// unlisted, older and rewrapped-or-altered headers are all found reading a few hundred bytes
    /// per archive; a payload altered in place is not (`custody verify` authenticates every
    /// chunk, and a whole check hashes it).
    Headers,
}

/// What checking a store against its catalog found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The store, as messages name it.
    pub location: String,
    /// The catalog's head.
    pub head: Head,
    /// How many batches the catalog holds.
    pub batches: u64,
    /// How many archives its current state holds.
    pub catalogued: u64,
    /// How many of them the store holds exactly as catalogued (at `depth`).
    pub intact: u64,
    /// How much of each archive was read.
    pub depth: Depth,
    /// Everything else, by name.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether the store is exactly as its catalog says.
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Checks `store` against its catalog, every archive read whole. An error when the catalog or
/// the listing cannot be read (a broken chain is refused, naming the batch); every difference is
/// a finding.
pub fn verify(store: &dyn ArchiveStore) -> Result<Report> {
    verify_with(store, Depth::Whole)
}

/// As [`verify`], reading as much of each archive as `depth` says.
pub fn verify_with(store: &dyn ArchiveStore, depth: Depth) -> Result<Report> {
    let catalog = Catalog::read(store)?;
    let listing = store.list()?;
    let mut findings = Vec::new();
    let mut to_read = Vec::new();
    let mut listed = BTreeMap::new();
    for stored in &listing.archives {
        listed.insert(stored.name.as_str(), stored.len);
        let history = catalog.history(&stored.name);
        match history.last() {
            None => findings.push(Finding::Unlisted {
                name: stored.name.clone(),
                len: stored.len,
            }),
            Some(last) if last.entry.event() == Event::Removed => {
                findings.push(Finding::Removed {
                    name: stored.name.clone(),
                    batch: last.batch,
                });
            }
            Some(_) => to_read.push((stored.name.as_str(), stored.len)),
        }
    }
    for entry in catalog.archives() {
        if !listed.contains_key(entry.name()) {
            findings.push(Finding::Missing {
                name: entry.name().to_owned(),
                epoch: entry.archive().map_or(0, |facts| facts.epoch),
            });
        }
    }
    findings.extend(listing.others.iter().map(|(name, reason)| Finding::Other {
        name: name.clone(),
        reason: reason.clone(),
    }));
    let mut intact = 0;
    let measure = |(name, len): (&str, u64)| match depth {
        Depth::Whole => measure_stored(store, name),
        Depth::Headers => measure_head(store, name, len),
    };
    for ((name, _), measured) in to_read.iter().zip(read_all(store, &to_read, &measure)) {
        match judge(&catalog, name, measured, depth) {
            None => intact += 1,
            Some(finding) => findings.push(finding),
        }
    }
    findings.sort_by(|a, b| a.name().cmp(b.name()));
    let head = catalog.head();
    Ok(Report {
        location: store.location().to_owned(),
        head,
        batches: u64::try_from(catalog.batches().len()).unwrap_or(u64::MAX),
        catalogued: head.archives,
        intact,
        depth,
        findings,
    })
}

/// What archive `name`, read as `measured`, is against the catalog: `None` when it is its
/// current entry.
fn judge(
    catalog: &Catalog,
    name: &str,
    measured: Result<Measured>,
    depth: Depth,
) -> Option<Finding> {
    let measured = match measured {
        Ok(measured) => measured,
        Err(error) => {
            return Some(Finding::Unreadable {
                name: name.to_owned(),
                problem: match error {
                    CatalogError::Read { problem, .. } => problem,
                    CatalogError::NotAnArchive(_) => "no archive header at its start".to_owned(),
                    other => other.to_string(),
                },
            })
        }
    };
    let found = measured.facts();
    let current = catalog.current(name).and_then(Entry::archive)?;
    let same = |facts: &super::entry::Facts| {
        facts.header_len == found.header_len
            && facts.header_sha256 == found.header_sha256
            && facts.payload_len == found.payload_len
            && (depth == Depth::Headers || facts.payload_sha256 == found.payload_sha256)
    };
    if same(current) {
        return None;
    }
    let history = catalog.history(name);
    let earlier = history[..history.len().saturating_sub(1)]
        .iter()
        .rev()
        .find(|recorded| recorded.entry.archive().is_some_and(same));
    Some(match earlier {
        Some(recorded) => Finding::Older {
            name: name.to_owned(),
            epoch: recorded.entry.archive().map_or(0, |facts| facts.epoch),
            current_epoch: current.epoch,
            time: recorded.entry.time(),
            batch: recorded.batch,
        },
        None => Finding::Altered {
            name: name.to_owned(),
            header: current.header_len != found.header_len
                || current.header_sha256 != found.header_sha256,
            payload: current.payload_len != found.payload_len
                || (depth == Depth::Whole && current.payload_sha256 != found.payload_sha256),
            epoch: found.epoch,
            current_epoch: current.epoch,
        },
    })
}

/// Every archive of `names` (with its listed length) measured, in order, on up to
/// [`MAX_READERS`] threads.
fn read_all(
    store: &dyn ArchiveStore,
    names: &[(&str, u64)],
    measure: &(dyn Fn((&str, u64)) -> Result<Measured> + Sync),
) -> Vec<Result<Measured>> {
    let readers = std::thread::available_parallelism()
        .map_or(2, NonZeroUsize::get)
        .clamp(2, MAX_READERS)
        .min(names.len());
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, Result<Measured>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..readers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(name) = names.get(index) else {
                            return done;
                        };
                        done.push((index, measure(*name)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker.join().unwrap_or_else(|_| {
                    vec![(
                        usize::MAX,
                        Err(CatalogError::Read {
                            name: String::new(),
                            problem: "a reading thread stopped".to_owned(),
                        }),
                    )]
                })
            })
            .collect()
    });
    results.sort_by_key(|(index, _)| *index);
    let mut ordered: Vec<Option<Result<Measured>>> = (0..names.len()).map(|_| None).collect();
    for (index, result) in results {
        if let Some(slot) = ordered.get_mut(index) {
            *slot = Some(result);
        }
    }
    ordered
        .into_iter()
        .zip(names)
        .map(|(result, (name, _))| {
            result.unwrap_or_else(|| {
                Err(CatalogError::Read {
                    name: store.shown(name),
                    problem: "not read: a reading thread stopped".to_owned(),
                })
            })
        })
        .collect()
}
