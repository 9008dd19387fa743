//! The share sheet as a PDF (FORMAT.md 12.1): on the first page, whose share it is (the
//! official's name and role from the manifest, the domain, the share), the domain fingerprint in
//! hex and PGP words, the file's fingerprint, the QR code and what the official does with the
//! sheet; on the next pages, the word grid. Layout only: the bytes come from `qr` and `words`.
//! A4 pages in the PDF base fonts Courier and Courier-Bold (nothing embedded, so every reader
//! has them), laid out by character count; the file is the same for the same share.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use super::qr::{code, Modules, TooLarge};
use super::words::{lines, BYTES_PER_LINE, CHECK_WORDS};
use crate::domain::Official;
use crate::readout::{hex_groups, pgp_words};
use crate::shares::sealed::SealedShare;

/// A4 in points.
const PAGE: (f32, f32) = (595.0, 842.0);
const MARGIN: f32 = 48.0;
/// Courier is 0.6 em wide for every character.
const COURIER_ADVANCE: f32 = 0.6;
const REGULAR: Name = Name(b"F1");
const BOLD: Name = Name(b"F2");
/// The body text of the first page.
const BODY_SIZE: f32 = 10.0;
/// The word grid: small enough for eight columns of the longest PGP word (11 letters).
const GRID_SIZE: f32 = 8.5;
const GRID_MARGIN: f32 = 36.0;
const GRID_LEADING: f32 = 11.5;
/// Word-grid lines on one page, in groups of five.
const LINES_PER_PAGE: usize = 55;
/// Characters a grid column takes: the longest PGP word and a space.
const COLUMN: usize = 12;
/// The largest side of the code, quiet zone included, and of one module.
const CODE_SIDE: f32 = 280.0;
const MODULE_SIDE: f32 = 4.0;
/// The quiet zone around the code, in modules.
const QUIET: usize = 4;

/// What a sheet shows: the sealed share file and, from the manifest, its official and the size
/// of its share set.
#[derive(Debug)]
pub struct Sheet<'a> {
    /// The share file, as it is on disk.
    pub share: &'a SealedShare,
    /// Its official, as the manifest records them.
    pub official: &'a Official,
    /// How many shares the set has.
    pub shares: usize,
}

/// A rendered sheet.
#[derive(Debug)]
pub struct Rendered {
    /// The PDF file.
    pub pdf: Vec<u8>,
    /// Its pages.
    pub pages: usize,
    /// Lines of words in its grid.
    pub lines: usize,
}

/// The PDF of `sheet`.
pub fn render(sheet: &Sheet) -> Result<Rendered, TooLarge> {
    let file = sheet.share.to_bytes();
    let modules = code(&file)?;
    let grid = lines(&file);
    let grid_pages: Vec<&[String]> = grid.chunks(LINES_PER_PAGE).collect();
    let pages = 1 + grid_pages.len();
    let mut contents = vec![first_page(sheet, &modules, pages)];
    for (index, page_lines) in grid_pages.iter().enumerate() {
        let first_line = 1 + index * LINES_PER_PAGE;
        contents.push(grid_page(sheet, page_lines, first_line, (index + 2, pages)));
    }
    Ok(Rendered {
        pdf: assemble(&contents),
        pages,
        lines: grid.len(),
    })
}

/// The PDF document of pages with `contents`.
fn assemble(contents: &[Vec<u8>]) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let (catalog, tree, regular, bold) = (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4));
    let page_ids: Vec<(Ref, Ref)> = (0..contents.len())
        .map(|index| {
            let first = 5 + 2 * i32::try_from(index).unwrap_or(0);
            (Ref::new(first), Ref::new(first + 1))
        })
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().map(|(page, _)| *page))
        .count(i32::try_from(contents.len()).unwrap_or(0));
    for (base, id) in [(&b"Courier"[..], regular), (&b"Courier-Bold"[..], bold)] {
        pdf.type1_font(id)
            .base_font(Name(base))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    for ((page_id, content_id), content) in page_ids.iter().zip(contents) {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1))
            .parent(tree)
            .contents(*content_id);
        page.resources()
            .fonts()
            .pair(REGULAR, regular)
            .pair(BOLD, bold);
        page.finish();
        pdf.stream(*content_id, content);
    }
    pdf.finish()
}

/// Text placed line by line from the top of a page down.
struct Writer {
    content: Content,
    y: f32,
    left: f32,
}

impl Writer {
    fn new(left: f32) -> Self {
        Self {
            content: Content::new(),
            y: PAGE.1 - left,
            left,
        }
    }

