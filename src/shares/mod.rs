//! Layer 3, shares: threshold shares of a domain key and the sealed files officials hold them in.
//! It builds on `primitives` only; it never touches an HSM, a manifest or the terminal.

pub mod sealed;
