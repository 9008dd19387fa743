//! The operating system's random generator, failing with an error instead of the panic
//! `rand::rng()` would give: custody must say "no randomness" in words, not crash mid-ceremony.

use rand::rngs::SysRng;
use rand::TryRng;

/// The OS generator failed; the text is the system's reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random generator failed: {0}")]
pub struct RandomnessUnavailable(pub String);

/// Fills `buffer` from the OS generator.
pub fn fill(buffer: &mut [u8]) -> Result<(), RandomnessUnavailable> {
    SysRng
        .try_fill_bytes(buffer)
        .map_err(|error| RandomnessUnavailable(error.to_string()))
}
