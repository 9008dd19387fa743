//! The paper path through the binary, checked with tools that are not custody's: a share file of
//! the fixture domain printed with `custody share print`, rendered by `pdftoppm` (poppler), its
//! QR code decoded by `zbarimg` (zbar) and its base32 by coreutils' `base32`, and compared with the
//! file byte for byte; the same scan imported with `custody share import --image`; the words as
//! `pdftotext` reads them from the PDF typed back through `custody share import --words`; a
//! mistyped word, a swapped pair and a missing line named by line; hostile inputs and outputs
//! refused; and a share file typed back from its sheet unlocks a SoftHSM token with two others. The tools are required: a missing one fails the test with the install hint. Messages
//! are pinned in tests/snapshots/paper-*.txt (`[ROOM]` redacted; refresh with
//! `SNAPSHOTS=overwrite cargo test --test cli_paper`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod domain_fixture;
mod room;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::snapshot;

const TOOLS_HINT: &str = "poppler-utils (pdftoppm, pdftotext), zbar-tools (zbarimg) and coreutils \
     (base32) are needed for these tests: run `bash scripts/install-deps.sh` as root (or `sudo \
     apt-get install -y poppler-utils zbar-tools`)";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A file of the fixture, relative to the checkout (where every command runs), so that the
/// pinned messages do not depend on where the checkout is.
fn fixture(path: &str) -> PathBuf {
    Path::new("tests/cmd/fixture").join(path)
}

fn manifest() -> PathBuf {
    fixture("domain/manifest.json")
}

fn share() -> PathBuf {
    fixture("domain/shares/cio.share")
}

/// Runs `program` with `args`, giving it `stdin`.
fn run(program: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("{}: {error}; {TOOLS_HINT}", program.display()));
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn custody(args: &[&str], stdin: &[u8]) -> Output {
    run(Path::new(env!("CARGO_BIN_EXE_custody")), args, stdin)
}

