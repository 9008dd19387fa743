//! The tokens of a ceremony: opening them (asking for PINs the URIs do not name), drawing the
//! domain key from the OS's and every token's randomness, and importing the key into a token
//! with the proof that the token holds exactly that key, and the token's record of the newest
//! manifest of the domain's chain it has served (checked before anyone types, raised when a
//! ceremony has put a manifest in force on it), and which tokens a domain key is enrolled on: the
//! manifest's record of a token, and the tokens a rotation must move the new key onto. It never
//! keeps a key in memory beyond the call that needs it, and never names a key by anything but the
//! manifest's selector.

use crate::archive::chain_record;
use crate::domain::{EnrolledToken, Manifest, Timestamp};
use crate::hsm::{self, DomainKeyHandle, KeySelector, Persistence, Pkcs11Uri, TokenSession};
use crate::primitives::key_identity::WrapCheck;
use crate::primitives::secret::DomainKey;
use crate::shares::generate_domain_key;

use super::attendant::{Attendant, Event};
use super::error::{CeremonyError, NOTHING_PUBLISHED};

/// Opens every token, asking for PINs the URIs do not name.
pub(super) fn open_tokens(
    uris: &[Pkcs11Uri],
    attendant: &mut dyn Attendant,
) -> Result<Vec<TokenSession>, CeremonyError> {
    uris.iter()
        .map(|uri| {
            if let Some(exposed) = hsm::exposed_pin_file(uri) {
                return Err(CeremonyError::refused(
                    exposed,
                    "make the token's PIN file private (chmod 600), then run the ceremony again",
                ));
            }
            let session = TokenSession::open(uri, &mut |token| attendant.token_pin(token))?;
            attendant.announce(&Event::TokenReady {
                token: session.token().to_string(),
            });
            Ok(session)
        })
        .collect()
}

/// Opens the one token a ceremony works on.
pub(super) fn open_token(
    uri: &Pkcs11Uri,
    attendant: &mut dyn Attendant,
    missing: &'static str,
) -> Result<TokenSession, CeremonyError> {
    open_tokens(std::slice::from_ref(uri), attendant)?
        .pop()
        .ok_or_else(|| CeremonyError::refused(missing, "give --hsm URI"))
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
    generate_domain_key(Some(&mixed)).map_err(|e| CeremonyError::failed(e, NOTHING_PUBLISHED))
}

/// Imports the key and proves the token holds exactly it: the token's RFC 3394 wrap of the wrap
/// check input must equal the wrap check value computed here with the key in memory.
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
    if let Err(error) = session.prove_domain_key(&kek, &WrapCheck::of(key)) {
        let _ = session.destroy_domain_key(kek);
        return Err(match error {
            hsm::Error::NotTheDomainKey { .. } => CeremonyError::refused(
                format!(
                    "token {} does not hold the key it was given",
                    session.token()
                ),
                "the token is faulty or not what it claims to be: remove it from the ceremony",
            ),
            other => other.into(),
        });
    }
    Ok(kek)
}

/// Refuses `manifest` when the token has served a later manifest of the domain, or another
/// domain of the same id; writes nothing.
pub(super) fn check_chain_record(
    session: &TokenSession,
    manifest: &Manifest,
) -> Result<(), CeremonyError> {
    Ok(session.check_chain_position(&manifest.key_ref().domain, &chain_record(manifest))?)
}

/// Refuses, before anyone types, a token that holds a key of the domain of an epoch after
/// `manifest`'s when no rotation is under way to have put it there: a fresh rotation would make
/// that epoch's key itself.
pub(super) fn refuse_newer_keys(
    session: &TokenSession,
    manifest: &Manifest,
) -> Result<(), CeremonyError> {
    let domain = &manifest.key_ref().domain;
    let newer = session
        .domain_keys(domain)?
        .into_iter()
        .find(|e| *e > manifest.epoch());
    match newer {
        Some(epoch) => Err(CeremonyError::refused(
            format!(
                "token {} already holds a key of domain {domain} for epoch {epoch}, after the \
                 manifest in force (epoch {}), and no rotation is under way; nothing was changed",
                session.token(),
                manifest.epoch()
            ),
            "find out where that key came from: `custody hsm keys` lists the token's custody \
             keys, and `custody hsm destroy` removes one not in force",
        )),
        None => Ok(()),
    }
}

/// Refuses, before anyone types, a token that already holds a key labelled as `manifest`'s: the
/// token would refuse the import only after the quorum had typed.
pub(super) fn refuse_key_present(
    session: &TokenSession,
    manifest: &Manifest,
) -> Result<(), CeremonyError> {
    let key = manifest.key_ref();
    if session.domain_keys(&key.domain)?.contains(&key.epoch) {
        return Err(CeremonyError::refused(
            format!(
                "token {} already holds a key of domain {} for epoch {}; nothing was changed",
                session.token(),
                key.domain,
                key.epoch
            ),
            "the key is there: seal and open with this token as it is, or unlock into another \
             token; `custody hsm keys` shows whether the key on it is the one in force",
        ));
    }
    Ok(())
}

