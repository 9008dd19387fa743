//! Binding an official's sealed share file to the manifest, before and after opening it. Before:
//! the file is of this manifest's domain, epoch and share set, its official is listed with the
//! same share id and threshold, and its fingerprint is the one the manifest records. After: the
//! share inside has the header's identifier and verifies against the manifest's verifier set.
//!
//! A share file of a set the manifest lists as revoked is refused by name, with the revocation's
//! date and reason, before anything else about it is examined.
//!
//! It must never return a share that failed a check, and its errors say which check failed
//! (wrong passphrase, damaged file, another domain, epoch or set, a revoked set, not recorded in
//! this manifest) with public facts only.

use super::manifest::{Manifest, OfficialEntry};
use crate::primitives::secret::{Passphrase, SecretBytes};
use crate::shares::sealed::{SealedShare, SealedShareError, ShareHeader};
use crate::shares::{self, Share, SharesError};

/// Why a share file does not belong to a manifest, or did not open and verify.
#[derive(Debug, thiserror::Error)]
pub enum ShareCheckError {
    /// The file is of another domain, epoch or share set.
    #[error(
        "this share file belongs to {field} `{found}`, but the manifest is for {field} `{expected}`"
    )]
    OtherShareSet {
        /// `domain`, `epoch` or `set id`.
        field: &'static str,
        /// The manifest's value.
        expected: String,
        /// The file's value.
        found: String,
    },
    /// The file belongs to a share set the manifest lists as revoked.
    #[error("official {official}: this share belongs to set {set_id}, revoked on {revoked_at}: {reason}")]
    Revoked {
        /// The official the file names.
        official: String,
        /// The revoked set's id, hex.
        set_id: String,
        /// When it was revoked.
        revoked_at: String,
        /// Why.
        reason: String,
    },
    /// The file was sealed under a manifest later in the chain than this one: this manifest was
    /// rolled back, or is a stale copy.
    #[error(
        "official {official}'s share file was made at chain position {share_position}, after \
         this manifest (chain position {manifest_position}): the manifest is older than the \
         share, so it was rolled back or is a stale copy"
    )]
    OlderManifest {
        /// The official the file names.
        official: String,
        /// The file's chain position.
        share_position: u64,
        /// The manifest's.
        manifest_position: u64,
    },
    /// The file's official is not in the manifest.
    #[error("this share file is for official `{official}`, who is not listed in the manifest")]
    NotListed {
        /// The official the file names.
        official: String,
    },
    /// The file's share id or threshold disagrees with the manifest's entry.
    #[error(
        "this share file of official `{official}` says {field} {found}, but the manifest records \
         {expected}"
    )]
    EntryMismatch {
        /// The official.
        official: String,
        /// `share id` or `threshold`.
        field: &'static str,
        /// The manifest's value.
        expected: String,
        /// The file's value.
        found: String,
    },
    /// The file is well formed but its fingerprint is not the manifest's.
    #[error(
        "this share file is not the one the manifest records for official {official} (resealed? \
         use the current manifest): its fingerprint is {found}, the manifest records {recorded}"
    )]
    NotRecorded {
        /// The official.
        official: String,
        /// The file's fingerprint.
        found: String,
        /// The manifest's fingerprint.
        recorded: String,
    },
    /// The file did not open: a wrong passphrase, or damage.
    #[error(transparent)]
    Sealed(#[from] SealedShareError),
    /// The file opened but holds no readable share (it was not written by custody).
    #[error("the share inside official {official}'s file cannot be read: {source}")]
    Unreadable {
        /// The official.
        official: String,
        /// Why the share bytes were refused.
        source: SharesError,
    },
    /// The share inside is not the share its header names.
    #[error(
        "the share inside official {official}'s file is share {found}, but the file says share \
         {expected}"
    )]
    IdentifierMismatch {
        /// The official.
        official: String,
        /// The header's share id.
        expected: u8,
        /// The share's identifier.
        found: u8,
    },
    /// The share does not verify against the manifest's verifier set.
    #[error(
        "share {share_id} of official {official} does not match the manifest's verifier set: it \
         is damaged or forged, or the manifest is not this share set's"
    )]
    NotInSet {
        /// The official.
        official: String,
        /// The share's identifier.
        share_id: u8,
    },
}

impl ShareCheckError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::OtherShareSet { .. } => {
                "use the manifest of this share's domain, epoch and share set, or the share file \
                 that belongs to this manifest; `custody inspect FILE` shows both"
            }
            Self::OlderManifest { .. } => {
                "refuse this manifest: use the domain's current manifest.json together with its \
                 chain/ directory, and compare its digest with the one on the signed sheet of the \
                 last ceremony; `custody audit DIR` checks the chain"
            }
            Self::Revoked { .. } => {
                "this share file was replaced at a reshare: use the official's share file of the \
                 current set; if the old file may be in the wrong hands, rotate the key (custody \
                 rotate)"
            }
            Self::NotListed { .. } => {
                "check that this share file and this manifest belong together; `custody inspect \
                 FILE` shows whose share it is"
            }
            Self::NotRecorded { .. } => {
                "if this share was resealed, use the manifest that reseal wrote; otherwise \
                 restore the share file from a backup and compare `custody inspect` fingerprints"
            }
            Self::Sealed(SealedShareError::WrongPassphrase) => {
                "only the official who holds this share knows its passphrase; nothing was changed"
            }
            Self::Sealed(_) => {
                "restore the share file from a backup copy; `custody inspect` on the copy shows \
                 its fingerprint to compare with the manifest"
            }
            Self::EntryMismatch { .. }
            | Self::Unreadable { .. }
            | Self::IdentifierMismatch { .. }
            | Self::NotInSet { .. } => {
                "set this share file aside and report it to the domain's security officer; \
                 restore the share file and the manifest from trusted copies"
            }
        }
    }
}

