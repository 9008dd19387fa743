//! Genesis: the ceremony that creates a domain. It makes the domain key from the OS's and every
//! token's randomness, splits it among the officials, seals each share under the passphrase its
//! official chooses, imports the key into every token and proves each holds exactly that key,
//! seals a canary archive for later drills, has every official open and verify their own share,
//! and only then publishes the domain directory (`manifest.json`, `shares/`, `canary.custody`,
//! `transcript.jsonl`) with one rename. A genesis that
//! stops early leaves no directory that looks like a complete domain.

use std::path::{Path, PathBuf};

use subtle::ConstantTimeEq;

use crate::archive::TokenKey;
use crate::domain::{
    check_new_passphrase, Manifest, ManifestDigest, ManifestFields, Official, OfficialEntry,
    RevokedSet, Timestamp,
};
use crate::files::write_atomic;
use crate::hsm::{DomainKeyHandle, KeySelector, Persistence, Pkcs11Uri, TokenSession};
use crate::primitives::kdf::KdfParams;
use crate::primitives::key_identity::{Kcv, KeyId};
use crate::primitives::key_wrap;
use crate::primitives::random;
use crate::primitives::secret::{DataKey, DomainKey};
use crate::shares::sealed::{SealedShare, ShareHeader, SET_ID_LEN};
use crate::shares::{generate_domain_key, split, Share};

use super::attendant::{Attendant, Event};
use super::canary::{seal_canary, CANARY_FILE};
use super::error::CeremonyError;
use super::transcript::{Record, Transcript};

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
    check_request(request)?;
    let staging = staging_dir(&request.out)?;
    let result = run(request, &staging, attendant);
    if result.is_err() {
        // Sealed shares of a key that no token will keep: nothing worth leaving behind.
        let _ = std::fs::remove_dir_all(&staging);
    }
    let outcome = result?;
    std::fs::rename(&staging, &request.out).map_err(CeremonyError::io(&request.out))?;
    crate::files::sync_parent(&request.out).map_err(CeremonyError::io(&request.out))?;
    Ok(GenesisOutcome {
        dir: request.out.clone(),
        ..outcome
    })
}

/// Refuses a threshold outside 2..=n for the officials who will hold the shares, called `who`
/// in the message (e.g. "new officials").
pub(super) fn check_threshold(
    threshold: u8,
    officials: &[Official],
    who: &str,
    hint: &'static str,
) -> Result<(), CeremonyError> {
    let count = officials.len();
    if threshold < 2 || usize::from(threshold) > count {
        return Err(CeremonyError::refused(
            format!("a threshold of {threshold} does not fit {count} {who}"),
            hint,
        ));
    }
    Ok(())
}

fn check_request(request: &GenesisRequest) -> Result<(), CeremonyError> {
    check_threshold(
        request.threshold,
        &request.officials,
        "officials",
        "choose a threshold from 2 up to the number of officials",
    )?;
    if request.tokens.is_empty() {
        return Err(CeremonyError::refused(
            "no token named to hold the domain key",
            "give at least one --hsm URI",
        ));
    }
    if request.out.exists() {
        return Err(CeremonyError::refused(
            format!("{} already exists", request.out.display()),
            "genesis never overwrites a domain: choose a new directory",
        ));
    }
    Ok(())
}

