//! `custody seal`, `open`, `verify` and `inspect` of archives through the binary, on a SoftHSM
//! configuration of their own, with the domain key put on the token by a scripted genesis.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{
    names_in, signal, temporaries_in, wait_for_temporary, OwnSoftHsm, TestToken, TINY_KDF,
};

/// A token holding the domain key of `ee-registries`, its manifest, and a work directory.
struct Vault {
    hsm: OwnSoftHsm,
    token: TestToken,
}

impl Vault {
    fn new() -> Self {
        let hsm = OwnSoftHsm::new();
        let token = hsm.token("home");
        let vault = Self { hsm, token };
        vault.genesis();
        vault
    }

    fn dir(&self) -> &Path {
        self.hsm.dir()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir().join(name)
    }

    fn uri(&self) -> String {
        self.token.uri.to_string()
    }

    fn manifest(&self) -> String {
        self.path("domain/manifest.json").display().to_string()
    }

    fn genesis(&self) {
        let pdir = self.path("pdir");
        std::fs::create_dir(&pdir).unwrap();
        let mut officials = String::new();
        for id in ["cio", "justice"] {
            officials +=
                &format!("[[official]]\nid = \"{id}\"\nname = \"{id}\"\nrole = \"Office\"\n\n");
            common::write_private(
                &pdir.join(format!("{id}.pass")),
                format!("amber {id} lantern orbit seventeen"),
            );
        }
        std::fs::write(self.path("officials.toml"), officials).unwrap();
        let (officials, uri) = (
            self.path("officials.toml").display().to_string(),
            self.uri(),
        );
        let (out, pdir) = (
            self.path("domain").display().to_string(),
            pdir.display().to_string(),
        );
        let mut args = vec![
            "genesis",
            "--domain",
            "ee-registries",
            "--officials",
            &officials,
            "--threshold",
            "2",
            "--hsm",
            &uri,
            "--out",
            &out,
            "--passphrases",
            &pdir,
        ];
        args.extend(TINY_KDF);
        let run = self.custody(&args, None);
        assert!(run.ok, "genesis failed: {}{}", run.stdout, run.stderr);
    }

    /// Runs custody, feeding `stdin` when given.
    fn custody(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        let mut child = Command::new(env!("CARGO_BIN_EXE_custody"))
            .env("SOFTHSM2_CONF", self.token.softhsm_conf())
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(bytes) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            let bytes = bytes.to_vec();
            std::thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            });
        }
        Run::from(child.wait_with_output().unwrap())
    }

    fn seal(&self, input: &Path, out: &Path) -> Run {
        self.custody(
            &[
                "seal",
                "--manifest",
                &self.manifest(),
                "--hsm",
                &self.uri(),
                &input.display().to_string(),
                "-o",
                &out.display().to_string(),
            ],
            None,
        )
    }

    fn open(&self, archive: &Path, out: &Path) -> Run {
        self.custody(
            &[
                "open",
                "--hsm",
                &self.uri(),
                &archive.display().to_string(),
                "-o",
                &out.display().to_string(),
            ],
            None,
        )
    }

    fn verify(&self, archives: &[&Path], json: bool) -> Run {
        let uri = self.uri();
        let mut args = vec!["verify", "--hsm", &uri];
        let names: Vec<String> = archives.iter().map(|a| a.display().to_string()).collect();
        args.extend(names.iter().map(String::as_str));
        if json {
            args.push("--json");
        }
        self.custody(&args, None)
    }

    /// Writes `len` bytes of a varied pattern to `name`.
    fn file(&self, name: &str, len: usize) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, data(len)).unwrap();
        path
    }
}