impl Manifest {
    /// Checks, without opening it, that `sealed` is the share file this manifest records, and
    /// returns its official's entry.
    pub fn check_share(&self, sealed: &SealedShare) -> Result<&OfficialEntry, ShareCheckError> {
        let header = sealed.header();
        self.check_not_revoked(header)?;
        self.check_share_set(header)?;
        let entry = self
            .official(&header.official)
            .ok_or_else(|| ShareCheckError::NotListed {
                official: header.official.clone(),
            })?;
        sealed
            .expect(&self.expected_header(entry, header.chain_position))
            .map_err(|error| match error {
                SealedShareError::HeaderMismatch {
                    field,
                    expected,
                    found,
                } => ShareCheckError::EntryMismatch {
                    official: header.official.clone(),
                    field,
                    expected,
                    found,
                },
                other => ShareCheckError::Sealed(other),
            })?;
        let found = sealed.fingerprint();
        if found != entry.share_fingerprint() {
            return Err(ShareCheckError::NotRecorded {
                official: header.official.clone(),
                found,
                recorded: entry.share_fingerprint().to_owned(),
            });
        }
        Ok(entry)
    }

    /// Checks the binding, opens the file with `passphrase`, and verifies the share inside
    /// against the manifest's verifier set. The share is returned only when every check passed.
    pub fn open_share(
        &self,
        sealed: &SealedShare,
        passphrase: &Passphrase,
    ) -> Result<Share, ShareCheckError> {
        let entry = self.check_share(sealed)?;
        let plaintext = sealed.open(passphrase)?;
        self.verified(entry, &plaintext)
    }

    /// Checks the binding of `sealed`, the sealed share file an official contributed remotely,
    /// and verifies `plaintext`, the share that came with it, as [`open_share`](Self::open_share)
    /// verifies the share inside a file it opened: the share is returned only when every check
    /// passed.
    pub fn contributed_share(
        &self,
        sealed: &SealedShare,
        plaintext: &SecretBytes,
    ) -> Result<Share, ShareCheckError> {
        let entry = self.check_share(sealed)?;
        self.verified(entry, plaintext)
    }

    /// The share `plaintext` of `entry`'s official, read and verified against the verifier set.
    fn verified(
        &self,
        entry: &OfficialEntry,
        plaintext: &SecretBytes,
    ) -> Result<Share, ShareCheckError> {
        let official = entry.official().id().to_string();
        let share = Share::from_bytes(plaintext.expose()).map_err(|source| {
            ShareCheckError::Unreadable {
                official: official.clone(),
                source,
            }
        })?;
        if share.identifier() != entry.share_id() {
            return Err(ShareCheckError::IdentifierMismatch {
                official,
                expected: entry.share_id(),
                found: share.identifier(),
            });
        }
        shares::verify(&share, self.verifier_set()).map_err(|_| ShareCheckError::NotInSet {
            official,
            share_id: share.identifier(),
        })?;
        Ok(share)
    }

    /// A file of this domain whose set was revoked is named as revoked, whatever else it says.
    fn check_not_revoked(&self, header: &ShareHeader) -> Result<(), ShareCheckError> {
        if header.domain != self.domain() {
            return Ok(());
        }
        match self.revocation(&header.set_id) {
            Some(revoked) => Err(ShareCheckError::Revoked {
                official: header.official.clone(),
                set_id: hex::encode(revoked.set_id()),
                revoked_at: revoked.revoked_at().to_string(),
                reason: revoked.reason().to_owned(),
            }),
            None => Ok(()),
        }
    }

    /// Domain, its fingerprint, epoch and set id first: a file from elsewhere is named as such,
    /// not as a stranger; a file newer than the manifest names the manifest as rolled back.
    fn check_share_set(&self, header: &ShareHeader) -> Result<(), ShareCheckError> {
        if header.domain == self.domain()
            && header.domain_fingerprint == self.domain_fingerprint()
            && header.chain_position > self.chain_position()
        {
            return Err(ShareCheckError::OlderManifest {
                official: header.official.clone(),
                share_position: header.chain_position,
                manifest_position: self.chain_position(),
            });
        }
        let fields = [
            ("domain", self.domain().to_owned(), header.domain.clone()),
            (
                "domain fingerprint",
                self.domain_fingerprint().to_string(),
                header.domain_fingerprint.to_string(),
            ),
            ("epoch", self.epoch().to_string(), header.epoch.to_string()),
            (
                "set id",
                hex::encode(self.set_id()),
                hex::encode(header.set_id),
            ),
        ];
        match fields
            .into_iter()
            .find(|(_, expected, found)| expected != found)
        {
            Some((field, expected, found)) => Err(ShareCheckError::OtherShareSet {
                field,
                expected,
                found,
            }),
            None => Ok(()),
        }
    }

    /// The header the manifest says this official's share file has. Its chain position is the
    /// position at which the share set was made, which [`check_share_set`](Self::check_share_set)
    /// has found not after the manifest's: an enrolment advances the chain and keeps the set.
    fn expected_header(&self, entry: &OfficialEntry, set_position: u64) -> ShareHeader {
        ShareHeader {
            domain: self.domain().to_owned(),
            epoch: self.epoch(),
            set_id: *self.set_id(),
            chain_position: set_position,
            domain_fingerprint: self.domain_fingerprint(),
            share_id: entry.share_id(),
            official: entry.official().id().to_string(),
            threshold: self.threshold(),
        }
    }
}
