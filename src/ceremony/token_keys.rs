//! A domain's keys on a token, every epoch of them: listing custody's objects on a token and, given
//! the domain's manifest, which key is the manifest's key in force (proven with its wrap check
//! value), which are superseded, and which are newer than the manifest (left by a failed or
//! unfinished rotation, or the manifest is stale); and destroying one key that is not in force
//! (or a contribution request's key, which withdraws the request),
//! after the operator confirms it by its label, recorded in the domain's transcript.
//!
//! It never destroys the key of the manifest in force (nor any key object that proves to hold
//! it), a key while a rotation is under way (it needs the old key and the new), or a key on a
//! token that has served a later manifest than the one given (a stale manifest would call the
//! current key "newer"). Anyone holding the token's PIN can destroy objects with other tools;
//! custody only refuses to do it unsafely.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use crate::archive::{chain_record, TokenKey};
use crate::domain::{Manifest, ManifestChain};
use crate::files::directory_of;
use crate::files::read_at_most;
use crate::hsm::{
    self, ChainRecordObject, KeyObject, KeySelector, PinPrompt, Pkcs11Uri, TokenDescription,
    TokenSession,
};
use crate::primitives::domain_id::DomainId;
use crate::remote::sealed_key::FILE_LEN;
use crate::remote::SealedRequestKey;

use super::attendant::Attendant;
use super::error::CeremonyError;
use super::request::sealed_key_path;
use super::rotate::JOURNAL;
use super::step::{Ceremony, Step};
use super::tokens::open_token;
use super::transcript::{self, IfMissing, Transcript};

/// Which token to list, and optionally the manifest to judge its keys by.
#[derive(Debug, Clone)]
pub struct KeysRequest {
    /// The token.
    pub token: Pkcs11Uri,
    /// The domain's manifest, loaded with its verified chain.
    pub manifest: Option<PathBuf>,
}

/// Custody's objects on a token, judged by a manifest when one was given.
#[derive(Debug, Clone)]
pub struct TokenKeys {
    /// The token.
    pub token: TokenDescription,
    /// The manifest in force the keys were judged by.
    pub manifest: Option<Manifest>,
    /// Every key labelled `custody:…`.
    pub keys: Vec<ListedKey>,
    /// Every domain's chain record.
    pub chain_records: Vec<ChainRecordObject>,
}

/// One key on the token, and where it stands against the manifest.
#[derive(Debug, Clone)]
pub struct ListedKey {
    /// The key object's public facts.
    pub object: KeyObject,
    /// Its standing, for a key of the manifest's domain.
    pub standing: Option<Standing>,
}

/// Where a key of the manifest's domain stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// The manifest's key: its label and id, and the token proved its value.
    InForce,
    /// Of an epoch older than the manifest's.
    Superseded,
    /// Of an epoch newer than the manifest's.
    Newer,
    /// Of the manifest's epoch, but not proven to be the manifest's key.
    NotTheManifests {
        /// Why not.
        reason: String,
    },
    /// The key of a contribution request of the domain (D74), not a domain key.
    RequestKey {
        /// The request's ceremony id, hex.
        ceremony_id: String,
    },
}

impl Standing {
    /// A short name, for machines.
    pub fn name(&self) -> &'static str {
        match self {
            Self::InForce => "in-force",
            Self::Superseded => "superseded",
            Self::Newer => "newer-than-manifest",
            Self::NotTheManifests { .. } => "not-the-manifest-key",
            Self::RequestKey { .. } => "request-key",
        }
    }

    /// In words, for people: what the key is, against the manifest of `epoch`.
    pub fn describe(&self, epoch: u32) -> String {
        match self {
            Self::InForce => format!("in force: the epoch {epoch} manifest's key, proven"),
            Self::Superseded => format!("superseded by the epoch {epoch} manifest"),
            Self::Newer => format!(
                "newer than the epoch {epoch} manifest: left by a failed or unfinished \
                 rotation, or the manifest is stale"
            ),
            Self::NotTheManifests { reason } => {
                format!("of epoch {epoch} but not the manifest's key: {reason}")
            }
            Self::RequestKey { ceremony_id } => format!(
                "the key of the contribution request of ceremony {ceremony_id}: destroying it \
                 withdraws the request and every contribution to it"
            ),
        }
    }
}