struct Run {
    ok: bool,
    stdout: String,
    stdout_bytes: Vec<u8>,
    stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Self {
            ok: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stdout_bytes: output.stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

fn data(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from((i * 31 + i / 251) % 256).unwrap())
        .collect()
}

/// Flips one byte of the payload, well past the header.
fn tamper(archive: &Path) {
    let mut bytes = std::fs::read(archive).unwrap();
    let at = bytes.len() - 100;
    bytes[at] ^= 0x01;
    std::fs::write(archive, bytes).unwrap();
}

#[test]
fn a_file_round_trips_through_seal_and_open() {
    let vault = Vault::new();
    let input = vault.file("population.tar", 3 * 1024 * 1024 + 17);
    let archive = vault.path("population.tar.custody");
    let sealed = vault.seal(&input, &archive);
    assert!(sealed.ok, "{}", sealed.stderr);
    assert!(
        sealed.stdout.contains("population.tar.custody") && sealed.stdout.contains("4 chunks"),
        "{}",
        sealed.stdout
    );
    let out = vault.path("restored.tar");
    let opened = vault.open(&archive, &out);
    assert!(opened.ok, "{}", opened.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&input).unwrap());
    // Nothing extra on stderr when it is not a terminal: no progress bar.
    assert_eq!(opened.stderr, "");
}

#[test]
fn open_refuses_an_existing_output_unless_forced() {
    let vault = Vault::new();
    let input = vault.file("small.bin", 1000);
    let archive = vault.path("small.custody");
    assert!(vault.seal(&input, &archive).ok);
    let out = vault.file("existing.bin", 5);
    let refused = vault.open(&archive, &out);
    assert!(!refused.ok);
    assert!(
        refused.stderr.contains("already exists"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    assert_eq!(std::fs::read(&out).unwrap().len(), 5);
    let uri = vault.uri();
    let (archive, out) = (archive.display().to_string(), out.display().to_string());
    let forced = vault.custody(
        &["open", "--hsm", &uri, &archive, "-o", &out, "--force"],
        None,
    );
    assert!(forced.ok, "{}", forced.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), data(1000));
}

#[test]
fn standard_input_round_trips_to_standard_output() {
    let vault = Vault::new();
    let plaintext = data(2 * 1024 * 1024 + 5);
    let (manifest, uri) = (vault.manifest(), vault.uri());
    let sealed = vault.custody(
        &[
            "seal",
            "--manifest",
            &manifest,
            "--hsm",
            &uri,
            "-",
            "-o",
            "-",
        ],
        Some(&plaintext),
    );
    assert!(sealed.ok, "{}", sealed.stderr);
    assert!(sealed.stdout_bytes.starts_with(b"CUSTODY-ARCHIVE\0"));
    let opened = vault.custody(
        &["open", "--hsm", &uri, "-", "-o", "-"],
        Some(&sealed.stdout_bytes),
    );
    assert!(opened.ok, "{}", opened.stderr);
    assert_eq!(opened.stdout_bytes, plaintext);
    assert_eq!(opened.stderr, "");
}

#[test]
fn a_stream_cut_short_fails_on_standard_output() {
    let vault = Vault::new();
    let input = vault.file("cut.bin", 2 * 1024 * 1024 + 5);
    let archive = vault.path("cut.custody");
    assert!(vault.seal(&input, &archive).ok);
    let bytes = std::fs::read(&archive).unwrap();
    let uri = vault.uri();
    let opened = vault.custody(
        &["open", "--hsm", &uri, "-", "-o", "-"],
        Some(&bytes[..bytes.len() - 1000]),
    );
    assert!(!opened.ok);
    assert!(
        opened.stderr.contains("standard input:"),
        "{}",
        opened.stderr
    );
    // What was released had authenticated: whole chunks only, a prefix of the data.
    assert_eq!(opened.stdout_bytes.len() % (1024 * 1024), 0);
    assert!(data(2 * 1024 * 1024 + 5).starts_with(&opened.stdout_bytes));
}

#[test]
fn out_dir_seals_one_archive_per_input_and_verify_passes_them_all() {
    let vault = Vault::new();
    let inputs: Vec<PathBuf> = [("a.csv", 0), ("b.csv", 1), ("c.csv", 70_000)]
        .iter()
        .map(|(name, len)| vault.file(name, *len))
        .collect();
    let out_dir = vault.path("sealed");
    std::fs::create_dir(&out_dir).unwrap();
    let (manifest, uri) = (vault.manifest(), vault.uri());
    let out_dir_text = out_dir.display().to_string();
    let mut args = vec![
        "seal",
        "--manifest",
        &manifest,
        "--hsm",
        &uri,
        "--out-dir",
        &out_dir_text,
        "--json",
    ];
    let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let sealed = vault.custody(&args, None);
    assert!(sealed.ok, "{}", sealed.stderr);
    let report: serde_json::Value = serde_json::from_str(&sealed.stdout).unwrap();
    assert_eq!(report["archives"].as_array().unwrap().len(), 3);
    assert_eq!(report["archives"][2]["payload_bytes"], 70_000);
    // The store's catalog (FORMAT.md 16) beside the archives, which it lists.
    assert_eq!(
        names_in(&out_dir),
        [
            ".catalog",
            "a.csv.custody",
            "b.csv.custody",
            "c.csv.custody"
        ]
    );
    assert_eq!(report["catalog_head"].as_str().unwrap().len(), 64);
    let archives: Vec<PathBuf> = names_in(&out_dir)
        .iter()
        .filter(|name| name.ends_with(".custody"))
        .map(|name| out_dir.join(name))
        .collect();
    let verified = vault.verify(
        &archives.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
        false,
    );
    assert!(verified.ok, "{}{}", verified.stdout, verified.stderr);
    assert_eq!(
        verified
            .stdout
            .lines()
            .filter(|l| l.starts_with("ok "))
            .count(),
        3
    );
    for (input, archive) in inputs.iter().zip(&archives) {
        let out = vault.path("restored");
        assert!(vault.open(archive, &out).ok);
        assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(input).unwrap());
        std::fs::remove_file(&out).unwrap();
    }
}

