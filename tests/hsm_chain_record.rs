//! The chain record on real SoftHSM tokens (docs/FORMAT.md 2.1): absent, created as the format
//! says, raised in place or, where the token will not modify it, replaced without ever being
//! lost (and kept as it was where it can be neither); the same position is a no-op; a lower position and another domain's fingerprint are
//! refused with nothing changed; and objects custody would not have made — a value of another
//! length or version, two records, a public or foreign object — are refused with an error that
//! names the label, never trusted and never overwritten. Each test has a token of its own, and
//! every check of what is on the token is made with raw PKCS#11, not custody's reader.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{raw, TestToken};
use cryptoki::object::{Attribute, AttributeType, ObjectClass};
use cryptoki::session::Session;
use custody::hsm::{ChainRecord, Error, RecordOutcome, TokenSession, CHAIN_RECORD_LEN};
use custody::primitives::domain_id::DomainId;
use custody::primitives::signature::DomainFingerprint;

const LABEL: &str = "custody:ee-registries:chain";

fn domain() -> DomainId {
    DomainId::new("ee-registries").unwrap()
}

fn record(fingerprint: u8, position: u64) -> ChainRecord {
    ChainRecord {
        fingerprint: DomainFingerprint::from_bytes([fingerprint; 32]),
        position,
    }
}

/// The value FORMAT.md 2.1 specifies, written out here independently of custody's encoder.
fn value(fingerprint: u8, position: u64) -> Vec<u8> {
    let mut value = vec![0x01];
    value.extend([fingerprint; 32]);
    value.extend(position.to_be_bytes());
    value
}

/// The `CKA_VALUE` of every object labelled `label`, in the token's order.
fn values_labelled(raw: &Session, label: &str) -> Vec<Vec<u8>> {
    raw.find_objects(&[Attribute::Label(label.as_bytes().to_vec())])
        .unwrap()
        .into_iter()
        .map(|handle| {
            match raw
                .get_attributes(handle, &[AttributeType::Value])
                .unwrap()
                .as_slice()
            {
                [Attribute::Value(value)] => value.clone(),
                other => panic!("no readable CKA_VALUE: {other:?}"),
            }
        })
        .collect()
}

/// Plants a data object with the record's label as custody would make it, with `value` and with
/// `changes` replacing attributes of the same type.
fn plant(raw: &Session, value: Vec<u8>, changes: &[Attribute]) {
    let mut template = vec![
        Attribute::Class(ObjectClass::DATA),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Modifiable(true),
        Attribute::Label(LABEL.as_bytes().to_vec()),
        Attribute::Application(b"custody".to_vec()),
        Attribute::Value(value),
    ];
    for change in changes {
        template.retain(|a| a.attribute_type() != change.attribute_type());
        template.push(change.clone());
    }
    raw.create_object(&template).unwrap();
}

/// Clears every object with the record's label.
fn clear(raw: &Session) {
    for handle in raw
        .find_objects(&[Attribute::Label(LABEL.as_bytes().to_vec())])
        .unwrap()
    {
        raw.destroy_object(handle).unwrap();
    }
}

/// Both the reader and the writer refuse what is on the token with an error naming the label and
/// saying `what`, and the token's objects with the label are exactly as they were.
fn assert_refused(session: &TokenSession, raw: &Session, what: &str) {
    let before = values_labelled(raw, LABEL);
    let read = session.chain_record(&domain()).unwrap_err();
    let written = session
        .record_chain_position(&domain(), &record(1, u64::MAX))
        .unwrap_err();
    for error in [&read, &written] {
        assert!(
            matches!(
                error,
                Error::MalformedChainRecord { .. } | Error::DuplicateChainRecords { .. }
            ),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains(&format!("\"{LABEL}\"")), "{message}");
        assert!(message.contains(what), "{message} lacks {what:?}");
        assert!(
            error.hint().contains("nothing was changed"),
            "{}",
            error.hint()
        );
    }
    assert_eq!(values_labelled(raw, LABEL), before);
}

#[test]
fn a_token_without_a_record_has_none() {
    let token = TestToken::new();
    assert_eq!(token.session().chain_record(&domain()).unwrap(), None);
}