/// Lists custody's objects on the token, asking `prompt` for the PIN when the URI names no
/// pin-source.
pub fn list_keys(request: &KeysRequest, prompt: PinPrompt<'_>) -> Result<TokenKeys, CeremonyError> {
    let manifest = match &request.manifest {
        Some(path) => Some(ManifestChain::load(path)?.into_in_force()),
        None => None,
    };
    let session = TokenSession::open(&request.token, prompt)?;
    let inventory = session.inventory()?;
    let keys = inventory
        .keys
        .into_iter()
        .map(|object| ListedKey {
            standing: manifest
                .as_ref()
                .and_then(|manifest| standing(&session, manifest, &object)),
            object,
        })
        .collect();
    Ok(TokenKeys {
        token: session.token().clone(),
        manifest,
        keys,
        chain_records: inventory.chain_records,
    })
}

/// Where `object` stands against `manifest`, when it is a key of the manifest's domain.
fn standing(session: &TokenSession, manifest: &Manifest, object: &KeyObject) -> Option<Standing> {
    if let Some((domain, ceremony_id)) = &object.request {
        return (*domain == manifest.key_ref().domain).then(|| Standing::RequestKey {
            ceremony_id: hex::encode(ceremony_id),
        });
    }
    let (domain, epoch) = object.named.as_ref()?;
    let key_ref = manifest.key_ref();
    if *domain != key_ref.domain {
        return None;
    }
    Some(match epoch.cmp(&key_ref.epoch) {
        Ordering::Less => Standing::Superseded,
        Ordering::Greater => Standing::Newer,
        Ordering::Equal if Some(&object.id) != KeySelector::domain_key(key_ref).id.as_ref() => {
            Standing::NotTheManifests {
                reason: "its CKA_ID is not the start of the manifest's key id".into(),
            }
        }
        Ordering::Equal => match TokenKey::find(session, key_ref, manifest.wrap_check()) {
            Ok(_) => Standing::InForce,
            Err(refused) => Standing::NotTheManifests {
                reason: refused.to_string(),
            },
        },
    })
}

/// Which key to destroy, judged by which manifest, and the operator's confirmation when given
/// on the command line.
#[derive(Debug, Clone)]
pub struct DestroyRequest {
    /// The token.
    pub token: Pkcs11Uri,
    /// The domain's manifest; its transcript, beside it, records the destruction.
    pub manifest: PathBuf,
    /// The key object's label.
    pub label: String,
    /// The label repeated (`--yes-destroy`); without it the attendant asks.
    pub confirmed: Option<String>,
}

/// The key destroyed.
#[derive(Debug, Clone)]
pub struct Destroyed {
    /// The token it was on.
    pub token: TokenDescription,
    /// Its label.
    pub label: String,
    /// Its domain.
    pub domain: String,
    /// Its epoch.
    pub epoch: u32,
    /// Where it stood against the manifest.
    pub standing: Standing,
    /// The manifest's epoch.
    pub manifest_epoch: u32,
}