/// An independent tool's standard output; it must succeed.
fn tool(name: &str, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let output = run(Path::new(name), args, stdin);
    assert!(
        output.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The exit status, stdout and stderr of `output`, pinned in tests/snapshots/NAME.txt.
fn pin(room: &Path, name: &str, output: &Output) {
    snapshot::pin(name, snapshot::outcome(output), snapshot::room(room));
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The fixture official cio's sheet, printed into `room`.
fn print_sheet(room: &Path) -> (PathBuf, Output) {
    let sheet = room.join("cio-sheet.pdf");
    let output = custody(
        &[
            "share",
            "print",
            "--manifest",
            path(&manifest()),
            path(&share()),
            "--out",
            path(&sheet),
        ],
        b"",
    );
    (sheet, output)
}

/// The first page of `sheet` as a PNG at 150 dpi, by pdftoppm.
fn first_page(sheet: &Path, room: &Path) -> PathBuf {
    let stem = room.join("page");
    let args = ["-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile"];
    tool(
        "pdftoppm",
        &[&args[..], &[path(sheet), path(&stem)]].concat(),
        b"",
    );
    stem.with_extension("png")
}

/// The lines of words of `sheet` as pdftotext reads them from its pages after the first, without
/// their numbers.
fn typed_words(sheet: &Path) -> Vec<String> {
    let text = tool("pdftotext", &["-f", "2", "-layout", path(sheet), "-"], b"");
    String::from_utf8(text)
        .unwrap()
        .lines()
        .filter_map(|line| {
            let (number, words) = line.trim_start().split_once(' ')?;
            number.parse::<usize>().ok()?;
            Some(words.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .collect()
}

fn import_words(out: &Path, lines: &[String]) -> Output {
    let mut typed = lines.join("\n");
    typed.push('\n');
    custody(
        &[
            "share",
            "import",
            "--words",
            "--manifest",
            path(&manifest()),
            "--out",
            path(out),
        ],
        typed.as_bytes(),
    )
}

#[test]
fn a_printed_sheet_scans_and_types_back_byte_for_byte() {
    let room = tempfile::tempdir().unwrap();
    let room = room.path();
    let original = std::fs::read(repo().join(share())).unwrap();
    let (sheet, printed) = print_sheet(room);
    pin(room, "paper-print", &printed);
    assert!(std::fs::read(&sheet).unwrap().starts_with(b"%PDF-"));

    // zbarimg and base32, not custody, read the code.
    let page = first_page(&sheet, room);
    let scanned = tool("zbarimg", &["--quiet", "--raw", path(&page)], b"");
    let scanned = String::from_utf8(scanned).unwrap();
    let encoded = scanned
        .trim_end()
        .strip_prefix("CUSTODY-SHARE-SHEET-1:")
        .unwrap_or_else(|| panic!("not a sheet payload: {scanned}"));
    let padded = format!("{encoded}{}", "=".repeat((8 - encoded.len() % 8) % 8));
    let decoded = tool("base32", &["--decode"], padded.as_bytes());
    assert!(
        decoded == original,
        "zbarimg's bytes differ from the share file"
    );

    let from_scan = room.join("from-scan.share");
    let imported = custody(
        &[
            "share",
            "import",
            "--image",
            path(&page),
            "--manifest",
            path(&manifest()),
            "--out",
            path(&from_scan),
        ],
        b"",
    );
    pin(room, "paper-import-image", &imported);
    assert!(std::fs::read(&from_scan).unwrap() == original);

    // The same page as a JPEG, at 100 dpi.
    let stem = room.join("photo");
    let args = ["-r", "100", "-jpeg", "-f", "1", "-l", "1", "-singlefile"];
    tool(
        "pdftoppm",
        &[&args[..], &[path(&sheet), path(&stem)]].concat(),
        b"",
    );
    let from_jpeg = room.join("from-jpeg.share");
    let imported = custody(
        &[
            "share",
            "import",
            "--image",
            path(&stem.with_extension("jpg")),
            "--out",
            path(&from_jpeg),
        ],
        b"",
    );
    assert!(imported.status.success(), "{imported:?}");
    assert!(std::fs::read(&from_jpeg).unwrap() == original);

    let lines = typed_words(&sheet);
    assert_eq!(lines.len(), original.len().div_ceil(6));
    let typed = room.join("typed.share");
    pin(room, "paper-import-words", &import_words(&typed, &lines));
    assert!(std::fs::read(&typed).unwrap() == original);

    // The typed file opens with the official's passphrase and matches the verifier set.
    let verified = custody(
        &[
            "share",
            "verify",
            "--manifest",
            path(&manifest()),
            path(&typed),
            "--passphrase-file",
            path(&fixture("pdir/cio.pass")),
        ],
        b"",
    );
    assert!(verified.status.success(), "{verified:?}");
}

#[test]
fn mistyped_lines_are_named_and_nothing_is_written() {
    let room = tempfile::tempdir().unwrap();
    let room = room.path();
    let (sheet, printed) = print_sheet(room);
    assert!(printed.status.success());
    let lines = typed_words(&sheet);
    let out = room.join("typed.share");

    // Line 7's second word replaced by another word of the same (odd) list: only its check
    // words tell.
    let mut typo = lines.clone();
    let mut words: Vec<&str> = typo[6].split(' ').collect();
    words[1] = if words[1] == "adviser" {
        "adroitness"
    } else {
        "adviser"
    };
    typo[6] = words.join(" ");
    pin(room, "paper-import-typo", &import_words(&out, &typo));
    assert!(!out.exists());

    // Two words of the same list swapped on line 12.
    let mut swapped = lines.clone();
    let mut words: Vec<&str> = swapped[11].split(' ').collect();
    assert_ne!(words[0], words[2]);
    words.swap(0, 2);
    swapped[11] = words.join(" ");
    let output = import_words(&out, &swapped);
    assert!(String::from_utf8_lossy(&output.stderr)
        .starts_with("error: line 12: its check words do not match its words"));
    assert!(!out.exists());

    // Neighbours swapped on line 3: the lists tell at once.
    let mut neighbours = lines.clone();
    let mut words: Vec<&str> = neighbours[2].split(' ').collect();
    words.swap(3, 4);
    neighbours[2] = words.join(" ");
    pin(
        room,
        "paper-import-swapped-neighbours",
        &import_words(&out, &neighbours),
    );

    let mut short = lines;
    short.pop();
    pin(
        room,
        "paper-import-missing-line",
        &import_words(&out, &short),
    );
    assert!(!out.exists());
}

#[test]
fn outputs_are_never_overwritten_or_followed() {
    let room = tempfile::tempdir().unwrap();
    let room = room.path();
    let (sheet, printed) = print_sheet(room);
    assert!(printed.status.success());
    let (_, again) = print_sheet(room);
    pin(room, "paper-print-exists", &again);
    let replaced = custody(
        &[
            "share",
            "print",
            "--manifest",
            path(&manifest()),
            path(&share()),
            "--out",
            path(&sheet),
            "--force",
            "--json",
        ],
        b"",
    );
    pin(room, "paper-print-json", &replaced);

    // A symbolic link at the output: refused without --force; with it, replaced, the file it
    // points to untouched.
    let target = room.join("target");
    std::fs::write(&target, "keep me").unwrap();
    let link = room.join("link.share");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let page = first_page(&sheet, room);
    let import = |force: bool| {
        let mut args = vec![
            "share",
            "import",
            "--image",
            path(&page),
            "--out",
            path(&link),
        ];
        if force {
            args.push("--force");
        }
        custody(&args, b"")
    };
    assert!(!import(false).status.success());
    let forced = import(true);
    assert!(forced.status.success(), "{forced:?}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    assert!(std::fs::symlink_metadata(&link).unwrap().is_file());
    assert!(std::fs::read(&link).unwrap() == std::fs::read(repo().join(share())).unwrap());
    pin(room, "paper-import-image-without-manifest", &forced);
    let (json_out, manifest) = (room.join("json.share"), manifest());
    let args = [
        "share",
        "import",
        "--image",
        path(&page),
        "--manifest",
        path(&manifest),
        "--out",
        path(&json_out),
        "--json",
    ];
    pin(room, "paper-import-json", &custody(&args, b""));
}

#[test]
fn a_page_without_the_code_and_a_share_of_another_domain_are_refused() {
    let room = tempfile::tempdir().unwrap();
    let room = room.path();
    let (sheet, printed) = print_sheet(room);
    assert!(printed.status.success());
    let words_page = room.join("words");
    let args = ["-r", "100", "-png", "-f", "2", "-l", "2", "-singlefile"];
    tool(
        "pdftoppm",
        &[&args[..], &[path(&sheet), path(&words_page)]].concat(),
        b"",
    );
    let out = room.join("cio.share");
    let output = custody(
        &[
            "share",
            "import",
            "--image",
            path(&words_page.with_extension("png")),
            "--out",
            path(&out),
        ],
        b"",
    );
    pin(room, "paper-import-no-code", &output);
    assert!(!out.exists());

    // A share file of another domain, typed with the fixture's manifest.
    let other = domain_fixture::Domain::new("ee-other");
    let lines = custody::paper::words::lines(&other.sealed[0].to_bytes());
    pin(
        room,
        "paper-import-other-domain",
        &import_words(&out, &lines),
    );
    assert!(!out.exists());
}

/// Issue 16's test: a domain's share file, printed, its file deleted, typed back from the words
/// pdftotext reads on the sheet, unlocks the embassy token (real SoftHSM) with two others.
#[test]
fn a_share_typed_back_from_its_sheet_unlocks_with_the_others() {
    let room = room::Room::new();
    room.genesis();
    let manifest = room.dir().join("manifest.json");
    let sheet = room.hsm.dir().join("cio-sheet.pdf");
    let share = room.share("cio");
    let printed = custody(
        &[
            "share",
            "print",
            "--manifest",
            path(&manifest),
            &share,
            "--out",
            path(&sheet),
        ],
        b"",
    );
    assert!(printed.status.success(), "{printed:?}");
    let original = std::fs::read(&share).unwrap();
    std::fs::remove_file(&share).unwrap();

    let mut typed = typed_words(&sheet).join("\n");
    typed.push('\n');
    let restored = room.hsm.dir().join("cio-from-paper.share");
    let args = [
        "share",
        "import",
        "--words",
        "--manifest",
        path(&manifest),
        "--out",
        path(&restored),
    ];
    let imported = custody(&args, typed.as_bytes());
    assert!(imported.status.success(), "{imported:?}");
    assert!(std::fs::read(&restored).unwrap() == original);

    let run = room.unlock(&[
        path(&restored).to_owned(),
        room.share("ria"),
        room.share("justice"),
    ]);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("3 of 3 accepted"), "{}", run.stdout);
    assert!(run.stdout.contains("Unlocked"), "{}", run.stdout);
}