#[test]
fn the_first_position_creates_the_record_format_md_describes() {
    let token = TestToken::new();
    let example = common::format_doc::section("### 2.1 The chain record");
    let value = |name| common::format_doc::example_value(&example, name);
    assert!(example.contains(&format!("`{LABEL}`")));
    let fingerprint: [u8; 32] = value("fingerprint").try_into().unwrap();
    let position = u64::from_be_bytes(value("position").try_into().unwrap());
    let record = ChainRecord {
        fingerprint: DomainFingerprint::from_bytes(fingerprint),
        position,
    };
    let session = token.session();
    assert_eq!(
        session.record_chain_position(&domain(), &record).unwrap(),
        RecordOutcome::Created
    );
    assert_eq!(session.chain_record(&domain()).unwrap(), Some(record));

    let raw = raw::session(&token);
    let found = raw
        .find_objects(&[Attribute::Label(LABEL.as_bytes().to_vec())])
        .unwrap();
    assert_eq!(found.len(), 1);
    let attributes = raw
        .get_attributes(
            found[0],
            &[
                AttributeType::Class,
                AttributeType::Token,
                AttributeType::Private,
                AttributeType::Modifiable,
                AttributeType::Label,
                AttributeType::Application,
                AttributeType::Value,
            ],
        )
        .unwrap();
    let expected_value = value("value");
    assert_eq!(expected_value.len(), CHAIN_RECORD_LEN);
    assert_eq!(
        attributes,
        vec![
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Modifiable(true),
            Attribute::Label(LABEL.as_bytes().to_vec()),
            Attribute::Application(b"custody".to_vec()),
            Attribute::Value(expected_value),
        ]
    );
    // The record outlives the session that wrote it.
    drop(session);
    assert_eq!(
        token.session().chain_record(&domain()).unwrap(),
        Some(record)
    );
}

#[test]
fn a_higher_position_raises_the_record() {
    // SoftHSM holds a data object's CKA_VALUE read-only (CKR_ATTRIBUTE_READ_ONLY), so here every
    // raise is the replacement: a new record made before the old one is destroyed.
    let token = TestToken::new();
    let session = token.session();
    let raw = raw::session(&token);
    assert_eq!(
        session
            .record_chain_position(&domain(), &record(7, 0))
            .unwrap(),
        RecordOutcome::Created
    );
    for (from, to) in [(0, 1), (1, 5), (5, u64::MAX)] {
        assert_eq!(
            session
                .record_chain_position(&domain(), &record(7, to))
                .unwrap(),
            RecordOutcome::Raised { from }
        );
        assert_eq!(values_labelled(&raw, LABEL), vec![value(7, to)]);
        assert_eq!(
            session.chain_record(&domain()).unwrap(),
            Some(record(7, to))
        );
    }
}

#[test]
fn the_same_position_again_changes_nothing() {
    let token = TestToken::new();
    let session = token.session();
    let raw = raw::session(&token);
    session
        .record_chain_position(&domain(), &record(7, 4))
        .unwrap();
    for _ in 0..2 {
        assert_eq!(
            session
                .record_chain_position(&domain(), &record(7, 4))
                .unwrap(),
            RecordOutcome::Unchanged
        );
        assert_eq!(values_labelled(&raw, LABEL), vec![value(7, 4)]);
    }
}

#[test]
fn a_lower_position_is_refused_and_nothing_changes() {
    let token = TestToken::new();
    let session = token.session();
    let raw = raw::session(&token);
    session
        .record_chain_position(&domain(), &record(7, 5))
        .unwrap();
    for lower in [4, 0] {
        let error = session
            .record_chain_position(&domain(), &record(7, lower))
            .unwrap_err();
        assert!(
            matches!(error, Error::ChainRollback { recorded: 5, offered, .. } if offered == lower),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains(LABEL), "{message}");
        assert!(message.contains("position 5"), "{message}");
        assert!(message.contains(&format!("position {lower}")), "{message}");
        assert!(error.hint().contains("nothing was changed"));
        assert_eq!(values_labelled(&raw, LABEL), vec![value(7, 5)]);
    }
    assert_eq!(session.chain_record(&domain()).unwrap(), Some(record(7, 5)));
}

