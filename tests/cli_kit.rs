//! `custody kit`: a kit of the checked-in fixture domain (tests/cmd/fixture/domain) holds every
//! file it should and no share file, its `SHA256SUMS` passes `sha256sum -c` in the kit, and
//! `kit --verify` passes on it; one altered byte, an extra file, a missing file and a symbolic
//! link are each named; a domain whose chain does not verify and a non-empty directory are
//! refused. Every message is pinned in `tests/snapshots/kit-*.txt` (the temporary directory
//! `[ROOM]` and digests `[DIGEST]` redacted; refresh with `SNAPSHOTS=overwrite cargo test --test
//! cli_kit`). And what RECOVER.md says the binary needs from the system (its dynamic libraries
//! and the newest glibc symbol version) is checked against the binary built.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::snapshot;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture_manifest() -> PathBuf {
    repo().join("tests/cmd/fixture/domain/manifest.json")
}

fn custody(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_custody"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap()
}

/// The exit status, stdout and stderr of `output`, pinned in tests/snapshots/NAME.txt.
fn pin(room: &Path, name: &str, output: &Output) {
    // Digests in groups of four: the binary and the documents change with every commit.
    let redactions = snapshot::with_digests(snapshot::room(room));
    snapshot::pin(name, snapshot::outcome(output), redactions);
}

/// A kit of the fixture domain at ROOM/kit.
fn fixture_kit() -> (tempfile::TempDir, PathBuf, Output) {
    let room = tempfile::tempdir().unwrap();
    let kit = room.path().join("kit");
    let manifest = fixture_manifest();
    let output = custody(&[
        "kit",
        "--manifest",
        manifest.to_str().unwrap(),
        "--out",
        kit.to_str().unwrap(),
    ]);
    (room, kit, output)
}

fn verify(kit: &Path) -> Output {
    custody(&["kit", "--verify", kit.to_str().unwrap()])
}

#[test]
fn a_kit_holds_every_file_and_sha256sum_checks_it() {
    let (room, kit, output) = fixture_kit();
    pin(room.path(), "kit-written", &output);
    assert!(output.status.success());
    let mut files: Vec<String> = walkdir(&kit);
    files.sort();
    assert_eq!(
        files,
        [
            "RECOVER.md",
            "SHA256SUMS",
            "ceremonies/lib.sh",
            "ceremonies/officials-guide.md",
            "ceremonies/recovery-from-cold.md",
            "ceremonies/recovery-from-cold.sh",
            "custody",
            "docs/FORMAT.md",
            "domain/canary.custody",
            "domain/chain/000000.json",
            "domain/manifest.json",
            "domain/transcript.jsonl",
        ]
    );
    // The binary itself, runnable; the documents as this checkout has them.
    let binary = std::fs::read(kit.join("custody")).unwrap();
    assert_eq!(
        binary,
        std::fs::read(env!("CARGO_BIN_EXE_custody")).unwrap()
    );
    let mode = std::fs::metadata(kit.join("custody"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755);
    for (inside, source) in [
        ("RECOVER.md", "ceremonies/recover.md"),
        (
            "ceremonies/recovery-from-cold.md",
            "ceremonies/recovery-from-cold.md",
        ),
        (
            "ceremonies/officials-guide.md",
            "ceremonies/officials-guide.md",
        ),
        ("docs/FORMAT.md", "docs/FORMAT.md"),
    ] {
        assert_eq!(
            std::fs::read(kit.join(inside)).unwrap(),
            std::fs::read(repo().join(source)).unwrap(),
            "{inside}"
        );
    }
    let check = Command::new("sha256sum")
        .args(["--check", "--strict", "SHA256SUMS"])
        .current_dir(&kit)
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    assert_eq!(String::from_utf8_lossy(&check.stdout).lines().count(), 11);

    let verified = verify(&kit);
    pin(room.path(), "kit-verified", &verified);
    assert!(verified.status.success());
    // The binary's SHA-256 shown is the one sha256sum gives.
    let sums = std::fs::read_to_string(kit.join("SHA256SUMS")).unwrap();
    let line = sums
        .lines()
        .find(|line| line.ends_with("  custody"))
        .unwrap();
    let grouped: Vec<&str> = line.as_bytes()[..64]
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    assert!(String::from_utf8_lossy(&verified.stdout).contains(&grouped.join(" ")));
}

#[test]
fn one_altered_byte_is_named_with_both_digests() {
    let (room, kit, _) = fixture_kit();
    let transcript = kit.join("domain/transcript.jsonl");
    let mut bytes = std::fs::read(&transcript).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&transcript, bytes).unwrap();
    let output = verify(&kit);
    pin(room.path(), "kit-altered", &output);
    assert_eq!(output.status.code(), Some(1));
    let check = Command::new("sha256sum")
        .args(["--check", "SHA256SUMS"])
        .current_dir(&kit)
        .output()
        .unwrap();
    assert!(!check.status.success());
}

