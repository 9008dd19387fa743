//! The rotation's key steps on the tokens: whether the new epoch's key is on every one, withdrawing
//! it from a rotation that stopped before it was, and retiring the old epoch's key once every
//! archive is rewrapped.

use crate::domain::Manifest;
use crate::hsm::{KeySelector, TokenSession};

use super::super::attendant::{Attendant, Event};
use super::super::error::CeremonyError;
use super::journal::Rotation;
use super::RotateRequest;

/// Destroys the old epoch's key on the token, unless asked to keep it; says which it did.
pub(super) fn retire_old_key(
    request: &RotateRequest,
    session: &TokenSession,
    rotation: &Rotation,
    attendant: &mut dyn Attendant,
) -> Result<bool, CeremonyError> {
    let old = rotation.old_key();
    let from_epoch = rotation.from_epoch;
    let old_key_destroyed = !request.keep_old;
    if old_key_destroyed {
        if let Ok(handle) = session.find_domain_key(&KeySelector::domain_key(&old)) {
            session.destroy_domain_key(handle)?;
        }
        attendant.announce(&Event::Step(format!(
            "the epoch {from_epoch} key is destroyed on {}",
            session.token()
        )));
    } else {
        attendant.announce(&Event::Step(format!(
            "the epoch {from_epoch} key stays on {} (--keep-old)",
            session.token()
        )));
    }
    Ok(old_key_destroyed)
}

/// Whether every token holds the new epoch's key.
pub(super) fn new_key_everywhere(sessions: &[TokenSession], new_manifest: &Manifest) -> bool {
    let selector = KeySelector::domain_key(new_manifest.key_ref());
    sessions
        .iter()
        .all(|session| session.find_domain_key(&selector).is_ok())
}

/// Destroys the new epoch's key wherever a rotation stopped before publishing put it: no archive
/// and no manifest in force names it yet.
pub(super) fn withdraw_new_key(
    sessions: &[TokenSession],
    new_manifest: &Manifest,
) -> Result<(), CeremonyError> {
    let selector = KeySelector::domain_key(new_manifest.key_ref());
    for session in sessions {
        if let Ok(handle) = session.find_domain_key(&selector) {
            session.destroy_domain_key(handle)?;
        }
    }
    Ok(())
}
