//! The token's chain record (docs/FORMAT.md 2.1): one PKCS#11 data object per domain, labelled
//! `custody:<domain>:chain`, holding the domain fingerprint and the highest manifest chain
//! position this token has seen, so that a rolled-back manifest can be refused. This module owns
//! the object's template and 41-byte value, its strict reader (exactly one object or none, made
//! as custody makes it) and the only way it changes: raised to a higher position, in place or,
//! where the token refuses that, by a new object made before the old one is destroyed.
//!
//! It must never lower a recorded position, replace another domain's record, overwrite an object
//! it cannot read, or leave a domain with no record where it had one. It knows positions and
//! fingerprints only as numbers and bytes its caller gives; it never reads a manifest.

use std::cmp::Ordering;

use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};

use super::domain_key::KeySelector;
use super::error::{Error, Result};
use super::session::TokenSession;
use crate::primitives::domain_id::DomainId;
use crate::primitives::signature::DomainFingerprint;

/// The value's layout version, its first byte.
const VERSION: u8 = 0x01;

/// The length of the record's value: version (1) ‖ domain fingerprint (32) ‖ position (8).
pub const CHAIN_RECORD_LEN: usize = 1 + 32 + 8;

/// `CKA_APPLICATION` of the record.
const APPLICATION: &[u8] = b"custody";

/// What a token has recorded of a domain's manifest chain: which domain, and the highest chain
/// position (0 at genesis, one more per rotation or reshare) it has seen. Public facts only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainRecord {
    /// The domain's identity.
    pub fingerprint: DomainFingerprint,
    /// The highest chain position seen.
    pub position: u64,
}

impl ChainRecord {
    /// The object's `CKA_VALUE`: version ‖ fingerprint ‖ position, big-endian.
    fn to_value(self) -> [u8; CHAIN_RECORD_LEN] {
        let mut value = [0; CHAIN_RECORD_LEN];
        value[0] = VERSION;
        value[1..33].copy_from_slice(self.fingerprint.as_bytes());
        value[33..].copy_from_slice(&self.position.to_be_bytes());
        value
    }

    /// Reads a `CKA_VALUE`, or says in words what is wrong with it. The version is judged
    /// before the length, so that a later layout is named as such.
    fn from_value(value: &[u8]) -> std::result::Result<Self, String> {
        match value.first() {
            None => return Err("its value is empty".into()),
            Some(&VERSION) => {}
            Some(other) => {
                return Err(format!(
                "its value has version 0x{other:02x}; this custody reads version 0x{VERSION:02x}"
            ))
            }
        }
        let value: &[u8; CHAIN_RECORD_LEN] = value.try_into().map_err(|_| {
            format!(
                "its value is {} bytes long, not {CHAIN_RECORD_LEN}",
                value.len()
            )
        })?;
        let mut fingerprint = [0; 32];
        fingerprint.copy_from_slice(&value[1..33]);
        let mut position = [0; 8];
        position.copy_from_slice(&value[33..]);
        Ok(Self {
            fingerprint: DomainFingerprint::from_bytes(fingerprint),
            position: u64::from_be_bytes(position),
        })
    }
}

/// What [`TokenSession::record_chain_position`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordOutcome {
    /// The token had no record of the domain; it has one now.
    Created,
    /// The record held a lower position, now raised.
    Raised {
        /// The position recorded before.
        from: u64,
    },
    /// The record already held this position; nothing was written.
    Unchanged,
}

impl TokenSession {
    /// The token's chain record of `domain`, or `None` when it has none. Refuses two objects
    /// with the record's label, and an object custody would not have made (not a private token
    /// data object of application `custody`, or a value not of the 41-byte version 1 layout).
    pub fn chain_record(&self, domain: &DomainId) -> Result<Option<ChainRecord>> {
        let label = KeySelector::chain_record_label(domain);
        Ok(self.find_chain_record(&label)?.map(|(_, record)| record))
    }

