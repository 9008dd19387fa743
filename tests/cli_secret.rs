//! `custody secret new` on a real SoftHSM token: the secret is sealed as an archive of the domain,
//! recorded in the transcript by name and digest, released only by `open -o -` (token) and
//! `recover --no-hsm -o -` (quorum, no token), never shown or written in clear; a secret is never
//! overwritten, and a key change records the secret it replaces.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod room;

use std::path::{Path, PathBuf};
use std::process::Command;

use room::{Room, Run};

fn secret_new(room: &Room, out: &Path, extra: &[&str]) -> Run {
    let manifest = room.dir().join("manifest.json");
    let uri = room.home.uri.to_string();
    let mut args = vec![
        "secret",
        "new",
        "--manifest",
        manifest.to_str().unwrap(),
        "--hsm",
        &uri,
    ];
    args.extend([
        "--purpose",
        "restic repository of the population registry",
        "--out",
        out.to_str().unwrap(),
    ]);
    args.extend(extra);
    room.custody(&args)
}

/// The secret as `custody open --hsm URI ARCHIVE -o -` releases it (stdout kept as bytes).
fn open_secret(room: &Room, archive: &Path) -> Vec<u8> {
    let output = Command::new(env!("CARGO_BIN_EXE_custody"))
        .env("SOFTHSM2_CONF", room.home.softhsm_conf())
        .args(["open", "--hsm", &room.home.uri.to_string()])
        .arg(archive)
        .args(["-o", "-"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    output.stdout
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if std::fs::read(&path)
            .unwrap_or_default()
            .windows(needle.len())
            .any(|w| w == needle)
        {
            found.push(path);
        }
    }
    found
}

#[test]
fn a_secret_is_sealed_recorded_and_released_only_by_open_or_recover() {
    let room = Room::new();
    room.genesis();
    let archive = room.hsm.dir().join("population-restic.custody");
    let run = secret_new(&room, &archive, &[]);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!(
            "secret population-restic sealed -> {} (ee-registries epoch 1); it was never shown",
            archive.display()
        )),
        "{}",
        run.stdout
    );

    let secret = open_secret(&room, &archive);
    assert_eq!(secret.len(), 64);
    assert!(secret
        .iter()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    // Nowhere in clear: not in what secret new printed, not in any file of the room.
    assert!(!run.stdout.as_bytes().windows(64).any(|w| w == secret));
    assert!(!run.stderr.as_bytes().windows(64).any(|w| w == secret));
    assert_eq!(
        files_containing(room.hsm.dir(), &secret),
        Vec::<PathBuf>::new()
    );

    let transcript = std::fs::read_to_string(room.dir().join("transcript.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(transcript.lines().last().unwrap()).unwrap();
    assert_eq!(line["step"], "secret.created");
    assert_eq!(line["detail"]["name"], "population-restic");
    assert_eq!(
        line["detail"]["purpose"],
        "restic repository of the population registry"
    );
    let audit = room.custody(&["audit", room.dir().to_str().unwrap()]);
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);

    // A quorum releases the same secret with no token at all.
    let mut recover = Command::new(env!("CARGO_BIN_EXE_custody"));
    recover
        .env("SOFTHSM2_CONF", room.hsm.dir().join("absent.conf"))
        .args(["recover", "--manifest"])
        .arg(room.dir().join("manifest.json"))
        .arg("--passphrases")
        .arg(&room.pdir)
        .arg("--no-hsm");
    for id in ["cio", "ria", "justice"] {
        recover.arg(room.share(id));
    }
    let output = recover
        .arg("--archive")
        .arg(&archive)
        .args(["-o", "-"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(output.stdout, secret);
}

#[test]
fn a_secret_is_never_overwritten_and_a_key_change_names_the_one_it_replaces() {
    let room = Room::new();
    room.genesis();
    let first = room.hsm.dir().join("population-restic.custody");
    assert!(secret_new(&room, &first, &[]).ok);
    let before = std::fs::read(&first).unwrap();

    let again = secret_new(&room, &first, &[]);
    assert_eq!(again.code, Some(1), "{}{}", again.stdout, again.stderr);
    assert!(
        again
            .stderr
            .contains("already exists: a secret is never overwritten"),
        "{}",
        again.stderr
    );
    assert_eq!(std::fs::read(&first).unwrap(), before);

    let second = room.hsm.dir().join("population-restic-2.custody");
    let run = secret_new(
        &room,
        &second,
        &["--replaces", first.to_str().unwrap(), "--json"],
    );
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let old = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&before));
    assert_eq!(report["replaces_sha256"], old.as_str());
    assert_ne!(open_secret(&room, &first), open_secret(&room, &second));
    let transcript = std::fs::read_to_string(room.dir().join("transcript.jsonl")).unwrap();
    assert!(
        transcript.contains(&format!(r#""replaces_sha256":"{old}""#)),
        "{transcript}"
    );

    // Only a secret of this domain can be replaced.
    let canary = room.dir().join("canary.custody");
    let third = room.hsm.dir().join("third.custody");
    let run = secret_new(&room, &third, &["--replaces", canary.to_str().unwrap()]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("not a secret of domain ee-registries"),
        "{}",
        run.stderr
    );
    assert!(!third.exists());
}
