//! `custody request`: the ceremony machine asks officials elsewhere for their shares. It shows
//! the room the manifest it acts on, makes a fresh X-Wing key pair and a random ceremony id,
//! generates the request's key on the ceremony's token, seals the private key under it into
//! `requests/<ceremony id>.key` beside the manifest, writes the public request file (D74), and
//! records `request.issued` in the domain's transcript (a missing transcript is refused first).
//!
//! The private key exists in clear only in this process, wiped when it returns; if anything
//! fails after the token key was made, the token key is destroyed again and nothing is left.

use std::path::{Path, PathBuf};

use crate::domain::{Manifest, Timestamp};
use crate::files::{directory_of, write_atomic, write_atomic_public};
use crate::hsm::{KeySelector, Pkcs11Uri, TokenSession, REQUEST_KEY_NONCE_LEN};
use crate::primitives::random;
use crate::remote::request::{CEREMONY_ID_LEN, MAX_LIFETIME_SECONDS};
use crate::remote::sealed_key::associated_data;
use crate::remote::{Purpose, Request, RequestSecret, SealedRequestKey};

use super::attendant::Attendant;
use super::audit::check_recorded_manifest;
use super::error::CeremonyError;
use super::remote::expiry;
use super::step::Step;
use super::tokens::{check_chain_record, open_token};
use super::transcript::{self, IfMissing, Transcript, TranscriptError};
use super::trust::{trusted_manifest, Expected};

/// The directory, beside the manifest, that holds the sealed private keys of open requests.
pub const REQUESTS_DIR: &str = "requests";

/// What `custody request` is asked to do.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    /// The domain's manifest.
    pub manifest: PathBuf,
    /// The ceremony's token, which keeps the request's key.
    pub token: Pkcs11Uri,
    /// The ceremony the contributions are for.
    pub purpose: Purpose,
    /// How long the request lives, in seconds.
    pub lifetime: u64,
    /// Where the request file goes.
    pub out: PathBuf,
}

/// A request issued.
#[derive(Debug)]
pub struct Issued {
    /// The request.
    pub request: Request,
    /// The token label its key is on.
    pub token: String,
    /// The request key's label.
    pub key_label: String,
}

/// Issues a contribution request.
pub fn issue(order: &IssueRequest, attendant: &mut dyn Attendant) -> Result<Issued, CeremonyError> {
    if !(1..=MAX_LIFETIME_SECONDS).contains(&order.lifetime) {
        return Err(CeremonyError::refused(
            format!(
                "a request may live from 1 second to 7 days, not {} seconds",
                order.lifetime
            ),
            "give --expires as a duration such as 12h or 3days",
        ));
    }
    let chain = trusted_manifest(
        &order.manifest,
        &Expected::default(),
        |_| Vec::new(),
        attendant,
    )?;
    let manifest = chain.in_force();
    let mut transcript = Transcript::open(&transcript::beside(&order.manifest), IfMissing::Refuse)
        .map_err(|error| match error {
            missing @ TranscriptError::Missing { .. } => CeremonyError::refused(
                missing.to_string(),
                "restore transcript.jsonl from the witnesses' copies before issuing a request \
                 (a ceremony given --new-transcript starts a new one); nothing was made",
            ),
            other => other.into(),
        })?;
    check_recorded_manifest(transcript.last_manifest(), manifest)?;
    let session = open_token(&order.token, attendant, "no token")?;
    check_chain_record(&session, manifest)?;
    let secret = RequestSecret::generate().map_err(|e| {
        CeremonyError::failed(e, "check the system's random generator, then try again")
    })?;
    let request = new_request(order, manifest, &secret)?;
    let label = KeySelector::request_key_label(&request.domain, &request.ceremony_id);
    let key = session.create_request_key(&label)?;
    if let Err(error) = seal_and_write(order, &session, &key, &request, &secret) {
        let _ = session.destroy_request_key(key);
        return Err(error);
    }
    transcript.append(Step::RequestIssued {
        manifest: manifest.digest(),
        request: request.fingerprint().to_string(),
        ceremony_id: hex::encode(request.ceremony_id),
        purpose: request.purpose.name(),
        expires: expiry(&request),
        token: session.token().clone(),
    })?;
    Ok(Issued {
        request,
        token: session.token().label.clone(),
        key_label: label,
    })
}

/// The request for the manifest in force, expiring `order.lifetime` from now.
fn new_request(
    order: &IssueRequest,
    manifest: &Manifest,
    secret: &RequestSecret,
) -> Result<Request, CeremonyError> {
    let mut ceremony_id = [0; CEREMONY_ID_LEN];
    random::fill(&mut ceremony_id).map_err(|e| {
        CeremonyError::failed(e, "check the system's random generator, then try again")
    })?;
    let created = Timestamp::now().unix_seconds();
    Ok(Request {
        purpose: order.purpose,
        domain: manifest.key_ref().domain.clone(),
        domain_fingerprint: manifest.domain_fingerprint(),
        manifest_digest: *manifest.digest().as_bytes(),
        chain_position: manifest.chain_position(),
        epoch: manifest.epoch(),
        ceremony_id,
        created,
        expires: created + order.lifetime,
        public_key: secret.public_key(),
    })
}

/// Seals the private key under the token's request key beside the manifest, then writes the
/// request file.
fn seal_and_write(
    order: &IssueRequest,
    session: &TokenSession,
    key: &crate::hsm::RequestKeyHandle,
    request: &Request,
    secret: &RequestSecret,
) -> Result<(), CeremonyError> {
    let fingerprint = request.fingerprint();
    let mut nonce = [0; REQUEST_KEY_NONCE_LEN];
    random::fill(&mut nonce).map_err(|e| {
        CeremonyError::failed(e, "check the system's random generator, then try again")
    })?;
    let sealed = session.seal_under_request_key(
        key,
        nonce,
        &associated_data(&fingerprint),
        secret.seed(),
    )?;
    let ciphertext = sealed.as_slice().try_into().map_err(|_| {
        CeremonyError::refused(
            format!(
                "token {}: its AES-GCM output is {} bytes, not 48",
                session.token().label,
                sealed.len()
            ),
            "use a token whose CKM_AES_GCM follows PKCS#11 (custody hsm probe)",
        )
    })?;
    let file = SealedRequestKey {
        request: fingerprint,
        nonce,
        ciphertext,
    };
    let path = sealed_key_path(&order.manifest, &request.ceremony_id);
    let dir = directory_of(&path);
    crate::files::create_directory(dir).map_err(CeremonyError::io(dir))?;
    write_atomic(&path, &file.to_bytes()).map_err(CeremonyError::io(&path))?;
    if let Err(error) = write_atomic_public(&order.out, &request.to_bytes()) {
        let _ = std::fs::remove_file(&path);
        return Err(CeremonyError::io(&order.out)(error));
    }
    Ok(())
}

/// Where the sealed private key of ceremony `ceremony_id` rests: `requests/<id>.key` beside the
/// manifest.
pub fn sealed_key_path(manifest: &Path, ceremony_id: &[u8; CEREMONY_ID_LEN]) -> PathBuf {
    directory_of(manifest)
        .join(REQUESTS_DIR)
        .join(format!("{}.key", hex::encode(ceremony_id)))
}
