//! The negative kit of sealed archives (the age test kit's idea): a named case for each edge of
//! the format, each failing with its own error, in `open` and `verify` alike, and leaving no
//! output file behind.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod archive_kit;
mod common;

use archive_kit::*;
use common::TestToken;
use custody::archive::{self, Archive, ArchiveError, ArchiveSpec, ChunkSize, Metadata, TokenKey};
use custody::primitives::domain_id::DomainId;
use custody::primitives::key_ref::KeyRef;

#[test]
fn stream_truncated_at_a_chunk_boundary() {
    let f = fixture();
    let sealed = f.seal(&payload(3 * CHUNK + 10));
    let header_len = archive::read_header(sealed.as_slice()).unwrap().len;
    for kept in [0, 1, 2, 3] {
        let cut = &sealed[..header_len + kept * SEGMENT];
        assert!(
            matches!(f.refused(cut), ArchiveError::Truncated { chunks } if chunks == kept as u64),
            "kept {kept}"
        );
    }
}

#[test]
fn stream_truncated_mid_chunk() {
    let f = fixture();
    let sealed = f.seal(&payload(3 * CHUNK + 10));
    let header_len = archive::read_header(sealed.as_slice()).unwrap().len;
    for (cut, chunk) in [
        (5, 0),
        (SEGMENT + 100, 1),
        (3 * SEGMENT + 20, 3),
        (sealed.len() - 1, 3),
    ] {
        let error = f.refused(&sealed[..(header_len + cut).min(sealed.len() - 1)]);
        assert!(
            matches!(error, ArchiveError::ChunkAltered { chunk: c } if c == chunk),
            "cut {cut}: {error}"
        );
    }
}

#[test]
fn stream_truncated_inside_the_header() {
    let f = fixture();
    let sealed = f.seal(b"abc");
    let header_len = archive::read_header(sealed.as_slice()).unwrap().len;
    for cut in [1, 16, 17, 40, header_len - 1] {
        assert!(
            matches!(f.refused(&sealed[..cut]), ArchiveError::TruncatedHeader),
            "cut {cut}"
        );
    }
    assert!(matches!(f.refused(&[]), ArchiveError::TruncatedHeader));
}

#[test]
fn stream_chunks_reordered() {
    let f = fixture();
    let mut sealed = f.seal(&payload(3 * CHUNK + 10));
    let start = archive::read_header(sealed.as_slice()).unwrap().len;
    let (first, second) = sealed[start..start + 2 * SEGMENT].split_at_mut(SEGMENT);
    first.swap_with_slice(second);
    assert!(matches!(
        f.refused(&sealed),
        ArchiveError::ChunkAltered { chunk: 0 }
    ));
}

#[test]
fn stream_chunk_duplicated() {
    let f = fixture();
    let sealed = f.seal(&payload(3 * CHUNK + 10));
    let start = archive::read_header(sealed.as_slice()).unwrap().len;
    let mut duplicated = sealed[..start + 2 * SEGMENT].to_vec();
    duplicated.extend_from_slice(&sealed[start + SEGMENT..start + 2 * SEGMENT]);
    duplicated.extend_from_slice(&sealed[start + 2 * SEGMENT..]);
    assert!(matches!(
        f.refused(&duplicated),
        ArchiveError::ChunkAltered { chunk: 2 }
    ));
}

#[test]
fn stream_trailing_bytes_after_the_final_chunk() {
    let f = fixture();
    for (len, final_chunk) in [(2 * CHUNK, 1), (2 * CHUNK + 10, 2), (0, 0)] {
        for extra in [&b"\0"[..], &[0xAA; 16], &[0x55; SEGMENT]] {
            let mut sealed = f.seal(&payload(len));
            sealed.extend_from_slice(extra);
            let error = f.refused(&sealed);
            assert!(
                matches!(error, ArchiveError::ChunkAltered { chunk } if chunk == final_chunk),
                "payload {len}, {} extra bytes: {error}",
                extra.len()
            );
        }
    }
}

#[test]
fn stream_two_final_chunks() {
    let f = fixture();
    let forged = f.forge(&[(payload(CHUNK), true), (payload(7), true)]);
    assert!(matches!(
        f.refused(&forged),
        ArchiveError::ChunkAltered { chunk: 0 }
    ));
}

#[test]
fn stream_no_final_chunk() {
    let f = fixture();
    let forged = f.forge(&[(payload(CHUNK), false), (payload(CHUNK), false)]);
    assert!(matches!(
        f.refused(&forged),
        ArchiveError::Truncated { chunks: 2 }
    ));
    let forged = f.forge(&[(payload(CHUNK), false), (payload(9), false)]);
    assert!(matches!(
        f.refused(&forged),
        ArchiveError::ChunkAltered { chunk: 1 }
    ));
}

#[test]
fn stream_empty_final_chunk_after_others() {
    let f = fixture();
    let forged = f.forge(&[(payload(CHUNK), false), (Vec::new(), true)]);
    assert!(matches!(
        f.refused(&forged),
        ArchiveError::EmptyFinalChunk { chunk: 1 }
    ));
    let forged = f.forge(&[(Vec::new(), true)]);
    assert_eq!(f.open_file(&forged).unwrap().payload_len, 0);
}

