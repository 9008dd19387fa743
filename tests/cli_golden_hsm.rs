//! Golden tests of the `custody` commands that need real SoftHSM tokens and a fresh domain:
//! genesis, audit, hsm probe, hsm keys, hsm destroy, share reseal, unlock, drill, seal, open,
//! verify, rotate, reshare and demo, each in a ceremony room (`tests/room`) or SoftHSM configuration of its own. Each run's exit code, stdout and stderr are
//! pinned exactly in one file under `tests/snapshots/`; only values that differ from run to run
//! are redacted (the room's temporary directory, the SoftHSM module path, slots and serials,
//! digests, ids, key check values and their words, times). Refresh with
//! `SNAPSHOTS=overwrite cargo test --test cli_golden_hsm` and review the diff (tests/README.md).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod room;

use std::path::{Path, PathBuf};

use room::{Room, Run};
use snapbox::{Assert, Data, Redactions};

/// What varies from run to run, and only that.
fn redactions(dir: &Path) -> Redactions {
    let mut redactions = Redactions::new();
    let dir = dir.display().to_string();
    let patterns: [(&'static str, &str); 12] = [
        // The temporary directory `demo` makes for its throwaway tokens and files.
        (
            "[THROWAWAY]",
            r"(?<redacted>/\S*/custody-throwaway-[A-Za-z0-9]+)",
        ),
        // Where the distribution installs SoftHSM (a path or its symlink).
        ("[MODULE]", r"(?<redacted>/\S*libsofthsm2\.so)"),
        // A digest read aloud: sixteen groups of four hex digits, then its 32 words.
        ("[DIGEST]", r"(?<redacted>[0-9a-f]{4}( [0-9a-f]{4}){15})"),
        ("[WORDS]", r"(?<redacted>\b[a-z]+( [a-z]+){31})\s*$"),
        ("[DIGEST_HEX]", r"\b[0-9a-f]{64}\b"),
        ("[ID_HEX]", r"\b[0-9a-f]{32}\b"),
        // A set id's first 8 hex digits, as the audit and history/ name a share set.
        ("[SET]", r"(?:set |shares-e\d+-)(?<redacted>[0-9a-f]{8})\b"),
        (
            "[KCV]",
            r"key check value +(?<redacted>[0-9A-F]{6}( \([a-z]+ [a-z]+ [a-z]+\))?)",
        ),
        ("[SLOT]", r"slot (?<redacted>\d+)"),
        ("[SERIAL]", r"serial (?<redacted>[0-9a-f]{16})"),
        ("[TIME]", r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\b"),
        ("[SECONDS]", r"\b(?<redacted>\d+\.\d+) s\b"),
    ];
    for (placeholder, pattern) in patterns {
        redactions
            .insert(
                placeholder,
                regex::Regex::new(&format!("(?m){pattern}")).unwrap(),
            )
            .unwrap();
    }
    redactions.insert("[ROOM]", dir).unwrap();
    redactions
}

fn snapshot_path(name: &str) -> PathBuf {
    common::repo_root().join(format!("tests/snapshots/{name}.txt"))
}

/// Checks `run` against `tests/snapshots/NAME.txt`: exit code, stdout and stderr, in that order.
fn pin(room: &Room, name: &str, run: &Run) {
    pin_in(room.hsm.dir(), name, run);
}

/// As [`pin`], for a run whose temporary files are under `dir`.
fn pin_in(dir: &Path, name: &str, run: &Run) {
    let path = snapshot_path(name);
    let overwrite =
        std::env::var(snapbox::assert::DEFAULT_ACTION_ENV).is_ok_and(|v| v == "overwrite");
    if overwrite && !path.exists() {
        std::fs::write(&path, "").unwrap();
    }
    let code = run.code.map_or("signal".to_owned(), |c| c.to_string());
    let actual = format!(
        "exit: {code}\n--- stdout\n{}--- stderr\n{}",
        run.stdout, run.stderr
    );
    Assert::new()
        .action_env(snapbox::assert::DEFAULT_ACTION_ENV)
        .redact_with(redactions(dir))
        .eq(actual, Data::read_from(&path, None));
}

fn text(path: &Path) -> String {
    path.display().to_string()
}

/// The room with its domain made, and the manifest's path.
fn room_with_domain() -> (Room, String) {
    let room = Room::new();
    room.genesis();
    let manifest = text(&room.dir().join("manifest.json"));
    (room, manifest)
}

#[test]
fn genesis_and_audit_and_a_second_genesis_into_the_same_directory() {
    let room = Room::new();
    let run = room.genesis_with(&room.officials, "3", &room.dir());
    pin(&room, "genesis", &run);
    pin(
        &room,
        "genesis-audit",
        &room.custody(&["audit", &text(&room.dir())]),
    );
    let again = room.genesis_with(&room.officials, "3", &room.dir());
    pin(&room, "genesis-out-exists", &again);
}

/// A SoftHSM of one token, so that the list of tokens present has one order.
#[test]
fn hsm_probe_of_a_good_token_a_wrong_pin_and_a_missing_token() {
    let hsm = common::OwnSoftHsm::new();
    let token = hsm.token("home");
    let probe = |uri: &str| {
        Run::from(
            std::process::Command::new(env!("CARGO_BIN_EXE_custody"))
                .env("SOFTHSM2_CONF", token.softhsm_conf())
                .args(["hsm", "probe", uri])
                .output()
                .unwrap(),
        )
    };
    pin_in(hsm.dir(), "hsm-probe", &probe(&token.uri.to_string()));
    let wrong = hsm.dir().join("wrong.pin");
    common::write_private(&wrong, "not-the-pin");
    let wrong_uri = token.uri_with(|u| {
        u.pin_source = Some(custody::hsm::PinSource::File(wrong.clone()));
    });
    pin_in(
        hsm.dir(),
        "hsm-probe-wrong-pin",
        &probe(&wrong_uri.to_string()),
    );
    let missing = token.uri_with(|u| u.token = Some("no-such-token".into()));
    pin_in(
        hsm.dir(),
        "hsm-probe-missing-token",
        &probe(&missing.to_string()),
    );
}

#[test]
fn share_reseal_with_a_new_passphrase_and_with_a_weak_one() {
    let (room, manifest) = room_with_domain();
    let old = text(&room.pdir.join("ria.pass"));
    let new = room.hsm.dir().join("ria.new.pass");
    common::write_private(&new, "violet harbor nine quartz meadow\n");
    let reseal = |new: &Path| {
        room.custody(&[
            "share",
            "reseal",
            "--manifest",
            &manifest,
            &room.share("ria"),
            "--passphrase-file",
            &old,
            "--new-passphrase-file",
            &text(new),
        ])
    };
    pin(&room, "share-reseal", &reseal(&new));
    common::write_private(
        &room.pdir.join("ria.pass"),
        "violet harbor nine quartz meadow\n",
    );
    let weak = room.hsm.dir().join("ria.weak.pass");
    common::write_private(&weak, "password1234\n");
    pin(&room, "share-reseal-weak-passphrase", &reseal(&weak));
}

#[test]
fn unlock_naming_a_damaged_share_and_with_too_few_shares() {
    let (room, _) = room_with_domain();
    let damaged = room.hsm.dir().join("justice-damaged.share");
    let mut bytes = std::fs::read(room.share("justice")).unwrap();
    bytes[120] ^= 0x01;
    std::fs::write(&damaged, bytes).unwrap();
    let run = room.unlock(&[
        text(&damaged),
        room.share("cio"),
        room.share("ria"),
        room.share("justice"),
    ]);
    pin(&room, "unlock", &run);
    let spare = room.hsm.token("spare");
    let few = room.unlock_into(&spare, &[room.share("cio"), room.share("ria")]);
    pin(&room, "unlock-too-few-shares", &few);
    // The home token holds the key since genesis: refused before anyone types.
    let quorum = [room.share("cio"), room.share("ria"), room.share("justice")];
    pin(
        &room,
        "unlock-key-already-on-token",
        &room.unlock_into(&room.home, &quorum),
    );
}

/// Scripted mode: a passphrase file that does not open its share is not asked again, and a
/// missing one is named as the passphrase file it is.
#[test]
fn unlock_with_a_wrong_and_a_missing_passphrase_file() {
    let (room, manifest) = room_with_domain();
    let pdir = room.hsm.dir().join("pdir-wrong");
    common::copy_dir(&room.pdir, &pdir);
    common::write_private(&pdir.join("cio.pass"), "amber cio lantern orbit seventy\n");
    std::fs::remove_file(pdir.join("justice.pass")).unwrap();
    let uri = room.embassy.uri.to_string();
    let (cio, justice, ria) = (room.share("cio"), room.share("justice"), room.share("ria"));
    let run = room.custody(&[
        "unlock",
        "--manifest",
        &manifest,
        "--hsm",
        &uri,
        "--passphrases",
        &text(&pdir),
        &cio,
        &justice,
        &ria,
    ]);
    pin(&room, "unlock-wrong-and-missing-passphrase-files", &run);
}

/// A custody key of the domain already on the token is refused once the token is open, before
/// any official is asked for a passphrase.
#[test]
fn genesis_refuses_a_token_holding_a_key_of_the_domain() {
    let room = Room::new();
    common::plant_key(&room.home, "custody:ee-registries:e1");
    let run = room.genesis_with(&room.officials, "3", &room.dir());
    pin(&room, "genesis-key-on-token", &run);
}

#[test]
fn drill_passing_and_failing() {
    let (room, manifest) = room_with_domain();
    let pdir = text(&room.pdir);
    let drill = |shares: &[String]| {
        let mut args = vec!["drill", "--manifest", &manifest, "--passphrases", &pdir];
        args.extend(shares.iter().map(String::as_str));
        room.custody(&args)
    };
    // The closing digest on the genesis sheet: the transcript's last line before the drills.
    let transcript = room.dir().join("transcript.jsonl");
    let genesis_closing = {
        use sha2::Digest;
        let text = std::fs::read_to_string(&transcript).unwrap();
        hex::encode(sha2::Sha256::digest(
            text.lines().last().unwrap().as_bytes(),
        ))
    };
    let three = [room.share("cio"), room.share("ria"), room.share("justice")];
    pin(&room, "drill", &drill(&three));
    pin(&room, "drill-too-few-shares", &drill(&three[..2]));
    let dir = text(&room.dir());
    pin(
        &room,
        "audit-after-drills-expecting-the-genesis-sheet",
        &room.custody(&["audit", &dir, "--expect-closing", &genesis_closing]),
    );
}

#[test]
fn seal_verify_open_and_their_failures() {
    let (room, manifest) = room_with_domain();
    let uri = room.home.uri.to_string();
    let input = room.hsm.dir().join("land.db");
    std::fs::write(&input, vec![0x5a; 70_000]).unwrap();
    let archive = text(&room.hsm.dir().join("land.db.custody"));
    let seal = room.custody(&[
        "seal",
        "--manifest",
        &manifest,
        "--hsm",
        &uri,
        &text(&input),
        "-o",
        &archive,
    ]);
    pin(&room, "seal", &seal);
    pin(
        &room,
        "verify",
        &room.custody(&["verify", "--hsm", &uri, &archive]),
    );
    let out = text(&room.hsm.dir().join("land.restored"));
    pin(
        &room,
        "open",
        &room.custody(&["open", "--hsm", &uri, &archive, "-o", &out]),
    );
    pin(
        &room,
        "open-existing-output",
        &room.custody(&["open", "--hsm", &uri, &archive, "-o", &out]),
    );
    let embassy = room.embassy.uri.to_string();
    let elsewhere = text(&room.hsm.dir().join("land.elsewhere"));
    pin(
        &room,
        "open-token-without-the-key",
        &room.custody(&["open", "--hsm", &embassy, &archive, "-o", &elsewhere]),
    );
    restore_and_its_warnings(&room, &archive);
    let mut bytes = std::fs::read(&archive).unwrap();
    let at = bytes.len() - 100;
    bytes[at] ^= 0x01;
    std::fs::write(&archive, bytes).unwrap();
    pin(
        &room,
        "verify-tampered",
        &room.custody(&["verify", "--hsm", &uri, &archive]),
    );
    let tampered_out = text(&room.hsm.dir().join("land.tampered"));
    pin(
        &room,
        "open-tampered",
        &room.custody(&["open", "--hsm", &uri, &archive, "-o", &tampered_out]),
    );
}

/// Bulk restore, the renamed-archive warning and the removal of a killed run's leftover.
fn restore_and_its_warnings(room: &Room, archive: &str) {
    let uri = room.home.uri.to_string();
    let renamed = text(&room.hsm.dir().join("population.db.custody"));
    std::fs::copy(archive, &renamed).unwrap();
    let restored = room.hsm.dir().join("restored");
    std::fs::create_dir(&restored).unwrap();
    // A temporary file an open killed long ago left in the output directory.
    let leftover = restored.join(".custody-open-Kil1ed.tmp");
    std::fs::write(&leftover, b"plaintext of a killed run").unwrap();
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&leftover)
        .unwrap()
        .set_modified(an_hour_ago)
        .unwrap();
    let population = text(&restored.join("population.db"));
    pin(
        room,
        "open-renamed",
        &room.custody(&["open", "--hsm", &uri, &renamed, "-o", &population]),
    );
    let restored = text(&restored);
    pin(
        room,
        "open-out-dir",
        &room.custody(&["open", "--hsm", &uri, "--out-dir", &restored, archive]),
    );
    pin(
        room,
        "open-out-dir-existing",
        &room.custody(&["open", "--hsm", &uri, "--out-dir", &restored, archive]),
    );
}

/// A key of the next epoch on a token, with no rotation under way, is refused before the quorum
/// is asked for anything.
#[test]
fn rotate_refuses_a_token_holding_a_newer_key_of_the_domain() {
    let (room, manifest) = room_with_domain();
    common::plant_key(&room.home, "custody:ee-registries:e2");
    let (uri, pdir) = (room.home.uri.to_string(), text(&room.pdir));
    let archives = room.hsm.dir().join("archives");
    std::fs::create_dir(&archives).unwrap();
    let archives = text(&archives);
    let mut args = vec![
        "rotate",
        "--manifest",
        &manifest,
        "--hsm",
        &uri,
        "--passphrases",
        &pdir,
        "--archives",
        &archives,
    ];
    args.extend(common::TINY_KDF);
    let shares = [room.share("cio"), room.share("ria"), room.share("justice")];
    args.extend(shares.iter().map(String::as_str));
    pin(&room, "rotate-newer-key-on-token", &room.custody(&args));
}

#[test]
fn rotate_with_a_quorum_and_with_too_few_shares() {
    let (room, manifest) = room_with_domain();
    let uri = room.home.uri.to_string();
    let archives = room.hsm.dir().join("archives");
    std::fs::create_dir(&archives).unwrap();
    let input = room.hsm.dir().join("pensions.csv");
    std::fs::write(&input, "id,amount\n1,100\n").unwrap();
    let sealed = room.custody(&[
        "seal",
        "--manifest",
        &manifest,
        "--hsm",
        &uri,
        &text(&input),
        "-o",
        &text(&archives.join("pensions.csv.custody")),
    ]);
    assert!(sealed.ok, "{}", sealed.stderr);
    let pdir = text(&room.pdir);
    let rotate = |shares: &[String]| {
        let mut args = vec![
            "rotate",
            "--manifest",
            &manifest,
            "--hsm",
            &uri,
            "--passphrases",
            &pdir,
            "--archives",
        ];
        let archives = text(&archives);
        args.push(&archives);
        args.extend(common::TINY_KDF);
        args.extend(shares.iter().map(String::as_str));
        room.custody(&args)
    };
    pin(
        &room,
        "rotate-too-few-shares",
        &rotate(&[room.share("cio"), room.share("ria")]),
    );
    let quorum = [room.share("cio"), room.share("ria"), room.share("justice")];
    pin(&room, "rotate", &rotate(&quorum));
    // A reshare after it, to the same officials; then the audit lists the domain's history and
    // flags what custody does not write to history/.
    let reshared = reshare(&room, &room.officials, "3", &quorum);
    assert!(reshared.ok, "{}{}", reshared.stdout, reshared.stderr);
    std::fs::write(room.dir().join("history/notes.txt"), "not custody's").unwrap();
    pin(
        &room,
        "audit-history",
        &room.custody(&["audit", &text(&room.dir())]),
    );
}

/// `custody reshare` of the room's domain to `officials` (a file), `threshold` of them, with the
/// current officials' `shares`.
fn reshare(room: &Room, officials: &Path, threshold: &str, shares: &[String]) -> Run {
    let (manifest, officials) = (text(&room.dir().join("manifest.json")), text(officials));
    let pdir = text(&room.pdir);
    let mut args = vec![
        "reshare",
        "--manifest",
        &manifest,
        "--officials",
        &officials,
        "--threshold",
        threshold,
        "--passphrases",
        &pdir,
    ];
    args.extend(common::TINY_KDF);
    args.extend(shares.iter().map(String::as_str));
    room.custody(&args)
}

/// Issue 13, finding 3: a domain's keys on a token, every epoch. After a rotation that kept the
/// old key: the list, each refusal of `hsm destroy`, the destruction, and seal refusing a stale
/// copy of the old manifest.
#[test]
fn hsm_keys_and_destroy_and_a_superseded_manifest() {
    let (room, manifest) = room_with_domain();
    let stale = room.hsm.dir().join("stale");
    common::copy_dir(&room.dir(), &stale);
    let stale_manifest = text(&stale.join("manifest.json"));
    room.rotate_keeping_the_old_key();
    let uri = room.home.uri.to_string();
    pin(
        &room,
        "hsm-keys",
        &room.custody(&["hsm", "keys", &uri, "--manifest", &manifest]),
    );
    let destroy = |label: &str, manifest: &str, confirm: Option<&str>| {
        let mut args = vec![
            "hsm",
            "destroy",
            &uri,
            "--key",
            label,
            "--manifest",
            manifest,
        ];
        args.extend(confirm.iter().flat_map(|c| ["--yes-destroy", c]));
        room.custody(&args)
    };
    const E1: &str = "custody:ee-registries:e1";
    const E2: &str = "custody:ee-registries:e2";
    pin(
        &room,
        "hsm-destroy-in-force",
        &destroy(E2, &manifest, Some(E2)),
    );
    pin(
        &room,
        "hsm-destroy-stale-manifest",
        &destroy(E2, &stale_manifest, Some(E2)),
    );
    pin(
        &room,
        "hsm-destroy-wrong-confirmation",
        &destroy(E1, &manifest, Some(E2)),
    );
    pin(
        &room,
        "hsm-destroy-unconfirmed",
        &destroy(E1, &manifest, None),
    );
    let journal = room.dir().join("rotation.journal.json");
    std::fs::write(&journal, "{}").unwrap();
    pin(
        &room,
        "hsm-destroy-during-rotation",
        &destroy(E1, &manifest, Some(E1)),
    );
    std::fs::remove_file(&journal).unwrap();
    pin(&room, "hsm-destroy", &destroy(E1, &manifest, Some(E1)));
    pin(
        &room,
        "hsm-destroy-no-such-key",
        &destroy(E1, &manifest, Some(E1)),
    );
    let input = room.hsm.dir().join("land.db");
    std::fs::write(&input, b"parcels").unwrap();
    let archive = text(&room.hsm.dir().join("land.db.custody"));
    pin(
        &room,
        "seal-superseded-manifest",
        &room.custody(&[
            "seal",
            "--manifest",
            &stale_manifest,
            "--hsm",
            &uri,
            &text(&input),
            "-o",
            &archive,
        ]),
    );
}

/// What `hsm keys` shows of objects custody would not use, and how `hsm destroy` refuses them:
/// keys a PIN holder made with `pkcs11-tool` (a label not of custody's layout, two keys under
/// one label, a key of another domain, a key without custody's protections, a chain record
/// custody would not write), and a token with no custody key.
#[test]
fn hsm_keys_and_destroy_of_objects_custody_did_not_make() {
    let (room, manifest) = room_with_domain();
    let uri = room.home.uri.to_string();
    pin(
        &room,
        "hsm-keys-no-keys",
        &room.custody(&["hsm", "keys", &room.embassy.uri.to_string()]),
    );
    common::plant_key(&room.home, "custody:not-a-layout");
    common::plant_key(&room.home, "custody:ee-registries:e9");
    common::plant_key(&room.home, "custody:ee-registries:e9");
    common::plant_key(&room.home, "custody:ee-other:e1");
    common::plant_key(&room.home, "custody:ee-registries:e8");
    let three_bytes = room.hsm.dir().join("three-bytes");
    std::fs::write(&three_bytes, [1, 2, 3]).unwrap();
    common::plant_data_object(&room.home, "custody:ee-other:chain", &three_bytes);
    pin(
        &room,
        "hsm-keys-objects-custody-did-not-make",
        &room.custody(&["hsm", "keys", &uri, "--manifest", &manifest]),
    );
    let destroy = |label: &str| {
        room.custody(&[
            "hsm",
            "destroy",
            &uri,
            "--key",
            label,
            "--manifest",
            &manifest,
            "--yes-destroy",
            label,
        ])
    };
    pin(
        &room,
        "hsm-destroy-not-custody-layout",
        &destroy("custody:not-a-layout"),
    );
    pin(
        &room,
        "hsm-destroy-two-keys-one-label",
        &destroy("custody:ee-registries:e9"),
    );
    pin(
        &room,
        "hsm-destroy-other-domain",
        &destroy("custody:ee-other:e1"),
    );
    pin(
        &room,
        "hsm-destroy-unsafe-key",
        &destroy("custody:ee-registries:e8"),
    );
}

#[test]
fn reshare_to_new_officials_and_with_a_threshold_that_does_not_fit() {
    let room = Room::new();
    room.genesis();
    let officials = room.hsm.dir().join("new-officials.toml");
    std::fs::write(
        &officials,
        room::officials_toml(&[
            ("cio", "Government CIO"),
            ("ria", "Director of RIA"),
            ("justice", "Minister of Justice"),
        ]),
    )
    .unwrap();
    let reshare =
        |threshold: &str, shares: &[String]| reshare(&room, &officials, threshold, shares);
    let in_shares = || [room.share("cio"), room.share("ria"), room.share("justice")];
    pin(
        &room,
        "reshare-threshold-does-not-fit",
        &reshare("4", &in_shares()),
    );
    pin(&room, "reshare", &reshare("2", &in_shares()));
    // Officials holding their files outside the domain directory: no old file to keep.
    let held = room.hsm.dir().join("held");
    std::fs::create_dir(&held).unwrap();
    let offered = ["cio", "ria", "justice"].map(|id| {
        let file = held.join(format!("{id}.share"));
        std::fs::rename(room.share(id), &file).unwrap();
        text(&file)
    });
    pin(&room, "reshare-nothing-kept", &reshare("2", &offered));
}

/// The demo makes its own throwaway SoftHSM configuration and tokens.
#[test]
fn demo_tells_the_whole_story() {
    common::softhsm_module();
    let dir = tempfile::tempdir().unwrap();
    let run = Run::from(
        std::process::Command::new(env!("CARGO_BIN_EXE_custody"))
            .arg("demo")
            .env_remove("SOFTHSM2_CONF")
            .current_dir(dir.path())
            .output()
            .unwrap(),
    );
    pin_in(dir.path(), "demo", &run);
}

#[test]
fn recover_without_an_hsm_naming_a_damaged_share_and_with_too_few_shares() {
    let (room, manifest) = room_with_domain();
    let input = room.hsm.dir().join("land.db");
    std::fs::write(&input, vec![0x5a; 70_000]).unwrap();
    let tree = room.hsm.dir().join("archives");
    std::fs::create_dir(&tree).unwrap();
    let sealed = room.custody(&[
        "seal",
        "--manifest",
        &manifest,
        "--hsm",
        &room.home.uri.to_string(),
        &text(&input),
        "-o",
        &text(&tree.join("land.db.custody")),
    ]);
    assert!(sealed.ok, "{}", sealed.stderr);
    let damaged = room.hsm.dir().join("justice-damaged.share");
    let mut bytes = std::fs::read(room.share("justice")).unwrap();
    bytes[120] ^= 0x01;
    std::fs::write(&damaged, bytes).unwrap();
    let restored = room.hsm.dir().join("restored");
    std::fs::create_dir(&restored).unwrap();
    let recover = |shares: &[String]| {
        let mut args = vec![
            "recover".to_owned(),
            "--manifest".into(),
            manifest.clone(),
            "--no-hsm".into(),
            "--passphrases".into(),
            text(&room.pdir),
        ];
        args.extend(shares.iter().cloned());
        args.extend([
            "--archives".into(),
            text(&tree),
            "--out-dir".into(),
            text(&restored),
            "--force".into(),
        ]);
        room.custody(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let shares = [
        text(&damaged),
        room.share("cio"),
        room.share("ria"),
        room.share("justice"),
    ];
    pin(&room, "recover", &recover(&shares));
    pin(&room, "recover-too-few-shares", &recover(&shares[1..3]));
}

#[test]
fn secret_new_a_secret_that_exists_and_a_replacement() {
    let (room, manifest) = room_with_domain();
    let uri = room.home.uri.to_string();
    let first = text(&room.hsm.dir().join("population-restic.custody"));
    let secret_new = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "secret",
            "new",
            "--manifest",
            &manifest,
            "--hsm",
            &uri,
            "--purpose",
            "restic repository of the population registry",
            "--out",
            out,
        ];
        args.extend(extra);
        room.custody(&args)
    };
    pin(&room, "secret-new", &secret_new(&first, &[]));
    pin(&room, "secret-exists", &secret_new(&first, &[]));
    let second = text(&room.hsm.dir().join("population-restic-2.custody"));
    pin(
        &room,
        "secret-replaces",
        &secret_new(&second, &["--replaces", &first]),
    );
    pin(
        &room,
        "secret-bad-name",
        &secret_new(&text(&room.hsm.dir().join("a b.custody")), &[]),
    );
}

#[test]
fn remote_contribution_request_contribute_unlock_and_their_refusals() {
    let (room, manifest) = room_with_domain();
    let embassy = room.embassy.uri.to_string();
    let request = |purpose: &str, out: &Path| {
        room.custody(&[
            "request",
            "--manifest",
            &manifest,
            "--hsm",
            &embassy,
            "--purpose",
            purpose,
            "--out",
            &text(out),
        ])
    };
    let req = room.hsm.dir().join("unlock.request");
    pin(&room, "request", &request("unlock", &req));
    pin(
        &room,
        "hsm-keys-request-key",
        &room.custody(&["hsm", "keys", &embassy]),
    );
    let dir = room.hsm.dir().join("contributions");
    std::fs::create_dir(&dir).unwrap();
    let contribute = |official: &str, req: &Path, out: &Path| {
        room.custody(&[
            "share",
            "contribute",
            "--request",
            &text(req),
            &room.share(official),
            "--out",
            &text(out),
            "--passphrase-file",
            &text(&room.pdir.join(format!("{official}.pass"))),
        ])
    };
    pin(
        &room,
        "share-contribute",
        &contribute("cio", &req, &dir.join("cio")),
    );
    assert!(contribute("ria", &req, &dir.join("ria")).ok);
    pin(
        &room,
        "inspect-request",
        &room.custody(&["inspect", &text(&req)]),
    );
    pin(
        &room,
        "inspect-contribution",
        &room.custody(&["inspect", &text(&dir.join("ria"))]),
    );
    std::fs::copy(dir.join("cio"), dir.join("cio-again")).unwrap();
    let wrong = room.pdir.join("wrong.pass");
    common::write_private(&wrong, "not the passphrase of justice");
    let run = room.custody(&[
        "share",
        "contribute",
        "--request",
        &text(&req),
        &room.share("justice"),
        "--out",
        &text(&dir.join("justice")),
        "--passphrase-file",
        &text(&wrong),
    ]);
    pin(&room, "share-contribute-wrong-passphrase", &run);
    let drill = room.hsm.dir().join("drill.request");
    let issued = request("drill", &drill);
    assert!(issued.ok);
    let label = issued
        .stdout
        .split('"')
        .find(|part| part.contains(":request:"))
        .unwrap()
        .to_owned();
    let unlock = |req: &Path| {
        room.custody(&[
            "unlock",
            "--manifest",
            &manifest,
            "--hsm",
            &embassy,
            "--session-only",
            "--passphrases",
            &text(&room.pdir),
            "--request",
            &text(req),
            "--contributions",
            &text(&dir),
            &room.share("justice"),
        ])
    };
    pin(
        &room,
        "unlock-remote-request-of-another-purpose",
        &unlock(&drill),
    );
    let withdraw = room.custody(&[
        "hsm",
        "destroy",
        &embassy,
        "--key",
        &label,
        "--manifest",
        &manifest,
        "--yes-destroy",
        &label,
    ]);
    pin(&room, "hsm-destroy-request-key", &withdraw);
    pin(&room, "unlock-remote", &unlock(&req));
    pin(&room, "unlock-remote-request-completed", &unlock(&req));
}
