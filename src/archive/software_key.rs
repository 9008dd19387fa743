//! The in-memory implementation of [`KeyWrap`], for recovery without an HSM (`custody recover
//! --no-hsm`): the domain key a quorum rebuilt, held in a zeroizing [`DomainKey`] in the
//! process's locked memory (`hardening`), wrapping and unwrapping data keys with RFC 3394 AES key
//! wrap in software — the very bytes a token's CKM_AES_KEY_WRAP gives (FORMAT.md 3). It is made
//! only from a key whose software wrap check equals the recorded one, and borrows it from its
//! holder, which wipes it when dropped: there is one copy of the key, never a second.

use super::error::{ArchiveError, Result};
use super::key_wrap::KeyWrap;
use crate::hsm::WrappedKey;
use crate::primitives::key_identity::WrapCheck;
use crate::primitives::key_ref::KeyRef;
use crate::primitives::key_wrap;
use crate::primitives::random;
use crate::primitives::secret::{DataKey, DomainKey};

/// A domain key held in this process's memory, proven against its wrap check value.
#[derive(Debug)]
pub struct SoftwareKey<'k> {
    key: &'k DomainKey,
    key_ref: KeyRef,
    wrap_check: WrapCheck,
}

impl<'k> SoftwareKey<'k> {
    /// `key` as the domain key `key_ref` names, when its wrap check value is `wrap_check` (the
    /// manifest's); `None` otherwise, so the caller says what that means.
    pub fn prove(key: &'k DomainKey, key_ref: &KeyRef, wrap_check: &WrapCheck) -> Option<Self> {
        if WrapCheck::of(key) != *wrap_check {
            return None;
        }
        Some(Self {
            key,
            key_ref: key_ref.clone(),
            wrap_check: *wrap_check,
        })
    }
}

impl KeyWrap for SoftwareKey<'_> {
    fn key_ref(&self) -> &KeyRef {
        &self.key_ref
    }

    fn wrap_check(&self) -> &WrapCheck {
        &self.wrap_check
    }

    fn new_data_key(&self) -> Result<(DataKey, WrappedKey)> {
        let mut bytes = [0u8; 32];
        random::fill(&mut bytes).map_err(|e| ArchiveError::Randomness(e.0))?;
        let data_key = DataKey::from_bytes(&mut bytes);
        let wrapped = self.wrap(&data_key)?;
        Ok((data_key, wrapped))
    }

    fn wrap(&self, data_key: &DataKey) -> Result<WrappedKey> {
        Ok(WrappedKey(key_wrap::wrap(self.key, data_key).to_vec()))
    }

    fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey> {
        key_wrap::unwrap(self.key, &wrapped.0).ok_or_else(|| ArchiveError::KeyRefused {
            domain: self.key_ref.domain.to_string(),
            epoch: self.key_ref.epoch,
            key_id: self.key_ref.key_id.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::key_identity::KeyId;

    fn key_ref() -> KeyRef {
        KeyRef {
            domain: crate::primitives::domain_id::DomainId::new("ee-test").unwrap(),
            epoch: 1,
            key_id: KeyId::from_bytes([3; 32]),
        }
    }

    #[test]
    fn only_the_key_of_the_wrap_check_is_held() {
        let key = DomainKey::from_bytes(&mut [9u8; 32]);
        let other = DomainKey::from_bytes(&mut [10u8; 32]);
        let check = WrapCheck::of(&key);
        assert!(SoftwareKey::prove(&other, &key_ref(), &check).is_none());
        let held = SoftwareKey::prove(&key, &key_ref(), &check).unwrap();
        assert_eq!(held.wrap_check(), &check);
    }

    #[test]
    fn unwraps_what_it_wraps_and_refuses_another_key() {
        let key = DomainKey::from_bytes(&mut [9u8; 32]);
        let other = DomainKey::from_bytes(&mut [10u8; 32]);
        let held = SoftwareKey::prove(&key, &key_ref(), &WrapCheck::of(&key)).unwrap();
        let stranger = SoftwareKey::prove(&other, &key_ref(), &WrapCheck::of(&other)).unwrap();
        let (data_key, wrapped) = held.new_data_key().unwrap();
        assert_eq!(wrapped.0.len(), 40);
        assert_eq!(held.wrap(&data_key).unwrap().0, wrapped.0);
        assert_eq!(held.unwrap(&wrapped).unwrap().expose(), data_key.expose());
        assert!(matches!(
            stranger.unwrap(&wrapped),
            Err(ArchiveError::KeyRefused { .. })
        ));
    }
}
