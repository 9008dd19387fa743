//! The token a command names: a warning on stderr when its PIN file may be read by its group or
//! others (ceremonies refuse such a file; `seal`, `open`, `verify`, `hsm probe` and `hsm keys`,
//! run by an operator at a desk, go on — D54), and a note naming the PKCS#11 module custody loads
//! when the URI names none; then the library opens it. It opens no session itself.

use std::path::Path;

use super::output::Failure;
use super::prompt;
use crate::archive::KeyToken;
use crate::domain::{Manifest, ManifestChain};
use crate::hsm::{exposed_pin_file, module_path, Pkcs11Uri, MODULE_ENV};

/// Warns when the PIN file `uri` names is not private to its owner.
pub fn warn_if_pin_exposed(uri: &Pkcs11Uri) {
    note_default_module(uri);
    if let Some(problem) = exposed_pin_file(uri) {
        eprintln!("warning: {problem}");
    }
}

/// Says which module custody loads for a URI that names none (`module-path=`): the one in
/// `CUSTODY_PKCS11_MODULE`, else SoftHSM's. A URI that names one, or none found, says nothing
/// here: opening the token names the problem.
pub fn note_default_module(uri: &Pkcs11Uri) {
    if uri.module_path.is_some() {
        return;
    }
    if let Ok(path) = module_path(uri) {
        let from = if std::env::var_os(MODULE_ENV).is_some_and(|p| !p.is_empty()) {
            MODULE_ENV
        } else {
            "SoftHSM's usual install path"
        };
        eprintln!(
            "note: the URI names no module-path; using the PKCS#11 module {} ({from})",
            path.display()
        );
    }
}

/// The token `uri` names, with one logged-in session for finding archive keys on it.
pub fn key_token(uri: &str) -> Result<KeyToken, Failure> {
    warn_if_pin_exposed(&uri.parse()?);
    Ok(KeyToken::open(uri, &mut prompt::token_pin)?)
}

/// The manifest in force at `manifest` (its chain verified) and the token `uri` names, ready to
/// seal under the manifest's key: refused when the token holds a later epoch's key of the domain
/// (the manifest is superseded, D61), and the token's chain record raised to the manifest.
pub fn sealing_token(manifest: &Path, uri: &str) -> Result<(Manifest, KeyToken), Failure> {
    let in_force = ManifestChain::load(manifest)?.into_in_force();
    let token = key_token(uri)?;
    token
        .refuse_superseded(&in_force)
        .map_err(|e| Failure::from(e).about(&manifest.display().to_string()))?;
    token.record_chain(&in_force)?;
    Ok((in_force, token))
}