#[test]
fn another_domain_fingerprint_is_refused_and_nothing_changes() {
    let token = TestToken::new();
    let session = token.session();
    let raw = raw::session(&token);
    session
        .record_chain_position(&domain(), &record(7, 2))
        .unwrap();
    for position in [1, 2, 3] {
        let error = session
            .record_chain_position(&domain(), &record(8, position))
            .unwrap_err();
        assert!(
            matches!(error, Error::ChainFingerprintMismatch { .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains(LABEL), "{message}");
        assert!(message.contains(&"07".repeat(32)), "{message}");
        assert!(message.contains(&"08".repeat(32)), "{message}");
        assert!(error.hint().contains("nothing was changed"));
        assert_eq!(values_labelled(&raw, LABEL), vec![value(7, 2)]);
    }
}

#[test]
fn each_domain_has_a_record_of_its_own() {
    let token = TestToken::new();
    let session = token.session();
    let raw = raw::session(&token);
    let other = DomainId::new("ee-courts").unwrap();
    session
        .record_chain_position(&domain(), &record(7, 9))
        .unwrap();
    assert_eq!(session.chain_record(&other).unwrap(), None);
    assert_eq!(
        session
            .record_chain_position(&other, &record(8, 1))
            .unwrap(),
        RecordOutcome::Created
    );
    assert_eq!(
        values_labelled(&raw, "custody:ee-courts:chain"),
        vec![value(8, 1)]
    );
    assert_eq!(values_labelled(&raw, LABEL), vec![value(7, 9)]);
}

#[test]
fn a_record_the_token_will_not_modify_is_replaced_never_lost() {
    let token = TestToken::new();
    let session = token.session();
    let raw = raw::session(&token);
    plant(&raw, value(7, 1), &[Attribute::Modifiable(false)]);
    // The token refuses C_SetAttributeValue on it, so the replacement is what runs.
    let planted = raw
        .find_objects(&[Attribute::Label(LABEL.as_bytes().to_vec())])
        .unwrap();
    assert!(raw
        .update_attributes(planted[0], &[Attribute::Value(value(7, 2))])
        .is_err());
    assert_eq!(
        session
            .record_chain_position(&domain(), &record(7, 2))
            .unwrap(),
        RecordOutcome::Raised { from: 1 }
    );
    assert_eq!(values_labelled(&raw, LABEL), vec![value(7, 2)]);
    let found = raw
        .find_objects(&[Attribute::Label(LABEL.as_bytes().to_vec())])
        .unwrap();
    assert_eq!(
        raw.get_attributes(found[0], &[AttributeType::Modifiable])
            .unwrap(),
        vec![Attribute::Modifiable(true)]
    );
    assert_eq!(
        session
            .record_chain_position(&domain(), &record(7, 3))
            .unwrap(),
        RecordOutcome::Raised { from: 2 }
    );
    assert_eq!(values_labelled(&raw, LABEL), vec![value(7, 3)]);
}

#[test]
fn a_value_of_another_length_is_refused_naming_the_label() {
    let token = TestToken::new();
    let session = token.session();
    let raw = raw::session(&token);
    for len in [1, 33, 40, 42, 64] {
        let mut planted = value(7, 3);
        planted.resize(len, 0);
        plant(&raw, planted, &[]);
        assert_refused(
            &session,
            &raw,
            &format!("its value is {len} bytes long, not 41"),
        );
        clear(&raw);
    }
}

#[test]
fn an_unknown_version_is_refused_naming_the_label() {
    let token = TestToken::new();
    let session = token.session();
    let raw = raw::session(&token);
    for version in [0x00, 0x02, 0xff] {
        let mut planted = value(7, 3);
        planted[0] = version;
        plant(&raw, planted, &[]);
        assert_refused(
            &session,
            &raw,
            &format!("its value has version 0x{version:02x}; this custody reads version 0x01"),
        );
        clear(&raw);
    }
}

#[test]
fn two_records_are_refused_naming_the_label() {
    let token = TestToken::new();
    let session = token.session();
    let raw = raw::session(&token);
    plant(&raw, value(7, 3), &[]);
    plant(&raw, value(7, 3), &[]);
    assert_refused(&session, &raw, "2 objects answer to the chain record label");
    clear(&raw);
    session
        .record_chain_position(&domain(), &record(7, 3))
        .unwrap();
    plant(&raw, value(7, 9), &[]);
    assert_refused(&session, &raw, "2 objects answer to the chain record label");
}

#[test]
fn an_object_custody_would_not_have_made_is_refused() {
    let token = TestToken::new();
    let session = token.session();
    let raw = raw::session(&token);
    let cases: [(&[Attribute], &str); 3] = [
        (&[Attribute::Private(false)], "it is not private"),
        (
            &[Attribute::Application(b"other".to_vec())],
            "its CKA_APPLICATION is not \"custody\"",
        ),
        (
            &[
                Attribute::Private(false),
                Attribute::Application(Vec::new()),
            ],
            "it is not private, its CKA_APPLICATION is not \"custody\"",
        ),
    ];
    for (changes, what) in cases {
        plant(&raw, value(7, 3), changes);
        assert_refused(&session, &raw, what);
        clear(&raw);
    }
}

#[test]
fn a_record_the_token_will_neither_modify_nor_destroy_is_kept_and_the_raise_refused() {
    let token = TestToken::new();
    let session = token.session();
    let raw = raw::session(&token);
    plant(&raw, value(7, 1), &[Attribute::Destroyable(false)]);
    let error = session
        .record_chain_position(&domain(), &record(7, 2))
        .unwrap_err();
    assert!(
        matches!(error, Error::ChainRecordNotUpdated { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains(&format!("\"{LABEL}\"")), "{message}");
    assert!(message.contains("C_DestroyObject: CKR_"), "{message}");
    assert!(message.contains("it still holds position 1"), "{message}");
    assert_eq!(values_labelled(&raw, LABEL), vec![value(7, 1)]);
    assert_eq!(session.chain_record(&domain()).unwrap(), Some(record(7, 1)));
}
