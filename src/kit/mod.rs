//! Layer 6, the recovery kit (D68, docs/FORMAT.md section 11): a self-contained directory a
//! stranger can recover the domain's data from, with nothing but the officials' shares and the
//! archives — the custody binary, the domain's public files (its chain verified before anything
//! is copied, no share file), the documents to follow, and `SHA256SUMS` over all of it.
//!
//! This module owns writing a kit (`write_kit`) and checking one against its sums (`verify`). It
//! reads custody files only through `domain::ManifestChain`, writes files only through `files`,
//! and holds no key.

mod documents;
mod sums;
mod verify;
mod write;

pub use sums::{parse as parse_sums, render as render_sums, SUMS_FILE};
pub use verify::{verify_kit, Mismatch, VerifiedKit, KIT_BINARY};
pub use write::{write_kit, KitError, WrittenKit};
