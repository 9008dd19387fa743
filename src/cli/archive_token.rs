//! The token side of `seal`, `open` and `verify`: one logged-in session from the `--hsm` URI,
//! and the domain key an archive names, found by the name every token gives it
//! (`KeySelector::domain_key`). A missing key is reported in the archive's words: which domain,
//! epoch and key id the token lacks.

use super::output::Failure;
use super::prompt;
use crate::archive::ArchiveIdentity;
use crate::hsm::{self, DomainKeyHandle, KeySelector, Pkcs11Uri, TokenSession};

/// Opens one session on the token `uri` names, prompting for the PIN when it names no source.
pub fn open_session(uri: &str) -> Result<TokenSession, Failure> {
    let uri: Pkcs11Uri = uri.parse()?;
    Ok(TokenSession::open(&uri, &mut prompt::token_pin)?)
}

/// The domain key of `identity` on the session's token, its protections checked.
pub fn domain_key(
    session: &TokenSession,
    identity: &ArchiveIdentity,
) -> Result<DomainKeyHandle, Failure> {
    let selector =
        KeySelector::domain_key(&identity.domain, identity.epoch, identity.key_id.as_bytes());
    session
        .find_domain_key(&selector)
        .map_err(|error| match error {
            hsm::Error::DomainKeyAbsent { token, key } => Failure::new(
                format!(
                    "token {token} does not hold the domain key of {} epoch {} (key {key}, key id {})",
                    identity.domain, identity.epoch, identity.key_id
                ),
                "use a token holding that domain key (genesis or unlock puts it there); \
                 `custody inspect ARCHIVE` shows the domain, epoch and key id an archive needs",
            ),
            other => other.into(),
        })
}
