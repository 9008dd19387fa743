//! The token that `seal`, `open`, `verify`, `hsm probe` and `hsm keys` name: a warning on stderr
//! when its PIN file may be read by its group or others (ceremonies refuse such a file; these
//! commands, run by an operator at a desk, go on — D54), then the library opens it. It opens no
//! session itself.

use super::output::Failure;
use super::prompt;
use crate::archive::KeyToken;
use crate::hsm::{exposed_pin_file, Pkcs11Uri};

/// Warns when the PIN file `uri` names is not private to its owner.
pub fn warn_if_pin_exposed(uri: &Pkcs11Uri) {
    if let Some(problem) = exposed_pin_file(uri) {
        eprintln!("warning: {problem}");
    }
}

/// The token `uri` names, with one logged-in session for finding archive keys on it.
pub fn key_token(uri: &str) -> Result<KeyToken, Failure> {
    warn_if_pin_exposed(&uri.parse()?);
    Ok(KeyToken::open(uri, &mut prompt::token_pin)?)
}