#[test]
fn out_dir_refuses_two_inputs_of_the_same_name_before_sealing_any() {
    let vault = Vault::new();
    std::fs::create_dir(vault.path("x")).unwrap();
    let first = vault.file("data.csv", 10);
    let second = vault.file("x/data.csv", 10);
    let out_dir = vault.path("sealed");
    std::fs::create_dir(&out_dir).unwrap();
    let (manifest, uri) = (vault.manifest(), vault.uri());
    let run = vault.custody(
        &[
            "seal",
            "--manifest",
            &manifest,
            "--hsm",
            &uri,
            "--out-dir",
            &out_dir.display().to_string(),
            &first.display().to_string(),
            &second.display().to_string(),
        ],
        None,
    );
    assert!(!run.ok);
    assert!(run.stderr.contains("data.csv.custody"), "{}", run.stderr);
    assert!(names_in(&out_dir).is_empty());
}

#[test]
fn verify_names_a_tampered_archive_and_open_leaves_no_output() {
    let vault = Vault::new();
    let good = vault.path("good.custody");
    let bad = vault.path("bad.custody");
    assert!(vault.seal(&vault.file("good.bin", 50_000), &good).ok);
    assert!(vault.seal(&vault.file("bad.bin", 3 * 1024 * 1024), &bad).ok);
    tamper(&bad);
    let verified = vault.verify(&[&good, &bad], false);
    assert!(!verified.ok);
    assert!(
        verified
            .stdout
            .lines()
            .any(|l| l.starts_with("ok ") && l.contains("good.custody")),
        "{}",
        verified.stdout
    );
    assert!(
        verified
            .stdout
            .lines()
            .any(|l| l.starts_with("FAIL") && l.contains("bad.custody") && l.contains("chunk 2")),
        "{}",
        verified.stdout
    );
    assert!(
        verified
            .stderr
            .contains("1 of 2 archives failed verification")
            && verified.stderr.contains("bad.custody"),
        "{}",
        verified.stderr
    );
    let json = vault.verify(&[&good, &bad], true);
    assert!(!json.ok);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["archives"][0]["ok"], true);
    assert_eq!(report["archives"][1]["ok"], false);

    let before = names_in(vault.dir());
    let out = vault.path("bad.restored");
    let opened = vault.open(&bad, &out);
    assert!(!opened.ok);
    assert!(
        opened
            .stderr
            .contains("bad.custody: chunk 2 does not authenticate"),
        "{}",
        opened.stderr
    );
    assert!(opened.stderr.contains("hint:"), "{}", opened.stderr);
    assert!(!out.exists());
    assert_eq!(names_in(vault.dir()), before, "a temporary file was left");
}

