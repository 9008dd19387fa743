//! The ceremony's side of remote contribution: the request given with `--request` is checked
//! against the ceremony (its purpose, domain, manifest and expiry) and against the token (its key
//! must still be there: a completed, expired or withdrawn request has none), its private key is
//! unsealed by the token, and every file in `--contributions` is read (links not followed,
//! bounded), checked against the request and opened; the [`quorum`](super::quorum) then checks
//! each share as it checks a share file. When the ceremony completes — or the request is found
//! expired — the token's request key is destroyed and the sealed private key removed: every
//! contribution to the request is shredded (D74).
//!
//! It records the request's fingerprint, never a secret; the private key lives only in a
//! zeroizing [`RequestSecret`] while the contributions are opened, and their shares only in
//! zeroizing buffers until the quorum has checked them.

use std::path::{Path, PathBuf};

use sha2::Digest;

use crate::domain::{Manifest, Timestamp};
use crate::files::read_at_most;
use crate::hsm::{KeySelector, RequestKeyHandle, TokenSession};
use crate::readout::counted;
use crate::remote::contribution::MAX_FILE_LEN as MAX_CONTRIBUTION_LEN;
use crate::remote::request::MAX_FILE_LEN as MAX_REQUEST_LEN;
use crate::remote::sealed_key::associated_data;
use crate::remote::{Contribution, Purpose, Request, RequestSecret, SealedRequestKey};
use crate::shares::sealed::SealedShare;

use super::attendant::{Attendant, Event};
use super::error::CeremonyError;
use super::quorum::{self, Contributed, Contributions, Quorum};
use super::request::sealed_key_path;
use super::step::{Ceremony, Step};
use super::transcript::Transcript;

/// The most contribution files a directory may offer.
const MAX_CONTRIBUTIONS: usize = 255;

/// A request and the directory of contributions to it, given to a ceremony.
#[derive(Debug, Clone)]
pub struct RemoteOffer {
    /// The request file (`--request`).
    pub request: PathBuf,
    /// The directory of contribution files (`--contributions`).
    pub contributions: PathBuf,
    /// The ceremony the request must be for.
    pub purpose: Purpose,
}

/// A request whose key the token still holds, opened for this ceremony.
#[derive(Debug)]
pub(super) struct OpenedRequest {
    request: Request,
    key: RequestKeyHandle,
    /// Which of the ceremony's sessions holds the key.
    token: usize,
    sealed_key: PathBuf,
}

