//! The manifest: the public, versioned JSON description of one share set of a domain — domain,
//! epoch, set id, threshold, the officials with their share ids and share-file fingerprints, the
//! verifier set, the key id, KCV and wrap check value, when and by which custody it was made, the
//! share sets of the domain that were revoked, and its link in the signed manifest chain: its
//! position, its predecessor's digest, the domain fingerprint, its epoch's verifying key and the
//! signature of the quorum that made it (normative text: docs/FORMAT.md section 6).
//!
//! This module owns the typed manifest, loading it (size cap, strict JSON, every rule checked in
//! `wire`), writing it (pretty JSON, atomically), its signed content (everything but the signature
//! and the share-file fingerprints, which a reseal changes), its canonical encoding and digest,
//! and signing it. A `Manifest` value is always valid; whether its signature verifies is
//! `domain::chain`'s to check, with the manifest before it (or its own key at position 0). It must never hold or
//! accept secret material other than the signing key it is handed to sign with.

mod digest;
mod error;
mod revocation;
mod tokens;
mod wire;

use std::path::Path;

pub use digest::ManifestDigest;
pub use error::{ManifestError, ManifestProblem};
pub use revocation::{RevokedSet, MAX_REASON_CHARS};
pub use tokens::{EnrolledToken, MAX_TOKENS, MAX_TOKEN_TEXT_CHARS};

use crate::domain::identifier;
use crate::domain::official::{Official, OfficialId};
use crate::domain::timestamp::Timestamp;
use crate::files::{read_at_most, write_atomic_public};
use crate::primitives::domain_id::DomainId;
use crate::primitives::key_identity::{Kcv, KeyId, WrapCheck};
use crate::primitives::key_ref::KeyRef;
use crate::primitives::signature::{
    Context, DomainFingerprint, Signature, SigningKey, VerifyingKey,
};
use crate::shares::sealed::SET_ID_LEN;
use crate::shares::VerifierSet;
use wire::ManifestJson;

/// The `format` field of every manifest.
pub const FORMAT: &str = "custody-manifest";
/// The manifest version this build writes and reads.
pub const VERSION: u64 = 4;
/// Inputs larger than this are refused before parsing.
pub const MAX_MANIFEST_LEN: usize = 1024 * 1024;

/// One official's line in the manifest: who they are, which share they hold, and the SHA-256
/// fingerprint of their sealed share file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficialEntry {
    official: Official,
    share_id: u8,
    share_fingerprint: String,
}

impl OfficialEntry {
    /// An entry; the manifest that takes it checks the share id and fingerprint.
    pub fn new(official: Official, share_id: u8, share_fingerprint: impl Into<String>) -> Self {
        Self {
            official,
            share_id,
            share_fingerprint: share_fingerprint.into(),
        }
    }

    /// The official.
    pub fn official(&self) -> &Official {
        &self.official
    }

    /// Their share's identifier, 1..=n.
    pub fn share_id(&self) -> u8 {
        self.share_id
    }

    /// Lower-case hex SHA-256 of their sealed share file ([`crate::shares::sealed::SealedShare::fingerprint`]).
    pub fn share_fingerprint(&self) -> &str {
        &self.share_fingerprint
    }
}

/// What a new manifest states; [`Manifest::new`] checks it and adds the tool version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestFields {
    /// Domain id, `[a-z0-9-]{1,64}`.
    pub domain: String,
    /// Generation of the domain key.
    pub epoch: u32,
    /// Id of the share set.
    pub set_id: [u8; SET_ID_LEN],
    /// Every official with their share; the share ids are exactly 1..=n.
    pub officials: Vec<OfficialEntry>,
    /// The share set's verifier set; its threshold is the manifest's.
    pub verifier_set: VerifierSet,
    /// Commitment to the domain key.
    pub key_id: KeyId,
    /// Key check value of the domain key.
    pub kcv: Kcv,
    /// Wrap check value of the domain key: what a token proves its key against.
    pub wrap_check: WrapCheck,
    /// When the share set was made.
    pub created: Timestamp,
    /// Earlier share sets of the domain, refused from now on; never the current set.
    pub revoked_sets: Vec<RevokedSet>,
    /// The tokens the key of this epoch is enrolled on; at least one.
    pub tokens: Vec<EnrolledToken>,
    /// Where the manifest stands in the domain's signed chain.
    pub link: ChainLink,
}

/// A manifest's place in the domain's signed manifest chain (docs/FORMAT.md, 6.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLink {
    /// 0 for the genesis manifest, one more for each manifest after it.
    pub position: u64,
    /// The digest of the manifest before it; `None` exactly at position 0.
    pub previous: Option<ManifestDigest>,
    /// The domain's identity: the fingerprint of the genesis manifest's verifying key.
    pub domain_fingerprint: DomainFingerprint,
    /// The verifying key of this manifest's epoch: it signs the manifest after this one.
    pub verifying_key: VerifyingKey,
}

