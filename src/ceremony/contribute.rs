//! An official contributes their share from their own machine (`custody share contribute`): the
//! request is read and checked — not expired, of the domain and epoch of the official's own
//! share file — so that the official can compare its fingerprint with the one read aloud, then
//! their share is opened with their passphrase and encrypted to the request, bound to its
//! ceremony, purpose and the official, and only that ciphertext is written.
//!
//! Nothing secret touches the disk: the share exists in clear only in zeroizing memory, and the
//! one file written holds the contribution, which only the request's key (on the ceremony's
//! token) opens.

use std::path::Path;

use crate::domain::Timestamp;
use crate::files::write_atomic;
use crate::primitives::secret::Passphrase;
use crate::remote::{Contribution, Request};
use crate::shares::sealed::{SealedShare, SealedShareError};

use super::error::CeremonyError;
use super::remote::{expiry, read_request};
use super::reseal::read_share;

/// A request and an official's share file that belong together, ready for the passphrase.
#[derive(Debug)]
pub struct Prepared {
    /// The request, checked.
    pub request: Request,
    /// When it expires, RFC 3339.
    pub expires: String,
    sealed: SealedShare,
    sealed_bytes: Vec<u8>,
}

impl Prepared {
    /// Reads the request and the share file, and refuses a request that expired or is not for
    /// the share's domain and epoch.
    pub fn load(request: &Path, share: &Path) -> Result<Self, CeremonyError> {
        let read = read_request(request)?;
        let expires = expiry(&read);
        if Timestamp::now().unix_seconds() >= read.expires {
            return Err(CeremonyError::refused(
                format!("request {} expired at {expires}", request.display()),
                "ask the ceremony's security officer for a new request; nothing was written",
            ));
        }
        let sealed = read_share(share)?;
        let header = sealed.header();
        if header.domain_fingerprint != read.domain_fingerprint
            || header.domain != read.domain.as_str()
        {
            return Err(CeremonyError::refused(
                format!(
                    "request {} is for domain {} (fingerprint {}), but your share file {} is of domain {} (fingerprint {})",
                    request.display(),
                    read.domain,
                    read.domain_fingerprint,
                    share.display(),
                    header.domain,
                    header.domain_fingerprint
                ),
                "do not contribute: report this request to your domain's security officer; nothing was written",
            ));
        }
        if header.epoch != read.epoch {
            return Err(CeremonyError::refused(
                format!(
                    "request {} is for epoch {} of domain {}, but your share file {} is of epoch {}",
                    request.display(),
                    read.epoch,
                    read.domain,
                    share.display(),
                    header.epoch
                ),
                "contribute the share file of the domain's current epoch; nothing was written",
            ));
        }
        Ok(Self {
            expires,
            sealed_bytes: sealed.to_bytes(),
            sealed,
            request: read,
        })
    }

    /// The official the share file names.
    pub fn official(&self) -> &str {
        &self.sealed.header().official
    }

    /// Opens the share with `passphrase` and encrypts it to the request; the inner error is a
    /// share that did not open (a wrong passphrase, or damage).
    pub fn contribute(
        &self,
        passphrase: &Passphrase,
    ) -> Result<Result<Contribution, SealedShareError>, CeremonyError> {
        let share = match self.sealed.open(passphrase) {
            Ok(share) => share,
            Err(error) => return Ok(Err(error)),
        };
        Contribution::seal(&self.request, self.official(), &self.sealed_bytes, &share)
            .map(Ok)
            .map_err(|e| {
                CeremonyError::refused(
                    format!("the contribution could not be made: {e}"),
                    "nothing was written; try again",
                )
            })
    }
}

/// Writes `contribution` to `out` atomically, armored as text or as bytes; refuses an `out` that
/// is the official's share file or the request (it would replace it).
pub fn write_contribution(
    out: &Path,
    (share, request): (&Path, &Path),
    contribution: &Contribution,
    armored: bool,
) -> Result<(), CeremonyError> {
    let same = |other: &Path| match (out.canonicalize(), other.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same(share) || same(request) {
        return Err(CeremonyError::refused(
            format!(
                "--out {} is the share file or the request: the contribution would replace it",
                out.display()
            ),
            "write the contribution to a new file; nothing was written",
        ));
    }
    let bytes = if armored {
        contribution.to_armored().into_bytes()
    } else {
        contribution.to_bytes()
    };
    write_atomic(out, &bytes).map_err(CeremonyError::io(out))
}
