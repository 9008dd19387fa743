//! How a ceremony reaches the people in the room: it asks for passphrases and PINs and tells what
//! happened, through an [`Attendant`] the command line provides (terminal prompts, or files in
//! scripted mode). Events carry public facts only.

use crate::domain::{ManifestDigest, Official};
use crate::hsm::TokenDescription;
use crate::primitives::secret::{Passphrase, Pin};
use crate::primitives::signature::DomainFingerprint;

use super::error::CeremonyError;
use super::passphrase::{AcceptedPassphrase, PassphrasePolicy};
use super::trust::Expected;

/// Something that happened, for the room to hear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The manifest the ceremony will act on, before anyone types.
    ActingOn {
        /// The domain.
        domain: String,
        /// The domain's fingerprint, to compare with the signed genesis sheet.
        fingerprint: DomainFingerprint,
        /// Its epoch.
        epoch: u32,
        /// The manifest's chain position.
        position: u64,
        /// The manifest digest, to compare with the signed ceremony sheet.
        digest: ManifestDigest,
        /// Officials who will receive shares; none when the ceremony issues none.
        receiving: Vec<String>,
        /// What the officials gave on the command line, which both values matched.
        expected: Expected,
    },
    /// A token is open and logged in.
    TokenReady {
        /// The token.
        token: String,
    },
    /// The domain key exists (in memory); its public identity.
    KeyGenerated {
        /// Key check value, hex.
        kcv: String,
    },
    /// An official's share is sealed under their passphrase.
    ShareSealed {
        /// The official's id.
        official: String,
    },
    /// The domain key is on a token, and the token proved it holds exactly that key.
    KeyImported {
        /// The token.
        token: String,
    },
    /// An official opened and verified their own share.
    ShareVerified {
        /// The official's id.
        official: String,
    },
    /// A share offered at an unlock was accepted.
    ShareAccepted {
        /// The official's id.
        official: String,
        /// Shares accepted so far.
        accepted: usize,
        /// Shares needed.
        needed: usize,
    },
    /// A passphrase did not open an official's share, and they are asked again.
    WrongPassphrase {
        /// The official's id.
        official: String,
        /// Tries left.
        left: usize,
    },
    /// A share offered at an unlock was refused.
    ShareRefused {
        /// The share file.
        file: String,
        /// The official's id, when the file names one.
        official: Option<String>,
        /// Why.
        reason: String,
    },
    /// A new part of the story begins (the demo's chapters).
    Chapter(String),
    /// Any other step, in words.
    Step(String),
}

/// The people in the room, as a ceremony sees them.
pub trait Attendant {
    /// A new passphrase chosen by the policy's official (asked twice on a terminal, judged after
    /// the first entry) that `policy` accepts: a weak one is refused and asked again where the
    /// official types, or, by
    /// an attendant that cannot ask again, refused with [`PassphrasePolicy::refusal`].
    fn new_passphrase(
        &mut self,
        policy: &PassphrasePolicy<'_>,
    ) -> Result<AcceptedPassphrase, CeremonyError>;
    /// `official`'s passphrase for their share file.
    fn passphrase(&mut self, official: &Official) -> Result<Passphrase, CeremonyError>;
    /// Whether a passphrase that did not open a share can be asked for again: a person at the
    /// keyboard can type it again, a file (scripted mode) would only give the same one.
    fn can_ask_again(&self) -> bool;
    /// A token's user PIN, for a token whose URI names no pin-source.
    fn token_pin(&mut self, token: &TokenDescription) -> std::io::Result<Pin>;
    /// What the person at the keyboard types, on one line, when shown `question` (a
    /// confirmation that names what it confirms); an error when nobody can be asked.
    fn confirmation(&mut self, question: &str) -> std::io::Result<String>;
    /// Tells the room what happened.
    fn announce(&mut self, event: &Event);
}
