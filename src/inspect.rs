//! Layer 6 (beside the ceremonies): the public facts of any custody file, for `custody inspect`.
//! It recognises the file (a share file, an archive, a contribution request or a contribution by
//! its magic bytes or text form, a catalog batch by its first member, a manifest as JSON),
//! parses it with the owning layer's strict reader, and reports what that file states in the
//! clear. Adding a file type is one more arm in `recognise` and one more [`FileFacts`] variant.
//!
//! It must never open, decrypt or report secret material: nothing here takes a passphrase or a
//! token, and a share file's or an archive's facts come from its public header only (an
//! archive's header is reported unauthenticated: only `custody verify` can check its MAC).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::archive::{self, ArchiveError, PublicHeader};
use crate::catalog;
use crate::domain::manifest::{Manifest, ManifestError, MAX_MANIFEST_LEN};
use crate::domain::Timestamp;
use crate::files::read_at_most;
use crate::remote::{contribution, request, Contribution, Request};
use crate::shares::sealed::{SealedShare, SealedShareError, FORMAT_VERSION, MAGIC, MAX_FILE_LEN};

/// What a custody file states about itself.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FileFacts {
    /// A sealed share file.
    ShareFile(ShareFileFacts),
    /// A manifest.
    Manifest(Box<ManifestFacts>),
    /// A sealed archive.
    Archive(ArchiveFacts),
    /// A contribution request (remote contribution).
    Request(RequestFacts),
    /// A contribution (remote contribution): its public header only.
    Contribution(ContributionFacts),
    /// A batch of an archive store's catalog (its own form only: `custody catalog verify` checks
    /// the chain and the store).
    CatalogBatch(CatalogBatchFacts),
}

/// What a catalog batch states.
#[derive(Debug, Serialize)]
pub struct CatalogBatchFacts {
    /// Always `custody-catalog-batch`.
    pub format: &'static str,
    /// Its sequence number.
    pub batch: u64,
    /// When it was written (RFC 3339).
    pub written: String,
    /// How many entries it holds.
    pub entries: usize,
    /// How many record an archive sealed.
    pub sealed: usize,
    /// How many record an archive rewrapped.
    pub rewrapped: usize,
    /// How many record an archive removed.
    pub removed: usize,
    /// The digest of the batch before it, hex.
    pub prev: String,
    /// Its own digest (SHA-256 of its bytes, the next batch's `prev`), hex.
    pub digest: String,
}

/// What a contribution request states.
#[derive(Debug, Serialize)]
pub struct RequestFacts {
    /// Always `custody-request`.
    pub format: &'static str,
    /// The ceremony its contributions may be used for.
    pub purpose: &'static str,
    /// Domain id.
    pub domain: String,
    /// The domain fingerprint, hex.
    pub domain_fingerprint: String,
    /// The digest of the manifest it was made for, hex.
    pub manifest_digest: String,
    /// That manifest's chain position.
    pub chain_position: u64,
    /// Its epoch.
    pub epoch: u32,
    /// The ceremony id, hex.
    pub ceremony_id: String,
    /// When it was made (RFC 3339).
    pub created: String,
    /// When it expires (RFC 3339).
    pub expires: String,
    /// The request fingerprint, hex: what is read aloud.
    pub fingerprint: String,
}

/// What a contribution's public header states; its contents are encrypted.
#[derive(Debug, Serialize)]
pub struct ContributionFacts {
    /// Always `custody-contribution`.
    pub format: &'static str,
    /// The ceremony it may be used for.
    pub purpose: &'static str,
    /// The fingerprint of the request it answers, hex.
    pub request: String,
    /// The ceremony id, hex.
    pub ceremony_id: String,
    /// The official who made it.
    pub official: String,
}

