//! Reading a token PIN from its pin-source: a file or an inherited file descriptor. The bytes read
//! are wiped; the PIN exists only as a [`Pin`]. Prompting on a terminal is the command line's job:
//! callers pass a prompt for when the URI names no source.

use std::io::Read;
use std::path::PathBuf;

use secrecy::SecretString;
use zeroize::Zeroizing;

use super::error::{Error, Result};
use super::uri::PinSource;
use crate::primitives::secret::Pin;

/// No real PIN is longer; a bigger file is the wrong file.
const MAX_PIN_FILE: u64 = 4096;

/// Reads the PIN named by `source`, ignoring one trailing newline.
pub fn read_pin(source: &PinSource) -> Result<Pin> {
    let (name, path) = match source {
        PinSource::File(path) => (path.display().to_string(), path.clone()),
        PinSource::Fd(fd) => (format!("fd:{fd}"), PathBuf::from(format!("/dev/fd/{fd}"))),
    };
    let failed = |reason: String| Error::PinSource {
        source_name: name.clone(),
        reason,
    };
    let file = std::fs::File::open(&path).map_err(|e| failed(e.to_string()))?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_PIN_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| failed(e.to_string()))?;
    if bytes.len() as u64 > MAX_PIN_FILE {
        return Err(failed(format!(
            "longer than {MAX_PIN_FILE} bytes: not a PIN file"
        )));
    }
    let text =
        std::str::from_utf8(&bytes).map_err(|_| failed("the PIN is not UTF-8 text".into()))?;
    let pin = text
        .strip_suffix('\n')
        .map_or(text, |t| t.strip_suffix('\r').unwrap_or(t));
    if pin.is_empty() {
        return Err(failed("it is empty".into()));
    }
    Ok(SecretString::from(pin))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use secrecy::ExposeSecret;

    use super::*;

    fn pin_file(content: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(content).unwrap();
        file
    }

    #[test]
    fn strips_exactly_one_trailing_newline() {
        for (content, expected) in [
            (&b"1234"[..], "1234"),
            (b"1234\n", "1234"),
            (b"1234\r\n", "1234"),
            (b"12 34\n\n", "12 34\n"),
        ] {
            let file = pin_file(content);
            let pin = read_pin(&PinSource::File(file.path().into())).unwrap();
            assert_eq!(pin.expose_secret(), expected);
        }
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
