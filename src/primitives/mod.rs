//! Layer 1, primitives: zeroizing secret types, key derivation, AEAD helpers, key commitments, the
//! domain signature and the names of domain keys (`DomainId`, `KeyRef`).
//! Pure computation: nothing here does I/O or knows about files, tokens or officials.

pub mod aead;
pub mod domain_id;
pub mod kdf;
pub mod key_identity;
pub mod key_ref;
pub mod key_wrap;
pub mod random;
pub mod secret;
pub mod signature;