#[test]
fn inspect_shows_the_public_header_without_a_token() {
    let vault = Vault::new();
    let archive = vault.path("land.custody");
    assert!(vault.seal(&vault.file("land.db", 12_345), &archive).ok);
    let archive_text = archive.display().to_string();
    // No SOFTHSM2_CONF needed: inspect never touches a token.
    let text = Run::from(
        Command::new(env!("CARGO_BIN_EXE_custody"))
            .args(["inspect", &archive_text])
            .output()
            .unwrap(),
    );
    assert!(text.ok, "{}", text.stderr);
    for expected in ["sealed archive", "ee-registries", "land.db", "12345 bytes"] {
        assert!(
            text.stdout.contains(expected),
            "{expected}: {}",
            text.stdout
        );
    }
    let json = vault.custody(&["inspect", &archive_text, "--json"], None);
    let facts: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(facts["kind"], "archive");
    assert_eq!(facts["domain"], "ee-registries");
    assert_eq!(facts["epoch"], 1);
    assert_eq!(facts["size"], 12_345);
    assert_eq!(facts["chunk_size"], 1024 * 1024);
    assert_eq!(facts["authenticated"], false);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(vault.manifest()).unwrap()).unwrap();
    assert_eq!(facts["key_id"], manifest["key_id"]);
}

#[test]
fn a_token_without_the_domain_key_is_named_with_the_key_it_lacks() {
    let vault = Vault::new();
    let other = vault.hsm.token("other");
    let archive = vault.path("pensions.custody");
    assert!(vault.seal(&vault.file("pensions.bin", 100), &archive).ok);
    let out = vault.path("pensions.out");
    let opened = vault.custody(
        &[
            "open",
            "--hsm",
            &other.uri.to_string(),
            &archive.display().to_string(),
            "-o",
            &out.display().to_string(),
        ],
        None,
    );
    assert!(!opened.ok);
    assert!(
        opened
            .stderr
            .contains("token other does not hold the domain key of ee-registries epoch 1"),
        "{}",
        opened.stderr
    );
    assert!(
        opened.stderr.contains("custody inspect"),
        "{}",
        opened.stderr
    );
    assert!(!out.exists());
}

#[test]
fn a_pin_file_others_may_read_is_warned_about_and_the_command_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let vault = Vault::new();
    let pin_file = &vault.token.pin_file;
    std::fs::set_permissions(pin_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let input = vault.file("land.csv", 1000);
    let archive = vault.path("land.csv.custody");
    let sealed = vault.seal(&input, &archive);
    assert!(sealed.ok, "{}", sealed.stderr);
    assert_eq!(
        sealed.stderr,
        format!(
            "warning: PIN file {}: readable by group or others (mode 0644): a PIN file must be \
             private to its owner\n",
            pin_file.display()
        )
    );
    let verified = vault.verify(&[&archive], false);
    assert!(verified.ok, "{}", verified.stderr);
    assert!(
        verified.stderr.starts_with("warning: PIN file "),
        "{}",
        verified.stderr
    );
}

impl Vault {
    /// Starts custody with a standard input that stays open until the test writes or drops it.
    fn spawn(&self, args: &[&str]) -> std::process::Child {
        common::spawn_custody(&self.token.softhsm_conf(), args)
    }

    fn open_into(&self, out_dir: &Path, extra: &[&str]) -> Run {
        let uri = self.uri();
        let out_dir = out_dir.display().to_string();
        let mut args = vec!["open", "--hsm", &uri, "--out-dir", &out_dir];
        args.extend(extra);
        self.custody(&args, None)
    }
}