/// The public header of a sealed share file.
#[derive(Debug, Serialize)]
pub struct ShareFileFacts {
    /// Always `custody-share`.
    pub format: &'static str,
    /// The share file format version.
    pub version: u8,
    /// Domain id.
    pub domain: String,
    /// Epoch of the domain key.
    pub epoch: u32,
    /// Share set id, hex.
    pub set_id: String,
    /// Chain position of the manifest that made the share set.
    pub chain_position: u64,
    /// The domain fingerprint, hex: the domain's identity.
    pub domain_fingerprint: String,
    /// The official whose share it is.
    pub official: String,
    /// The share's identifier.
    pub share_id: u8,
    /// Shares needed to rebuild the key.
    pub threshold: u8,
    /// argon2id costs.
    pub kdf: KdfFacts,
    /// SHA-256 of the file, hex, as a manifest records it.
    pub fingerprint: String,
}

/// argon2id costs of a share file.
#[derive(Debug, Serialize)]
pub struct KdfFacts {
    /// Memory, KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

/// The public header of a sealed archive, as it reads before anything is authenticated.
#[derive(Debug, Serialize)]
pub struct ArchiveFacts {
    /// Always `custody-archive`.
    pub format: &'static str,
    /// The archive format version.
    pub version: u8,
    /// Domain id whose key wraps the data key.
    pub domain: String,
    /// Epoch of that domain key.
    pub epoch: u32,
    /// Key id of that domain key, hex.
    pub key_id: String,
    /// Wrap check value of the domain key that sealed it, hex.
    pub wrap_check: String,
    /// The wrapped data key (RFC 3394), hex: public, useless without the domain key.
    pub wrapped_key: String,
    /// Plaintext bytes per chunk.
    pub chunk_size: u32,
    /// Original file name, if recorded.
    pub name: Option<String>,
    /// Payload length in bytes, if recorded.
    pub size: Option<u64>,
    /// Media type, if recorded.
    pub content_type: Option<String>,
    /// Creation time (RFC 3339, UTC), if recorded.
    pub created: Option<String>,
    /// Header length in bytes, MAC included.
    pub header_len: usize,
    /// Archive length in bytes.
    pub archive_len: u64,
    /// Always false: the header MAC needs the data key, which only the token can unwrap.
    pub authenticated: bool,
}

/// A manifest and its digest.
#[derive(Debug, Serialize)]
pub struct ManifestFacts {
    /// Every field of the manifest.
    #[serde(flatten)]
    pub manifest: Manifest,
    /// SHA-256 of the canonical encoding, hex.
    pub digest: String,
}

/// Why a file could not be inspected.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// The file could not be read.
    #[error("{}: cannot be read: {source}", .file.display())]
    Unreadable {
        /// The file.
        file: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A ceremony transcript: the audit reads it, with the domain directory.
    #[error("{}: a ceremony transcript, which `custody audit` checks", .file.display())]
    Transcript {
        /// The file.
        file: PathBuf,
    },
    /// No custody file.
    #[error(
        "{}: not a custody file (not a sealed share file, a manifest, an archive, a contribution \
         request or a contribution)",
        .file.display()
    )]
    Unknown {
        /// The file.
        file: PathBuf,
    },
    /// A share file that its reader refused.
    #[error("share file {}: {source}", .file.display())]
    ShareFile {
        /// The file.
        file: PathBuf,
        /// Why.
        source: SealedShareError,
    },
    /// A manifest that its reader refused.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A contribution request or a contribution that its reader refused.
    #[error("{what} {}: {reason}", .file.display())]
    Remote {
        /// `request` or `contribution`.
        what: &'static str,
        /// The file.
        file: PathBuf,
        /// Why.
        reason: String,
    },
    /// A catalog batch that its reader refused.
    #[error("catalog batch {}{}: {reason}", .file.display(), .line.map(|l| format!(", line {l}")).unwrap_or_default())]
    CatalogBatch {
        /// The file.
        file: PathBuf,
        /// The line, when the problem is on one.
        line: Option<usize>,
        /// Why.
        reason: String,
    },
    /// An archive whose header its reader refused.
    #[error("archive {}: {source}", .file.display())]
    Archive {
        /// The file.
        file: PathBuf,
        /// Why.
        source: ArchiveError,
    },
}