#[test]
fn stream_short_chunk_before_the_last() {
    let f = fixture();
    let forged = f.forge(&[(payload(100), false), (payload(CHUNK), true)]);
    assert!(matches!(
        f.refused(&forged),
        ArchiveError::ChunkAltered { .. }
    ));
}

#[test]
fn stream_payload_byte_flipped() {
    let f = fixture();
    let sealed = f.seal(&payload(2 * CHUNK + 3));
    let start = archive::read_header(sealed.as_slice()).unwrap().len;
    for (offset, chunk) in [(0, 0), (SEGMENT - 1, 0), (SEGMENT, 1), (2 * SEGMENT + 2, 2)] {
        let mut flipped = sealed.clone();
        flipped[start + offset] ^= 0x01;
        assert!(
            matches!(f.refused(&flipped), ArchiveError::ChunkAltered { chunk: c } if c == chunk),
            "offset {offset}"
        );
    }
}

/// Every header byte altered: refused before any payload byte is released, with the error that
/// fits the field.
#[test]
fn header_every_byte_altered() {
    let f = fixture();
    let spec = ArchiveSpec {
        metadata: Metadata {
            name: Some("a.tar".into()),
            size: Some(5),
            content_type: Some("application/x-tar".into()),
            created: Some(1),
        },
        ..spec()
    };
    let mut sealed = Vec::new();
    archive::seal(&f.key(), &spec, &b"hello"[..], &mut sealed, &no_progress).unwrap();
    let header_len = archive::read_header(sealed.as_slice()).unwrap().len;
    let domain_len = spec.identity.domain.as_str().len();
    let wrapped_start = 16 + 1 + 1 + domain_len + 4 + 32 + 40;
    for position in 0..header_len {
        for mask in [0x01, 0x80] {
            let mut altered = sealed.clone();
            altered[position] ^= mask;
            let error = f.refused(&altered);
            let expected = match position {
                0..16 => matches!(error, ArchiveError::NotAnArchive),
                16 => matches!(error, ArchiveError::UnsupportedVersion(_)),
                p if (wrapped_start..wrapped_start + 40).contains(&p) => {
                    matches!(error, ArchiveError::KeyRefused { .. })
                }
                p if p >= header_len - 32 => matches!(error, ArchiveError::HeaderAltered),
                _ => matches!(
                    error,
                    ArchiveError::HeaderAltered
                        | ArchiveError::InvalidField { .. }
                        | ArchiveError::TruncatedHeader
                ),
            };
            assert!(expected, "byte {position} mask {mask:#x}: {error:?}");
        }
    }
}

#[test]
fn header_unknown_format_version() {
    let f = fixture();
    let mut sealed = f.seal(b"abc");
    for version in [0, 1, 3, 0xff] {
        sealed[16] = version;
        assert!(matches!(f.refused(&sealed), ArchiveError::UnsupportedVersion(v) if v == version));
    }
}

#[test]
fn header_not_an_archive() {
    let f = fixture();
    for bytes in [
        &b"CUSTODY-SHARE\0\x01"[..],
        b"hello world, this is text",
        b"X",
    ] {
        assert!(
            matches!(f.refused(bytes), ArchiveError::NotAnArchive),
            "{bytes:?}"
        );
    }
}

#[test]
fn header_hostile_chunk_size_is_refused_before_any_allocation() {
    let f = fixture();
    let sealed = f.seal(b"abc");
    let offset = 16 + 1 + 1 + "ee-registries".len() + 4 + 32 + 40 + 40 + 32;
    for size in [0u32, 4095, 4097, 32 * 1024 * 1024, u32::MAX] {
        let mut altered = sealed.clone();
        altered[offset..offset + 4].copy_from_slice(&size.to_be_bytes());
        assert!(
            matches!(
                f.refused(&altered),
                ArchiveError::InvalidField {
                    field: "chunk_size",
                    ..
                }
            ),
            "{size}"
        );
    }
}

