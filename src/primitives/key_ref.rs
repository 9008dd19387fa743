//! [`KeyRef`], the one way custody says "which domain key": the domain, the epoch and the key id.
//! The manifest states it, archive headers carry it, share files carry its domain and epoch, and
//! the token selector derives its label and id from it. Public facts only: this module must never
//! hold a key, and does no I/O.

use std::fmt;

use super::domain_id::DomainId;
use super::key_identity::KeyId;

/// Which domain key, of which epoch, with which key id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRef {
    /// The domain.
    pub domain: DomainId,
    /// Generation of the domain key.
    pub epoch: u32,
    /// Commitment to the domain key (`primitives::key_identity`).
    pub key_id: KeyId,
}

impl KeyRef {
    /// The first field, in header order, where `self` differs from `expected`: its name, the
    /// expected value and the value found, all public.
    pub fn first_difference(&self, expected: &KeyRef) -> Option<(&'static str, String, String)> {
        [
            (
                "domain",
                expected.domain.to_string(),
                self.domain.to_string(),
            ),
            ("epoch", expected.epoch.to_string(), self.epoch.to_string()),
            (
                "key id",
                expected.key_id.to_string(),
                self.key_id.to_string(),
            ),
        ]
        .into_iter()
        .find(|(_, want, have)| want != have)
    }
}

impl fmt::Display for KeyRef {
    /// `DOMAIN epoch EPOCH`, as messages name a domain key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} epoch {}", self.domain, self.epoch)
    }
}