#[test]
fn ctrl_c_during_a_large_seal_removes_the_temporary_file() {
    let vault = Vault::new();
    let out_dir = vault.path("sealed");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("stream.custody");
    let (manifest, uri, out_text) = (vault.manifest(), vault.uri(), out.display().to_string());
    let mut child = vault.spawn(&[
        "seal",
        "--manifest",
        &manifest,
        "--hsm",
        &uri,
        "-",
        "-o",
        &out_text,
    ]);
    // Several chunks go in; the input stays open, so the seal is still running.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&data(5 * 1024 * 1024)).unwrap();
    wait_for_temporary(&out_dir, ".custody-seal-");
    signal(&child, rustix::process::Signal::INT);
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(output.status.code(), Some(130));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "interrupted: nothing was written\n"
    );
    assert!(names_in(&out_dir).is_empty(), "{:?}", names_in(&out_dir));
    // A closed terminal (SIGHUP) likewise, with 128 + 1.
    let mut child = vault.spawn(&[
        "seal",
        "--manifest",
        &manifest,
        "--hsm",
        &uri,
        "-",
        "-o",
        &out_text,
    ]);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&data(3 * 1024 * 1024)).unwrap();
    wait_for_temporary(&out_dir, ".custody-seal-");
    signal(&child, rustix::process::Signal::HUP);
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(output.status.code(), Some(129));
    assert!(names_in(&out_dir).is_empty(), "{:?}", names_in(&out_dir));
}

#[test]
fn a_killed_open_leaves_a_temporary_file_the_next_open_removes_with_a_plaintext_warning() {
    let vault = Vault::new();
    let input = vault.file("land.csv", 3 * 1024 * 1024);
    let archive = vault.path("land.csv.custody");
    assert!(vault.seal(&input, &archive).ok);
    let out_dir = vault.path("restored");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("land.csv");
    let uri = vault.uri();
    let out_text = out.display().to_string();
    let bytes = std::fs::read(&archive).unwrap();
    // SIGTERM: the temporary file is removed, the status is 128 + 15.
    let mut child = vault.spawn(&["open", "--hsm", &uri, "-", "-o", &out_text]);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&bytes[..bytes.len() / 2]).unwrap();
    wait_for_temporary(&out_dir, ".custody-open-");
    signal(&child, rustix::process::Signal::TERM);
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(output.status.code(), Some(143));
    assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted: nothing was written"));
    assert!(names_in(&out_dir).is_empty(), "{:?}", names_in(&out_dir));
    // SIGKILL: nothing can clean up, and the plaintext written so far stays behind.
    let mut child = vault.spawn(&["open", "--hsm", &uri, "-", "-o", &out_text]);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&bytes[..bytes.len() / 2]).unwrap();
    wait_for_temporary(&out_dir, ".custody-open-");
    signal(&child, rustix::process::Signal::KILL);
    let _ = child.wait_with_output().unwrap();
    drop(stdin);
    let left = temporaries_in(&out_dir);
    assert_eq!(left.len(), 1, "{left:?}");
    // The next open into the directory removes it and says it may have held plaintext.
    let opened = vault.open(&archive, &out);
    assert!(opened.ok, "{}", opened.stderr);
    assert!(
        opened.stderr.contains(&format!(
            "warning: removed {}",
            out_dir.join(&left[0]).display()
        )) && opened
            .stderr
            .contains("it may have held decrypted plaintext"),
        "{}",
        opened.stderr
    );
    assert_eq!(names_in(&out_dir), ["land.csv"]);
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&input).unwrap());
}

