//! The tokens of a ceremony: opening them (asking for PINs the URIs do not name), drawing the
//! domain key from the OS's and every token's randomness, and importing the key into a token
//! with the proof that the token holds exactly that key, and the token's record of the newest
//! manifest of the domain's chain it has served (checked before anyone types, raised when a
//! ceremony has put a manifest in force on it). It never keeps a key in memory beyond
//! the call that needs it, and never names a key by anything but the manifest's selector.

use crate::archive::chain_record;
use crate::domain::Manifest;
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

/// Records on the token that it serves `manifest`'s chain position (raised, never lowered).
pub(super) fn record_chain_position(
    session: &TokenSession,
    manifest: &Manifest,
) -> Result<(), CeremonyError> {
    session.record_chain_position(&manifest.key_ref().domain, &chain_record(manifest))?;
    Ok(())
}
