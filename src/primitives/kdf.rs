//! Passphrase key derivation for sealed share files: argon2id (RFC 9106, version 0x13) stretches an
//! official's passphrase, then HKDF-SHA256 splits the result into an AES-256-GCM key and a
//! key-commitment value.
//!
//! This module owns the argon2id cost parameters and their hard bounds. It must never allocate
//! argon2 memory for parameters outside those bounds (a share file comes from outside and names its
//! own costs), never return key material in a type without a redacted `Debug`, and never do I/O.

use std::fmt;

use argon2::{Algorithm, Argon2, AssociatedData, Block, ParamsBuilder, Version};
use hkdf::Hkdf;
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::primitives::secret::{Passphrase, SecretBytes};

/// Length of the argon2id salt, in bytes.
pub const SALT_LEN: usize = 32;

/// Length of the argon2id output and of each HKDF output, in bytes.
pub const KEY_LEN: usize = 32;

/// HKDF-SHA256 `info` for the AES-256-GCM key that seals a share.
pub const ENCRYPTION_KEY_INFO: &[u8] = b"custody/share-seal/v1/key";

/// HKDF-SHA256 `info` for the key-commitment value stored in a share file.
pub const COMMITMENT_INFO: &[u8] = b"custody/share-seal/v1/commitment";

/// A parameter outside the bounds custody accepts, or a failure inside argon2.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KdfError {
    /// Memory cost outside `[8 × parallelism, MAX_MEMORY_KIB]`.
    #[error(
        "argon2id memory cost {memory_kib} KiB is outside the accepted range {min}..={max} KiB; \
         refused before allocating anything (a share file naming it was not written by custody)"
    )]
    MemoryOutOfBounds {
        /// The memory cost asked for, in KiB.
        memory_kib: u32,
        /// The smallest accepted value for the asked parallelism.
        min: u32,
        /// The largest accepted value.
        max: u32,
    },
    /// Iteration count outside `[1, MAX_ITERATIONS]`.
    #[error(
        "argon2id iteration count {iterations} is outside the accepted range 1..={max}; \
         refused before allocating anything (a share file naming it was not written by custody)"
    )]
    IterationsOutOfBounds {
        /// The iteration count asked for.
        iterations: u32,
        /// The largest accepted value.
        max: u32,
    },
    /// Parallelism outside `[1, MAX_PARALLELISM]`.
    #[error(
        "argon2id parallelism {parallelism} is outside the accepted range 1..={max}; \
         refused before allocating anything (a share file naming it was not written by custody)"
    )]
    ParallelismOutOfBounds {
        /// The lane count asked for.
        parallelism: u32,
        /// The largest accepted value.
        max: u32,
    },
    /// argon2 itself refused (for example, it could not allocate its memory).
    #[error("argon2id failed: {0}; check that the machine has enough free memory and retry")]
    Argon2(argon2::Error),
}

/// argon2id cost parameters, always within custody's hard bounds: the only constructors check
/// them, so holding a `KdfParams` means its memory may be allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

impl KdfParams {
    /// Upper bound on memory: 4 GiB. A larger value in a file is refused before allocation.
    pub const MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;
    /// Upper bound on iterations.
    pub const MAX_ITERATIONS: u32 = 64;
    /// Upper bound on lanes.
    pub const MAX_PARALLELISM: u32 = 16;

    /// The defaults for sealing a real share: 256 MiB, 3 passes, 2 lanes.
    ///
    /// Measured on the development machine (2 shared cores of an Intel Xeon @ 2.50GHz, 2026-11)
    /// with `cargo run --release --example kdf_timing`: 0.92–1.00 s per derivation, wiping the
    /// memory included (on the same machine, 256 MiB with 2 passes took 0.67–0.88 s, with 4
    /// passes 1.17–1.19 s; 512 MiB with 2 passes 1.44–1.50 s). Two lanes use both cores; memory
    /// dominates the cost of an attacker's guess, so it is held high.
    pub const STRONG: Self = Self {
        memory_kib: 256 * 1024,
        iterations: 3,
        parallelism: 2,
    };