/// Checks the request against the ceremony and the token, unseals its private key and opens
/// every contribution; records `<ceremony>.request-opened`. An expired request's key is
/// destroyed (recorded) and the ceremony refused.
fn open(
    offer: &RemoteOffer,
    manifest_path: &Path,
    manifest: &Manifest,
    ceremony: Ceremony,
    sessions: &[TokenSession],
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<(OpenedRequest, Contributions), CeremonyError> {
    let request = read_request(&offer.request)?;
    check_request(&offer.request, &request, manifest, offer.purpose)?;
    let label = KeySelector::request_key_label(&request.domain, &request.ceremony_id);
    let mut found = None;
    for (index, session) in sessions.iter().enumerate() {
        if let Some(key) = session.find_request_key(&label)? {
            found = Some((index, key));
            break;
        }
    }
    let Some((token, key)) = found else {
        let tokens: Vec<&str> = sessions.iter().map(|s| s.token().label.as_str()).collect();
        return Err(CeremonyError::refused(
            format!(
                "request {}: its key \"{label}\" is no longer on token {}: the request was completed, expired or withdrawn, and every contribution to it is shredded",
                offer.request.display(),
                tokens.join(", ")
            ),
            "issue a new request (custody request) on this token and have the officials contribute to it",
        ));
    };
    let opened = OpenedRequest {
        sealed_key: sealed_key_path(manifest_path, &request.ceremony_id),
        request,
        key,
        token,
    };
    let session = &sessions[token];
    let now = Timestamp::now().unix_seconds();
    if now >= opened.request.expires {
        let expired = expiry(&opened.request);
        shred(opened, sessions, ceremony, transcript, "expired", attendant)?;
        return Err(CeremonyError::refused(
            format!(
                "request {} expired at {expired}; its key is now destroyed on token {}, so no contribution to it can be used",
                offer.request.display(),
                session.token().label
            ),
            "issue a new request (custody request) and have the officials contribute to it in time",
        ));
    }
    let secret = unseal(&opened, session)?;
    let offered = read_contributions(&offer.contributions, &opened.request, &secret)?;
    transcript.append(Step::RequestOpened {
        ceremony,
        request: opened.request.fingerprint().to_string(),
        ceremony_id: hex::encode(opened.request.ceremony_id),
        expires: expiry(&opened.request),
        offered: offered.len(),
    })?;
    attendant.announce(&Event::Step(format!(
        "request {} opened with its key on token {} (open until {}): {}",
        offer.request.display(),
        session.token().label,
        expiry(&opened.request),
        counted(offered.len(), "contribution", "contributions")
    )));
    let contributions = Contributions {
        request: opened.request.fingerprint().to_string(),
        offered,
    };
    Ok((opened, contributions))
}

/// A quorum with the shares contributed to `offer`'s request (when given) first, then the share
/// files: the request opened on one of `sessions` is returned with it, to be shredded when the
/// ceremony completes.
#[allow(clippy::too_many_arguments)]
pub(super) fn gather(
    offer: Option<&RemoteOffer>,
    manifest_path: &Path,
    manifest: &Manifest,
    ceremony: Ceremony,
    sessions: &[TokenSession],
    files: &[PathBuf],
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<(Quorum, Option<OpenedRequest>), CeremonyError> {
    let remote = match offer {
        Some(offer) => Some(open(
            offer,
            manifest_path,
            manifest,
            ceremony,
            sessions,
            transcript,
            attendant,
        )?),
        None => None,
    };
    let quorum = quorum::gather_with(
        ceremony,
        manifest,
        remote.as_ref().map(|(_, contributions)| contributions),
        files,
        transcript,
        attendant,
    )?;
    Ok((quorum, remote.map(|(opened, _)| opened)))
}

/// Destroys the request's key on the token and removes its sealed private key: every
/// contribution to it is shredded. Recorded as `<ceremony>.request-destroyed`.
pub(super) fn shred(
    opened: OpenedRequest,
    sessions: &[TokenSession],
    ceremony: Ceremony,
    transcript: &mut Transcript,
    reason: &'static str,
    attendant: &mut dyn Attendant,
) -> Result<(), CeremonyError> {
    let request = opened.request.fingerprint().to_string();
    let label = opened.key.label().to_owned();
    let session = &sessions[opened.token];
    session.destroy_request_key(opened.key)?;
    match std::fs::remove_file(&opened.sealed_key) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(CeremonyError::io(&opened.sealed_key)(e)),
    }
    transcript.append(Step::RequestDestroyed {
        ceremony,
        request: Some(request),
        ceremony_id: hex::encode(opened.request.ceremony_id),
        token: session.token().clone(),
        reason,
    })?;
    attendant.announce(&Event::Step(format!(
        "the request's key \"{label}\" is destroyed on token {}: no contribution to it can be used again",
        session.token().label
    )));
    Ok(())
}

pub(super) fn expiry(request: &Request) -> String {
    Timestamp::from_unix_seconds(request.expires)
        .map_or_else(|| request.expires.to_string(), |t| t.to_string())
}

pub(super) fn read_request(path: &Path) -> Result<Request, CeremonyError> {
    let bytes = read_at_most(path, MAX_REQUEST_LEN).map_err(|error| {
        CeremonyError::refused(
            format!("request {}: cannot be read: {error}", path.display()),
            "check the path names the request file of the ceremony",
        )
    })?;
    if bytes.len() > MAX_REQUEST_LEN {
        return Err(CeremonyError::refused(
            format!(
                "request {}: larger than {MAX_REQUEST_LEN} bytes, so not a request",
                path.display()
            ),
            "give the request file custody request wrote",
        ));
    }
    Request::parse(&bytes).map_err(|e| {
        CeremonyError::refused(
            format!("request {}: {e}", path.display()),
            "give the request file custody request wrote, as it wrote it",
        )
    })
}

/// Refuses a request for another ceremony, domain or manifest.
fn check_request(
    path: &Path,
    request: &Request,
    manifest: &Manifest,
    purpose: Purpose,
) -> Result<(), CeremonyError> {
    let file = path.display();
    let hint = "each ceremony needs its own request: issue one with custody request --purpose for this ceremony and manifest";
    if request.purpose != purpose {
        return Err(CeremonyError::refused(
            format!(
                "request {file} is for a {}, not this {purpose}",
                request.purpose
            ),
            hint,
        ));
    }
    if request.domain_fingerprint != manifest.domain_fingerprint()
        || request.domain != manifest.key_ref().domain
    {
        return Err(CeremonyError::refused(
            format!(
                "request {file} is for domain {} (fingerprint {}), not this manifest's domain {} (fingerprint {})",
                request.domain,
                request.domain_fingerprint,
                manifest.domain(),
                manifest.domain_fingerprint()
            ),
            hint,
        ));
    }
    if request.manifest_digest != *manifest.digest().as_bytes() {
        return Err(CeremonyError::refused(
            format!(
                "request {file} was made for manifest {}, not the manifest in force {}",
                hex::encode(request.manifest_digest),
                manifest.digest()
            ),
            hint,
        ));
    }
    Ok(())
}

/// The request's private key, unsealed by the token.
fn unseal(opened: &OpenedRequest, session: &TokenSession) -> Result<RequestSecret, CeremonyError> {
    let path = &opened.sealed_key;
    let fingerprint = opened.request.fingerprint();
    let bytes =
        read_at_most(path, crate::remote::sealed_key::FILE_LEN).map_err(CeremonyError::io(path))?;
    let sealed = SealedRequestKey::parse(&bytes)
        .filter(|sealed| sealed.request == fingerprint)
        .ok_or_else(|| {
            CeremonyError::refused(
                format!(
                    "{}: not the sealed private key of this request",
                    path.display()
                ),
                "the request file or the domain directory was altered: issue a new request",
            )
        })?;
    let seed = session.unseal_under_request_key(
        &opened.key,
        sealed.nonce,
        &associated_data(&fingerprint),
        &sealed.ciphertext,
    )?;
    let mut seed: [u8; crate::remote::kem::SECRET_LEN] =
        seed.expose().try_into().map_err(|_| {
            CeremonyError::refused(
                format!(
                    "{}: the token unsealed a key of the wrong length",
                    path.display()
                ),
                "issue a new request",
            )
        })?;
    let secret = RequestSecret::from_seed(&mut seed);
    if secret.public_key() != opened.request.public_key {
        return Err(CeremonyError::refused(
            format!(
                "{}: the key the token unsealed is not the request's",
                path.display()
            ),
            "the request file or the domain directory was altered: issue a new request",
        ));
    }
    Ok(secret)
}

/// Every file in `dir`, in name order, opened as a contribution to `request`.
fn read_contributions(
    dir: &Path,
    request: &Request,
    secret: &RequestSecret,
) -> Result<Vec<Contributed>, CeremonyError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(CeremonyError::io(dir))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(CeremonyError::io(dir))?;
    if files.len() > MAX_CONTRIBUTIONS {
        return Err(CeremonyError::refused(
            format!("{}: more than {MAX_CONTRIBUTIONS} files", dir.display()),
            "put only the contribution files of this request in the directory",
        ));
    }
    files.sort();
    Ok(files
        .into_iter()
        .map(|file| contributed(file, request, secret))
        .collect())
}

