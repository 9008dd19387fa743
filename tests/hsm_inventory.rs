//! The inventory of custody's objects on a real SoftHSM token: every secret key labelled
//! `custody:` with its label read back, its id, its attributes and the protections check's
//! verdict (a key made with other protections is listed, with what is wrong), keys of other
//! applications left out, each domain's chain record, and one domain's epochs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{raw, TestToken};
use cryptoki::object::{Attribute, KeyType, ObjectClass};
use custody::hsm::{ChainRecord, Persistence};
use custody::primitives::domain_id::DomainId;
use custody::primitives::secret::DomainKey;
use custody::primitives::signature::DomainFingerprint;

fn domain() -> DomainId {
    DomainId::new("ee-registries").unwrap()
}

/// An AES key made outside custody, with `label` and the attributes `extra`.
fn plant(token: &TestToken, label: &str, extra: &[Attribute]) {
    let session = raw::session(token);
    let mut template = vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Label(label.as_bytes().to_vec()),
        Attribute::Value(vec![9; 32]),
    ];
    template.extend_from_slice(extra);
    session.create_object(&template).unwrap();
}

#[test]
fn every_custody_key_is_listed_with_its_layout_attributes_and_verdict() {
    let token = TestToken::new();
    let session = token.session();
    for (epoch, byte) in [(2, 2), (1, 1)] {
        let label = format!("custody:ee-registries:e{epoch}");
        session
            .import_domain_key(
                &DomainKey::from_bytes(&mut [byte; 32]),
                &label,
                &[byte; 16],
                Persistence::Token,
            )
            .unwrap();
    }
    plant(
        &token,
        "custody:ee-registries:e3",
        &[Attribute::Encrypt(true)],
    );
    plant(&token, "custody:not a layout", &[]);
    plant(&token, "someone-else:key", &[]);
    let fingerprint = DomainFingerprint::from_bytes([5; 32]);
    session
        .record_chain_position(
            &domain(),
            &ChainRecord {
                fingerprint,
                position: 3,
            },
        )
        .unwrap();

    let inventory = session.inventory().unwrap();
    let labels: Vec<&str> = inventory.keys.iter().map(|k| k.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "custody:ee-registries:e1",
            "custody:ee-registries:e2",
            "custody:ee-registries:e3",
            "custody:not a layout",
        ]
    );
    let [e1, _, e3, other] = inventory.keys.as_slice() else {
        panic!("{inventory:?}");
    };
    assert_eq!(e1.named, Some((domain(), 1)));
    assert_eq!(e1.id, [1; 16]);
    assert!(e1.problems.is_empty(), "{:?}", e1.problems);
    let p = e1.protections;
    assert_eq!(
        (p.sensitive, p.extractable, p.wrap, p.unwrap, p.encrypt),
        (Some(true), Some(false), Some(true), Some(true), Some(false))
    );
    assert_eq!(
        (p.token, p.private, p.modifiable, p.copyable),
        (Some(true), Some(true), Some(false), Some(false))
    );
    assert_eq!(e3.named, Some((domain(), 3)));
    assert!(e3.problems.contains(&"can encrypt"), "{:?}", e3.problems);
    assert_eq!(other.named, None);
    assert!(!other.problems.is_empty());

    let [record] = inventory.chain_records.as_slice() else {
        panic!("{:?}", inventory.chain_records);
    };
    assert_eq!(record.domain, domain());
    assert_eq!(
        record.record,
        Ok(ChainRecord {
            fingerprint,
            position: 3
        })
    );
    assert_eq!(session.domain_keys(&domain()).unwrap(), [1, 2, 3]);
    assert!(session
        .domain_keys(&DomainId::new("other").unwrap())
        .unwrap()
        .is_empty());
}

#[test]
fn a_chain_record_custody_would_not_write_is_listed_with_the_refusal() {
    let token = TestToken::new();
    raw::session(&token)
        .create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Label(b"custody:ee-registries:chain".to_vec()),
            Attribute::Value(vec![1, 2, 3]),
        ])
        .unwrap();
    let inventory = token.session().inventory().unwrap();
    assert!(inventory.keys.is_empty());
    let [record] = inventory.chain_records.as_slice() else {
        panic!("{:?}", inventory.chain_records);
    };
    let refusal = record.record.as_ref().unwrap_err();
    assert!(refusal.contains("is not one custody wrote"), "{refusal}");
}
