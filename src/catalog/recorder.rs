//! Recording as a run goes: a command that writes many archives to one store (a seal of 10,000
//! files, a rotation) keeps its catalog entries here and appends them as one batch every
//! [`BATCH_ENTRIES`] entries or [`BATCH_SECONDS`] seconds, and at the end. A run killed between
//! two batches leaves at most that many archives uncatalogued, which `custody catalog verify`
//! names as unlisted; no archive is ever catalogued before it is whole.

use std::time::{Duration, Instant};

use super::entry::Entry;
use super::error::Result;
use super::head::Head;
use super::record::record;
use crate::store::ArchiveStore;

/// Entries gathered before a batch is appended.
pub const BATCH_ENTRIES: usize = 1000;
/// Seconds after which gathered entries are appended whatever their number.
pub const BATCH_SECONDS: u64 = 5;

/// A store's catalog entries not yet appended.
#[derive(Debug)]
pub struct Recorder<'s> {
    store: &'s dyn ArchiveStore,
    pending: Vec<Entry>,
    since: Instant,
    head: Option<Head>,
}

impl<'s> Recorder<'s> {
    /// Records into the catalog of `store`.
    pub fn new(store: &'s dyn ArchiveStore) -> Self {
        Self {
            store,
            pending: Vec::new(),
            since: Instant::now(),
            head: None,
        }
    }

    /// Keeps `entry`, appending what is kept when enough has gathered.
    pub fn push(&mut self, entry: Entry) -> Result<()> {
        self.pending.push(entry);
        if self.pending.len() >= BATCH_ENTRIES
            || self.since.elapsed() >= Duration::from_secs(BATCH_SECONDS)
        {
            self.flush()?;
        }
        Ok(())
    }

    /// Appends what is kept.
    pub fn flush(&mut self) -> Result<()> {
        self.since = Instant::now();
        if self.pending.is_empty() {
            return Ok(());
        }
        self.head = Some(record(self.store, std::mem::take(&mut self.pending))?);
        Ok(())
    }

    /// Appends what is kept; the catalog's head (read when nothing was appended).
    pub fn finish(mut self) -> Result<Head> {
        self.flush()?;
        match self.head {
            Some(head) => Ok(head),
            None => Ok(super::state::Catalog::read(self.store)?.head()),
        }
    }
}
