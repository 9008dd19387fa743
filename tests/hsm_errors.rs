//! Each bad input to the HSM layer gets a clear error naming what is wrong, on real SoftHSM.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::TestToken;
use custody::hsm::{Error, KeySelector, Module, PinSource, Pkcs11Uri, TokenSession};

fn open(uri: &Pkcs11Uri) -> Error {
    TokenSession::open(uri, &mut |_| panic!("no prompt expected")).unwrap_err()
}

#[test]
fn a_missing_module_path_is_named() {
    let token = TestToken::new();
    let uri = token.uri_with(|u| u.module_path = Some("/opt/nowhere/libvendor.so".into()));
    let err = open(&uri);
    assert!(matches!(err, Error::ModuleMissing(_)), "{err}");
    assert!(
        err.to_string()
            .contains("/opt/nowhere/libvendor.so does not exist"),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_a_module_is_named() {
    let text = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(text.path(), "not a shared library").unwrap();
    let err = Module::load(text.path()).unwrap_err();
    assert!(matches!(err, Error::NotAModule { .. }), "{err}");
    assert!(err.to_string().contains("is not a PKCS#11 module"), "{err}");
    // A real shared library that is not a PKCS#11 module: the C library this test runs on.
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let libc = maps
        .split_whitespace()
        .find(|field| field.contains("/libc.so") || field.contains("/libc-"))
        .expect("the test process maps a C library");
    let err = Module::load(std::path::Path::new(libc)).unwrap_err();
    assert!(err.to_string().contains("is not a PKCS#11 module"), "{err}");
}

#[test]
fn no_such_token_lists_the_tokens_that_exist() {
    let token = TestToken::new();
    let uri = token.uri_with(|u| u.token = Some("embassy-nowhere".into()));
    let err = open(&uri);
    let message = err.to_string();
    assert!(matches!(err, Error::NoSuchToken { .. }), "{message}");
    assert!(
        message.contains("no token matches pkcs11:token=embassy-nowhere"),
        "{message}"
    );
    assert!(
        message.contains(&format!("\"{}\"", token.label)),
        "{message}"
    );
}

#[test]
fn a_wrong_pin_is_refused_by_name() {
    let token = TestToken::new();
    let wrong = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(wrong.path(), "000000").unwrap();
    let uri = token.uri_with(|u| u.pin_source = Some(PinSource::File(wrong.path().into())));
    let err = open(&uri);
    assert!(matches!(err, Error::PinRefused { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "token {}: the PIN from the PIN file {} was refused",
            token.label,
            wrong.path().display()
        )
    );
}

#[test]
fn missing_and_empty_pin_files_are_named() {
    let token = TestToken::new();
    let uri =
        token.uri_with(|u| u.pin_source = Some(PinSource::File("/nonexistent/user.pin".into())));
    let message = open(&uri).to_string();
    assert!(
        message.contains("cannot read the PIN from /nonexistent/user.pin"),
        "{message}"
    );
    let empty = tempfile::NamedTempFile::new().unwrap();
    let uri = token.uri_with(|u| u.pin_source = Some(PinSource::File(empty.path().into())));
    let message = open(&uri).to_string();
    assert!(message.contains("it is empty"), "{message}");
}

#[test]
fn the_prompt_is_used_when_no_pin_source_is_named() {
    let token = TestToken::new();
    let uri = token.uri_with(|u| u.pin_source = None);
    let mut asked = Vec::new();
    TokenSession::open(&uri, &mut |t| {
        asked.push(t.label.clone());
        Ok(token.pin().into())
    })
    .unwrap();
    assert_eq!(asked, vec![token.label.clone()]);
}

#[test]
fn malformed_uris_and_pin_values_are_refused() {
    let err = "pkcs11:token=x?pin-value=123456"
        .parse::<Pkcs11Uri>()
        .unwrap_err();
    assert!(matches!(err, Error::PinValueInUri));
    assert!(err.hint().contains("pin-source"));
    let err = "pkcs11:token=x;token=y".parse::<Pkcs11Uri>().unwrap_err();
    assert!(matches!(err, Error::MalformedUri(_)), "{err}");
}

#[test]
fn an_absent_domain_key_is_named() {
    let token = TestToken::new();
    let selector = KeySelector {
        label: Some("custody:ee:e9".into()),
        id: None,
    };
    let err = token.session().find_domain_key(&selector).unwrap_err();
    assert!(matches!(err, Error::DomainKeyAbsent { .. }), "{err}");
    assert!(
        err.to_string().contains("no domain key \"custody:ee:e9\""),
        "{err}"
    );
}
