//! What custody keeps on a token, listed: every secret key whose label starts with `custody:`
//! (a domain key object, docs/FORMAT.md 2, or anything else labelled so), with its label read
//! back to a domain and epoch where it has custody's layout (or to a domain and ceremony for a
//! contribution request's key), its CKA_ID, its protection
//! attributes as the token reports them, and the verdict of the check
//! [`find_domain_key`](TokenSession::find_domain_key) applies; and every domain's chain record
//! (FORMAT.md 2.1), read by the chain record's own strict reader. It reads; it never changes an
//! object, and never reads a key's value.

use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};

use super::chain_record::ChainRecord;
use super::domain_key::{KeySelector, LABEL_START};
use super::error::{Error, Result};
use super::session::TokenSession;
use crate::primitives::domain_id::DomainId;

/// The custody objects on one token.
#[derive(Debug, Clone)]
pub struct TokenInventory {
    /// Every secret key labelled `custody:…`, in label order.
    pub keys: Vec<KeyObject>,
    /// Every domain's chain record, in domain order.
    pub chain_records: Vec<ChainRecordObject>,
}

/// One secret key labelled `custody:…`. Public facts only.
#[derive(Debug, Clone)]
pub struct KeyObject {
    /// `CKA_LABEL`.
    pub label: String,
    /// The domain and epoch its label names, when the label has custody's layout.
    pub named: Option<(DomainId, u32)>,
    /// The domain and ceremony id its label names, when it is a contribution request's key
    /// (`custody:<domain>:request:<id>`).
    pub request: Option<(DomainId, [u8; 16])>,
    /// `CKA_ID` (the first 16 bytes of the key id, for a key custody imported).
    pub id: Vec<u8>,
    /// Its protection attributes.
    pub protections: Protections,
    /// How it falls short of a domain key's protections (of a request key's, for a request
    /// key); empty when custody would use it.
    pub problems: Vec<&'static str>,
}

/// A key's boolean attributes, each `None` where the token does not report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Protections {
    /// CKA_SENSITIVE
    pub sensitive: Option<bool>,
    /// CKA_EXTRACTABLE
    pub extractable: Option<bool>,
    /// CKA_WRAP
    pub wrap: Option<bool>,
    /// CKA_UNWRAP
    pub unwrap: Option<bool>,
    /// CKA_ENCRYPT
    pub encrypt: Option<bool>,
    /// CKA_DECRYPT
    pub decrypt: Option<bool>,
    /// CKA_TOKEN
    pub token: Option<bool>,
    /// CKA_PRIVATE
    pub private: Option<bool>,
    /// CKA_MODIFIABLE
    pub modifiable: Option<bool>,
    /// CKA_COPYABLE
    pub copyable: Option<bool>,
}

/// The attributes [`Protections`] holds, in its order.
const PROTECTIONS: [AttributeType; 10] = [
    AttributeType::Sensitive,
    AttributeType::Extractable,
    AttributeType::Wrap,
    AttributeType::Unwrap,
    AttributeType::Encrypt,
    AttributeType::Decrypt,
    AttributeType::Token,
    AttributeType::Private,
    AttributeType::Modifiable,
    AttributeType::Copyable,
];

/// One domain's chain record on a token.
#[derive(Debug, Clone)]
pub struct ChainRecordObject {
    /// The domain its label names.
    pub domain: DomainId,
    /// The record, or why custody refuses it (the chain record reader's words).
    pub record: std::result::Result<ChainRecord, String>,
}

impl TokenSession {
    /// Every custody object on the token.
    pub fn inventory(&self) -> Result<TokenInventory> {
        let keys = self
            .custody_keys()?
            .into_iter()
            .map(|(handle, label)| self.key_object(handle, label))
            .collect::<Result<_>>()?;
        let mut domains: Vec<DomainId> = self
            .custody_labels(ObjectClass::DATA)?
            .into_iter()
            .filter_map(|(_, label)| KeySelector::parse_chain_record_label(&label))
            .collect();
        domains.dedup();
        let chain_records = domains
            .into_iter()
            .filter_map(|domain| {
                let record = match self.chain_record(&domain) {
                    Ok(None) => return None,
                    Ok(Some(record)) => Ok(record),
                    Err(refused) => Err(refused.to_string()),
                };
                Some(ChainRecordObject { domain, record })
            })
            .collect();
        Ok(TokenInventory {
            keys,
            chain_records,
        })
    }

