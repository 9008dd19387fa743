//! The domain key as a token object: importing it with exactly the protections custody requires
//! (wrap and unwrap only, sensitive, never extractable, private; where the token supports them,
//! never copied, never modified and CKM_AES_KEY_WRAP its only mechanism), finding it again by
//! label or id, checking those protections every time it is loaded, and destroying it. A key that
//! fails the check is refused, never used. [`KeySelector`] is the one place custody's object
//! labels on a token are derived (the domain key's label and id, and the chain record's label)
//! and read back.

use cryptoki::error::RvError;
use cryptoki::mechanism::MechanismType;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};

use super::error::{Error, Result};
use super::session::{wipe_values, TokenSession};
use crate::primitives::domain_id::DomainId;
use crate::primitives::key_ref::KeyRef;
use crate::primitives::secret::DomainKey;

/// Whether an imported domain key outlives the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// A token object: it stays on the token.
    Token,
    /// A session object: it vanishes with the process (a one-off restore).
    Session,
}

/// How a domain key object is named on a token: by label, by id, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeySelector {
    /// `CKA_LABEL`
    pub label: Option<String>,
    /// `CKA_ID`
    pub id: Option<Vec<u8>>,
}

impl KeySelector {
    /// How custody names the domain key `key` on every token: label `custody:<domain>:e<epoch>`,
    /// id the first 16 bytes of the key id (docs/FORMAT.md 2).
    pub fn domain_key(key: &KeyRef) -> Self {
        Self {
            label: Some(format!("{}:e{}", label_prefix(&key.domain), key.epoch)),
            id: Some(key.key_id.as_bytes()[..16].to_vec()),
        }
    }

    /// The label of the domain's chain record, the data object that holds the highest manifest
    /// chain position the token has seen: `custody:<domain>:chain` (docs/FORMAT.md 2.1). A domain
    /// id has no `:` and a key label's last part starts with `e`, so no key label equals it.
    pub fn chain_record_label(domain: &DomainId) -> String {
        format!("{}:chain", label_prefix(domain))
    }

    /// The domain and epoch a domain key label names, read back as [`domain_key`](Self::domain_key)
    /// writes it (`custody:<domain>:e<epoch>`, the epoch without leading zeros), or `None`.
    pub fn parse_domain_key_label(label: &str) -> Option<(DomainId, u32)> {
        let (domain, epoch) = label.strip_prefix(LABEL_START)?.split_once(':')?;
        let epoch: u32 = epoch.strip_prefix('e')?.parse().ok()?;
        let domain = DomainId::new(domain).ok()?;
        let canonical = format!("{}:e{epoch}", label_prefix(&domain));
        (canonical == label).then_some((domain, epoch))
    }

    /// The domain a chain record label names (`custody:<domain>:chain`), or `None`.
    pub(super) fn parse_chain_record_label(label: &str) -> Option<DomainId> {
        let domain = label.strip_prefix(LABEL_START)?.strip_suffix(":chain")?;
        DomainId::new(domain).ok()
    }
}

/// The start of every custody object's label on a token.
pub(super) const LABEL_START: &str = "custody:";

/// The start every custody object label of one domain shares: `custody:<domain>`.
fn label_prefix(domain: &DomainId) -> String {
    format!("{LABEL_START}{domain}")
}

impl std::fmt::Display for KeySelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.label, &self.id) {
            (Some(label), Some(id)) => write!(f, "\"{label}\" (id {})", hex::encode(id)),
            (Some(label), None) => write!(f, "\"{label}\""),
            (None, Some(id)) => write!(f, "with id {}", hex::encode(id)),
            (None, None) => f.write_str("(unnamed)"),
        }
    }
}

/// A domain key on a token whose protections have been checked.
#[derive(Debug)]
pub struct DomainKeyHandle {
    pub(super) handle: ObjectHandle,
    selector: KeySelector,
}

impl DomainKeyHandle {
    /// How the key was named.
    pub fn selector(&self) -> &KeySelector {
        &self.selector
    }
}

