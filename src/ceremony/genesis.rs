//! Genesis: the ceremony that creates a domain. It makes the domain key from the OS's and every
//! token's randomness, splits it among the officials, seals each share under the passphrase its
//! official chooses, imports the key into every token and proves each holds exactly that key,
//! seals a canary archive for later drills, has every official open and verify their own share,
//! and only then publishes the domain directory (`manifest.json`, `shares/`, `canary.custody`,
//! `transcript.jsonl`) with one rename. Everything that needs no secret is checked before anyone
//! types: the request ([`GenesisRequest::check`], before the plan is read aloud), then every
//! token, which must hold no chain record and no key of the domain. A genesis that
//! stops early leaves no directory that looks like a complete domain, and no key on a token: what
//! it imported is destroyed again unless it publishes (or the error names the token that kept it).

use std::path::{Path, PathBuf};

use crate::archive::TokenKey;
use crate::domain::{EnrolledToken, Manifest, ManifestChain, ManifestDigest, Official, Timestamp};
use crate::hsm::{KeySelector, Pkcs11Uri, TokenSession};
use crate::primitives::domain_id::{DomainId, IdentifierProblem};
use crate::primitives::kdf::KdfParams;
use crate::primitives::key_identity::Kcv;
use crate::primitives::secret::DomainKey;
use crate::primitives::signature::DomainFingerprint;
use crate::shares::sealed::SealedShare;

use super::attendant::{Attendant, Event};
use super::canary::seal_canary;
use super::error::CeremonyError;
use super::share_set::{
    check_threshold, empty_stage, ids, split_and_seal, verify_all, ChainPlan, SealedSet, SetPlan,
};
use super::step::{Ceremony, Step, MANIFEST};
use super::tokens::{
    check_site, enrolments, generate_key, import_and_prove, open_tokens, record_chain_position,
};
use super::transcript::Transcript;
use super::transcript_signature::{close_and_sign, ClosingKey};

/// The epoch of a new domain's first key.
pub const FIRST_EPOCH: u32 = 1;

/// What a genesis is asked to do.
#[derive(Debug, Clone)]
pub struct GenesisRequest {
    /// The domain id, `[a-z0-9-]`.
    pub domain: String,
    /// The officials, in the order they come forward.
    pub officials: Vec<Official>,
    /// How many officials rebuild the key.
    pub threshold: u8,
    /// The tokens that will hold the key.
    pub tokens: Vec<Pkcs11Uri>,
    /// The site the tokens serve, recorded with each in the manifest, when named.
    pub site: Option<String>,
    /// The domain directory to create.
    pub out: PathBuf,
    /// argon2id costs for the share files.
    pub kdf: KdfParams,
}

/// What a genesis made, for the room to read aloud.
#[derive(Debug, Clone)]
pub struct GenesisOutcome {
    /// The domain directory.
    pub dir: PathBuf,
    /// The domain fingerprint: the domain's identity, for the signed genesis sheet.
    pub domain_fingerprint: DomainFingerprint,
    /// The manifest digest.
    pub manifest_digest: ManifestDigest,
    /// The key check value.
    pub kcv: Kcv,
    /// The transcript's closing digest.
    pub closing_digest: [u8; 32],
    /// The tokens now holding the key.
    pub tokens: Vec<String>,
}

