//! Shared fixture of the archive tests: a SoftHSM token holding a known domain key, sealing and
//! opening helpers, and a forge for STREAM edge cases no honest writer produces.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use super::common;

use std::path::Path;

use common::TestToken;
use custody::archive::{
    self, Archive, ArchiveError, ArchiveKeys, ArchiveSpec, ArchiveSummary, ChunkSize, KeyWrap,
    Metadata, PublicHeader, TokenKey,
};
use custody::hsm::{KeySelector, Persistence, TokenSession};
use custody::primitives::domain_id::DomainId;
use custody::primitives::key_identity::{KeyId, WrapCheck};
use custody::primitives::key_ref::KeyRef;
use custody::primitives::secret::DomainKey;

pub const CHUNK: usize = 4096;
pub const SEGMENT: usize = CHUNK + 16;
pub const LABEL: &str = "custody:ee-registries:e1";

pub struct Fixture {
    pub _token: TestToken,
    pub session: TokenSession,
    pub dir: tempfile::TempDir,
    /// The wrap check value of the key on this fixture's token.
    pub wrap_check: WrapCheck,
}

/// A token holding `key` under the name of the archives `spec` makes: the key of epoch 1 of
/// `ee-registries`, key id of the key 0x42… (so another `key` plays a wrong key of that name).
pub fn fixture_with(key: [u8; 32]) -> Fixture {
    let token = TestToken::new();
    let session = token.session();
    let name = KeySelector::domain_key(&spec().identity);
    assert_eq!(name.label.as_deref(), Some(LABEL));
    let domain_key = DomainKey::from_bytes(&mut key.clone());
    session
        .import_domain_key(&domain_key, LABEL, &name.id.unwrap(), Persistence::Token)
        .unwrap();
    Fixture {
        _token: token,
        session,
        dir: tempfile::tempdir().unwrap(),
        wrap_check: WrapCheck::of(&domain_key),
    }
}

pub fn fixture() -> Fixture {
    fixture_with([0x42; 32])
}

pub fn identity(key: [u8; 32], epoch: u32) -> KeyRef {
    KeyRef {
        domain: DomainId::new("ee-registries").unwrap(),
        epoch,
        key_id: KeyId::of(&DomainKey::from_bytes(&mut key.clone())),
    }
}

pub fn spec() -> ArchiveSpec {
    ArchiveSpec {
        identity: identity([0x42; 32], 1),
        metadata: Metadata::default(),
        chunk_size: ChunkSize::new(4096).unwrap(),
    }
}

/// Deterministic, non-repeating payload bytes.
pub fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 31 + i / 251) % 256) as u8).collect()
}

pub fn no_progress(_: u64) {}

impl Fixture {
    /// The domain key the archives of `spec` name, on this fixture's token, proven against its
    /// own wrap check value (so a fixture with another key plays a token whose key unwraps
    /// nothing of the archives it is shown).
    pub fn key(&self) -> TokenKey<'_> {
        TokenKey::find(&self.session, &spec().identity, &self.wrap_check).unwrap()
    }

    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        archive::seal(&self.key(), &spec(), plaintext, &mut out, &no_progress).unwrap();
        out
    }

    pub fn destination(&self) -> std::path::PathBuf {
        self.dir.path().join("restored.bin")
    }

    /// Opens to a file; on failure asserts the directory holds nothing at all.
    pub fn open_file(&self, bytes: &[u8]) -> Result<ArchiveSummary, ArchiveError> {
        let result = Archive::read(bytes)
            .and_then(|a| a.open_to_file(&self.key(), &self.destination(), &no_progress));
        if result.is_err() {
            assert_empty(self.dir.path());
        }
        result
    }

    /// The error a damaged archive gives; also checks `verify` gives the same one.
    pub fn refused(&self, bytes: &[u8]) -> ArchiveError {
        let error = self.open_file(bytes).unwrap_err();
        let verified = Archive::read(bytes)
            .and_then(|a| a.verify(&self.key(), &no_progress))
            .unwrap_err();
        assert_eq!(verified.to_string(), error.to_string());
        assert!(!error.hint().is_empty());
        error
    }

    pub fn data_key_and_header(&self, bytes: &[u8]) -> (ArchiveKeys, PublicHeader) {
        let header = archive::read_header(bytes).unwrap();
        let data_key = self.key().unwrap(&header.wrapped_key).unwrap();
        (ArchiveKeys::derive(&data_key, &header.salt), header)
    }

    /// An archive whose payload is `chunks`, each (plaintext, final flag), sealed in order with
    /// the real payload key: the kit for STREAM edge cases no honest writer produces.
    pub fn forge(&self, chunks: &[(Vec<u8>, bool)]) -> Vec<u8> {
        let honest = self.seal(b"x");
        let (keys, header) = self.data_key_and_header(&honest);
        let cipher = archive::stream::PayloadCipher::new(keys.payload_key()).unwrap();
        let mut out = honest[..header.len].to_vec();
        for (index, (plaintext, last)) in chunks.iter().enumerate() {
            let mut buffer = plaintext.clone();
            let tag = cipher.seal_chunk(index as u64, *last, &mut buffer).unwrap();
            out.extend_from_slice(&buffer);
            out.extend_from_slice(&tag);
        }
        out
    }
}

pub fn assert_empty(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