#[test]
fn bulk_restore_uses_the_recorded_names_of_named_archives_and_a_tree() {
    let vault = Vault::new();
    let tree = vault.path("arch");
    std::fs::create_dir_all(tree.join("2026")).unwrap();
    let inputs = [
        vault.file("land.csv", 70_000),
        vault.file("people.csv", 5_000),
        vault.file("roads.csv", 1_500_000),
    ];
    assert!(vault.seal(&inputs[0], &vault.path("land.csv.custody")).ok);
    assert!(vault.seal(&inputs[1], &tree.join("people.csv.custody")).ok);
    // Renamed after sealing: restored under its recorded name, with a warning.
    assert!(
        vault
            .seal(&inputs[2], &tree.join("2026/highways.csv.custody"))
            .ok
    );
    std::os::unix::fs::symlink(&tree, vault.path("arch/loop")).unwrap();
    let out_dir = vault.path("restored");
    std::fs::create_dir(&out_dir).unwrap();
    let land = vault.path("land.csv.custody").display().to_string();
    let tree_text = tree.display().to_string();
    let run = vault.open_into(&out_dir, &[&land, "--archives", &tree_text]);
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(names_in(&out_dir), ["land.csv", "people.csv", "roads.csv"]);
    for input in &inputs {
        let restored = out_dir.join(input.file_name().unwrap());
        assert_eq!(
            std::fs::read(restored).unwrap(),
            std::fs::read(input).unwrap()
        );
    }
    assert!(
        run.stdout.contains("restored 3 archives into")
            && run
                .stdout
                .contains("recorded name roads.csv, size 1500000 bytes, sealed 20"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("highways.csv.custody was sealed as roads.csv")
            && run.stderr.contains("skipped")
            && run.stderr.contains("symbolic link (not followed)"),
        "{}",
        run.stderr
    );
    // Again: every name exists, so nothing is opened; --force replaces them, as JSON.
    let again = vault.open_into(&out_dir, &[&land, "--archives", &tree_text]);
    assert!(!again.ok);
    assert!(
        again.stderr.contains("land.csv already exists"),
        "{}",
        again.stderr
    );
    let forced = vault.open_into(
        &out_dir,
        &[&land, "--archives", &tree_text, "--force", "--json"],
    );
    assert!(forced.ok, "{}", forced.stderr);
    let json: serde_json::Value = serde_json::from_str(&forced.stdout).unwrap();
    assert_eq!(json["restored"].as_array().unwrap().len(), 3);
    assert_eq!(json["payload_bytes"], 70_000 + 5_000 + 1_500_000);
    // Named archives first, then each tree in path order: arch/2026/… before arch/people….
    assert_eq!(json["restored"][1]["name"], "roads.csv");
}

#[test]
fn bulk_restore_refuses_a_recorded_name_that_is_not_a_plain_file_name() {
    let vault = Vault::new();
    // A hidden file's name is a valid recorded name, but restoring under it is refused.
    let dotfile = vault.file(".bashrc", 100);
    let profile = vault.path("profile.custody");
    assert!(vault.seal(&dotfile, &profile).ok);
    let out_dir = vault.path("restored");
    std::fs::create_dir(&out_dir).unwrap();
    let run = vault.open_into(&out_dir, &[&profile.display().to_string()]);
    assert!(!run.ok);
    assert!(
        run.stderr
            .contains("the recorded name \".bashrc\" is refused"),
        "{}",
        run.stderr
    );
    // `../x` is refused by the library's sealer, so it is patched into a header: refused too.
    let escape = custody::archive::Metadata {
        name: Some("../x".into()),
        ..custody::archive::Metadata::default()
    };
    assert!(escape.validate().is_err());
    let innocent = vault.file("..-x", 100);
    let hostile = vault.path("x.custody");
    assert!(vault.seal(&innocent, &hostile).ok);
    let mut bytes = std::fs::read(&hostile).unwrap();
    let at = bytes.windows(4).position(|w| w == b"..-x").unwrap();
    bytes[at + 2] = b'/';
    std::fs::write(&hostile, bytes).unwrap();
    let run = vault.open_into(&out_dir, &[&hostile.display().to_string()]);
    assert!(!run.ok);
    assert!(run.stderr.contains("x.custody"), "{}", run.stderr);
    assert!(names_in(&out_dir).is_empty());
    assert!(!vault.path("x").exists());
}
