//! Sealed share files through the public API: round trip, the wrong-passphrase / damaged-file
//! rule for every byte, KDF bounds, header binding, hostile inputs, reseal, redacted `Debug`, and
//! the worked example of docs/FORMAT.md section 5 as a known-answer test.
//!
//! All sealing uses tiny argon2id costs so the suite stays fast; the strong defaults are only
//! measured (examples/kdf_timing.rs), never run here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::time::{Duration, Instant};

use custody::primitives::kdf::{self, KdfError, KdfParams, SealKeys};
use custody::primitives::secret::{Passphrase, SecretBytes};
use custody::primitives::signature::DomainFingerprint;
use custody::shares::sealed::{SealedShare, SealedShareError, ShareHeader, MAX_FILE_LEN};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

const PASSPHRASE: &str = "correct horse battery staple";
const MAGIC_LEN: usize = 14;
const CHECKSUM_LEN: usize = 32;

fn tiny() -> KdfParams {
    KdfParams::new(8, 1, 1).unwrap()
}

fn header() -> ShareHeader {
    ShareHeader {
        domain: "ee-registries".into(),
        epoch: 1,
        set_id: [0x5e; 16],
        chain_position: 3,
        domain_fingerprint: DomainFingerprint::from_bytes([0x7d; 32]),
        share_id: 2,
        official: "cio".into(),
        threshold: 3,
    }
}

fn share_bytes() -> Vec<u8> {
    (0u8..66).collect()
}

