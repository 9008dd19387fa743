//! Resealing an official's share under a new passphrase, and the manifest that records the new
//! file. Pure: the caller writes both files. It checks the new passphrase against the policy,
//! seals with at least the strong KDF defaults, and proves the new file opens under the new
//! passphrase and verifies against the updated manifest before returning anything. It must never
//! return a file that has not passed that proof.

use super::binding::ShareCheckError;
use super::manifest::{Manifest, ManifestError};
use super::passphrase::{check_new_passphrase, WeakPassphrase};
use crate::primitives::kdf::KdfParams;
use crate::primitives::secret::Passphrase;
use crate::shares::sealed::{SealedShare, SealedShareError};
use crate::shares::Share;

/// The resealed share file and the manifest with its new fingerprint.
#[derive(Debug)]
pub struct Resealed {
    /// The new share file.
    pub share: SealedShare,
    /// The manifest recording the new file's fingerprint (its digest differs from the old one).
    pub manifest: Manifest,
}

/// Why a reseal was refused; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ResealError {
    /// The new passphrase breaks the policy.
    #[error(transparent)]
    Weak(#[from] WeakPassphrase),
    /// The share file does not belong to the manifest, or did not open or verify.
    #[error(transparent)]
    Check(#[from] ShareCheckError),
    /// Sealing failed (randomness, memory for the KDF).
    #[error(transparent)]
    Seal(#[from] SealedShareError),
    /// The updated manifest could not be made.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

impl ResealError {
    /// What to do next.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Weak(weak) => weak.hint(),
            Self::Check(check) => check.hint(),
            Self::Manifest(manifest) => manifest.problem.hint(),
            Self::Seal(_) => "nothing was changed; retry, and report it if it persists",
        }
    }
}

/// The KDF costs of a reseal: the strong defaults, unless the file's own costs make each guess
/// dearer (more memory × passes), in which case those are kept.
pub fn reseal_params(current: &KdfParams) -> KdfParams {
    let work = |params: &KdfParams| u64::from(params.memory_kib()) * u64::from(params.iterations());
    let strong = KdfParams::default();
    if work(current) > work(&strong) {
        *current
    } else {
        strong
    }
}

/// Seals `share` (opened from `sealed` with [`Manifest::open_share`]) under `new`, and returns the
/// new file with the updated manifest once the new file has been opened and verified with `new`.
pub fn reseal(
    manifest: &Manifest,
    sealed: &SealedShare,
    share: &Share,
    new: &Passphrase,
) -> Result<Resealed, ResealError> {
    let entry = manifest.check_share(sealed)?;
    let official = entry.official();
    check_new_passphrase(
        new,
        &[official.id().as_str(), official.name(), manifest.domain()],
    )?;
    let params = reseal_params(sealed.kdf_params());
    let resealed = SealedShare::seal(&share.to_bytes(), sealed.header().clone(), new, params)?;
    let updated = manifest.with_share_fingerprint(entry.official().id(), resealed.fingerprint())?;
    updated.open_share(&resealed, new)?;
    Ok(Resealed {
        share: resealed,
        manifest: updated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reseal_params_never_weaken_a_file() {
        let strong = KdfParams::default();
        assert_eq!(reseal_params(&KdfParams::new(8, 1, 1).unwrap()), strong);
        assert_eq!(reseal_params(&strong), strong);
        let stronger = KdfParams::new(512 * 1024, 3, 4).unwrap();
        assert_eq!(reseal_params(&stronger), stronger);
        let more_passes = KdfParams::new(256 * 1024, 4, 1).unwrap();
        assert_eq!(reseal_params(&more_passes), more_passes);
    }
}
