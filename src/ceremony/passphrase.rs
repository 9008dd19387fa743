//! The passphrase policy of a ceremony: the one rule a new share passphrase must meet, judged
//! against the words an attacker would try first for that share (the official's id and name, and
//! the domain). The ceremony makes the policy, because it knows the domain and the official; the
//! attendant applies it where the official types, so a weak passphrase is refused and asked again
//! there, and only a passphrase the policy accepted can seal a share. It never stores, prints or
//! reports a passphrase.

use crate::domain::{check_new_passphrase, Official, WeakPassphrase};
use crate::primitives::kdf::KdfParams;
use crate::primitives::secret::Passphrase;

use super::error::CeremonyError;

/// Whether share files sealed with `kdf` would be cheaper to attack than with the defaults (less
/// memory or fewer passes): allowed only with `--insecure-kdf`, recorded and flagged by the audit.
pub fn kdf_below_defaults(kdf: &KdfParams) -> bool {
    let strong = KdfParams::default();
    kdf.memory_kib() < strong.memory_kib() || kdf.iterations() < strong.iterations()
}

/// The rule for the new passphrase of one official's share in one domain.
#[derive(Debug, Clone, Copy)]
pub struct PassphrasePolicy<'a> {
    official: &'a Official,
    domain: &'a str,
}

/// A new passphrase the policy accepted; nothing else can seal a share.
#[derive(Debug)]
pub struct AcceptedPassphrase(Passphrase);

impl<'a> PassphrasePolicy<'a> {
    /// The policy for `official`'s share in `domain`.
    pub fn new(official: &'a Official, domain: &'a str) -> Self {
        Self { official, domain }
    }

    /// The official choosing the passphrase.
    pub fn official(&self) -> &'a Official {
        self.official
    }

    /// Accepts `passphrase`, or says why it is too weak.
    pub fn accept(&self, passphrase: Passphrase) -> Result<AcceptedPassphrase, WeakPassphrase> {
        self.judge(&passphrase)?;
        Ok(AcceptedPassphrase(passphrase))
    }

    /// Says why `passphrase` is too weak, if it is: for a prompt that judges the first entry
    /// before it asks for the second.
    pub fn judge(&self, passphrase: &Passphrase) -> Result<(), WeakPassphrase> {
        let context = [
            self.official.id().as_str(),
            self.official.name(),
            self.domain,
        ];
        check_new_passphrase(passphrase, &context)
    }

    /// The ceremony's refusal of a weak passphrase, for an attendant that cannot ask again (a
    /// scripted one).
    pub fn refusal(&self, weak: &WeakPassphrase) -> CeremonyError {
        CeremonyError::refused(
            format!("official {}: {weak}", self.official.id()),
            "choose a passphrase of four or more unrelated words; nothing was published",
        )
    }
}

impl AcceptedPassphrase {
    /// Whether `again`, the official's second entry, is the passphrase accepted.
    pub fn is_typed_again(&self, again: &Passphrase) -> bool {
        use secrecy::ExposeSecret;
        self.0.expose_secret() == again.expose_secret()
    }

    /// The passphrase, to seal a share under.
    pub(super) fn passphrase(&self) -> &Passphrase {
        &self.0
    }
}