/// A validated manifest, with its canonical encoding, digest and signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    fields: ManifestFields,
    key_ref: KeyRef,
    tool_version: String,
    canonical: Vec<u8>,
    digest: ManifestDigest,
    signature: Signature,
}

impl Manifest {
    /// A new manifest written by this custody, signed by `signer` — the key of the genesis
    /// manifest's own epoch at position 0, otherwise the key of the manifest before it — and
    /// checked against every rule a reader applies.
    pub fn new(fields: ManifestFields, signer: &SigningKey) -> Result<Self, ManifestError> {
        let tool_version: String = env!("CARGO_PKG_VERSION").into();
        let (canonical, digest) = signed_content(&fields, &tool_version)?;
        let signature = signer
            .sign(Context::Manifest, digest.as_bytes())
            .map_err(|error| ManifestError::new(ManifestProblem::Signing(error)))?;
        let draft = Self::assemble(fields, tool_version, signature)?;
        debug_assert_eq!(draft.canonical, canonical);
        wire::validate(ManifestJson::from(&draft))
    }

    /// Parses and validates manifest bytes (size cap first, then strict JSON, then every rule).
    pub fn parse(bytes: &[u8]) -> Result<Self, ManifestError> {
        if bytes.len() > MAX_MANIFEST_LEN {
            return Err(ManifestError::new(ManifestProblem::TooLarge {
                max: MAX_MANIFEST_LEN,
            }));
        }
        let json: ManifestJson = serde_json::from_slice(bytes)
            .map_err(|error| ManifestError::new(ManifestProblem::Syntax(error.to_string())))?;
        wire::validate(json)
    }

