//! The ceremony attendant of the command line: passphrases from no-echo prompts, or from
//! `PDIR/<official-id>.pass` in scripted mode, a new one held to the ceremony's passphrase policy
//! as soon as it is typed (before its confirmation); a wrong passphrase asked again at a prompt,
//! never from a file (`can_ask_again`); token PINs from prompts; and the narration of each event
//! on stdout, so the room hears what happened — or on stderr when stdout carries a JSON report or
//! recovered data.

use std::path::PathBuf;

use crate::ceremony::{
    AcceptedPassphrase, Attendant, CeremonyError, Event, Expected, PassphrasePolicy,
};
use crate::domain::{ManifestDigest, Official};
use crate::files::{check_private, read_secret_file, SecretFileError};
use crate::hsm::TokenDescription;
use crate::primitives::secret::{Passphrase, Pin};
use crate::primitives::signature::DomainFingerprint;
use crate::readout::{hex_groups, pgp_words};

use super::output::print;
use super::prompt;

/// How many times an official may choose a passphrase that is too weak, or type two different
/// entries, before the ceremony stops.
const NEW_PASSPHRASE_TRIES: usize = 3;

/// `--passphrases PDIR`, the scripted mode of every ceremony that asks officials for passphrases.
#[derive(Debug, clap::Args)]
pub struct Passphrases {
    /// Scripted mode: read each official's passphrase from PDIR/<official-id>.pass.
    #[arg(long = "passphrases", value_name = "PDIR")]
    dir: Option<PathBuf>,
}

impl Passphrases {
    /// The attendant for a ceremony: prompts, or PDIR when given. `stdout_reserved`: standard
    /// output carries a JSON report or data, so the narration goes to standard error.
    pub fn attendant(&self, stdout_reserved: bool) -> RoomAttendant {
        RoomAttendant {
            passphrases: self.dir.clone(),
            stdout_reserved,
        }
    }
}

/// Prompts on the terminal, or reads `PDIR/<official-id>.pass` when a PDIR is given.
#[derive(Debug)]
pub struct RoomAttendant {
    passphrases: Option<PathBuf>,
    stdout_reserved: bool,
}

impl RoomAttendant {
    /// An attendant narrating on stdout, scripted when `passphrases` names a PDIR.
    pub fn new(passphrases: Option<PathBuf>) -> Self {
        Self {
            passphrases,
            stdout_reserved: false,
        }
    }

    /// Tells the room: on stdout, or stderr when stdout is reserved for a report or data.
    fn say(&self, text: &str) {
        if self.stdout_reserved {
            eprint!("{text}");
        } else {
            print(text);
        }
    }

    fn scripted(&self, official: &Official) -> Option<Result<Passphrase, CeremonyError>> {
        let dir = self.passphrases.as_ref()?;
        let file = dir.join(format!("{}.pass", official.id()));
        let named = |problem: &SecretFileError| {
            format!(
                "official {}: passphrase file {}: {problem}",
                official.id(),
                file.display()
            )
        };
        if let Err(exposed @ SecretFileError::Exposed { .. }) = check_private(&file, "passphrase") {
            return Some(Err(CeremonyError::refused(
                named(&exposed),
                "make every passphrase file private (chmod 600 PDIR/*.pass), then run the \
                 ceremony again",
            )));
        }
        Some(
            read_secret_file(&file, "passphrase")
                .map(Passphrase::from)
                .map_err(|e| {
                    CeremonyError::refused(
                        named(&e),
                        "in scripted mode PDIR must hold <official-id>.pass for every official \
                         taking part",
                    )
                }),
        )
    }
}

impl Attendant for RoomAttendant {
    fn new_passphrase(
        &mut self,
        policy: &PassphrasePolicy<'_>,
    ) -> Result<AcceptedPassphrase, CeremonyError> {
        let official = policy.official();
        if let Some(scripted) = self.scripted(official) {
            // A file cannot be asked again: a weak one stops the ceremony.
            return policy
                .accept(scripted?)
                .map_err(|weak| policy.refusal(&weak));
        }
        self.say(&format!(
            "\n>> Official {} ({}), {}: please come to the keyboard alone.\n   Choose a passphrase only you know: four or more unrelated words work well.\n",
            official.name(),
            official.id(),
            official.role()
        ));
        for _ in 0..NEW_PASSPHRASE_TRIES {
            // Judged as soon as it is typed: a weak one is never asked for twice.
            let chosen = prompt::choose_passphrase(official).map_err(into_refusal)?;
            let accepted = match policy.accept(chosen) {
                Ok(accepted) => accepted,
                Err(weak) => {
                    self.say(&format!("   {weak}; {}.\n", weak.advice()));
                    continue;
                }
            };
            let again = prompt::repeat_passphrase(official).map_err(into_refusal)?;
            if accepted.is_typed_again(&again) {
                return Ok(accepted);
            }
            self.say("   The two entries differ. Choose your passphrase once more, please.\n");
        }
        Err(CeremonyError::refused(
            format!("official {} chose no acceptable passphrase", official.id()),
            "nothing was published; start the ceremony again when the official is ready",
        ))
    }