    /// Checks the bounds and returns the parameters. Accepts any value argon2id defines within
    /// custody's ceilings, including the tiny costs tests and worked examples use; sealing for
    /// real uses [`KdfParams::STRONG`] (the `Default`).
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self, KdfError> {
        if !(1..=Self::MAX_PARALLELISM).contains(&parallelism) {
            return Err(KdfError::ParallelismOutOfBounds {
                parallelism,
                max: Self::MAX_PARALLELISM,
            });
        }
        // argon2 needs 8 blocks of 1 KiB per lane; parallelism <= 16 keeps this from overflowing.
        let min_memory = 8 * parallelism;
        if !(min_memory..=Self::MAX_MEMORY_KIB).contains(&memory_kib) {
            return Err(KdfError::MemoryOutOfBounds {
                memory_kib,
                min: min_memory,
                max: Self::MAX_MEMORY_KIB,
            });
        }
        if !(1..=Self::MAX_ITERATIONS).contains(&iterations) {
            return Err(KdfError::IterationsOutOfBounds {
                iterations,
                max: Self::MAX_ITERATIONS,
            });
        }
        Ok(Self {
            memory_kib,
            iterations,
            parallelism,
        })
    }

    /// Memory cost in KiB.
    pub fn memory_kib(&self) -> u32 {
        self.memory_kib
    }

    /// Number of passes over memory.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// Number of lanes.
    pub fn parallelism(&self) -> u32 {
        self.parallelism
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::STRONG
    }
}

/// Stretches a passphrase with argon2id into 32 secret bytes.
pub fn derive(
    passphrase: &Passphrase,
    salt: &[u8; SALT_LEN],
    params: &KdfParams,
) -> Result<SecretBytes, KdfError> {
    let output = argon2id(
        passphrase.expose_secret().as_bytes(),
        salt,
        &[],
        &[],
        params,
    )?;
    Ok(SecretBytes::new(output.to_vec()))
}

/// argon2id v0x13 with a 32-byte output. The optional secret and associated data are unused by
/// share sealing (both empty) but kept so the RFC 9106 vector of the power-on self-test runs
/// through this same function.
pub(crate) fn argon2id(
    password: &[u8],
    salt: &[u8],
    secret: &[u8],
    associated_data: &[u8],
    params: &KdfParams,
) -> Result<Zeroizing<[u8; KEY_LEN]>, KdfError> {
    let data = AssociatedData::new(associated_data).map_err(KdfError::Argon2)?;
    let argon2_params = ParamsBuilder::new()
        .m_cost(params.memory_kib)
        .t_cost(params.iterations)
        .p_cost(params.parallelism)
        .data(data)
        .output_len(KEY_LEN)
        .build()
        .map_err(KdfError::Argon2)?;
    // Our own memory, not argon2's: its buffer is freed without being wiped, and the filled
    // blocks are as good as the key. An allocation failure is an error, not an abort.
    let mut memory = Zeroizing::new(Vec::<Block>::new());
    memory
        .try_reserve_exact(argon2_params.block_count())
        .map_err(|_| KdfError::Argon2(argon2::Error::OutOfMemory))?;
    memory.resize(argon2_params.block_count(), Block::default());
    let context = if secret.is_empty() {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, argon2_params)
    } else {
        Argon2::new_with_secret(secret, Algorithm::Argon2id, Version::V0x13, argon2_params)
            .map_err(KdfError::Argon2)?
    };
    let mut output = Zeroizing::new([0u8; KEY_LEN]);
    context
        .hash_password_into_with_memory(password, salt, output.as_mut(), memory.as_mut_slice())
        .map_err(KdfError::Argon2)?;
    Ok(output)
}

/// The two values HKDF-SHA256 derives from a stretched passphrase: the AES-256-GCM key (secret)
/// and the key commitment (public, stored in the file so a wrong passphrase is recognised before
/// decryption is tried, which also covers GCM not being key-committing).
pub struct SealKeys {
    encryption_key: SecretBox<[u8; KEY_LEN]>,
    commitment: [u8; KEY_LEN],
}

impl SealKeys {
    /// Runs argon2id then HKDF-SHA256: the whole passphrase-to-keys step of share sealing.
    pub fn derive(
        passphrase: &Passphrase,
        salt: &[u8; SALT_LEN],
        params: &KdfParams,
    ) -> Result<Self, KdfError> {
        Ok(Self::from_stretched(&derive(passphrase, salt, params)?))
    }