/// Destroys the key `request.label` names on the token, if it is not the manifest's key in
/// force and no rotation is under way, once the operator confirms; records it in the transcript.
pub fn destroy_key(
    request: &DestroyRequest,
    attendant: &mut dyn Attendant,
) -> Result<Destroyed, CeremonyError> {
    let manifest = ManifestChain::load(&request.manifest)?.into_in_force();
    refuse_during_rotation(&request.manifest)?;
    let mut transcript =
        Transcript::open(&transcript::beside(&request.manifest), IfMissing::Refuse)?;
    let session = open_token(&request.token, attendant, "no token")?;
    let domain = &manifest.key_ref().domain;
    session.check_chain_position(domain, &chain_record(&manifest))?;
    if let Some(named) = KeySelector::parse_request_key_label(&request.label) {
        return destroy_request_key(
            request,
            &manifest,
            &session,
            named,
            &mut transcript,
            attendant,
        );
    }
    let (object, epoch) = the_key(&session, &request.label)?;
    let Some(standing) = standing(&session, &manifest, &object) else {
        return Err(CeremonyError::refused(
            format!(
                "token {}: key \"{}\" is not a key of domain {domain}",
                session.token().label,
                request.label
            ),
            "give the manifest of the key's own domain (`custody hsm keys URI` lists the keys); \
             nothing was destroyed",
        ));
    };
    let handle = session
        .find_domain_key(&KeySelector {
            label: Some(object.label.clone()),
            // The one key of that label (`the_key`); an empty id names none.
            id: Some(object.id.clone()).filter(|id| !id.is_empty()),
        })
        .map_err(|error| match error {
            hsm::Error::UnsafeDomainKey { .. } => CeremonyError::refused(
                format!("{error}: custody destroys only keys made as it makes them"),
                "remove it with the token's own tool, witnessed (pkcs11-tool --delete-object \
                 --type secrkey --label LABEL); nothing was destroyed",
            ),
            other => other.into(),
        })?;
    if standing == Standing::InForce
        || session
            .prove_domain_key(&handle, manifest.wrap_check())
            .is_ok()
    {
        return Err(CeremonyError::refused(
            format!(
                "token {}: key \"{}\" is the domain key of the manifest in force (domain \
                 {domain}, epoch {}): custody never destroys it",
                session.token().label,
                request.label,
                manifest.epoch()
            ),
            "a key in force leaves a token only when a rotation retires it (custody rotate); \
             nothing was destroyed",
        ));
    }
    let destroyed = Destroyed {
        token: session.token().clone(),
        label: object.label,
        domain: domain.to_string(),
        epoch,
        standing,
        manifest_epoch: manifest.epoch(),
    };
    confirm(request, &destroyed, attendant)?;
    session.destroy_domain_key(handle)?;
    transcript
        .append(Step::KeyDestroyed {
            manifest: manifest.digest(),
            token: destroyed.token.clone(),
            label: destroyed.label.clone(),
            epoch,
            reason: destroyed.standing.name(),
        })
        .map_err(|error| {
            CeremonyError::refused(
                format!(
                    "key \"{}\" was destroyed, but the transcript could not record it: {error}",
                    destroyed.label
                ),
                "repair the transcript's file system and note the destruction in the domain's \
                 records; the key is gone",
            )
        })?;
    Ok(destroyed)
}

