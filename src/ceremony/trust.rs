//! What a ceremony trusts, shown before anyone types: the manifest it will act on — its domain and
//! the domain's fingerprint, epoch, chain position and digest, the officials who will receive
//! shares — after its whole signed chain was verified from the genesis manifest; refused when it
//! is not of the domain (`--expect-domain`) or not the manifest (`--expect-manifest`) the
//! officials expect. It asks nothing and writes nothing.

use std::path::Path;

use crate::domain::{Manifest, ManifestChain, ManifestDigest};
use crate::primitives::signature::DomainFingerprint;

use super::attendant::{Attendant, Event};
use super::error::CeremonyError;

/// What the officials expect, from the signed ceremony sheet: the domain's fingerprint, the
/// manifest's digest, or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expected {
    /// The domain fingerprint (`--expect-domain`).
    pub domain: Option<DomainFingerprint>,
    /// The manifest digest (`--expect-manifest`).
    pub manifest: Option<ManifestDigest>,
}

/// Loads the manifest at `path` with its chain (every link verified), refuses it when it is not
/// what the officials expect, and tells the room what the ceremony acts on. `receiving` names the
/// officials who will receive shares (none for unlock and drill).
pub fn trusted_manifest(
    path: &Path,
    expected: &Expected,
    receiving: impl FnOnce(&Manifest) -> Vec<String>,
    attendant: &mut dyn Attendant,
) -> Result<ManifestChain, CeremonyError> {
    let chain = ManifestChain::load(path)?;
    if let Some(domain) = &expected.domain {
        chain.expect_fingerprint(domain, "--expect-domain")?;
    }
    let manifest = chain.in_force();
    let digest = manifest.digest();
    if let Some(expected) = expected.manifest.filter(|expected| *expected != digest) {
        return Err(CeremonyError::refused(
            format!(
                "{}: manifest digest {digest} is not the expected {expected} \
                 (--expect-manifest); nothing was asked or written",
                path.display()
            ),
            "act only on the manifest whose digest is on the signed ceremony sheet; find out \
             who changed this one",
        ));
    }
    attendant.announce(&Event::ActingOn {
        domain: manifest.domain().to_owned(),
        fingerprint: manifest.domain_fingerprint(),
        epoch: manifest.epoch(),
        position: manifest.chain_position(),
        digest,
        receiving: receiving(manifest),
        expected: *expected,
    });
    Ok(chain)
}
