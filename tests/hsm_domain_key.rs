//! The domain key on a real SoftHSM token: imported with custody's protections, those protections
//! hold against direct PKCS#11 attacks, OpenSC sees the object, and keys made without them are
//! refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{raw, TestToken};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{
    Attribute, AttributeInfo, AttributeType, KeyType, ObjectClass, ObjectHandle,
};
use cryptoki::session::Session;
use custody::hsm::{Error, KeySelector, Persistence};
use custody::primitives::secret::DomainKey;

const LABEL: &str = "custody:ee-registries:e1";
const ID: &[u8] = &[0xC0, 0xFF, 0xEE, 0x01];

fn domain_key(byte: u8) -> DomainKey {
    DomainKey::from_bytes(&mut [byte; 32])
}

fn by_label() -> KeySelector {
    KeySelector {
        label: Some(LABEL.into()),
        id: None,
    }
}

fn raw_key_handle(session: &Session) -> ObjectHandle {
    let found = session
        .find_objects(&[Attribute::Label(LABEL.as_bytes().to_vec())])
        .unwrap();
    assert_eq!(found.len(), 1);
    found[0]
}

/// A fresh token holding a domain key imported by custody, and a raw session to attack it with.
fn imported_key(byte: u8) -> (TestToken, Session, ObjectHandle) {
    let token = TestToken::new();
    token
        .session()
        .import_domain_key(&domain_key(byte), LABEL, ID, Persistence::Token)
        .unwrap();
    let raw = raw::session(&token);
    let handle = raw_key_handle(&raw);
    (token, raw, handle)
}

#[test]
fn imported_key_value_cannot_be_read() {
    let (_token, raw, handle) = imported_key(1);
    let info = raw
        .get_attribute_info(handle, &[AttributeType::Value])
        .unwrap();
    assert!(
        matches!(info.as_slice(), [AttributeInfo::Sensitive]),
        "{info:?}"
    );
    let values = raw.get_attributes(handle, &[AttributeType::Value]).unwrap();
    assert!(values.is_empty(), "CKA_VALUE came back: {values:?}");
}

#[test]
fn protections_cannot_be_lowered() {
    let (_token, raw, handle) = imported_key(2);
    assert!(raw
        .update_attributes(handle, &[Attribute::Sensitive(false)])
        .is_err());
    assert!(raw
        .update_attributes(handle, &[Attribute::Extractable(true)])
        .is_err());
    let flags = raw
        .get_attributes(
            handle,
            &[AttributeType::Sensitive, AttributeType::Extractable],
        )
        .unwrap();
    assert!(
        flags.contains(&Attribute::Sensitive(true))
            && flags.contains(&Attribute::Extractable(false))
    );
}

#[test]
fn domain_key_cannot_be_wrapped_out() {
    let (_token, raw, target) = imported_key(3);
    let wrapping = raw
        .create_object(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Token(false),
            Attribute::Wrap(true),
            Attribute::Value(vec![9; 32]),
        ])
        .unwrap();
    let attempt = raw.wrap_key(&Mechanism::AesKeyWrap, wrapping, target);
    assert!(attempt.is_err(), "C_WrapKey exported the domain key");
}

#[test]
fn found_by_label_or_id_and_destroyed() {
    let token = TestToken::new();
    let session = token.session();
    session
        .import_domain_key(&domain_key(5), LABEL, ID, Persistence::Token)
        .unwrap();
    session.find_domain_key(&by_label()).unwrap();
    let by_id = KeySelector {
        label: None,
        id: Some(ID.to_vec()),
    };
    let key = session.find_domain_key(&by_id).unwrap();
    session.destroy_domain_key(key).unwrap();
    let err = session.find_domain_key(&by_label()).unwrap_err();
    assert!(matches!(err, Error::DomainKeyAbsent { .. }), "{err}");
    assert!(err.to_string().contains(LABEL), "{err}");
}

#[test]
fn a_second_import_under_the_same_name_is_refused() {
    let token = TestToken::new();
    let session = token.session();
    session
        .import_domain_key(&domain_key(6), LABEL, ID, Persistence::Token)
        .unwrap();
    let err = session
        .import_domain_key(&domain_key(7), LABEL, &[1], Persistence::Token)
        .unwrap_err();
    assert!(matches!(err, Error::DomainKeyExists { .. }), "{err}");
    let err = session
        .import_domain_key(&domain_key(7), "other", ID, Persistence::Token)
        .unwrap_err();
    assert!(matches!(err, Error::DomainKeyExists { .. }), "{err}");
}

#[test]
fn session_keys_vanish_with_the_session() {
    let token = TestToken::new();
    {
        let session = token.session();
        session
            .import_domain_key(&domain_key(8), LABEL, ID, Persistence::Session)
            .unwrap();
        session.find_domain_key(&by_label()).unwrap();
    }
    let raw = raw::session(&token);
    let found = raw
        .find_objects(&[Attribute::Label(LABEL.as_bytes().to_vec())])
        .unwrap();
    assert!(found.is_empty(), "a session-only key outlived its session");
}

#[test]
fn keys_without_custodys_protections_are_refused_and_named() {
    let cases: [(&str, Vec<Attribute>, &[&str]); 4] = [
        (
            "extract",
            vec![Attribute::Extractable(true)],
            &["extractable"],
        ),
        (
            "notsens",
            vec![Attribute::Sensitive(false)],
            &["not sensitive"],
        ),
        (
            "encrypt",
            vec![Attribute::Encrypt(true), Attribute::Decrypt(true)],
            &["can encrypt", "can decrypt"],
        ),
        ("sign", vec![Attribute::Sign(true)], &["can sign"]),
    ];
    for (name, overrides, problems) in cases {
        let token = TestToken::new();
        let raw = raw::session(&token);
        let mut template = vec![
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Wrap(true),
            Attribute::Unwrap(true),
            Attribute::Label(LABEL.as_bytes().to_vec()),
            Attribute::Value(vec![1; 32]),
        ];
        let overridden: Vec<_> = overrides.iter().map(Attribute::attribute_type).collect();
        template.extend(
            [
                Attribute::Sensitive(true),
                Attribute::Extractable(false),
                Attribute::Encrypt(false),
                Attribute::Decrypt(false),
                Attribute::Sign(false),
            ]
            .into_iter()
            .filter(|a| !overridden.contains(&a.attribute_type())),
        );
        template.extend(overrides);
        raw.create_object(&template).unwrap();
        let err = token.session().find_domain_key(&by_label()).unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, Error::UnsafeDomainKey { .. }),
            "{name}: {message}"
        );
        for problem in problems {
            assert!(message.contains(problem), "{name}: {message}");
        }
    }
}

#[test]
fn a_key_of_the_wrong_type_or_size_is_refused() {
    let token = TestToken::new();
    let raw = raw::session(&token);
    raw.create_object(&[
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Wrap(true),
        Attribute::Unwrap(true),
        Attribute::Label(LABEL.as_bytes().to_vec()),
        Attribute::Value(vec![1; 16]),
    ])
    .unwrap();
    let message = token
        .session()
        .find_domain_key(&by_label())
        .unwrap_err()
        .to_string();
    assert!(message.contains("not 256 bits long"), "{message}");
}
