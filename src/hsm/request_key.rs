//! A contribution request's key on the ceremony's token (D74): a fresh AES-256 key generated
//! inside the token — sensitive, never extractable, never copied or modified, encrypt and
//! decrypt with CKM_AES_GCM only —
//! labelled `custody:<domain>:request:<ceremony id>`, under which the request's KEM private key
//! rests sealed between `custody request` and the ceremony. Destroying it shreds the request:
//! every contribution to it becomes undecryptable. This module creates, finds, uses and
//! destroys that object; it never sees a contribution and never lets the key's value out.

use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};

use super::domain_key::{KeySelector, LABEL_START};
use super::error::{Error, Result};
use super::session::TokenSession;
use crate::primitives::domain_id::DomainId;
use crate::primitives::secret::SecretBytes;

/// The middle part of a request key's label.
const REQUEST_PART: &str = ":request:";
/// GCM nonce length custody uses.
pub const REQUEST_KEY_NONCE_LEN: usize = 12;

/// A request key on a token, found or made, its protections checked.
#[derive(Debug)]
pub struct RequestKeyHandle {
    handle: ObjectHandle,
    label: String,
}

impl RequestKeyHandle {
    /// Its label.
    pub fn label(&self) -> &str {
        &self.label
    }
}

impl KeySelector {
    /// The label of the request key of ceremony `ceremony_id` of `domain`:
    /// `custody:<domain>:request:<ceremony id, 32 hex digits>` (docs/FORMAT.md 13.4).
    pub fn request_key_label(domain: &DomainId, ceremony_id: &[u8; 16]) -> String {
        format!(
            "{LABEL_START}{domain}{REQUEST_PART}{}",
            hex::encode(ceremony_id)
        )
    }

    /// The domain and ceremony id a request key label names, or `None`.
    pub fn parse_request_key_label(label: &str) -> Option<(DomainId, [u8; 16])> {
        let (domain, id) = label.strip_prefix(LABEL_START)?.split_once(REQUEST_PART)?;
        let domain = DomainId::new(domain).ok()?;
        let mut ceremony_id = [0; 16];
        hex::decode_to_slice(id, &mut ceremony_id).ok()?;
        (Self::request_key_label(&domain, &ceremony_id) == label).then_some((domain, ceremony_id))
    }
}

