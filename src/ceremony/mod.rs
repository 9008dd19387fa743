//! Layer 6, ceremonies: genesis, unlock, recover, drill, rotate, reshare, reseal and audit, each composing
//! the layers below and recording every step in a hash-chained [`transcript`]; a ceremony that
//! holds the domain key when it closes signs its close ([`transcript_signature`]). Ceremonies talk
//! to people only through the command line's prompts; they never print or log a secret.

pub mod attendant;
pub mod audit;
pub mod canary;
pub mod contribute;
pub mod demo;
pub mod drill;
mod enrolment;
pub mod error;
pub mod genesis;
pub mod history;
pub mod passphrase;
mod quorum;
mod quorum_seal;
pub mod recover;
mod remote;
pub mod request;
pub mod reseal;
pub mod reshare;
pub mod rotate;
pub mod secret;
mod share_set;
pub mod step;
pub mod token_keys;
mod tokens;
pub mod transcript;
pub mod transcript_signature;
mod tries;
mod trust;
pub mod unlock;

pub use attendant::{Attendant, Event};
pub use error::CeremonyError;
pub use passphrase::{AcceptedPassphrase, PassphrasePolicy};
pub use remote::RemoteOffer;
pub use trust::Expected;