fn sealed() -> SealedShare {
    let plaintext = SecretBytes::new(share_bytes());
    SealedShare::seal(&plaintext, header(), &Passphrase::from(PASSPHRASE), tiny()).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Replaces the trailing checksum so an edit looks like a deliberate one, not accidental damage.
fn rechecksum(bytes: &mut [u8]) {
    let body_len = bytes.len() - CHECKSUM_LEN;
    let checksum = Sha256::digest(&bytes[..body_len]);
    bytes[body_len..].copy_from_slice(&checksum);
}

/// Offset of the KDF parameters: after magic, version, domain, epoch, set id, chain position,
/// domain fingerprint, share id, threshold and official (docs/FORMAT.md section 5, byte table).
fn kdf_offset(header: &ShareHeader) -> usize {
    MAGIC_LEN + 1 + 1 + header.domain.len() + 4 + 16 + 8 + 32 + 1 + 1 + 1 + header.official.len()
}

#[test]
fn round_trip_through_bytes() {
    let share = sealed();
    let bytes = share.to_bytes();
    let parsed = SealedShare::parse(&bytes).unwrap();
    assert_eq!(parsed, share);
    assert_eq!(parsed.to_bytes(), bytes);
    assert_eq!(parsed.header(), &header());
    assert_eq!(parsed.kdf_params(), &tiny());
    let opened = parsed.open(&Passphrase::from(PASSPHRASE)).unwrap();
    assert_eq!(opened.expose(), share_bytes().as_slice());
}

#[test]
fn sealing_twice_draws_fresh_salt_and_nonce() {
    assert_ne!(sealed().to_bytes(), sealed().to_bytes());
}

#[test]
fn fingerprint_is_sha256_of_the_file() {
    let share = sealed();
    assert_eq!(share.fingerprint(), hex(&Sha256::digest(share.to_bytes())));
    assert_eq!(share.fingerprint().len(), 64);
}

#[test]
fn wrong_passphrase_is_told_apart() {
    let share = SealedShare::parse(&sealed().to_bytes()).unwrap();
    for wrong in [
        "correct horse battery stapl",
        "Correct horse battery staple",
        "x",
    ] {
        let result = share.open(&Passphrase::from(wrong));
        assert!(
            matches!(result, Err(SealedShareError::WrongPassphrase)),
            "{wrong}"
        );
    }
}

/// The rule for accidental damage: any byte changed gives `Damaged` (the checksum), except the
/// magic (`NotAShareFile`) and the version byte (`UnsupportedVersion`). Never `WrongPassphrase`,
/// never a share.
#[test]
fn every_flipped_byte_is_damage_not_a_wrong_passphrase() {
    let bytes = sealed().to_bytes();
    for position in 0..bytes.len() {
        for mask in [0x01, 0x80, 0xff] {
            let mut flipped = bytes.clone();
            flipped[position] ^= mask;
            let error = SealedShare::parse(&flipped).unwrap_err();
            match position {
                0..MAGIC_LEN => assert!(matches!(error, SealedShareError::NotAShareFile)),
                MAGIC_LEN => assert!(matches!(error, SealedShareError::UnsupportedVersion(_))),
                _ => assert!(
                    matches!(error, SealedShareError::Damaged),
                    "byte {position} mask {mask:#x}: {error:?}"
                ),
            }
        }
    }
}

/// The rule for deliberate edits that also rewrite the checksum: the file is refused by the
/// parser, or fails to open with the right passphrase. Edits to what feeds the KDF (parameters,
/// salt) or to the commitment read as `WrongPassphrase` (a file's commitment is the only witness
/// of its passphrase); every other edit reads as `Damaged` (AES-GCM over the header). Never a share.
#[test]
fn every_deliberate_edit_is_refused() {
    let share = sealed();
    let bytes = share.to_bytes();
    let kdf_start = kdf_offset(share.header());
    let commitment_end = kdf_start + 12 + 32 + 32;
    let passphrase = Passphrase::from(PASSPHRASE);
    for position in 0..bytes.len() - CHECKSUM_LEN {
        let mut edited = bytes.clone();
        edited[position] ^= 0x01;
        rechecksum(&mut edited);
        let Ok(parsed) = SealedShare::parse(&edited) else {
            continue;
        };
        let error = parsed.open(&passphrase).unwrap_err();
        if (kdf_start..commitment_end).contains(&position) {
            assert!(
                matches!(error, SealedShareError::WrongPassphrase),
                "byte {position}: {error:?}"
            );
        } else {
            assert!(
                matches!(error, SealedShareError::Damaged),
                "byte {position}: {error:?}"
            );
        }
    }
}

#[test]
fn kdf_costs_past_the_bounds_are_refused_before_allocation() {
    let share = sealed();
    let bytes = share.to_bytes();
    let offset = kdf_offset(share.header());
    for field in 0..3 {
        let mut edited = bytes.clone();
        edited[offset + 4 * field..offset + 4 * field + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        rechecksum(&mut edited);
        let start = Instant::now();
        let error = SealedShare::parse(&edited).unwrap_err();
        assert!(
            start.elapsed() < Duration::from_millis(100),
            "took {:?}",
            start.elapsed()
        );
        assert!(
            matches!(error, SealedShareError::Kdf(_)),
            "field {field}: {error:?}"
        );
    }
    let start = Instant::now();
    assert!(matches!(
        KdfParams::new(u32::MAX, 1, 1),
        Err(KdfError::MemoryOutOfBounds { .. })
    ));
    assert!(start.elapsed() < Duration::from_millis(100));
}

#[test]
fn a_file_for_another_official_or_domain_is_refused() {
    let share = sealed();
    let other_official = ShareHeader {
        official: "cia".into(),
        ..header()
    };
    let other_domain = ShareHeader {
        domain: "lv-registries".into(),
        ..header()
    };
    let other_epoch = ShareHeader {
        epoch: 2,
        ..header()
    };
    for (expected, field) in [
        (other_official, "official"),
        (other_domain, "domain"),
        (other_epoch, "epoch"),
    ] {
        let error = share.expect(&expected).unwrap_err();
        assert!(
            matches!(error, SealedShareError::HeaderMismatch { field: f, .. } if f == field),
            "{field}"
        );
    }
    assert!(share.expect(&header()).is_ok());
}

#[test]
fn a_header_edited_to_another_official_does_not_open() {
    let share = sealed();
    let mut bytes = share.to_bytes();
    let official_at = kdf_offset(share.header()) - 3;
    assert_eq!(&bytes[official_at..official_at + 3], b"cio");
    bytes[official_at..official_at + 3].copy_from_slice(b"cia");
    rechecksum(&mut bytes);
    let renamed = SealedShare::parse(&bytes).unwrap();
    assert_eq!(renamed.header().official, "cia");
    assert!(renamed.expect(&header()).is_err());
    let error = renamed.open(&Passphrase::from(PASSPHRASE)).unwrap_err();
    assert!(matches!(error, SealedShareError::Damaged), "{error:?}");
}

#[test]
fn empty_truncated_and_oversized_inputs_get_clear_errors() {
    assert!(matches!(
        SealedShare::parse(&[]),
        Err(SealedShareError::Empty)
    ));
    let bytes = sealed().to_bytes();
    for len in 1..bytes.len() {
        let error = SealedShare::parse(&bytes[..len]).unwrap_err();
        assert!(
            matches!(
                error,
                SealedShareError::Truncated { .. } | SealedShareError::Damaged
            ),
            "length {len}: {error:?}"
        );
    }
    let mut oversized = bytes.clone();
    oversized.resize(MAX_FILE_LEN + 1, 0);
    assert!(matches!(
        SealedShare::parse(&oversized),
        Err(SealedShareError::TooLarge { .. })
    ));
    let mut trailing = bytes;
    trailing.push(0);
    assert!(SealedShare::parse(&trailing).is_err());
}

#[test]
fn a_length_field_that_disagrees_with_the_file_is_malformed() {
    let mut bytes = sealed().to_bytes();
    let plaintext_len_at = bytes.len() - CHECKSUM_LEN - 66 - 16 - 2;
    bytes[plaintext_len_at + 1] = 65;
    rechecksum(&mut bytes);
    assert!(matches!(
        SealedShare::parse(&bytes),
        Err(SealedShareError::Malformed(_))
    ));
}

#[test]
fn non_share_files_are_named_as_such() {
    for text in [&b"{\"manifest\": 1}"[..], b"%PDF-1.7", b"CUSTODY-ARCHIVE\0"] {
        assert!(matches!(
            SealedShare::parse(text),
            Err(SealedShareError::NotAShareFile)
        ));
    }
}

proptest! {
    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        prop_assert!(SealedShare::parse(&bytes).is_err());
    }

    /// Garbage behind a valid magic, version and checksum reaches every field parser.
    #[test]
    fn checksummed_garbage_never_panics(body in proptest::collection::vec(any::<u8>(), 0..1500)) {
        let mut bytes = b"CUSTODY-SHARE\0\x01".to_vec();
        bytes.extend_from_slice(&body);
        bytes.extend_from_slice(&Sha256::digest(&bytes));
        if let Ok(share) = SealedShare::parse(&bytes) {
            prop_assert_eq!(share.to_bytes(), bytes);
        }
    }
}

#[test]
fn reseal_changes_the_passphrase_and_keeps_the_share() {
    let share = sealed();
    let old = Passphrase::from(PASSPHRASE);
    let new = Passphrase::from("a different passphrase");
    let resealed = share.reseal(&old, &new, tiny()).unwrap();
    assert_eq!(resealed.header(), share.header());
    assert_ne!(resealed.to_bytes(), share.to_bytes());
    assert_eq!(
        resealed.open(&new).unwrap().expose(),
        share_bytes().as_slice()
    );
    assert!(matches!(
        resealed.open(&old),
        Err(SealedShareError::WrongPassphrase)
    ));
    assert!(matches!(
        share.reseal(&new, &new, tiny()),
        Err(SealedShareError::WrongPassphrase)
    ));
}

#[test]
fn sealing_refuses_what_no_share_file_may_hold() {
    let passphrase = Passphrase::from(PASSPHRASE);
    let seal = |plaintext: Vec<u8>, header, passphrase: &Passphrase| {
        SealedShare::seal(&SecretBytes::new(plaintext), header, passphrase, tiny())
    };
    assert!(matches!(
        seal(share_bytes(), header(), &Passphrase::from("")),
        Err(SealedShareError::EmptyPassphrase)
    ));
    for len in [0, 1025] {
        assert!(matches!(
            seal(vec![1; len], header(), &passphrase),
            Err(SealedShareError::PlaintextLength { .. })
        ));
    }
    let bad_header = ShareHeader {
        share_id: 0,
        ..header()
    };
    assert!(matches!(
        seal(share_bytes(), bad_header, &passphrase),
        Err(SealedShareError::InvalidField {
            field: "share_id",
            ..
        })
    ));
}

#[test]
fn debug_and_errors_never_show_secrets() {
    let passphrase = Passphrase::from(PASSPHRASE);
    let salt = [0x33; kdf::SALT_LEN];
    let plaintext = SecretBytes::new(share_bytes());
    let share = SealedShare::seal_with(&plaintext, header(), &passphrase, tiny(), salt, [0x44; 12])
        .unwrap();
    let keys = SealKeys::derive(&passphrase, &salt, &tiny()).unwrap();
    let stretched = kdf::derive(&passphrase, &salt, &tiny()).unwrap();
    let opened = share.open(&passphrase).unwrap();
    let errors = [
        share.open(&Passphrase::from("wrong")).unwrap_err(),
        SealedShare::parse(&[1]).unwrap_err(),
        share
            .expect(&ShareHeader {
                epoch: 9,
                ..header()
            })
            .unwrap_err(),
    ];
    let mut printed = vec![
        format!("{share:?}"),
        format!("{keys:?}"),
        format!("{stretched:?}"),
        format!("{opened:?}"),
        format!("{passphrase:?}"),
    ];
    for error in &errors {
        printed.push(format!("{error:?}"));
        printed.push(error.to_string());
    }
    let forbidden = [
        PASSPHRASE.to_owned(),
        hex(&share_bytes()[..8]),
        format!("{:?}", &share_bytes()[..8]),
        hex(&keys.encryption_key()[..8]),
        format!("{:?}", &keys.encryption_key()[..8]),
        hex(&stretched.expose()[..8]),
    ];
    for text in &printed {
        for secret in &forbidden {
            assert!(!text.contains(secret.as_str()), "{text} contains a secret");
        }
    }
}

#[test]
fn worked_example_of_the_format_document() {
    let example = common::format_doc::section("### 5.10 Worked example");
    let value = |name| common::format_doc::example_value(&example, name);

    let passphrase = Passphrase::from(String::from_utf8(value("passphrase")).unwrap());
    let salt: [u8; 32] = value("salt").try_into().unwrap();
    let nonce: [u8; 12] = value("nonce").try_into().unwrap();
    let plaintext = SecretBytes::new(value("share-plaintext"));
    // The header fields and KDF costs of the example; the `header` value checks them byte by byte.
    let params = KdfParams::new(64, 2, 1).unwrap();
    let example_header = ShareHeader {
        domain: "ee-registries".into(),
        epoch: 1,
        set_id: (0x10..0x20).collect::<Vec<u8>>().try_into().unwrap(),
        chain_position: 1,
        domain_fingerprint: DomainFingerprint::from_bytes(
            (0x40..0x60).collect::<Vec<u8>>().try_into().unwrap(),
        ),
        share_id: 2,
        official: "cio".into(),
        threshold: 3,
    };

    let stretched = kdf::derive(&passphrase, &salt, &params).unwrap();
    assert_eq!(stretched.expose(), value("argon2id-output").as_slice());
    let keys = SealKeys::from_stretched(&stretched);
    assert_eq!(
        keys.encryption_key().as_slice(),
        value("encryption-key").as_slice()
    );
    assert_eq!(
        keys.commitment().as_slice(),
        value("key-commitment").as_slice()
    );

    let share =
        SealedShare::seal_with(&plaintext, example_header, &passphrase, params, salt, nonce)
            .unwrap();
    let file = share.to_bytes();
    let header_len = value("header").len();
    let ciphertext_len = value("ciphertext-and-tag").len();
    assert_eq!(&file[..header_len], value("header").as_slice());
    assert_eq!(
        &file[header_len..header_len + ciphertext_len],
        value("ciphertext-and-tag").as_slice()
    );
    assert_eq!(
        &file[header_len + ciphertext_len..],
        value("checksum").as_slice()
    );
    assert_eq!(file, value("file"));
    assert_eq!(share.fingerprint(), hex(&value("fingerprint")));
    assert_eq!(
        SealedShare::parse(&file)
            .unwrap()
            .open(&passphrase)
            .unwrap()
            .expose(),
        plaintext.expose()
    );
}
