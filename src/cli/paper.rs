//! `custody share print` and `custody share import`: a share file onto a share sheet (PDF) and
//! back, from a scan of its QR code or from its words typed line by line. Reading the terminal,
//! the files and printing only: the sheet, the words and the code are `paper`'s, the share file's
//! reader is `shares`', and the check against the manifest is the one `share verify` makes.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use super::output::{print, print_json, Failure};
use super::stdio::{refuse_dash, refuse_existing};
use crate::ceremony::reseal::read_share;
use crate::domain::{Manifest, ManifestChain};
use crate::files::{read_at_most, write_atomic};
use crate::paper::scan::{scan, MAX_IMAGE_FILE_LEN};
use crate::paper::sheet::{render, Sheet};
use crate::paper::words::{WordReader, BYTES_PER_LINE, CHECK_WORDS, MAX_LINES};
use crate::shares::sealed::SealedShare;

#[derive(Debug, Args)]
pub struct PrintArgs {
    /// The domain's manifest.json: the share file must be the one it records, and the sheet
    /// shows the official's name and role from it.
    #[arg(long, value_name = "MANIFEST")]
    manifest: PathBuf,
    /// The official's sealed share file.
    share: PathBuf,
    /// The PDF to write.
    #[arg(long, value_name = "PDF")]
    out: PathBuf,
    /// Replace an existing OUT (only once the new sheet is complete).
    #[arg(long)]
    force: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    source: Source,
    /// The share file to write.
    #[arg(long, value_name = "SHARE")]
    out: PathBuf,
    /// The domain's manifest.json: the share file must be the one it records.
    #[arg(long, value_name = "MANIFEST")]
    manifest: Option<PathBuf>,
    /// Replace an existing OUT (only once the new file is complete and checked).
    #[arg(long)]
    force: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Where the sheet is read from.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
struct Source {
    /// Read the sheet's words from standard input, one line of the sheet per line.
    #[arg(long)]
    words: bool,
    /// Read the sheet's QR code from a scan or photo of its first page (PNG or JPEG).
    #[arg(long, value_name = "IMAGE")]
    image: Option<PathBuf>,
}

pub fn print_sheet(args: &PrintArgs) -> Result<(), Failure> {
    refuse_dash(&args.out, "a share sheet")?;
    refuse_existing(&args.out, args.force)?;
    let manifest = ManifestChain::load(&args.manifest)?.into_in_force();
    let sealed = read_share(&args.share)?;
    let entry = manifest
        .check_share(&sealed)
        .map_err(|error| Failure::share_file(&args.share, error))?;
    let official = entry.official();
    let sheet = Sheet {
        share: &sealed,
        official,
        shares: manifest.officials().len(),
    };
    let rendered = render(&sheet).map_err(|error| {
        Failure::new(
            format!("{}: {error}", args.share.display()),
            "a share file custody wrote always fits: check the path names a share file",
        )
    })?;
    write_atomic(&args.out, &rendered.pdf).map_err(|error| unwritable(&args.out, &error))?;
    let header = sealed.header();
    let report = PrintReport {
        sheet: args.out.display().to_string(),
        pages: rendered.pages,
        lines: rendered.lines,
        share_file: args.share.display().to_string(),
        official: official.id().as_str(),
        name: official.name(),
        role: official.role(),
        share_id: header.share_id,
        shares: sheet.shares,
        domain: &header.domain,
        epoch: header.epoch,
        share_fingerprint: sealed.fingerprint(),
    };
    if args.json {
        return print_json(&report);
    }
    print(&format!(
        "ok: wrote {out}, the share sheet of {name} ({id}): {pages} pages, with the QR code and \
         {lines} lines of words of {share} (share {share_id} of {n} of domain {domain}, epoch \
         {epoch}).\n\
         Like the share file, the sheet is sealed under the official's passphrase. Print it, \
         check the print by importing it back (`custody share import --image SCAN --manifest \
         {manifest} --out FILE`, or --words), and keep it as one of the official's copies.\n",
        out = report.sheet,
        name = report.name,
        id = report.official,
        pages = report.pages,
        lines = report.lines,
        share = report.share_file,
        share_id = report.share_id,
        n = report.shares,
        domain = report.domain,
        epoch = report.epoch,
        manifest = args.manifest.display(),
    ));
    Ok(())
}

#[derive(Serialize)]
struct PrintReport<'a> {
    sheet: String,
    pages: usize,
    lines: usize,
    share_file: String,
    official: &'a str,
    name: &'a str,
    role: &'a str,
    share_id: u8,
    shares: usize,
    domain: &'a str,
    epoch: u32,
    share_fingerprint: String,
}

#[derive(Serialize)]
struct ImportReport<'a> {
    share_file: String,
    source: &'a str,
    official: &'a str,
    share_id: u8,
    domain: &'a str,
    epoch: u32,
    bytes: usize,
    share_fingerprint: String,
    /// The manifest that records the file, when one was given.
    manifest: Option<String>,
}