/// Records on the token that it serves `manifest`'s chain position (raised, never lowered).
pub(super) fn record_chain_position(
    session: &TokenSession,
    manifest: &Manifest,
) -> Result<(), CeremonyError> {
    session.record_chain_position(&manifest.key_ref().domain, &chain_record(manifest))?;
    Ok(())
}

/// The manifest's record of the token of `session`, enrolled now, at `site` when one is named.
pub(super) fn enrolment(
    session: &TokenSession,
    site: Option<&str>,
) -> Result<EnrolledToken, CeremonyError> {
    let token = session.token();
    EnrolledToken::new(
        token.serial.clone(),
        token.label.clone(),
        token.manufacturer.clone(),
        token.model.clone(),
        site.map(str::to_owned),
        Timestamp::now(),
    )
    .map_err(|(field, problem)| {
        CeremonyError::refused(
            format!("token {token} cannot be enrolled: its {field} {problem}"),
            "custody knows a token by its serial number, label, manufacturer and model, and a \
             site by a short name: use a token that reports them, and a site name of 1 to 64 \
             characters",
        )
    })
}

/// The records of every token a genesis imports into; refuses one token named twice.
pub(super) fn enrolments(
    sessions: &[TokenSession],
    site: Option<&str>,
) -> Result<Vec<EnrolledToken>, CeremonyError> {
    let mut tokens: Vec<EnrolledToken> = Vec::with_capacity(sessions.len());
    for session in sessions {
        let token = enrolment(session, site)?;
        if tokens.iter().any(|t| t.serial() == token.serial()) {
            return Err(CeremonyError::refused(
                format!(
                    "token {} is named twice; nothing was generated or written",
                    session.token()
                ),
                "give each token's --hsm URI once",
            ));
        }
        tokens.push(token);
    }
    Ok(tokens)
}

/// The tokens a rotation of `manifest` moves the new key onto: every token it enrols, each one
/// either opened (in `sessions`) or retired by serial number (`retire`). Refuses, before anyone
/// types, a token opened that is not enrolled, a retirement that names no enrolled token or one
/// that is opened, and an enrolled token neither opened nor retired: the old epoch's key would
/// stay on it, serving a domain that retired it.
pub(super) fn rotation_tokens(
    manifest: &Manifest,
    sessions: &[TokenSession],
    retire: &[String],
) -> Result<Vec<EnrolledToken>, CeremonyError> {
    let domain = manifest.domain();
    for session in sessions {
        if manifest.token(&session.token().serial).is_none() {
            return Err(CeremonyError::refused(
                format!(
                    "token {} is not enrolled in domain {domain}; nothing was changed",
                    session.token()
                ),
                "a token joins a domain when a quorum unlocks the key onto it (custody unlock); \
                 leave it out of this rotation, or enrol it first",
            ));
        }
    }
    let opened = |serial: &str| sessions.iter().any(|s| s.token().serial == serial);
    for serial in retire {
        let Some(token) = manifest.token(serial) else {
            return Err(CeremonyError::refused(
                format!(
                    "--retire-token {serial} names no token enrolled in domain {domain}; nothing \
                     was changed"
                ),
                "custody inspect manifest.json lists the enrolled tokens with their serial numbers",
            ));
        };
        if opened(serial) {
            return Err(CeremonyError::refused(
                format!(
                    "token {token} is both given with --hsm and retired with --retire-token; \
                     nothing was changed"
                ),
                "give a token with --hsm to move the new key onto it, or retire it, not both",
            ));
        }
    }
    let mut kept = Vec::new();
    for token in manifest.tokens() {
        if opened(token.serial()) {
            kept.push(token.clone());
        } else if !retire.iter().any(|serial| serial == token.serial()) {
            return Err(CeremonyError::refused(
                format!(
                    "token {token}, enrolled in domain {domain}, is neither given with --hsm nor \
                     retired with --retire-token: rotating without it would leave the epoch {} \
                     key on it; nothing was changed",
                    manifest.epoch()
                ),
                "give --hsm for every enrolled token; retire one that is lost or leaves service \
                 with --retire-token SERIAL (recorded in the transcript), and destroy its key \
                 if it is ever found",
            ));
        }
    }
    if kept.is_empty() {
        return Err(CeremonyError::refused(
            format!(
                "no token of domain {domain} is given to hold the new key; nothing was changed"
            ),
            "give --hsm for at least one enrolled token",
        ));
    }
    Ok(kept)
}

/// Refuses, before anyone types, a site name the manifest could not record.
pub(super) fn check_site(site: Option<&str>) -> Result<(), CeremonyError> {
    match site.map(EnrolledToken::check_site) {
        Some(Err(problem)) => Err(CeremonyError::refused(
            format!("the site name {problem}"),
            "name the site in 1 to 64 characters, e.g. --site Luxembourg",
        )),
        _ => Ok(()),
    }
}
