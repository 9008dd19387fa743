//! custody: secret-shared key custody and recovery for a state's data embassy.
//!
//! The crate is layered as the design brief describes; a layer never imports a layer above it:
//! 1. [`primitives`] — zeroizing secret types, KDFs, AEAD helpers, key commitments, and the one
//!    name of a domain key every layer uses (`DomainId`, `KeyRef`). No I/O.
//! 2. [`hsm`] — everything PKCS#11. Nothing outside it touches cryptoki.
//! 3. [`shares`] — verifiable threshold shares of the domain key (Pedersen VSS over P-256) and
//!    the sealed share files officials hold them in.
//!    [`selftest`], the power-on self-tests of everything below, sits on this layer.
//!    [`remote`], the request and contribution formats of remote share contribution and their
//!    hybrid post-quantum KEM, sits on it too.
//! 4. [`domain`] — the public manifest and its officials: loading, validating, the canonical
//!    digest, binding share files to it, the passphrase policy and resealing.
//! 5. [`archive`] — sealed archives: data sets of any size under data keys wrapped by the domain
//!    key through the `KeyWrap` seam (a key on a token today), a MAC-authenticated header and a
//!    parallel STREAM of AES-256-GCM chunks.
//! 6. [`ceremony`] — ceremonies and their hash-chained transcripts; [`inspect`], the public
//!    facts of any custody file; [`kit`], the recovery kit written from a domain and checked;
//!    [`paper`], a share file on a share sheet (QR code and checked words) and read back;
//!    [`catalog`], an archive store's hash-chained catalog, checked with no key.
//! 7. [`cli`] — the `custody` command line: thin, no crypto, no format logic.
//!
//! Beneath every layer, [`files`] holds plain file handling (atomic writes, bounded reads, secret
//! files) and [`hardening`] the process's own protection (no core dumps, not dumpable, memory
//! locked): no format and no cryptography. [`readout`], how public digests are read aloud, is
//! presentation for the two layers that speak to people, [`ceremony`] and [`cli`].

pub mod archive;
pub mod catalog;
pub mod ceremony;
pub mod cli;
pub mod domain;
pub mod files;
pub mod hardening;
pub mod hsm;
pub mod inspect;
pub mod kit;
pub mod paper;
pub mod primitives;
pub mod readout;
pub mod remote;
pub mod selftest;
pub mod shares;
pub mod store;