/// One contribution file, read and opened, or why not.
fn contributed(file: PathBuf, request: &Request, secret: &RequestSecret) -> Contributed {
    let is_file = std::fs::symlink_metadata(&file).is_ok_and(|m| m.file_type().is_file());
    let bytes = if is_file {
        read_at_most(&file, MAX_CONTRIBUTION_LEN).map_err(|e| format!("cannot read it: {e}"))
    } else {
        Err("not a regular file (links are not followed)".to_owned())
    };
    let fingerprint = bytes.as_ref().map_or_else(
        |_| "unreadable".to_owned(),
        |b| hex::encode(sha2::Sha256::digest(b)),
    );
    let parsed = bytes.and_then(|bytes| {
        if bytes.len() > MAX_CONTRIBUTION_LEN {
            return Err(format!(
                "larger than {MAX_CONTRIBUTION_LEN} bytes, so not a contribution"
            ));
        }
        Contribution::parse(&bytes).map_err(|e| e.to_string())
    });
    let official = parsed.as_ref().ok().map(|c| c.official.clone());
    let opened = parsed.and_then(|contribution| open_contribution(&contribution, request, secret));
    Contributed {
        file,
        fingerprint,
        official,
        opened,
    }
}

/// Checks a contribution against the request and opens it.
fn open_contribution(
    contribution: &Contribution,
    request: &Request,
    secret: &RequestSecret,
) -> Result<(SealedShare, crate::primitives::secret::SecretBytes), String> {
    if contribution.ceremony_id != request.ceremony_id {
        return Err(format!(
            "made for another ceremony (id {}), not this request's (id {})",
            hex::encode(contribution.ceremony_id),
            hex::encode(request.ceremony_id)
        ));
    }
    if contribution.purpose != request.purpose {
        return Err(format!(
            "made for a {}, not this {}",
            contribution.purpose, request.purpose
        ));
    }
    if contribution.request != request.fingerprint() {
        return Err(format!(
            "made for another request (fingerprint {})",
            contribution.request
        ));
    }
    let contents = contribution.open(secret).map_err(|e| e.to_string())?;
    let sealed = SealedShare::parse(&contents.sealed_share)
        .map_err(|e| format!("the share file inside: {e}"))?;
    if sealed.header().official != contribution.official {
        return Err(format!(
            "it names official {} but carries official {}'s share file",
            contribution.official,
            sealed.header().official
        ));
    }
    Ok((sealed, contents.share))
}
