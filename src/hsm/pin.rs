//! Reading a token PIN from its pin-source: a file or an inherited file descriptor, through the
//! shared secret-file reader (one trailing newline ignored, bytes wiped). Prompting on a terminal
//! is the command line's job: callers pass a prompt for when the URI names no source.

use std::path::PathBuf;

use super::error::{Error, Result};
use super::uri::{PinSource, Pkcs11Uri};
use crate::files::{check_private, read_secret_file, SecretFileError};
use crate::primitives::secret::Pin;

/// Reads the PIN named by `source`, ignoring one trailing newline.
pub fn read_pin(source: &PinSource) -> Result<Pin> {
    let (name, path) = match source {
        PinSource::File(path) => (path.display().to_string(), path.clone()),
        PinSource::Fd(fd) => (format!("fd:{fd}"), PathBuf::from(format!("/dev/fd/{fd}"))),
    };
    read_secret_file(&path, "PIN")
        .map(Pin::from)
        .map_err(|error| Error::PinSource {
            source_name: name,
            reason: error.to_string(),
        })
}

/// What is wrong when the PIN file `uri` names may be read by its group or others: the PIN of
/// the token that holds the domain key belongs to its operators alone. `None` for a private file,
/// a file descriptor (a pipe has no such mode), no pin-source, or what is not a regular file (the
/// PIN reader names that problem itself). Ceremonies refuse such a file; other commands warn (D54).
pub fn exposed_pin_file(uri: &Pkcs11Uri) -> Option<String> {
    let Some(PinSource::File(file)) = &uri.pin_source else {
        return None;
    };
    if !file.is_file() {
        return None;
    }
    match check_private(file, "PIN") {
        Err(exposed @ SecretFileError::Exposed { .. }) => {
            Some(format!("PIN file {}: {exposed}", file.display()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn pin_file(content: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(content).unwrap();
        file
    }

    #[test]
    fn missing_empty_and_oversized_files_are_named() {
        let missing = read_pin(&PinSource::File("/nonexistent/pin".into()))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("/nonexistent/pin"), "{missing}");
        let empty = pin_file(b"\n");
        let message = read_pin(&PinSource::File(empty.path().into()))
            .unwrap_err()
            .to_string();
        assert!(message.contains("empty"), "{message}");
        let big = pin_file(&[b'1'; 5000]);
        let message = read_pin(&PinSource::File(big.path().into()))
            .unwrap_err()
            .to_string();
        assert!(message.contains("not a PIN file"), "{message}");
    }

    #[test]
    fn a_closed_descriptor_is_named() {
        let message = read_pin(&PinSource::Fd(987)).unwrap_err().to_string();
        assert!(message.contains("fd:987"), "{message}");
    }
}