    /// Records that this token has seen `record.position` of `domain`'s chain: creates the record
    /// when the token has none, raises it when the new position is higher, leaves it when equal.
    /// Refuses, changing nothing, a lower position (a rolled-back manifest), a record of another
    /// domain fingerprint, and any record [`chain_record`](Self::chain_record) refuses. What was
    /// written is read back before this returns.
    pub fn record_chain_position(
        &self,
        domain: &DomainId,
        record: &ChainRecord,
    ) -> Result<RecordOutcome> {
        let label = KeySelector::chain_record_label(domain);
        let Some((handle, held)) = self.find_chain_record(&label)? else {
            self.create_chain_record(&label, record)?;
            self.confirm_chain_record(&label, record)?;
            return Ok(RecordOutcome::Created);
        };
        match self.compare_chain_record(&label, &held, record)? {
            Ordering::Equal => Ok(RecordOutcome::Unchanged),
            _ => {
                self.raise_chain_record(handle, &label, &held, record)?;
                self.confirm_chain_record(&label, record)?;
                Ok(RecordOutcome::Raised {
                    from: held.position,
                })
            }
        }
    }

    /// Refuses, as [`record_chain_position`](Self::record_chain_position) would and writing
    /// nothing, a manifest older than the token's record of `domain` or of another fingerprint:
    /// the check a ceremony makes before anyone types.
    pub fn check_chain_position(&self, domain: &DomainId, record: &ChainRecord) -> Result<()> {
        let label = KeySelector::chain_record_label(domain);
        match self.find_chain_record(&label)? {
            None => Ok(()),
            Some((_, held)) => self.compare_chain_record(&label, &held, record).map(drop),
        }
    }

    /// How `record` compares with the record `held`: refused when of another fingerprint or
    /// lower.
    fn compare_chain_record(
        &self,
        label: &str,
        held: &ChainRecord,
        record: &ChainRecord,
    ) -> Result<Ordering> {
        if held.fingerprint != record.fingerprint {
            return Err(Error::ChainFingerprintMismatch {
                token: self.token().label.clone(),
                label: label.to_owned(),
                recorded: held.fingerprint.to_string(),
                offered: record.fingerprint.to_string(),
            });
        }
        match record.position.cmp(&held.position) {
            Ordering::Less => Err(Error::ChainRollback {
                token: self.token().label.clone(),
                label: label.to_owned(),
                recorded: held.position,
                offered: record.position,
            }),
            other => Ok(other),
        }
    }

    /// The one object labelled `label`, read strictly, with its handle.
    fn find_chain_record(&self, label: &str) -> Result<Option<(ObjectHandle, ChainRecord)>> {
        let found = self
            .session
            .find_objects(&[Attribute::Label(label.as_bytes().to_vec())])
            .map_err(Error::from_cryptoki("searching for the chain record"))?;
        let handle = match found.as_slice() {
            [] => return Ok(None),
            [one] => *one,
            many => {
                return Err(Error::DuplicateChainRecords {
                    token: self.token().label.clone(),
                    label: label.to_owned(),
                    count: many.len(),
                })
            }
        };
        let attributes = self
            .session
            .get_attributes(
                handle,
                &[
                    AttributeType::Class,
                    AttributeType::Token,
                    AttributeType::Private,
                    AttributeType::Application,
                    AttributeType::Value,
                ],
            )
            .map_err(Error::from_cryptoki("reading the chain record"))?;
        let mut problems = Vec::new();
        let has = |wanted: &Attribute| attributes.contains(wanted);
        if !has(&Attribute::Class(ObjectClass::DATA)) {
            problems.push("it is not a data object (CKO_DATA)".to_owned());
        }
        if !has(&Attribute::Token(true)) {
            problems.push("it is not a token object".to_owned());
        }
        if !has(&Attribute::Private(true)) {
            problems.push("it is not private".to_owned());
        }
        if !has(&Attribute::Application(APPLICATION.to_vec())) {
            problems.push("its CKA_APPLICATION is not \"custody\"".to_owned());
        }
        let value = attributes.iter().find_map(|a| match a {
            Attribute::Value(value) => Some(value),
            _ => None,
        });
        let record = match value.map(|v| ChainRecord::from_value(v)) {
            Some(Ok(record)) => Some(record),
            Some(Err(problem)) => {
                problems.push(problem);
                None
            }
            None => {
                problems.push("its value cannot be read".to_owned());
                None
            }
        };
        match record {
            Some(record) if problems.is_empty() => Ok(Some((handle, record))),
            _ => Err(Error::MalformedChainRecord {
                token: self.token().label.clone(),
                label: label.to_owned(),
                problems,
            }),
        }
    }

