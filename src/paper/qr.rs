//! The QR code of a share sheet (FORMAT.md 12.2): its payload, `CUSTODY-SHARE-SHEET-1:` and the
//! share file in unpadded base32, all in QR's alphanumeric character set so that any scanner
//! returns it as the same text; the code's modules for the sheet to draw; and the strict reader
//! of a payload. One code holds the largest well-formed share file; nothing is ever split.

use data_encoding::BASE32_NOPAD;
use qrcode::{Color, EcLevel, QrCode};

use crate::shares::sealed::LARGEST_FILE_LEN;

/// What every payload starts with: the format and its version.
pub const PAYLOAD_PREFIX: &str = "CUSTODY-SHARE-SHEET-1:";
/// Error correction level Q: a quarter of the code may be unreadable.
const LEVEL: EcLevel = EcLevel::Q;
/// The longest payload of a well-formed share file.
pub const MAX_PAYLOAD_LEN: usize = PAYLOAD_PREFIX.len() + (LARGEST_FILE_LEN * 8).div_ceil(5);

/// The payload of the code of `file`.
pub fn payload(file: &[u8]) -> String {
    format!("{PAYLOAD_PREFIX}{}", BASE32_NOPAD.encode(file))
}

/// The modules of a QR code, dark or light, row by row, without the quiet zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modules {
    /// Modules per row and per column.
    pub width: usize,
    /// `width * width` modules, the top row first: `true` is dark.
    pub dark: Vec<bool>,
}

/// Why no code was made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{len} bytes do not fit in one QR code (at most {max})", max = LARGEST_FILE_LEN)]
pub struct TooLarge {
    len: usize,
}

/// The code of `file`, of the smallest version that holds its payload at level Q.
pub fn code(file: &[u8]) -> Result<Modules, TooLarge> {
    let too_large = || TooLarge { len: file.len() };
    if file.len() > LARGEST_FILE_LEN {
        return Err(too_large());
    }
    let code =
        QrCode::with_error_correction_level(payload(file), LEVEL).map_err(|_| too_large())?;
    Ok(Modules {
        width: code.width(),
        dark: code
            .to_colors()
            .into_iter()
            .map(|color| color == Color::Dark)
            .collect(),
    })
}

/// Why a decoded code is not a share sheet's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotASheetCode {
    /// Another QR code.
    #[error(
        "a QR code, but not a custody share sheet's (it does not start with {prefix})",
        prefix = PAYLOAD_PREFIX
    )]
    Foreign,
    /// The prefix, then no base32 (or too much of it).
    #[error(
        "a share sheet's QR code whose text after {prefix} is not the base32 of a share file",
        prefix = PAYLOAD_PREFIX
    )]
    Malformed,
}

/// The share file bytes in the text of a share sheet's code.
pub fn read_payload(text: &str) -> Result<Vec<u8>, NotASheetCode> {
    let encoded = text
        .strip_prefix(PAYLOAD_PREFIX)
        .ok_or(NotASheetCode::Foreign)?;
    if text.len() > MAX_PAYLOAD_LEN {
        return Err(NotASheetCode::Malformed);
    }
    BASE32_NOPAD
        .decode(encoded.as_bytes())
        .map_err(|_| NotASheetCode::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_reads_back_and_is_alphanumeric() {
        let file: Vec<u8> = (0..=255).collect();
        let text = payload(&file);
        assert!(text
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "-:".contains(c)));
        assert_eq!(read_payload(&text), Ok(file));
        assert_eq!(payload(b"\x00\x01"), "CUSTODY-SHARE-SHEET-1:AAAQ");
    }

    #[test]
    fn the_largest_share_file_fits_one_code() {
        let modules = code(&[0xa5; LARGEST_FILE_LEN]).unwrap();
        // Version 40, the largest, is 177 modules wide.
        assert!(modules.width <= 177, "{}", modules.width);
        assert_eq!(modules.dark.len(), modules.width * modules.width);
        assert_eq!(
            code(&[0; LARGEST_FILE_LEN + 1]),
            Err(TooLarge {
                len: LARGEST_FILE_LEN + 1
            })
        );
    }

    #[test]
    fn foreign_and_malformed_codes_are_refused() {
        assert_eq!(
            read_payload("https://example.org/"),
            Err(NotASheetCode::Foreign)
        );
        assert_eq!(
            read_payload("CUSTODY-SHARE-SHEET-1:AAAQ="),
            Err(NotASheetCode::Malformed)
        );
        assert_eq!(
            read_payload("CUSTODY-SHARE-SHEET-1:aaaq"),
            Err(NotASheetCode::Malformed)
        );
        let long = format!("{PAYLOAD_PREFIX}{}", "A".repeat(MAX_PAYLOAD_LEN));
        assert_eq!(read_payload(&long), Err(NotASheetCode::Malformed));
    }
}