    /// One line of `text` in `font` at `size`, `indent` characters in; then down by `leading`.
    fn line(&mut self, font: Name, size: f32, indent: usize, text: &str, leading: f32) {
        self.y -= size;
        let x = self.left + chars_width(indent, size);
        self.content
            .begin_text()
            .set_font(font, size)
            .next_line(x, self.y)
            .show(Str(&win_ansi(text)))
            .end_text();
        self.y -= leading - size;
    }

    /// `text` wrapped to the page's width, every line `indent` characters in.
    fn paragraph(&mut self, indent: usize, text: &str) {
        let width = chars_across(self.left, BODY_SIZE) - indent;
        for line in wrap(text, width) {
            self.line(REGULAR, BODY_SIZE, indent, &line, BODY_SIZE * 1.25);
        }
    }

    fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    /// The footer naming the sheet and the page.
    fn footer(&mut self, sheet: &Sheet, (page, pages): (usize, usize)) {
        self.y = MARGIN;
        let text = format!(
            "custody share sheet, format 1 - official {} - page {page} of {pages}",
            sheet.official.id().as_str()
        );
        self.line(REGULAR, 8.0, 0, &text, 8.0);
    }

    fn finish(self) -> Vec<u8> {
        self.content.finish().to_vec()
    }
}

fn first_page(sheet: &Sheet, modules: &Modules, pages: usize) -> Vec<u8> {
    let header = sheet.share.header();
    let official = sheet.official;
    let id = official.id().as_str();
    let fingerprint = header.domain_fingerprint.as_bytes();
    let mut page = Writer::new(MARGIN);
    page.line(BOLD, 15.0, 0, "CUSTODY SHARE SHEET", 22.0);
    page.paragraph(
        0,
        &format!(
            "A paper copy of the sealed share file of {} ({id}), {}.",
            official.name(),
            official.role()
        ),
    );
    page.gap(6.0);
    page.paragraph(
        0,
        &format!(
            "Share {} of {}: any {} of the {} shares rebuild the key of domain {}, epoch {} \
             (share set {}).",
            header.share_id,
            sheet.shares,
            header.threshold,
            sheet.shares,
            header.domain,
            header.epoch,
            hex::encode(header.set_id)
        ),
    );
    page.paragraph(
        0,
        "Domain fingerprint (compare it with the one read aloud at the ceremony):",
    );
    page.paragraph(2, &hex_groups(fingerprint));
    page.paragraph(2, &pgp_words(fingerprint));
    page.paragraph(
        0,
        &format!(
            "Share file: {} bytes, fingerprint (SHA-256, as the manifest records it):",
            sheet.share.to_bytes().len()
        ),
    );
    page.paragraph(2, &sheet.share.fingerprint());
    page.gap(10.0);
    draw_code(&mut page, modules);
    page.gap(10.0);
    for (indent, text) in instructions(id) {
        page.paragraph(indent, &text);
    }
    page.footer(sheet, (1, pages));
    page.finish()
}

/// What the official reads under the code: what the sheet is, where it is kept, how it is
/// turned back into a share file.
fn instructions(id: &str) -> Vec<(usize, String)> {
    vec![
        (
            0,
            "This sheet is your share file, still sealed under your passphrase: without the \
             passphrase it is no share; with it, it is one. Keep it where you keep your other \
             copies, never with your passphrase, and tell no one where it is."
                .to_owned(),
        ),
        (
            0,
            "To make your share file again from this sheet (an operator may do it with you, on \
             the ceremony machine), scan this page to a PNG or JPEG and run:"
                .to_owned(),
        ),
        (
            2,
            format!(
                "custody share import --image scan.png --manifest manifest.json --out {id}.share"
            ),
        ),
        (
            0,
            "or type the words of the next pages, one line of the sheet per line, without the \
             line number (a mistyped line is named at once; type it again):"
                .to_owned(),
        ),
        (
            2,
            format!("custody share import --words --manifest manifest.json --out {id}.share"),
        ),
        (
            0,
            "Then check that it opens with your passphrase:".to_owned(),
        ),
        (
            2,
            format!("custody share verify --manifest manifest.json {id}.share"),
        ),
    ]
}

/// The code's dark modules as filled squares, centred, with its quiet zone left white.
fn draw_code(page: &mut Writer, modules: &Modules) {
    let across = modules.width + 2 * QUIET;
    let module = (CODE_SIDE / across as f32).min(MODULE_SIDE);
    let side = module * across as f32;
    let left = (PAGE.0 - side) / 2.0 + module * QUIET as f32;
    let top = page.y - module * QUIET as f32;
    page.content.set_fill_gray(0.0);
    for (index, dark) in modules.dark.iter().enumerate() {
        if *dark {
            let (row, column) = (index / modules.width, index % modules.width);
            let x = left + module * column as f32;
            let y = top - module * (row + 1) as f32;
            page.content.rect(x, y, module, module);
        }
    }
    page.content.fill_nonzero();
    page.gap(side);
}