impl TokenSession {
    /// Generates the request key `label` on the token; refuses when one already answers to it.
    pub fn create_request_key(&self, label: &str) -> Result<RequestKeyHandle> {
        if self.find_request_key(label)?.is_some() {
            return Err(Error::DomainKeyExists {
                token: self.token().label.clone(),
                key: format!("\"{label}\""),
            });
        }
        let template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::ValueLen(32.into()),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Wrap(false),
            Attribute::Unwrap(false),
            Attribute::Sign(false),
            Attribute::Verify(false),
            Attribute::Derive(false),
            Attribute::Copyable(false),
            Attribute::Modifiable(false),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::AllowedMechanisms(vec![MechanismType::AES_GCM]),
        ];
        let handle = self
            .session
            .generate_key(&Mechanism::AesKeyGen, &template)
            .map_err(Error::from_cryptoki("generating the request key"))?;
        let key = RequestKeyHandle {
            handle,
            label: label.to_owned(),
        };
        if let Err(unsafe_key) = self.check_request_key(&key) {
            let _ = self.session.destroy_object(handle);
            return Err(unsafe_key);
        }
        Ok(key)
    }

    /// The request key `label`, or `None` when the token holds none (destroyed: the request was
    /// completed, expired or withdrawn). Refuses two, and one that could leave the token.
    pub fn find_request_key(&self, label: &str) -> Result<Option<RequestKeyHandle>> {
        let found = self
            .session
            .find_objects(&[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::Label(label.as_bytes().to_vec()),
            ])
            .map_err(Error::from_cryptoki("searching for the request key"))?;
        let handle = match found.as_slice() {
            [] => return Ok(None),
            [one] => *one,
            many => {
                return Err(Error::DuplicateKeys {
                    token: self.token().label.clone(),
                    key: format!("\"{label}\""),
                    count: many.len(),
                })
            }
        };
        let key = RequestKeyHandle {
            handle,
            label: label.to_owned(),
        };
        self.check_request_key(&key)?;
        Ok(Some(key))
    }

    /// Encrypts `plaintext` under the request key with AES-256-GCM inside the token, binding
    /// `aad`: ciphertext and 16-byte tag.
    pub fn seal_under_request_key(
        &self,
        key: &RequestKeyHandle,
        nonce: [u8; REQUEST_KEY_NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        let mut iv = nonce;
        let params = GcmParams::new(&mut iv, aad, 128.into())
            .map_err(|e| interface("sealing under the request key", &e.to_string()))?;
        self.session
            .encrypt(&Mechanism::AesGcm(params), key.handle, plaintext)
            .map_err(Error::from_cryptoki("sealing under the request key"))
    }

    /// Decrypts what [`seal_under_request_key`](Self::seal_under_request_key) made; a token that
    /// refuses (altered bytes, another `aad`) is reported as such.
    pub fn unseal_under_request_key(
        &self,
        key: &RequestKeyHandle,
        nonce: [u8; REQUEST_KEY_NONCE_LEN],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<SecretBytes> {
        let mut iv = nonce;
        let params = GcmParams::new(&mut iv, aad, 128.into())
            .map_err(|e| interface("unsealing under the request key", &e.to_string()))?;
        self.session
            .decrypt(&Mechanism::AesGcm(params), key.handle, ciphertext)
            .map(SecretBytes::new)
            .map_err(|_| {
                Error::UnwrapRefused(
                    "the sealed request key does not open under the token's request key",
                )
            })
    }

    /// Destroys the request key: every contribution to its request is shredded.
    pub fn destroy_request_key(&self, key: RequestKeyHandle) -> Result<()> {
        self.session
            .destroy_object(key.handle)
            .map_err(Error::from_cryptoki("destroying the request key"))
    }

    /// Refuses a request key that could leave the token or be used to wrap keys.
    fn check_request_key(&self, key: &RequestKeyHandle) -> Result<()> {
        let problems = self.request_key_problems(key.handle)?;
        if problems.is_empty() {
            return Ok(());
        }
        Err(Error::UnsafeDomainKey {
            token: self.token().label.clone(),
            key: format!("\"{}\"", key.label),
            problems,
        })
    }

    /// Every way the key object `handle` falls short of a request key's protections: none for a
    /// key [`find_request_key`](Self::find_request_key) accepts.
    pub(super) fn request_key_problems(&self, handle: ObjectHandle) -> Result<Vec<&'static str>> {
        let wanted = [
            (AttributeType::Sensitive, true, "not sensitive"),
            (AttributeType::Extractable, false, "extractable"),
            (AttributeType::Token, true, "not a token object"),
            (AttributeType::Private, true, "not private"),
            (AttributeType::Wrap, false, "can wrap"),
            (AttributeType::Unwrap, false, "can unwrap"),
        ];
        let flags = self.flags(handle, &wanted.map(|(kind, _, _)| kind))?;
        Ok(wanted
            .iter()
            .zip(flags)
            .filter(|((_, expected, _), found)| expected != found)
            .map(|((_, _, problem), _)| *problem)
            .collect())
    }
}

fn interface(doing: &'static str, reason: &str) -> Error {
    Error::Interface {
        doing,
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_key_label_reads_back_only_as_written() {
        let domain = DomainId::new("ee-registries").unwrap();
        let label = KeySelector::request_key_label(&domain, &[0xab; 16]);
        assert_eq!(
            label,
            format!("custody:ee-registries:request:{}", "ab".repeat(16))
        );
        assert_eq!(
            KeySelector::parse_request_key_label(&label),
            Some((domain, [0xab; 16]))
        );
        for other in [
            "custody:ee-registries:request:AB".to_owned(),
            label.to_uppercase(),
            format!("{label}0"),
            "custody:ee-registries:e1".to_owned(),
        ] {
            assert_eq!(
                KeySelector::parse_request_key_label(&other),
                None,
                "{other}"
            );
        }
    }
}