/// A hidden directory beside the destination, emptied of any earlier interrupted attempt.
fn staging_dir(out: &Path) -> Result<PathBuf, CeremonyError> {
    let name = out.file_name().ok_or_else(|| {
        CeremonyError::refused(
            format!("{} does not name a directory", out.display()),
            "give --out a directory path such as ./ee-registries",
        )
    })?;
    let staging = out.with_file_name(format!(".{}.genesis-incomplete", name.to_string_lossy()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(CeremonyError::io(&staging))?;
    }
    std::fs::create_dir_all(staging.join("shares")).map_err(CeremonyError::io(&staging))?;
    Ok(staging)
}

fn run(
    request: &GenesisRequest,
    dir: &Path,
    attendant: &mut dyn Attendant,
) -> Result<GenesisOutcome, CeremonyError> {
    let mut transcript = Transcript::create(&dir.join("transcript.jsonl"))?;
    let count = request.officials.len();
    transcript.append(Record {
        step: "genesis.begin".into(),
        actors: ids(&request.officials),
        detail: [
            ("domain".into(), request.domain.clone()),
            ("threshold".into(), request.threshold.to_string()),
            ("officials".into(), count.to_string()),
        ]
        .into(),
        ..Record::default()
    })?;

    let sessions = open_tokens(&request.tokens, attendant)?;
    let key = generate_key(&sessions)?;
    let plan = SetPlan {
        ceremony: "genesis",
        domain: &request.domain,
        epoch: FIRST_EPOCH,
        officials: &request.officials,
        threshold: request.threshold,
        kdf: request.kdf,
        revoked_sets: Vec::new(),
    };
    let SealedSet {
        manifest,
        sealed: sealed_files,
    } = split_and_seal(&key, &plan, dir, &mut transcript, attendant)?;
    let kcv = *manifest.kcv();

    let selector = KeySelector::domain_key(manifest.key_ref());
    let mut first_key = None;
    for session in &sessions {
        let handle = import_and_prove(session, &key, &selector)?;
        first_key.get_or_insert((session, handle));
        transcript.append(Record {
            step: "genesis.key-imported".into(),
            detail: [
                ("token".into(), session.token().label.clone()),
                ("serial".into(), session.token().serial.clone()),
                (
                    "proof".into(),
                    "token wrap of a canary equals the software wrap".into(),
                ),
            ]
            .into(),
            ..Record::default()
        })?;
        attendant.announce(&Event::KeyImported {
            token: session.token().to_string(),
        });
    }
    drop(key);
    if let Some((session, _)) = &first_key {
        let canary = seal_canary(
            &TokenKey::find(session, manifest.key_ref())?,
            &manifest,
            dir,
        )?;
        transcript.append(Record {
            step: "genesis.canary-sealed".into(),
            outputs: [(CANARY_FILE.into(), canary)].into(),
            ..Record::default()
        })?;
    }

    let manifest_path = dir.join("manifest.json");
    manifest.save(&manifest_path)?;
    transcript.append(Record {
        step: "genesis.manifest-written".into(),
        outputs: [("manifest.json".into(), manifest.digest().to_string())].into(),
        ..Record::default()
    })?;

    verify_all(
        &manifest,
        &request.officials,
        &sealed_files,
        dir,
        "genesis",
        &mut transcript,
        attendant,
    )?;

    let closing_digest = transcript.append(Record {
        step: "genesis.close".into(),
        actors: ids(&request.officials),
        outputs: [("manifest.json".into(), manifest.digest().to_string())].into(),
        ..Record::default()
    })?;
    Ok(GenesisOutcome {
        dir: dir.to_owned(),
        manifest_digest: manifest.digest(),
        kcv,
        closing_digest,
        tokens: sessions.iter().map(|s| s.token().to_string()).collect(),
    })
}

/// What a new share set is made of.
pub(super) struct SetPlan<'a> {
    /// The ceremony, for transcript steps.
    pub ceremony: &'a str,
    /// The domain id.
    pub domain: &'a str,
    /// The epoch of the key being split.
    pub epoch: u32,
    /// Who receives a share, in order.
    pub officials: &'a [Official],
    /// How many rebuild the key.
    pub threshold: u8,
    /// argon2id costs of the share files.
    pub kdf: KdfParams,
    /// Share sets of the domain revoked before (carried over by a rotation).
    pub revoked_sets: Vec<RevokedSet>,
}

/// A key split and sealed: the manifest describing the new set, and the sealed files.
pub(super) struct SealedSet {
    pub manifest: Manifest,
    pub sealed: Vec<SealedShare>,
}