    /// HKDF-SHA256 with an empty salt over the argon2id output, expanded once per label.
    pub fn from_stretched(stretched: &SecretBytes) -> Self {
        let hkdf = Hkdf::<Sha256>::new(None, stretched.expose());
        let mut encryption_key = Box::new([0u8; KEY_LEN]);
        let mut commitment = [0u8; KEY_LEN];
        // `expand` fails only above 255 × 32 bytes; the assertion below makes that a compile-time
        // fact, so ignoring its result cannot leave a key of zeros.
        const _: () = assert!(KEY_LEN <= 255 * 32);
        let _ = hkdf.expand(ENCRYPTION_KEY_INFO, encryption_key.as_mut());
        let _ = hkdf.expand(COMMITMENT_INFO, &mut commitment);
        Self {
            encryption_key: SecretBox::new(encryption_key),
            commitment,
        }
    }

    /// The AES-256-GCM key, for the one place that hands it to the cipher.
    pub fn encryption_key(&self) -> &[u8; KEY_LEN] {
        self.encryption_key.expose_secret()
    }

    /// The key commitment: public, stored in the share file.
    pub fn commitment(&self) -> &[u8; KEY_LEN] {
        &self.commitment
    }
}

impl fmt::Debug for SealKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealKeys([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> KdfParams {
        KdfParams::new(8, 1, 1).unwrap()
    }

    #[test]
    fn bounds_are_checked_before_any_allocation() {
        assert!(matches!(
            KdfParams::new(u32::MAX, 1, 1),
            Err(KdfError::MemoryOutOfBounds { .. })
        ));
        assert!(matches!(
            KdfParams::new(KdfParams::MAX_MEMORY_KIB + 1, 1, 1),
            Err(KdfError::MemoryOutOfBounds { .. })
        ));
        assert!(matches!(
            KdfParams::new(15, 1, 2),
            Err(KdfError::MemoryOutOfBounds { min: 16, .. })
        ));
        assert!(matches!(
            KdfParams::new(8, 0, 1),
            Err(KdfError::IterationsOutOfBounds { .. })
        ));
        assert!(matches!(
            KdfParams::new(8, 65, 1),
            Err(KdfError::IterationsOutOfBounds { .. })
        ));
        assert!(matches!(
            KdfParams::new(8, 1, 0),
            Err(KdfError::ParallelismOutOfBounds { .. })
        ));
        assert!(matches!(
            KdfParams::new(u32::MAX, 1, u32::MAX),
            Err(KdfError::ParallelismOutOfBounds { .. })
        ));
    }

    #[test]
    fn strong_defaults_are_within_bounds_and_are_the_default() {
        let strong = KdfParams::STRONG;
        assert_eq!(
            KdfParams::new(
                strong.memory_kib(),
                strong.iterations(),
                strong.parallelism()
            ),
            Ok(strong)
        );
        assert_eq!(KdfParams::default(), strong);
        assert!(strong.memory_kib() >= 256 * 1024);
    }

    #[test]
    fn labels_separate_key_from_commitment() {
        let keys = SealKeys::derive(&Passphrase::from("pass"), &[9; SALT_LEN], &tiny()).unwrap();
        assert_ne!(keys.encryption_key(), keys.commitment());
    }

    #[test]
    fn salt_and_passphrase_both_change_the_keys() {
        let base = SealKeys::derive(&Passphrase::from("pass"), &[9; SALT_LEN], &tiny()).unwrap();
        let salt = SealKeys::derive(&Passphrase::from("pass"), &[8; SALT_LEN], &tiny()).unwrap();
        let pass = SealKeys::derive(&Passphrase::from("pasS"), &[9; SALT_LEN], &tiny()).unwrap();
        assert_ne!(base.commitment(), salt.commitment());
        assert_ne!(base.commitment(), pass.commitment());
    }

    #[test]
    fn debug_shows_no_key_material() {
        let keys = SealKeys::derive(&Passphrase::from("pass"), &[9; SALT_LEN], &tiny()).unwrap();
        assert_eq!(format!("{keys:?}"), "SealKeys([REDACTED])");
        let stretched = derive(&Passphrase::from("pass"), &[9; SALT_LEN], &tiny()).unwrap();
        assert_eq!(format!("{stretched:?}"), "SecretBytes([REDACTED; 32])");
    }
}
