//! The token implementation of [`KeyWrap`]: the domain key a `KeyRef` names, found on a logged-in
//! token by the label and id every token gives it, its protections checked and its value proven
//! against the recorded wrap check value (docs/DECISIONS.md D51). A [`TokenKey`]
//! borrows the session it was found on, so it cannot be used with another session or outlive
//! its own. [`KeyToken`] opens that session from a PKCS#11 URI for callers that hold no session.
//! This module owns finding a domain key for archives and saying, in the archive's words, which
//! key a token lacks; the `hsm` layer does every PKCS#11 call.

use super::error::{ArchiveError, Result};
use super::key_wrap::KeyWrap;
use crate::domain::Manifest;
use crate::hsm::{
    self, ChainRecord, DomainKeyHandle, KeySelector, PinPrompt, Pkcs11Uri, TokenSession, WrappedKey,
};
use crate::primitives::key_identity::WrapCheck;
use crate::primitives::key_ref::KeyRef;
use crate::primitives::secret::DataKey;

/// A domain key on the token of one session. It borrows the session, so it cannot outlive it:
///
/// ```compile_fail,E0515
/// use custody::archive::TokenKey;
/// use custody::hsm::{Pkcs11Uri, TokenSession};
/// use custody::primitives::key_identity::WrapCheck;
/// use custody::primitives::key_ref::KeyRef;
///
/// fn outlives(uri: &Pkcs11Uri, key_ref: &KeyRef) -> Option<TokenKey<'static>> {
///     let session = TokenSession::open(uri, &mut |_| Err(std::io::ErrorKind::NotFound.into())).ok()?;
///     TokenKey::find(&session, key_ref, &WrapCheck::from_bytes([0; 40])).ok()
/// }
/// ```
#[derive(Debug)]
pub struct TokenKey<'s> {
    session: &'s TokenSession,
    handle: DomainKeyHandle,
    key_ref: KeyRef,
    wrap_check: WrapCheck,
}

impl<'s> TokenKey<'s> {
    /// The domain key `key_ref` names on the session's token, its protections checked and its
    /// value proven: the token's wrap of the wrap check input must equal `wrap_check`.
    pub fn find(
        session: &'s TokenSession,
        key_ref: &KeyRef,
        wrap_check: &WrapCheck,
    ) -> Result<Self> {
        let handle = session
            .find_domain_key(&KeySelector::domain_key(key_ref))
            .and_then(|handle| {
                session
                    .prove_domain_key(&handle, wrap_check)
                    .map(|()| handle)
            })
            .map_err(|error| {
                let key_ref = Box::new(key_ref.clone());
                match error {
                    hsm::Error::DomainKeyAbsent { token, key } => ArchiveError::DomainKeyAbsent {
                        token,
                        key,
                        key_ref,
                    },
                    hsm::Error::NotTheDomainKey { token, key } => ArchiveError::NotTheDomainKey {
                        token,
                        key,
                        key_ref,
                    },
                    other => other.into(),
                }
            })?;
        Ok(Self {
            session,
            handle,
            key_ref: key_ref.clone(),
            wrap_check: *wrap_check,
        })
    }
}

impl KeyWrap for TokenKey<'_> {
    fn key_ref(&self) -> &KeyRef {
        &self.key_ref
    }

    fn wrap_check(&self) -> &WrapCheck {
        &self.wrap_check
    }

    fn new_data_key(&self) -> Result<(DataKey, WrappedKey)> {
        Ok(self.session.new_data_key(&self.handle)?)
    }

    fn wrap(&self, data_key: &DataKey) -> Result<WrappedKey> {
        Ok(self.session.wrap_data_key(&self.handle, data_key)?)
    }

    fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey> {
        self.session
            .unwrap_data_key(&self.handle, wrapped)
            .map_err(|error| match error {
                hsm::Error::UnwrapRefused(_) => ArchiveError::KeyRefused {
                    domain: self.key_ref.domain.to_string(),
                    epoch: self.key_ref.epoch,
                    key_id: self.key_ref.key_id.to_string(),
                },
                other => other.into(),
            })
    }
}

/// One logged-in session on the token a PKCS#11 URI names, for finding archive keys on it.
#[derive(Debug)]
pub struct KeyToken {
    session: TokenSession,
}

impl KeyToken {
    /// Opens a session on the token `uri` names, asking `prompt` for the PIN when the URI names
    /// no pin-source.
    pub fn open(uri: &str, prompt: PinPrompt<'_>) -> Result<Self> {
        let uri: Pkcs11Uri = uri.parse()?;
        Ok(Self {
            session: TokenSession::open(&uri, prompt)?,
        })
    }

    /// The domain key `key_ref` names on this token, proven against `wrap_check`.
    pub fn key(&self, key_ref: &KeyRef, wrap_check: &WrapCheck) -> Result<TokenKey<'_>> {
        TokenKey::find(&self.session, key_ref, wrap_check)
    }

    /// Refuses `manifest` when this token holds a key of its domain of a later epoch: a rotation
    /// put it there, so the manifest is superseded (or that rotation has not finished), and a
    /// an archive sealed under it now might never be rewrapped. Writes nothing.
    pub fn refuse_superseded(&self, manifest: &Manifest) -> Result<()> {
        let key_ref = manifest.key_ref();
        let newest = self.session.domain_keys(&key_ref.domain)?.pop();
        match newest {
            Some(newer) if newer > key_ref.epoch => Err(ArchiveError::ManifestSuperseded {
                token: self.session.token().label.clone(),
                domain: key_ref.domain.to_string(),
                epoch: key_ref.epoch,
                newer,
            }),
            _ => Ok(()),
        }
    }

    /// Refuses `manifest` when this token has served a later manifest of its domain's chain, or
    /// another domain of the same id (the token's chain record, FORMAT.md 2.1); otherwise raises
    /// the record to `manifest`'s position. The caller verified `manifest`'s chain.
    pub fn record_chain(&self, manifest: &Manifest) -> Result<()> {
        let domain = &manifest.key_ref().domain;
        self.session
            .record_chain_position(domain, &chain_record(manifest))?;
        Ok(())
    }
}

/// What a token records of `manifest`: its domain fingerprint and chain position.
pub fn chain_record(manifest: &Manifest) -> ChainRecord {
    ChainRecord {
        fingerprint: manifest.domain_fingerprint(),
        position: manifest.chain_position(),
    }
}
