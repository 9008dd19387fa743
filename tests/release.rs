//! The release as a ceremony machine receives it (docs/RELEASE.md, D65). `custody_binary` of
//! ceremonies/lib.sh, run by bash on real files — a copy of the custody binary and a
//! `SHA256SUMS` written by `sha256sum` — runs only a binary that matches its sums: a copy changed
//! by one byte, a missing sums file or line are refused. Every message is pinned in
//! `tests/snapshots/release-*.txt` (the temporary directory and the digests redacted; refresh
//! with `SNAPSHOTS=overwrite cargo test --test release`). And the shell completions and man pages
//! generated from the clap definitions name the commands.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::snapshot;
use custody::cli::reference;
use tempfile::TempDir;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A directory holding a copy of the custody binary and, when `sums`, the `SHA256SUMS` of it.
fn release(sums: bool) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_custody"), dir.path().join("custody")).unwrap();
    if sums {
        let out = Command::new("sha256sum")
            .arg("custody")
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success());
        std::fs::write(dir.path().join("SHA256SUMS"), out.stdout).unwrap();
    }
    dir
}

/// Runs `custody_binary` in bash with only `env` of the variables it reads (CUSTODY,
/// CUSTODY_BUILD, PATH) set; returns its exit code, stdout and stderr as one text.
fn custody_binary(env: &[(&str, &str)]) -> String {
    let mut command = Command::new("bash");
    command
        .args(["-c", ". ceremonies/lib.sh; custody_binary"])
        .current_dir(repo())
        .env_remove("CUSTODY")
        .env_remove("CUSTODY_BUILD")
        .env("PATH", "/usr/bin:/bin");
    command.envs(env.iter().copied());
    let out = command.output().unwrap();
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap()
    )
}

/// Checks `actual` against `tests/snapshots/NAME.txt`, with `dir` shown as `[ROOM]`.
fn pin(dir: &Path, name: &str, actual: &str) {
    // The temporary directory, as bash resolves it; a digest in groups of four: the binary
    // under test changes with every build.
    let room = snapshot::room(&dir.canonicalize().unwrap());
    snapshot::pin(name, actual.to_owned(), snapshot::with_digests(room));
}

fn path_of(dir: &TempDir, name: &str) -> String {
    dir.path().join(name).display().to_string()
}

#[test]
fn accepts_the_binary_its_sums_name_and_shows_its_digest() {
    let dir = release(true);
    let run = custody_binary(&[("CUSTODY", &path_of(&dir, "custody"))]);
    pin(dir.path(), "release-binary-accepted", &run);
}

#[test]
fn refuses_a_binary_changed_by_one_byte() {
    let dir = release(true);
    let binary = dir.path().join("custody");
    let mut bytes = std::fs::read(&binary).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&binary, bytes).unwrap();
    let run = custody_binary(&[("CUSTODY", &path_of(&dir, "custody"))]);
    pin(dir.path(), "release-binary-tampered", &run);
    let sums = std::fs::read_to_string(dir.path().join("SHA256SUMS")).unwrap();
    let published: Vec<&str> = (0..16)
        .map(|group| &sums[group * 4..group * 4 + 4])
        .collect();
    let expected = format!("  expected {}\n", published.join(" "));
    assert!(run.contains(&expected), "{run}");
}

#[test]
fn refuses_a_binary_without_sums_beside_it() {
    let dir = release(false);
    let run = custody_binary(&[("CUSTODY", &path_of(&dir, "custody"))]);
    pin(dir.path(), "release-binary-no-sums", &run);
}

#[test]
fn refuses_sums_without_exactly_one_line_for_the_binary() {
    let dir = release(true);
    let sums = std::fs::read_to_string(dir.path().join("SHA256SUMS")).unwrap();
    std::fs::write(
        dir.path().join("SHA256SUMS"),
        sums.replace("  custody", "  custody.old"),
    )
    .unwrap();
    let run = custody_binary(&[("CUSTODY", &path_of(&dir, "custody"))]);
    pin(dir.path(), "release-binary-no-sums-line", &run);
    std::fs::write(dir.path().join("SHA256SUMS"), sums.repeat(2)).unwrap();
    let run = custody_binary(&[("CUSTODY", &path_of(&dir, "custody"))]);
    pin(dir.path(), "release-binary-two-sums-lines", &run);
}

#[test]
fn finds_custody_on_path_through_a_link_and_checks_the_file_it_names() {
    let dir = release(true);
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(dir.path().join("custody"), bin.join("custody")).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let run = custody_binary(&[("PATH", &path)]);
    pin(dir.path(), "release-binary-on-path", &run);
}

#[test]
fn refuses_when_there_is_no_binary_to_run() {
    let dir = tempfile::tempdir().unwrap();
    let run = custody_binary(&[]);
    pin(dir.path(), "release-binary-none", &run);
    let run = custody_binary(&[("CUSTODY", &path_of(&dir, "custody"))]);
    pin(dir.path(), "release-binary-missing", &run);
    let run = custody_binary(&[("CUSTODY_BUILD", "yes")]);
    pin(dir.path(), "release-binary-build-unknown", &run);
}

#[test]
fn a_failed_release_build_stops_before_any_binary_runs() {
    // scripts/release.sh refuses to replace a directory that is not a release, before building.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a release").unwrap();
    let run = custody_binary(&[
        ("CUSTODY_BUILD", "1"),
        (
            "CUSTODY_RELEASE_DIR",
            &dir.path().canonicalize().unwrap().display().to_string(),
        ),
    ]);
    pin(dir.path(), "release-binary-build-failed", &run);
    assert!(dir.path().join("notes.txt").exists());
}

/// Every file `write` puts into a fresh directory, by name, with its text.
fn generated(write: fn(&Path) -> std::io::Result<()>) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path()).unwrap();
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| {
            let path: PathBuf = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn completions_for_bash_zsh_and_fish_complete_the_commands() {
    let files = generated(reference::write_completions);
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["_custody", "custody.bash", "custody.fish"]);
    for (name, text) in &files {
        for command in ["genesis", "unlock", "drill", "rotate", "audit", "probe"] {
            assert!(text.contains(command), "{name} does not mention {command}");
        }
    }
}

#[test]
fn man_pages_for_custody_and_each_command() {
    let files = generated(reference::write_man_pages);
    let page = |name: &str| {
        &files
            .iter()
            .find(|(file, _)| file == name)
            .unwrap_or_else(|| panic!("no man page {name}"))
            .1
    };
    let top = page("custody.1");
    for command in ["genesis", "unlock", "drill", "rotate", "audit", "hsm"] {
        assert!(
            top.contains(command),
            "custody.1 does not mention {command}"
        );
        assert!(!page(&format!("custody-{command}.1")).is_empty());
    }
    assert!(page("custody-hsm-probe.1").contains("probe"));
    assert!(page("custody-genesis.1").contains("\\-\\-threshold"));
}