pub fn import(args: &ImportArgs) -> Result<(), Failure> {
    refuse_dash(&args.out, "a share file")?;
    refuse_existing(&args.out, args.force)?;
    let manifest = match &args.manifest {
        Some(path) => Some(ManifestChain::load(path)?.into_in_force()),
        None => None,
    };
    let (source, bytes) = match &args.source.image {
        Some(image) => (
            format!("the QR code in {}", image.display()),
            scan_image(image)?,
        ),
        None => ("the typed words".to_owned(), typed_words()?),
    };
    let sealed = SealedShare::parse(&bytes)
        .map_err(|error| Failure::share_file(Path::new(&source), error))?;
    let recorded = match &manifest {
        Some(manifest) => Some(recorded_by(manifest, &sealed, &source)?),
        None => None,
    };
    write_atomic(&args.out, &bytes).map_err(|error| unwritable(&args.out, &error))?;
    let header = sealed.header();
    let report = ImportReport {
        share_file: args.out.display().to_string(),
        source: &source,
        official: &header.official,
        share_id: header.share_id,
        domain: &header.domain,
        epoch: header.epoch,
        bytes: bytes.len(),
        share_fingerprint: sealed.fingerprint(),
        manifest: args
            .manifest
            .as_ref()
            .map(|path| path.display().to_string()),
    };
    if args.json {
        return print_json(&report);
    }
    let out = &report.share_file;
    let check = match (&report.manifest, recorded) {
        (Some(path), Some(name)) => format!(
            "It is byte for byte the share file {path} records for {name}. It is still sealed \
             under the official's passphrase: check that it opens with `custody share verify \
             --manifest {path} {out}`."
        ),
        _ => format!(
            "No manifest was given, so it was not compared with the manifest's record: check it \
             with `custody share verify --manifest MANIFEST {out}`."
        ),
    };
    print(&format!(
        "ok: wrote {out}, read from {source}: the share file of official {official}, share \
         {share_id} of domain {domain}, epoch {epoch} ({len} bytes, fingerprint {fingerprint}).\n\
         {check}\n",
        official = report.official,
        share_id = report.share_id,
        domain = report.domain,
        epoch = report.epoch,
        len = report.bytes,
        fingerprint = report.share_fingerprint,
    ));
    Ok(())
}

/// The name and id of the official the manifest records `sealed` for: the check `share verify`
/// makes before it asks for the passphrase.
fn recorded_by(manifest: &Manifest, sealed: &SealedShare, source: &str) -> Result<String, Failure> {
    let entry = manifest
        .check_share(sealed)
        .map_err(|error| Failure::share_file(Path::new(source), error))?;
    let official = entry.official();
    Ok(format!("{} ({})", official.name(), official.id().as_str()))
}

/// The share file bytes in the QR code of the image at `path`.
fn scan_image(path: &Path) -> Result<Vec<u8>, Failure> {
    let bytes = read_at_most(path, MAX_IMAGE_FILE_LEN).map_err(|error| {
        Failure::new(
            format!("{}: cannot be read: {error}", path.display()),
            "check the path names the scan of the sheet's first page",
        )
    })?;
    scan(&bytes).map_err(|error| Failure::new(format!("{}: {error}", path.display()), error.hint()))
}

/// The longest typed line read: eight of the longest words, with room for stray spaces.
const MAX_TYPED_LINE: usize = 512;
/// Lines read in all, blank and mistyped ones included, before giving up.
const MAX_TYPED_LINES: usize = 8 * MAX_LINES;

/// The share file bytes in the sheet's words typed on standard input. On a terminal a wrong line
/// is named and typed again; otherwise the first wrong line ends the import.
fn typed_words() -> Result<Vec<u8>, Failure> {
    let terminal = std::io::stdin().is_terminal();
    let mut input = std::io::stdin().lock();
    let mut reader = WordReader::default();
    if terminal {
        eprintln!(
            "Type the words of the share sheet, one line of the sheet per line, without its \
             number: {BYTES_PER_LINE} words (fewer on the last line) and {CHECK_WORDS} check \
             words. A line that does not check is named; type it again."
        );
    }
    // On a terminal the last line ends the words; from a pipe, a line after it is refused.
    for _ in 0..MAX_TYPED_LINES {
        if reader.ended() && terminal {
            break;
        }
        if terminal {
            eprint!("line {}: ", reader.next_line());
            std::io::stderr().flush().ok();
        }
        let Some(line) = typed_line(&mut input, reader.next_line())? else {
            break;
        };
        if line.trim().is_empty() {
            continue;
        }
        match reader.take(&line) {
            Ok(()) => {}
            Err(error) if terminal => eprintln!("error: {error}\nhint: {}", error.hint()),
            Err(error) => {
                return Err(Failure::new(
                    format!("{error}; nothing was written"),
                    error.hint(),
                ))
            }
        }
    }
    reader
        .finish()
        .map_err(|error| Failure::new(format!("{error}; nothing was written"), error.hint()))
}

/// One line of standard input, at most `MAX_TYPED_LINE` bytes; `None` at the end of input.
fn typed_line(input: &mut impl BufRead, number: usize) -> Result<Option<String>, Failure> {
    let mut line = Vec::new();
    let cap = u64::try_from(MAX_TYPED_LINE).unwrap_or(u64::MAX) + 1;
    let read = Read::take(&mut *input, cap)
        .read_until(b'\n', &mut line)
        .map_err(|error| {
            Failure::new(
                format!("cannot read the words from standard input: {error}"),
                "type the words on a terminal, or give them on standard input",
            )
        })?;
    if read == 0 {
        return Ok(None);
    }
    if line.len() > MAX_TYPED_LINE {
        return Err(Failure::new(
            format!("line {number}: longer than {MAX_TYPED_LINE} bytes; nothing was written"),
            "type one line of the sheet per line",
        ));
    }
    String::from_utf8(line).map(Some).map_err(|_| {
        Failure::new(
            format!("line {number}: not UTF-8 text; nothing was written"),
            "type the words as they are printed on the sheet",
        )
    })
}

fn unwritable(path: &Path, error: &std::io::Error) -> Failure {
    Failure::new(
        format!("{}: cannot be written: {error}", path.display()),
        "check that the directory exists and that you may write in it",
    )
}
