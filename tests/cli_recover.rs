//! `custody recover --no-hsm`: a domain made and archives sealed on real SoftHSM tokens (the
//! ceremony room), then recovered with no token at all — the child process sees no SoftHSM
//! configuration. The quorum's refusals, the transcript and the audit after it, and the software
//! key wrap against the token's.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod room;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use custody::archive::{read_header, KeyWrap, SoftwareKey};
use custody::primitives::secret::DomainKey;
use room::{Room, Run};

/// A domain of 3 of 5 officials and a nested tree of archives sealed at its home token.
struct Sealed {
    room: Room,
    tree: PathBuf,
    /// Each archive's recorded name and the bytes sealed.
    files: Vec<(String, Vec<u8>)>,
}

impl Sealed {
    fn new() -> Self {
        let room = Room::new();
        room.genesis();
        let tree = room.hsm.dir().join("archives");
        let plain = room.hsm.dir().join("plain");
        std::fs::create_dir_all(tree.join("2026/land")).unwrap();
        std::fs::create_dir_all(&plain).unwrap();
        let mut files = Vec::new();
        for (i, (name, sub)) in [
            ("land.csv", "2026/land"),
            ("people.db", "2026"),
            ("notes.txt", ""),
        ]
        .into_iter()
        .enumerate()
        {
            let bytes: Vec<u8> = (0..(70_000 * (i + 1)))
                .map(|n| ((n * 31 + i) % 251).to_le_bytes()[0])
                .collect();
            let input = plain.join(name);
            std::fs::write(&input, &bytes).unwrap();
            let out = tree.join(sub).join(format!("{name}.custody"));
            let run = room.custody(&[
                "seal",
                "--manifest",
                room.dir().join("manifest.json").to_str().unwrap(),
                "--hsm",
                &room.home.uri.to_string(),
                input.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ]);
            assert!(run.ok, "seal failed: {}{}", run.stdout, run.stderr);
            files.push((name.to_owned(), bytes));
        }
        Self { room, tree, files }
    }

    fn manifest(&self) -> PathBuf {
        self.room.dir().join("manifest.json")
    }

    /// `custody recover` with `args`, in a process that sees no SoftHSM configuration.
    fn recover(&self, args: &[String]) -> Run {
        Run::from(self.recover_raw(args))
    }

    /// The same, its standard output kept as bytes.
    fn recover_raw(&self, args: &[String]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_custody"))
            .env("SOFTHSM2_CONF", self.room.hsm.dir().join("absent.conf"))
            .arg("recover")
            .args(args)
            .output()
            .unwrap()
    }

    /// The arguments of a recovery of the one archive `archive` into `out` from `shares`.
    fn args_one(&self, shares: &[String], archive: &Path, out: &str) -> Vec<String> {
        let mut args = vec![
            "--manifest".to_owned(),
            self.manifest().display().to_string(),
            "--passphrases".into(),
            self.room.pdir.display().to_string(),
            "--no-hsm".into(),
        ];
        args.extend(shares.iter().cloned());
        args.extend([
            "--archive".into(),
            archive.display().to_string(),
            "-o".into(),
            out.to_owned(),
        ]);
        args
    }

    /// The arguments of a recovery of the tree into `out_dir` from `shares`.
    fn args(&self, no_hsm: bool, shares: &[String], out_dir: &Path) -> Vec<String> {
        let mut args = vec![
            "--manifest".to_owned(),
            self.manifest().display().to_string(),
            "--passphrases".into(),
            self.room.pdir.display().to_string(),
        ];
        if no_hsm {
            args.push("--no-hsm".into());
        }
        args.extend(shares.iter().cloned());
        args.extend([
            "--archives".into(),
            self.tree.display().to_string(),
            "--out-dir".into(),
            out_dir.display().to_string(),
        ]);
        args
    }

    fn out_dir(&self) -> PathBuf {
        let dir = self.room.hsm.dir().join("restored");
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn transcript(&self) -> String {
        std::fs::read_to_string(self.room.dir().join("transcript.jsonl")).unwrap()
    }
}

#[test]
fn a_nested_tree_sealed_at_a_token_is_recovered_without_one_and_audited() {
    let sealed = Sealed::new();
    let out_dir = sealed.out_dir();
    let shares = ["cio", "ria", "justice"].map(|id| sealed.room.share(id));
    let run = sealed.recover(&sealed.args(true, &shares, &out_dir));
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    for (name, bytes) in &sealed.files {
        assert_eq!(&std::fs::read(out_dir.join(name)).unwrap(), bytes, "{name}");
    }
    let notice = "This recovery rebuilds the domain key in this computer's memory, not in an HSM: use it only when no HSM is available; the key is wiped when custody exits.";
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(said.contains(notice), "{said}");
    assert!(
        said.find(notice).unwrap() < said.find("share of cio").unwrap(),
        "the notice comes before any share is opened: {said}"
    );
    assert!(
        run.stdout.contains("restored 3 archives into"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Recovered without an HSM: 3 archives of ee-registries (epoch 1) restored"),
        "{}",
        run.stdout
    );
    let transcript = sealed.transcript();
    for step in [
        r#""step":"recover.begin""#,
        r#""step":"recover.share-accepted""#,
        r#""step":"recover.signed""#,
        r#""restored":"3""#,
    ] {
        assert!(transcript.contains(step), "{step} in\n{transcript}");
    }
    let audit = sealed
        .room
        .custody(&["audit", sealed.room.dir().to_str().unwrap()]);
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);
}

#[test]
fn recover_without_no_hsm_refuses_before_any_passphrase() {
    let sealed = Sealed::new();
    let out_dir = sealed.out_dir();
    let before = sealed.transcript();
    let shares = ["cio", "ria", "justice"].map(|id| sealed.room.share(id));
    let run = sealed.recover(&sealed.args(false, &shares, &out_dir));
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("--no-hsm"), "{}", run.stderr);
    assert!(!run.stdout.contains("passphrase"), "{}", run.stdout);
    assert!(!run.stdout.contains("manifest"), "{}", run.stdout);
    assert_eq!(sealed.transcript(), before);
    assert!(common::names_in(&out_dir).is_empty());
}

