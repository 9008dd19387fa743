//! Per-archive data keys under the domain key: generating one inside the token, wrapping a key
//! with CKM_AES_KEY_WRAP (RFC 3394) and unwrapping it again. A data key exists on the token only
//! as a session object destroyed right after use; it comes back to the caller as a zeroizing
//! [`DataKey`].

use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};

use super::domain_key::DomainKeyHandle;
use super::error::{Error, Result};
use super::session::{wipe_values, TokenSession};
use crate::primitives::secret::{DataKey, SecretBytes};

/// RFC 3394 adds one 8-byte integrity block.
const KEY_WRAP_OVERHEAD: usize = 8;

/// The length of a wrapped 256-bit data key.
pub const WRAPPED_DATA_KEY_LEN: usize = 32 + KEY_WRAP_OVERHEAD;

/// A data key wrapped by the domain key (RFC 3394 output): public bytes, safe to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey(pub Vec<u8>);

/// Attributes of a short-lived, extractable copy of a key inside the token.
fn transient(key_type: KeyType) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(key_type),
        Attribute::Token(false),
        Attribute::Private(true),
        Attribute::Sensitive(false),
        Attribute::Extractable(true),
    ]
}

impl TokenSession {
    /// Generates a fresh data key inside the token and returns it with its wrapped form.
    pub fn new_data_key(&self, kek: &DomainKeyHandle) -> Result<(DataKey, WrappedKey)> {
        let mut template = transient(KeyType::AES);
        template.push(Attribute::ValueLen(32.into()));
        let handle = self
            .session
            .generate_key(&Mechanism::AesKeyGen, &template)
            .map_err(Error::from_cryptoki("generating a data key"))?;
        let object = self.adopt(handle);
        let wrapped = self.wrap_object(kek, object.handle, 32)?;
        let key =
            DataKey::from_slice(self.value(object.handle)?.as_mut_slice()).ok_or_else(|| {
                interface(
                    "reading the data key",
                    "the token returned a key that is not 32 bytes",
                )
            })?;
        Ok((key, WrappedKey(wrapped)))
    }

    /// Wraps a data key under the domain key.
    pub fn wrap_data_key(&self, kek: &DomainKeyHandle, key: &DataKey) -> Result<WrappedKey> {
        self.wrap_secret(kek, key.expose()).map(WrappedKey)
    }

    /// Unwraps a data key; refuses anything but a 40-byte RFC 3394 blob that passes its check.
    pub fn unwrap_data_key(&self, kek: &DomainKeyHandle, wrapped: &WrappedKey) -> Result<DataKey> {
        if wrapped.0.len() != WRAPPED_DATA_KEY_LEN {
            return Err(Error::UnwrapRefused("it is not 40 bytes long"));
        }
        let secret = self.unwrap_secret(kek, &wrapped.0)?;
        DataKey::from_slice(&mut secret.expose().to_vec())
            .ok_or(Error::UnwrapRefused("it does not hold a 256-bit key"))
    }

    /// Wraps arbitrary secret bytes (a multiple of 8, at least 16) under the domain key.
    pub fn wrap_secret(&self, kek: &DomainKeyHandle, secret: &[u8]) -> Result<Vec<u8>> {
        let mut template = transient(KeyType::GENERIC_SECRET);
        template.push(Attribute::Value(secret.to_vec()));
        let object = self.temporary(&template, "loading the key to wrap");
        wipe_values(&mut template);
        let object = object?;
        self.wrap_object(kek, object.handle, secret.len())
    }

    /// Unwraps secret bytes of any length wrapped under the domain key.
    pub fn unwrap_secret(&self, kek: &DomainKeyHandle, wrapped: &[u8]) -> Result<SecretBytes> {
        let handle = self
            .session
            .unwrap_key(
                &Mechanism::AesKeyWrap,
                kek.handle,
                wrapped,
                &transient(KeyType::GENERIC_SECRET),
            )
            .map_err(|e| match e {
                cryptoki::error::Error::Pkcs11(
                    RvError::WrappedKeyInvalid
                    | RvError::WrappedKeyLenRange
                    | RvError::EncryptedDataInvalid
                    | RvError::EncryptedDataLenRange
                    | RvError::DataLenRange
                    // SoftHSM's answer to a failed RFC 3394 integrity check (docs/DECISIONS.md).
                    | RvError::GeneralError,
                    _,
                ) => Error::UnwrapRefused(
                    "its integrity check failed: damaged, truncated or under another key",
                ),
                other => Error::from_cryptoki("unwrapping a key")(other),
            })?;
        let object = self.adopt(handle);
        Ok(SecretBytes::new(self.value(object.handle)?))
    }

    fn wrap_object(
        &self,
        kek: &DomainKeyHandle,
        object: ObjectHandle,
        len: usize,
    ) -> Result<Vec<u8>> {
        let mut wrapped = self
            .session
            .wrap_key(&Mechanism::AesKeyWrap, kek.handle, object)
            .map_err(Error::from_cryptoki("wrapping a key"))?;
        // cryptoki keeps the first call's buffer size; RFC 3394 output is exactly len + 8.
        let expected = len + KEY_WRAP_OVERHEAD;
        if wrapped.len() < expected {
            return Err(interface(
                "wrapping a key",
                "the token returned a short wrapped key",
            ));
        }
        wrapped.truncate(expected);
        Ok(wrapped)
    }

    fn value(&self, object: ObjectHandle) -> Result<Vec<u8>> {
        let attributes = self
            .session
            .get_attributes(object, &[AttributeType::Value])
            .map_err(Error::from_cryptoki("reading a key value"))?;
        attributes
            .into_iter()
            .find_map(|a| match a {
                Attribute::Value(value) => Some(value),
                _ => None,
            })
            .ok_or_else(|| interface("reading a key value", "the token did not return it"))
    }
}

fn interface(doing: &'static str, reason: &str) -> Error {
    Error::Interface {
        doing,
        reason: reason.to_owned(),
    }
}
