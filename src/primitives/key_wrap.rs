//! RFC 3394 AES key wrap in software: the wrap check value of a domain key
//! (`key_identity::WrapCheck`), which proves that an HSM holds exactly that key, and the domain
//! key held in memory for recovery without an HSM (`archive::SoftwareKey`), which wraps and
//! unwraps archive data keys to exactly the bytes a token's CKM_AES_KEY_WRAP gives.

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

/// The 256-bit key inside `wrapped` under `kek`; `None` when `wrapped` is not 40 bytes or its
/// integrity check fails (`kek` did not wrap it). The unwrapped bytes are wiped as they are taken.
pub fn unwrap(kek: &DomainKey, wrapped: &[u8]) -> Option<DataKey> {
    if wrapped.len() != 40 {
        return None;
    }
    let wrapper = KwAes256::new_from_slice(kek.expose()).ok()?;
    let mut out = [0u8; 32];
    let unwrapped = wrapper.unwrap_key(wrapped, &mut out).is_ok();
    let key = DataKey::from_bytes(&mut out);
    unwrapped.then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwrap_inverts_wrap_and_refuses_another_kek() {
        let kek = DomainKey::from_bytes(&mut [7u8; 32]);
        let other = DomainKey::from_bytes(&mut [8u8; 32]);
        let wrapped = wrap(&kek, &DataKey::from_bytes(&mut [42u8; 32]));
        assert_eq!(unwrap(&kek, &wrapped).unwrap().expose(), &[42u8; 32]);
        assert!(unwrap(&other, &wrapped).is_none());
        assert!(unwrap(&kek, &wrapped[..32]).is_none());
    }
}