    /// The epochs of `domain` whose key labels the token holds (a label alone: whichever key
    /// answers to it), lowest first.
    pub fn domain_keys(&self, domain: &DomainId) -> Result<Vec<u32>> {
        let mut epochs: Vec<u32> = self
            .custody_keys()?
            .iter()
            .filter_map(|(_, label)| KeySelector::parse_domain_key_label(label))
            .filter(|(named, _)| named == domain)
            .map(|(_, epoch)| epoch)
            .collect();
        epochs.sort_unstable();
        Ok(epochs)
    }

    /// Every secret key labelled `custody:…`, with its label.
    fn custody_keys(&self) -> Result<Vec<(ObjectHandle, String)>> {
        self.custody_labels(ObjectClass::SECRET_KEY)
    }

    /// Every object of `class` labelled `custody:…`, with its label, in label order.
    fn custody_labels(&self, class: ObjectClass) -> Result<Vec<(ObjectHandle, String)>> {
        let handles = self
            .session
            .find_objects(&[Attribute::Class(class)])
            .map_err(Error::from_cryptoki("listing the token's objects"))?;
        let mut labelled = Vec::new();
        for handle in handles {
            let attributes = self
                .session
                .get_attributes(handle, &[AttributeType::Label])
                .map_err(Error::from_cryptoki("reading object labels"))?;
            let label = attributes.into_iter().find_map(|a| match a {
                Attribute::Label(label) => String::from_utf8(label).ok(),
                _ => None,
            });
            if let Some(label) = label.filter(|l| l.starts_with(LABEL_START)) {
                labelled.push((handle, label));
            }
        }
        labelled.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(labelled)
    }

    fn key_object(&self, handle: ObjectHandle, label: String) -> Result<KeyObject> {
        let attributes = self
            .session
            .get_attributes(handle, &[AttributeType::Id])
            .map_err(Error::from_cryptoki("reading key attributes"))?;
        let id = attributes
            .into_iter()
            .find_map(|a| match a {
                Attribute::Id(id) => Some(id),
                _ => None,
            })
            .unwrap_or_default();
        let request = KeySelector::parse_request_key_label(&label);
        let problems = match request {
            Some(_) => self.request_key_problems(handle)?,
            None => self.domain_key_problems(handle)?,
        };
        Ok(KeyObject {
            named: KeySelector::parse_domain_key_label(&label),
            request,
            label,
            id,
            protections: self.protections(handle)?,
            problems,
        })
    }

    fn protections(&self, handle: ObjectHandle) -> Result<Protections> {
        let attributes = self
            .session
            .get_attributes(handle, &PROTECTIONS)
            .map_err(Error::from_cryptoki("reading key attributes"))?;
        let read = |wanted: AttributeType| {
            attributes.iter().find_map(|a| match a {
                Attribute::Sensitive(b)
                | Attribute::Extractable(b)
                | Attribute::Wrap(b)
                | Attribute::Unwrap(b)
                | Attribute::Encrypt(b)
                | Attribute::Decrypt(b)
                | Attribute::Token(b)
                | Attribute::Private(b)
                | Attribute::Modifiable(b)
                | Attribute::Copyable(b)
                    if a.attribute_type() == wanted =>
                {
                    Some(*b)
                }
                _ => None,
            })
        };
        let [sensitive, extractable, wrap, unwrap, encrypt, decrypt, token, private, modifiable, copyable] =
            PROTECTIONS.map(read);
        Ok(Protections {
            sensitive,
            extractable,
            wrap,
            unwrap,
            encrypt,
            decrypt,
            token,
            private,
            modifiable,
            copyable,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_label_reads_back_only_in_the_layout_custody_writes() {
        let domain = DomainId::new("ee-registries").unwrap();
        assert_eq!(
            KeySelector::parse_domain_key_label("custody:ee-registries:e12"),
            Some((domain.clone(), 12))
        );
        for other in [
            "custody:ee-registries:e012",
            "custody:ee-registries:e",
            "custody:ee-registries:chain",
            "custody:EE:e1",
            "custody:ee-registries:e1:x",
            "custody:ee-registries:e+1",
            "other:ee-registries:e1",
        ] {
            assert_eq!(KeySelector::parse_domain_key_label(other), None, "{other}");
        }
        assert_eq!(
            KeySelector::parse_chain_record_label("custody:ee-registries:chain"),
            Some(domain)
        );
    }
}
