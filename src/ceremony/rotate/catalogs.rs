//! The catalogs of the stores a rotation rewrites: each header rewrapped is recorded as a
//! `rewrapped` entry, its payload's facts carried from the archive's last entry (never read).
//! An archive already on the new epoch whose catalogued header is not the one in the store (a
//! run stopped before it recorded what it wrote) is recorded too, so a resumed rotation leaves
//! the catalog whole. An archive the catalog does not list is counted, not read: `custody
//! catalog verify` names it. Each store's entries go in at the end, as one batch, and the
//! catalog's new head is what the transcript records.

use std::collections::BTreeMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::catalog::{self, Catalog, Entry, Head};
use crate::store::ArchiveStore;

use super::super::attendant::{Attendant, Event};
use super::super::error::CeremonyError;

/// The catalogs of the stores a rotation walks.
#[derive(Debug, Default)]
pub(super) struct Catalogs {
    stores: BTreeMap<String, StoreCatalog>,
}

/// One store's catalog, as read before its first archive, and the entries to record.
#[derive(Debug)]
pub(super) struct StoreCatalog {
    store: Arc<dyn ArchiveStore>,
    catalog: Result<Catalog, String>,
    entries: Vec<Entry>,
    unlisted: usize,
}

impl Catalogs {
    /// The catalog of `store`, read the first time the rotation finds one of its archives: its
    /// head is recorded whatever becomes of them.
    pub(super) fn of(&mut self, store: &Arc<dyn ArchiveStore>) -> &mut StoreCatalog {
        self.stores
            .entry(store.location().to_owned())
            .or_insert_with(|| StoreCatalog {
                catalog: Catalog::read(store.as_ref()).map_err(|error| error.to_string()),
                store: Arc::clone(store),
                entries: Vec::new(),
                unlisted: 0,
            })
    }

    /// Archive `name` of `store` now has the header `header` (rewrapped by this run, or found on
    /// the new epoch): recorded unless the catalog already has exactly this header for it.
    pub(super) fn note(&mut self, store: &Arc<dyn ArchiveStore>, name: &str, header: &[u8]) {
        let at = self.of(store);
        let Ok(catalog) = &at.catalog else { return };
        let Some(previous) = catalog
            .current(name)
            .filter(|entry| entry.archive().is_some())
        else {
            at.unlisted += 1;
            return;
        };
        let digest: [u8; 32] = Sha256::digest(header).into();
        if previous
            .archive()
            .is_some_and(|facts| facts.header_sha256 == digest)
        {
            return;
        }
        match Entry::rewrapped(previous, header, catalog::now()) {
            Ok(entry) => at.entries.push(entry),
            Err(_) => at.unlisted += 1,
        }
    }

    /// Records every store's entries; each store's catalog head, by location. A store whose
    /// catalog cannot be read or written stops the rotation before the old key goes (a rerun
    /// records what this one could not).
    pub(super) fn record(
        self,
        attendant: &mut dyn Attendant,
    ) -> Result<Vec<(String, Head)>, CeremonyError> {
        let mut heads = Vec::new();
        for (location, at) in self.stores {
            let catalog = at
                .catalog
                .map_err(|problem| unrecorded(&location, &problem))?;
            let head = if at.entries.is_empty() {
                catalog.head()
            } else {
                catalog::record(at.store.as_ref(), at.entries)
                    .map_err(|error| unrecorded(&location, &error.to_string()))?
            };
            if at.unlisted > 0 {
                attendant.announce(&Event::Step(format!(
                    "{}: {} that its catalog does not list (custody catalog verify names them)",
                    location,
                    crate::readout::counted(at.unlisted, "archive", "archives")
                )));
            }
            attendant.announce(&Event::Step(format!(
                "catalog of {location}: head {}",
                head.hex()
            )));
            heads.push((location, head));
        }
        Ok(heads)
    }
}

fn unrecorded(location: &str, problem: &str) -> CeremonyError {
    CeremonyError::refused(
        format!("the catalog of {location} cannot be recorded: {problem}"),
        "the old key stays: run the same command again once the store's catalog can be read \
         and written (custody catalog verify STORE says what is wrong with it)",
    )
}
