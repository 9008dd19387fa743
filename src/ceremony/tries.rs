//! An official opening their own share: their passphrase is asked until it opens the share, up to
//! [`PASSPHRASE_TRIES`] times where a person types it, once where the attendant cannot ask again
//! (a file in scripted mode would only give the same passphrase). Each wrong try is announced to
//! the room and recorded as `<ceremony>.passphrase-refused`, never with the passphrase. Every
//! ceremony that has an official open a share (a quorum, and the proof of a new share) asks here,
//! and decides itself what an official whose share stayed closed means for it.

use std::fmt;

use crate::domain::{Manifest, Official, ShareCheckError};
use crate::shares::sealed::{SealedShare, SealedShareError};
use crate::shares::Share;

use super::attendant::{Attendant, Event};
use super::error::CeremonyError;
use super::step::{Ceremony, Step};
use super::transcript::Transcript;

/// How many times an official at the keyboard may type a passphrase that does not open their
/// share before they are skipped (or a genesis stops).
pub(super) const PASSPHRASE_TRIES: usize = 3;

/// Why an official's share stayed closed.
#[derive(Debug)]
pub(super) enum Unopened {
    /// Every try the attendant could make gave a passphrase that does not open the share.
    WrongPassphrase {
        /// How many were tried.
        tries: usize,
    },
    /// The share did not open, or did not verify, for another reason than the passphrase.
    Share(ShareCheckError),
    /// The passphrase could not be asked for.
    NotAsked(CeremonyError),
}

impl fmt::Display for Unopened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongPassphrase { tries: 1 } => f.write_str(
                "the passphrase does not open this share, and scripted mode cannot ask again",
            ),
            Self::WrongPassphrase { tries } => write!(f, "{tries} wrong passphrases"),
            Self::Share(error) => error.fmt(f),
            Self::NotAsked(error) => error.fmt(f),
        }
    }
}

/// Asks `official` for the passphrase of `sealed` until it opens and verifies against
/// `manifest`; every wrong try is announced and recorded. The outer error is a transcript that
/// could not be written: the ceremony stops.
pub(super) fn open_own_share(
    ceremony: Ceremony,
    manifest: &Manifest,
    sealed: &SealedShare,
    official: &Official,
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<Result<Share, Unopened>, CeremonyError> {
    let tries = if attendant.can_ask_again() {
        PASSPHRASE_TRIES
    } else {
        1
    };
    for number in 1..=tries {
        let passphrase = match attendant.passphrase(official) {
            Ok(passphrase) => passphrase,
            Err(error) => return Ok(Err(Unopened::NotAsked(error))),
        };
        match manifest.open_share(sealed, &passphrase) {
            Ok(share) => return Ok(Ok(share)),
            Err(ShareCheckError::Sealed(SealedShareError::WrongPassphrase)) => {
                transcript.append(Step::PassphraseRefused {
                    ceremony,
                    official: official.id().to_string(),
                    fingerprint: sealed.fingerprint(),
                    number,
                    tries,
                })?;
                if number < tries {
                    attendant.announce(&Event::WrongPassphrase {
                        official: official.id().to_string(),
                        left: tries - number,
                    });
                }
            }
            Err(other) => return Ok(Err(Unopened::Share(other))),
        }
    }
    Ok(Err(Unopened::WrongPassphrase { tries }))
}