fn grid_page(
    sheet: &Sheet,
    page_lines: &[String],
    first_line: usize,
    page_of: (usize, usize),
) -> Vec<u8> {
    let mut page = Writer::new(GRID_MARGIN);
    let title = format!(
        "Share sheet of {} ({}), domain {}: the words",
        sheet.official.name(),
        sheet.official.id().as_str(),
        sheet.share.header().domain
    );
    page.line(BOLD, 10.0, 0, &title, 16.0);
    let across = chars_across(GRID_MARGIN, GRID_SIZE);
    let note = format!(
        "Each line: its number, {BYTES_PER_LINE} words of the share file (fewer on the last \
         line), then {CHECK_WORDS} check words. Type the words of each line, in order, without \
         the number: custody share import --words"
    );
    for line in wrap(&note, across) {
        page.line(REGULAR, GRID_SIZE, 0, &line, GRID_LEADING);
    }
    page.gap(GRID_LEADING / 2.0);
    let heading = format!(
        "{:<5}{:<width$}  check",
        "line",
        "words",
        width = BYTES_PER_LINE * COLUMN
    );
    page.line(BOLD, GRID_SIZE, 0, &heading, GRID_LEADING);
    for (offset, words) in page_lines.iter().enumerate() {
        if offset > 0 && offset % 5 == 0 {
            page.gap(GRID_LEADING / 3.0);
        }
        page.line(
            REGULAR,
            GRID_SIZE,
            0,
            &grid_line(first_line + offset, words),
            GRID_LEADING,
        );
    }
    page.footer(sheet, page_of);
    page.finish()
}

/// One line of the grid: its number, the file's words in their columns, the check words in theirs.
fn grid_line(number: usize, words: &str) -> String {
    let words: Vec<&str> = words.split(' ').collect();
    let (bytes, check) = words.split_at(words.len().saturating_sub(CHECK_WORDS));
    let mut line = format!("{number:>3}  ");
    for column in 0..BYTES_PER_LINE {
        let word = bytes.get(column).copied().unwrap_or("");
        line.push_str(&format!("{word:<COLUMN$}"));
    }
    line.push_str("  ");
    line.push_str(&format!(
        "{:<COLUMN$}",
        check.first().copied().unwrap_or("")
    ));
    line.push_str(check.get(1).copied().unwrap_or(""));
    line
}

/// Points taken by `chars` characters of Courier at `size`.
fn chars_width(chars: usize, size: f32) -> f32 {
    chars as f32 * COURIER_ADVANCE * size
}

/// Characters of Courier at `size` that fit between margins of `margin`.
fn chars_across(margin: f32, size: f32) -> usize {
    let width = (PAGE.0 - 2.0 * margin) / (COURIER_ADVANCE * size);
    // Truncation is the point: whole characters only; a page is far narrower than usize::MAX.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let across = width.floor() as usize;
    across
}

/// `text` in lines of at most `width` characters, broken at spaces (a longer word on its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// `text` in the WinAnsi encoding of the base fonts: ASCII and Latin-1 letters as they are,
/// anything else as `?` (a name in another script is shown in full by the manifest, not here).
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| {
            u8::try_from(u32::from(c))
                .ok()
                .filter(|byte| matches!(byte, 0x20..=0x7e | 0xa0..=0xff))
                .unwrap_or(b'?')
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("abcdefgh ij", 4), ["abcdefgh", "ij"]);
        assert!(wrap("", 4).is_empty());
    }

    #[test]
    fn latin_1_is_kept_and_other_scripts_are_not_guessed() {
        assert_eq!(win_ansi("Tõnis (CIO)"), b"T\xf5nis (CIO)");
        assert_eq!(win_ansi("Ωmega\n"), b"?mega?");
    }

    #[test]
    fn the_grid_fits_the_page() {
        let words = ["millionaire"; BYTES_PER_LINE + CHECK_WORDS].join(" ");
        let line = grid_line(223, &words);
        assert!(
            line.chars().count() <= chars_across(GRID_MARGIN, GRID_SIZE),
            "{line}"
        );
        // The last line of a file of 6k+1 bytes: one word, then the check words in their columns.
        let short = grid_line(50, "aardvark absurd accrue");
        assert_eq!(short.find("aardvark"), Some(5));
        assert_eq!(short.find("absurd"), Some(5 + BYTES_PER_LINE * COLUMN + 2));
        assert_eq!(
            short.find("accrue"),
            Some(5 + BYTES_PER_LINE * COLUMN + 2 + COLUMN)
        );
    }
}
