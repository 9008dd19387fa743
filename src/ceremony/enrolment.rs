//! Enrolment: a token joins the domain. When a quorum unlocks the key onto a token the manifest
//! does not list, the next manifest of the chain is the one in force plus that token, signed by
//! the key the quorum rebuilt, and published; the transcript records it and the token records its
//! chain position. From then on every rotation must move the new key onto that token too, or
//! retire it (D63). A session-only unlock (a drill) enrols nothing.

use std::path::Path;

use crate::domain::{Manifest, ManifestChain};
use crate::hsm::TokenSession;
use crate::primitives::secret::DomainKey;
use crate::primitives::signature::SigningKey;

use super::error::CeremonyError;
use super::step::Step;
use super::tokens::{enrolment, record_chain_position};
use super::transcript::Transcript;

/// Publishes the manifest that enrols the token of `session` (at `site`) beside `manifest_path`,
/// signed with `key`, the rebuilt key of the epoch in force; returns it. A token already enrolled
/// changes nothing and returns `None`.
pub(super) fn enrol(
    chain: &mut ManifestChain,
    manifest_path: &Path,
    session: &TokenSession,
    site: Option<&str>,
    key: &DomainKey,
    transcript: &mut Transcript,
) -> Result<Option<Manifest>, CeremonyError> {
    let current = chain.in_force();
    if current.token(&session.token().serial).is_some() {
        return Ok(None);
    }
    let token = enrolment(session, site)?;
    let mut fields = current.fields().clone();
    fields.tokens.push(token);
    fields.link = current.next_link(current.verifying_key().clone());
    let next = Manifest::new(fields, &SigningKey::derive(key))?;
    chain.publish(next.clone(), manifest_path)?;
    transcript.append(Step::TokenEnrolled {
        manifest: next.digest(),
        token: session.token().clone(),
        site: site.map(str::to_owned),
    })?;
    record_chain_position(session, &next)?;
    Ok(Some(next))
}
