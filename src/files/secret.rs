//! Reading a secret (a passphrase, a token PIN) from a file, for scripted ceremonies and CI: the
//! secret is the file's UTF-8 text with one trailing `\n` or `\r\n` removed, so `echo secret >
//! file` works. Every byte read is wiped; the secret exists only as a [`SecretString`]. Errors
//! never contain the file's content. Whether others may read the file is checked apart
//! ([`check_private`]): ceremonies refuse such a file, other commands warn.

use std::io::Read;
use std::path::Path;

use secrecy::SecretString;
use zeroize::Zeroizing;

/// No passphrase or PIN is longer; a bigger file is the wrong file.
pub const MAX_SECRET_FILE_LEN: u64 = 4096;

/// Why a secret file could not be used. `what` names the secret ("PIN", "passphrase").
#[derive(Debug, thiserror::Error)]
pub enum SecretFileError {
    /// The file could not be opened or read.
    #[error("{0}")]
    Unreadable(std::io::Error),
    /// Longer than any secret custody reads.
    #[error("longer than {max} bytes: not a {what} file")]
    TooLong {
        /// The kind of secret expected.
        what: &'static str,
        /// The limit.
        max: u64,
    },
    /// Not UTF-8 text.
    #[error("the {what} is not UTF-8 text")]
    NotUtf8 {
        /// The kind of secret expected.
        what: &'static str,
    },
    /// Nothing but an optional newline.
    #[error("it is empty")]
    Empty,
    /// Its group or others may read it.
    #[error(
        "readable by group or others (mode {mode:04o}): a {what} file must be private to its owner"
    )]
    Exposed {
        /// The kind of secret expected.
        what: &'static str,
        /// The file's permission bits.
        mode: u32,
    },
}

/// Refuses a secret file its group or others may read (ceremonies accept only private ones;
/// other commands warn with this error).
pub fn check_private(path: &Path, what: &'static str) -> Result<(), SecretFileError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(SecretFileError::Unreadable)?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o044 != 0 {
        return Err(SecretFileError::Exposed { what, mode });
    }
    Ok(())
}

/// Reads the secret in `path`, ignoring one trailing newline. `what` names it in errors.
pub fn read_secret_file(path: &Path, what: &'static str) -> Result<SecretString, SecretFileError> {
    let file = std::fs::File::open(path).map_err(SecretFileError::Unreadable)?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_SECRET_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(SecretFileError::Unreadable)?;
    if bytes.len() as u64 > MAX_SECRET_FILE_LEN {
        return Err(SecretFileError::TooLong {
            what,
            max: MAX_SECRET_FILE_LEN,
        });
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| SecretFileError::NotUtf8 { what })?;
    let secret = text
        .strip_suffix('\n')
        .map_or(text, |t| t.strip_suffix('\r').unwrap_or(t));
    if secret.is_empty() {
        return Err(SecretFileError::Empty);
    }
    Ok(SecretString::from(secret))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use secrecy::ExposeSecret;

    use super::*;

    fn secret_file(content: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(content).unwrap();
        file
    }

    #[test]
    fn strips_exactly_one_trailing_newline() {
        for (content, expected) in [
            (&b"correct horse"[..], "correct horse"),
            (b"correct horse\n", "correct horse"),
            (b"correct horse\r\n", "correct horse"),
            (b" spaced \n\n", " spaced \n"),
        ] {
            let file = secret_file(content);
            let secret = read_secret_file(file.path(), "passphrase").unwrap();
            assert_eq!(secret.expose_secret(), expected);
        }
    }

    #[test]
    fn empty_oversized_and_binary_files_are_refused_without_their_content() {
        let empty = secret_file(b"\r\n");
        assert!(matches!(
            read_secret_file(empty.path(), "passphrase"),
            Err(SecretFileError::Empty)
        ));
        let big = secret_file(&[b'a'; 5000]);
        let message = read_secret_file(big.path(), "passphrase")
            .unwrap_err()
            .to_string();
        assert_eq!(message, "longer than 4096 bytes: not a passphrase file");
        let binary = secret_file(&[0xff, 0xfe, b's', b'e', b'c']);
        let message = read_secret_file(binary.path(), "PIN")
            .unwrap_err()
            .to_string();
        assert_eq!(message, "the PIN is not UTF-8 text");
    }
}