    fn passphrase(&mut self, official: &Official) -> Result<Passphrase, CeremonyError> {
        if let Some(scripted) = self.scripted(official) {
            return scripted;
        }
        self.say(&format!(
            "\n>> Official {} ({}): please come to the keyboard.\n",
            official.name(),
            official.id()
        ));
        prompt::passphrase_for_share(official).map_err(into_refusal)
    }

    fn can_ask_again(&self) -> bool {
        // A passphrase file would only give the same passphrase again.
        self.passphrases.is_none()
    }

    fn token_pin(&mut self, token: &TokenDescription) -> std::io::Result<Pin> {
        prompt::token_pin(token)
    }

    fn confirmation(&mut self, question: &str) -> std::io::Result<String> {
        prompt::line(question)
    }

    fn announce(&mut self, event: &Event) {
        self.say(&format!("{}\n", narrate(event)));
    }
}

fn into_refusal(failure: super::Failure) -> CeremonyError {
    CeremonyError::refused(
        failure.message,
        "run the ceremony on a terminal, or give --passphrases PDIR",
    )
}

/// One line for the room.
fn narrate(event: &Event) -> String {
    match event {
        Event::ActingOn {
            domain,
            fingerprint,
            epoch,
            position,
            digest,
            receiving,
            expected,
        } => acting_on(
            &format!("domain {domain}, epoch {epoch} (chain position {position})"),
            fingerprint,
            digest,
            receiving,
            expected,
        ),
        Event::TokenReady { token } => format!("   token ready: {token}"),
        Event::KeyGenerated { kcv } => format!("   domain key generated (key check value {kcv})"),
        Event::ShareSealed { official } => {
            format!("   share of {official} sealed under their passphrase")
        }
        Event::KeyImported { token } => {
            format!("   domain key imported into {token}, non-extractable; the token proved it holds exactly this key")
        }
        Event::ShareVerified { official } => {
            format!("   {official} opened and verified their own share")
        }
        Event::ShareAccepted {
            official,
            accepted,
            needed,
        } => {
            format!("   share of {official} accepted: {accepted} of {needed} accepted")
        }
        Event::WrongPassphrase { official, left } => format!(
            "   That passphrase does not open the share of {official}; check letter case and \
             keyboard layout. {left} {} left: {official}, type it again.",
            if *left == 1 { "try" } else { "tries" }
        ),
        Event::ShareRefused {
            file,
            official,
            reason,
        } => match official {
            Some(official) => format!("   REFUSED: share of {official} ({file}): {reason}"),
            None => format!("   REFUSED: {file}: {reason}"),
        },
        Event::Chapter(title) => format!("\n== {title}"),
        Event::Step(text) => format!("   {text}"),
    }
}

/// The manifest a ceremony acts on, for the room to compare with the signed sheet.
fn acting_on(
    which: &str,
    fingerprint: &DomainFingerprint,
    digest: &ManifestDigest,
    receiving: &[String],
    expected: &Expected,
) -> String {
    let shares = if receiving.is_empty() {
        String::new()
    } else {
        format!("\n   new shares for     {}", receiving.join(", "))
    };
    let check = match (expected.domain.is_some(), expected.manifest.is_some()) {
        (_, true) => "It is the manifest given with --expect-manifest, its chain verified.",
        (true, false) => {
            "The domain is the one given with --expect-domain. Compare the manifest digest with \
             the signed ceremony sheet before anyone types; stop if it differs."
        }
        (false, false) => {
            "Its chain of signed manifests verifies from the domain fingerprint. Compare both \
             values with the signed ceremony sheet before anyone types; stop if either differs."
        }
    };
    format!(
        "   This ceremony acts on the manifest of {which}:\n   \
         domain fingerprint {}\n                      {}\n   \
         manifest digest    {}\n                      {}{shares}\n   {check}",
        hex_groups(fingerprint.as_bytes()),
        pgp_words(fingerprint.as_bytes()),
        hex_groups(digest.as_bytes()),
        pgp_words(digest.as_bytes()),
    )
}