/// Capabilities a domain key must not have: it wraps keys and does nothing else. A token that
/// does not know CKA_COPYABLE or CKA_MODIFIABLE reports neither, which reads as not set.
type Capability = (AttributeType, fn(bool) -> Attribute, &'static str);
const FORBIDDEN: [Capability; 7] = [
    (AttributeType::Encrypt, Attribute::Encrypt, "can encrypt"),
    (AttributeType::Decrypt, Attribute::Decrypt, "can decrypt"),
    (AttributeType::Sign, Attribute::Sign, "can sign"),
    (AttributeType::Verify, Attribute::Verify, "can verify"),
    (AttributeType::Derive, Attribute::Derive, "can derive"),
    (
        AttributeType::Copyable,
        Attribute::Copyable,
        "can be copied",
    ),
    (
        AttributeType::Modifiable,
        Attribute::Modifiable,
        "can be modified",
    ),
];

/// The one mechanism a domain key may be used with (CKA_ALLOWED_MECHANISMS): any other wrapping
/// mechanism, CKM_AES_ECB above all, would make the key an AES oracle for whoever holds the PIN.
const ALLOWED_MECHANISM: MechanismType = MechanismType::AES_KEY_WRAP;

/// The lock-down attributes PKCS#11 v2.40 added, which older tokens may not know.
const LOCKDOWN: [AttributeType; 3] = [
    AttributeType::Copyable,
    AttributeType::Modifiable,
    AttributeType::AllowedMechanisms,
];

impl TokenSession {
    /// Imports `key` as a domain key object named `label` and `id`.
    pub fn import_domain_key(
        &self,
        key: &DomainKey,
        label: &str,
        id: &[u8],
        persistence: Persistence,
    ) -> Result<DomainKeyHandle> {
        let selector = KeySelector {
            label: Some(label.to_owned()),
            id: Some(id.to_vec()),
        };
        for clash in [
            KeySelector {
                id: None,
                ..selector.clone()
            },
            KeySelector {
                label: None,
                ..selector.clone()
            },
        ] {
            if !self.objects(&clash)?.is_empty() {
                return Err(Error::DomainKeyExists {
                    token: self.token().label.clone(),
                    key: clash.to_string(),
                });
            }
        }
        let mut template = vec![
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Token(persistence == Persistence::Token),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Wrap(true),
            Attribute::Unwrap(true),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id.to_vec()),
            Attribute::Value(key.expose().to_vec()),
        ];
        template.extend(FORBIDDEN.iter().map(|(_, attribute, _)| attribute(false)));
        template.push(Attribute::AllowedMechanisms(vec![ALLOWED_MECHANISM]));
        let mut created = self.session.create_object(&template);
        if let Err(cryptoki::error::Error::Pkcs11(RvError::AttributeTypeInvalid, _)) = created {
            // A token older than PKCS#11 v2.40: the key gets every protection it can hold.
            template.retain(|a| !LOCKDOWN.contains(&a.attribute_type()));
            created = self.session.create_object(&template);
        }
        wipe_values(&mut template);
        let handle = created.map_err(Error::from_cryptoki("importing the domain key"))?;
        let key = DomainKeyHandle { handle, selector };
        if let Err(unsafe_key) = self.check_domain_key(&key) {
            let _ = self.session.destroy_object(handle);
            return Err(unsafe_key);
        }
        Ok(key)
    }

    /// Finds the domain key named by `selector` and checks its protections.
    pub fn find_domain_key(&self, selector: &KeySelector) -> Result<DomainKeyHandle> {
        let token = || self.token().label.clone();
        let found = self.objects(selector)?;
        let handle = match found.as_slice() {
            [] => {
                return Err(Error::DomainKeyAbsent {
                    token: token(),
                    key: selector.to_string(),
                })
            }
            [one] => *one,
            many => {
                return Err(Error::DuplicateKeys {
                    token: token(),
                    key: selector.to_string(),
                    count: many.len(),
                })
            }
        };
        let key = DomainKeyHandle {
            handle,
            selector: selector.clone(),
        };
        self.check_domain_key(&key)?;
        Ok(key)
    }

    /// Destroys the domain key object.
    pub fn destroy_domain_key(&self, key: DomainKeyHandle) -> Result<()> {
        self.session
            .destroy_object(key.handle)
            .map_err(Error::from_cryptoki("destroying the domain key"))
    }

    fn objects(&self, selector: &KeySelector) -> Result<Vec<ObjectHandle>> {
        let mut template = vec![Attribute::Class(ObjectClass::SECRET_KEY)];
        template.extend(
            selector
                .label
                .as_ref()
                .map(|l| Attribute::Label(l.as_bytes().to_vec())),
        );
        template.extend(selector.id.clone().map(Attribute::Id));
        self.session
            .find_objects(&template)
            .map_err(Error::from_cryptoki("searching for the domain key"))
    }

    /// Refuses a key that could leave the token or be used for anything but wrapping.
    fn check_domain_key(&self, key: &DomainKeyHandle) -> Result<()> {
        let problems = self.domain_key_problems(key.handle)?;
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::UnsafeDomainKey {
                token: self.token().label.clone(),
                key: key.selector.to_string(),
                problems,
            })
        }
    }

    /// Every way the key object `handle` falls short of a domain key's protections: none for a
    /// key [`find_domain_key`](Self::find_domain_key) accepts.
    pub(super) fn domain_key_problems(&self, handle: ObjectHandle) -> Result<Vec<&'static str>> {
        let mut problems = Vec::new();
        let shape = self
            .session
            .get_attributes(handle, &[AttributeType::KeyType, AttributeType::ValueLen])
            .map_err(Error::from_cryptoki("reading key attributes"))?;
        if !shape
            .iter()
            .any(|a| matches!(a, Attribute::KeyType(t) if *t == KeyType::AES))
        {
            problems.push("not an AES key");
        }
        if !shape
            .iter()
            .any(|a| matches!(a, Attribute::ValueLen(len) if u64::from(*len) == 32))
        {
            problems.push("not 256 bits long");
        }
        let required = [
            (AttributeType::Sensitive, "not sensitive"),
            (AttributeType::Private, "not private"),
            (AttributeType::Wrap, "cannot wrap"),
            (AttributeType::Unwrap, "cannot unwrap"),
        ];
        let flags = self.flags(handle, &required.map(|(kind, _)| kind))?;
        problems.extend(
            required
                .iter()
                .zip(flags)
                .filter(|(_, set)| !set)
                .map(|((_, p), _)| *p),
        );
        let kinds = [AttributeType::Extractable]
            .into_iter()
            .chain(FORBIDDEN.map(|(kind, _, _)| kind));
        let names = ["extractable"]
            .into_iter()
            .chain(FORBIDDEN.map(|(_, _, p)| p));
        let flags = self.flags(handle, &kinds.collect::<Vec<_>>())?;
        problems.extend(names.zip(flags).filter(|(_, set)| *set).map(|(p, _)| p));
        if !self.only_key_wrap(handle)? {
            problems.push("can be used with mechanisms other than CKM_AES_KEY_WRAP");
        }
        Ok(problems)
    }

    /// Whether CKA_ALLOWED_MECHANISMS is exactly {CKM_AES_KEY_WRAP}; a token that does not know
    /// the attribute reports none, which passes (the capability probe says so).
    fn only_key_wrap(&self, handle: ObjectHandle) -> Result<bool> {
        let attributes = self
            .session
            .get_attributes(handle, &[AttributeType::AllowedMechanisms])
            .map_err(Error::from_cryptoki("reading key attributes"))?;
        Ok(attributes.iter().all(|attribute| match attribute {
            Attribute::AllowedMechanisms(mechanisms) => mechanisms == &[ALLOWED_MECHANISM],
            _ => true,
        }))
    }

    /// Which lock-down attributes the token honours on `key`: each PKCS#11 name with whether the
    /// token reports it at custody's value (a token that does not know one reports nothing).
    pub(super) fn lockdown_honoured(
        &self,
        key: &DomainKeyHandle,
    ) -> Result<Vec<(&'static str, bool)>> {
        let attributes = self
            .session
            .get_attributes(key.handle, &LOCKDOWN)
            .map_err(Error::from_cryptoki("reading key attributes"))?;
        let held = |wanted: &Attribute| attributes.contains(wanted);
        Ok(vec![
            ("CKA_COPYABLE", held(&Attribute::Copyable(false))),
            ("CKA_MODIFIABLE", held(&Attribute::Modifiable(false))),
            (
                "CKA_ALLOWED_MECHANISMS",
                held(&Attribute::AllowedMechanisms(vec![ALLOWED_MECHANISM])),
            ),
        ])
    }
}