    fn create_chain_record(&self, label: &str, record: &ChainRecord) -> Result<ObjectHandle> {
        self.session
            .create_object(&[
                Attribute::Class(ObjectClass::DATA),
                Attribute::Token(true),
                Attribute::Private(true),
                Attribute::Modifiable(true),
                Attribute::Label(label.as_bytes().to_vec()),
                Attribute::Application(APPLICATION.to_vec()),
                Attribute::Value(record.to_value().to_vec()),
            ])
            .map_err(Error::from_cryptoki("creating the chain record"))
    }

    /// Sets the record's value in place; where the token refuses that, makes the new record
    /// before destroying the old one, so that a failure leaves the old record (or both, which
    /// the reader refuses), never none.
    fn raise_chain_record(
        &self,
        old: ObjectHandle,
        label: &str,
        held: &ChainRecord,
        record: &ChainRecord,
    ) -> Result<()> {
        let set_refused = match self
            .session
            .update_attributes(old, &[Attribute::Value(record.to_value().to_vec())])
        {
            Ok(()) => return Ok(()),
            Err(refused @ cryptoki::error::Error::Pkcs11(..)) => refused,
            Err(other) => return Err(Error::from_cryptoki("updating the chain record")(other)),
        };
        let new = self.create_chain_record(label, record)?;
        let Err(destroy_refused) = self.session.destroy_object(old) else {
            return Ok(());
        };
        let state = match self.session.destroy_object(new) {
            Ok(()) => format!("it still holds position {}", held.position),
            Err(_) => format!(
                "the new record (position {}) could not be removed either, so two records now \
                 answer to the label and custody refuses both until one is removed",
                record.position
            ),
        };
        Err(Error::ChainRecordNotUpdated {
            token: self.token().label.clone(),
            label: label.to_owned(),
            reason: format!(
                "the token refused to change it (C_SetAttributeValue: {}) and to destroy it \
                 (C_DestroyObject: {}); {state}",
                refusal(&set_refused),
                refusal(&destroy_refused)
            ),
        })
    }

    /// Reads the record back and checks it holds what was just written.
    fn confirm_chain_record(&self, label: &str, written: &ChainRecord) -> Result<()> {
        match self.find_chain_record(label)? {
            Some((_, read)) if read == *written => Ok(()),
            read => Err(Error::ChainRecordNotUpdated {
                token: self.token().label.clone(),
                label: label.to_owned(),
                reason: match read {
                    Some((_, read)) => format!(
                        "the token accepted position {} but reads back position {} of fingerprint {}",
                        written.position, read.position, read.fingerprint
                    ),
                    None => "the token accepted it but then had no record".to_owned(),
                },
            }),
        }
    }
}

/// A refusal as custody's errors word it: `CKR_<code>`, or cryptoki's own text.
fn refusal(error: &cryptoki::error::Error) -> String {
    match error {
        cryptoki::error::Error::Pkcs11(code, _) => format!("CKR_{code:?}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(position: u64) -> ChainRecord {
        ChainRecord {
            fingerprint: DomainFingerprint::from_bytes(std::array::from_fn(|i| {
                u8::try_from(i).unwrap()
            })),
            position,
        }
    }

    #[test]
    fn the_value_is_version_fingerprint_and_big_endian_position() {
        let value = record(0x0102_0304_0506_0708).to_value();
        assert_eq!(value.len(), CHAIN_RECORD_LEN);
        assert_eq!(value[0], 0x01);
        assert_eq!(&value[1..33], record(0).fingerprint.as_bytes());
        assert_eq!(&value[33..], &[1, 2, 3, 4, 5, 6, 7, 8]);
        for position in [0, 1, u64::MAX] {
            assert_eq!(
                ChainRecord::from_value(&record(position).to_value()),
                Ok(record(position))
            );
        }
    }

    #[test]
    fn every_other_length_and_every_other_version_is_refused_in_words() {
        let good = record(7).to_value();
        for len in (0..=2 * CHAIN_RECORD_LEN).filter(|len| *len != CHAIN_RECORD_LEN) {
            let mut value = good.repeat(2);
            value.truncate(len);
            let problem = ChainRecord::from_value(&value).unwrap_err();
            let expected = if len == 0 {
                "its value is empty".to_owned()
            } else {
                format!("its value is {len} bytes long, not 41")
            };
            assert_eq!(problem, expected);
        }
        for version in (0..=u8::MAX).filter(|v| *v != VERSION) {
            let mut value = good;
            value[0] = version;
            let problem = ChainRecord::from_value(&value).unwrap_err();
            assert!(
                problem.contains(&format!("version 0x{version:02x}")),
                "{problem}"
            );
        }
    }
}