#[test]
fn a_damaged_share_is_named_and_set_aside() {
    let sealed = Sealed::new();
    let out_dir = sealed.out_dir();
    let damaged = sealed.room.hsm.dir().join("justice-damaged.share");
    let mut bytes = std::fs::read(sealed.room.share("justice")).unwrap();
    bytes[120] ^= 0x01;
    std::fs::write(&damaged, bytes).unwrap();
    let shares = [
        damaged.display().to_string(),
        sealed.room.share("cio"),
        sealed.room.share("ria"),
        sealed.room.share("justice"),
    ];
    let run = sealed.recover(&sealed.args(true, &shares, &out_dir));
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("REFUSED: share of justice"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("damaged"), "{}", run.stdout);
    assert!(run.stdout.contains("Refused: "), "{}", run.stdout);
    assert!(sealed
        .transcript()
        .contains(r#""step":"recover.share-refused""#));
    assert_eq!(common::names_in(&out_dir).len(), 3);
    let audit = sealed
        .room
        .custody(&["audit", sealed.room.dir().to_str().unwrap()]);
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);
}

#[test]
fn the_software_wrap_is_the_tokens_wrap() {
    let sealed = Sealed::new();
    let manifest = custody::domain::Manifest::load(&sealed.manifest()).unwrap();
    let shares: Vec<PathBuf> = ["cio", "ria", "justice"]
        .iter()
        .map(|id| PathBuf::from(sealed.room.share(id)))
        .collect();
    let key = DomainKey::from_bytes(&mut common::rebuild_key(
        &manifest,
        &shares,
        &sealed.room.pdir,
    ));
    let software = SoftwareKey::prove(&key, manifest.key_ref(), manifest.wrap_check()).unwrap();
    let archive = sealed.tree.join("notes.txt.custody");
    let header = read_header(std::fs::File::open(archive).unwrap()).unwrap();
    // The token generated and wrapped this data key; software unwraps it and wraps it again.
    let data_key = software.unwrap(&header.wrapped_key).unwrap();
    assert_eq!(software.wrap(&data_key).unwrap().0, header.wrapped_key.0);
}

#[test]
fn one_archive_is_recovered_to_a_file_or_to_standard_output() {
    let sealed = Sealed::new();
    let shares = ["cio", "ria", "justice"].map(|id| sealed.room.share(id));
    let archive = sealed.tree.join("2026/land/land.csv.custody");
    let (_, land) = &sealed.files[0];

    let out = sealed.room.hsm.dir().join("land-recovered.csv");
    let run = sealed.recover(&sealed.args_one(&shares, &archive, out.to_str().unwrap()));
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert_eq!(&std::fs::read(&out).unwrap(), land);
    assert!(run.stdout.contains("opened "), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("Recovered without an HSM: 1 archive of ee-registries (epoch 1) restored"),
        "{}",
        run.stdout
    );

    // To standard output: the data alone; the closing words go to standard error.
    let output = sealed.recover_raw(&sealed.args_one(&shares, &archive, "-"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(&output.stdout, land);
    assert!(
        stderr.contains("Recovered without an HSM: 1 archive of ee-registries"),
        "{stderr}"
    );

    // An existing output is refused before anyone types.
    let before = sealed.transcript();
    let run = sealed.recover(&sealed.args_one(&shares, &archive, out.to_str().unwrap()));
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert!(!run.stdout.contains("share of"), "{}", run.stdout);
    assert_eq!(sealed.transcript(), before);
}

#[test]
fn an_archive_of_another_key_is_refused_before_any_passphrase() {
    let sealed = Sealed::new();
    let shares = ["cio", "ria", "justice"].map(|id| sealed.room.share(id));
    let other = sealed.room.hsm.dir().join("other-epoch.custody");
    let mut bytes = std::fs::read(sealed.tree.join("notes.txt.custody")).unwrap();
    // The epoch field (docs/FORMAT.md 7.2: offset 18 + D, D = 13 for ee-registries) says 7.
    bytes[18 + 13..18 + 13 + 4].copy_from_slice(&7u32.to_be_bytes());
    std::fs::write(&other, bytes).unwrap();
    let out = sealed.room.hsm.dir().join("notes.txt");
    let before = sealed.transcript();
    let run = sealed.recover(&sealed.args_one(&shares, &other, out.to_str().unwrap()));
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(
            "other-epoch.custody: sealed under a key of epoch 7, but the manifest's key has epoch 1"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("share of"), "{}", run.stdout);
    assert_eq!(sealed.transcript(), before);
    assert!(!out.exists());
}

#[test]
fn json_reports_the_recovery_as_one_object() {
    let sealed = Sealed::new();
    let out_dir = sealed.out_dir();
    let shares = ["cio", "ria", "justice"].map(|id| sealed.room.share(id));
    let mut args = sealed.args(true, &shares, &out_dir);
    args.push("--json".into());
    let run = sealed.recover(&args);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["domain"], "ee-registries");
    assert_eq!(report["epoch"], 1);
    assert_eq!(report["accepted"].as_array().unwrap().len(), 3);
    assert_eq!(report["restored"]["restored"].as_array().unwrap().len(), 3);
    assert_eq!(
        report["transcript_closing_words"]
            .as_str()
            .unwrap()
            .split(' ')
            .count(),
        32
    );
}