/// Destroys a contribution request's key of the manifest's domain (withdrawing the request and
/// shredding every contribution to it, D74) and its sealed private key beside the manifest,
/// once the operator confirms; recorded as `key.request-destroyed`. Always safe: the key protects
/// nothing but that request.
fn destroy_request_key(
    request: &DestroyRequest,
    manifest: &Manifest,
    session: &TokenSession,
    (owner, ceremony_id): (DomainId, [u8; 16]),
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<Destroyed, CeremonyError> {
    let token = &session.token().label;
    if owner != manifest.key_ref().domain {
        return Err(CeremonyError::refused(
            format!(
                "token {token}: key \"{}\" is a request key of domain {owner}, not of domain {}",
                request.label,
                manifest.domain()
            ),
            "give the manifest of the request's own domain; nothing was destroyed",
        ));
    }
    let Some(key) = session.find_request_key(&request.label)? else {
        return Err(CeremonyError::refused(
            format!("token {token}: no key labelled \"{}\"", request.label),
            "`custody hsm keys URI` lists the token's keys; nothing was destroyed",
        ));
    };
    let destroyed = Destroyed {
        token: session.token().clone(),
        label: request.label.clone(),
        domain: owner.to_string(),
        epoch: manifest.epoch(),
        standing: Standing::RequestKey {
            ceremony_id: hex::encode(ceremony_id),
        },
        manifest_epoch: manifest.epoch(),
    };
    confirm(request, &destroyed, attendant)?;
    session.destroy_request_key(key)?;
    let sealed_key = sealed_key_path(&request.manifest, &ceremony_id);
    let fingerprint = read_at_most(&sealed_key, FILE_LEN)
        .ok()
        .and_then(|bytes| SealedRequestKey::parse(&bytes))
        .map(|sealed| sealed.request.to_string());
    let _ = std::fs::remove_file(&sealed_key);
    transcript.append(Step::RequestDestroyed {
        ceremony: Ceremony::Key,
        request: fingerprint,
        ceremony_id: hex::encode(ceremony_id),
        token: destroyed.token.clone(),
        reason: "withdrawn",
    })?;
    Ok(destroyed)
}

/// Refuses while a rotation is under way: it needs both its old key and its new one.
fn refuse_during_rotation(manifest: &Path) -> Result<(), CeremonyError> {
    let journal = directory_of(manifest).join(JOURNAL);
    if !journal.exists() {
        return Ok(());
    }
    Err(CeremonyError::refused(
        format!(
            "a rotation is under way ({} exists): it needs the old key and the new one",
            journal.display()
        ),
        "finish the rotation first (run `custody rotate` again), then destroy keys; nothing was \
         destroyed",
    ))
}

/// The one key object labelled `label` on the token, and the epoch its label names.
fn the_key(session: &TokenSession, label: &str) -> Result<(KeyObject, u32), CeremonyError> {
    let mut found: Vec<KeyObject> = session
        .inventory()?
        .keys
        .into_iter()
        .filter(|key| key.label == label)
        .collect();
    let token = &session.token().label;
    match (found.pop(), found.len()) {
        (Some(key), 0) => match key.named.as_ref().map(|(_, epoch)| *epoch) {
            Some(epoch) => Ok((key, epoch)),
            None => Err(CeremonyError::refused(
                format!("token {token}: key \"{label}\" does not have custody's label layout"),
                "custody destroys only keys it names custody:DOMAIN:eEPOCH; nothing was destroyed",
            )),
        },
        (None, _) => Err(CeremonyError::refused(
            format!("token {token}: no key labelled \"{label}\""),
            "`custody hsm keys URI` lists the token's keys; nothing was destroyed",
        )),
        (Some(_), others) => Err(CeremonyError::refused(
            format!(
                "token {token}: {} keys are labelled \"{label}\"",
                others + 1
            ),
            "custody will not choose between them; nothing was destroyed",
        )),
    }
}

/// What the operator is asked before `key` is destroyed.
fn question(key: &Destroyed) -> String {
    let consequence = match key.standing {
        Standing::RequestKey { .. } => {
            "Every contribution to that request becomes useless for good.".to_owned()
        }
        _ => format!(
            "Archives still sealed under epoch {} cannot be opened with this token afterwards.",
            key.epoch
        ),
    };
    format!(
        "Destroy key \"{}\" (domain {}, epoch {}; {}) on token {}?\n{consequence}\nType the \
         key's label to destroy it: ",
        key.label,
        key.domain,
        key.epoch,
        key.standing.describe(key.manifest_epoch),
        key.token,
    )
}

/// The operator's confirmation: the label repeated on the command line, or typed when asked.
fn confirm(
    request: &DestroyRequest,
    key: &Destroyed,
    attendant: &mut dyn Attendant,
) -> Result<(), CeremonyError> {
    let given = match &request.confirmed {
        Some(given) => given.clone(),
        None => attendant.confirmation(&question(key)).map_err(|error| {
            CeremonyError::refused(
                format!("cannot ask for the confirmation: {error}"),
                "confirm with --yes-destroy LABEL; nothing was destroyed",
            )
        })?,
    };
    if given.trim_end_matches(['\r', '\n']) == key.label {
        return Ok(());
    }
    Err(CeremonyError::refused(
        format!(
            "the confirmation \"{}\" is not the key's label \"{}\"",
            given.trim_end_matches(['\r', '\n']),
            key.label
        ),
        "type or repeat the key's label exactly; nothing was destroyed",
    ))
}
