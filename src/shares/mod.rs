//! Layer 3, shares: Pedersen verifiable secret sharing of the domain key over P-256 (through
//! vsss-rs), the domain key's generation as a shareable scalar, and the byte layouts of a share
//! and of a verifier set, and the sealed share files officials hold them in.
//!
//! Every check vsss-rs leaves out is ours: 2 <= t <= n <= 255, identifiers exactly 1..=n, the
//! threshold from the authenticated manifest, each share verified before use, the key id checked
//! after combining. This layer must never let a vsss-rs type out of it (only `pedersen` names
//! them), print a secret, or touch an HSM, a file or the terminal.

mod combine;
mod domain_key;
mod error;
mod generators;
mod pedersen;
pub mod sealed;
mod share;
mod split;
mod verifier_set;

pub use combine::{combine, verify};
pub use domain_key::generate_domain_key;
pub use error::SharesError;
pub use share::{Share, SHARE_FORMAT_VERSION, SHARE_LEN};
pub use split::split;
pub use verifier_set::{VerifierSet, VERIFIER_SET_FORMAT_VERSION};