#[test]
fn extra_missing_and_linked_files_are_named() {
    let (room, kit, _) = fixture_kit();
    std::fs::remove_file(kit.join("domain/canary.custody")).unwrap();
    std::fs::write(kit.join("domain/notes.txt"), "not of the kit").unwrap();
    std::os::unix::fs::symlink("manifest.json", kit.join("domain/link.json")).unwrap();
    let output = verify(&kit);
    pin(room.path(), "kit-extra-and-missing", &output);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_directory_without_sums_is_no_kit() {
    let room = tempfile::tempdir().unwrap();
    let output = verify(room.path());
    pin(room.path(), "kit-no-sums", &output);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_domain_whose_chain_does_not_verify_gives_no_kit() {
    let room = tempfile::tempdir().unwrap();
    let domain = room.path().join("domain");
    std::fs::create_dir_all(domain.join("chain")).unwrap();
    let fixture = repo().join("tests/cmd/fixture/domain");
    for name in [
        "manifest.json",
        "transcript.jsonl",
        "canary.custody",
        "chain/000000.json",
    ] {
        std::fs::copy(fixture.join(name), domain.join(name)).unwrap();
    }
    // A newer manifest on record than the one in force: manifest.json was rolled back.
    std::fs::copy(
        fixture.join("manifest.json"),
        domain.join("chain/000001.json"),
    )
    .unwrap();
    let kit = room.path().join("kit");
    let output = custody(&[
        "kit",
        "--manifest",
        domain.join("manifest.json").to_str().unwrap(),
        "--out",
        kit.to_str().unwrap(),
    ]);
    pin(room.path(), "kit-broken-chain", &output);
    assert_eq!(output.status.code(), Some(1));
    assert!(!kit.exists());
}

#[test]
fn a_non_empty_directory_is_refused() {
    let (room, kit, _) = fixture_kit();
    let sums = std::fs::read(kit.join("SHA256SUMS")).unwrap();
    let manifest = fixture_manifest();
    let output = custody(&[
        "kit",
        "--manifest",
        manifest.to_str().unwrap(),
        "--out",
        kit.to_str().unwrap(),
    ]);
    pin(room.path(), "kit-not-empty", &output);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(std::fs::read(kit.join("SHA256SUMS")).unwrap(), sums);
}

/// RECOVER.md says what the binary needs from the system: the dynamic libraries it names and
/// the glibc it needs. Both are read from the binary built (objdump, binutils).
#[test]
fn recover_md_states_what_the_binary_needs() {
    let recover = std::fs::read_to_string(repo().join("ceremonies/recover.md")).unwrap();
    let binary = env!("CARGO_BIN_EXE_custody");
    let headers = objdump(&["-p", binary]);
    let stated = [
        ("libc.so.6", "libc"),
        ("libm.so.6", "libm"),
        ("libgcc_s.so.1", "libgcc_s"),
        ("ld-linux-x86-64.so.2", "ld-linux-x86-64.so.2"),
    ];
    for needed in headers
        .lines()
        .filter_map(|line| line.trim().strip_prefix("NEEDED"))
    {
        let needed = needed.trim();
        let (_, word) = stated
            .iter()
            .find(|(library, _)| *library == needed)
            .unwrap_or_else(|| panic!("the binary needs {needed}, which RECOVER.md does not name"));
        assert!(recover.contains(word), "RECOVER.md does not name {word}");
    }
    let symbols = objdump(&["-T", binary]);
    let newest = symbols
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .filter_map(|word| word.strip_prefix("GLIBC_"))
        .filter_map(|version| {
            let (major, minor) = version.split_once('.')?;
            Some((
                major.parse::<u32>().ok()?,
                minor.split('.').next()?.parse::<u32>().ok()?,
            ))
        })
        .max()
        .unwrap();
    assert!(
        newest <= (2, 34),
        "the binary needs GLIBC_{}.{}, newer than the glibc 2.34 RECOVER.md states",
        newest.0,
        newest.1
    );
    assert!(recover.contains("glibc 2.34 or newer"));
    // scripts/release.sh makes the same check of every release binary.
    let script = Command::new("bash")
        .arg(repo().join("scripts/system-needs.sh"))
        .arg(binary)
        .output()
        .unwrap();
    assert!(script.status.success(), "{script:?}");
}

fn objdump(args: &[&str]) -> String {
    let output = Command::new("objdump")
        .args(args)
        .output()
        .expect("objdump (binutils) is needed to check what the binary links");
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

/// Every entry under `root` that is not a directory, relative, `/`-separated.
fn walkdir(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut directories = vec![root.to_owned()];
    while let Some(directory) = directories.pop() {
        for entry in std::fs::read_dir(directory).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                directories.push(entry.path());
            } else {
                let inside = entry.path().strip_prefix(root).unwrap().to_owned();
                found.push(inside.display().to_string());
            }
        }
    }
    found
}

#[test]
fn a_sums_file_that_is_not_a_kits_is_refused() {
    let (room, kit, _) = fixture_kit();
    let sums = kit.join("SHA256SUMS");
    let text = std::fs::read_to_string(&sums).unwrap();
    std::fs::write(&sums, text.replacen("  ", " ", 1)).unwrap();
    pin(room.path(), "kit-bad-sums-line", &verify(&kit));
    let without_binary: String = text
        .lines()
        .filter(|line| !line.ends_with("  custody"))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(&sums, without_binary).unwrap();
    let output = verify(&kit);
    pin(room.path(), "kit-sums-without-binary", &output);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_domain_without_its_transcript_gives_no_kit() {
    let room = tempfile::tempdir().unwrap();
    let domain = room.path().join("domain");
    std::fs::create_dir_all(domain.join("chain")).unwrap();
    let fixture = repo().join("tests/cmd/fixture/domain");
    for name in ["manifest.json", "canary.custody", "chain/000000.json"] {
        std::fs::copy(fixture.join(name), domain.join(name)).unwrap();
    }
    let kit = room.path().join("kit");
    let output = custody(&[
        "kit",
        "--manifest",
        domain.join("manifest.json").to_str().unwrap(),
        "--out",
        kit.to_str().unwrap(),
    ]);
    pin(room.path(), "kit-without-transcript", &output);
    assert_eq!(output.status.code(), Some(1));
    assert!(!kit.exists());
}

/// A damaged `SHA256SUMS`, every way FORMAT.md 11.2 suggests, is refused with one error and a
/// hint, exit status 1, never a panic.
#[test]
fn damaged_sums_are_refused_cleanly() {
    let (_room, kit, _) = fixture_kit();
    let sums = kit.join("SHA256SUMS");
    let text = std::fs::read_to_string(&sums).unwrap();
    let first = text.lines().next().unwrap().to_owned();
    let damaged: Vec<Vec<u8>> = vec![
        Vec::new(),
        text.as_bytes()[..text.len() / 2].to_vec(),
        text.to_uppercase().into_bytes(),
        text.replace("  docs/", "  ../docs/").into_bytes(),
        text.replace("  docs/", "  /docs/").into_bytes(),
        format!("{text}{first}\n").into_bytes(),
        format!("{text}{}  SHA256SUMS\n", "0".repeat(64)).into_bytes(),
        [text.as_bytes(), b"\xff\xfe\n"].concat(),
        vec![b'a'; (1 << 20) + 1],
    ];
    for bytes in damaged {
        std::fs::write(&sums, &bytes).unwrap();
        let output = verify(&kit);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains("\nhint: "),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 2, "{stderr}");
    }
}

/// The canaries `history/` keeps go into the kit; its superseded share sets do not, nor does a
/// manifest.json that is a symbolic link get copied.
#[test]
fn history_gives_its_canaries_and_never_a_share() {
    let room = tempfile::tempdir().unwrap();
    let domain = room.path().join("domain");
    std::fs::create_dir_all(domain.join("chain")).unwrap();
    std::fs::create_dir_all(domain.join("history/shares-e1-a5d06f4f")).unwrap();
    let fixture = repo().join("tests/cmd/fixture/domain");
    for name in [
        "manifest.json",
        "transcript.jsonl",
        "canary.custody",
        "chain/000000.json",
    ] {
        std::fs::copy(fixture.join(name), domain.join(name)).unwrap();
    }
    std::fs::copy(
        fixture.join("canary.custody"),
        domain.join("history/canary-e0.custody"),
    )
    .unwrap();
    std::fs::copy(
        fixture.join("shares/cio.share"),
        domain.join("history/shares-e1-a5d06f4f/cio.share"),
    )
    .unwrap();
    let kit = room.path().join("kit");
    let output = custody(&[
        "kit",
        "--manifest",
        domain.join("manifest.json").to_str().unwrap(),
        "--out",
        kit.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let files = walkdir(&kit);
    assert!(files.contains(&"domain/history/canary-e0.custody".to_owned()));
    assert!(
        !files.iter().any(|file| file.ends_with(".share")),
        "{files:?}"
    );
    assert!(verify(&kit).status.success());

    let linked = room.path().join("linked");
    std::fs::create_dir_all(&linked).unwrap();
    for name in ["transcript.jsonl", "canary.custody"] {
        std::fs::copy(fixture.join(name), linked.join(name)).unwrap();
    }
    std::os::unix::fs::symlink(domain.join("chain"), linked.join("chain")).unwrap();
    std::os::unix::fs::symlink(domain.join("manifest.json"), linked.join("manifest.json")).unwrap();
    let output = custody(&[
        "kit",
        "--manifest",
        linked.join("manifest.json").to_str().unwrap(),
        "--out",
        room.path().join("kit2").to_str().unwrap(),
    ]);
    pin(room.path(), "kit-linked-manifest", &output);
    assert_eq!(output.status.code(), Some(1));
}