#[test]
fn wrapped_key_of_another_domain_or_epoch() {
    let f = fixture();
    let sealed = f.seal(b"registries");
    // Another token holding another domain key (a later epoch) under the same label.
    let other = fixture_with([0x43; 32]);
    let error = other.refused(&sealed);
    assert!(
        matches!(error, ArchiveError::KeyRefused { epoch: 1, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("ee-registries"), "{error}");
    // The manifest's identity for epoch 2 does not match the header.
    let archive = Archive::read(sealed.as_slice()).unwrap();
    let error = archive.expect(&identity([0x43; 32], 2)).unwrap_err();
    assert!(
        matches!(error, ArchiveError::IdentityMismatch { field: "epoch", .. }),
        "{error}"
    );
    let renamed = KeyRef {
        domain: DomainId::new("ee-courts").unwrap(),
        ..identity([0x42; 32], 1)
    };
    assert!(matches!(
        archive.expect(&renamed),
        Err(ArchiveError::IdentityMismatch {
            field: "domain",
            ..
        })
    ));
    archive.expect(&identity([0x42; 32], 1)).unwrap();
}

#[test]
fn a_token_that_lacks_the_key() {
    let f = fixture();
    let sealed = f.seal(b"registries");
    let bare = TestToken::new();
    let session = bare.session();
    let header = archive::read_header(sealed.as_slice()).unwrap();
    let error = TokenKey::find(&session, &header.spec.identity, &header.wrap_check).unwrap_err();
    assert!(
        matches!(&error, ArchiveError::DomainKeyAbsent { key_ref, .. } if **key_ref == header.spec.identity),
        "{error}"
    );
    let id = &header.spec.identity.key_id.to_string();
    assert_eq!(
        error.to_string(),
        format!(
            "token {} does not hold the domain key of ee-registries epoch 1 (key \"{LABEL}\" (id {}), key id {id})",
            session.token().label,
            &id[..32]
        )
    );
    assert!(error
        .hint()
        .starts_with("use a token holding that domain key"));
    // The archive itself is untouched and still opens on the right token.
    assert_eq!(f.open_file(&sealed).unwrap().payload_len, 10);
}

#[test]
fn declared_size_must_match_the_payload() {
    let f = fixture();
    let spec = ArchiveSpec {
        metadata: Metadata {
            size: Some(10),
            ..Metadata::default()
        },
        ..spec()
    };
    let error =
        archive::seal(&f.key(), &spec, &payload(11)[..], Vec::new(), &no_progress).unwrap_err();
    assert!(
        matches!(
            error,
            ArchiveError::SizeMismatch {
                declared: 10,
                actual: 11
            }
        ),
        "{error}"
    );
}

#[test]
fn sealing_refuses_invalid_specs_before_using_the_token() {
    let f = fixture();
    // A bad domain id cannot even be named: the type refuses it.
    for domain in ["EE_registries", "", &"d".repeat(65)] {
        assert!(DomainId::new(domain).is_err(), "{domain:?}");
    }
    let bad_names = ["", ".", "..", "a/b", "a\\b", "a\nb", &"n".repeat(256)];
    let mut specs = Vec::new();
    for name in bad_names {
        let mut spec = spec();
        spec.metadata.name = Some(name.to_owned());
        specs.push(spec);
    }
    let mut spec = spec();
    spec.metadata.content_type = Some("text/plain\u{e9}".into());
    specs.push(spec);
    for spec in specs {
        let mut out = Vec::new();
        let error = archive::seal(&f.key(), &spec, &b"x"[..], &mut out, &no_progress).unwrap_err();
        assert!(
            matches!(error, ArchiveError::InvalidField { .. }),
            "{spec:?}: {error}"
        );
        assert!(out.is_empty());
    }
    for size in [0, 1024, 4095, 3 * 4096, 32 << 20] {
        assert!(ChunkSize::new(size).is_err(), "{size}");
    }
    for size in [4096, 1 << 20, 16 << 20] {
        assert_eq!(ChunkSize::new(size).unwrap().get(), size);
    }
}

#[test]
fn open_to_file_replaces_the_destination_only_on_success() {
    let f = fixture();
    std::fs::write(f.destination(), b"previous contents").unwrap();
    let mut sealed = f.seal(&payload(2 * CHUNK));
    let last = sealed.len() - 1;
    sealed[last] ^= 1;
    Archive::read(sealed.as_slice())
        .unwrap()
        .open_to_file(&f.key(), &f.destination(), &no_progress)
        .unwrap_err();
    assert_eq!(
        std::fs::read(f.destination()).unwrap(),
        b"previous contents"
    );
    assert_eq!(std::fs::read_dir(f.dir.path()).unwrap().count(), 1);
    sealed[last] ^= 1;
    f.open_file(&sealed).unwrap();
    assert_eq!(std::fs::read(f.destination()).unwrap(), payload(2 * CHUNK));
}

#[test]
fn errors_and_debug_never_show_keys() {
    let f = fixture();
    let sealed = f.seal(b"secret payload");
    let (keys, header) = f.data_key_and_header(&sealed);
    assert_eq!(format!("{keys:?}"), "ArchiveKeys([REDACTED])");
    let hex_key = hex::encode(keys.payload_key());
    let mut altered = sealed.clone();
    altered[header.len] ^= 1;
    let error = f.refused(&altered);
    for text in [
        format!("{error:?}"),
        error.to_string(),
        format!("{header:?}"),
    ] {
        assert!(!text.contains(&hex_key));
        assert!(!text.contains("secret payload"));
    }
}

#[test]
fn a_header_naming_a_malformed_domain_is_refused() {
    let f = fixture();
    let mut sealed = f.seal(b"x");
    // The domain starts after the magic, the version and its one-byte length.
    sealed[16 + 1 + 1] = b'E';
    let error = f.refused(&sealed);
    assert!(
        matches!(
            error,
            ArchiveError::InvalidField {
                field: "domain",
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "archive header field `domain` is invalid: only a-z, 0-9 and - are allowed"
    );
}
