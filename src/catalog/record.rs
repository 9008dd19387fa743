//! Recording entries: the catalog read and checked, the entries checked against its current
//! state, then appended as the next batch — created, never replaced. When another run appended
//! that batch first (`StoreError::CatalogRace`), the catalog is read again and the batch made
//! anew on top of it, a bounded number of times — unless the batch found in its place is this
//! run's own, byte for byte (a create retried after its answer was lost). Entries past [`MAX_BATCH_ENTRIES`] go in
//! several batches, one after another.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use super::batch::{self, MAX_BATCH_LEN};
use super::entry::Entry;
use super::error::{CatalogError, Result};
use super::head::Head;
use super::state::Catalog;
use crate::store::{ArchiveStore, StoreError};

/// Attempts at appending one batch before giving up to other runs.
pub const RECORD_ATTEMPTS: u32 = 8;

/// The most entries one batch holds (a batch stays far below its size limit).
pub const MAX_BATCH_ENTRIES: usize = 100_000;

/// Now, in seconds since 1970-01-01T00:00:00Z.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Appends `entries` to the catalog of `store` as its next batch (or batches), and returns the
/// catalog's new head. Nothing is written when an entry breaks the rules of docs/FORMAT.md 16.4
/// against the current state; no entries, nothing written, and the head as it is.
pub fn record(store: &dyn ArchiveStore, entries: Vec<Entry>) -> Result<Head> {
    Ok(record_on(store, Catalog::read(store)?, &entries)?.head())
}

/// As [`record`], on top of `catalog`, the catalog of `store` as this run last read or recorded
/// it — a run recording batch after batch need not read the whole catalog again each time: when
/// another run appended meanwhile, the append finds its batch's place taken, and the catalog is
/// read again then. Returns the catalog with the entries appended.
pub fn record_on(store: &dyn ArchiveStore, catalog: Catalog, entries: &[Entry]) -> Result<Catalog> {
    let mut catalog = catalog;
    for chunk in entries.chunks(MAX_BATCH_ENTRIES) {
        catalog = append(store, catalog, chunk)?;
    }
    Ok(catalog)
}

/// Appends one batch on top of `catalog`, reading the catalog again after each race.
fn append(store: &dyn ArchiveStore, mut catalog: Catalog, entries: &[Entry]) -> Result<Catalog> {
    for attempt in 1..=RECORD_ATTEMPTS {
        catalog.check_entries(entries).map_err(|(index, problem)| {
            CatalogError::Entry(format!(
                "not recorded in the catalog of {}: entry {} of {}: {problem}",
                store.location(),
                index + 1,
                entries.len()
            ))
        })?;
        let sequence = catalog.next_sequence();
        let bytes = batch::encode(sequence, now(), &catalog.last_digest(), entries);
        if bytes.len() > MAX_BATCH_LEN {
            return Err(CatalogError::Entry(format!(
                "{} entries do not fit in one batch",
                entries.len()
            )));
        }
        match store.append_catalog_batch(sequence, &bytes) {
            Ok(()) => return catalog.with_batch(sequence, &bytes),
            Err(StoreError::CatalogRace { .. }) => {
                // Another run's batch took this place — or this run's own, when a request that
                // created it was retried after its answer was lost. After a pause that grows and
                // differs between runs, read again: build on the other run's batch, or stop at
                // this run's own.
                std::thread::sleep(pause(attempt));
                catalog = Catalog::read(store)?;
                if landed(&catalog, sequence, &bytes) {
                    return Ok(catalog);
                }
            }
            Err(error) => return Err(error.into()),
        }
    }
    Err(CatalogError::Contended {
        location: store.location().to_owned(),
        tries: RECORD_ATTEMPTS,
    })
}

/// Whether batch `sequence` of `catalog` is exactly `bytes`.
fn landed(catalog: &Catalog, sequence: u64, bytes: &[u8]) -> bool {
    let digest: [u8; 32] = Sha256::digest(bytes).into();
    usize::try_from(sequence)
        .ok()
        .and_then(|sequence| catalog.batches().get(sequence.checked_sub(1)?))
        .is_some_and(|batch| batch.digest == digest)
}

/// How long to wait after race `attempt`: 20 ms doubling, plus up to as much again that differs
/// from run to run (the clock's nanoseconds), so racing runs part.
fn pause(attempt: u32) -> Duration {
    let base = 20u64 << attempt.min(8);
    let jitter = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| u64::from(since.subsec_nanos()))
        % base;
    Duration::from_millis(base + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Facts;
    use crate::primitives::domain_id::DomainId;
    use crate::primitives::key_identity::KeyId;

    fn entry(name: &str) -> Entry {
        let facts = Facts {
            domain: DomainId::new("ee-test").unwrap(),
            epoch: 1,
            key_id: KeyId::from_bytes([1; 32]),
            header_len: 210,
            header_sha256: [2; 32],
            payload_len: 3,
            payload_sha256: [3; 32],
        };
        Entry::sealed(name, 1_795_000_000, facts).unwrap()
    }

    /// A create retried after its answer was lost finds this run's own batch in its place: that
    /// is success, not a race to build on (which would record the entries twice).
    #[test]
    fn a_batch_found_in_its_place_is_ours_only_byte_for_byte() {
        let ours = batch::encode(1, 1_795_000_000, &[0; 32], &[entry("a.custody")]);
        let theirs = batch::encode(1, 1_795_000_000, &[0; 32], &[entry("b.custody")]);
        let catalog = Catalog::from_batches("test", vec![(1, ours.clone())]).unwrap();
        assert!(landed(&catalog, 1, &ours));
        assert!(!landed(&catalog, 1, &theirs));
        assert!(!landed(&catalog, 2, &ours));
        assert!(!landed(&catalog, 0, &ours));
    }
}
