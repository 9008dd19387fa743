//! Archive catalogs (docs/FORMAT.md section 16, D82–D84): per store, an append-only record of
//! every archive sealed, rewrapped or removed — its name, its header's and payload's lengths and
//! SHA-256, the key its header names, the time — in batches chained by hash like the transcript,
//! its current state summarised by an RFC 6962 Merkle root, and a head binding both that is read
//! aloud and compared across sites. AEAD proves each archive intact; the catalog proves the store
//! complete: [`verify`] names every archive missing, altered, older than its entry, or unlisted,
//! with no key and no token.
//!
//! Seal and rotation measure what they write ([`Measure`], [`Entry::rewrapped`]) and
//! [`record`] it; [`Catalog::read`] reads and checks the chain; [`Catalog::prove`] gives one
//! archive's inclusion proof. This module holds no key and reads no secret: only names, lengths
//! and digests, and it trusts no byte of a store, bounding every read.

mod batch;
mod entry;
mod error;
mod head;
mod measure;
mod merkle;
mod proof;
mod record;
mod recorder;
mod state;
mod verify;

pub use batch::{
    encode as encode_batch, parse as parse_batch, parse_alone as parse_batch_alone, Batch,
    CATALOG_VERSION, MAX_BATCH_LEN, MAX_LINE_LEN,
};
pub use entry::{check_name, Entry, Event, Facts, MAX_NAME_LEN};
pub use error::{CatalogError, Result};
pub use head::{Head, HEAD_LABEL};
pub use measure::{measure_stored, Measure, Measured};
pub use merkle::{leaf_hash, node_hash, root_from_path, Hash};
pub use proof::{Proof, MAX_PROOF_LEN, PROOF_VERSION};
pub use record::{now, record, MAX_BATCH_ENTRIES, RECORD_ATTEMPTS};
pub use recorder::{Recorder, BATCH_ENTRIES, BATCH_SECONDS};
pub use state::{batch_shown, BatchInfo, Catalog, Recorded, CATALOG_DIRECTORY};
pub use verify::{verify, verify_with, Depth, Finding, Report};

// A run that records batch after batch keeps its catalog between them.
pub use record::record_on;
