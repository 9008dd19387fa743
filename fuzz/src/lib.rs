//! What the fuzz targets share: the fixed, public test keys the archive targets open with and the
//! signature targets verify with, a way past the sealed share file's checksum, and a scratch file
//! for the readers that take a path.
//! No parsing lives here: every target calls custody's own readers (docs/FUZZING.md).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use custody::archive::{seal_with_key, ArchiveSpec, ChunkSize, Metadata, WrappedUnder};
use custody::hsm::WrappedKey;
use custody::primitives::domain_id::DomainId;
use custody::primitives::key_identity::{KeyId, WrapCheck};
use custody::primitives::key_ref::KeyRef;
use custody::primitives::secret::{DataKey, DomainKey};
use custody::primitives::signature::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The data key of docs/FORMAT.md 7.5 (bytes 00..1f): public, for fuzzing only.
pub fn data_key() -> DataKey {
    let mut bytes: [u8; 32] = std::array::from_fn(|i| i as u8);
    DataKey::from_bytes(&mut bytes)
}

/// The domain key of docs/FORMAT.md 10.5 (bytes 00..1f): public, for fuzzing only.
pub fn domain_key() -> DomainKey {
    let mut bytes: [u8; 32] = std::array::from_fn(|i| i as u8);
    DomainKey::from_bytes(&mut bytes)
}

/// The verifying key of [`domain_key`], derived once.
pub fn verifying_key() -> &'static VerifyingKey {
    static KEY: OnceLock<VerifyingKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::derive(&domain_key()).verifying_key())
}

/// The wrapped key of the worked example (a0..c7); the fuzz targets never unwrap it.
pub fn wrapped_key() -> WrappedKey {
    WrappedKey((0xa0..=0xc7).collect())
}

/// An archive spec like the worked example's, with the smallest chunk size so that short inputs
/// span several chunks; `size` declares the payload length when given.
pub fn archive_spec(size: Option<u64>) -> ArchiveSpec {
    ArchiveSpec {
        identity: KeyRef {
            domain: DomainId::new("ee-registries").unwrap(),
            epoch: 1,
            key_id: KeyId::from_bytes([0x19; 32]),
        },
        metadata: Metadata {
            size,
            ..Metadata::default()
        },
        chunk_size: ChunkSize::new(ChunkSize::MIN).unwrap(),
    }
}

/// Seals `payload` under [`data_key`] with [`archive_spec`]: a valid archive to tamper with.
pub fn seal(payload: &[u8], declare_size: bool) -> Vec<u8> {
    let size = declare_size.then_some(payload.len() as u64);
    let mut archive = Vec::new();
    seal_with_key(
        &data_key(),
        WrappedUnder {
            wrap_check: &WrapCheck::from_bytes([0xb0; 40]),
            wrapped_key: &wrapped_key(),
        },
        [0x20; 32],
        &archive_spec(size),
        payload,
        &mut archive,
        &|_| {},
    )
    .unwrap();
    archive
}

/// `body` followed by its SHA-256: how a sealed share file ends. Lets the fuzzer reach the
/// fields behind the checksum instead of stopping at "damaged".
pub fn with_checksum(body: &[u8]) -> Vec<u8> {
    let mut file = body.to_vec();
    file.extend_from_slice(&Sha256::digest(body));
    file
}

/// A scratch file of this process (libFuzzer may run several), rewritten with `bytes`. It lives
/// in `$TMPDIR`, which `scripts/fuzz.sh` points at a directory it removes afterwards.
pub fn scratch_file(bytes: &[u8]) -> &'static Path {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    let file = FILE.get_or_init(|| {
        std::env::temp_dir().join(format!("custody-fuzz-{}.input", std::process::id()))
    });
    std::fs::write(file, bytes).unwrap();
    file
}
