//! Every ceremony shows what it trusts before anyone types: unlock, drill, rotate and reshare
//! print the manifest they act on and refuse any manifest but the one `--expect-manifest` names,
//! before a passphrase or PIN is asked or anything is written; they and `share reseal` refuse a
//! deleted transcript unless it is started anew. Through the `custody` binary on real SoftHSM
//! tokens.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod room;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use custody::domain::Manifest;
use custody::readout::{hex_groups, pgp_words};
use room::{Room, Run};

use common::write_private;

const OTHER: &str = "0000000000000000000000000000000000000000000000000000000000000001";

/// Every file under `dir` with its bytes: the room's tokens, domain directory and PDIR.
fn everything(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn digest(room: &Room) -> custody::domain::ManifestDigest {
    Manifest::load(&room.dir().join("manifest.json"))
        .unwrap()
        .digest()
}

/// The ceremony's arguments with `--expect-manifest DIGEST` and the shares of cio, ria, justice.
fn ceremony(room: &Room, pdir: &Path, verb: &str, expect: &str) -> Vec<String> {
    let manifest = room.dir().join("manifest.json").display().to_string();
    let mut args: Vec<String> = vec![verb.into(), "--manifest".into(), manifest];
    match verb {
        "unlock" => args.extend(["--hsm".into(), room.embassy.uri.to_string()]),
        "rotate" => {
            let archives = room.hsm.dir().join("archives");
            std::fs::create_dir_all(&archives).unwrap();
            args.extend([
                "--hsm".into(),
                room.home.uri.to_string(),
                "--archives".into(),
                archives.display().to_string(),
            ]);
            args.extend(common::TINY_KDF.map(str::to_owned));
        }
        "reshare" => {
            args.extend([
                "--officials".into(),
                room.officials.display().to_string(),
                "--threshold".into(),
                "2".into(),
            ]);
            args.extend(common::TINY_KDF.map(str::to_owned));
        }
        _ => {}
    }
    args.extend([
        "--passphrases".into(),
        pdir.display().to_string(),
        "--expect-manifest".into(),
        expect.into(),
    ]);
    args.extend(["cio", "ria", "justice"].map(|id| room.share(id)));
    args
}

fn run(room: &Room, args: &[String]) -> Run {
    room.custody(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn another_manifest_is_refused_before_anything_is_asked_or_written() {
    let room = Room::new();
    room.genesis();
    // An empty PDIR: had any passphrase been read, the refusal would name the missing file.
    let empty = room.hsm.dir().join("empty-pdir");
    std::fs::create_dir(&empty).unwrap();
    let actual = digest(&room).to_string();
    for verb in ["unlock", "drill", "rotate", "reshare"] {
        let before = everything(room.hsm.dir());
        let refused = run(&room, &ceremony(&room, &empty, verb, OTHER));
        assert!(!refused.ok, "{verb}: {}", refused.stdout);
        assert!(
            refused.stderr.contains(&format!(
                "manifest digest {actual} is not the expected {OTHER} (--expect-manifest); \
                 nothing was asked or written"
            )),
            "{verb}: {}",
            refused.stderr
        );
        assert!(!refused.stdout.contains("come to the keyboard"), "{verb}");
        assert_eq!(everything(room.hsm.dir()), before, "{verb} changed a file");
    }
}

#[test]
fn the_expected_manifest_in_hex_or_words_proceeds_and_is_shown_first() {
    let room = Room::new();
    room.genesis();
    let genesis = digest(&room);
    let grouped = hex_groups(genesis.as_bytes());
    let unlocked = run(&room, &ceremony(&room, &room.pdir, "unlock", &grouped));
    assert!(unlocked.ok, "{}{}", unlocked.stdout, unlocked.stderr);
    // The unlock enrolled the embassy's token: a new manifest is in force, and the unlock gave
    // its digest to write on the sheet, which the drill then expects.
    let enrolled = digest(&room);
    assert_ne!(enrolled, genesis);
    assert!(
        unlocked.stdout.contains(&hex_groups(enrolled.as_bytes())),
        "{}",
        unlocked.stdout
    );
    let words = pgp_words(enrolled.as_bytes());
    let drilled = run(
        &room,
        &ceremony(&room, &room.pdir, "drill", &words.to_uppercase()),
    );
    assert!(drilled.ok, "{}{}", drilled.stdout, drilled.stderr);
    for (shown, expected) in [(&unlocked.stdout, genesis), (&drilled.stdout, enrolled)] {
        let announced =
            shown.find("This ceremony acts on the manifest of domain ee-registries, epoch 1");
        let first_share = shown.find("share of").unwrap();
        assert!(announced.is_some_and(|at| at < first_share), "{shown}");
        assert!(
            shown.contains(&hex_groups(expected.as_bytes()))
                && shown.contains(&pgp_words(expected.as_bytes())),
            "{shown}"
        );
        assert!(
            shown.contains("It is the manifest given with --expect-manifest, its chain verified."),
            "{shown}"
        );
    }
}

/// `--expect-domain` refuses a domain of another fingerprint before anything is asked or
/// written, and the genuine fingerprint, in hex or PGP words, lets the ceremony proceed with the
/// fingerprint shown first.
#[test]
fn another_domain_is_refused_by_its_fingerprint_before_anything_is_asked_or_written() {
    let room = Room::new();
    room.genesis();
    let manifest = Manifest::load(&room.dir().join("manifest.json")).unwrap();
    let fingerprint = manifest.domain_fingerprint();
    let empty = room.hsm.dir().join("empty-pdir");
    std::fs::create_dir(&empty).unwrap();
    let with_domain = |pdir: &Path, verb: &str, expect: &str| {
        let mut args = ceremony(&room, pdir, verb, &manifest.digest().to_string());
        let at = args.iter().position(|a| a == "--expect-manifest").unwrap();
        args.splice(at..at + 2, ["--expect-domain".into(), expect.to_owned()]);
        args
    };
    for verb in ["unlock", "drill", "rotate", "reshare"] {
        let before = everything(room.hsm.dir());
        let refused = run(&room, &with_domain(&empty, verb, OTHER));
        assert!(!refused.ok, "{verb}: {}", refused.stdout);
        assert!(
            refused.stderr.contains(&format!(
                "this is not the expected domain: its fingerprint is {fingerprint}, but {OTHER} \
                 was expected (--expect-domain)"
            )),
            "{verb}: {}",
            refused.stderr
        );
        assert!(!refused.stdout.contains("come to the keyboard"), "{verb}");
        assert_eq!(everything(room.hsm.dir()), before, "{verb} changed a file");
    }
    let words = pgp_words(fingerprint.as_bytes());
    let drilled = run(&room, &with_domain(&room.pdir, "drill", &words));
    assert!(drilled.ok, "{}{}", drilled.stdout, drilled.stderr);
    let shown = &drilled.stdout;
    let announced = shown.find(&hex_groups(fingerprint.as_bytes())).unwrap();
    assert!(announced < shown.find("share of").unwrap(), "{shown}");
    assert!(
        shown.contains("The domain is the one given with --expect-domain."),
        "{shown}"
    );
}

#[test]
fn a_rotation_and_a_reshare_name_who_will_receive_shares() {
    let room = Room::new();
    room.genesis();
    let fewer = room.hsm.dir().join("fewer.toml");
    std::fs::write(
        &fewer,
        room::officials_toml(&[("cio", "Government CIO"), ("ria", "Director of RIA")]),
    )
    .unwrap();
    let mut reshare = ceremony(&room, &room.pdir, "reshare", OTHER);
    let at = reshare.iter().position(|a| a == "--officials").unwrap();
    reshare[at + 1] = fewer.display().to_string();
    let refused = run(&room, &reshare);
    assert!(!refused.ok);
    let digest = digest(&room).to_string();
    let expect = reshare.iter().position(|a| a == OTHER).unwrap();
    reshare[expect] = digest.clone();
    let reshared = run(&room, &reshare);
    assert!(reshared.ok, "{}{}", reshared.stdout, reshared.stderr);
    assert!(
        reshared.stdout.contains("new shares for     cio, ria\n"),
        "{}",
        reshared.stdout
    );
    let now = Manifest::load(&room.dir().join("manifest.json"))
        .unwrap()
        .digest();
    let mut rotate = ceremony(&room, &room.pdir, "rotate", &now.to_string());
    rotate.pop(); // justice's share was revoked and moved aside by the reshare
    let rotated = run(&room, &rotate);
    assert!(rotated.ok, "{}{}", rotated.stdout, rotated.stderr);
    assert!(
        rotated.stdout.contains("new shares for     cio, ria\n"),
        "{}",
        rotated.stdout
    );
}

#[test]
fn a_deleted_transcript_is_refused_unless_started_anew_which_the_audit_warns_of() {
    let room = Room::new();
    room.genesis();
    let transcript = room.dir().join("transcript.jsonl");
    std::fs::remove_file(&transcript).unwrap();
    let digest = digest(&room).to_string();
    for verb in ["unlock", "drill", "rotate", "reshare"] {
        let before = everything(room.hsm.dir());
        let refused = run(&room, &ceremony(&room, &room.pdir, verb, &digest));
        assert!(!refused.ok, "{verb}: {}", refused.stdout);
        assert!(
            refused.stderr.contains(&format!(
                "transcript {} is missing: a domain's transcript is never deleted",
                transcript.display()
            )),
            "{verb}: {}",
            refused.stderr
        );
        assert!(refused.stderr.contains("--new-transcript"), "{verb}");
        assert_eq!(everything(room.hsm.dir()), before, "{verb} changed a file");
    }
    let mut anew = ceremony(&room, &room.pdir, "unlock", &digest);
    anew.insert(1, "--new-transcript".into());
    let unlocked = run(&room, &anew);
    assert!(unlocked.ok, "{}{}", unlocked.stdout, unlocked.stderr);
    let first = std::fs::read_to_string(&transcript).unwrap();
    assert!(
        first.starts_with("{\"seq\":1,")
            && first.contains("\"step\":\"unlock.transcript-started-anew\""),
        "{first}"
    );
    let audit = room.custody(&["audit", room.dir().to_str().unwrap()]);
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);
    assert!(
        audit
            .stdout
            .contains("WARNING: line 1: the transcript was started anew (--new-transcript)"),
        "{}",
        audit.stdout
    );
}

#[test]
fn a_reseal_refuses_a_deleted_transcript_unless_started_anew_which_the_audit_warns_of() {
    let room = Room::new();
    room.genesis();
    let transcript = room.dir().join("transcript.jsonl");
    std::fs::remove_file(&transcript).unwrap();
    let manifest = room.dir().join("manifest.json");
    let share = room.share("cio");
    let old_digest = digest(&room);
    let reseal = |current: &Path, new: &Path, new_transcript: bool| {
        let mut args = vec![
            "share".to_owned(),
            "reseal".into(),
            "--manifest".into(),
            manifest.display().to_string(),
            share.clone(),
            "--passphrase-file".into(),
            current.display().to_string(),
            "--new-passphrase-file".into(),
            new.display().to_string(),
        ];
        if new_transcript {
            args.push("--new-transcript".into());
        }
        run(&room, &args)
    };
    let current = room.pdir.join("cio.pass");
    let new = room.hsm.dir().join("new.pass");
    write_private(&new, "a brand new passphrase for the CIO\n");
    let before = everything(room.hsm.dir());

    // Passphrase files that do not exist: had either been read, the refusal would name it.
    let nowhere = room.hsm.dir().join("nowhere");
    let refused = reseal(&nowhere.join("old.pass"), &nowhere.join("new.pass"), false);
    assert!(!refused.ok, "{}", refused.stdout);
    assert!(
        refused.stderr.contains(&format!(
            "error: transcript {} is missing: a domain's transcript is never deleted\n",
            transcript.display()
        )),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("--new-transcript"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("passphrase"), "{}", refused.stderr);
    assert_eq!(
        everything(room.hsm.dir()),
        before,
        "the refusal changed a file"
    );
    assert!(!transcript.exists());

    // Started anew only when the reseal is recorded: a wrong passphrase leaves nothing behind.
    let wrong = room.pdir.join("ria.pass");
    let refused = reseal(&wrong, &new, true);
    assert!(!refused.ok, "{}", refused.stdout);
    assert!(
        refused
            .stderr
            .contains("the passphrase does not open this share file"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        everything(room.hsm.dir()),
        before,
        "the refusal changed a file"
    );
    assert!(!transcript.exists());

    let resealed = reseal(&current, &new, true);
    assert!(resealed.ok, "{}{}", resealed.stdout, resealed.stderr);
    assert!(resealed.stderr.is_empty(), "{}", resealed.stderr);
    let share_before = &before[&PathBuf::from(&share)];
    assert_ne!(&std::fs::read(&share).unwrap(), share_before);
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&transcript)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let steps: Vec<&str> = lines.iter().map(|l| l["step"].as_str().unwrap()).collect();
    assert_eq!(
        steps,
        [
            "reseal.transcript-started-anew",
            "reseal.begin",
            "reseal.close"
        ]
    );
    assert_eq!(
        lines[0]["outputs"]["manifest.json"],
        old_digest.to_string(),
        "the new transcript starts from the manifest the reseal acted on"
    );
    assert_eq!(
        lines[2]["outputs"]["manifest.json"],
        digest(&room).to_string()
    );
    let audit = room.custody(&["audit", room.dir().to_str().unwrap()]);
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);
    assert!(
        audit
            .stdout
            .contains("WARNING: line 1: the transcript was started anew (--new-transcript)"),
        "{}",
        audit.stdout
    );
}
