//! Reading a share sheet's QR code from a scan or photo (PNG or JPEG): the image decoded within
//! fixed bounds on its size and memory, every QR code in it found, and the one share sheet code
//! among them read (`qr::read_payload`). The image is hostile until proven otherwise: bounds are
//! checked from its header before any pixel is decoded.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};

use super::qr::{read_payload, NotASheetCode};

/// The largest image file read: a 600 dpi colour scan of an A4 page, compressed, is far smaller.
pub const MAX_IMAGE_FILE_LEN: usize = 64 * 1024 * 1024;
/// The widest and tallest image decoded, in pixels (an A4 page at 1200 dpi is 9922 x 14031).
const MAX_SIDE: u32 = 15_000;
/// The most memory the decoder may take.
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// Why an image gave no share file bytes.
#[derive(Debug, thiserror::Error)]
pub enum Unscannable {
    /// Not a PNG or JPEG image, or a damaged one.
    #[error("not a readable PNG or JPEG image ({0})")]
    Image(String),
    /// Larger than the bounds.
    #[error("the image is too large to read ({0})")]
    TooLarge(String),
    /// No QR code of a share sheet.
    #[error("no share sheet QR code found in the image")]
    NoCode,
    /// A QR code was found, but not one of a share sheet.
    #[error("{0}")]
    NotASheet(NotASheetCode),
    /// Two different share sheet codes.
    #[error("the image holds the codes of two different share sheets")]
    TwoSheets,
}

impl Unscannable {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Image(_) | Self::TooLarge(_) => {
                "scan the sheet's first page to a PNG or JPEG file (300 dpi is plenty)"
            }
            Self::NoCode | Self::NotASheet(_) => {
                "scan the first page of the sheet again, flat and sharp, with the whole code and its white margin; or type the words with --words"
            }
            Self::TwoSheets => "scan one sheet at a time",
        }
    }
}

/// The share file bytes in the share sheet code of the PNG or JPEG image `bytes`.
pub fn scan(bytes: &[u8]) -> Result<Vec<u8>, Unscannable> {
    let grey = decode(bytes)?;
    let (width, height) = grey.dimensions();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        usize::try_from(width).unwrap_or(0),
        usize::try_from(height).unwrap_or(0),
        |x, y| {
            let (x, y) = (u32::try_from(x), u32::try_from(y));
            match (x, y) {
                (Ok(x), Ok(y)) => grey.get_pixel(x, y).0[0],
                _ => u8::MAX,
            }
        },
    );
    let mut found: Option<Vec<u8>> = None;
    let mut foreign = None;
    for grid in prepared.detect_grids() {
        let Ok((_meta, text)) = grid.decode() else {
            continue;
        };
        match read_payload(&text) {
            Ok(file) if found.as_ref().is_some_and(|seen| *seen != file) => {
                return Err(Unscannable::TwoSheets)
            }
            Ok(file) => found = Some(file),
            Err(error) => foreign = Some(error),
        }
    }
    match (found, foreign) {
        (Some(file), _) => Ok(file),
        (None, Some(error)) => Err(Unscannable::NotASheet(error)),
        (None, None) => Err(Unscannable::NoCode),
    }
}

/// The image in grey, decoded only when its header states a size within the bounds.
fn decode(bytes: &[u8]) -> Result<image::GrayImage, Unscannable> {
    if bytes.len() > MAX_IMAGE_FILE_LEN {
        return Err(Unscannable::TooLarge(format!(
            "more than {MAX_IMAGE_FILE_LEN} bytes"
        )));
    }
    let format =
        image::guess_format(bytes).map_err(|error| Unscannable::Image(one_line(&error)))?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg) {
        return Err(Unscannable::Image(format!("{format:?}")));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let image = reader.decode().map_err(|error| match error {
        image::ImageError::Limits(limit) => Unscannable::TooLarge(one_line(&limit)),
        other => Unscannable::Image(one_line(&other)),
    })?;
    Ok(image.into_luma8())
}

/// A decoder's error on one line: some end theirs with a line feed, and an error is one line.
fn one_line(error: &dyn std::fmt::Display) -> String {
    error
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paper::qr::code;

    /// A PNG of the code of `file`, `scale` pixels per module, with a quiet zone of 4 modules,
    /// turned upside down when `turned` (a sheet scanned the wrong way round).
    fn png_of(file: &[u8], scale: u32, turned: bool) -> Vec<u8> {
        let modules = code(file).unwrap();
        let side = u32::try_from(modules.width + 8).unwrap() * scale;
        let image = image::GrayImage::from_fn(side, side, |x, y| {
            let (column, row) = ((x / scale) as usize, (y / scale) as usize);
            let inside =
                (4..modules.width + 4).contains(&column) && (4..modules.width + 4).contains(&row);
            let dark = inside && modules.dark[(row - 4) * modules.width + column - 4];
            image::Luma([if dark { 0 } else { 255 }])
        });
        let image = if turned {
            image::imageops::rotate180(&image)
        } else {
            image
        };
        let mut png = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        png
    }

    #[test]
    fn a_drawn_code_scans_back() {
        let file: Vec<u8> = (0..=255).cycle().take(299).collect();
        assert_eq!(scan(&png_of(&file, 4, false)).unwrap(), file);
        assert_eq!(scan(&png_of(&file, 3, true)).unwrap(), file);
    }

    #[test]
    fn hostile_images_are_refused_before_decoding() {
        assert!(matches!(scan(b"not an image"), Err(Unscannable::Image(_))));
        // A PNG claiming 100000 x 100000 grey pixels, with an empty image data chunk.
        let mut ihdr = 100_000u32.to_be_bytes().to_vec();
        ihdr.extend(100_000u32.to_be_bytes());
        ihdr.extend([8, 0, 0, 0, 0]);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        for (kind, data) in [(b"IHDR", &ihdr[..]), (b"IDAT", &[]), (b"IEND", &[])] {
            png.extend(u32::try_from(data.len()).unwrap().to_be_bytes());
            let start = png.len();
            png.extend(kind);
            png.extend(data);
            let crc = crc32(&png[start..]);
            png.extend(crc.to_be_bytes());
        }
        let refused = scan(&png);
        assert!(
            matches!(refused, Err(Unscannable::TooLarge(_))),
            "{refused:?}"
        );
        let blank = image::GrayImage::from_pixel(200, 200, image::Luma([255]));
        let mut blank_png = Vec::new();
        blank
            .write_to(&mut Cursor::new(&mut blank_png), ImageFormat::Png)
            .unwrap();
        assert!(matches!(scan(&blank_png), Err(Unscannable::NoCode)));
    }

    /// CRC-32 (ISO 3309) of a PNG chunk's type and data.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
