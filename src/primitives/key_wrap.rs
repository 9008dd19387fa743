//! RFC 3394 AES key wrap in software, for one purpose: the wrap check value of a domain key
//! (`key_identity::WrapCheck`), which proves that an HSM holds exactly that key. Archives never
//! use it: their data keys are wrapped inside the HSM.

use aes_kw::cipher::KeyInit;
use aes_kw::KwAes256;

use super::secret::{DataKey, DomainKey};

/// `key` wrapped under `kek` (40 bytes).
pub fn wrap(kek: &DomainKey, key: &DataKey) -> [u8; 40] {
    let mut out = [0u8; 40];
    // A 32-byte key under a 32-byte KEK always wraps: the only errors are buffer and length ones.
    if let Ok(wrapper) = KwAes256::new_from_slice(kek.expose()) {
        let _ = wrapper.wrap_key(key.expose(), &mut out);
    }
    out
}
