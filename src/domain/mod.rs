//! Layer 4, domain: the public manifest of a custody domain and the officials it names; loading
//! and validating them, the manifest's canonical encoding and digest, binding an official's
//! sealed share file to the manifest, the passphrase policy, and resealing a share.
//!
//! Everything a manifest says is public. This layer must never hold a domain key, print a secret,
//! or touch an HSM or the terminal; the only files it reads or writes are manifests and officials files.

mod binding;
pub mod chain;
mod identifier;
pub mod manifest;
mod official;
mod officials_file;
mod passphrase;
mod reseal;
mod shown_text;
mod timestamp;

pub use binding::ShareCheckError;
pub use chain::{ChainError, LinkKind, ManifestChain};
pub use manifest::{
    ChainLink, EnrolledToken, Manifest, ManifestDigest, ManifestError, ManifestFields,
    ManifestProblem, OfficialEntry, RevokedSet,
};
pub use official::{InvalidOfficial, Official, OfficialId, MAX_TEXT_CHARS};
pub use officials_file::{load_officials, parse_officials, OfficialsFileError, OFFICIALS_RANGE};
pub use passphrase::{check_new_passphrase, WeakPassphrase, MIN_PASSPHRASE_CHARS};
pub use reseal::{reseal, reseal_params, ResealError, Resealed};
pub use timestamp::Timestamp;
