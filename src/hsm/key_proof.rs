//! Proving that a key object on a token is the domain's key: the token wraps the fixed public
//! wrap check input with it (CKM_AES_KEY_WRAP, the key's one permitted use) and the result must
//! equal the wrap check value the manifest or archive header recorded, compared in constant time.
//! A key of the right name and attributes but another value (a substitute planted by someone
//! holding the PIN) is refused here before anything is wrapped or unwrapped with it.

use super::domain_key::DomainKeyHandle;
use super::error::{Error, Result};
use super::session::TokenSession;
use crate::primitives::key_identity::{wrap_check_input, WrapCheck};

impl TokenSession {
    /// Refuses `key` unless the token's wrap of the wrap check input equals `expected`.
    pub fn prove_domain_key(&self, key: &DomainKeyHandle, expected: &WrapCheck) -> Result<()> {
        let wrapped = self.wrap_secret(key, &wrap_check_input())?;
        if expected.matches(&wrapped) {
            return Ok(());
        }
        Err(Error::NotTheDomainKey {
            token: self.token().label.clone(),
            key: key.selector().to_string(),
        })
    }
}
