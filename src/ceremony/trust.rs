//! What a ceremony trusts, shown before anyone types: the manifest it will act on (domain, epoch,
//! digest, the officials who will receive shares), announced to the room and refused when it is
//! not the one the officials expect (`--expect-manifest`). Until manifests are signed, this
//! comparison with the signed ceremony sheet is what catches a forged manifest. It asks nothing
//! and writes nothing.

use std::path::Path;

use crate::domain::{Manifest, ManifestDigest};

use super::attendant::{Attendant, Event};
use super::error::CeremonyError;

/// Refuses `manifest` when it is not `expected`; otherwise tells the room what the ceremony acts
/// on. `receiving` names the officials who will receive shares (none for unlock and drill).
pub fn show_manifest(
    path: &Path,
    manifest: &Manifest,
    expected: Option<&ManifestDigest>,
    receiving: Vec<String>,
    attendant: &mut dyn Attendant,
) -> Result<(), CeremonyError> {
    let digest = manifest.digest();
    if let Some(expected) = expected.filter(|expected| **expected != digest) {
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
        epoch: manifest.epoch(),
        digest,
        receiving,
        expected: expected.is_some(),
    });
    Ok(())
}