impl InspectError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Unreadable { .. } => "check the path and that you may read the file",
            Self::Transcript { .. } => {
                "run custody audit on the domain directory that holds it (its chain, signatures \
                 and the manifest it records)"
            }
            Self::Unknown { .. } => {
                "custody inspect reads share files (*.share), manifests (manifest.json), archives \
                 (*.custody), contribution requests and contributions"
            }
            Self::ShareFile { .. } => "restore the share file from a backup copy",
            Self::Remote { .. } => "ask its sender for the file again, as custody wrote it",
            Self::CatalogBatch { .. } => {
                "check the whole catalog with its store: custody catalog verify STORE"
            }
            Self::Manifest(error) => error.problem.hint(),
            Self::Archive { source, .. } => source.hint(),
        }
    }
}

/// Reads `path` (at most as much as the largest custody file it reads whole; of an archive only
/// the header matters; an `s3://` URL is an archive in an object store) and inspects it.
pub fn inspect_file(path: &Path) -> Result<FileFacts, InspectError> {
    let unreadable = |source| InspectError::Unreadable {
        file: path.to_path_buf(),
        source,
    };
    if let Some((store, name)) = crate::store::archive_at(path).map_err(|e| unreadable(e.into()))? {
        let head = store
            .read_head(&name, archive::MAX_HEADER_LEN)
            .map_err(|e| unreadable(e.into()))?;
        let archive_len = store.archive_len(&name).map_err(|e| unreadable(e.into()))?;
        return archive_facts(&head, archive_len).map_err(|source| InspectError::Archive {
            file: path.to_path_buf(),
            source,
        });
    }
    let bytes = read_at_most(path, MAX_FILE_LEN.max(MAX_MANIFEST_LEN)).map_err(unreadable)?;
    if bytes.starts_with(archive::MAGIC) {
        let archive_len = std::fs::metadata(path).map_err(unreadable)?.len();
        return archive_facts(&bytes, archive_len).map_err(|source| InspectError::Archive {
            file: path.to_path_buf(),
            source,
        });
    }
    if bytes.starts_with(b"{\"catalog\":") {
        let bytes = read_at_most(path, catalog::MAX_BATCH_LEN).map_err(unreadable)?;
        return catalog_facts(&bytes, path);
    }
    recognise(&bytes, path)
}

/// A catalog batch's facts, read on its own.
fn catalog_facts(bytes: &[u8], path: &Path) -> Result<FileFacts, InspectError> {
    let batch =
        catalog::parse_batch_alone(bytes).map_err(|(line, reason)| InspectError::CatalogBatch {
            file: path.to_path_buf(),
            line,
            reason,
        })?;
    let count = |event| {
        batch
            .entries
            .iter()
            .filter(|entry| entry.event() == event)
            .count()
    };
    Ok(FileFacts::CatalogBatch(CatalogBatchFacts {
        format: "custody-catalog-batch",
        batch: batch.sequence,
        written: Timestamp::from_unix_seconds(batch.time)
            .map_or_else(|| batch.time.to_string(), |t| t.to_string()),
        entries: batch.entries.len(),
        sealed: count(catalog::Event::Sealed),
        rewrapped: count(catalog::Event::Rewrapped),
        removed: count(catalog::Event::Removed),
        prev: hex::encode(batch.prev),
        digest: hex::encode(batch.digest),
    }))
}

/// One arm per file type, recognised by how the file begins.
fn recognise(bytes: &[u8], path: &Path) -> Result<FileFacts, InspectError> {
    if bytes.starts_with(MAGIC) {
        let sealed = SealedShare::parse(bytes).map_err(|source| InspectError::ShareFile {
            file: path.to_path_buf(),
            source,
        })?;
        return Ok(FileFacts::ShareFile(share_facts(&sealed)));
    }
    if let Some(facts) = remote_facts(bytes, path)? {
        return Ok(facts);
    }
    if bytes.starts_with(b"{\"seq\":") {
        return Err(InspectError::Transcript {
            file: path.to_path_buf(),
        });
    }
    if bytes.trim_ascii_start().starts_with(b"{") {
        let manifest = Manifest::parse(bytes).map_err(|error| error.in_file(path))?;
        let digest = manifest.digest().to_string();
        return Ok(FileFacts::Manifest(Box::new(ManifestFacts {
            manifest,
            digest,
        })));
    }
    Err(InspectError::Unknown {
        file: path.to_path_buf(),
    })
}

