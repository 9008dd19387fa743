//! The worked example of docs/FORMAT.md section 7 as a known-answer test: custody seals the
//! example inputs into exactly the bytes the document lists (computed there independently), and
//! opens them back. No HSM: the example fixes the wrapped key, as the document explains.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use custody::archive::{
    self, Archive, ArchiveKeys, ArchiveSpec, ChunkSize, Metadata, WrappedUnder,
};
use custody::hsm::WrappedKey;
use custody::primitives::domain_id::DomainId;
use custody::primitives::key_identity::{KeyId, WrapCheck};
use custody::primitives::key_ref::KeyRef;
use custody::primitives::secret::{DataKey, DomainKey};

#[test]
fn worked_example_of_the_format_document() {
    let example = common::format_doc::section("### 7.5 Worked example");
    let value = |name| common::format_doc::example_value(&example, name);

    let data_key = DataKey::from_slice(&mut value("data-key")).unwrap();
    let salt: [u8; 32] = value("salt").try_into().unwrap();
    let payload = value("payload");
    let spec = ArchiveSpec {
        identity: KeyRef {
            domain: DomainId::new("ee-registries").unwrap(),
            epoch: 1,
            key_id: KeyId::from_bytes(value("key-id").try_into().unwrap()),
        },
        metadata: Metadata {
            name: Some("hello.txt".into()),
            size: Some(26),
            content_type: Some("text/plain".into()),
            created: Some(1_795_000_000),
        },
        chunk_size: ChunkSize::new(4096).unwrap(),
    };

    let keys = ArchiveKeys::derive(&data_key, &salt);
    assert_eq!(keys.header_key().as_slice(), value("header-key"));
    assert_eq!(keys.payload_key().as_slice(), value("payload-key"));
    assert_eq!(
        keys.header_mac(&value("header-covered")).as_slice(),
        value("header-mac")
    );
    assert_eq!(archive::stream::nonce(0, true).as_slice(), value("nonce-0"));

    let wrap_check = WrapCheck::from_bytes(value("wrap-check").try_into().unwrap());
    let mut domain_key_bytes: [u8; 32] = value("domain-key").try_into().unwrap();
    let domain_key = DomainKey::from_bytes(&mut domain_key_bytes);
    assert_eq!(WrapCheck::of(&domain_key), wrap_check);
    let mut sealed = Vec::new();
    let summary = archive::seal_with_key(
        &data_key,
        WrappedUnder {
            wrap_check: &wrap_check,
            wrapped_key: &WrappedKey(value("wrapped-key")),
        },
        salt,
        &spec,
        payload.as_slice(),
        &mut sealed,
        &|_| {},
    )
    .unwrap();
    let covered_len = value("header-covered").len();
    assert_eq!(&sealed[..covered_len], value("header-covered"));
    assert_eq!(&sealed[covered_len..covered_len + 32], value("header-mac"));
    assert_eq!(&sealed[covered_len + 32..], value("chunk-0"));
    assert_eq!(sealed, value("archive"));
    assert_eq!((summary.header.len, sealed.len()), (253, 295));

    let archive = Archive::read(sealed.as_slice()).unwrap();
    assert_eq!(archive.header().spec, spec);
    assert_eq!(archive.header().wrap_check, wrap_check);
    let mut opened = Vec::new();
    archive
        .open_with_key(&data_key, &mut opened, &|_| {})
        .unwrap();
    assert_eq!(opened, payload);
}
