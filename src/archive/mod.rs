//! Layer 5, archives: data sets of any size sealed under a per-archive data key that a
//! [`KeyWrap`] (the domain key on a token, a [`TokenKey`], or held in memory for recovery without an HSM, a [`SoftwareKey`]) generates and wraps under the domain key. A header (identity, wrapped key, salt, chunk size,
//! optional metadata) authenticated by an HMAC under a key derived from the data key, then a STREAM
//! of AES-256-GCM chunks, sealed and opened on all cores in bounded memory.
//! Normative format: docs/FORMAT.md section 7.
//!
//! This layer must never release a payload byte before the header MAC and that chunk's tag have
//! verified, never leave a partial output file at a destination it was given, never hold a data
//! or payload key outside a zeroizing type, and never touch cryptoki (the `hsm` layer does) or
//! the terminal (the `cli` layer does).

mod error;
mod format;
mod header;
mod input;
mod key_wrap;
mod keys;
mod open;
mod pipeline;
mod rewrap;
mod seal;
mod software_key;
pub mod stream;
mod token_key;

pub use error::{ArchiveError, Result};
pub use format::{MAC_LEN, MAGIC, MAX_HEADER_LEN, VERSION};
pub use header::{
    ArchiveSpec, ChunkSize, Metadata, PublicHeader, MAX_CONTENT_TYPE_LEN, MAX_DOMAIN_LEN,
    MAX_NAME_LEN, SALT_LEN,
};
pub use input::Input;
pub use key_wrap::KeyWrap;
pub use keys::{ArchiveKeys, HEADER_KEY_INFO, PAYLOAD_KEY_INFO};
pub use open::{read_header, Archive};
pub use seal::{seal, seal_with_key, ArchiveSummary, WrappedUnder};
pub use software_key::SoftwareKey;
pub use token_key::{chain_record, KeyToken, TokenKey};