    /// Reads and validates the manifest file at `path`; errors name the file.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let bytes = read_at_most(path, MAX_MANIFEST_LEN).map_err(|error| {
            ManifestError::new(ManifestProblem::Unreadable(error)).in_file(path)
        })?;
        Self::parse(&bytes).map_err(|error| error.in_file(path))
    }

    /// Writes the manifest to `path` as pretty JSON, atomically.
    pub fn save(&self, path: &Path) -> Result<(), ManifestError> {
        let bytes = self.to_pretty_json().map_err(|error| error.in_file(path))?;
        write_atomic_public(path, &bytes)
            .map_err(|error| ManifestError::new(ManifestProblem::Unwritable(error)).in_file(path))
    }

    /// The file form: JSON indented by two spaces, fields in specification order, a final newline.
    pub fn to_pretty_json(&self) -> Result<Vec<u8>, ManifestError> {
        let mut bytes = serde_json::to_vec_pretty(&ManifestJson::from(self))
            .map_err(|error| ManifestError::new(ManifestProblem::Encoding(error.to_string())))?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// The canonical encoding of the signed content, which the digest is computed over.
    pub fn canonical_bytes(&self) -> &[u8] {
        &self.canonical
    }

    /// SHA-256 of the canonical encoding of the signed content: what officials read aloud, what
    /// the signature signs and what the next manifest names as its predecessor.
    pub fn digest(&self) -> ManifestDigest {
        self.digest
    }

    /// Where the manifest stands in the domain's chain.
    pub fn link(&self) -> &ChainLink {
        &self.fields.link
    }

    /// Its chain position: 0 at genesis.
    pub fn chain_position(&self) -> u64 {
        self.fields.link.position
    }

    /// The domain's identity, the fingerprint of the genesis verifying key.
    pub fn domain_fingerprint(&self) -> DomainFingerprint {
        self.fields.link.domain_fingerprint
    }

    /// The verifying key of this manifest's epoch.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.fields.link.verifying_key
    }

    /// The signature over [`Manifest::digest`] (context `Manifest`).
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// Whether `key` signed this manifest.
    pub fn is_signed_by(&self, key: &VerifyingKey) -> bool {
        key.verify(Context::Manifest, self.digest.as_bytes(), &self.signature)
            .is_ok()
    }

    /// The same manifest with `official`'s share fingerprint replaced (after a reseal). The
    /// fingerprints are outside the signed content, so the digest and signature stay.
    pub fn with_share_fingerprint(
        &self,
        official: &OfficialId,
        share_fingerprint: impl Into<String>,
    ) -> Result<Self, ManifestError> {
        let mut fields = self.fields.clone();
        let entry = fields
            .officials
            .iter_mut()
            .find(|entry| entry.official.id() == official)
            .ok_or_else(|| {
                ManifestError::invalid("officials", format!("does not list official `{official}`"))
            })?;
        entry.share_fingerprint = share_fingerprint.into();
        let draft = Self::assemble(fields, self.tool_version.clone(), self.signature.clone())?;
        wire::validate(ManifestJson::from(&draft))
    }

    /// Domain id.
    pub fn domain(&self) -> &str {
        &self.fields.domain
    }

    /// Epoch of the domain key.
    pub fn epoch(&self) -> u32 {
        self.fields.epoch
    }

    /// Share set id.
    pub fn set_id(&self) -> &[u8; SET_ID_LEN] {
        &self.fields.set_id
    }

    /// Shares needed to rebuild the key (equal to the verifier set's).
    pub fn threshold(&self) -> u8 {
        self.fields.verifier_set.threshold()
    }

    /// Every official, in manifest order.
    pub fn officials(&self) -> &[OfficialEntry] {
        &self.fields.officials
    }

    /// The entry of the official with this id.
    pub fn official(&self, id: &str) -> Option<&OfficialEntry> {
        self.officials()
            .iter()
            .find(|entry| entry.official.id().as_str() == id)
    }

    /// The share set's verifier set.
    pub fn verifier_set(&self) -> &VerifierSet {
        &self.fields.verifier_set
    }

    /// Commitment to the domain key.
    pub fn key_id(&self) -> &KeyId {
        &self.fields.key_id
    }

    /// Which domain key this manifest names: its domain, epoch and key id.
    pub fn key_ref(&self) -> &KeyRef {
        &self.key_ref
    }

    /// Key check value of the domain key.
    pub fn kcv(&self) -> &Kcv {
        &self.fields.kcv
    }

    /// Wrap check value of the domain key: a token key is proven against it before each use.
    pub fn wrap_check(&self) -> &WrapCheck {
        &self.fields.wrap_check
    }

    /// When the share set was made.
    pub fn created(&self) -> Timestamp {
        self.fields.created
    }

    /// The share sets revoked, oldest first.
    pub fn revoked_sets(&self) -> &[RevokedSet] {
        &self.fields.revoked_sets
    }

    /// The revocation of the share set `set_id`, if it was revoked.
    pub fn revocation(&self, set_id: &[u8; SET_ID_LEN]) -> Option<&RevokedSet> {
        self.revoked_sets()
            .iter()
            .find(|revoked| revoked.set_id() == set_id)
    }

    /// The custody version that made the manifest.
    /// The tokens the key of this epoch is enrolled on.
    pub fn tokens(&self) -> &[EnrolledToken] {
        &self.fields.tokens
    }

    /// The link of the manifest that follows this one, of an epoch whose verifying key is
    /// `verifying_key` (this manifest's own when the epoch stays).
    pub fn next_link(&self, verifying_key: VerifyingKey) -> ChainLink {
        ChainLink {
            position: self.chain_position() + 1,
            previous: Some(self.digest()),
            domain_fingerprint: self.domain_fingerprint(),
            verifying_key,
        }
    }

    /// The enrolled token of this serial number, if any.
    pub fn token(&self, serial: &str) -> Option<&EnrolledToken> {
        self.fields
            .tokens
            .iter()
            .find(|token| token.serial() == serial)
    }

    /// This manifest's fields, to state the next manifest of the chain from (an enrolment keeps
    /// all but the tokens and the link).
    pub fn fields(&self) -> &ManifestFields {
        &self.fields
    }

    /// The custody version that wrote it.
    pub fn tool_version(&self) -> &str {
        &self.tool_version
    }

    /// Computes the canonical bytes and digest; only `wire::validate` and the checked
    /// constructors above call it, so every `Manifest` is valid.
    fn assemble(
        fields: ManifestFields,
        tool_version: String,
        signature: Signature,
    ) -> Result<Self, ManifestError> {
        let domain = DomainId::new(fields.domain.as_str())
            .map_err(|problem| ManifestError::invalid("domain", identifier::explain(&problem)))?;
        let key_ref = KeyRef {
            domain,
            epoch: fields.epoch,
            key_id: fields.key_id,
        };
        let (canonical, digest) = signed_content(&fields, &tool_version)?;
        Ok(Self {
            fields,
            key_ref,
            tool_version,
            canonical,
            digest,
            signature,
        })
    }
}

/// The canonical encoding of a manifest's signed content and its digest: the JSON value without
/// `signature` and without each official's `share_fingerprint` (docs/FORMAT.md, 6.6).
fn signed_content(
    fields: &ManifestFields,
    tool_version: &str,
) -> Result<(Vec<u8>, ManifestDigest), ManifestError> {
    let json = ManifestJson::new(fields, tool_version, String::new());
    let canonical = serde_json::to_value(json)
        .map(wire::without_unsigned_members)
        .and_then(digest::canonical_bytes)
        .map_err(|error| ManifestError::new(ManifestProblem::Encoding(error.to_string())))?;
    let digest = ManifestDigest::of(&canonical);
    Ok((canonical, digest))
}

impl serde::Serialize for Manifest {
    /// The manifest's JSON form, for reports.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ManifestJson::from(self).serialize(serializer)
    }
}