/// Runs a genesis.
pub fn genesis(
    request: &GenesisRequest,
    attendant: &mut dyn Attendant,
) -> Result<GenesisOutcome, CeremonyError> {
    request.check()?;
    let staging = staging_dir(&request.out)?;
    let result = run(request, &staging, attendant);
    if result.is_err() {
        // Sealed shares of a key that no token will keep: nothing worth leaving behind.
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// Publishes the staged domain with one rename.
fn publish(staging: &Path, out: &Path) -> Result<(), CeremonyError> {
    std::fs::rename(staging, out).map_err(CeremonyError::io(out))?;
    crate::files::sync_parent(out).map_err(CeremonyError::io(out))
}

/// Destroys the key this genesis imported, wherever it went, because the genesis publishes
/// nothing, and tells the room of each; `error` stays the reason, unless a token kept the key:
/// then the error names it.
fn withdraw(
    sessions: &[TokenSession],
    selector: &KeySelector,
    error: CeremonyError,
    attendant: &mut dyn Attendant,
) -> CeremonyError {
    for session in sessions {
        // Label and id name only this genesis's key: the id comes from its own key id.
        let Ok(handle) = session.find_domain_key(selector) else {
            continue;
        };
        if let Err(kept) = session.destroy_domain_key(handle) {
            return CeremonyError::refused(
                format!(
                    "{error}; the domain key {selector} this genesis imported stays on token {}: \
                     {kept}",
                    session.token()
                ),
                "destroy that key with the token vendor's tool, witnessed, before running genesis \
                 again",
            );
        }
        attendant.announce(&Event::Step(format!(
            "the domain key this genesis imported was destroyed on token {}: the genesis stops",
            session.token()
        )));
    }
    error
}

/// Room a genesis needs at its destination, whatever the number of officials: the manifest and
/// its chain copy, the canary, the transcript, with a margin.
const SPACE_NEEDED_BASE: u64 = 256 * 1024;

/// Room a genesis needs for each official: the share file, its lines in the manifest and the
/// transcript, with a margin.
const SPACE_NEEDED_PER_OFFICIAL: u64 = 16 * 1024;

impl GenesisRequest {
    /// Refuses, before any token is opened or anyone types, a request that cannot succeed: a
    /// threshold that does not fit the officials, an invalid domain id, no token, a site name
    /// the manifest cannot record, a destination that exists or is not a directory name, or a
    /// disk without room for the domain directory. [`genesis`] checks it again.
    pub fn check(&self) -> Result<(), CeremonyError> {
        check_threshold(
            self.threshold,
            &self.officials,
            "officials",
            "choose a threshold from 2 up to the number of officials",
        )?;
        self.domain_id()?;
        if self.tokens.is_empty() {
            return Err(CeremonyError::refused(
                "no token named to hold the domain key",
                "give at least one --hsm URI",
            ));
        }
        check_site(self.site.as_deref())?;
        if self.out.exists() {
            return Err(CeremonyError::refused(
                format!("{} already exists", self.out.display()),
                "genesis never overwrites a domain: choose a new directory",
            ));
        }
        if self.out.file_name().is_none() {
            return Err(CeremonyError::refused(
                format!("{} does not name a directory", self.out.display()),
                "give --out a directory path such as ./ee-registries",
            ));
        }
        self.check_space()
    }

    /// The domain id, or its refusal.
    fn domain_id(&self) -> Result<DomainId, CeremonyError> {
        DomainId::new(self.domain.as_str()).map_err(|problem| {
            let why = match problem {
                IdentifierProblem::Length { max, .. } => format!("is not 1 to {max} characters"),
                IdentifierProblem::Characters => {
                    "has characters other than a-z, 0-9 and '-'".into()
                }
            };
            CeremonyError::refused(
                format!("the domain id `{}` {why}", self.domain),
                "choose a domain id of lower-case letters, digits and hyphens, e.g. ee-registries",
            )
        })
    }

    /// Refuses a destination whose file system has no room for the domain directory.
    fn check_space(&self) -> Result<(), CeremonyError> {
        let parent = match self.out.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let stats = rustix::fs::statvfs(parent).map_err(|errno| CeremonyError::Io {
            path: parent.to_owned(),
            source: errno.into(),
        })?;
        let free = stats.f_bavail.saturating_mul(stats.f_frsize);
        let officials = u64::try_from(self.officials.len()).unwrap_or(u64::MAX);
        let needed =
            SPACE_NEEDED_BASE.saturating_add(SPACE_NEEDED_PER_OFFICIAL.saturating_mul(officials));
        if free < needed {
            return Err(CeremonyError::refused(
                format!(
                    "{} has {} KiB free; the domain directory needs at least {} KiB",
                    parent.display(),
                    free / 1024,
                    needed / 1024
                ),
                "free some space there, or give --out a directory on another disk",
            ));
        }
        Ok(())
    }
}

/// A hidden directory beside the destination (which [`GenesisRequest::check`] found names a
/// directory), emptied of any earlier interrupted attempt.
fn staging_dir(out: &Path) -> Result<PathBuf, CeremonyError> {
    let name = out.file_name().unwrap_or_default();
    let staging = out.with_file_name(format!(".{}.genesis-incomplete", name.to_string_lossy()));
    empty_stage(&staging)?;
    Ok(staging)
}

fn run(
    request: &GenesisRequest,
    dir: &Path,
    attendant: &mut dyn Attendant,
) -> Result<GenesisOutcome, CeremonyError> {
    let mut transcript = Transcript::create(&dir.join("transcript.jsonl"))?;
    transcript.append(Step::GenesisBegun {
        officials: ids(&request.officials),
        domain: request.domain.clone(),
        threshold: request.threshold,
    })?;
    let sessions = open_tokens(&request.tokens, attendant)?;
    refuse_enrolled(&sessions, &request.domain_id()?)?;
    let tokens = enrolments(&sessions, request.site.as_deref())?;
    let key = generate_key(&sessions)?;
    let SealedSet {
        manifest,
        sealed: sealed_files,
    } = split_and_seal(
        &key,
        &plan(request, tokens),
        dir,
        &mut transcript,
        attendant,
    )?;
    let selector = KeySelector::domain_key(manifest.key_ref());
    let imported = import_everywhere(&sessions, &key, &manifest, &mut transcript, attendant)
        .and_then(|first_token| {
            let unpublished = Unpublished {
                request,
                dir,
                manifest: &manifest,
                sealed_files: &sealed_files,
                key: &key,
            };
            finish(unpublished, first_token, &mut transcript, attendant)
        });
    drop(key);
    match imported {
        Ok(closing_digest) => {
            record_everywhere(&sessions, &manifest, attendant);
            Ok(GenesisOutcome {
                dir: request.out.clone(),
                domain_fingerprint: manifest.domain_fingerprint(),
                manifest_digest: manifest.digest(),
                kcv: *manifest.kcv(),
                closing_digest,
                tokens: sessions.iter().map(|s| s.token().to_string()).collect(),
            })
        }
        Err(error) => Err(withdraw(&sessions, &selector, error, attendant)),
    }
}

/// Refuses, before anyone types, a token that already serves a domain of this id (it holds the
/// domain's chain record) or holds a custody key of it: a second genesis of the same id would be
/// another domain under the same name.
fn refuse_enrolled(sessions: &[TokenSession], domain: &DomainId) -> Result<(), CeremonyError> {
    for session in sessions {
        if let Some(record) = session.chain_record(domain)? {
            return Err(CeremonyError::refused(
                format!(
                    "token {} already serves domain {domain} (domain fingerprint {}, chain \
                     position {}); nothing was generated or written",
                    session.token(),
                    record.fingerprint,
                    record.position
                ),
                "choose another domain id, or another token; a domain is created once, and its \
                 officials rebuild it with custody unlock",
            ));
        }
        if let Some(epoch) = session.domain_keys(domain)?.first() {
            return Err(CeremonyError::refused(
                format!(
                    "token {} already holds a key of domain {domain} (epoch {epoch}); nothing was \
                     generated or written",
                    session.token(),
                ),
                "choose another domain id, or another token; `custody hsm keys` lists the \
                 token's custody keys",
            ));
        }
    }
    Ok(())
}

/// Once the domain is published, every token records its chain position (0), so that it refuses
/// a manifest of another domain of the same id. The domain exists whatever happens here: a token
/// that cannot record is named, not a reason to fail.
fn record_everywhere(
    sessions: &[TokenSession],
    manifest: &Manifest,
    attendant: &mut dyn Attendant,
) {
    for session in sessions {
        if let Err(error) = record_chain_position(session, manifest) {
            attendant.announce(&Event::Step(format!(
                "WARNING: token {} did not record the domain's chain position: {error}; it \
                 will not refuse an older or foreign manifest until a ceremony records one",
                session.token()
            )));
        }
    }
}

/// What a genesis has made and not yet published, and the key it holds until its close is signed.
struct Unpublished<'a> {
    request: &'a GenesisRequest,
    dir: &'a Path,
    manifest: &'a Manifest,
    sealed_files: &'a [SealedShare],
    key: &'a DomainKey,
}

/// Everything after the key is on the tokens: the canary, the manifest, every official's
/// verification, the transcript's close signed with the new key, and publication; returns the
/// closing digest.
fn finish(
    unpublished: Unpublished<'_>,
    first_token: Option<&TokenSession>,
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<[u8; 32], CeremonyError> {
    let Unpublished {
        request,
        dir,
        manifest,
        sealed_files,
        key,
    } = unpublished;
    if let Some(session) = first_token {
        let sha256 = seal_canary(
            &TokenKey::find(session, manifest.key_ref(), manifest.wrap_check())?,
            manifest,
            dir,
        )?;
        transcript.append(Step::CanarySealed {
            ceremony: Ceremony::Genesis,
            sha256,
        })?;
    }
    manifest.save(&dir.join(MANIFEST))?;
    ManifestChain::start(manifest.clone())?.keep_all(dir)?;
    transcript.append(Step::ManifestWritten {
        manifest: manifest.digest(),
    })?;
    verify_all(
        manifest,
        &request.officials,
        sealed_files,
        dir,
        Ceremony::Genesis,
        transcript,
        attendant,
    )?;
    let closing_digest = close_and_sign(
        transcript,
        Step::GenesisClosed {
            officials: ids(&request.officials),
            manifest: manifest.digest(),
        },
        Some(ClosingKey::new(key, manifest.epoch())),
    )?;
    publish(dir, &request.out)?;
    Ok(closing_digest)
}

/// The first share set of the domain, its key enrolled on `tokens`.
fn plan(request: &GenesisRequest, tokens: Vec<EnrolledToken>) -> SetPlan<'_> {
    SetPlan {
        ceremony: Ceremony::Genesis,
        domain: &request.domain,
        epoch: FIRST_EPOCH,
        officials: &request.officials,
        threshold: request.threshold,
        kdf: request.kdf,
        revoked_sets: Vec::new(),
        tokens,
        created: Timestamp::now(),
        chain: ChainPlan::Genesis,
    }
}

/// Imports the key into every token, each proving it holds exactly that key; returns the first
/// token's session, to seal the canary with.
fn import_everywhere<'s>(
    sessions: &'s [TokenSession],
    key: &DomainKey,
    manifest: &Manifest,
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<Option<&'s TokenSession>, CeremonyError> {
    let selector = KeySelector::domain_key(manifest.key_ref());
    for session in sessions {
        import_and_prove(session, key, &selector)?;
        transcript.append(Step::GenesisKeyImported {
            token: session.token().clone(),
        })?;
        attendant.announce(&Event::KeyImported {
            token: session.token().to_string(),
        });
    }
    Ok(sessions.first())
}
