//! Layer 3, remote contribution: the formats and the cryptography by which an official far from
//! the ceremony machine gives their share to it — the request the ceremony machine issues
//! ([`request`], with a fresh key of the hybrid post-quantum KEM X-Wing), the contribution an
//! official makes on their own machine ([`contribution`]), the KEM and the key derived from it
//! ([`kem`]), the request's private key as its token sealed it ([`sealed_key`]), and the text
//! form of requests and contributions ([`armor`]).
//!
//! It does no I/O and knows no manifest, token or person: the ceremony layer binds a request to
//! its domain, keeps its private key under a token key, and checks each share it opens.

pub mod armor;
pub mod contribution;
pub mod kem;
pub mod request;
pub mod sealed_key;

pub use contribution::{Contents, Contribution, ContributionError};
pub use kem::RequestSecret;
pub use request::{Purpose, Request, RequestError, RequestFingerprint};
pub use sealed_key::SealedRequestKey;