/// A contribution request or a contribution, binary or in its text form; `None` for any other
/// file.
fn remote_facts(bytes: &[u8], path: &Path) -> Result<Option<FileFacts>, InspectError> {
    let refused = |what, reason: String| InspectError::Remote {
        what,
        file: path.to_path_buf(),
        reason,
    };
    let time = |seconds: u64| {
        Timestamp::from_unix_seconds(seconds).map_or_else(|| seconds.to_string(), |t| t.to_string())
    };
    if bytes.starts_with(request::MAGIC) || bytes.starts_with(b"-----BEGIN CUSTODY REQUEST-----") {
        let request = Request::parse(bytes).map_err(|e| refused("request", e.to_string()))?;
        return Ok(Some(FileFacts::Request(RequestFacts {
            format: "custody-request",
            purpose: request.purpose.name(),
            domain: request.domain.to_string(),
            domain_fingerprint: request.domain_fingerprint.to_string(),
            manifest_digest: hex::encode(request.manifest_digest),
            chain_position: request.chain_position,
            epoch: request.epoch,
            ceremony_id: hex::encode(request.ceremony_id),
            created: time(request.created),
            expires: time(request.expires),
            fingerprint: request.fingerprint().to_string(),
        })));
    }
    if bytes.starts_with(contribution::MAGIC)
        || bytes.starts_with(b"-----BEGIN CUSTODY CONTRIBUTION-----")
    {
        let contribution =
            Contribution::parse(bytes).map_err(|e| refused("contribution", e.to_string()))?;
        return Ok(Some(FileFacts::Contribution(ContributionFacts {
            format: "custody-contribution",
            purpose: contribution.purpose.name(),
            request: contribution.request.to_string(),
            ceremony_id: hex::encode(contribution.ceremony_id),
            official: contribution.official,
        })));
    }
    Ok(None)
}

fn archive_facts(bytes: &[u8], archive_len: u64) -> Result<FileFacts, ArchiveError> {
    let PublicHeader {
        version,
        spec,
        wrap_check,
        wrapped_key,
        len,
        ..
    } = archive::read_header(bytes)?;
    let metadata = spec.metadata;
    Ok(FileFacts::Archive(ArchiveFacts {
        format: "custody-archive",
        version,
        domain: spec.identity.domain.to_string(),
        epoch: spec.identity.epoch,
        key_id: spec.identity.key_id.to_string(),
        wrap_check: wrap_check.to_string(),
        wrapped_key: hex::encode(wrapped_key.0),
        chunk_size: spec.chunk_size.get(),
        name: metadata.name,
        size: metadata.size,
        content_type: metadata.content_type,
        created: metadata.created.map(|seconds| {
            Timestamp::from_unix_seconds(seconds)
                .map_or_else(|| format!("{seconds} s after 1970"), |t| t.to_string())
        }),
        header_len: len,
        archive_len,
        authenticated: false,
    }))
}

fn share_facts(sealed: &SealedShare) -> ShareFileFacts {
    let header = sealed.header();
    let kdf = sealed.kdf_params();
    ShareFileFacts {
        format: "custody-share",
        version: FORMAT_VERSION,
        domain: header.domain.clone(),
        epoch: header.epoch,
        set_id: hex::encode(header.set_id),
        chain_position: header.chain_position,
        domain_fingerprint: header.domain_fingerprint.to_string(),
        official: header.official.clone(),
        share_id: header.share_id,
        threshold: header.threshold,
        kdf: KdfFacts {
            memory_kib: kdf.memory_kib(),
            iterations: kdf.iterations(),
            parallelism: kdf.parallelism(),
        },
        fingerprint: sealed.fingerprint(),
    }
}
