//! The seam between archives and whatever holds the domain key, as age's Recipient/Identity: an
//! archive asks a [`KeyWrap`] for a fresh data key and its wrapped form, to unwrap a wrapped one,
//! or to wrap one it already holds, and never learns where the domain key lives. A token key
//! (`token_key`) is one implementation; a key rebuilt in locked memory for recovery without an HSM
//! (`software_key`) is the other.
//! This module must never name a token, a session or cryptoki.

use super::error::Result;
use crate::hsm::WrappedKey;
use crate::primitives::key_identity::WrapCheck;
use crate::primitives::key_ref::KeyRef;
use crate::primitives::secret::DataKey;

/// A domain key that wraps and unwraps archive data keys (RFC 3394 AES key wrap).
pub trait KeyWrap {
    /// Which domain key this is.
    fn key_ref(&self) -> &KeyRef;

    /// The key's wrap check value, proven before this `KeyWrap` was handed out; sealing records
    /// it in the archive header.
    fn wrap_check(&self) -> &WrapCheck;

    /// A fresh random 256-bit data key and its wrapping under the domain key.
    fn new_data_key(&self) -> Result<(DataKey, WrappedKey)>;

    /// `data_key` wrapped under the domain key.
    fn wrap(&self, data_key: &DataKey) -> Result<WrappedKey>;

    /// The data key inside `wrapped`; a blob this key did not wrap is refused with
    /// `ArchiveError::KeyRefused`.
    fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey>;
}