/// Splits `key` for the plan's officials, seals each share under the passphrase its official
/// chooses, writes the files to `dir/shares/`, and describes the set in a new manifest.
pub(super) fn split_and_seal(
    key: &DomainKey,
    plan: &SetPlan<'_>,
    dir: &Path,
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<SealedSet, CeremonyError> {
    let key_id = KeyId::of(key);
    let kcv = Kcv::of(key);
    attendant.announce(&Event::KeyGenerated {
        kcv: kcv.to_string(),
    });
    let mut set_id = [0u8; SET_ID_LEN];
    random::fill(&mut set_id).map_err(|e| CeremonyError::refused(e.to_string(), RETRY))?;
    let n = u8::try_from(plan.officials.len())
        .map_err(|_| CeremonyError::refused("more than 255 officials", RETRY))?;
    let (shares, verifier_set) =
        split(key, plan.threshold, n).map_err(|e| CeremonyError::refused(e.to_string(), RETRY))?;
    transcript.append(Record {
        step: format!("{}.key-split", plan.ceremony),
        detail: [
            ("kcv".into(), kcv.to_string()),
            ("key_id".into(), key_id.to_string()),
            ("set_id".into(), hex::encode(set_id)),
            ("epoch".into(), plan.epoch.to_string()),
        ]
        .into(),
        ..Record::default()
    })?;
    let mut entries = Vec::with_capacity(plan.officials.len());
    let mut sealed_files = Vec::with_capacity(plan.officials.len());
    for (official, share) in plan.officials.iter().zip(&shares) {
        let header = ShareHeader {
            domain: plan.domain.to_owned(),
            epoch: plan.epoch,
            set_id,
            share_id: share.identifier(),
            official: official.id().to_string(),
            threshold: plan.threshold,
        };
        let sealed = seal_for(official, share, header, plan.domain, plan.kdf, attendant)?;
        let path = dir.join("shares").join(format!("{}.share", official.id()));
        write_atomic(&path, &sealed.to_bytes()).map_err(CeremonyError::io(&path))?;
        transcript.append(Record {
            step: format!("{}.share-sealed", plan.ceremony),
            actors: vec![official.id().to_string()],
            outputs: [(
                format!("shares/{}.share", official.id()),
                sealed.fingerprint(),
            )]
            .into(),
            ..Record::default()
        })?;
        attendant.announce(&Event::ShareSealed {
            official: official.id().to_string(),
        });
        entries.push(OfficialEntry::new(
            official.clone(),
            share.identifier(),
            sealed.fingerprint(),
        ));
        sealed_files.push(sealed);
    }
    drop(shares);
    let manifest = Manifest::new(ManifestFields {
        domain: plan.domain.to_owned(),
        epoch: plan.epoch,
        set_id,
        officials: entries,
        verifier_set,
        key_id,
        kcv,
        created: Timestamp::now(),
        revoked_sets: plan.revoked_sets.clone(),
    })?;
    Ok(SealedSet {
        manifest,
        sealed: sealed_files,
    })
}

/// Every official opens and verifies their freshly written share.
pub(super) fn verify_all(
    manifest: &Manifest,
    officials: &[Official],
    sealed: &[SealedShare],
    dir: &Path,
    ceremony: &str,
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<(), CeremonyError> {
    for (official, sealed) in officials.iter().zip(sealed) {
        verify_own_share(manifest, official, sealed, dir, attendant)?;
        transcript.append(Record {
            step: format!("{ceremony}.share-verified"),
            actors: vec![official.id().to_string()],
            inputs: [(
                format!("shares/{}.share", official.id()),
                sealed.fingerprint(),
            )]
            .into(),
            ..Record::default()
        })?;
        attendant.announce(&Event::ShareVerified {
            official: official.id().to_string(),
        });
    }
    Ok(())
}

pub(super) const RETRY: &str =
    "nothing was published; run the ceremony again, and report it if it persists";

pub(super) fn ids(officials: &[Official]) -> Vec<String> {
    officials.iter().map(|o| o.id().to_string()).collect()
}

/// Opens every token, asking for PINs the URIs do not name.
pub(super) fn open_tokens(
    uris: &[Pkcs11Uri],
    attendant: &mut dyn Attendant,
) -> Result<Vec<TokenSession>, CeremonyError> {
    uris.iter()
        .map(|uri| {
            let session = TokenSession::open(uri, &mut |token| attendant.token_pin(token))?;
            attendant.announce(&Event::TokenReady {
                token: session.token().to_string(),
            });
            Ok(session)
        })
        .collect()
}

/// The domain key from the OS generator mixed with every token's generator.
pub(super) fn generate_key(sessions: &[TokenSession]) -> Result<DomainKey, CeremonyError> {
    let mut mixed = zeroize::Zeroizing::new([0u8; 32]);
    for session in sessions {
        let mut drawn = zeroize::Zeroizing::new([0u8; 32]);
        session.random(&mut drawn[..])?;
        for (m, d) in mixed.iter_mut().zip(drawn.iter()) {
            *m ^= d;
        }
    }
    generate_domain_key(Some(&mixed)).map_err(|e| CeremonyError::refused(e.to_string(), RETRY))
}

/// Seals `official`'s share under a passphrase they choose, asking again while it is too weak
/// on a terminal (a scripted attendant fails instead of looping).
pub(super) fn seal_for(
    official: &Official,
    share: &Share,
    header: ShareHeader,
    domain: &str,
    kdf: KdfParams,
    attendant: &mut dyn Attendant,
) -> Result<SealedShare, CeremonyError> {
    let passphrase = attendant.new_passphrase(official)?;
    check_new_passphrase(
        &passphrase,
        &[official.id().as_str(), official.name(), domain],
    )
    .map_err(|weak| {
        CeremonyError::refused(
            format!("official {}: {weak}", official.id()),
            "choose a passphrase of four or more unrelated words; nothing was published",
        )
    })?;
    SealedShare::seal(&share.to_bytes(), header, &passphrase, kdf)
        .map_err(|e| CeremonyError::refused(format!("official {}: {e}", official.id()), RETRY))
}

/// Imports the key and proves the token holds exactly it: the token's RFC 3394 wrap of a fresh
/// canary key must equal the wrap computed here with the key in memory.
pub(super) fn import_and_prove(
    session: &TokenSession,
    key: &DomainKey,
    selector: &KeySelector,
) -> Result<DomainKeyHandle, CeremonyError> {
    import_and_prove_as(session, key, selector, Persistence::Token)
}

/// [`import_and_prove`] with a choice of persistence (a one-off restore keeps a session key).
pub(super) fn import_and_prove_as(
    session: &TokenSession,
    key: &DomainKey,
    selector: &KeySelector,
    persistence: Persistence,
) -> Result<DomainKeyHandle, CeremonyError> {
    let label = selector.label.clone().unwrap_or_default();
    let id = selector.id.clone().unwrap_or_default();
    let kek = session.import_domain_key(key, &label, &id, persistence)?;
    let mut canary_bytes = [0u8; 32];
    random::fill(&mut canary_bytes).map_err(|e| CeremonyError::refused(e.to_string(), RETRY))?;
    let canary = DataKey::from_bytes(&mut canary_bytes);
    let wrapped = session.wrap_data_key(&kek, &canary)?;
    // Constant time: the expected value is a wrap under the domain key.
    let same = wrapped.0[..].ct_eq(&key_wrap::wrap(key, &canary)[..]);
    if !bool::from(same) {
        let _ = session.destroy_domain_key(kek);
        return Err(CeremonyError::refused(
            format!(
                "token {} does not hold the key it was given",
                session.token()
            ),
            "the token is faulty or not what it claims to be: remove it from the ceremony",
        ));
    }
    Ok(kek)
}

/// The official opens their freshly written share file in `dir`/shares and checks it against
/// the manifest.
pub(super) fn verify_own_share(
    manifest: &Manifest,
    official: &Official,
    sealed: &SealedShare,
    dir: &Path,
    attendant: &mut dyn Attendant,
) -> Result<(), CeremonyError> {
    let file = dir.join("shares").join(format!("{}.share", official.id()));
    let on_disk = std::fs::read(&file).map_err(CeremonyError::io(&file))?;
    if on_disk != sealed.to_bytes() {
        return Err(CeremonyError::refused(
            format!("{} does not hold what was written", file.display()),
            "the disk is faulty: use another ceremony machine",
        ));
    }
    let passphrase = attendant.passphrase(official)?;
    manifest
        .open_share(sealed, &passphrase)
        .map(drop)
        .map_err(|error| CeremonyError::Share { file, error })
}
